//! What the fake GitHub answers: the fields of GitHub's documented shapes that the binary
//! reads, with the values a test is about.

use serde_json::{Value, json};

use super::harness::RUN_URL;

/// A user (`simple-user`).
pub fn user(login: &str) -> Value {
    json!({"login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
           "html_url": format!("https://github.example/{login}")})
}

/// A pull request: open, or merged as `merged` into `base`.
pub fn pull(number: u64, head_sha: &str, merged: Option<&str>, base: &str) -> Value {
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

/// Pull requests as a listing answers them.
pub fn pull_list(pulls: &[Value]) -> Value {
    Value::Array(pulls.to_vec())
}

/// A status as the combined-status listing shows it (no `creator` there).
pub fn simple_status(sha: &str, state: &str, context: &str) -> Value {
    json!({"url": format!("https://api.github.example/repos/o/r/statuses/{sha}"), "id": 1,
           "node_id": "MDY6U3RhdHVzMQ==", "state": state, "description": "x", "target_url": RUN_URL,
           "context": context, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

/// A status as `POST /repos/{owner}/{repo}/statuses/{sha}` answers it.
pub fn status_reply(sha: &str, state: &str, context: &str) -> Value {
    let mut status = simple_status(sha, state, context);
    status["creator"] = user("github-actions[bot]");
    status
}

/// The combined status of `sha`: one `(context, state)` per status, first state overall.
pub fn combined(sha: &str, statuses: &[(&str, &str)]) -> Value {
    let statuses: Vec<Value> =
        statuses.iter().map(|(context, state)| simple_status(sha, state, context)).collect();
    let state = statuses.first().map_or(json!("pending"), |s| s["state"].clone());
    json!({"state": state, "statuses": statuses, "sha": sha, "total_count": statuses.len(),
           "commit_url": format!("https://api.github.example/repos/o/r/commits/{sha}"),
           "url": format!("https://api.github.example/repos/o/r/commits/{sha}/status")})
}

/// An open issue (not a pull request) labelled `post-merge-smoke`.
pub fn issue(number: u64, body: &str) -> Value {
    json!({"url": format!("https://api.github.example/repos/o/r/issues/{number}"), "id": 2000 + number,
           "node_id": "MDU6SXNzdWUx", "number": number, "state": "open", "title": "t", "body": body,
           "user": user("github-actions[bot]"), "labels": [{"id": 1, "name": "post-merge-smoke", "color": "d73a4a"}],
           "comments": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
           "html_url": format!("https://github.example/o/r/issues/{number}"), "locked": false})
}

/// A pull request as the issues listing shows it: an issue with `pull_request`.
pub fn pr_as_issue(number: u64, body: &str) -> Value {
    let mut issue = issue(number, body);
    issue["pull_request"] = json!({"url": format!("https://api.github.example/repos/o/r/pulls/{number}")});
    issue
}

/// A comment as `POST .../issues/{number}/comments` answers it.
pub fn comment(id: u64, body: &str) -> Value {
    json!({"id": id, "body": body})
}

/// A comparison of two commits with these `files`.
pub fn comparison(ahead_by: u64, files: &[Value]) -> Value {
    json!({"status": "ahead", "ahead_by": ahead_by, "behind_by": 0, "total_commits": ahead_by, "files": files})
}

/// A branch whose head is `sha`.
pub fn branch(name: &str, sha: &str) -> Value {
    json!({"name": name, "protected": true, "commit": {"sha": sha}})
}
