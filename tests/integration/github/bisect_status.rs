//! The search for the first bad merge with a token: a green `post-merge-smoke` status on
//! an older commit of main is the known-good end (not probed again), and the culprit's
//! details come from the API.

use serde_json::json;

use super::answers::{combined, issue, pull, pull_list, status_reply};
use super::fake::FakeGitHub;
use super::harness::github;
use crate::bisect::{SMOKE, history, probes, push_run, sha};
use crate::common::run_envelope;

#[tokio::test]
async fn a_green_status_bounds_the_search_and_the_api_names_the_culprit() {
    let gh = FakeGitHub::start().await;
    let (repo, merged) = history(41..=45, 43);
    let (s42, s43, s44, s45) = (sha(&merged, 42), sha(&merged, 43), sha(&merged, 44), sha(&merged, 45));
    gh.get(format!("/repos/o/r/commits/{s45}/pulls"), pull_list(&[])).await;
    gh.get(format!("/repos/o/r/commits/{s44}/status"), combined(&s44, &[])).await;
    gh.get(format!("/repos/o/r/commits/{s43}/status"), combined(&s43, &[("post-merge-smoke", "failure")]))
        .await;
    gh.get(format!("/repos/o/r/commits/{s42}/status"), combined(&s42, &[("post-merge-smoke", "success")]))
        .await;
    let culprit = pull(43, "4343434343434343434343434343434343434343", Some(&s43), "main");
    gh.get(format!("/repos/o/r/commits/{s43}/pulls"), pull_list(&[culprit])).await;

    // A push whose `before` is far older: the green status is newer, so it wins.
    let mut cmd = push_run(&repo, &repo.dir, &sha(&merged, 41));
    github(&mut cmd, &gh).args(["--quiet", "--retries", "0", "--command", SMOKE]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1));
    let b = &env["bisection"];
    assert_eq!((b["result"].as_str(), b["first_bad"].as_str()), (Some("found"), Some(s43.as_str())), "{b}");
    assert!(!probes(&env).contains(&s42), "a commit with a green status is not probed: {b}");
    assert!(!probes(&env).contains(&sha(&merged, 41)), "nothing older than the green end is: {b}");
    assert_eq!(env["culprit"]["number"], 43);
    assert_eq!(env["culprit"]["author"], json!("alice"));
    assert_eq!(env["culprit"]["confidence"], "confirmed");
    assert_eq!(env["escalation"]["task_id"], "#43");
}

/// The search can take up to `--bisect-timeout`: main's red status is set before it
/// starts, so nothing auto-merges onto the red main meanwhile, and set again after it.
#[tokio::test]
async fn main_is_marked_red_before_the_search_starts() {
    let gh = FakeGitHub::start().await;
    let (repo, merged) = history(41..=45, 43);
    let (s42, s43, s44, s45) = (sha(&merged, 42), sha(&merged, 43), sha(&merged, 44), sha(&merged, 45));
    gh.get(format!("/repos/o/r/commits/{s45}/pulls"), pull_list(&[])).await;
    gh.get(format!("/repos/o/r/commits/{s44}/status"), combined(&s44, &[])).await;
    gh.get(format!("/repos/o/r/commits/{s43}/status"), combined(&s43, &[])).await;
    gh.get(format!("/repos/o/r/commits/{s42}/status"), combined(&s42, &[("post-merge-smoke", "success")]))
        .await;
    let statuses = format!("/repos/o/r/statuses/{s45}");
    gh.post(&statuses, 201, status_reply(&s45, "failure", "post-merge-smoke")).await;

    let mut cmd = push_run(&repo, &repo.dir, &s44);
    github(&mut cmd, &gh).args(["--quiet", "--retries", "0", "--commit-status", "--command", SMOKE]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["bisection"]["result"], "found", "{}", env["bisection"]);
    let order: Vec<String> = gh.received_all().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    let first = |what: &str| order.iter().position(|r| *r == what);
    let red = first(&format!("POST {statuses}")).expect("the status was set");
    let search =
        first(&format!("GET /repos/o/r/commits/{s44}/status")).expect("the search asked for statuses");
    assert!(red < search, "the status came after the search started: {order:#?}");
    let posts = gh.received("POST", &statuses);
    assert_eq!(posts.len(), 2, "set before the search, and again after it");
    assert!(posts.iter().all(|p| p.json()["state"] == "failure"));
}

/// The escalation issue names the first bad merge the search found (#43), not the newest
/// merge (#45), whose own run found main red.
#[tokio::test]
async fn the_escalation_issue_names_the_first_bad_merge() {
    let gh = FakeGitHub::start().await;
    let (repo, merged) = history(41..=45, 43);
    let (s42, s43, s44, s45) = (sha(&merged, 42), sha(&merged, 43), sha(&merged, 44), sha(&merged, 45));
    let newest = pull(45, "4545454545454545454545454545454545454545", Some(&s45), "main");
    gh.get(format!("/repos/o/r/commits/{s45}/pulls"), pull_list(&[newest])).await;
    for s in [&s44, &s43] {
        gh.get(format!("/repos/o/r/commits/{s}/status"), combined(s, &[])).await;
    }
    gh.get(format!("/repos/o/r/commits/{s42}/status"), combined(&s42, &[("post-merge-smoke", "success")]))
        .await;
    let culprit = pull(43, "4343434343434343434343434343434343434343", Some(&s43), "main");
    gh.get(format!("/repos/o/r/commits/{s43}/pulls"), pull_list(&[culprit])).await;
    gh.get("/repos/o/r/issues", serde_json::json!([])).await;
    gh.post("/repos/o/r/issues", 201, issue(77, "created")).expect(1).await;

    let mut cmd = push_run(&repo, &repo.dir, &s44);
    github(&mut cmd, &gh).args(["--quiet", "--retries", "0", "--escalation-issue", "--command", SMOKE]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["bisection"]["first_bad"], s43.as_str(), "{}", env["bisection"]);
    assert_eq!(env["task_id"], "#45", "the envelope's own task stays this merge's");
    let body =
        gh.received("POST", "/repos/o/r/issues")[0].json()["body"].as_str().unwrap_or_default().to_owned();
    assert!(body.contains("#43"), "the issue does not name the first bad merge:\n{body}");
    assert!(!body.contains("#45"), "the newest merge is blamed:\n{body}");
    assert!(body.contains(&s43[..12]), "{body}");
    gh.verify().await;
}
