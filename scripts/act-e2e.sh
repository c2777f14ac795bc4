#!/usr/bin/env bash
# End-to-end test of the composite action (action.yml) under a real workflow runner,
# nektos/act, on this host and without network:
#
#   1. builds the binary (or takes $PMS_BIN), tests the install step's checksum-verified
#      download route (tests/act/install-test.sh), and puts the binary on PATH, so the
#      action's install step takes the "already on PATH" route;
#   2. makes a throwaway repository with a local bare origin, the action (action.yml,
#      dist/ and the source it builds and hashes) copied from the working tree into
#      .github/actions/post-merge-smoke, tests/act/workflow.yml, and the shipped examples
#      adapted to use that copy and our smoke;
#   3. for each scenario merges a branch that changes smoke.sh ("Merge pull request #N"),
#      pushes it to origin, writes a push payload for it and runs `act push` with
#      actions/upload-artifact, actions/download-artifact and actions/cache served from
#      stand-ins in tests/act/;
#   4. checks what each job saw: PASS lets the `needs:` follow-on job run and read the
#      envelope output; FAIL and TIMEOUT fail the smoke job, skip the follow-on job, and
#      an `if: always()` job still reads the status; forged outputs fail closed;
#   5. the sharded example: all shards green, one red, one skipped (aggregate PASS, FAIL,
#      BLOCKED with SHARD_MISSING; the follow-on job runs only on PASS);
#   6. the install with no binary on PATH: a build saved to the cache, then restored
#      without compiling (the install steps' time is printed, not asserted), and an
#      install that cannot work saying so.
#
# Exits non-zero on the first mismatch, printing the act log. Set PMS_E2E_KEEP=1 to keep
# the temp folder. Needs python3 (for the venv and JSON checks), git, bash and cargo.
set -euo pipefail

UPLOAD_ARTIFACT=actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f
DOWNLOAD_ARTIFACT=actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c
CACHE=actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae
started=$SECONDS

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
act="$venv/bin/act"

"$root/scripts/python-tools.sh"

bin=${PMS_BIN:-}
if [ -z "$bin" ]; then
  echo "act-e2e: building post-merge-smoke"
  cargo build --locked --quiet --manifest-path "$root/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/post-merge-smoke"
fi
[ -x "$bin" ] || { echo "act-e2e: no binary at $bin" >&2; exit 1; }

# The install step's download route, checksum check included, against a loopback server.
"$root/tests/act/install-test.sh" "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/pms-act-e2e.XXXXXX")
cleanup() {
  if [ "${PMS_E2E_KEEP:-0}" = 1 ]; then echo "act-e2e: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$work/bin" "$work/home"
cp "$bin" "$work/bin/post-merge-smoke"
export PATH="$work/bin:$PATH"
# act and git must not read this machine's configuration or caches.
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@example.com
export GIT_COMMITTER_NAME=e2e GIT_COMMITTER_EMAIL=e2e@example.com
# act reads these from the repository's remote to fill github.repository.
git config --global init.defaultBranch main
git config --global advice.detachedHead false

origin="$work/origin.git"
repo="$work/repo"
git init -q --bare -b main "$origin"
git init -q -b main "$repo"
cd "$repo"
git remote add origin "$origin"
mkdir -p .github/workflows .github/actions/post-merge-smoke
# The action as a user's runner gets it: action.yml, dist/ and the source it can build
# (and hashes for its cache key).
cp -R "$root/action.yml" "$root/dist" "$root/Cargo.toml" "$root/Cargo.lock" "$root/src" \
  .github/actions/post-merge-smoke/
cp "$root/tests/act/workflow.yml" .github/workflows/post-merge-smoke.yml
# The users' examples as shipped, but with the action from the local copy and our smoke.
adapt() {
  sed -e 's|uses: OWNER/post-merge-smoke@[0-9a-f]\{40\}.*|uses: ./.github/actions/post-merge-smoke|' \
    -e 's|command: cargo test --locked --test smoke$|command: bash smoke.sh|' \
    -e 's|command: cargo nextest run --locked --test smoke .*|command: bash smoke.sh|' \
    "$root/examples/$1" >".github/$2"
  if ! grep -q 'uses: ./.github/actions/post-merge-smoke' ".github/$2" || ! grep -q 'command: bash smoke.sh' ".github/$2"; then
    echo "act-e2e: cannot adapt examples/$1" >&2
    exit 1
  fi
}
adapt post-merge-smoke.yml example.yml
adapt sharded.yml sharded.yml
# Its aggregate job checks nothing out; here it must, to find the action at a local path.
awk '/^      - id: smoke$/ && ++n == 2 {
  print "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
  print "        with:"
  print "          persist-credentials: false"
} { print }' .github/sharded.yml >.github/sharded.tmp && mv .github/sharded.tmp .github/sharded.yml
grep -c 'uses: actions/checkout@' .github/sharded.yml | grep -qx 2 || { echo "act-e2e: cannot adapt the aggregate job" >&2; exit 1; }
# The sharded example with its second leg's smoke step skipped, so that leg succeeds
# without leaving an envelope.
sed '0,/^      - id: smoke$/s//      - id: smoke\n        if: ${{ matrix.shard != 2 }}/' .github/sharded.yml >.github/sharded-skip.yml
grep -q 'if: ${{ matrix.shard != 2 }}' .github/sharded-skip.yml || { echo "act-e2e: cannot skip a shard" >&2; exit 1; }
echo 'echo smoke-ok' >smoke.sh
git add -A
git commit -q -m "Initial commit"
git push -q origin main

failures=0
fail() {
  echo "act-e2e: FAIL [$scenario]: $*" >&2
  failures=$((failures + 1))
}

# json_field FILE EXPR: prints a field of a JSON file (EXPR indexes `v`, e.g. v['status']).
json_field() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# What the action's steps see on PATH (act passes it on with --env): by default this
# PATH, with the binary under test in it; the install scenarios take another.
scenario_path=$PATH
# The actions/cache stand-in's store (tests/act/cache); empty: one per scenario.
scenario_cache=""

# run_scenario NAME PR SMOKE_SCRIPT [WORKFLOW]: merges a pull request that sets smoke.sh
# and runs act on WORKFLOW (default the e2e workflow).
run_scenario() {
  scenario=$1
  local pr=$2 body=$3 workflow=${4:-.github/workflows/post-merge-smoke.yml}
  local before after out event
  before=$(git rev-parse HEAD)
  git checkout -q -b "$scenario"
  printf '%s\n' "$body" >smoke.sh
  git commit -q -am "Set the smoke to $scenario"
  git checkout -q main
  git merge -q --no-ff -m "Merge pull request #$pr from octo/$scenario" "$scenario"
  git push -q origin main
  after=$(git rev-parse HEAD)
  out="$work/out-$scenario"
  mkdir -p "$out"
  event="$work/event-$scenario.json"
  cat >"$event" <<JSON
{
  "ref": "refs/heads/main",
  "before": "$before",
  "after": "$after",
  "created": false,
  "deleted": false,
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/octo/widgets/compare/${before:0:12}...${after:0:12}",
  "commits": [],
  "head_commit": {"id": "$after", "message": "Merge pull request #$pr from octo/$scenario"},
  "repository": {"name": "widgets", "full_name": "octo/widgets", "default_branch": "main",
                 "owner": {"login": "octo", "name": "octo"}},
  "pusher": {"name": "e2e", "email": "e2e@example.com"},
  "sender": {"login": "e2e", "id": 1, "type": "User"}
}
JSON
  echo "act-e2e: [$scenario] running act for merge ${after:0:12}"
  set +e
  "$act" push \
    -W "$workflow" \
    -e "$event" \
    -P ubuntu-latest=-self-hosted \
    --local-repository "$UPLOAD_ARTIFACT=$root/tests/act/upload-artifact" \
    --local-repository "$DOWNLOAD_ARTIFACT=$root/tests/act/download-artifact" \
    --local-repository "$CACHE=$root/tests/act/cache" \
    --action-offline-mode \
    --no-cache-server \
    --env "PMS_E2E_OUT=$out" \
    --env "PMS_E2E_CACHE=${scenario_cache:-$out/cache}" \
    --env "PATH=$scenario_path" \
    >"$out/act.log" 2>&1
  act_rc=$?
  set -e
  scenario_out=$out
  scenario_merge=$after
}

expect_file_absent() {
  [ ! -e "$scenario_out/$1" ] || fail "$1 exists but should not: $(cat "$scenario_out/$1")"
}

expect_line() {
  grep -qxF -- "$2" "$scenario_out/$1" 2>/dev/null || fail "$1 lacks line '$2': $(cat "$scenario_out/$1" 2>/dev/null || echo missing)"
}

expect_json() {
  local file=$1 expr=$2 want=$3 got
  got=$(json_field "$scenario_out/$file" "$expr" 2>&1) || got="(unreadable: $got)"
  [ "$got" = "$want" ] || fail "$file: $expr is '$got', want '$want'"
}

finish_scenario() {
  if [ "$failures" -gt 0 ]; then
    echo "---- act log [$scenario] ----" >&2
    cat "$scenario_out/act.log" >&2
    exit 1
  fi
  echo "act-e2e: [$scenario] ok"
}

# --- PASS: the follow-on job runs and reads the envelope output.
run_scenario pass 101 'echo smoke-ok # merged by #101'
[ "$act_rc" -eq 0 ] || fail "act exited $act_rc, want 0"
expect_line smoke-status PASS
expect_line follow-on-status PASS
expect_json follow-on-envelope.json "v['status']" PASS
expect_json follow-on-envelope.json "v['allow_continuation']" True
expect_json follow-on-envelope.json "v['merge_commit']" "$scenario_merge"
expect_json follow-on-envelope.json "v['task_id']" "#101"
expect_json follow-on-envelope.json "v['stale_check']" checked
expect_json follow-on-envelope.json "v['smoke_result']['stdout_tail']" smoke-ok
expect_json follow-on-envelope.json "v['changed_paths']" "['smoke.sh']"
expect_json smoke-envelope.json "v['merge_commit']" "$scenario_merge"
expect_line report status=PASS
expect_line report allow=true
expect_line report exit=0
expect_line report result=success
artifact=$(find "$scenario_out/artifacts" -name envelope.json 2>/dev/null | head -n 1)
if [ -n "$artifact" ]; then
  expect_json "${artifact#"$scenario_out"/}" "v['status']" PASS
else
  fail "the envelope was not uploaded"
fi
finish_scenario

# --- FAIL: the smoke job fails, the follow-on job is skipped, `always()` reads FAIL.
run_scenario fail 102 'echo broken >&2; exit 7'
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_line smoke-status FAIL
expect_file_absent follow-on-status
expect_line report status=FAIL
expect_line report allow=false
expect_line report exit=1
expect_line report result=failure
expect_json report-envelope.json "v['status']" FAIL
expect_json report-envelope.json "v['smoke_result']['exit_code']" 7
expect_json report-envelope.json "v['escalation']['type']" POST_MERGE_SMOKE_FAILED
expect_json report-envelope.json "v['task_id']" "#102"
grep -q "post-merge smoke FAIL at ${scenario_merge:0:12}" "$scenario_out/act.log" || fail "no ::error annotation in the log"
[ -n "$(find "$scenario_out/artifacts" -name envelope.json 2>/dev/null)" ] || fail "the envelope was not uploaded"
finish_scenario

# --- TIMEOUT: likewise, with exit code 3.
run_scenario timeout 103 'echo starting; sleep 60'
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_line smoke-status TIMEOUT
expect_file_absent follow-on-status
expect_line report status=TIMEOUT
expect_line report allow=false
expect_line report exit=3
expect_line report result=failure
expect_json report-envelope.json "v['status']" TIMEOUT
expect_json report-envelope.json "v['timeout_sec']" 5
finish_scenario

# --- A smoke that forges the step outputs and kills the binary: the action's last step
# sees the binary's own exit status disagree with the forged exit code and fails closed.
# (Run as root, the smoke can read the binary's environment through /proc despite it
# being non-dumpable, as a smoke with root could on a hosted runner.)
run_scenario forge 106 'out=$(tr "\0" "\n" </proc/$PPID/environ | sed -n "s/^GITHUB_OUTPUT=//p")
printf "status=PASS\nallow-continuation=true\nexit-code=0\nstale=false\n" >>"$out"
kill -9 $PPID; sleep 5'
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_file_absent follow-on-status
expect_line report status=BLOCKED
expect_line report allow=false
expect_line report exit=70
expect_line report result=failure
grep -q "its outputs were forged" "$scenario_out/act.log" || fail "no fail-closed annotation in the log"
finish_scenario

# --- The same, forging a failing exit code (which agrees with the killed binary's outcome)
# beside a green status: the outputs disagree with each other, so no `PASS` gets through.
run_scenario forge-mixed 113 'out=$(tr "\0" "\n" </proc/$PPID/environ | sed -n "s/^GITHUB_OUTPUT=//p")
printf "status=PASS\nallow-continuation=true\nexit-code=1\nstale=false\n" >>"$out"
kill -9 $PPID; sleep 5'
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_line report status=BLOCKED
expect_line report allow=false
expect_line report exit=70
grep -q "disagree with each other" "$scenario_out/act.log" || fail "no fail-closed annotation in the log"
finish_scenario

# --- The example workflow as users get it: PASS runs `deploy`, FAIL runs `notify`.
run_scenario example-pass 104 'echo example-ok' .github/example.yml
[ "$act_rc" -eq 0 ] || fail "act exited $act_rc, want 0"
grep -q "main is green at $scenario_merge (#104); deploying" "$scenario_out/act.log" || fail "deploy did not run"
grep -q "post-merge smoke halted" "$scenario_out/act.log" && fail "notify ran on PASS"
finish_scenario

run_scenario example-fail 105 'exit 1' .github/example.yml
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
grep -q "deploying" "$scenario_out/act.log" && fail "deploy ran on FAIL"
grep -q "post-merge smoke halted follow-on merges: FAIL" "$scenario_out/act.log" || fail "notify did not run"
grep -q "the smoke exited with code 1" "$scenario_out/act.log" || fail "notify did not read the envelope output"
finish_scenario

# --- The sharded example: three matrix legs, each uploading its envelope as
# post-merge-smoke-<run id>-<attempt>-shard-<I>-of-3, and the aggregate over them.

# shard_artifact I: the envelope a leg uploaded (relative to the scenario's output), or
# nothing.
shard_artifact() {
  find "$scenario_out/artifacts" -path "*/post-merge-smoke-*-*-shard-$1-of-3/envelope.json" 2>/dev/null |
    head -n 1 | sed "s|^$scenario_out/||"
}
aggregate_artifact() {
  local found
  found=$(find "$scenario_out/artifacts" -path '*/post-merge-smoke-aggregate-*/envelope.json' 2>/dev/null | head -n 1)
  [ -n "$found" ] || { fail "the aggregate's envelope was not uploaded"; return 1; }
  echo "${found#"$scenario_out"/}"
}

# Each leg runs the smoke with its own shard in the environment; the smoke fails on the
# shard named in smoke.sh.
run_scenario sharded-pass 107 'echo "shard $SMOKE_SHARD_INDEX of $SMOKE_SHARD_TOTAL ok"' .github/sharded.yml
[ "$act_rc" -eq 0 ] || fail "act exited $act_rc, want 0"
for i in 1 2 3; do
  leg=$(shard_artifact "$i")
  if [ -z "$leg" ]; then fail "shard $i uploaded no envelope"; continue; fi
  expect_json "$leg" "v['shard']" "{'index': $i, 'total': 3}"
  expect_json "$leg" "v['status']" PASS
  expect_json "$leg" "v['smoke_result']['stdout_tail']" "shard $i of 3 ok"
done
if agg=$(aggregate_artifact); then
  expect_json "$agg" "v['status']" PASS
  expect_json "$agg" "v['allow_continuation']" True
  expect_json "$agg" "v['merge_commit']" "$scenario_merge"
  expect_json "$agg" "[(s['index'], s['status']) for s in v['shards']]" "[(1, 'PASS'), (2, 'PASS'), (3, 'PASS')]"
fi
grep -q "main is green at $scenario_merge (#107) on every shard; deploying" "$scenario_out/act.log" || fail "deploy did not run"
finish_scenario

# expect_aggregate STATUS CODE: the aggregate's envelope says STATUS, holds follow-on
# merges and lists shard 2 as STATUS beside two green shards; its verdict step said so.
expect_aggregate() {
  local agg
  if agg=$(aggregate_artifact); then
    expect_json "$agg" "v['status']" "$1"
    expect_json "$agg" "v['allow_continuation']" False
    expect_json "$agg" "[(s['index'], s['status']) for s in v['shards']]" "[(1, 'PASS'), (2, '$1'), (3, 'PASS')]"
  fi
  grep -q "post-merge-smoke: $1, exit code $2" "$scenario_out/act.log" ||
    fail "the aggregate's verdict step did not say $1"
}

run_scenario sharded-fail 108 '[ "$SMOKE_SHARD_INDEX" != 2 ] || { echo "shard 2 broke" >&2; exit 1; }' .github/sharded.yml
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_json "$(shard_artifact 2)" "v['status']" FAIL
expect_aggregate FAIL 1
grep -q "deploying" "$scenario_out/act.log" && fail "deploy ran on FAIL"
finish_scenario

# --- A shard cancelled mid-run (the runner's SIGTERM, sent here by the smoke to the binary):
# it writes BLOCKED, RUN_CANCELLED, and the aggregate over the three is never green.
run_scenario sharded-cancelled 114 '[ "$SMOKE_SHARD_INDEX" != 2 ] || { kill -TERM $PPID; sleep 30; }; echo "shard $SMOKE_SHARD_INDEX ok"' .github/sharded.yml
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
leg=$(shard_artifact 2)
if [ -n "$leg" ]; then
  expect_json "$leg" "v['status']" BLOCKED
  expect_json "$leg" "'RUN_CANCELLED' in v['decision']['reason_codes']" True
else
  fail "the cancelled shard uploaded no envelope"
fi
expect_aggregate BLOCKED 4
grep -q "deploying" "$scenario_out/act.log" && fail "deploy ran with a cancelled shard"
finish_scenario

run_scenario sharded-skipped 109 'echo "shard $SMOKE_SHARD_INDEX ok"' .github/sharded-skip.yml
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
[ -z "$(shard_artifact 2)" ] || fail "the skipped shard uploaded an envelope"
expect_aggregate BLOCKED 4
if agg=$(aggregate_artifact); then
  expect_json "$agg" "'SHARD_MISSING' in v['decision']['reason_codes']" True
fi
grep -q "deploying" "$scenario_out/act.log" && fail "deploy ran with a shard missing"
finish_scenario

# --- Installing without a binary on PATH: the first run builds and saves the build to the
# cache (actions/cache served from tests/act/cache), the second restores it and compiles
# nothing; with neither cargo nor a release nor a cached build, the install fails and
# says so.

# The PATH of a runner without post-merge-smoke and without cargo: a folder on PATH that
# holds either stands in as a folder of links to everything else in it.
bare_path=""
IFS=: read -r -a path_dirs <<<"$PATH"
for i in "${!path_dirs[@]}"; do
  dir=${path_dirs[$i]}
  [ -n "$dir" ] && [ -d "$dir" ] || continue
  if [ -e "$dir/post-merge-smoke" ] || [ -e "$dir/cargo" ]; then
    mkdir -p "$work/path/$i"
    for entry in "$dir"/*; do
      case "${entry##*/}" in post-merge-smoke | cargo) ;; *) ln -s "$entry" "$work/path/$i/" ;; esac
    done
    dir="$work/path/$i"
  fi
  bare_path="${bare_path:+$bare_path:}$dir"
done
# A stand-in for cargo: it checks that it was asked for the action's release build and
# puts the binary under test where that build would leave it (a real release build takes
# minutes here, and what is measured is the route after it). Each call is logged in the
# scenario's output.
mkdir -p "$work/fake-cargo"
cat >"$work/fake-cargo/cargo" <<SH
#!/usr/bin/env bash
set -euo pipefail
echo "cargo \$*" >>"\$PMS_E2E_OUT/cargo-calls"
echo "fake cargo: \$*"
[ "\${1:-}" = build ] || { echo "fake cargo: not a build" >&2; exit 101; }
manifest="" target_dir="" release=false locked=false
while [ \$# -gt 0 ]; do
  case "\$1" in
    --manifest-path) manifest=\$2; shift ;;
    --target-dir) target_dir=\$2; shift ;;
    --release) release=true ;;
    --locked) locked=true ;;
  esac
  shift
done
[ "\$release" = true ] && [ "\$locked" = true ] || { echo "fake cargo: want --release --locked" >&2; exit 101; }
[ -f "\$manifest" ] && [ -f "\$(dirname "\$manifest")/Cargo.lock" ] || { echo "fake cargo: no manifest at \$manifest" >&2; exit 101; }
mkdir -p "\$target_dir/release"
cp "$work/bin/post-merge-smoke" "\$target_dir/release/post-merge-smoke"
SH
chmod +x "$work/fake-cargo/cargo"

# install_seconds: the install steps' time in the scenario's act log (find, restore, build).
install_seconds() {
  python3 - "$scenario_out/act.log" <<'PY'
import re, sys
total = 0.0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"(?:Success|Failure) - Main (?:Install|Restore a cached build of|Build) post-merge-smoke \[([0-9.]+)(µs|ms|s)\]", line)
    if m:
        total += float(m.group(1)) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
print(f"{total:.2f}")
PY
}

scenario_path="$bare_path:$work/fake-cargo"
scenario_cache="$work/actions-cache"
run_scenario cache-build 110 'echo built-ok'
[ "$act_rc" -eq 0 ] || fail "act exited $act_rc, want 0"
expect_line smoke-status PASS
[ "$(wc -l <"$scenario_out/cargo-calls" 2>/dev/null)" = 1 ] || fail "the first run did not build once"
grep -q "built from source; saved to the cache" "$scenario_out/act.log" || fail "the install log does not say it built"
grep -q "stand-in cache: saved .* as post-merge-smoke-bin-v1-" "$scenario_out/act.log" || fail "the build was not saved to the cache"
echo "act-e2e: [cache-build] install steps took $(install_seconds) s (the fake cargo copies a prebuilt binary)"
finish_scenario

run_scenario cache-restore 111 'echo restored-ok'
[ "$act_rc" -eq 0 ] || fail "act exited $act_rc, want 0"
expect_line smoke-status PASS
expect_json smoke-envelope.json "v['smoke_result']['stdout_tail']" restored-ok
expect_file_absent cargo-calls
grep -q "stand-in cache: restored post-merge-smoke-bin-v1-" "$scenario_out/act.log" || fail "nothing was restored from the cache"
grep -q "restored from the cache, built earlier from this action's source" "$scenario_out/act.log" ||
  fail "the install log does not say it used the cached build"
grep -q "building from the action's source" "$scenario_out/act.log" && fail "the second run built again"
echo "act-e2e: [cache-restore] install steps took $(install_seconds) s"
finish_scenario

scenario_path=$bare_path
scenario_cache="$work/empty-cache"
run_scenario install-fails 112 'echo never-runs'
[ "$act_rc" -ne 0 ] || fail "act exited 0, want a failed job"
expect_line smoke-status BLOCKED
expect_line report status=BLOCKED
expect_line report allow=false
expect_line report exit=70
expect_file_absent follow-on-status
grep -q "post-merge-smoke: install failed::no binary on PATH, no release to download (dist/checksums.txt lists no release" "$scenario_out/act.log" ||
  fail "the install step does not say what failed"
grep -q "set the input 'version' to a release listed in the action's dist/checksums.txt, put post-merge-smoke on PATH before this step, or make cargo available" "$scenario_out/act.log" ||
  fail "the install step does not say what to do"
grep -q "the binary could not be installed" "$scenario_out/act.log" || fail "the verdict step does not name the install"
grep -q "the binary wrote no verdict" "$scenario_out/act.log" && fail "the verdict step blames the binary, not the install"
finish_scenario
scenario_path=$PATH
scenario_cache=""

echo "act-e2e: all scenarios passed (PASS, FAIL, TIMEOUT, two kinds of forged outputs, the example workflow, the sharded example (a red, a skipped and a cancelled shard), the cached install, a failed install) in $((SECONDS - started)) s"
