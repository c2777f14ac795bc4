#!/usr/bin/env bash
# Installs the Python tools the integration tests run as real smokes (pytest, pinned, from
# PyPI) into .venv/ at the top of the repository, where the tests look for them
# (`$CARGO_MANIFEST_DIR/.venv/bin/pytest`). Does nothing when the pinned version is there.
# scripts/test.sh runs it before `cargo test`; run it by hand before a bare `cargo test`.
set -euo pipefail

# The version the runner fixtures under tests/fixtures/runners/pytest/ were recorded with.
PYTEST_VERSION=9.0.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

if ! "$venv/bin/pytest" --version 2>/dev/null | grep -qx "pytest $PYTEST_VERSION"; then
  echo "python-tools.sh: installing pytest==$PYTEST_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pytest==$PYTEST_VERSION"
fi
"$venv/bin/pytest" --version
