#!/usr/bin/env bash
# The whole test suite: unit and integration tests (snapshots never rewritten here), the
# GitHub API traffic those tests recorded checked against GitHub's OpenAPI description,
# then the GitHub Actions checks (zizmor on the workflows, the composite action end to end
# under nektos/act). Installs what it needs, pinned, into .venv/ (PyPI) and .tools/ (npm)
# inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

# The integration tests run pytest as a real smoke; it comes from .venv/.
scripts/python-tools.sh

# The fake GitHub of the integration tests records its traffic here; start from nothing so
# only this run's traffic is checked.
traffic="${CARGO_TARGET_DIR:-target}/tmp/api-traffic"
rm -rf "$traffic"

INSTA_UPDATE=no cargo test --locked --all-targets

# What the tests sent to and served as GitHub, against GitHub's own REST description.
scripts/check-openapi.sh --traffic "$traffic"

for check in scripts/zizmor.sh scripts/act-e2e.sh; do
  if [[ -x $check ]]; then
    echo "== $check"
    "$check"
  fi
done
echo "all checks passed"
