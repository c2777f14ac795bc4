//! Where the work tree stands relative to the merge commit: is it a checkout, does the
//! merge commit exist, is HEAD at it. Any "no" blocks the run with `WORKTREE_MISMATCH`.

use std::path::{Path, PathBuf};

use crate::git::{self, Git, GitDirs};

#[derive(Debug, Clone)]
pub struct Worktree {
    pub toplevel: Option<PathBuf>,
    /// The full id when it could be resolved, else what was asked for (maybe empty).
    pub merge_commit: String,
    /// A shallow clone lacks the parents a diff needs.
    pub shallow: bool,
    /// The git folders, recorded with HEAD; `None` when it is not a checkout.
    pub dirs: Option<GitDirs>,
    /// Why the run cannot be judged here, as a sentence.
    pub problem: Option<String>,
}

pub async fn check(git: &Git, workdir: &Path, wanted: Option<&str>) -> Worktree {
    let mut tree = Worktree {
        toplevel: None,
        merge_commit: wanted.unwrap_or("").to_owned(),
        shallow: false,
        dirs: None,
        problem: None,
    };
    // Independent questions, asked at once: each git process costs start-up time.
    // A full id (`GITHUB_SHA`) is compared with HEAD as it is: git is asked which commit a
    // name means only for an abbreviation, or for an id HEAD is not at.
    let abbreviated = wanted.filter(|w| !git::is_object_id(w));
    let (checkout, modified, resolved) =
        tokio::join!(git.checkout(), modified(git), resolve(git, abbreviated));
    let checkout = match checkout {
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
    tree.dirs = Some(checkout.dirs);
    let merge_commit = match wanted {
        None => checkout.head.clone(),
        Some(wanted) if git::is_object_id(wanted) && wanted.eq_ignore_ascii_case(&checkout.head) => {
            checkout.head.clone()
        }
        Some(wanted) => {
            let resolved = match resolved {
                None if git::is_object_id(wanted) => resolve(git, Some(wanted)).await,
                resolved => resolved,
            };
            let Some(resolved) = resolved else {
                tree.problem =
                    Some(format!("the merge commit `{wanted}` is not a commit in this repository"));
                return tree;
            };
            resolved
        }
    };
    tree.problem = if checkout.head != merge_commit {
        Some(format!("the work tree is at {}, not at the merge commit {merge_commit}", checkout.head))
    } else {
        modified
    };
    tree.merge_commit = merge_commit;
    tree
}

async fn resolve(git: &Git, name: Option<&str>) -> Option<String> {
    match name {
        Some(name) if is_commit_name(name) => git.resolve_commit(name).await,
        _ => None,
    }
}

/// A work tree with changed tracked files is not the merge commit, whatever HEAD says.
async fn modified(git: &Git) -> Option<String> {
    let files = git.modified_files().await.ok()?;
    let named: Vec<String> = files.iter().take(3).map(|f| format!("`{f}`")).collect();
    let more = match files.len().saturating_sub(named.len()) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    (!files.is_empty())
        .then(|| format!("the work tree has changes the merge commit does not: {}{more}", named.join(", ")))
}

/// Only hex abbreviations and full ids are taken, so no input reaches git as an option or
/// a revision expression.
fn is_commit_name(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}
