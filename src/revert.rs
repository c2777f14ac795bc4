//! A pull request that reverts a confirmed first bad merge (`--revert-pr`, contract
//! section 9), and the safeguards that stop one: never a revert of a revert, never two for
//! one commit, at most `--max-reverts` in 24 hours, none while an issue labelled
//! `post-merge-smoke:stop-reverts` is open, none when the revert does not apply cleanly.
//!
//! The revert is made in a temporary worktree (the job's work tree is never touched) and
//! pushed with git; the token reaches git only as configuration in its environment, never
//! on a command line, in a log or in a file.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::json;

use crate::bisect::short;
use crate::envelope::{BisectionResult, Confidence, Envelope};
use crate::git::{self, Git};
use crate::github_api::{Api, ApiError, Repeat, encode};
use crate::merge::Repo;
use crate::text::md::{code, text};
use crate::text::{Limit, one_line, truncate};

pub const BRANCH_PREFIX: &str = "post-merge-smoke/revert-";
pub const STOP_LABEL: &str = "post-merge-smoke:stop-reverts";
pub const REVERT_LABEL: &str = "revert";
const DAY: Duration = Duration::from_secs(24 * 3600);

pub struct Request<'a> {
    pub api: &'a Api,
    pub repo: &'a Repo,
    pub envelope: &'a Envelope,
    /// The main branch, the revert's base.
    pub branch: &'a str,
    pub labels: &'a [String],
    pub max_reverts: u32,
    pub token: &'a str,
    /// `GITHUB_SERVER_URL`: the only host the push sends the token to.
    pub server: &'a str,
    /// Where the worktree goes.
    pub temp: &'a Path,
}

/// The revert pull request that was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub number: u64,
    /// The revert commit, the pull request's head.
    pub head: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    /// A safeguard said no; the sentence says which.
    #[error("no revert: {0}")]
    Safeguard(String),
    #[error("the revert could not be opened: {0}")]
    Api(#[from] ApiError),
    #[error("the revert could not be made: {0}")]
    Git(String),
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    head: Head,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    closed_at: Option<String>,
    state: String,
}

#[derive(Debug, Deserialize)]
struct Head {
    #[serde(rename = "ref")]
    git_ref: String,
}

pub async fn open(req: &Request<'_>) -> Result<Opened, Stopped> {
    let env = req.envelope;
    let commit = match (&env.bisection, env.culprit.as_ref().and_then(|c| c.confidence)) {
        (Some(b), Some(Confidence::Confirmed)) if b.result == BisectionResult::Found => {
            b.first_bad.clone().ok_or_else(|| no("the search found no first bad merge"))?
        }
        _ => return Err(no("no first bad merge is confirmed")),
    };
    let culprit = env.culprit.clone().ok_or_else(|| no("the first bad merge has no pull request"))?;
    let git = &req.repo.git;
    let message = git.commit_message(&commit).await.map_err(|e| Stopped::Git(e.to_string()))?;
    let title =
        culprit.title.clone().unwrap_or_else(|| message.lines().next().unwrap_or_default().to_owned());
    if is_a_revert(&title) || is_a_revert(&message) {
        return Err(no(&format!("{} is itself a revert", short(&commit))));
    }
    let branch = format!("{BRANCH_PREFIX}{}", short(&commit));
    safeguards(req, &branch, &commit).await?;

    let url = req.repo.remote_url.as_deref().map_err(|e| Stopped::Git(e.clone()))?;
    let head = revert_and_push(req, git, &env.merge_commit, &commit, url, &branch).await?;
    let body = json!({
        "title": truncate(&one_line(&format!("Revert \"{title}\" (#{})", culprit.number)), Limit::Chars(256)),
        "head": branch,
        "base": req.branch,
        "body": pull_body(env, &commit, culprit.number),
    });
    let created: Pull = req.api.post(&req.api.repo_path("/pulls"), &body, Repeat::Once).await?;
    // Pull requests take labels through the issues API.
    let mut labels = req.labels.to_vec();
    labels.push(REVERT_LABEL.to_owned());
    let labels_path = req.api.repo_path(&format!("/issues/{}/labels", created.number));
    let _: serde_json::Value = req.api.post(&labels_path, &json!({"labels": labels}), Repeat::Safe).await?;
    let note = format!(
        "The post-merge smoke found this pull request to be the first bad merge on {} (it fails and \
         its parent passes, each confirmed). A revert is open: #{}.",
        code(req.branch),
        created.number
    );
    let comment_path = req.api.repo_path(&format!("/issues/{}/comments", culprit.number));
    let _: serde_json::Value = req.api.post(&comment_path, &json!({"body": note}), Repeat::Once).await?;
    Ok(Opened { number: created.number, head })
}

fn no(why: &str) -> Stopped {
    Stopped::Safeguard(why.to_owned())
}

fn is_a_revert(text: &str) -> bool {
    text.trim_start().starts_with("Revert \"") || text.contains("This reverts commit ")
}

/// Every safeguard the API can answer.
async fn safeguards(req: &Request<'_>, branch: &str, commit: &str) -> Result<(), Stopped> {
    let api = req.api;
    let stop = api.repo_path(&format!("/issues?state=open&labels={}&per_page=1", encode(STOP_LABEL)));
    let stops: Vec<serde_json::Value> = api.get(&stop).await?;
    if !stops.is_empty() {
        return Err(no(&format!("an open issue is labelled `{STOP_LABEL}`")));
    }
    let head = format!("{}:{branch}", api.owner());
    let same = api.repo_path(&format!("/pulls?state=all&head={}&per_page=100", encode(&head)));
    let now = SystemTime::now();
    let recent = |at: &Option<String>| {
        at.as_deref()
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .is_some_and(|t| now.duration_since(t).unwrap_or_default() < DAY)
    };
    for pull in api.get::<Vec<Pull>>(&same).await? {
        if pull.head.git_ref == branch && (pull.state == "open" || recent(&pull.closed_at)) {
            return Err(no(&format!("#{} already reverts {}", pull.number, short(commit))));
        }
    }
    let mine = api.repo_path("/pulls?state=all&sort=created&direction=desc&per_page=100");
    let opened = api
        .get::<Vec<Pull>>(&mine)
        .await?
        .into_iter()
        .filter(|p| p.head.git_ref.starts_with(BRANCH_PREFIX) && recent(&p.created_at))
        .count();
    if opened >= req.max_reverts as usize {
        return Err(no(&format!(
            "{opened} reverts were opened in the last 24 hours (--max-reverts {})",
            req.max_reverts
        )));
    }
    Ok(())
}

/// Reverts `commit` on top of `merge` in a temporary worktree and pushes it to `branch`;
/// returns the revert commit.
async fn revert_and_push(
    req: &Request<'_>,
    git: &Git,
    merge: &str,
    commit: &str,
    url: &str,
    branch: &str,
) -> Result<String, Stopped> {
    let dir = tempfile::Builder::new()
        .prefix("post-merge-smoke-revert-")
        .tempdir_in(req.temp)
        .or_else(|_| tempfile::Builder::new().prefix("post-merge-smoke-revert-").tempdir_in("/tmp"))
        .map_err(|e| Stopped::Git(format!("no temporary folder: {e}")))?;
    git.worktree_add(dir.path(), merge).await.map_err(|e| Stopped::Git(e.to_string()))?;
    let tree = git.at(dir.path());
    let result = async {
        let is_merge = git.parent_count(commit).await.map_err(|e| Stopped::Git(e.to_string()))? > 1;
        tree.revert(commit, is_merge)
            .await
            .map_err(|_| no(&format!("reverting {} does not apply cleanly", short(commit))))?;
        let head = tree.head().await.map_err(|e| Stopped::Git(e.to_string()))?;
        let auth = git::token_auth(req.server, req.token);
        tree.push_head(url, branch, &auth).await.map_err(|e| Stopped::Git(e.to_string()))?;
        Ok(head)
    }
    .await;
    let _ = git.worktree_remove(dir.path()).await;
    result
}

fn pull_body(env: &Envelope, commit: &str, number: u64) -> String {
    let mut out = format!(
        "This reverts {} (#{number}), found by the post-merge smoke to be the first bad merge on main: it \
         fails and its parent passes, each confirmed.\n\n",
        code(commit)
    );
    if let Some(packet) = &env.escalation {
        out.push_str(&format!("{}\n\n", text(&packet.summary)));
        out.push_str(&format!("- Fingerprint: {}\n", code(&packet.fingerprint)));
    }
    if let Some(url) = &env.ci.run_url {
        out.push_str(&format!("- Run: {}\n", crate::text::md::url(url)));
    }
    for t in env.failures.tests.iter().take(20) {
        out.push_str(&format!("- Failing: {}\n", code(&t.id)));
    }
    out.push_str(&format!(
        "\nTo reland: fix the breakage on a branch that reverts this revert (`git revert <this pull \
         request's merge commit>`), and merge it once the smoke passes there. Stop automatic reverts by \
         opening an issue labelled {}.\n",
        code(STOP_LABEL)
    ));
    out
}
