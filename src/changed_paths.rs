//! The paths a merge changed, for the registry's `paths` entries: the push's
//! `before..after` from git when this clone has both, else from the compare API, else the
//! merge commit against its first parent; unknown (`None`) when none of that can answer.
//!
//! A shallow clone is the common trap: its merge commit looks like a root commit, whose
//! "changes" are every file in the tree, which would match every `paths` entry.

use crate::git::{Commit, Git};
use crate::github_actions::{self, PushEvent};
use crate::github_api::{Api, compare};

/// `commit`: the merge commit as git showed it (its paths against its first parent).
pub async fn find(
    git: &Git,
    api: Option<&Api>,
    push: Option<&PushEvent>,
    commit: Option<&Commit>,
    merge_commit: &str,
    shallow: bool,
) -> Option<Vec<String>> {
    let push =
        push.filter(|p| !github_actions::is_null_sha(&p.before) && !github_actions::is_null_sha(&p.after));
    if let Some(push) = push {
        if !push.after.eq_ignore_ascii_case(merge_commit) {
            return None; // The payload describes another commit: it says nothing about this one.
        }
        // A merge by the button pushes one commit onto `before`: the push changed what the
        // commit did, which git has shown already.
        let onto_before =
            |c: &&Commit| c.parents.first().is_some_and(|p| p.eq_ignore_ascii_case(&push.before));
        if let Some(commit) = commit.filter(onto_before) {
            return Some(commit.paths.clone());
        }
        if let Ok(paths) = git.paths_between(&push.before, merge_commit).await {
            return Some(paths);
        }
        // This clone lacks `before` (a shallow clone does): the API knows both ends.
        return compare::changed_paths(api?, &push.before, merge_commit).await.ok().flatten();
    }
    if shallow {
        return None;
    }
    commit.map(|c| c.paths.clone())
}
