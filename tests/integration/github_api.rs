//! The GitHub API parts, driving the real binary against a real HTTP server on 127.0.0.1
//! (wiremock) that answers with the shapes of GitHub's documented REST API: commit
//! status, culprit, escalation issue, the tree gate, retries within bounds, a dead API,
//! and the token kept out of every output.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};
use wiremock::matchers::{
    bearer_token, body_partial_json, method, path, path_regex, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{Repo, bin, fixture, git, run_envelope};

const TOKEN: &str = "ghp_pmsTestToken0123456789abcdefXYZ";
const RUN_URL: &str = "https://github.example/o/r/actions/runs/4242";

/// The variables a workflow step would have, pointed at the loopback server, with short
/// internal back-off and pacing so the tests stay fast.
fn github<'a>(cmd: &'a mut Command, server: &MockServer) -> &'a mut Command {
    cmd.env("GITHUB_API_URL", server.uri())
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "4242")
        .env("POST_MERGE_SMOKE_GITHUB_TOKEN", TOKEN)
        .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20")
        .env("POST_MERGE_SMOKE_GATE_WRITE_INTERVAL_MS", "5")
}

fn assert_token_hidden(out: &Output, files: &[&Path]) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(!String::from_utf8_lossy(text).contains(TOKEN), "the token is in {name}");
    }
    for file in files {
        let text = std::fs::read_to_string(file).expect("output file");
        assert!(!text.contains(TOKEN), "the token is in {}", file.display());
    }
}

/// The report `post-merge-smoke gate` prints on stdout (not an envelope).
fn gate_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not one JSON report ({e}):\n{}", String::from_utf8_lossy(&out.stderr))
    })
}

fn notification<'a>(env: &'a Value, kind: &str) -> &'a Value {
    let all = env["notifications"].as_array().expect("notifications");
    all.iter().find(|n| n["kind"] == kind).unwrap_or_else(|| panic!("no `{kind}` notification in {all:?}"))
}

async fn requests(server: &MockServer, verb: &str, path_is: &str) -> Vec<Request> {
    let all = server.received_requests().await.expect("recording is on");
    all.into_iter().filter(|r| r.method.as_str() == verb && r.url.path() == path_is).collect()
}

fn user(login: &str) -> Value {
    json!({"login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
           "html_url": format!("https://github.example/{login}")})
}

fn pull(number: u64, head_sha: &str, merged: Option<&str>, base: &str) -> Value {
    json!({
        "url": format!("https://api.github.example/repos/o/r/pulls/{number}"),
        "id": 1000 + number, "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
        "html_url": format!("https://github.example/o/r/pull/{number}"),
        "number": number, "state": if merged.is_some() { "closed" } else { "open" }, "locked": false,
        "title": format!("Change number {number}"), "user": user("alice"), "body": null,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
        "closed_at": merged.map(|_| "2026-01-02T00:00:00Z"),
        "merged_at": merged.map(|_| "2026-01-02T00:00:00Z"), "merge_commit_sha": merged,
        "draft": false,
        "head": {"label": "alice:topic", "ref": "topic", "sha": head_sha, "user": user("alice")},
        "base": {"label": format!("o:{base}"), "ref": base, "sha": "0000000000000000000000000000000000000001",
                 "user": user("o")},
        "author_association": "MEMBER"
    })
}

/// A status as the combined-status listing shows it (no `creator` there).
fn simple_status(sha: &str, state: &str, context: &str) -> Value {
    json!({"url": format!("https://api.github.example/repos/o/r/statuses/{sha}"), "id": 1,
           "node_id": "MDY6U3RhdHVzMQ==", "state": state, "description": "x", "target_url": RUN_URL,
           "context": context, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

/// A status as `POST /statuses/{sha}` answers it.
fn status_reply(sha: &str, state: &str, context: &str) -> Value {
    let mut status = simple_status(sha, state, context);
    status["creator"] = user("github-actions[bot]");
    status
}

fn combined(sha: &str, statuses: &[(&str, &str)]) -> Value {
    let statuses: Vec<Value> =
        statuses.iter().map(|(context, state)| simple_status(sha, state, context)).collect();
    let state = statuses.first().map_or(json!("pending"), |s| s["state"].clone());
    json!({"state": state, "statuses": statuses, "sha": sha, "total_count": statuses.len(),
           "commit_url": format!("https://api.github.example/repos/o/r/commits/{sha}"),
           "url": format!("https://api.github.example/repos/o/r/commits/{sha}/status")})
}

fn issue(number: u64, body: &str) -> Value {
    json!({"url": format!("https://api.github.example/repos/o/r/issues/{number}"), "id": 2000 + number,
           "node_id": "MDU6SXNzdWUx", "number": number, "state": "open", "title": "t", "body": body,
           "user": user("github-actions[bot]"), "labels": [{"id": 1, "name": "post-merge-smoke", "color": "d73a4a"}],
           "comments": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
           "html_url": format!("https://github.example/o/r/issues/{number}"), "locked": false})
}

async fn mount_pulls_of(server: &MockServer, sha: &str, pulls: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/commits/{sha}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(pulls))
        .mount(server)
        .await;
}

async fn mount_status_post(server: &MockServer, sha: &str, state: &str, context: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("/repos/o/r/statuses/{sha}")))
        .and(body_partial_json(json!({"state": state, "context": context})))
        .respond_with(ResponseTemplate::new(201).set_body_json(status_reply(sha, state, context)))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn commit_status_carries_state_description_and_run_url() {
    for (command, state, code) in [("true", "success", 0), ("echo broken >&2; exit 3", "failure", 1)] {
        let server = MockServer::start().await;
        let repo = Repo::with_origin("Plain commit");
        let sha = repo.head();
        mount_pulls_of(&server, &sha, json!([])).await;
        Mock::given(method("POST"))
            .and(path(format!("/repos/o/r/statuses/{sha}")))
            .and(bearer_token(TOKEN))
            .and(body_partial_json(json!({"state": state, "context": "smoke/ci", "target_url": RUN_URL})))
            .respond_with(ResponseTemplate::new(201).set_body_json(status_reply(&sha, state, "smoke/ci")))
            .expect(1)
            .mount(&server)
            .await;
        let output = repo.tmp.path().join("envelope.json");
        let mut cmd = repo.run();
        github(&mut cmd, &server).args([
            "--commit-status",
            "--status-context",
            "smoke/ci",
            "--command",
            command,
        ]);
        let (out, env) = run_envelope(cmd.arg("--output").arg(&output));
        assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(notification(&env, "commit_status")["ok"], true);
        assert_eq!(notification(&env, "culprit")["ok"], true);
        let posted = requests(&server, "POST", &format!("/repos/o/r/statuses/{sha}")).await;
        let body: Value = posted[0].body_json().unwrap();
        let description = body["description"].as_str().unwrap();
        assert!(description.chars().count() <= 140);
        let expected = if code == 0 { "PASS in " } else { "FAIL after " };
        assert!(description.starts_with(expected), "{description}");
        if code == 1 {
            assert!(description.ends_with("(exit code 3)"), "{description}");
        }
        assert_eq!(crate::common::envelope_file(&output), env);
        assert_token_hidden(&out, &[&output]);
        server.verify().await;
    }
}

#[tokio::test]
async fn culprit_from_the_api_fills_task_id_culprit_and_packet() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Fix the parser (#41)");
    let sha = repo.head();
    // An open pull request that merely contains the commit is not the culprit.
    let pulls = json!([
        pull(12, "1111111111111111111111111111111111111111", None, "main"),
        pull(57, "2222222222222222222222222222222222222222", Some(&sha), "main")
    ]);
    mount_pulls_of(&server, &sha, pulls).await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &server).args(["--command", "exit 1"]));
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
    let (_, env) = run_envelope(github(&mut cmd, &server).args(["--task-id", "T-9", "--command", "exit 1"]));
    assert_eq!(env["task_id"], "T-9");
    assert_eq!(env["culprit"]["number"], 57);
    assert_token_hidden(&out, &[]);
}

#[tokio::test]
async fn culprit_falls_back_to_the_pull_request_the_message_names() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Merge pull request #41 from alice/topic");
    let sha = repo.head();
    mount_pulls_of(&server, &sha, json!([])).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/41"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull(
            41,
            "3333333333333333333333333333333333333333",
            Some(&sha),
            "main",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &server).args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["task_id"], "#41");
    assert_eq!(env["culprit"]["author"], "alice");
    server.verify().await;
}

/// Mounts the open-issues list for the two labels used below.
async fn mount_open_issues(server: &MockServer, issues: Value) {
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues"))
        .and(query_param("state", "open"))
        .and(query_param("labels", "post-merge-smoke,tide/merge-blocker"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issues))
        .mount(server)
        .await;
}

fn escalation_run(repo: &Repo, server: &MockServer, command: &str) -> (Output, Value) {
    let mut cmd = repo.run();
    github(&mut cmd, server).args([
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
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Break things (#57)");
    let sha = repo.head();

    // 1. The first failure opens one issue; pull requests and other issues in the list are not it.
    mount_pulls_of(
        &server,
        &sha,
        json!([pull(57, "4444444444444444444444444444444444444444", Some(&sha), "main")]),
    )
    .await;
    let pr_as_issue = {
        let mut i = issue(3, "some pull request");
        i["pull_request"] = json!({"url": "https://api.github.example/repos/o/r/pulls/3"});
        i
    };
    mount_open_issues(
        &server,
        json!([pr_as_issue, issue(4, "<!-- post-merge-smoke:fingerprint=pms-other -->")]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues"))
        .and(body_partial_json(json!({"labels": ["post-merge-smoke", "tide/merge-blocker"]})))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(9, "created")))
        .expect(1)
        .mount(&server)
        .await;
    let (out, env) = escalation_run(&repo, &server, "echo 'error: widget ``` exploded' >&2; exit 2");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let created: Value = requests(&server, "POST", "/repos/o/r/issues").await[0].body_json().unwrap();
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
    server.verify().await;

    // 2. The same breakage on the next merge comments on that issue, never a second one.
    server.reset().await;
    let sha2 = repo.commit_file("b.txt", "b", "More (#58)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    mount_pulls_of(&server, &sha2, json!([])).await;
    mount_open_issues(&server, json!([issue(9, &body)])).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1, "body": "x"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let (out, env) = escalation_run(&repo, &server, "echo 'error: widget ``` exploded' >&2; exit 2");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let comment: Value =
        requests(&server, "POST", "/repos/o/r/issues/9/comments").await[0].body_json().unwrap();
    assert!(comment["body"].as_str().unwrap().contains(&sha2));
    server.verify().await;

    // 3. A fresh PASS closes our issue for this branch, naming the recovering commit,
    //    and leaves an issue of another branch open.
    server.reset().await;
    let sha3 = repo.commit_file("c.txt", "c", "Fix (#59)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    mount_pulls_of(&server, &sha3, json!([])).await;
    let other_branch = body.replace("branch=main", "branch=release");
    mount_open_issues(&server, json!([issue(9, &body), issue(11, &other_branch)])).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 2, "body": "x"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/issues/9"))
        .and(body_partial_json(json!({"state": "closed"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(9, &body)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/issues/11"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (out, env) = escalation_run(&repo, &server, "true");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    let comment: Value =
        requests(&server, "POST", "/repos/o/r/issues/9/comments").await[0].body_json().unwrap();
    assert!(
        comment["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Recovered: the post-merge smoke passed on `main` at `{sha3}`"))
    );
    assert_token_hidden(&out, &[]);
    server.verify().await;
}

/// A fake of the issues endpoints whose create lands but answers 502, as a lost answer
/// would: the list shows the issue from then on.
#[derive(Clone, Default)]
struct LostCreate(Arc<Mutex<Option<String>>>);

struct CreateLands(LostCreate);

impl Respond for CreateLands {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().expect("a JSON body");
        let text = body["body"].as_str().expect("an issue body").to_owned();
        *self.0.0.lock().expect("not poisoned") = Some(text);
        ResponseTemplate::new(502).set_body_string("<html>502 Bad Gateway</html>")
    }
}

struct ListShows(LostCreate);

impl Respond for ListShows {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let listed: Vec<Value> =
            self.0.0.lock().expect("not poisoned").iter().map(|body| issue(21, body)).collect();
        ResponseTemplate::new(200).set_body_json(listed)
    }
}

#[tokio::test]
async fn a_create_answered_with_a_server_error_is_looked_for_not_repeated() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Break (#5)");
    mount_pulls_of(&server, &repo.head(), json!([])).await;
    let state = LostCreate::default();
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues"))
        .respond_with(ListShows(state.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues"))
        .respond_with(CreateLands(state.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("/comments$"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let (out, env) = escalation_run(&repo, &server, "exit 1");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(notification(&env, "escalation_issue")["ok"], true, "{env}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("opened escalation issue #21"));
    server.verify().await;
}

/// The envelope of a run without any API, for the `gate` subcommand.
fn envelope_file(repo: &Repo, command: &str) -> std::path::PathBuf {
    let (_, env) = run_envelope(repo.run().args(["--command", command]));
    let path =
        repo.tmp.path().join(format!("envelope-{}.json", git(&repo.dir, &["rev-parse", "--short", "HEAD"])));
    std::fs::write(&path, serde_json::to_vec(&env).expect("serialises")).expect("written");
    path
}

#[tokio::test]
async fn gate_pages_through_open_pull_requests_and_skips_heads_already_right() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Break (#7)");
    let file = envelope_file(&repo, "exit 1");
    let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
    let next = format!("{}/repos/o/r/pulls?state=open&base=main&per_page=100&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("base", "main"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([pull(1, &a, None, "main"), pull(2, &b, None, "main")]))
                .insert_header("link", format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\"")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .and(query_param("page", "2"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(3, &c, None, "main")])))
        .expect(1)
        .mount(&server)
        .await;
    for (sha, statuses) in [
        (&a, vec![("main-health", "failure"), ("ci", "success")]),
        (&b, vec![("main-health", "success")]),
        (&c, vec![]),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{sha}/status")))
            .respond_with(ResponseTemplate::new(200).set_body_json(combined(sha, &statuses)))
            .mount(&server)
            .await;
    }
    mount_status_post(&server, &a, "failure", "main-health", 0).await;
    mount_status_post(&server, &b, "failure", "main-health", 1).await;
    mount_status_post(&server, &c, "failure", "main-health", 1).await;
    let mut cmd = bin();
    let out = github(&mut cmd, &server).arg("gate").arg("--envelope").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = gate_report(&out);
    assert_eq!(report["state"], "failure");
    assert_eq!(report["pull_requests"], 3);
    assert_eq!(report["updated"], json!([2, 3]));
    assert_eq!(report["already"], json!([1]));
    assert_token_hidden(&out, &[]);
    server.verify().await;
}

#[tokio::test]
async fn run_gate_releases_pull_requests_once_main_is_green() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Fix (#8)");
    mount_pulls_of(&server, &repo.head(), json!([])).await;
    let head = "d".repeat(40);
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(4, &head, None, "main")])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/commits/{head}/status")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(combined(&head, &[("main-health", "failure")])),
        )
        .mount(&server)
        .await;
    mount_status_post(&server, &head, "success", "main-health", 1).await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &server).args(["--gate", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "gate")["ok"], true, "{env}");
    server.verify().await;
}

#[tokio::test]
async fn a_stale_pass_leaves_gate_and_issues_alone_and_a_stale_fail_still_holds() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Old (#1)");
    let old = repo.head();
    repo.commit_file("n.txt", "n", "Newer (#2)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    git(&repo.dir, &["checkout", "-q", &old]);
    mount_pulls_of(&server, &old, json!([])).await;
    Mock::given(path_regex("^/repos/o/r/(issues|pulls$)"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    mount_status_post(&server, &old, "success", "post-merge-smoke", 1).await;
    let mut cmd = repo.run();
    github(&mut cmd, &server).args(["--gate", "--escalation-issue", "--commit-status", "--command", "true"]);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(env["stale"], true);
    assert_eq!(notification(&env, "gate")["ok"], true);
    server.verify().await;

    // The same verdict as a file, and a stale FAIL: the FAIL still holds the pull request.
    server.reset().await;
    let head = "e".repeat(40);
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(6, &head, None, "main")])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/commits/{head}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(combined(&head, &[])))
        .mount(&server)
        .await;
    mount_status_post(&server, &head, "failure", "main-health", 1).await;
    let stale_pass = envelope_file(&repo, "true");
    let stale_fail = repo.tmp.path().join("stale-fail.json");
    let (_, fail) = run_envelope(repo.run().args(["--command", "exit 1"]));
    assert_eq!(fail["stale"], true);
    std::fs::write(&stale_fail, serde_json::to_vec(&fail).unwrap()).unwrap();
    for (file, updated) in [(&stale_pass, json!([])), (&stale_fail, json!([6]))] {
        let mut cmd = bin();
        let out = github(&mut cmd, &server).arg("gate").arg("--envelope").arg(file).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(gate_report(&out)["updated"], updated);
    }
    server.verify().await;
}

#[tokio::test]
async fn gate_pull_request_mirrors_main_s_health_onto_the_pull_request() {
    let server = MockServer::start().await;
    let tmp = tempfile::TempDir::new().unwrap();
    let head = "f".repeat(40);
    let event = json!({
        "action": "opened", "number": 15,
        "pull_request": pull(15, &head, None, "trunk"),
        "repository": {"id": 1, "name": "r", "full_name": "o/r", "default_branch": "trunk"}
    });
    let event_path = tmp.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let main_status = {
        let mut c = combined("9".repeat(40).as_str(), &[("post-merge-smoke", "failure")]);
        c["statuses"][0]["description"] = json!("FAIL after 1.0s (exit code 1)");
        c
    };
    Mock::given(method("GET"))
        .and(path("/repos/o/r/commits/trunk/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(main_status))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/commits/{head}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(combined(&head, &[])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/o/r/statuses/{head}")))
        .and(body_partial_json(json!({"state": "failure", "context": "main-health", "target_url": RUN_URL,
                                      "description": "main is red: FAIL after 1.0s (exit code 1); merges held"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(status_reply(&head, "failure", "main-health")))
        .expect(1)
        .mount(&server)
        .await;
    let mut cmd = bin();
    github(&mut cmd, &server)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_EVENT_NAME", "pull_request_target");
    let out = cmd.args(["gate", "--pull-request"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(gate_report(&out)["updated"], json!([15]));
    server.verify().await;
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_within_bounds() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Plain");
    let sha = repo.head();
    let statuses = format!("/repos/o/r/statuses/{sha}");
    mount_pulls_of(&server, &sha, json!([])).await;
    Mock::given(method("POST"))
        .and(path(&statuses))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(&statuses))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "slow down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_status_post(&server, &sha, "success", "post-merge-smoke", 1).await;
    let started = Instant::now();
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &server).args(["--commit-status", "--command", "true"]));
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(notification(&env, "commit_status")["ok"], true, "{env}");
    assert_eq!(requests(&server, "POST", &statuses).await.len(), 3);
    assert!(took >= Duration::from_secs(1), "retry-after was honoured: {took:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");

    // Always failing: a bounded number of attempts, then a notification, verdict unchanged.
    server.reset().await;
    mount_pulls_of(&server, &sha, json!([])).await;
    Mock::given(method("POST"))
        .and(path(&statuses))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&server)
        .await;
    let mut cmd = repo.run();
    let (out, env) = run_envelope(github(&mut cmd, &server).args(["--commit-status", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    let note = notification(&env, "commit_status");
    assert_eq!(note["ok"], false);
    assert!(note["error"].as_str().unwrap().contains("answered 502"), "{note}");
    server.verify().await;

    // A rate limit longer than allowed is not waited for.
    server.reset().await;
    mount_pulls_of(&server, &sha, json!([])).await;
    Mock::given(method("POST"))
        .and(path(&statuses))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let mut cmd = repo.run();
    let (_, env) = run_envelope(github(&mut cmd, &server).args(["--commit-status", "--command", "true"]));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(notification(&env, "commit_status")["error"].as_str().unwrap().contains("rate limited"));
    server.verify().await;
}

#[test]
fn a_dead_api_changes_neither_verdict_nor_exit_code() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (command, status, code) in [("exit 1", "FAIL", 1), ("true", "PASS", 0)] {
        let repo = Repo::with_origin("Change (#3)");
        let output = repo.tmp.path().join("out/envelope.json");
        let started = Instant::now();
        let mut cmd = repo.run();
        cmd.env("GITHUB_API_URL", format!("http://127.0.0.1:{port}"))
            .env("GITHUB_REPOSITORY", "o/r")
            .env("GITHUB_TOKEN", TOKEN)
            .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20")
            .args(["--commit-status", "--escalation-issue", "--gate", "--command", command])
            .arg("--output")
            .arg(&output);
        let (out, env) = run_envelope(&mut cmd);
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
        assert_eq!(out.status.code(), Some(code));
        assert_eq!(env["status"], status);
        let kinds: Vec<&str> =
            env["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["culprit", "commit_status", "escalation_issue", "gate"]);
        assert!(
            env["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["ok"] == false && n["error"].is_string())
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("warning: GitHub commit status"), "{stderr}");
        assert_eq!(crate::common::envelope_file(&output), env);
        assert_token_hidden(&out, &[&output]);
    }
}

#[tokio::test]
async fn a_token_given_by_flag_or_by_github_token_never_shows() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Plain");
    let sha = repo.head();
    mount_pulls_of(&server, &sha, json!([])).await;
    // A server that echoes the token back in its error message.
    Mock::given(method("POST"))
        .and(path(format!("/repos/o/r/statuses/{sha}")))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"message": format!("bad credentials {TOKEN}")})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let output = repo.tmp.path().join("envelope.json");
    let mut cmd = repo.run();
    github(&mut cmd, &server).env_remove("POST_MERGE_SMOKE_GITHUB_TOKEN").args(["--github-token", TOKEN]);
    let (out, env) =
        run_envelope(cmd.args(["--commit-status", "--command", "true", "--output"]).arg(&output));
    assert_eq!(out.status.code(), Some(0));
    let error = notification(&env, "commit_status")["error"].as_str().unwrap();
    assert!(error.contains("bad credentials ***"), "{error}");
    assert_eq!(crate::common::envelope_file(&output), env);
    assert_token_hidden(&out, &[&output]);

    // The runner's GITHUB_TOKEN works as the fallback, and a smoke printing it shows ***.
    let mut cmd = repo.run();
    github(&mut cmd, &server).env_remove("POST_MERGE_SMOKE_GITHUB_TOKEN").env("GITHUB_TOKEN", TOKEN);
    let (out, env) = run_envelope(
        cmd.args(["--commit-status", "--command", "echo \"$GITHUB_TOKEN\"", "--output"]).arg(&output),
    );
    assert_eq!(env["smoke_result"]["stdout_tail"], "***\n");
    assert_eq!(crate::common::envelope_file(&output), env);
    assert_token_hidden(&out, &[&output]);
    server.verify().await;
}

/// A real `merge_group` payload (npm `@octokit/webhooks-examples`, trimmed), its base
/// changed to `base_ref`, written to `dir`.
fn merge_group_event(dir: &Path, base_ref: &str) -> (std::path::PathBuf, String) {
    let text = std::fs::read(fixture("events/merge-group-checks-requested.json")).expect("fixture");
    let mut event: Value = serde_json::from_slice(&text).expect("JSON");
    event["merge_group"]["base_ref"] = json!(base_ref);
    let head = event["merge_group"]["head_sha"].as_str().expect("head_sha").to_owned();
    let path = dir.join("merge-group.json");
    std::fs::write(&path, event.to_string()).expect("written");
    (path, head)
}

fn mirror_on_merge_group(server: &MockServer, event_path: &Path) -> Output {
    let mut cmd = bin();
    github(&mut cmd, server).env("GITHUB_EVENT_PATH", event_path).env("GITHUB_EVENT_NAME", "merge_group");
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
        let server = MockServer::start().await;
        let mut main_status = combined("9".repeat(40).as_str(), &[(main_context, main_state)]);
        main_status["statuses"][0]["description"] = json!(main_said);
        Mock::given(method("GET"))
            .and(path("/repos/o/r/commits/main/status"))
            .respond_with(ResponseTemplate::new(200).set_body_json(main_status))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{head}/status")))
            .respond_with(ResponseTemplate::new(200).set_body_json(combined(&head, &[("ci", "success")])))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/repos/o/r/statuses/{head}")))
            .and(bearer_token(TOKEN))
            .and(body_partial_json(json!({"state": gate_state, "context": "main-health",
                                          "description": description, "target_url": RUN_URL})))
            .respond_with(ResponseTemplate::new(201).set_body_json(status_reply(
                &head,
                gate_state,
                "main-health",
            )))
            .expect(1)
            .mount(&server)
            .await;
        let out = mirror_on_merge_group(&server, &event_path);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report = gate_report(&out);
        assert_eq!(report["state"], gate_state);
        assert_eq!(report["merge_group"], json!({"head_sha": head, "result": "updated"}));
        assert_eq!(report["pull_requests"], 0);
        assert_eq!(report["updated"], json!([]));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("merge queue commit {head}: main is"))
        );
        assert_token_hidden(&out, &[]);
        server.verify().await;
    }
}

#[tokio::test]
async fn gate_pull_request_on_a_merge_group_into_another_branch_sets_nothing() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/repos/"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let tmp = tempfile::TempDir::new().unwrap();
    let (event_path, head) = merge_group_event(tmp.path(), "refs/heads/release");
    let out = mirror_on_merge_group(&server, &event_path);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = gate_report(&out);
    assert_eq!(report["state"], Value::Null);
    assert_eq!(report["merge_group"], Value::Null);
    assert_eq!(report["note"], format!("merge queue commit {head} is not into `main`; nothing to gate"));
    server.verify().await;
}

#[tokio::test]
async fn gate_pull_request_on_a_malformed_merge_group_fails_with_a_reason() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/repos/"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
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
        let out = mirror_on_merge_group(&server, &event_path);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("the gate did nothing") && stderr.contains(reason), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    server.verify().await;
}
