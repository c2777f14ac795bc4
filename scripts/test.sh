#!/usr/bin/env bash
# The whole test suite: unit and integration tests, then the GitHub Actions checks
# (zizmor on the workflows, the composite action end to end under nektos/act).
# Installs what it needs (pinned, from PyPI) into .venv/ inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets

for check in scripts/zizmor.sh scripts/act-e2e.sh; do
  if [[ -x $check ]]; then
    echo "== $check"
    "$check"
  fi
done
echo "all checks passed"
