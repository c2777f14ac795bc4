//! Where the work tree stands relative to the merge commit: is it a checkout, does the
//! merge commit exist, is HEAD at it. Any "no" blocks the run with `WORKTREE_MISMATCH`.

use std::path::{Path, PathBuf};

use crate::git::{self, Git};

#[derive(Debug, Clone)]
pub struct Worktree {
    pub toplevel: Option<PathBuf>,
    /// The full id when it could be resolved, else what was asked for (maybe empty).
    pub merge_commit: String,
    /// A shallow clone lacks the parents a diff needs.
    pub shallow: bool,
    /// Why the run cannot be judged here, as a sentence.
    pub problem: Option<String>,
}

pub async fn check(git: &Git, workdir: &Path, wanted: Option<&str>) -> Worktree {
    let mut tree = Worktree {
        toplevel: None,
        merge_commit: wanted.unwrap_or("").to_owned(),
        shallow: false,
        problem: None,
    };
    let checkout = match git.checkout().await {
        Ok(checkout) => checkout,
        Err(e) => {
            tree.problem = Some(match git.toplevel().await {
                Ok(_) => format!("the work tree has no HEAD commit: {e}"),
                Err(_) => {
                    format!("the work directory `{}` {}", workdir.display(), git::describe_dir(workdir))
                }
            });
            return tree;
        }
    };
    tree.toplevel = Some(checkout.toplevel);
    tree.shallow = checkout.shallow;
    let Some(wanted) = wanted else {
        tree.merge_commit = checkout.head;
        return tree;
    };
    let resolved = if is_commit_name(wanted) { git.resolve_commit(wanted).await } else { None };
    let Some(merge_commit) = resolved else {
        tree.problem = Some(format!("the merge commit `{wanted}` is not a commit in this repository"));
        return tree;
    };
    if checkout.head != merge_commit {
        tree.problem =
            Some(format!("the work tree is at {}, not at the merge commit {merge_commit}", checkout.head));
    }
    tree.merge_commit = merge_commit;
    tree
}

/// Only hex abbreviations and full ids are taken, so no input reaches git as an option or
/// a revision expression.
fn is_commit_name(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}
