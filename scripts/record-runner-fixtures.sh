#!/usr/bin/env bash
# Re-records tests/fixtures/runners/<runner>/: what real test runners print (and the JUnit
# XML they write) when some tests fail, for the parsers in src/failures/. Nothing there is
# written by hand; run this script and `git diff` shows what changed.
#
# Each runner runs on a copy (in a temporary folder) of a small project under
# tests/fixtures/projects/, so the repository gets no caches or build output:
#   pytest     pytest-smoke/    PyPI pytest==$PYTEST_VERSION, installed into .venv/ here
#   cargo-test rust-failing/    the machine's cargo
#   nextest    rust-failing/    the machine's cargo-nextest (crates.io, not installed here)
#   go         go-failing/      Debian's golang-go, installed with apt-get when `go` is missing
#   jest       jest-failing/    npm jest@$JEST_VERSION, installed into the temporary folder
#   vitest     vitest-failing/  npm vitest@$VITEST_VERSION, installed into the temporary folder
# Each runner's folder gets `<variant>.stdout`/`.stderr`, a `junit.xml` where the runner
# writes one, and `versions.txt`. Exit codes are expected to be non-zero (tests fail).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

PYTEST_VERSION=9.0.2
JEST_VERSION=30.2.0
VITEST_VERSION=3.2.4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
projects=$repo/tests/fixtures/projects
out=$repo/tests/fixtures/runners

# Small and stable output: no backtraces, a fixed width, no colour unless asked for.
export RUST_BACKTRACE=0 COLUMNS=80 PYTHONDONTWRITEBYTECODE=1
unset NO_COLOR FORCE_COLOR CLICOLOR_FORCE CI || true

# record RUNNER VARIANT COMMAND...: runs COMMAND in the current folder, keeping its output.
record() {
  local runner=$1 variant=$2
  shift 2
  mkdir -p "$out/$runner"
  local rc=0
  "$@" >"$out/$runner/$variant.stdout" 2>"$out/$runner/$variant.stderr" </dev/null || rc=$?
  echo "$runner/$variant: exit $rc"
}

copy() { cp -r "$projects/$1" "$work/$1" && cd "$work/$1"; }

# --- pytest: a failing test, a passing one, and a setup error (the flaky test in error mode).
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q "pytest==$PYTEST_VERSION"
copy pytest-smoke
export SMOKE_FLAKY_FAIL=1 SMOKE_FLAKY_AS_ERROR=1
record pytest plain "$repo/.venv/bin/pytest" --junitxml=junit.xml
cp junit.xml "$out/pytest/junit.xml"
record pytest color "$repo/.venv/bin/pytest" -v --color=yes
unset SMOKE_FLAKY_FAIL SMOKE_FLAKY_AS_ERROR
"$repo/.venv/bin/pytest" --version >"$out/pytest/versions.txt" 2>&1

# --- cargo test (libtest) and cargo-nextest, on the same crate.
copy rust-failing
cargo build -q --tests
record cargo-test plain cargo test --no-fail-fast
record cargo-test color cargo test --no-fail-fast --color always -- --color always
cargo --version >"$out/cargo-test/versions.txt"
# The hanging and aborting tests only under nextest: each test has a process of its own there.
export RUST_FAILING_HANG=1 RUST_FAILING_ABORT=1
record nextest plain cargo nextest run --profile ci --no-fail-fast --color never
cp target/nextest/ci/junit.xml "$out/nextest/junit.xml"
unset RUST_FAILING_HANG RUST_FAILING_ABORT
record nextest color cargo nextest run --profile ci --no-fail-fast --color always
# With retries: two tests fail every try, one fails once and then passes (FLAKY, not failed).
record nextest retries env RUST_FAILING_FLAKY="$work/flaky-counter" \
  cargo nextest run --retries 1 --no-fail-fast --color never
cargo nextest --version | head -1 >"$out/nextest/versions.txt"

# --- go test, plain and verbose (subtests).
if ! command -v go >/dev/null; then
  apt-get install -y -q golang-go >/dev/null
fi
copy go-failing
export GOFLAGS=-count=1 GOCACHE=$work/go-cache GOPATH=$work/go-path
record go plain go test ./...
record go verbose go test -v ./...
go version >"$out/go/versions.txt"

# --- Jest and Vitest, from npm, installed into the temporary folder only.
npm install -s --no-audit --no-fund --prefix "$work/node-jest" "jest@$JEST_VERSION" >/dev/null
npm install -s --no-audit --no-fund --prefix "$work/node-vitest" "vitest@$VITEST_VERSION" >/dev/null
copy jest-failing
ln -s "$work/node-jest/node_modules" node_modules
record jest plain node_modules/.bin/jest
record jest verbose-color node_modules/.bin/jest --verbose --colors
echo "jest $JEST_VERSION (jest-cli $(node_modules/.bin/jest --version)), node $(node --version)" \
  >"$out/jest/versions.txt"
copy vitest-failing
ln -s "$work/node-vitest/node_modules" node_modules
record vitest plain node_modules/.bin/vitest run --reporter=default --reporter=junit \
  --outputFile.junit=junit.xml
cp junit.xml "$out/vitest/junit.xml"
record vitest color env FORCE_COLOR=1 node_modules/.bin/vitest run
node_modules/.bin/vitest --version >"$out/vitest/versions.txt"

echo "recorded into $out"
