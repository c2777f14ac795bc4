//! Has main moved past the merge commit? Asked of the GitHub API when there is a token,
//! else (or when the API cannot answer) of the remote, by the URL recorded before the
//! smoke ran and from outside any repository, so nothing the smoke configured is asked or
//! run. When neither can answer the check is unavailable and the verdict fails closed.

use crate::env::Environment;
use crate::facts::StaleFact;
use crate::git;
use crate::github_api::{Api, compare};

/// The fact and main's head as seen.
pub async fn check(
    api: Option<&Api>,
    remote_url: Result<&str, &str>,
    branch: &str,
    merge_commit: &str,
    env: &Environment,
) -> (StaleFact, Option<String>) {
    let mut failures = Vec::new();
    let mut head = None;
    if let Some(api) = api {
        match compare::branch_head(api, branch).await {
            Ok(Some(found)) => head = Some(Some(found)),
            // The remote may still know the branch (a token without access to it, say).
            Ok(None) => failures.push(format!("the GitHub API knows no branch `{branch}`")),
            Err(e) => failures.push(format!("the GitHub API failed: {e}")),
        }
    }
    if head.is_none() {
        match remote_url {
            Ok(url) => match ask_remote(url, branch, env).await {
                Ok(found) => head = Some(found),
                Err(e) => failures.push(format!("could not ask the remote: {e}")),
            },
            Err(why) => failures.push(why.to_owned()),
        }
    }
    match head {
        Some(Some(head)) if head == merge_commit => (StaleFact::Fresh, Some(head)),
        Some(Some(head)) => (StaleFact::Stale, Some(head)),
        Some(None) => (StaleFact::Unavailable(format!("the remote has no branch `{branch}`")), None),
        None => (StaleFact::Unavailable(failures.join("; ")), None),
    }
}

async fn ask_remote(url: &str, branch: &str, env: &Environment) -> Result<Option<String>, String> {
    let folder =
        |base: std::path::PathBuf| tempfile::Builder::new().prefix("post-merge-smoke-").tempdir_in(base);
    let outside = folder(env.temp_dir())
        .or_else(|_| folder("/tmp".into()))
        .map_err(|e| format!("no temporary folder: {e}"))?;
    git::ls_remote(url, branch, env, outside.path()).await.map_err(|e| e.to_string())
}
