//! What git says of one commit: its id, parents, message and the paths it changed, asked
//! by any name for it (the merge commit is asked by name, at once with the work tree's
//! questions, and the id says which commit answered).

use super::{Git, GitError};

/// A commit, as [`Git::commit`] shows it.
#[derive(Debug, Clone)]
pub struct Commit {
    pub id: String,
    pub parents: Vec<String>,
    pub message: String,
    /// Changed against the first parent; everything, for a root commit.
    pub paths: Vec<String>,
}

impl Git {
    /// Paths changed between two commits.
    pub async fn paths_between(&self, base: &str, commit: &str) -> Result<Vec<String>, GitError> {
        let args = ["diff", "--no-ext-diff", "--no-textconv", "--name-only", "-z", "--no-renames"];
        let out = self.run(&[&args[..], &["--end-of-options", base, commit, "--"]].concat()).await?;
        Ok(nul_separated(&out).map(str::to_owned).collect())
    }

    /// The commit `name` names, with its message and the paths it changed, in one process:
    /// `--diff-merges=first-parent` diffs a merge against its first parent only (`-m
    /// --first-parent` would diff it against each parent: `--first-parent` walks history,
    /// and `diff-tree` walks none), `--root` a root commit against nothing, and `--always`
    /// shows a commit that changed nothing.
    pub async fn commit(&self, name: &str) -> Result<Commit, GitError> {
        let args = ["diff-tree", "-r", "--root", "--diff-merges=first-parent", "--always", "--name-only"];
        let format = ["--format=%H %P%n%B", "--no-renames", "-z", "--end-of-options", name, "--"];
        let out = match self.run(&[&args[..], &format[..]].concat()).await {
            Ok(out) => out,
            // Git before 2.31 has no `--diff-merges`: the same answer in two processes.
            Err(GitError::Failed { .. }) => return self.commit_in_two(name).await,
            Err(e) => return Err(e),
        };
        // The header ends at the first NUL (a message holds none); the paths follow it,
        // after a newline, each ending in a NUL.
        let (header, paths) = out.split_once('\0').unwrap_or((&out, ""));
        let mut commit = parse_header(header);
        commit.paths = nul_separated(paths.strip_prefix('\n').unwrap_or(paths)).map(str::to_owned).collect();
        Ok(commit)
    }

    async fn commit_in_two(&self, name: &str) -> Result<Commit, GitError> {
        let header = self.run(&["log", "-1", "--format=%H %P%n%B", "--end-of-options", name, "--"]).await?;
        // `log` ends its one entry with a newline of its own.
        let mut commit = parse_header(header.strip_suffix('\n').unwrap_or(&header));
        let diff = ["diff-tree", "-r", "--root", "--name-only", "-z", "--no-renames", "--end-of-options"];
        let out = match commit.parents.first() {
            Some(parent) => {
                self.run(&[&diff[..], &[parent.as_str(), commit.id.as_str(), "--"]].concat()).await?
            }
            None => self.run(&[&diff[..], &[commit.id.as_str(), "--"]].concat()).await?,
        };
        // A single commit's diff starts with its id; a diff of two trees does not.
        let mut paths = nul_separated(&out).peekable();
        if commit.parents.is_empty() && paths.peek() == Some(&commit.id.as_str()) {
            paths.next();
        }
        commit.paths = paths.map(str::to_owned).collect();
        Ok(commit)
    }
}

/// `%H %P%n%B`: the id, the parents, then the message.
fn parse_header(header: &str) -> Commit {
    let (ids, message) = header.split_once('\n').unwrap_or((header, ""));
    let mut ids = ids.split_whitespace().map(str::to_owned);
    Commit {
        id: ids.next().unwrap_or_default(),
        parents: ids.collect(),
        message: message.to_owned(),
        paths: Vec::new(),
    }
}

fn nul_separated(out: &str) -> impl Iterator<Item = &str> {
    out.split('\0').filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Environment;

    #[tokio::test]
    async fn a_commit_shows_its_parents_message_and_first_parent_paths() {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let sh = |script: &str| {
            let ok = std::process::Command::new("sh")
                .args(["-c", script])
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .env("GIT_AUTHOR_NAME", "T")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "T")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .status()
                .expect("sh");
            assert!(ok.success(), "{script}");
        };
        sh("git init -q -b main && echo a > a && git add a && git commit -qm a");
        sh("git checkout -qb f && mkdir 'odd dir' && echo b > 'odd dir/b' && git add . && git commit -qm b");
        sh("git checkout -q main && echo c > c && git add c && git commit -qm c");
        sh("git merge -q --no-ff -m 'Merge pull request #9 from f' -m 'body' f");
        let path = std::env::var_os("PATH").expect("PATH");
        let env = Environment::new(vec![("PATH".into(), path)], Some(dir.path().to_owned()));
        let git = Git::new(dir.path(), &env);
        let commit = git.commit("HEAD").await.expect("diff-tree");
        assert_eq!(commit.id.len(), 40);
        assert_eq!(commit.parents.len(), 2);
        assert_eq!(commit.message, "Merge pull request #9 from f\n\nbody\n");
        assert_eq!(commit.paths, ["odd dir/b"]);
        let root = git.commit("HEAD~1~1").await.expect("root");
        assert_eq!((root.parents.len(), root.paths), (0, vec!["a".to_owned()]));
        // The way of git before 2.31 gives the same answers.
        for name in ["HEAD", "HEAD~1~1"] {
            let (new, old) =
                (git.commit(name).await.expect("new"), git.commit_in_two(name).await.expect("old"));
            assert_eq!(
                (new.id, new.parents, new.message, new.paths),
                (old.id, old.parents, old.message, old.paths)
            );
        }
    }
}
