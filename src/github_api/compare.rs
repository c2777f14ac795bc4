//! API fallbacks for two facts `run` normally gets from git: the paths a push changed
//! (`GET /repos/{o}/{r}/compare/{base}...{head}`, when the history is not in the clone)
//! and where the main branch points (`GET /repos/{o}/{r}/branches/{branch}`, when there is
//! no remote to ask).

use serde::Deserialize;

use super::client::{Api, ApiError};
use super::settings::encode;

/// The compare API lists at most this many files and says nothing when it cuts.
pub const COMPARE_FILE_LIMIT: usize = 300;

#[derive(Debug, Deserialize)]
struct Comparison {
    #[serde(default)]
    files: Vec<File>,
}

#[derive(Debug, Deserialize)]
struct File {
    filename: String,
    #[serde(default)]
    previous_filename: Option<String>,
}

/// Paths changed between `base` and `head`, renamed files under both names; `None` when
/// the list may be cut short (then only task and default registry entries can apply).
pub async fn changed_paths(api: &Api, base: &str, head: &str) -> Result<Option<Vec<String>>, ApiError> {
    let path = api.repo_path(&format!("/compare/{}...{}?per_page=100", encode(base), encode(head)));
    let comparison: Comparison = api.get(&path).await?;
    if comparison.files.len() >= COMPARE_FILE_LIMIT {
        return Ok(None);
    }
    let mut paths: Vec<String> = comparison
        .files
        .into_iter()
        .flat_map(|f| std::iter::once(f.filename).chain(f.previous_filename))
        .collect();
    paths.sort();
    paths.dedup();
    Ok(Some(paths))
}

#[derive(Debug, Deserialize)]
struct Branch {
    commit: Commit,
}

#[derive(Debug, Deserialize)]
struct Commit {
    sha: String,
}

/// The commit `branch` points to; `None` when the repository has no such branch.
pub async fn branch_head(api: &Api, branch: &str) -> Result<Option<String>, ApiError> {
    match api.get::<Branch>(&api.repo_path(&format!("/branches/{}", encode(branch)))).await {
        Ok(b) => Ok(Some(b.commit.sha)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::github_api::retry::RetryPolicy;
    use crate::github_api::settings::Settings;

    fn api(server: &MockServer) -> Api {
        let settings = Settings {
            token: "test-token-value".into(),
            api_url: server.uri(),
            server_url: "https://github.example".into(),
            owner: "o".into(),
            name: "r".into(),
            policy: RetryPolicy::new(Duration::from_millis(10), Duration::from_secs(2)),
            write_interval: Duration::ZERO,
        };
        Api::new(&settings).unwrap()
    }

    #[tokio::test]
    async fn lists_changed_paths_with_both_names_of_a_rename() {
        let server = MockServer::start().await;
        let body = serde_json::json!({
            "status": "ahead", "ahead_by": 2, "behind_by": 0, "total_commits": 2, "commits": [],
            "files": [
                {"sha": "1", "filename": "src/b.rs", "status": "modified", "additions": 1, "deletions": 0, "changes": 1},
                {"sha": "2", "filename": "src/new.rs", "previous_filename": "src/old.rs", "status": "renamed",
                 "additions": 0, "deletions": 0, "changes": 0}
            ]
        });
        Mock::given(method("GET"))
            .and(path("/repos/o/r/compare/aaa...bbb"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let paths = changed_paths(&api(&server), "aaa", "bbb").await.unwrap();
        assert_eq!(paths, Some(vec!["src/b.rs".into(), "src/new.rs".into(), "src/old.rs".into()]));
    }

    #[tokio::test]
    async fn a_comparison_at_the_file_limit_is_unknown() {
        let server = MockServer::start().await;
        let files: Vec<_> =
            (0..COMPARE_FILE_LIMIT).map(|i| serde_json::json!({"filename": format!("f{i}")})).collect();
        Mock::given(method("GET"))
            .and(path("/repos/o/r/compare/aaa...bbb"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"files": files})))
            .mount(&server)
            .await;
        assert_eq!(changed_paths(&api(&server), "aaa", "bbb").await.unwrap(), None);
    }

    #[tokio::test]
    async fn reads_the_branch_head_and_knows_a_missing_branch() {
        let server = MockServer::start().await;
        let sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
        Mock::given(method("GET"))
            .and(path("/repos/o/r/branches/release%2F1.x"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"name": "release/1.x", "commit": {"sha": sha}, "protected": true}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/o/r/branches/gone"))
            .respond_with(
                ResponseTemplate::new(404).set_body_json(serde_json::json!({"message": "Branch not found"})),
            )
            .mount(&server)
            .await;
        let api = api(&server);
        assert_eq!(branch_head(&api, "release/1.x").await.unwrap().as_deref(), Some(sha));
        assert_eq!(branch_head(&api, "gone").await.unwrap(), None);
    }
}
