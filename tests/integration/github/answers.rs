//! What the fake GitHub answers, in GitHub's own shapes: each builder starts from the
//! example response of the operation in npm `@octokit/openapi` (copied verbatim into
//! `tests/fixtures/github/`, except that the pull request's team got the `type` its schema
//! requires) and changes only what a test is about.

use serde_json::{Value, json};

use super::harness::RUN_URL;

fn example(text: &str) -> Value {
    serde_json::from_str(text).expect("the example is JSON")
}

/// Writes every field of `changes` into `value`, object fields recursively.
pub fn merge(value: &mut Value, changes: Value) {
    match (value, changes) {
        (Value::Object(value), Value::Object(changes)) => {
            for (key, change) in changes {
                match value.get_mut(&key) {
                    Some(field) if field.is_object() && change.is_object() => merge(field, change),
                    _ => {
                        value.insert(key, change);
                    }
                }
            }
        }
        (value, change) => *value = change,
    }
}

fn with(mut value: Value, changes: Value) -> Value {
    merge(&mut value, changes);
    value
}

/// A user (`simple-user`).
pub fn user(login: &str) -> Value {
    let pull = example(include_str!("../../fixtures/github/pull-request.json"));
    let kind = if login.ends_with("[bot]") { "Bot" } else { "User" };
    with(
        pull["user"].clone(),
        json!({"login": login, "html_url": format!("https://github.example/{login}"), "type": kind}),
    )
}

/// A pull request as `GET /repos/{owner}/{repo}/pulls/{number}` answers it: open, or merged
/// as `merged` into `base`.
pub fn pull(number: u64, head_sha: &str, merged: Option<&str>, base: &str) -> Value {
    let at = merged.map(|_| "2026-01-02T00:00:00Z");
    with(
        example(include_str!("../../fixtures/github/pull-request.json")),
        json!({
            "url": format!("https://api.github.example/repos/o/r/pulls/{number}"),
            "id": 1000 + number, "html_url": format!("https://github.example/o/r/pull/{number}"),
            "number": number, "state": if merged.is_some() { "closed" } else { "open" }, "locked": false,
            "title": format!("Change number {number}"), "user": user("alice"), "body": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "closed_at": at, "merged_at": at, "merge_commit_sha": merged, "merged": merged.is_some(),
            "draft": false,
            "head": {"label": "alice:topic", "ref": "topic", "sha": head_sha, "user": user("alice")},
            "base": {"label": format!("o:{base}"), "ref": base, "sha": "0000000000000000000000000000000000000001",
                     "user": user("o")},
            "author_association": "MEMBER"
        }),
    )
}

/// Pull requests as a listing answers them (`pull-request-simple`: without the counts and
/// merge details of a single pull request, its teams as full `team` objects).
pub fn pull_list(pulls: &[Value]) -> Value {
    const ONLY_IN_ONE: [&str; 12] = [
        "additions",
        "changed_files",
        "comments",
        "commits",
        "deletions",
        "maintainer_can_modify",
        "mergeable",
        "mergeable_state",
        "merged",
        "merged_by",
        "rebaseable",
        "review_comments",
    ];
    let listed = pulls.iter().map(|pull| {
        let mut pull = pull.clone();
        let fields = pull.as_object_mut().expect("a pull request is an object");
        for field in ONLY_IN_ONE {
            fields.shift_remove(field);
        }
        for team in pull["requested_teams"].as_array_mut().into_iter().flatten() {
            team["parent"] = Value::Null;
        }
        pull
    });
    Value::Array(listed.collect())
}

/// A status as the combined-status listing shows it (`simple-commit-status`, no `creator`).
pub fn simple_status(sha: &str, state: &str, context: &str) -> Value {
    let combined = example(include_str!("../../fixtures/github/combined-status.json"));
    with(
        combined["statuses"][0].clone(),
        json!({"url": format!("https://api.github.example/repos/o/r/statuses/{sha}"), "id": 1,
               "state": state, "description": "x", "target_url": RUN_URL, "context": context,
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}),
    )
}

/// A status as `POST /repos/{owner}/{repo}/statuses/{sha}` answers it.
pub fn status_reply(sha: &str, state: &str, context: &str) -> Value {
    with(
        example(include_str!("../../fixtures/github/status.json")),
        json!({"url": format!("https://api.github.example/repos/o/r/statuses/{sha}"), "id": 1,
               "state": state, "description": "x", "target_url": RUN_URL, "context": context,
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
               "creator": user("github-actions[bot]")}),
    )
}

/// The combined status of `sha`: one `(context, state)` per status, first state overall.
pub fn combined(sha: &str, statuses: &[(&str, &str)]) -> Value {
    let statuses: Vec<Value> =
        statuses.iter().map(|(context, state)| simple_status(sha, state, context)).collect();
    let state = statuses.first().map_or(json!("pending"), |s| s["state"].clone());
    let mut combined = with(
        example(include_str!("../../fixtures/github/combined-status.json")),
        json!({"state": state, "sha": sha, "total_count": statuses.len(),
               "commit_url": format!("https://api.github.example/repos/o/r/commits/{sha}"),
               "url": format!("https://api.github.example/repos/o/r/commits/{sha}/status")}),
    );
    combined["statuses"] = Value::Array(statuses);
    combined
}

/// An open issue (not a pull request) labelled `post-merge-smoke`.
pub fn issue(number: u64, body: &str) -> Value {
    let mut issue = pr_as_issue(number, body);
    issue.as_object_mut().expect("an issue is an object").shift_remove("pull_request");
    issue
}

/// A pull request as the issues listing shows it: an issue with `pull_request`.
pub fn pr_as_issue(number: u64, body: &str) -> Value {
    let mut issue = with(
        example(include_str!("../../fixtures/github/issue.json")),
        json!({"url": format!("https://api.github.example/repos/o/r/issues/{number}"), "id": 2000 + number,
               "number": number, "state": "open", "title": "t", "body": body,
               "user": user("github-actions[bot]"), "comments": 0,
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
               "closed_at": null, "closed_by": null, "state_reason": null,
               "html_url": format!("https://github.example/o/r/issues/{number}"), "locked": false,
               "pull_request": {"url": format!("https://api.github.example/repos/o/r/pulls/{number}")}}),
    );
    let label =
        with(issue["labels"][0].clone(), json!({"id": 1, "name": "post-merge-smoke", "color": "d73a4a"}));
    issue["labels"] = json!([label]);
    issue
}

/// A comment as `POST .../issues/{number}/comments` answers it.
pub fn comment(id: u64, body: &str) -> Value {
    with(example(include_str!("../../fixtures/github/issue-comment.json")), json!({"id": id, "body": body}))
}

/// A comparison of two commits with these `files` (each changes the example's entry).
pub fn comparison(ahead_by: u64, files: &[Value]) -> Value {
    let mut comparison = with(
        example(include_str!("../../fixtures/github/commit-comparison.json")),
        json!({"status": "ahead", "ahead_by": ahead_by, "behind_by": 0, "total_commits": ahead_by}),
    );
    let entry = comparison["files"][0].clone();
    comparison["files"] = files.iter().map(|file| with(entry.clone(), file.clone())).collect();
    comparison
}

/// A branch whose head is `sha`.
pub fn branch(name: &str, sha: &str) -> Value {
    with(
        example(include_str!("../../fixtures/github/branch-with-protection.json")),
        json!({"name": name, "protected": true, "commit": {"sha": sha}}),
    )
}

/// The labels of an issue, as `POST /repos/{owner}/{repo}/issues/{number}/labels` answers.
pub fn labels(names: &[&str]) -> Value {
    let issue = example(include_str!("../../fixtures/github/issue.json"));
    let listed = names.iter().enumerate().map(|(i, name)| {
        with(
            issue["labels"][0].clone(),
            json!({"id": 300 + i, "name": name,
                   "url": format!("https://api.github.example/repos/o/r/labels/{name}")}),
        )
    });
    Value::Array(listed.collect())
}

/// A pull request as a listing shows it, from branch `head_ref`, created at `created`,
/// open or closed at `closed`.
pub fn pull_from(number: u64, head_ref: &str, created: &str, closed: Option<&str>) -> Value {
    let mut listed = pull_list(&[pull(number, "5555555555555555555555555555555555555555", None, "main")]);
    let first = &mut listed[0];
    merge(
        first,
        json!({"head": {"ref": head_ref, "label": format!("o:{head_ref}")}, "created_at": created,
               "closed_at": closed, "state": if closed.is_some() { "closed" } else { "open" }}),
    );
    first.clone()
}
