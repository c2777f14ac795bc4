//! Pull requests: which one brought a merge commit in (the culprit,
//! `GET /repos/{o}/{r}/commits/{sha}/pulls`, else the number its message names), and the
//! open ones into the main branch, every page, for the tree gate.

use serde::Deserialize;

use super::client::{Api, ApiError};
use super::settings::encode;
use crate::envelope::Culprit;

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    pub head: CommitRef,
    pub base: CommitRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitRef {
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
}

impl PullRequest {
    pub fn culprit(&self) -> Culprit {
        Culprit {
            number: self.number,
            confidence: None,
            author: self.user.as_ref().map(|u| u.login.clone()),
            url: self.html_url.clone(),
            title: self.title.clone(),
        }
    }
}

/// The pull request that merged `merge_commit` into `branch`: asked of the API first; the
/// number in the commit message (`message_pr`) is the fallback, looked up for its details.
pub async fn culprit(
    api: &Api,
    merge_commit: &str,
    branch: &str,
    message_pr: Option<u64>,
) -> Result<Option<Culprit>, ApiError> {
    let pulls: Vec<PullRequest> = api.get(&api.repo_path(&format!("/commits/{merge_commit}/pulls"))).await?;
    if let Some(pr) = pick(&pulls, merge_commit, branch) {
        return Ok(Some(pr.culprit()));
    }
    let Some(number) = message_pr else { return Ok(None) };
    match api.get::<PullRequest>(&api.repo_path(&format!("/pulls/{number}"))).await {
        Ok(pr) => Ok(Some(pr.culprit())),
        // The message names a pull request this repository does not have (a cherry-pick).
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The merged pull request whose merge commit this is; else one merged into the branch.
/// Open pull requests that merely contain the commit are not culprits.
fn pick<'a>(pulls: &'a [PullRequest], merge_commit: &str, branch: &str) -> Option<&'a PullRequest> {
    let merged = || pulls.iter().filter(|p| p.merged_at.is_some());
    merged()
        .find(|p| p.merge_commit_sha.as_deref() == Some(merge_commit))
        .or_else(|| merged().find(|p| p.base.git_ref == branch))
}

/// Every open pull request whose base is `branch`.
pub async fn open_into(api: &Api, branch: &str) -> Result<Vec<PullRequest>, ApiError> {
    let path = api.repo_path(&format!("/pulls?state=open&base={}&per_page=100", encode(branch)));
    api.get_all(&path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(number: u64, merged: bool, merge_sha: &str, base: &str) -> PullRequest {
        PullRequest {
            number,
            title: None,
            html_url: None,
            user: None,
            merged_at: merged.then(|| "2026-01-01T00:00:00Z".to_owned()),
            merge_commit_sha: Some(merge_sha.to_owned()),
            head: CommitRef { sha: "h".into(), git_ref: "topic".into() },
            base: CommitRef { sha: "b".into(), git_ref: base.into() },
        }
    }

    #[test]
    fn picks_the_merged_pull_request_of_this_commit() {
        let pulls = [pr(1, false, "abc", "main"), pr(2, true, "other", "main"), pr(3, true, "abc", "main")];
        assert_eq!(pick(&pulls, "abc", "main").map(|p| p.number), Some(3));
        assert_eq!(pick(&pulls, "zzz", "main").map(|p| p.number), Some(2));
        assert_eq!(pick(&pulls[..1], "abc", "main").map(|p| p.number), None);
        assert_eq!(pick(&[pr(4, true, "x", "dev")], "abc", "main").map(|p| p.number), None);
    }
}
