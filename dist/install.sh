#!/usr/bin/env bash
# Finds or installs the post-merge-smoke binary for the composite action and writes its
# path to the step output `bin`. The routes, in order:
#   1. `post-merge-smoke` already on PATH (self-hosted runners, tests);
#   2. a release asset for this RUNNER_OS/RUNNER_ARCH whose SHA-256 is listed in the
#      action's own dist/checksums.txt (nothing unverified is ever run);
#   3. a build of this very source restored from the Actions cache (the action's
#      actions/cache/restore step, between the two phases below);
#   4. `cargo build --release --locked` from the action's own source, then saved to the
#      cache (the action's actions/cache/save step) so later runs take route 3.
#
# The action runs this script twice, around its cache restore step:
#   install.sh find    routes 1 and 2; when neither applies, writes `cache-key` (runner
#                      OS, architecture and image, and a SHA-256 over the action's
#                      Cargo.toml, Cargo.lock and src/) and `cache-dir` (an empty folder
#                      the restore step fills) instead of `bin`.
#   install.sh build   routes 3 and 4: the restored binary when the restore step says it
#                      hit that exact key and the binary runs as this version, else a
#                      build, copied into `cache-dir` with `save=true` for the save step.
# A failure says what failed and what to do, in an `::error::` the job log shows.
#
# Inputs come from the environment only: PMS_VERSION (a tag like v0.1.0, or empty for the
# newest listed), PMS_RELEASE_REPO (owner/name the releases live in), PMS_CACHE_HIT and
# PMS_CACHE_DIR (build: the restore step's `cache-hit`, the find step's `cache-dir`),
# PMS_NO_RELEASE (build: why the find step found no release), CARGO_TARGET_DIR (where to
# build; default under RUNNER_TEMP), GITHUB_ACTION_PATH, RUNNER_OS, RUNNER_ARCH,
# RUNNER_TEMP, ImageOS, GITHUB_SERVER_URL, GITHUB_OUTPUT.
set -euo pipefail

phase=${1:-find}
action_dir=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
# Where a cached build lives: the same path on restore and save (it is part of the cache
# entry's identity), and nowhere a previous step could have left a binary (emptied first).
cache_dir="$temp/post-merge-smoke-cache"
what_to_do="set the input 'version' to a release listed in the action's dist/checksums.txt, put post-merge-smoke on PATH before this step, or make cargo available (e.g. rustup) so the action can build it"

output() {
  printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
}

found() {
  echo "post-merge-smoke: using $1 ($2)"
  output bin "$1"
  exit 0
}

# install_failed WHAT: the one error a failed install ends with.
install_failed() {
  echo "::error title=post-merge-smoke: install failed::$1; to fix it, $what_to_do"
  exit 1
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# The version the action's source builds: the binary must say it is this one.
source_version() {
  sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$action_dir/Cargo.toml" | head -n 1
}

# The cache key: this runner's kind (a binary built on one image may not run on another)
# and the hash of everything the binary is built from, so a build is only ever restored
# by the same source.
cache_key() {
  local image=${ImageOS:-unknown} digest
  image=${image//[^A-Za-z0-9._-]/}
  digest=$(
    cd "$action_dir" &&
      find Cargo.toml Cargo.lock src -type f -print | LC_ALL=C sort | while IFS= read -r file; do
        sha256 "$file"
      done | sha256 | cut -d' ' -f1
  )
  [ -n "$digest" ] || return 1
  printf 'post-merge-smoke-bin-v1-%s-%s-%s-%s' "${RUNNER_OS:-unknown}" "${RUNNER_ARCH:-unknown}" "$image" "$digest"
}

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
esac

no_release=""
try_release() {
  [ -n "$target" ] || { no_release="no release asset is built for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"; return 1; }
  local list="$action_dir/dist/checksums.txt" version=${PMS_VERSION:-} asset expected
  if [ -z "$version" ]; then
    # The newest release listed for this target.
    version=$(grep -Eo "post-merge-smoke-v[0-9][0-9A-Za-z.+-]*-$target\.tar\.gz" "$list" 2>/dev/null |
      sed -E "s/^post-merge-smoke-(v.*)-$target\.tar\.gz$/\1/" | sort -V | tail -n 1 || true)
  fi
  [ -n "$version" ] || { no_release="dist/checksums.txt lists no release for $target yet"; return 1; }
  asset="post-merge-smoke-$version-$target.tar.gz"
  expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$list" 2>/dev/null || true)
  [ -n "$expected" ] || { no_release="$asset is not in dist/checksums.txt"; return 1; }
  [ -n "${PMS_RELEASE_REPO:-}" ] || { no_release="the action's repository is unknown, so $asset cannot be downloaded"; return 1; }
  local url="${GITHUB_SERVER_URL:-https://github.com}/$PMS_RELEASE_REPO/releases/download/$version/$asset"
  local dir="$temp/post-merge-smoke-$version"
  mkdir -p "$dir" || { no_release="cannot create $dir"; return 1; }
  echo "post-merge-smoke: downloading $url"
  curl -fsSL --retry 3 --proto '=https' -o "$dir/$asset" "$url" || { no_release="the download of $url failed"; return 1; }
  local actual
  actual=$(sha256 "$dir/$asset" | cut -d' ' -f1)
  if [ "$actual" != "$expected" ]; then
    # Never a fallback: a release that does not match its listed checksum is an attack
    # or a broken release, and either way someone must look.
    rm -f "$dir/$asset"
    echo "::error title=post-merge-smoke: install failed::checksum mismatch for $asset: expected $expected, got $actual; nothing else is tried"
    exit 1
  fi
  tar -xzf "$dir/$asset" -C "$dir" || { no_release="$asset could not be unpacked"; return 1; }
  found "$dir/post-merge-smoke" "release $version, SHA-256 verified"
}

find_phase() {
  if existing=$(command -v post-merge-smoke); then
    found "$existing" "found on PATH"
  fi
  if try_release; then exit 0; fi
  echo "post-merge-smoke: no release to download: $no_release"
  local key
  key=$(cache_key) || install_failed "cannot hash the action's source in $action_dir"
  rm -rf "$cache_dir"
  mkdir -p "$cache_dir"
  echo "post-merge-smoke: looking for a cached build ($key)"
  output cache-key "$key"
  output cache-dir "$cache_dir"
  output no-release "$no_release"
}

build_phase() {
  local dir=${PMS_CACHE_DIR:-$cache_dir} version
  version=$(source_version)
  if [ "${PMS_CACHE_HIT:-}" = true ]; then
    local cached="$dir/post-merge-smoke" said
    if [ -f "$cached" ] && [ -x "$cached" ] && said=$("$cached" --version 2>/dev/null) &&
      [ "$said" = "post-merge-smoke $version" ]; then
      found "$cached" "restored from the cache, built earlier from this action's source"
    fi
    echo "::warning title=post-merge-smoke::the cached build does not run as post-merge-smoke $version here; building it again"
  else
    echo "post-merge-smoke: no cached build of this action's source yet"
  fi

  echo "post-merge-smoke: building from the action's source with cargo"
  command -v cargo >/dev/null ||
    install_failed "no binary on PATH, no release to download (${PMS_NO_RELEASE:-none listed}), no cached build, and no cargo to build one"
  local target_dir=${CARGO_TARGET_DIR:-$temp/post-merge-smoke-target} status=0
  cargo build --release --locked --quiet --manifest-path "$action_dir/Cargo.toml" --target-dir "$target_dir" ||
    status=$?
  [ "$status" -eq 0 ] ||
    install_failed "cargo build --release --locked of the action's source failed (exit $status; its errors are above)"
  local built="$target_dir/release/post-merge-smoke"
  [ -x "$built" ] || install_failed "cargo build succeeded but left no binary at $built"
  # The copy in the cache folder is the one run and the one the save step stores, saved
  # right after this step, before any smoke runs.
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$built" "$dir/post-merge-smoke"
  chmod 0755 "$dir/post-merge-smoke"
  output save true
  found "$dir/post-merge-smoke" "built from source; saved to the cache for later runs"
}

case "$phase" in
  find) find_phase ;;
  build) build_phase ;;
  *) echo "install.sh: unknown phase '$phase' (find or build)" >&2; exit 2 ;;
esac
