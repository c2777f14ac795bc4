//! Has main moved past the merge commit? Asked of the git remote (`ls-remote`), and of the
//! API when the remote cannot answer and a token is there; else the check is unavailable
//! and the verdict fails closed.

use crate::facts::StaleFact;
use crate::git::Git;
use crate::github_api::{Api, compare};

/// The fact and main's head as seen.
pub async fn check(
    git: &Git,
    api: Option<&Api>,
    remote: &str,
    branch: &str,
    merge_commit: &str,
) -> (StaleFact, Option<String>) {
    let head = match git.remote_branch_head(remote, branch).await {
        Ok(head) => Ok(head),
        Err(git_error) => match api {
            Some(api) => compare::branch_head(api, branch)
                .await
                .map_err(|api_error| format!("{git_error}; the GitHub API failed too: {api_error}")),
            None => Err(format!("could not ask remote `{remote}`: {git_error}")),
        },
    };
    match head {
        Ok(Some(head)) if head == merge_commit => (StaleFact::Fresh, Some(head)),
        Ok(Some(head)) => (StaleFact::Stale, Some(head)),
        Ok(None) => (StaleFact::Unavailable(format!("`{remote}` has no branch `{branch}`")), None),
        Err(why) => (StaleFact::Unavailable(why), None),
    }
}
