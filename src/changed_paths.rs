//! The paths a merge changed, for the registry's `paths` entries: the push's
//! `before..after` from git when this clone has both, else from the compare API, else the
//! merge commit against its first parent; unknown (`None`) when none of that can answer.
//!
//! A shallow clone is the common trap: its merge commit looks like a root commit, whose
//! "changes" are every file in the tree, which would match every `paths` entry.

use crate::git::Git;
use crate::github_actions::{self, PushEvent};
use crate::github_api::{Api, compare};

pub async fn find(
    git: &Git,
    api: Option<&Api>,
    push: Option<&PushEvent>,
    merge_commit: &str,
    shallow: bool,
) -> Option<Vec<String>> {
    let push =
        push.filter(|p| !github_actions::is_null_sha(&p.before) && !github_actions::is_null_sha(&p.after));
    if let Some(push) = push {
        let after = git.resolve_commit(&push.after).await;
        if after.as_deref() != Some(merge_commit) {
            return None; // The payload describes another commit: it says nothing about this one.
        }
        if let Some(before) = git.resolve_commit(&push.before).await {
            return git.changed_paths(Some(&before), merge_commit).await.ok();
        }
        return compare::changed_paths(api?, &push.before, merge_commit).await.ok().flatten();
    }
    if shallow {
        return None;
    }
    git.changed_paths(None, merge_commit).await.ok()
}
