#!/usr/bin/env bash
# Installs the Python tools of the test suite (scripts/python-tools.txt, pinned, from PyPI)
# into .venv/ at the top of the repository: pytest, which the integration tests run as a
# real smoke (`$CARGO_MANIFEST_DIR/.venv/bin/pytest`), zizmor, act and jsonschema. Does
# nothing when the pinned set is there already. scripts/test.sh runs it first; run it by
# hand before a bare `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
pins="$root/scripts/python-tools.txt"
installed="$venv/.python-tools.txt"

if ! cmp -s "$pins" "$installed" || [ ! -x "$venv/bin/pytest" ]; then
  echo "python-tools.sh: installing $(grep -v '^#' "$pins" | tr '\n' ' ')into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pins"
  cp "$pins" "$installed"
fi
