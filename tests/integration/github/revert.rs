//! `run --revert-pr`: a confirmed first bad merge is reverted in a pull request pushed to
//! the origin, labelled, linked from the culprit, gated green; each safeguard stops it once
//! (a revert of a revert, a second revert, too many in a day, the kill-switch label, a
//! revert that does not apply), and the token is never in a command line, log or file.

use std::process::Output;

use serde_json::{Value, json};

use super::answers::{comment, issue, labels, pull, pull_from, pull_list, status_reply};
use super::fake::{Answer, FakeGitHub};
use super::harness::{TOKEN, assert_token_hidden, github, notification};
use crate::bisect::{SMOKE, history, push_event, sha};
use crate::common::{Repo, git, run_envelope};

const NOW: &str = "2999-01-01T00:00:00Z";

/// A main where #43 (a merge commit) broke the smoke, pushed with #41..#45; the fake knows
/// #43 as a merged pull request titled `title`.
async fn broken_main(gh: &FakeGitHub, title: &str) -> (Repo, String) {
    let (repo, merged) = history(41..=45, 43);
    let s43 = sha(&merged, 43);
    let mut culprit = pull(43, "4343434343434343434343434343434343434343", Some(&s43), "main");
    culprit["title"] = json!(title);
    gh.get(format!("/repos/o/r/commits/{s43}/pulls"), pull_list(&[culprit])).await;
    pushed(gh, &repo, &sha(&merged, 41)).await;
    (repo, s43)
}

/// The push of everything after `before` up to the work tree's HEAD.
async fn pushed(gh: &FakeGitHub, repo: &Repo, before: &str) {
    gh.get(format!("/repos/o/r/commits/{}/pulls", repo.head()), pull_list(&[])).await;
    let event = push_event(repo, before);
    std::fs::rename(event, repo.tmp.path().join("push.json")).expect("rename");
}

/// The safeguards' look-ups: no kill switch, no earlier revert of this commit, and
/// `recent` reverts by the tool.
async fn no_objections(gh: &FakeGitHub, recent: Value) {
    gh.get("/repos/o/r/issues", json!([])).when_query("labels", "post-merge-smoke:stop-reverts").await;
    gh.get("/repos/o/r/pulls", json!([]))
        .when_query("state", "all")
        .when_query("per_page", "100")
        .without_query("sort")
        .await;
    gh.get("/repos/o/r/pulls", recent).when_query("sort", "created").await;
}

fn revert_run(repo: &Repo, gh: &FakeGitHub, extra: &[&str]) -> (Output, Value) {
    let mut cmd = repo.run();
    github(&mut cmd, gh)
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", repo.tmp.path().join("push.json"))
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", repo.head())
        .args(["--quiet", "--retries", "0", "--revert-pr", "--command", SMOKE])
        .args(extra);
    run_envelope(&mut cmd)
}

#[tokio::test]
async fn a_confirmed_first_bad_merge_is_reverted_in_a_pull_request() {
    let gh = FakeGitHub::start().await;
    let (repo, s43) = broken_main(&gh, "Add the widget cache").await;
    no_objections(&gh, json!([])).await;
    let branch = format!("post-merge-smoke/revert-{}", &s43[..12]);
    gh.post("/repos/o/r/pulls", 201, pull(77, "7777777777777777777777777777777777777777", None, "main"))
        .when_body(json!({"head": branch, "base": "main", "title": "Revert \"Add the widget cache\" (#43)"}))
        .expect(1)
        .await;
    gh.post("/repos/o/r/issues/77/labels", 200, labels(&["post-merge-smoke", "revert"]))
        .when_body(json!({"labels": ["post-merge-smoke", "revert"]}))
        .expect(1)
        .await;
    gh.post("/repos/o/r/issues/43/comments", 201, comment(5, "x")).expect(1).await;
    // The gate: no open pull request to hold, and the revert's head marked green.
    gh.get("/repos/o/r/pulls", json!([])).when_query("state", "open").await;
    let example = "/repos/o/r/statuses/7777777777777777777777777777777777777777";
    let green =
        Answer::json(201, status_reply("7777777777777777777777777777777777777777", "success", "main-health"));
    gh.answer_matching("POST", "^/repos/o/r/statuses/[0-9a-f]{40}$", example, green).expect(1).await;
    let (out, env) = revert_run(&repo, &gh, &["--gate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "revert_pr")["ok"], true, "{env}");
    gh.verify().await;

    // The revert is on the origin: on top of the merge, undoing #43.
    let origin = repo.origin.as_ref().expect("origin");
    let head = git(origin, &["rev-parse", &format!("refs/heads/{branch}")]);
    assert_eq!(git(origin, &["rev-parse", &format!("{head}^")]), repo.head());
    assert_eq!(git(origin, &["show", &format!("{head}:state.txt")]), "fine");
    let body =
        gh.received("POST", "/repos/o/r/pulls")[0].json()["body"].as_str().unwrap_or_default().to_owned();
    assert!(body.contains("To reland"), "{body}");
    let note = gh.received("POST", "/repos/o/r/issues/43/comments")[0].json()["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(note.contains("A revert is open: #77"), "{note}");
    let statuses = gh.received("POST", &format!("/repos/o/r/statuses/{head}"));
    assert_eq!(statuses.len(), 1, "the gate marks the revert green");
    assert_eq!(statuses[0].json()["state"], "success");
    // The token went to git in its environment only.
    assert_token_hidden(&out, &[]);
    for config in [repo.dir.join(".git/config"), origin.join("config")] {
        assert!(!std::fs::read_to_string(&config).unwrap_or_default().contains(TOKEN));
    }
    assert_eq!(git(&repo.dir, &["worktree", "list"]).lines().count(), 1, "no worktree left");
}

/// Runs with one objection and checks the revert was stopped for `why`.
async fn stopped(gh: &FakeGitHub, repo: &Repo, why: &str) {
    gh.never("POST", "^/repos/o/r/pulls$").await;
    let (out, env) = revert_run(repo, gh, &[]);
    assert_eq!(out.status.code(), Some(1));
    let note = notification(&env, "revert_pr");
    assert_eq!(note["ok"], false, "{env}");
    assert!(note["error"].as_str().unwrap_or_default().contains(why), "{note}");
    gh.verify().await;
}

#[tokio::test]
async fn a_revert_of_a_revert_is_never_opened() {
    let gh = FakeGitHub::start().await;
    let (repo, _) = broken_main(&gh, "Revert \"Remove the cache\"").await;
    no_objections(&gh, json!([])).await;
    stopped(&gh, &repo, "is itself a revert").await;
}

#[tokio::test]
async fn a_second_revert_of_the_same_commit_is_never_opened() {
    let gh = FakeGitHub::start().await;
    let (repo, s43) = broken_main(&gh, "Add the widget cache").await;
    let branch = format!("post-merge-smoke/revert-{}", &s43[..12]);
    gh.get("/repos/o/r/issues", json!([])).when_query("labels", "post-merge-smoke:stop-reverts").await;
    gh.get("/repos/o/r/pulls", json!([pull_from(70, &branch, NOW, None)]))
        .when_query("head", &format!("o:{branch}"))
        .await;
    stopped(&gh, &repo, "#70 already reverts").await;
}

#[tokio::test]
async fn no_more_than_max_reverts_a_day() {
    let gh = FakeGitHub::start().await;
    let (repo, _) = broken_main(&gh, "Add the widget cache").await;
    let recent = json!([
        pull_from(71, "post-merge-smoke/revert-aaaaaaaaaaaa", NOW, Some(NOW)),
        pull_from(72, "post-merge-smoke/revert-bbbbbbbbbbbb", NOW, None),
        pull_from(73, "feature", NOW, None),
        pull_from(60, "post-merge-smoke/revert-cccccccccccc", "2020-01-01T00:00:00Z", None),
    ]);
    no_objections(&gh, recent).await;
    stopped(&gh, &repo, "2 reverts were opened in the last 24 hours").await;
}

#[tokio::test]
async fn the_stop_label_stops_every_revert() {
    let gh = FakeGitHub::start().await;
    let (repo, _) = broken_main(&gh, "Add the widget cache").await;
    gh.get("/repos/o/r/issues", json!([issue(80, "stop")]))
        .when_query("labels", "post-merge-smoke:stop-reverts")
        .await;
    stopped(&gh, &repo, "labelled `post-merge-smoke:stop-reverts`").await;
}

#[tokio::test]
async fn a_revert_that_does_not_apply_cleanly_is_not_opened() {
    let gh = FakeGitHub::start().await;
    let (repo, _) = broken_main(&gh, "Add the widget cache").await;
    let before = git(&repo.dir, &["rev-parse", "HEAD~4"]);
    // A later merge changed the same lines: reverting #43 conflicts.
    repo.commit_file("state.txt", "BROKEN\nand more\n", "Extend the state (#46)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    pushed(&gh, &repo, &before).await;
    no_objections(&gh, json!([])).await;
    stopped(&gh, &repo, "does not apply cleanly").await;
}
