#!/usr/bin/env bash
# Checks our GitHub REST calls, request bodies, decoded fields and the answers the tests
# serve against GitHub's OpenAPI description (npm @octokit/openapi, pinned, installed
# into .tools/openapi/ on first use; needs npm once, then runs offline).
set -euo pipefail

OPENAPI_VERSION=23.0.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="$root/.tools/openapi"
pkg="$prefix/node_modules/@octokit/openapi"

installed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$pkg/package.json" 2>/dev/null || true)
if [[ $installed != "$OPENAPI_VERSION" || ! -f $pkg/generated/api.github.com.deref.json ]]; then
  echo "check-openapi.sh: installing @octokit/openapi@$OPENAPI_VERSION into $prefix"
  npm install --no-save --no-audit --no-fund --silent --prefix "$prefix" "@octokit/openapi@$OPENAPI_VERSION"
fi

exec python3 "$root/scripts/check-openapi.py" --package "$pkg" --ghes "$@"
