//! A sharded run publishes once: the shards tell GitHub nothing (their flags are ignored
//! with a notice), and the aggregate sets the commit status and opens the escalation issue
//! exactly once, as `run` would.

use serde_json::json;

use super::answers::{combined, issue, pull, pull_list, status_reply};
use super::fake::FakeGitHub;
use super::harness::{github, notification};
use crate::common::{bin, run_envelope};
use crate::shards::areas;

#[tokio::test]
async fn the_shards_publish_nothing_and_the_aggregate_publishes_once() {
    let gh = FakeGitHub::start().await;
    let repo = areas();
    let dir = repo.tmp.path().join("envelopes");
    gh.get(format!("/repos/o/r/commits/{}/pulls", repo.head()), pull_list(&[])).await;
    gh.never("POST", "^/repos/o/r/(statuses|issues)").await;
    let flags =
        ["--commit-status", "--escalation-issue", "--gate", "--retries", "0", "--bisect-max-probes", "0"];
    for index in 1..=3 {
        let shard_flag = format!("{index}/3");
        let out = dir.join(format!("shard-{index}/envelope.json"));
        let mut cmd = repo.run();
        github(&mut cmd, &gh)
            .args(["--skip-stale-check", "--quiet", "--shard", &shard_flag, "--output"])
            .arg(&out)
            .args(flags);
        if index == 2 {
            cmd.args(["--", "sh", "-c", "exit 1"]);
        }
        let (out, env) = run_envelope(&mut cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--commit-status is ignored on a shard"), "{stderr}");
        assert_eq!(env["notifications"].as_array().map(Vec::len), Some(1), "only the culprit look-up: {env}");
    }
    gh.verify().await;

    gh.reset().await;
    gh.post(
        format!("/repos/o/r/statuses/{}", repo.head()),
        201,
        status_reply(&repo.head(), "failure", "post-merge-smoke"),
    )
    .when_body(json!({"state": "failure", "context": "post-merge-smoke"}))
    .expect(1)
    .await;
    gh.get("/repos/o/r/issues", json!([])).await;
    gh.post("/repos/o/r/issues", 201, issue(31, "created")).expect(1).await;
    let mut cmd = bin();
    github(&mut cmd, &gh)
        .current_dir(&dir)
        .args(["aggregate", "--shards", "3", "--commit-status", "--escalation-issue", "--envelopes"])
        .arg(&dir);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(notification(&env, "commit_status")["ok"], true, "{env}");
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    gh.verify().await;
}

/// The aggregate sets the gate as `run` does: a red shard holds every open pull request.
#[tokio::test]
async fn the_aggregate_gates_open_pull_requests_on_a_red_shard() {
    let gh = FakeGitHub::start().await;
    let repo = areas();
    let dir = repo.tmp.path().join("envelopes");
    for index in 1..=3 {
        let shard_flag = format!("{index}/3");
        let out = dir.join(format!("shard-{index}/envelope.json"));
        let mut cmd = repo.run();
        cmd.args(["--skip-stale-check", "--quiet", "--retries", "0", "--bisect-max-probes", "0", "--shard"])
            .arg(&shard_flag)
            .arg("--output")
            .arg(&out);
        if index == 3 {
            cmd.args(["--", "sh", "-c", "exit 1"]);
        }
        run_envelope(&mut cmd);
    }
    let head = "e".repeat(40);
    gh.get("/repos/o/r/pulls", pull_list(&[pull(9, &head, None, "main")])).await;
    gh.get(format!("/repos/o/r/commits/{head}/status"), combined(&head, &[])).await;
    gh.post(format!("/repos/o/r/statuses/{head}"), 201, status_reply(&head, "failure", "main-health"))
        .when_body(json!({"state": "failure", "context": "main-health"}))
        .expect(1)
        .await;
    let mut cmd = bin();
    github(&mut cmd, &gh)
        .current_dir(&dir)
        .args(["aggregate", "--shards", "3", "--gate", "--envelopes"])
        .arg(&dir);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!((out.status.code(), env["status"].as_str()), (Some(1), Some("FAIL")));
    assert_eq!(notification(&env, "gate")["ok"], true, "{env}");
    gh.verify().await;
}
