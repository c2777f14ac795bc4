//! The culprit: the merged pull request behind the merge commit, from the commit's pull
//! requests or else the one its message names, fills `culprit`, `task_id` and the packet.

use serde_json::json;

use super::answers::{pull, pull_list};
use super::fake::FakeGitHub;
use super::harness::{assert_token_hidden, github};
use crate::common::{Repo, run_envelope};

#[tokio::test]
async fn culprit_from_the_api_fills_task_id_culprit_and_packet() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Fix the parser (#41)");
    let sha = repo.head();
    // An open pull request that merely contains the commit is not the culprit.
    let pulls = pull_list(&[
        pull(12, "1111111111111111111111111111111111111111", None, "main"),
        pull(57, "2222222222222222222222222222222222222222", Some(&sha), "main"),
    ]);
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pulls).await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &gh).args(["--command", "exit 1"]));
    assert_eq!(out.status.code(), Some(1));
    let culprit = json!({"number": 57, "author": "alice", "url": "https://github.example/o/r/pull/57",
                         "title": "Change number 57"});
    assert_eq!(env["culprit"], culprit);
    assert_eq!(env["task_id"], "#57", "the API beats the commit message");
    assert_eq!(env["escalation"]["culprit"], culprit);
    assert_eq!(env["escalation"]["task_id"], "#57");
    assert!(env["escalation"]["summary"].as_str().unwrap().contains("(#57)"));

    // A task id given by flag stays; the culprit is still named.
    let mut cmd = repo.run();
    let (_, env) = run_envelope(github(&mut cmd, &gh).args(["--task-id", "T-9", "--command", "exit 1"]));
    assert_eq!(env["task_id"], "T-9");
    assert_eq!(env["culprit"]["number"], 57);
    assert_token_hidden(&out, &[]);
}

#[tokio::test]
async fn culprit_falls_back_to_the_pull_request_the_message_names() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Merge pull request #41 from alice/topic");
    let sha = repo.head();
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    gh.get("/repos/o/r/pulls/41", pull(41, "3333333333333333333333333333333333333333", Some(&sha), "main"))
        .expect(1)
        .await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &gh).args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["task_id"], "#41");
    assert_eq!(env["culprit"]["author"], "alice");
    gh.verify().await;
}
