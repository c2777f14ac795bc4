//! `post-merge-smoke gate --pull-request`: main's health mirrored onto one pull request
//! (`pull_request_target`) or onto a merge queue's commit (`merge_group`, a real payload),
//! nothing for a queue into another branch, and a reason for a malformed payload.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use super::answers::{combined, pull, status_reply};
use super::fake::FakeGitHub;
use super::harness::{RUN_URL, TOKEN, assert_token_hidden, gate_report, github, stderr};
use crate::common::{bin, fixture};

/// The combined status of main's head: one status of `context` in `state` that said `said`.
fn main_status(context: &str, state: &str, said: &str) -> Value {
    let mut status = combined("9".repeat(40).as_str(), &[(context, state)]);
    status["statuses"][0]["description"] = json!(said);
    status
}

#[tokio::test]
async fn gate_pull_request_mirrors_main_s_health_onto_the_pull_request() {
    let gh = FakeGitHub::start().await;
    let tmp = tempfile::TempDir::new().unwrap();
    let head = "f".repeat(40);
    let event = json!({
        "action": "opened", "number": 15,
        "pull_request": pull(15, &head, None, "trunk"),
        "repository": {"id": 1, "name": "r", "full_name": "o/r", "default_branch": "trunk"}
    });
    let event_path = tmp.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let red = main_status("post-merge-smoke", "failure", "FAIL after 1.0s (exit code 1)");
    gh.get("/repos/o/r/commits/trunk/status", red).expect(1).await;
    gh.get(format!("/repos/o/r/commits/{head}/status"), combined(&head, &[])).await;
    gh.post(format!("/repos/o/r/statuses/{head}"), 201, status_reply(&head, "failure", "main-health"))
        .when_body(json!({"state": "failure", "context": "main-health", "target_url": RUN_URL,
                          "description": "main is red: FAIL after 1.0s (exit code 1); merges held"}))
        .expect(1)
        .await;
    let mut cmd = bin();
    github(&mut cmd, &gh)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_EVENT_NAME", "pull_request_target");
    let out = cmd.args(["gate", "--pull-request"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(gate_report(&out)["updated"], json!([15]));
    gh.verify().await;
}

/// A real `merge_group` payload (npm `@octokit/webhooks-examples`, trimmed), its base
/// changed to `base_ref`, written to `dir`.
fn merge_group_event(dir: &Path, base_ref: &str) -> (PathBuf, String) {
    let text = std::fs::read(fixture("events/merge-group-checks-requested.json")).expect("fixture");
    let mut event: Value = serde_json::from_slice(&text).expect("JSON");
    event["merge_group"]["base_ref"] = json!(base_ref);
    let head = event["merge_group"]["head_sha"].as_str().expect("head_sha").to_owned();
    let path = dir.join("merge-group.json");
    std::fs::write(&path, event.to_string()).expect("written");
    (path, head)
}

fn mirror_on_merge_group(gh: &FakeGitHub, event_path: &Path) -> Output {
    let mut cmd = bin();
    github(&mut cmd, gh).env("GITHUB_EVENT_PATH", event_path).env("GITHUB_EVENT_NAME", "merge_group");
    cmd.args(["gate", "--pull-request"]).output().expect("binary runs")
}

#[tokio::test]
async fn gate_pull_request_on_a_merge_group_gates_the_queue_s_commit_with_main_s_health() {
    let tmp = tempfile::TempDir::new().unwrap();
    let (event_path, head) = merge_group_event(tmp.path(), "refs/heads/main");
    // Main's head judged by the smoke, red then green; then main's head judged only by the
    // gate (the previous queue entry's commit), whose words are passed on, not nested.
    for (main_context, main_state, main_said, gate_state, description) in [
        (
            "post-merge-smoke",
            "failure",
            "FAIL after 1.0s (exit code 1)",
            "failure",
            "main is red: FAIL after 1.0s (exit code 1); merges held",
        ),
        ("post-merge-smoke", "success", "PASS in 1.0s", "success", "main is green: PASS in 1.0s"),
        ("main-health", "success", "main is green: PASS in 1.0s", "success", "main is green: PASS in 1.0s"),
    ] {
        let gh = FakeGitHub::start().await;
        gh.get("/repos/o/r/commits/main/status", main_status(main_context, main_state, main_said)).await;
        gh.get(format!("/repos/o/r/commits/{head}/status"), combined(&head, &[("ci", "success")])).await;
        gh.post(format!("/repos/o/r/statuses/{head}"), 201, status_reply(&head, gate_state, "main-health"))
            .with_token(TOKEN)
            .when_body(json!({"state": gate_state, "context": "main-health",
                              "description": description, "target_url": RUN_URL}))
            .expect(1)
            .await;
        let out = mirror_on_merge_group(&gh, &event_path);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = gate_report(&out);
        assert_eq!(report["state"], gate_state);
        assert_eq!(report["merge_group"], json!({"head_sha": head, "result": "updated"}));
        assert_eq!(report["pull_requests"], 0);
        assert_eq!(report["updated"], json!([]));
        assert!(stderr(&out).contains(&format!("merge queue commit {head}: main is")));
        assert_token_hidden(&out, &[]);
        gh.verify().await;
    }
}

#[tokio::test]
async fn gate_pull_request_on_a_merge_group_into_another_branch_sets_nothing() {
    let gh = FakeGitHub::start().await;
    gh.never("*", "^/repos/").await;
    let tmp = tempfile::TempDir::new().unwrap();
    let (event_path, head) = merge_group_event(tmp.path(), "refs/heads/release");
    let out = mirror_on_merge_group(&gh, &event_path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = gate_report(&out);
    assert_eq!(report["state"], Value::Null);
    assert_eq!(report["merge_group"], Value::Null);
    assert_eq!(report["note"], format!("merge queue commit {head} is not into `main`; nothing to gate"));
    gh.verify().await;
}

#[tokio::test]
async fn gate_pull_request_on_a_malformed_merge_group_fails_with_a_reason() {
    let gh = FakeGitHub::start().await;
    gh.never("*", "^/repos/").await;
    let tmp = tempfile::TempDir::new().unwrap();
    let event_path = tmp.path().join("event.json");
    for (payload, reason) in [
        (
            json!({"action": "checks_requested", "merge_group": {"base_ref": "refs/heads/main"}}).to_string(),
            "missing field `head_sha`",
        ),
        (json!({"action": "checks_requested"}).to_string(), "no pull request or merge queue entry"),
        ("{\"merge_group\": ".to_owned(), "is not an event"),
    ] {
        std::fs::write(&event_path, payload).unwrap();
        let out = mirror_on_merge_group(&gh, &event_path);
        assert_eq!(out.status.code(), Some(1));
        let stderr = stderr(&out);
        assert!(stderr.contains("the gate did nothing") && stderr.contains(reason), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    gh.verify().await;
}
