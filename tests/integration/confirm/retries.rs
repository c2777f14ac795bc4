//! Retries on the same commit: a failure runs again up to `--retries` more times and stops
//! at the first pass; a failure then a pass is flaky (PASS by default, FAIL with
//! `--flaky-verdict fail`); timeouts are retried only with `--retry-timeouts`; an attempt
//! that changed tracked files ends the retries; `duration_ms` adds up the attempts.

use serde_json::Value;

use super::project::{codes, counter, project_repo, pytest, reason, run, scripted, statuses};
use crate::common::{Repo, run_envelope};

/// pytest on the passing test and the flaky one, whose first run fails.
fn flaky_pytest(repo: &Repo) -> assert_cmd::Command {
    let mut cmd = run(repo);
    cmd.env("SMOKE_FLAKY_COUNTER", counter(repo))
        .env("SMOKE_FLAKY_FAILS", "1")
        .args(["--command", &format!("{} tests/test_ok.py tests/test_flaky.py", pytest())]);
    cmd
}

fn runs_counted(repo: &Repo) -> String {
    std::fs::read_to_string(counter(repo)).expect("counter file").trim().to_owned()
}

fn attempts_millis(env: &Value) -> u64 {
    env["attempts"].as_array().expect("attempts").iter().map(|a| a["duration_ms"].as_u64().expect("ms")).sum()
}

#[test]
fn a_failure_then_a_pass_is_a_flaky_pass() {
    let repo = project_repo("pytest-smoke");
    let (out, env) = run_envelope(&mut flaky_pytest(&repo));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["flaky"], true);
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_PASS", "SMOKE_FLAKY"]);
    assert_eq!(statuses(&env), ["FAIL", "PASS"]);
    let first = &env["attempts"][0];
    assert_eq!(first["exit_code"], 1);
    assert_eq!(first["failing_tests"], serde_json::json!(["tests/test_flaky.py::test_flaky"]));
    assert!(first["failure_reason"].as_str().is_some_and(|r| r.contains("tests/test_flaky.py::test_flaky")));
    assert_eq!(env["attempts"][1]["failing_tests"], serde_json::json!([]));
    assert_eq!(env["attempts"][1]["failure_reason"], Value::Null);
    // The result is the passing attempt's; nothing to escalate.
    assert_eq!(env["smoke_result"]["passed"], true);
    assert_eq!(env["smoke_result"]["exit_code"], 0);
    assert_eq!(env["escalation"], Value::Null);
    let smoke = &env["smokes"][0];
    assert_eq!((smoke["status"].as_str(), smoke["flaky"].as_bool()), (Some("PASS"), Some(true)));
    assert_eq!(smoke["attempts"], env["attempts"]);
    assert_eq!(runs_counted(&repo), "2", "stops at the first pass");
}

#[test]
fn flaky_verdict_fail_makes_the_same_flake_a_failure_that_is_escalated() {
    let repo = project_repo("pytest-smoke");
    let (out, env) = run_envelope(flaky_pytest(&repo).args(["--flaky-verdict", "fail"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["flaky"], true);
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_FAIL", "SMOKE_FLAKY"]);
    assert_eq!(statuses(&env), ["FAIL", "PASS"]);
    // The failing attempt decides: its exit code, its failing test.
    assert_eq!(env["smoke_result"]["passed"], false);
    assert_eq!(env["smoke_result"]["exit_code"], 1);
    assert!(reason(&env).contains("--flaky-verdict fail"), "{}", reason(&env));
    assert_eq!(env["failures"]["source"], "output");
    assert_eq!(env["failures"]["tests"][0]["id"], "tests/test_flaky.py::test_flaky");
    let packet = &env["escalation"];
    assert_eq!(packet["type"], "POST_MERGE_SMOKE_FAILED");
    assert_eq!(packet["status"], "FAIL");
    assert_eq!(packet["evidence"]["exit_code"], 1);
}

#[test]
fn a_smoke_that_always_fails_is_confirmed_by_three_attempts() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(run(&repo).args(["--command", "echo boom; exit 1"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["flaky"], false);
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_FAIL"]);
    assert_eq!(statuses(&env), ["FAIL", "FAIL", "FAIL"]);
    let numbers: Vec<&Value> =
        env["attempts"].as_array().expect("attempts").iter().map(|a| &a["attempt"]).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(reason(&env).contains("confirmed: all 3 attempts failed"), "{}", reason(&env));
    assert_eq!(env["duration_ms"], attempts_millis(&env), "the envelope's duration is the attempts' sum");
    assert_eq!(env["smokes"][0]["duration_ms"], attempts_millis(&env));
    assert_eq!(env["escalation"]["evidence"]["duration_ms"], env["duration_ms"]);
}

#[test]
fn retries_zero_runs_once_and_the_variable_sets_the_count() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(run(&repo).args(["--retries", "0", "--command", "exit 1"]));
    assert_eq!((out.status.code(), statuses(&env)), (Some(1), vec!["FAIL"]));
    assert!(!reason(&env).contains("confirmed"), "{}", reason(&env));
    assert_eq!(env["duration_ms"], attempts_millis(&env));

    let (_, env) =
        run_envelope(run(&repo).env("POST_MERGE_SMOKE_RETRIES", "1").args(["--command", "exit 1"]));
    assert_eq!(statuses(&env), ["FAIL", "FAIL"]);
}

#[test]
fn a_timeout_is_not_retried_by_default() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(scripted(&repo, "T P").args(["--timeout", "1", "--kill-grace", "0"]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(env["status"], "TIMEOUT");
    assert_eq!(statuses(&env), ["TIMEOUT"]);
    assert_eq!(env["attempts"][0]["exit_code"], Value::Null);
    assert_eq!(env["escalation"]["status"], "TIMEOUT");
}

#[test]
fn retry_timeouts_runs_a_timed_out_smoke_again() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(scripted(&repo, "T P").args([
        "--timeout",
        "1",
        "--kill-grace",
        "0",
        "--retry-timeouts",
    ]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(statuses(&env), ["TIMEOUT", "PASS"]);
    assert_eq!(env["flaky"], true);
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_PASS", "SMOKE_FLAKY"]);
}

#[test]
fn an_attempt_that_changed_tracked_files_is_not_retried() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(run(&repo).args(["--command", "echo more >> README.md; exit 1"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(statuses(&env), ["FAIL"], "no attempt runs on a changed tree");
    let why = reason(&env);
    assert!(why.contains("not retried") && why.contains("changed tracked files"), "{why}");
    assert!(why.contains("`README.md`"), "names the file: {why}");
    assert_eq!(env["smokes"][0]["failure_reason"], env["smoke_result"]["failure_reason"]);
}

#[test]
fn an_attempt_that_only_wrote_untracked_files_is_retried() {
    let repo = Repo::new("init");
    let (_, env) = run_envelope(run(&repo).args(["--command", "date >> build.log; exit 1"]));
    assert_eq!(statuses(&env), ["FAIL", "FAIL", "FAIL"]);
    assert!(!reason(&env).contains("not retried"), "{}", reason(&env));
}
