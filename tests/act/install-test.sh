#!/usr/bin/env bash
# Tests dist/install.sh, the composite action's install step, on its download route: a
# release asset served over HTTPS from 127.0.0.1 (self-signed, trusted through
# CURL_CA_BUNDLE) is used only when its SHA-256 matches dist/checksums.txt, and a
# mismatch fails hard instead of falling back. Usage: install-test.sh BINARY
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

# install.sh with nothing on PATH but the basics, so the download route is taken.
install() {
  : >"$work/output"
  env -i PATH=/usr/bin:/bin HOME="$work" CURL_CA_BUNDLE="$work/cert.pem" \
    GITHUB_ACTION_PATH="$work/action" RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$work/tmp" \
    GITHUB_OUTPUT="$work/output" GITHUB_SERVER_URL="https://127.0.0.1:$port" \
    PMS_RELEASE_REPO=octo/pms PMS_VERSION="" bash "$work/action/dist/install.sh" >"$work/log" 2>&1
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
