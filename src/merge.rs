//! What is known about the merge before any smoke runs: whether the event is a merge at
//! all, whether the work tree is at the merge commit, which pull request brought it in,
//! and which paths it changed. Each "no" becomes a [`Preflight`] that judges the run
//! without running anything.

use std::path::{Path, PathBuf};

use crate::env::CiEnv;
use crate::envelope::{Culprit, Notification, ReasonCode};
use crate::facts::{Preflight, PreflightOutcome};
use crate::git::{Git, GitDirs, GitError};
use crate::github_actions::{self, PushEvent};
use crate::github_api::{self, Api};
use crate::notify;
use crate::progress::Progress;
use crate::{changed_paths, culprit, worktree};

#[derive(Debug, Clone)]
pub struct Merge {
    /// The full id when it resolved, else what was asked for.
    pub merge_commit: String,
    pub toplevel: Option<PathBuf>,
    /// Set when the run is judged before any smoke: not a merge, or not this work tree.
    pub preflight: Option<Preflight>,
    pub culprit: Option<Culprit>,
    /// `#N` of the merged pull request, from the API or the commit message.
    pub task_id: Option<String>,
    pub changed_paths: Option<Vec<String>>,
    pub notifications: Vec<Notification>,
    /// The repository as recorded before the smoke ran; `None` when the run is judged
    /// before any smoke.
    pub repo: Option<Repo>,
}

/// What later steps need of the repository, recorded before the smoke could change it.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Git for commands in the repository, addressing the recorded git folders.
    pub git: Git,
    pub dirs: GitDirs,
    /// Where the stale check asks, or why it cannot.
    pub remote_url: Result<String, String>,
    /// A shallow clone lacks the history a search for the first bad merge needs.
    pub shallow: bool,
    /// The push's `before`, when the push named one.
    pub push_before: Option<String>,
}

/// What is left to say when SIGINT or SIGTERM arrived while the merge was inspected.
pub fn cancelled(wanted: Option<&str>, signal: &str) -> Merge {
    Merge {
        merge_commit: wanted.unwrap_or("").to_owned(),
        toplevel: None,
        preflight: Some(Preflight {
            outcome: PreflightOutcome::Block,
            code: ReasonCode::RunCancelled,
            reason: format!("the run was cancelled ({signal} received before the smoke started)"),
        }),
        culprit: None,
        task_id: None,
        changed_paths: None,
        notifications: Vec::new(),
        repo: None,
    }
}

pub async fn inspect(
    git: &Git,
    api: Option<&Api>,
    ci: &CiEnv,
    wanted: Option<&str>,
    main_branch: &str,
    remote: &str,
    progress: &Progress,
) -> Merge {
    // The event speaks first: a tag push or a branch deletion is no merge to judge, whatever
    // the work tree holds, and a push without a readable payload cannot be judged at all.
    let payload = (ci.event_name.as_deref() == Some("push"))
        .then(|| github_actions::read_push_event(ci.event_path.as_deref()));
    let event_preflight = ci.event_name.as_deref().and_then(|name| {
        github_actions::event_preflight(name, ci.git_ref.as_deref(), main_branch, payload.as_ref())
    });
    let push: Option<&PushEvent> = payload.as_ref().and_then(|p| p.as_ref().ok());
    // Every question git can answer before the smoke, asked at once (each git process
    // costs start-up time): of the merge commit by the name it was asked for, checked
    // below against the id the work tree check resolved.
    let name = wanted.unwrap_or("HEAD");
    let (tree, commit, url) =
        tokio::join!(worktree::check(git, git.dir(), wanted), git.commit(name), git.remote_url(remote));
    let mut merge = Merge {
        merge_commit: tree.merge_commit,
        toplevel: tree.toplevel,
        preflight: event_preflight.or(tree.problem.map(|reason| Preflight {
            outcome: PreflightOutcome::Block,
            code: ReasonCode::WorktreeMismatch,
            reason,
        })),
        culprit: None,
        task_id: None,
        changed_paths: None,
        notifications: Vec::new(),
        repo: None,
    };
    if merge.preflight.is_some() {
        return merge;
    }
    // The checkout's rev-parse recorded the git folders along with HEAD.
    let pinned = match tree.dirs {
        Some(dirs) => Ok((git.pinned_to(&dirs), dirs)),
        None => git.pin().await,
    };
    let (git, dirs) = match pinned {
        Ok(pinned) => pinned,
        Err(e) => {
            merge.preflight = Some(Preflight::block(ReasonCode::WorktreeMismatch, e.to_string()));
            return merge;
        }
    };
    let git = &git;
    // Asked by name: kept only when it is the merge commit, else asked again by its id.
    let commit = match commit {
        Ok(commit) if commit.id == merge.merge_commit => Some(commit),
        _ => git.commit(&merge.merge_commit).await.ok(),
    };
    merge.changed_paths =
        changed_paths::find(git, api, push, commit.as_ref(), &merge.merge_commit, tree.shallow).await;
    let remote_url = settle_remote_url(url, remote, &dirs.toplevel);
    let message_pr = commit.as_ref().and_then(|c| culprit::pr_number_from_message(&c.message));
    if let Some(api) = api {
        let found = github_api::culprit(api, &merge.merge_commit, main_branch, message_pr).await;
        merge.notifications.push(notify::notification(notify::CULPRIT, progress, found.as_ref().err()));
        merge.culprit = found.ok().flatten();
    }
    merge.task_id = merge.culprit.as_ref().map(|c| c.number).or(message_pr).map(|n| format!("#{n}"));
    let push_before = push.map(|p| p.before.clone()).filter(|b| !github_actions::is_null_sha(b));
    merge.repo = Some(Repo { git: git.clone(), dirs, remote_url, shallow: tree.shallow, push_before });
    merge
}

/// The URL `remote` names now: a configured remote's, or `remote` itself when it is a URL
/// or a path (a relative path is taken from the top level of the work tree).
pub async fn remote_url(git: &Git, remote: &str, toplevel: &Path) -> Result<String, String> {
    settle_remote_url(git.remote_url(remote).await, remote, toplevel)
}

/// [`remote_url`], from git's answer to `remote get-url`.
fn settle_remote_url(
    configured: Result<String, GitError>,
    remote: &str,
    toplevel: &Path,
) -> Result<String, String> {
    if let Ok(url) = configured {
        return Ok(absolute(&url, toplevel));
    }
    let looks_like_url = remote.contains("://") || remote.contains('/') || remote.contains(':');
    if looks_like_url {
        return Ok(absolute(remote, toplevel));
    }
    Err(format!("this repository has no remote `{remote}`"))
}

fn absolute(url: &str, toplevel: &Path) -> String {
    let scp_like = url.split_once(':').is_some_and(|(host, _)| !host.contains('/'));
    if url.contains("://") || scp_like || Path::new(url).is_absolute() {
        return url.to_owned();
    }
    toplevel.join(url).to_string_lossy().into_owned()
}
