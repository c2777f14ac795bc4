#!/usr/bin/env bash
# Finds or installs the post-merge-smoke binary for the composite action and writes its
# path to the step output `bin`. In order:
#   1. `post-merge-smoke` already on PATH (self-hosted runners, tests);
#   2. a release asset for this RUNNER_OS/RUNNER_ARCH whose SHA-256 is listed in the
#      action's own dist/checksums.txt (nothing unverified is ever run);
#   3. `cargo build --release --locked` from the action's own source.
# Inputs come from the environment only: PMS_VERSION (a tag like v0.1.0, or empty for the
# newest listed), PMS_RELEASE_REPO (owner/name the releases live in), GITHUB_ACTION_PATH,
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_SERVER_URL, GITHUB_OUTPUT.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}

found() {
  echo "post-merge-smoke: using $1 ($2)"
  echo "bin=$1" >>"$GITHUB_OUTPUT"
  exit 0
}

if existing=$(command -v post-merge-smoke); then
  found "$existing" "found on PATH"
fi

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
esac

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

try_release() {
  [ -n "$target" ] || { echo "post-merge-smoke: no release asset for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"; return 1; }
  local list="$action_dir/dist/checksums.txt" version=${PMS_VERSION:-} asset expected
  if [ -z "$version" ]; then
    # The newest release listed for this target.
    version=$(grep -Eo "post-merge-smoke-v[0-9][0-9A-Za-z.+-]*-$target\.tar\.gz" "$list" 2>/dev/null |
      sed -E "s/^post-merge-smoke-(v.*)-$target\.tar\.gz$/\1/" | sort -V | tail -n 1 || true)
  fi
  [ -n "$version" ] || { echo "post-merge-smoke: dist/checksums.txt lists no release yet"; return 1; }
  asset="post-merge-smoke-$version-$target.tar.gz"
  expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$list" 2>/dev/null || true)
  [ -n "$expected" ] || { echo "post-merge-smoke: $asset is not in dist/checksums.txt"; return 1; }
  [ -n "${PMS_RELEASE_REPO:-}" ] || { echo "post-merge-smoke: the action's repository is unknown"; return 1; }
  local url="${GITHUB_SERVER_URL:-https://github.com}/$PMS_RELEASE_REPO/releases/download/$version/$asset"
  local dir="$temp/post-merge-smoke-$version"
  mkdir -p "$dir" || return 1
  echo "post-merge-smoke: downloading $url"
  curl -fsSL --retry 3 --proto '=https' -o "$dir/$asset" "$url" || return 1
  local actual
  actual=$(sha256 "$dir/$asset")
  if [ "$actual" != "$expected" ]; then
    echo "::error title=post-merge-smoke::checksum mismatch for $asset: expected $expected, got $actual"
    rm -f "$dir/$asset"
    exit 1
  fi
  tar -xzf "$dir/$asset" -C "$dir" || return 1
  found "$dir/post-merge-smoke" "release $version, SHA-256 verified"
}

if try_release; then exit 0; fi

echo "post-merge-smoke: building from the action's source with cargo"
command -v cargo >/dev/null || {
  echo "::error title=post-merge-smoke::no binary on PATH, no listed release, and no cargo to build one"
  exit 1
}
target_dir="$temp/post-merge-smoke-target"
cargo build --release --locked --quiet --manifest-path "$action_dir/Cargo.toml" --target-dir "$target_dir"
found "$target_dir/release/post-merge-smoke" "built from source"
