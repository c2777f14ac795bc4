#!/usr/bin/env bash
# Lints the composite action, the project's workflows and the example workflow with
# zizmor (pinned, from PyPI, into .venv/), offline. Fails on any finding of medium
# severity or worse; low and informational findings are printed but do not fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

"$root/scripts/python-tools.sh"

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
