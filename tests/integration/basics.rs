//! Statuses, exit codes and the envelope for the plain cases of the contract: the packet,
//! the fingerprint, the missing-smoke policy, continuation signals, and exactly the fields
//! and strings the schema allows.

use serde_json::{Value, json};

use crate::common::{Repo, run_envelope, schema_errors, shipped_schema};

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

/// The shipped schema with every object closed: a field the schema does not name fails.
fn closed(mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut() {
        if object.contains_key("properties") && !object.contains_key("additionalProperties") {
            object.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
        for (_, child) in object.iter_mut() {
            *child = closed(child.take());
        }
    }
    if let Some(items) = schema.as_array_mut() {
        for child in items {
            *child = closed(child.take());
        }
    }
    schema
}

#[test]
fn the_envelope_carries_exactly_the_fields_of_the_schema() {
    // Every envelope is checked against the shipped schema; here no object may carry a
    // field the schema (generated from the wire types) does not name.
    let closed = jsonschema::draft202012::new(&closed(shipped_schema())).expect("a valid schema");
    let repo = Repo::new("init");
    for args in [&["--command", "echo hi"][..], &["--command", "exit 3"], &["--dry-run"]] {
        let (_, value) = run_envelope(repo.run().arg("--skip-stale-check").args(args));
        let errors = schema_errors(&closed, &value);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        // The frozen six fields, exactly.
        let keys: Vec<&str> = value["smoke_result"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["command", "passed", "exit_code", "stdout_tail", "stderr_tail", "failure_reason"]);
    }
    let mut extra = run_envelope(repo.run().args(["--skip-stale-check", "--dry-run"])).1;
    extra["ci"]["unknown"] = json!(1);
    assert!(!schema_errors(&closed, &extra).is_empty(), "a closed schema rejects an unknown field");
}

#[test]
fn enum_values_are_the_exact_contract_strings() {
    // The schema is generated from the wire types, and every envelope a test reads is
    // checked against it: these are the only strings the binary can write.
    let schema = shipped_schema();
    let values = |name: &str| schema["$defs"][name]["enum"].clone();
    assert_eq!(values("Status"), json!(["PASS", "FAIL", "TIMEOUT", "SKIPPED", "BLOCKED"]));
    assert_eq!(values("Decision"), json!(["ALLOW_CONTINUATION", "HALT"]));
    assert_eq!(values("StaleCheck"), json!(["checked", "skipped", "unavailable"]));
    assert_eq!(values("CommandSource"), json!(["cli", "task_file", "registry", "none"]));
    let reasons = schema["$defs"]["ReasonCode"]["oneOf"].as_array().expect("reason codes");
    assert_eq!(
        reasons[0]["enum"],
        json!([
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
        ])
    );
    // Those of sections 8-10, and the two added beside the contract's.
    let added: Vec<&Value> = reasons[1..].iter().map(|r| &r["const"]).collect();
    let want = [
        "NOT_A_MERGE_PUSH",
        "EVENT_PAYLOAD_INVALID",
        "SMOKE_FLAKY",
        "SMOKE_QUARANTINED",
        "MAIN_ALREADY_RED",
        "SHARD_EMPTY",
        "SHARD_MISSING",
        "SHARD_MISMATCH",
    ]
    .map(|code| json!(code));
    assert_eq!(added, want.iter().collect::<Vec<_>>());
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
