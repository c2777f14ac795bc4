//! The only place that runs git: rev-parse, log, diff and ls-remote, each with a timeout,
//! no prompts and no pager, so a gate never hangs waiting for credentials.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

const GIT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
    #[error("`git {args}` did not finish within {}s", GIT_TIMEOUT.as_secs())]
    TimedOut { args: String },
}

#[derive(Debug, Clone)]
pub struct Checkout {
    pub toplevel: PathBuf,
    pub head: String,
    pub shallow: bool,
}

#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git { dir: dir.into() }
    }

    /// The directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let joined = args.join(" ");
        let child = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_PAGER", "cat")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(GitError::Spawn)?;
        let output = tokio::time::timeout(GIT_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| GitError::TimedOut { args: joined.clone() })?
            .map_err(GitError::Spawn)?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(GitError::Failed { args: joined, stderr });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The top level of the work tree containing the directory.
    pub async fn toplevel(&self) -> Result<PathBuf, GitError> {
        Ok(PathBuf::from(self.run(&["rev-parse", "--show-toplevel"]).await?.trim()))
    }

    /// The top level, HEAD and whether the clone is shallow, in one call; fails when the
    /// directory is not a checkout or has no HEAD.
    pub async fn checkout(&self) -> Result<Checkout, GitError> {
        let args = ["rev-parse", "--show-toplevel", "--is-shallow-repository", "--verify", "HEAD^{commit}"];
        let out = self.run(&args).await?;
        let mut lines = out.lines();
        match (lines.next(), lines.next(), lines.next()) {
            (Some(top), Some(shallow), Some(head)) => Ok(Checkout {
                toplevel: PathBuf::from(top),
                shallow: shallow.trim() == "true",
                head: head.trim().to_owned(),
            }),
            _ => Err(GitError::Failed { args: args.join(" "), stderr: out }),
        }
    }

    /// Tracked files whose content differs from HEAD (staged or not); untracked files are
    /// build output as often as not, and do not count.
    pub async fn modified_files(&self) -> Result<Vec<String>, GitError> {
        let out =
            self.run(&["status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames"]).await?;
        Ok(out.split('\0').filter(|e| e.len() > 3).map(|e| e[3..].to_owned()).collect())
    }

    /// Expands a commit name (an abbreviated SHA included) to its full id; `None` when the
    /// repository has no such commit or the name is ambiguous.
    pub async fn resolve_commit(&self, name: &str) -> Option<String> {
        let spec = format!("{name}^{{commit}}");
        let out = self.run(&["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]).await;
        out.ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    pub async fn commit_message(&self, commit: &str) -> Result<String, GitError> {
        self.run(&["log", "-1", "--format=%B", commit, "--"]).await
    }

    /// Paths changed between two commits; from the first parent when `base` is `None`,
    /// or everything when the commit has no parent.
    pub async fn changed_paths(&self, base: Option<&str>, commit: &str) -> Result<Vec<String>, GitError> {
        let out = match base {
            Some(base) => {
                self.run(&["diff", "--name-only", "-z", "--no-renames", base, commit, "--"]).await?
            }
            // One process instead of resolving the parent first: `-m --first-parent` diffs a
            // merge against its first parent, `--root` a root commit against nothing.
            None => {
                let args =
                    ["diff-tree", "-r", "--root", "-m", "--first-parent", "--no-commit-id", "--name-only"];
                self.run(&[&args[..], &["--no-renames", "-z", commit, "--"]].concat()).await?
            }
        };
        Ok(out.split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect())
    }

    /// The commit `refs/heads/<branch>` points to on the remote; `None` when it has no
    /// such branch.
    pub async fn remote_branch_head(&self, remote: &str, branch: &str) -> Result<Option<String>, GitError> {
        let refname = format!("refs/heads/{branch}");
        let out = self.run(&["ls-remote", "--end-of-options", remote, &refname]).await?;
        Ok(out
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .find(|(_, name)| *name == refname)
            .map(|(sha, _)| sha.to_owned()))
    }
}

/// A full object id: 40 hex digits (SHA-1) or 64 (SHA-256).
pub fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `dir` exists at all, to tell "not a checkout" from "no such directory".
pub fn describe_dir(dir: &Path) -> &'static str {
    if dir.is_dir() { "is not a git checkout" } else { "does not exist" }
}
