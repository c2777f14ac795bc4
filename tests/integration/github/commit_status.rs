//! `run --commit-status`: the merge commit gets a status whose state, description and
//! target URL say what the smoke did, sent with the token and never showing it.

use serde_json::json;

use super::answers::{pull_list, status_reply};
use super::fake::FakeGitHub;
use super::harness::{RUN_URL, TOKEN, assert_token_hidden, github, notification, stderr};
use crate::common::{Repo, run_envelope};

#[tokio::test]
async fn commit_status_carries_state_description_and_run_url() {
    for (command, state, code) in [("true", "success", 0), ("echo broken >&2; exit 3", "failure", 1)] {
        let gh = FakeGitHub::start().await;
        let repo = Repo::with_origin("Plain commit");
        let sha = repo.head();
        let statuses = format!("/repos/o/r/statuses/{sha}");
        gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
        gh.post(&statuses, 201, status_reply(&sha, state, "smoke/ci"))
            .with_token(TOKEN)
            .when_body(json!({"state": state, "context": "smoke/ci", "target_url": RUN_URL}))
            // A confirmed failure is told before the search for the first bad merge, and after.
            .expect(if code == 0 { 1 } else { 2 })
            .await;
        let output = repo.tmp.path().join("envelope.json");
        let mut cmd = repo.run();
        github(&mut cmd, &gh).args(["--commit-status", "--status-context", "smoke/ci", "--command", command]);
        let (out, env) = run_envelope(cmd.arg("--output").arg(&output));
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert_eq!(notification(&env, "commit_status")["ok"], true);
        assert_eq!(notification(&env, "culprit")["ok"], true);
        let posted = gh.received("POST", &statuses);
        let description = posted[0].json()["description"].as_str().unwrap().to_owned();
        assert!(description.chars().count() <= 140);
        let expected = if code == 0 { "PASS in " } else { "FAIL after " };
        assert!(description.starts_with(expected), "{description}");
        if code == 1 {
            assert!(description.ends_with("(exit code 3)"), "{description}");
        }
        crate::common::envelope_file(&output);
        assert_token_hidden(&out, &[&output]);
        gh.verify().await;
    }
}

/// A merge queue's run (`merge_group`, a real payload) sets its commit status on the
/// queue's commit, where the queue's required check reads it, and opens no issue.
#[tokio::test]
async fn a_merge_queue_run_sets_the_status_on_the_queue_commit() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Queue entry (#2048)");
    let sha = repo.head();
    let text = std::fs::read_to_string(crate::common::fixture("events/merge-group-checks-requested.json"))
        .expect("fixture");
    let mut payload: serde_json::Value = serde_json::from_str(&text).expect("json");
    payload["merge_group"]["head_sha"] = json!(sha);
    let event = repo.tmp.path().join("merge_group.json");
    std::fs::write(&event, payload.to_string()).expect("write");
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    let statuses = format!("/repos/o/r/statuses/{sha}");
    gh.post(&statuses, 201, status_reply(&sha, "success", "post-merge-smoke"))
        .with_token(TOKEN)
        .when_body(json!({"state": "success", "context": "post-merge-smoke"}))
        .expect(1)
        .await;
    let mut cmd = repo.run();
    github(&mut cmd, &gh)
        .env("GITHUB_EVENT_NAME", "merge_group")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", &sha)
        .env(
            "GITHUB_REF",
            "refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64",
        )
        .args(["--quiet", "--commit-status", "--escalation-issue", "--command", "true"]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(notification(&env, "commit_status")["ok"], true);
    assert!(
        env["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .all(|n| n["kind"] != "escalation_issue"),
        "{}",
        env["notifications"]
    );
    assert!(gh.received_all().iter().all(|r| !r.path.contains("/issues")), "an issue was touched");
    gh.verify().await;
}
