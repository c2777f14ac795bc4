//! Statuses, exit codes and the envelope for the plain cases of the contract.

use post_merge_smoke::envelope::Envelope;

use crate::common::{Repo, run_envelope};

#[test]
fn passing_smoke_is_pass_and_allows_continuation() {
    let repo = Repo::with_origin("Add feature (#41)");
    let (out, env) = run_envelope(repo.run().args(["--command", "echo smoke-ok"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["stale_check"], "checked");
    assert_eq!(env["main_head"], repo.head());
    assert_eq!(env["merge_commit"], repo.head());
    assert_eq!(env["task_id"], "#41");
    assert_eq!(env["smoke_result"]["stdout_tail"], "smoke-ok\n");
    assert_eq!(env["escalation"], serde_json::Value::Null);
}

#[test]
fn failing_smoke_builds_the_critical_7_packet_with_the_merge_commit() {
    let repo = Repo::with_origin("Break things (#13)");
    let (out, env) = run_envelope(repo.run().args(["--command", "echo out; echo boom >&2; exit 2"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["smoke_result"]["passed"], false);
    assert_eq!(env["smoke_result"]["exit_code"], 2);
    let packet = &env["escalation"];
    assert_eq!(packet["type"], "POST_MERGE_SMOKE_FAILED");
    assert_eq!(packet["critical"], 7);
    assert_eq!(packet["severity"], "critical");
    assert_eq!(packet["status"], "FAIL");
    assert_eq!(packet["merge_commit"], repo.head());
    assert_eq!(packet["task_id"], "#13");
    assert_eq!(packet["evidence"]["exit_code"], 2);
    assert_eq!(packet["evidence"]["stderr_tail"], "boom\n");
    assert_eq!(packet["evidence"]["stdout_tail"], "out\n");
    assert!(packet["fingerprint"].as_str().is_some_and(|f| f.starts_with("pms-")));
    assert!(packet["summary"].as_str().is_some_and(|s| s.contains("FAIL") && s.contains("#13")));
}

#[test]
fn the_fingerprint_is_the_same_for_the_same_breakage_and_differs_for_another() {
    let repo = Repo::new("init");
    let fp = |command: &str| {
        let (_, env) = run_envelope(
            repo.run()
                .args(["--skip-stale-check", "--timeout", "1", "--kill-grace", "0"])
                .args(["--command", command]),
        );
        env["escalation"]["fingerprint"].as_str().unwrap_or_default().to_owned()
    };
    let first = fp("exit 1");
    repo.commit_file("x", "y", "another merge");
    assert_eq!(first, fp("exit 1"), "a later merge with the same breakage");
    assert_ne!(first, fp("exit 2; # other command"));
    assert_ne!(fp("sleep 5"), fp("sleep 5; exit 1"));
}

#[test]
fn timeout_builds_the_packet_too() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args([
        "--skip-stale-check",
        "--timeout",
        "1",
        "--kill-grace",
        "1",
        "--command",
        "sleep 60",
    ]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(env["status"], "TIMEOUT");
    assert_eq!(env["escalation"]["type"], "POST_MERGE_SMOKE_FAILED");
    assert_eq!(env["escalation"]["status"], "TIMEOUT");
    assert_eq!(env["escalation"]["evidence"]["timeout_sec"], 1);
    assert_eq!(env["escalation"]["merge_commit"], repo.head());
    assert_eq!(env["smoke_result"]["exit_code"], serde_json::Value::Null);
}

#[test]
fn missing_smoke_is_skipped_with_dry_run_and_blocked_without() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--dry-run"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("SKIPPED"), Some(0)));
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["decision"]["reason_codes"], serde_json::json!(["SMOKE_SKIPPED_DRY_RUN"]));
    assert_eq!(env["smoke_command_source"], "none");
    assert_eq!(env["duration_ms"], 0);
    assert_eq!(env["escalation"], serde_json::Value::Null);

    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["decision"]["reason_codes"], serde_json::json!(["SMOKE_COMMAND_MISSING"]));
    assert_eq!(env["escalation"], serde_json::Value::Null);
}

#[test]
fn dry_run_still_runs_a_defined_smoke() {
    let repo = Repo::new("init");
    let (out, env) =
        run_envelope(repo.run().args(["--skip-stale-check", "--dry-run", "--command", "exit 1"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("FAIL"), Some(1)));
    assert_eq!(env["dry_run"], true);
}

#[test]
fn the_envelope_round_trips_through_the_wire_types() {
    let repo = Repo::new("init");
    for args in [&["--command", "echo hi"][..], &["--command", "exit 3"], &["--dry-run"]] {
        let (_, value) = run_envelope(repo.run().arg("--skip-stale-check").args(args));
        let typed: Envelope = serde_json::from_value(value.clone()).expect("parses as the wire type");
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
        // The frozen six fields, exactly.
        let keys: Vec<&str> = value["smoke_result"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["command", "passed", "exit_code", "stdout_tail", "stderr_tail", "failure_reason"]);
    }
}

#[test]
fn enum_values_are_the_exact_contract_strings() {
    use post_merge_smoke::envelope::{CommandSource, Decision, ReasonCode, StaleCheck, Status};
    let s = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let statuses = [Status::Pass, Status::Fail, Status::Timeout, Status::Skipped, Status::Blocked];
    let names: Vec<String> = statuses.iter().map(|v| s(serde_json::to_value(v).unwrap())).collect();
    assert_eq!(names, ["PASS", "FAIL", "TIMEOUT", "SKIPPED", "BLOCKED"]);
    assert_eq!(s(serde_json::to_value(Decision::AllowContinuation).unwrap()), "ALLOW_CONTINUATION");
    assert_eq!(s(serde_json::to_value(Decision::Halt).unwrap()), "HALT");
    let checks = [StaleCheck::Checked, StaleCheck::Skipped, StaleCheck::Unavailable];
    let names: Vec<String> = checks.iter().map(|v| s(serde_json::to_value(v).unwrap())).collect();
    assert_eq!(names, ["checked", "skipped", "unavailable"]);
    let sources = [CommandSource::Cli, CommandSource::TaskFile, CommandSource::Registry, CommandSource::None];
    let names: Vec<String> = sources.iter().map(|v| s(serde_json::to_value(v).unwrap())).collect();
    assert_eq!(names, ["cli", "task_file", "registry", "none"]);
    let reasons = [
        ReasonCode::PostMergeSmokePass,
        ReasonCode::PostMergeSmokeFail,
        ReasonCode::PostMergeSmokeTimeout,
        ReasonCode::SmokeSkippedDryRun,
        ReasonCode::SmokeCommandMissing,
        ReasonCode::MainHeadStale,
        ReasonCode::StaleCheckUnavailable,
        ReasonCode::WorktreeMismatch,
        ReasonCode::SmokeConfigInvalid,
        ReasonCode::RunCancelled,
    ];
    let names: Vec<String> = reasons.iter().map(|v| s(serde_json::to_value(v).unwrap())).collect();
    assert_eq!(
        names,
        [
            "POST_MERGE_SMOKE_PASS",
            "POST_MERGE_SMOKE_FAIL",
            "POST_MERGE_SMOKE_TIMEOUT",
            "SMOKE_SKIPPED_DRY_RUN",
            "SMOKE_COMMAND_MISSING",
            "MAIN_HEAD_STALE",
            "STALE_CHECK_UNAVAILABLE",
            "WORKTREE_MISMATCH",
            "SMOKE_CONFIG_INVALID",
            "RUN_CANCELLED"
        ]
    );
}

/// repository, flags -> status, allow_continuation, stale, exit code.
type Case<'a> = (&'a Repo, &'a [&'a str], &'a str, bool, bool, i32);

#[test]
fn continuation_signals_for_every_status_stale_included() {
    let repo = Repo::with_origin("init");
    let stale = Repo::with_origin("init");
    stale.commit_file("x", "local", "ahead of origin");
    #[rustfmt::skip]
    let cases: [Case; 9] = [
        (&repo, &["--command", "true"], "PASS", true, false, 0),
        (&stale, &["--command", "true"], "PASS", false, true, 5),
        (&repo, &["--command", "false"], "FAIL", false, false, 1),
        (&stale, &["--command", "false"], "FAIL", false, true, 1),
        (&repo, &["--timeout", "1", "--kill-grace", "0", "--command", "sleep 9"], "TIMEOUT", false, false, 3),
        (&repo, &["--dry-run"], "SKIPPED", true, false, 0),
        (&stale, &["--dry-run"], "SKIPPED", false, true, 5),
        (&repo, &[], "BLOCKED", false, false, 4),
        (&stale, &[], "BLOCKED", false, true, 4),
    ];
    for (repo, args, status, allow, is_stale, code) in cases {
        let (out, env) = run_envelope(repo.run().args(args));
        let label = format!("{args:?} stale={is_stale}");
        assert_eq!(env["status"], status, "{label}");
        assert_eq!(env["allow_continuation"], allow, "{label}");
        assert_eq!(env["stale"], is_stale, "{label}");
        assert_eq!(out.status.code(), Some(code), "{label}");
        let decision = if allow { "ALLOW_CONTINUATION" } else { "HALT" };
        assert_eq!(env["decision"]["decision"], decision, "{label}");
    }
}
