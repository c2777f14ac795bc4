#!/usr/bin/env bash
# The whole test suite: unit and integration tests (snapshots never rewritten here), the
# GitHub API usage checked against GitHub's OpenAPI description, then the GitHub Actions
# checks (zizmor on the workflows, the composite action end to end under nektos/act).
# Installs what it needs, pinned, into .venv/ (PyPI) and .tools/ (npm) inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTA_UPDATE=no cargo test --locked --all-targets

# The GitHub API calls, bodies and test answers against GitHub's own REST description.
scripts/check-openapi.sh

for check in scripts/zizmor.sh scripts/act-e2e.sh; do
  if [[ -x $check ]]; then
    echo "== $check"
    "$check"
  fi
done
echo "all checks passed"
