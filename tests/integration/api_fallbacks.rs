//! The API fallbacks of `run`: changed paths from the compare API when the clone lacks the
//! push's `before`, and the stale check from the branches API when there is no remote.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Repo, fixture, run_envelope};

const TOKEN: &str = "ghp_fallbackToken0123456789";

fn api_env(cmd: &mut assert_cmd::Command, server: &MockServer) {
    cmd.env("GITHUB_API_URL", server.uri())
        .env("GITHUB_REPOSITORY", "o/r")
        .env("POST_MERGE_SMOKE_GITHUB_TOKEN", TOKEN)
        .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20");
}

/// A real push payload, pointed at `before..after` on `main`.
fn push_payload(dir: &std::path::Path, before: &str, after: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("events/push-branch-created.json")).expect("fixture");
    let mut payload: Value = serde_json::from_str(&text).expect("json");
    payload["ref"] = json!("refs/heads/main");
    payload["before"] = json!(before);
    payload["after"] = json!(after);
    payload["created"] = json!(false);
    payload["deleted"] = json!(false);
    let file = dir.join("event.json");
    std::fs::write(&file, payload.to_string()).expect("write");
    file
}

#[tokio::test]
async fn changed_paths_come_from_the_compare_api_when_the_clone_lacks_before() {
    let server = MockServer::start().await;
    let repo = Repo::with_origin("Base");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\npaths:\n  - glob: \"api/**\"\n    command: echo api-smoke\n",
        "Registry",
    );
    let after = repo.commit_file("README.md", "changed", "Touch the readme (#3)");
    // The clone does not have `before`, as after a shallow checkout or a force push.
    let before = "1234567812345678123456781234567812345678";
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/compare/{before}...{after}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "ahead", "ahead_by": 2, "behind_by": 0, "total_commits": 2,
            "files": [{"sha": "a", "filename": "api/new.rs", "status": "renamed",
                       "previous_filename": "api/old.rs", "additions": 1, "deletions": 0, "changes": 1}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let event = push_payload(repo.tmp.path(), before, &after);
    let mut cmd = repo.run();
    api_env(&mut cmd, &server);
    cmd.env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REF", "refs/heads/main");
    let (out, env) = run_envelope(cmd.arg("--skip-stale-check"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env["changed_paths"], json!(["api/new.rs", "api/old.rs"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "api-smoke\n");
    server.verify().await;
}

#[tokio::test]
async fn the_stale_check_asks_the_api_when_there_is_no_remote() {
    let server = MockServer::start().await;
    let repo = Repo::new("init");
    let head = repo.head();
    for (main_sha, status, code, stale) in [(head.as_str(), "PASS", 0, false), ("abcdef0", "PASS", 5, true)] {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path("/repos/o/r/branches/main"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"name": "main", "protected": true, "commit": {"sha": main_sha}})),
            )
            .mount(&server)
            .await;
        let mut cmd = repo.run();
        api_env(&mut cmd, &server);
        let (out, env) = run_envelope(cmd.args(["--command", "true"]));
        assert_eq!((env["status"].as_str(), out.status.code()), (Some(status), Some(code)));
        assert_eq!(env["stale_check"], "checked");
        assert_eq!(env["stale"], stale);
        assert_eq!(env["main_head"], main_sha);
    }
    // The API down too: unavailable, and the gate fails closed.
    server.reset().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let mut cmd = repo.run();
    api_env(&mut cmd, &server);
    let (out, env) = run_envelope(cmd.args(["--command", "true"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["stale_check"], "unavailable");
}

#[tokio::test]
async fn a_culprit_only_the_api_knows_picks_its_registry_entry() {
    let server = MockServer::start().await;
    let repo = Repo::new("init");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\ntasks:\n  \"#88\": echo pr-88\n",
        "Registry",
    );
    // A rebase merge: the message names no pull request.
    let sha = repo.commit_file("src/lib.rs", "x", "Make it faster");
    Mock::given(method("GET"))
        .and(path(format!("/repos/o/r/commits/{sha}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "number": 88, "title": "Make it faster", "html_url": "https://github.example/o/r/pull/88",
            "user": {"login": "bob"}, "merged_at": "2026-11-01T00:00:00Z", "merge_commit_sha": sha,
            "head": {"sha": "1111111111111111111111111111111111111111", "ref": "fast"},
            "base": {"sha": "2222222222222222222222222222222222222222", "ref": "main"}
        }])))
        .expect(1)
        .mount(&server)
        .await;
    let mut cmd = repo.run();
    api_env(&mut cmd, &server);
    let (_, env) = run_envelope(cmd.args(["--skip-stale-check"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "pr-88\n");
    assert_eq!(env["task_id"], "#88");
    assert_eq!(env["culprit"]["author"], "bob");
    server.verify().await;
}
