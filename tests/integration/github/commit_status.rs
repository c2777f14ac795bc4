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
