#!/usr/bin/env bash
# Tests dist/install.sh, the composite action's install step, on its download route: a
# release asset served over HTTPS from 127.0.0.1 (self-signed, trusted through
# CURL_CA_BUNDLE) is used only when its SHA-256 matches dist/checksums.txt, and a
# mismatch fails hard instead of falling back. Then its cache route: the key names the
# runner and hashes the action's source (stable, and different for other source), a
# restored binary is used only when the restore hit and it says it is this version, and
# without cargo the install fails saying what to do. Usage: install-test.sh BINARY
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:?usage: install-test.sh BINARY}
work=$(mktemp -d "${TMPDIR:-/tmp}/pms-install-test.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "install-test: FAIL: $*" >&2
  exit 1
}

# The release as GitHub would serve it: /<owner>/<repo>/releases/download/<tag>/<asset>.
version=v9.9.9
target=x86_64-unknown-linux-gnu
asset="post-merge-smoke-$version-$target.tar.gz"
served="$work/www/octo/pms/releases/download/$version"
mkdir -p "$served" "$work/action/dist" "$work/tmp"
cp "$bin" "$work/post-merge-smoke"
tar -czf "$served/$asset" -C "$work" post-merge-smoke
cp "$root/dist/install.sh" "$work/action/dist/"
cp -R "$root/Cargo.toml" "$root/Cargo.lock" "$root/src" "$work/action/"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/serve.py" <<'PY'
import http.server, os, ssl, sys
os.chdir(sys.argv[1])
httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
PY
python3 "$work/serve.py" "$work/www" "$work/cert.pem" "$work/key.pem" >"$work/port" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$work/port")
[ -n "$port" ] || fail "the test server did not start: $(cat "$work/server.log")"

# install.sh [PHASE [NAME=VALUE...]] with nothing on PATH but the basics (no cargo), so the
# download route is taken.
install() {
  : >"$work/output"
  env -i PATH=/usr/bin:/bin HOME="$work" CURL_CA_BUNDLE="$work/cert.pem" \
    GITHUB_ACTION_PATH="$work/action" RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$work/tmp" \
    ImageOS=ubuntu24 GITHUB_OUTPUT="$work/output" GITHUB_SERVER_URL="https://127.0.0.1:$port" \
    PMS_RELEASE_REPO=octo/pms PMS_VERSION="" "${@:2}" bash "$work/action/dist/install.sh" "${1:-find}" >"$work/log" 2>&1
}
output() {
  sed -n "s/^$1=//p" "$work/output"
}

sum=$(sha256sum "$served/$asset" | cut -d' ' -f1)
printf '%s  %s\n' "$sum" "$asset" >"$work/action/dist/checksums.txt"
install || fail "a listed, matching asset was refused: $(cat "$work/log")"
installed=$(sed -n 's/^bin=//p' "$work/output")
[ "$installed" = "$work/tmp/post-merge-smoke-$version/post-merge-smoke" ] || fail "bin output is '$installed'"
"$installed" --version | grep -q '^post-merge-smoke ' || fail "the installed binary does not run"
grep -q "SHA-256 verified" "$work/log" || fail "no verification in the log: $(cat "$work/log")"
echo "install-test: a matching checksum installs the release asset"

rm -rf "$work/tmp/post-merge-smoke-$version"
printf '%s  %s\n' "$(printf '0%.0s' $(seq 64))" "$asset" >"$work/action/dist/checksums.txt"
if install; then fail "a checksum mismatch was accepted: $(cat "$work/log")"; fi
grep -q "checksum mismatch for $asset" "$work/log" || fail "no mismatch error: $(cat "$work/log")"
grep -q "building from the action's source" "$work/log" && fail "a mismatch fell back to building"
[ ! -e "$work/tmp/post-merge-smoke-$version/post-merge-smoke" ] || fail "a mismatching asset was unpacked"
[ ! -s "$work/output" ] || fail "a mismatch still set the bin output"
echo "install-test: a checksum mismatch fails the install"

# The cache route. No release listed: find names a cache key and an empty folder.
grep -v '^[0-9a-f]' "$root/dist/checksums.txt" >"$work/action/dist/checksums.txt"
mkdir -p "$work/tmp/post-merge-smoke-cache"
echo planted >"$work/tmp/post-merge-smoke-cache/post-merge-smoke"
install find || fail "find failed without a release: $(cat "$work/log")"
[ -z "$(output bin)" ] || fail "find chose a binary without a release: $(output bin)"
key=$(output cache-key)
[[ $key =~ ^post-merge-smoke-bin-v1-Linux-X64-ubuntu24-[0-9a-f]{64}$ ]] || fail "cache key is '$key'"
[ "$(output cache-dir)" = "$work/tmp/post-merge-smoke-cache" ] || fail "cache-dir is '$(output cache-dir)'"
[ -z "$(ls -A "$work/tmp/post-merge-smoke-cache")" ] || fail "find left a file in the cache folder"
grep -q "dist/checksums.txt lists no release" "$work/output" || fail "no-release output missing: $(cat "$work/output")"
install find
[ "$(output cache-key)" = "$key" ] || fail "the cache key is not stable"
echo "// a change" >>"$work/action/src/main.rs"
install find
[ "$(output cache-key)" != "$key" ] || fail "the cache key does not change with the source"
cp "$root/src/main.rs" "$work/action/src/main.rs"
install find
[ "$(output cache-key)" = "$key" ] || fail "the cache key is not the source's"
echo "install-test: the cache key hashes the action's source"

# A restore that hit, with a binary that is this version: used, nothing built.
cache="$work/tmp/post-merge-smoke-cache"
cp "$bin" "$cache/post-merge-smoke"
install build PMS_CACHE_HIT=true PMS_CACHE_DIR="$cache" || fail "a restored binary was refused: $(cat "$work/log")"
[ "$(output bin)" = "$cache/post-merge-smoke" ] || fail "bin output is '$(output bin)'"
grep -q "restored from the cache" "$work/log" || fail "no cache in the log: $(cat "$work/log")"
[ -z "$(output save)" ] || fail "a restored binary would be saved again"
echo "install-test: a restored build of this version is used"

# A binary in the folder without a hit, or one that is not this version: never used; with
# no cargo the install fails, saying what failed and what to do.
for hit in false true; do
  printf '#!/bin/sh\necho post-merge-smoke 0.0.0-other\n' >"$cache/post-merge-smoke"
  chmod +x "$cache/post-merge-smoke"
  if install build PMS_CACHE_HIT=$hit PMS_CACHE_DIR="$cache" PMS_NO_RELEASE="none listed here"; then
    fail "an unrestored or foreign binary was used (hit $hit): $(cat "$work/log")"
  fi
  [ -z "$(output bin)" ] || fail "bin output is '$(output bin)' (hit $hit)"
  grep -q "install failed::no binary on PATH, no release to download (none listed here), no cached build, and no cargo" "$work/log" ||
    fail "the failure does not say what failed: $(cat "$work/log")"
  grep -q "set the input 'version'.*put post-merge-smoke on PATH.*make cargo available" "$work/log" ||
    fail "the failure does not say what to do: $(cat "$work/log")"
done
grep -q "does not run as post-merge-smoke" "$work/log" || fail "a foreign cached binary was not warned about: $(cat "$work/log")"
echo "install-test: an unrestored or foreign binary is never used, and a failed install says why"
