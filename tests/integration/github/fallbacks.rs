//! The API fallbacks of `run`: changed paths from the compare API when the clone lacks the
//! push's `before`, the stale check from the branches API when there is no remote, and a
//! culprit only the API knows choosing the registry entry.

use serde_json::{Value, json};

use super::answers::{branch, comparison, pull, pull_list, user};
use super::fake::{Answer, FakeGitHub, not_found};
use super::harness::stderr;
use crate::common::{Repo, fixture, run_envelope};

const TOKEN: &str = "ghp_fallbackToken0123456789";

fn api_env(cmd: &mut assert_cmd::Command, gh: &FakeGitHub) {
    cmd.env("GITHUB_API_URL", gh.uri())
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
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Base");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\npaths:\n  - glob: \"api/**\"\n    command: echo api-smoke\n",
        "Registry",
    );
    let after = repo.commit_file("README.md", "changed", "Touch the readme (#3)");
    // The clone does not have `before`, as after a shallow checkout or a force push.
    let before = "1234567812345678123456781234567812345678";
    let renamed = json!({"sha": "a", "filename": "api/new.rs", "status": "renamed",
                         "previous_filename": "api/old.rs", "additions": 1, "deletions": 0, "changes": 1});
    gh.get(format!("/repos/o/r/compare/{before}...{after}"), comparison(2, &[renamed])).expect(1).await;
    let event = push_payload(repo.tmp.path(), before, &after);
    let mut cmd = repo.run();
    api_env(&mut cmd, &gh);
    cmd.env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REF", "refs/heads/main");
    let (out, env) = run_envelope(cmd.arg("--skip-stale-check"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["changed_paths"], json!(["api/new.rs", "api/old.rs"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "api-smoke\n");
    gh.verify().await;
}

#[tokio::test]
async fn the_stale_check_asks_the_api_when_there_is_no_remote() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::new("init");
    let head = repo.head();
    for (main_sha, status, code, stale) in [(head.as_str(), "PASS", 0, false), ("abcdef0", "PASS", 5, true)] {
        gh.reset().await;
        gh.get("/repos/o/r/branches/main", branch("main", main_sha)).await;
        let mut cmd = repo.run();
        api_env(&mut cmd, &gh);
        let (out, env) = run_envelope(cmd.args(["--command", "true"]));
        assert_eq!((env["status"].as_str(), out.status.code()), (Some(status), Some(code)));
        assert_eq!(env["stale_check"], "checked");
        assert_eq!(env["stale"], stale);
        assert_eq!(env["main_head"], main_sha);
    }
    // The API down too: unavailable, and the gate fails closed.
    gh.reset().await;
    gh.answer("GET", "/repos/o/r/branches/main", Answer::json(404, not_found())).await;
    let mut cmd = repo.run();
    api_env(&mut cmd, &gh);
    let (out, env) = run_envelope(cmd.args(["--command", "true"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["stale_check"], "unavailable");
}

#[tokio::test]
async fn a_culprit_only_the_api_knows_picks_its_registry_entry() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::new("init");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\ntasks:\n  \"#88\": echo pr-88\n",
        "Registry",
    );
    // A rebase merge: the message names no pull request.
    let sha = repo.commit_file("src/lib.rs", "x", "Make it faster");
    let mut merged = pull(88, "1111111111111111111111111111111111111111", Some(&sha), "main");
    merged["title"] = json!("Make it faster");
    merged["user"] = user("bob");
    merged["head"]["ref"] = json!("fast");
    merged["base"]["sha"] = json!("2222222222222222222222222222222222222222");
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[merged])).expect(1).await;
    let mut cmd = repo.run();
    api_env(&mut cmd, &gh);
    let (_, env) = run_envelope(cmd.args(["--skip-stale-check"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "pr-88\n");
    assert_eq!(env["task_id"], "#88");
    assert_eq!(env["culprit"]["author"], "bob");
    gh.verify().await;
}
