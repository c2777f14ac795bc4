#!/usr/bin/env bash
# Checks the GitHub API traffic the integration tests recorded (what the binary sent, what
# the fake GitHub answered) against GitHub's OpenAPI description: npm @octokit/openapi,
# pinned, installed into .tools/openapi/ on first use, and jsonschema from PyPI, pinned,
# into .venv/. Needs the network once, then runs offline. Run the integration tests first
# (scripts/test.sh does); arguments go to scripts/check-api-traffic.py (e.g. --traffic DIR).
set -euo pipefail

OPENAPI_VERSION=23.0.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="$root/.tools/openapi"
pkg="$prefix/node_modules/@octokit/openapi"
venv="$root/.venv"

installed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$pkg/package.json" 2>/dev/null || true)
if [[ $installed != "$OPENAPI_VERSION" || ! -f $pkg/generated/api.github.com.deref.json ]]; then
  echo "check-openapi.sh: installing @octokit/openapi@$OPENAPI_VERSION into $prefix"
  npm install --no-save --no-audit --no-fund --silent --prefix "$prefix" "@octokit/openapi@$OPENAPI_VERSION"
fi

"$root/scripts/python-tools.sh"

exec "$venv/bin/python" "$root/scripts/check-api-traffic.py" --package "$pkg" --ghes "$@"
