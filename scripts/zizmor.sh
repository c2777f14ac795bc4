#!/usr/bin/env bash
# Lints the composite action, the project's workflows and the example workflow with
# zizmor (pinned, from PyPI, into .venv/), offline. Fails on any finding of medium
# severity or worse; low and informational findings are printed but do not fail.
set -euo pipefail

ZIZMOR_VERSION=1.32.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

if ! "$venv/bin/zizmor" --version 2>/dev/null | grep -qx "zizmor $ZIZMOR_VERSION"; then
  echo "zizmor.sh: installing zizmor==$ZIZMOR_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION"
fi

cd "$root"
# Everything, for the log; then only what fails the check.
"$venv/bin/zizmor" --offline --no-progress action.yml .github/workflows examples/*.yml || true
status=0
"$venv/bin/zizmor" --offline --no-progress --quiet --min-severity medium action.yml .github/workflows examples/*.yml >/dev/null || status=$?
if [ "$status" -ne 0 ]; then
  echo "zizmor.sh: findings of medium severity or worse (exit $status)" >&2
  exit 1
fi
echo "zizmor.sh: no findings of medium severity or worse"
