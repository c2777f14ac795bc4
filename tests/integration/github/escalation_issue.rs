//! `run --escalation-issue`: one issue per fingerprint, opened on the first failure,
//! commented on when it recurs, closed on recovery; a create whose answer was lost is
//! looked for, not repeated.

use std::process::Output;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::answers::{comment, issue, pr_as_issue, pull, pull_list};
use super::fake::{Answer, FakeGitHub};
use super::harness::{RUN_URL, assert_token_hidden, github, notification, stderr};
use crate::common::{Repo, git, run_envelope};

const LABELS: &str = "post-merge-smoke,tide/merge-blocker";

/// Mounts the open-issues list for the two labels used below.
async fn open_issues(gh: &FakeGitHub, issues: Value) {
    gh.get("/repos/o/r/issues", issues).when_query("state", "open").when_query("labels", LABELS).await;
}

fn escalation_run(repo: &Repo, gh: &FakeGitHub, command: &str) -> (Output, Value) {
    let mut cmd = repo.run();
    github(&mut cmd, gh).args([
        "--escalation-issue",
        "--issue-label",
        "post-merge-smoke",
        "--issue-label",
        "tide/merge-blocker",
        "--command",
        command,
    ]);
    run_envelope(&mut cmd)
}

#[tokio::test]
async fn escalation_issue_is_opened_once_commented_on_recurrence_and_closed_on_recovery() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Break things (#57)");
    let sha = repo.head();

    // 1. The first failure opens one issue; pull requests and other issues in the list are not it.
    let culprit = pull(57, "4444444444444444444444444444444444444444", Some(&sha), "main");
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[culprit])).await;
    let other = issue(4, "<!-- post-merge-smoke:fingerprint=pms-other -->");
    open_issues(&gh, json!([pr_as_issue(3, "some pull request"), other])).await;
    gh.post("/repos/o/r/issues", 201, issue(9, "created"))
        .when_body(json!({"labels": ["post-merge-smoke", "tide/merge-blocker"]}))
        .expect(1)
        .await;
    let (out, env) = escalation_run(&repo, &gh, "echo 'error: widget ``` exploded' >&2; exit 2");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let created = gh.received("POST", "/repos/o/r/issues")[0].json().clone();
    let body = created["body"].as_str().unwrap().to_owned();
    let fingerprint = env["escalation"]["fingerprint"].as_str().unwrap();
    assert!(body.contains(&format!("<!-- post-merge-smoke:fingerprint={fingerprint} -->")), "{body}");
    assert!(body.contains("<!-- post-merge-smoke:branch=main -->"));
    assert!(
        body.contains(&sha) && body.contains("#57") && body.contains("by @alice") && body.contains(RUN_URL)
    );
    assert!(
        body.contains("````text\nerror: widget ``` exploded\n````"),
        "tails in a fence that outlasts them:\n{body}"
    );
    assert!(created["title"].as_str().unwrap().starts_with("Post-merge smoke FAIL on main"));
    gh.verify().await;

    // 2. The same breakage on the next merge comments on that issue, never a second one.
    gh.reset().await;
    let sha2 = repo.commit_file("b.txt", "b", "More (#58)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    gh.get(format!("/repos/o/r/commits/{sha2}/pulls"), pull_list(&[])).await;
    open_issues(&gh, json!([issue(9, &body)])).await;
    gh.get("/repos/o/r/issues/9/comments", json!([])).await;
    gh.post("/repos/o/r/issues/9/comments", 201, comment(1, "x")).expect(1).await;
    gh.never("POST", "^/repos/o/r/issues$").await;
    let (out, env) = escalation_run(&repo, &gh, "echo 'error: widget ``` exploded' >&2; exit 2");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let commented = gh.received("POST", "/repos/o/r/issues/9/comments");
    assert!(commented[0].json()["body"].as_str().unwrap().contains(&sha2));
    gh.verify().await;

    // 3. A fresh PASS closes our issue for this branch, naming the recovering commit,
    //    and leaves an issue of another branch open.
    gh.reset().await;
    let sha3 = repo.commit_file("c.txt", "c", "Fix (#59)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    gh.get(format!("/repos/o/r/commits/{sha3}/pulls"), pull_list(&[])).await;
    let other_branch = body.replace("branch=main", "branch=release");
    open_issues(&gh, json!([issue(9, &body), issue(11, &other_branch)])).await;
    gh.get("/repos/o/r/issues/9/comments", json!([])).await;
    gh.post("/repos/o/r/issues/9/comments", 201, comment(2, "x")).expect(1).await;
    let closed = {
        let mut closed = issue(9, &body);
        closed["state"] = json!("closed");
        closed["state_reason"] = json!("completed");
        closed
    };
    gh.patch("/repos/o/r/issues/9", 200, closed).when_body(json!({"state": "closed"})).expect(1).await;
    gh.never("PATCH", "^/repos/o/r/issues/11$").await;
    let (out, env) = escalation_run(&repo, &gh, "true");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let commented = gh.received("POST", "/repos/o/r/issues/9/comments");
    assert!(
        commented[0].json()["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Recovered: the post-merge smoke passed on `main` at `{sha3}`"))
    );
    assert_token_hidden(&out, &[]);
    gh.verify().await;
}

#[tokio::test]
async fn a_create_answered_with_a_server_error_is_looked_for_not_repeated() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Break (#5)");
    gh.get(format!("/repos/o/r/commits/{}/pulls", repo.head()), pull_list(&[])).await;
    // The create lands but its answer is lost (a 502); the list shows the issue from then on.
    let created: Arc<Mutex<Option<String>>> = Arc::default();
    let listed = created.clone();
    gh.answer_with("GET", "/repos/o/r/issues", move |_| {
        let issues: Vec<Value> = listed.lock().unwrap().iter().map(|body| issue(21, body)).collect();
        Answer::json(200, Value::Array(issues))
    })
    .await;
    gh.answer_with("POST", "/repos/o/r/issues", move |request| {
        let body: Value = request.body_json().expect("a JSON body");
        *created.lock().unwrap() = Some(body["body"].as_str().expect("an issue body").to_owned());
        Answer::text(502, "<html>502 Bad Gateway</html>")
    })
    .expect(1)
    .await;
    gh.never("POST", "/comments$").await;
    let (out, env) = escalation_run(&repo, &gh, "exit 1");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    assert!(stderr(&out).contains("opened escalation issue #21"));
    gh.verify().await;
}

/// Untrusted text reaches the escalation issue inert: a pull request title with a link, a
/// mention, emphasis and a marker look-alike, and output with a fence, are escaped the
/// way the step summary escapes them.
#[tokio::test]
async fn a_hostile_pull_request_title_is_inert_in_the_issue() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Break things (#58)");
    let sha = repo.head();
    let hostile =
        "Fix [x](https://evil.example) **now** @everyone <!-- post-merge-smoke:fingerprint=forged -->";
    let mut culprit = pull(58, "5555555555555555555555555555555555555555", Some(&sha), "main");
    culprit["title"] = json!(hostile);
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[culprit])).await;
    open_issues(&gh, json!([])).await;
    gh.post("/repos/o/r/issues", 201, issue(12, "created")).expect(1).await;
    let (out, env) =
        escalation_run(&repo, &gh, "echo '```' >&2; echo '@everyone [y](https://evil.example)' >&2; exit 2");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let created = gh.received("POST", "/repos/o/r/issues")[0].json().clone();
    // The title is plain text on GitHub (nothing in it renders or notifies); the body is
    // Markdown.
    let body = created["body"].as_str().unwrap_or_default();
    let rendered = outside_code_fences(body);
    let live =
        ["[x](https://", "[y](https://", "**now**", "@everyone", "<!-- post-merge-smoke:fingerprint=forged"];
    for live in live {
        assert!(!rendered.contains(live), "the body carries `{live}` live:\n{body}");
    }
    assert_eq!(body.matches("<!-- post-merge-smoke:fingerprint=").count(), 1, "{body}");
    gh.verify().await;
}

/// The lines of Markdown `text` outside fenced code blocks (which render nothing).
fn outside_code_fences(text: &str) -> String {
    let mut open: Option<usize> = None;
    let mut kept = String::new();
    for line in text.lines() {
        let ticks = line.trim_start().chars().take_while(|&c| c == '`').count();
        match open {
            None if ticks >= 3 => open = Some(ticks),
            Some(n) if ticks >= n && line.trim().chars().all(|c| c == '`') => open = None,
            Some(_) => {}
            None => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    kept
}
