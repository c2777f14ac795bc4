//! A GitHub that fails: server errors and rate limits retried within bounds (a long
//! `retry-after` is not waited for), and a dead API that changes neither verdict nor exit
//! code, only the notifications.

use std::time::{Duration, Instant};

use serde_json::json;

use super::answers::{pull_list, status_reply};
use super::fake::{Answer, FakeGitHub};
use super::harness::{TOKEN, assert_token_hidden, github, notification};
use crate::common::{Repo, envelope_file, run_envelope};

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_within_bounds() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Plain");
    let sha = repo.head();
    let statuses = format!("/repos/o/r/statuses/{sha}");
    let pulls = format!("/repos/o/r/commits/{sha}/pulls");
    gh.get(&pulls, pull_list(&[])).await;
    gh.answer("POST", &statuses, Answer::empty(503)).times(1).await;
    let slow_down = Answer::json(429, json!({"message": "slow down"})).header("retry-after", "1");
    gh.answer("POST", &statuses, slow_down).times(1).await;
    gh.post(&statuses, 201, status_reply(&sha, "success", "post-merge-smoke"))
        .when_body(json!({"state": "success", "context": "post-merge-smoke"}))
        .expect(1)
        .await;
    let started = Instant::now();
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &gh).args(["--commit-status", "--command", "true"]));
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "commit_status")["ok"], true, "{env}");
    assert_eq!(gh.received("POST", &statuses).len(), 3);
    assert!(took >= Duration::from_secs(1), "retry-after was honoured: {took:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");

    // Always failing: a bounded number of attempts, then a notification, verdict unchanged.
    gh.reset().await;
    gh.get(&pulls, pull_list(&[])).await;
    gh.answer("POST", &statuses, Answer::empty(502)).expect(4).await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &gh).args(["--commit-status", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    let note = notification(&env, "commit_status");
    assert_eq!(note["ok"], false);
    assert!(note["error"].as_str().unwrap().contains("answered 502"), "{note}");
    gh.verify().await;

    // A rate limit longer than allowed is not waited for.
    gh.reset().await;
    gh.get(&pulls, pull_list(&[])).await;
    gh.answer("POST", &statuses, Answer::empty(429).header("retry-after", "3600")).expect(1).await;
    let started = Instant::now();
    let mut cmd = repo.run();
    let (_, env) = run_envelope(github(&mut cmd, &gh).args(["--commit-status", "--command", "true"]));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(notification(&env, "commit_status")["error"].as_str().unwrap().contains("rate limited"));
    gh.verify().await;
}

#[test]
fn a_dead_api_changes_neither_verdict_nor_exit_code() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (command, status, code) in [("exit 1", "FAIL", 1), ("true", "PASS", 0)] {
        let repo = Repo::with_origin("Change (#3)");
        let output = repo.tmp.path().join("out/envelope.json");
        let started = Instant::now();
        let mut cmd = repo.run();
        cmd.env("GITHUB_API_URL", format!("http://127.0.0.1:{port}"))
            .env("GITHUB_REPOSITORY", "o/r")
            .env("GITHUB_TOKEN", TOKEN)
            .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20")
            .args(["--commit-status", "--escalation-issue", "--gate", "--command", command])
            .arg("--output")
            .arg(&output);
        let (out, env) = run_envelope(&mut cmd);
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
        assert_eq!(out.status.code(), Some(code));
        assert_eq!(env["status"], status);
        let notifications = env["notifications"].as_array().unwrap();
        let kinds: Vec<&str> = notifications.iter().map(|n| n["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["culprit", "commit_status", "escalation_issue", "gate"]);
        assert!(notifications.iter().all(|n| n["ok"] == false && n["error"].is_string()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("warning: GitHub commit status"), "{stderr}");
        assert_eq!(envelope_file(&output), env);
        assert_token_hidden(&out, &[&output]);
    }
}
