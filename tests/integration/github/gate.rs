//! The tree gate: `post-merge-smoke gate --envelope` and `run --gate` set `main-health` on
//! every open pull request into main, page through the list, leave heads that are already
//! right alone, and a stale verdict only holds, never releases.

use std::path::PathBuf;

use serde_json::json;

use super::answers::{combined, pull, pull_list, status_reply};
use super::fake::FakeGitHub;
use super::harness::{TOKEN, assert_token_hidden, gate_report, github, notification, stderr};
use crate::common::{Repo, bin, git, run_envelope};

/// The envelope of a run without any API, for the `gate` subcommand.
fn verdict_file(repo: &Repo, command: &str) -> PathBuf {
    let (_, env) = run_envelope(repo.run().args(["--command", command]));
    let path =
        repo.tmp.path().join(format!("envelope-{}.json", git(&repo.dir, &["rev-parse", "--short", "HEAD"])));
    std::fs::write(&path, serde_json::to_vec(&env).expect("serialises")).expect("written");
    path
}

/// `main-health` is posted with `state` on `sha` exactly `times` times.
async fn expect_health(gh: &FakeGitHub, sha: &str, state: &str, times: u64) {
    gh.post(format!("/repos/o/r/statuses/{sha}"), 201, status_reply(sha, state, "main-health"))
        .when_body(json!({"state": state, "context": "main-health"}))
        .expect(times)
        .await;
}

#[tokio::test]
async fn gate_pages_through_open_pull_requests_and_skips_heads_already_right() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Break (#7)");
    let file = verdict_file(&repo, "exit 1");
    let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
    let next = format!("{}/repos/o/r/pulls?state=open&base=main&per_page=100&page=2", gh.uri());
    let first_page = pull_list(&[pull(1, &a, None, "main"), pull(2, &b, None, "main")]);
    let link = format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\"");
    gh.answer("GET", "/repos/o/r/pulls", super::fake::Answer::json(200, first_page).header("link", link))
        .when_query("state", "open")
        .when_query("base", "main")
        .without_query("page")
        .expect(1)
        .await;
    gh.get("/repos/o/r/pulls", pull_list(&[pull(3, &c, None, "main")]))
        .when_query("page", "2")
        .with_token(TOKEN)
        .expect(1)
        .await;
    for (sha, statuses) in [
        (&a, vec![("main-health", "failure"), ("ci", "success")]),
        (&b, vec![("main-health", "success")]),
        (&c, vec![]),
    ] {
        gh.get(format!("/repos/o/r/commits/{sha}/status"), combined(sha, &statuses)).await;
    }
    expect_health(&gh, &a, "failure", 0).await;
    expect_health(&gh, &b, "failure", 1).await;
    expect_health(&gh, &c, "failure", 1).await;
    let mut cmd = bin();
    let out = github(&mut cmd, &gh).arg("gate").arg("--envelope").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = gate_report(&out);
    assert_eq!(report["state"], "failure");
    assert_eq!(report["pull_requests"], 3);
    assert_eq!(report["updated"], json!([2, 3]));
    assert_eq!(report["already"], json!([1]));
    assert_token_hidden(&out, &[]);
    gh.verify().await;
}

#[tokio::test]
async fn run_gate_releases_pull_requests_once_main_is_green() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Fix (#8)");
    gh.get(format!("/repos/o/r/commits/{}/pulls", repo.head()), pull_list(&[])).await;
    let head = "d".repeat(40);
    gh.get("/repos/o/r/pulls", pull_list(&[pull(4, &head, None, "main")])).await;
    gh.get(format!("/repos/o/r/commits/{head}/status"), combined(&head, &[("main-health", "failure")])).await;
    expect_health(&gh, &head, "success", 1).await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &gh).args(["--gate", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "gate")["ok"], true, "{env}");
    gh.verify().await;
}

#[tokio::test]
async fn a_stale_pass_leaves_gate_and_issues_alone_and_a_stale_fail_still_holds() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Old (#1)");
    let old = repo.head();
    repo.commit_file("n.txt", "n", "Newer (#2)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    git(&repo.dir, &["checkout", "-q", &old]);
    gh.get(format!("/repos/o/r/commits/{old}/pulls"), pull_list(&[])).await;
    gh.never("*", "^/repos/o/r/(issues|pulls$)").await;
    gh.post(format!("/repos/o/r/statuses/{old}"), 201, status_reply(&old, "success", "post-merge-smoke"))
        .when_body(json!({"state": "success", "context": "post-merge-smoke"}))
        .expect(1)
        .await;
    let mut cmd = repo.run();
    github(&mut cmd, &gh).args(["--gate", "--escalation-issue", "--commit-status", "--command", "true"]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(env["stale"], true);
    assert_eq!(notification(&env, "gate")["ok"], true);
    gh.verify().await;

    // The same verdict as a file, and a stale FAIL: the FAIL still holds the pull request.
    gh.reset().await;
    let head = "e".repeat(40);
    gh.get("/repos/o/r/pulls", pull_list(&[pull(6, &head, None, "main")])).expect(1).await;
    gh.get(format!("/repos/o/r/commits/{head}/status"), combined(&head, &[])).await;
    expect_health(&gh, &head, "failure", 1).await;
    let stale_pass = verdict_file(&repo, "true");
    let stale_fail = repo.tmp.path().join("stale-fail.json");
    let (_, fail) = run_envelope(repo.run().args(["--command", "exit 1"]));
    assert_eq!(fail["stale"], true);
    std::fs::write(&stale_fail, serde_json::to_vec(&fail).unwrap()).unwrap();
    for (file, updated) in [(&stale_pass, json!([])), (&stale_fail, json!([6]))] {
        let mut cmd = bin();
        let out = github(&mut cmd, &gh).arg("gate").arg("--envelope").arg(file).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(gate_report(&out)["updated"], updated);
    }
    gh.verify().await;
}
