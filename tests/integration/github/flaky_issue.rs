//! `run --escalation-issue` on a flaky result: its own issue, labelled `flaky` too, titled
//! after the flaky test; commented on when the same test is flaky again; it holds nothing,
//! and a flaky pass closes no failure's issue.

use serde_json::json;

use super::answers::{comment, issue, pull_list};
use super::fake::FakeGitHub;
use super::harness::{github, notification};
use crate::common::{Repo, run_envelope};

/// A smoke that fails its first attempt, as pytest reports it, and passes its second; the
/// counter lives outside the work tree, so the tree stays clean for the retry.
fn flaky_command(repo: &Repo) -> String {
    let counter = repo.tmp.path().join(format!("counter-{}", rand_suffix()));
    format!(
        "n=$(cat '{c}' 2>/dev/null || echo 0); echo $((n+1)) > '{c}'; \
         if [ \"$n\" = 0 ]; then echo 'FAILED tests/test_net.py::test_timeout - TimeoutError: slow'; exit 1; fi",
        c = counter.display()
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

#[tokio::test]
async fn a_flaky_pass_opens_its_own_issue_and_closes_no_failure_issue() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Tweak (#60)");
    let sha = repo.head();
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    // An open issue about a real failure on main: a flaky pass proves no recovery.
    let failure =
        issue(9, "<!-- post-merge-smoke:fingerprint=pms-real -->\n<!-- post-merge-smoke:branch=main -->");
    gh.get("/repos/o/r/issues", json!([failure])).when_query("labels", "post-merge-smoke").await;
    gh.post("/repos/o/r/issues", 201, issue(12, "created"))
        .when_body(json!({"labels": ["post-merge-smoke", "flaky"]}))
        .expect(1)
        .await;
    gh.never("PATCH", "^/repos/o/r/issues/").await;
    gh.never("POST", "^/repos/o/r/issues/9/comments$").await;

    let mut cmd = repo.run();
    github(&mut cmd, &gh).args(["--escalation-issue", "--command", &flaky_command(&repo)]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "a flaky pass lets merges continue");
    assert_eq!((env["status"].as_str(), env["flaky"].as_bool()), (Some("PASS"), Some(true)));
    assert_eq!(env["decision"]["reason_codes"], json!(["POST_MERGE_SMOKE_PASS", "SMOKE_FLAKY"]));
    assert_eq!(env["attempts"][0]["failing_tests"], json!(["tests/test_net.py::test_timeout"]));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let created = gh.received("POST", "/repos/o/r/issues")[0].json().clone();
    assert_eq!(created["title"], "Flaky post-merge smoke on main: tests/test_net.py::test_timeout");
    let body = created["body"].as_str().unwrap_or_default();
    assert!(body.contains("<!-- post-merge-smoke:kind=flaky -->"), "{body}");
    assert!(body.contains("`tests/test_net.py::test_timeout`"), "{body}");
    gh.verify().await;

    // The same test flaky again: a comment on that issue, never a second one.
    gh.reset().await;
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    gh.get("/repos/o/r/issues", json!([issue(12, body)])).await;
    gh.get("/repos/o/r/issues/12/comments", json!([])).await;
    gh.post("/repos/o/r/issues/12/comments", 201, comment(1, "x")).expect(1).await;
    gh.never("POST", "^/repos/o/r/issues$").await;
    gh.never("PATCH", "^/repos/o/r/issues/").await;
    let mut cmd = repo.run();
    github(&mut cmd, &gh).args(["--escalation-issue", "--command", &flaky_command(&repo)]);
    let (_, env) = run_envelope(&mut cmd);
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let comment = gh.received("POST", "/repos/o/r/issues/12/comments")[0].json().clone();
    assert!(comment["body"].as_str().unwrap_or_default().starts_with(&format!("Flaky again at `{sha}`")));
    gh.verify().await;
}

#[tokio::test]
async fn a_clean_pass_closes_failure_issues_but_not_the_flaky_one() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Fix (#61)");
    let sha = repo.head();
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    let failure =
        issue(9, "<!-- post-merge-smoke:fingerprint=pms-real -->\n<!-- post-merge-smoke:branch=main -->");
    let flaky = issue(
        12,
        "<!-- post-merge-smoke:fingerprint=pms-flaky -->\n<!-- post-merge-smoke:branch=main -->\n\
         <!-- post-merge-smoke:kind=flaky -->",
    );
    gh.get("/repos/o/r/issues", json!([failure, flaky])).await;
    gh.get("/repos/o/r/issues/9/comments", json!([])).await;
    gh.post("/repos/o/r/issues/9/comments", 201, comment(1, "x")).expect(1).await;
    gh.patch("/repos/o/r/issues/9", 200, issue(9, "closed")).expect(1).await;
    gh.never("PATCH", "^/repos/o/r/issues/12$").await;
    let mut cmd = repo.run();
    github(&mut cmd, &gh).args(["--escalation-issue", "--command", "true"]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    gh.verify().await;
}
