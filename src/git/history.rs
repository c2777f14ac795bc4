//! History, worktrees, reverts and pushes: what the search for the first bad merge and a
//! revert need, under the same rules as every other git process (see [`super`]).

use std::path::Path;

use super::{Git, GitError};

impl Git {
    /// `commit` and up to `max - 1` of its first-parent ancestors, newest first.
    pub async fn first_parents(&self, commit: &str, max: usize) -> Result<Vec<String>, GitError> {
        let count = format!("--max-count={max}");
        let out = self.run(&["rev-list", "--first-parent", &count, "--end-of-options", commit, "--"]).await?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// Whether `ancestor` is an ancestor of (or is) `commit`.
    pub async fn is_ancestor(&self, ancestor: &str, commit: &str) -> bool {
        self.run(&["merge-base", "--is-ancestor", "--end-of-options", ancestor, commit]).await.is_ok()
    }

    /// How many parents `commit` has (2 for a merge).
    pub async fn parent_count(&self, commit: &str) -> Result<usize, GitError> {
        let out = self.run(&["rev-list", "--parents", "-n", "1", "--end-of-options", commit, "--"]).await?;
        Ok(out.split_whitespace().count().saturating_sub(1))
    }

    /// Fetches `commit` and `depth` commits of its history from `url` (a shallow clone
    /// lacks them).
    /// Fetches `commit` and `depth - 1` of its ancestors from `url`; `auth` as for
    /// [`Git::push_head`].
    pub async fn fetch_history(
        &self,
        url: &str,
        commit: &str,
        depth: usize,
        auth: &[(String, String)],
    ) -> Result<(), GitError> {
        let depth = format!("--depth={depth}");
        self.run_with(
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                &depth,
                "--end-of-options",
                url,
                commit,
            ],
            auth,
        )
        .await
        .map(drop)
    }

    /// A detached worktree of `commit` at `dir`.
    pub async fn worktree_add(&self, dir: &Path, commit: &str) -> Result<(), GitError> {
        let dir = dir.to_string_lossy();
        self.run(&["worktree", "add", "--quiet", "--detach", "--force", &dir, commit]).await.map(drop)
    }

    /// Removes the worktree at `dir` and git's record of it.
    pub async fn worktree_remove(&self, dir: &Path) -> Result<(), GitError> {
        let path = dir.to_string_lossy();
        let removed = self.run(&["worktree", "remove", "--force", "--force", &path]).await.map(drop);
        let _ = self.run(&["worktree", "prune"]).await;
        removed
    }

    /// Reverts `commit` on top of this work tree's HEAD (`-m 1` for a merge), committing as
    /// the tool; an error when it does not apply cleanly (the revert is then aborted).
    pub async fn revert(&self, commit: &str, merge: bool) -> Result<(), GitError> {
        let identity = [
            "-c",
            "user.name=post-merge-smoke",
            "-c",
            "user.email=post-merge-smoke@users.noreply.github.com",
        ];
        let mut args: Vec<&str> = identity.to_vec();
        args.extend(["revert", "--no-edit"]);
        if merge {
            args.extend(["-m", "1"]);
        }
        args.extend(["--end-of-options", commit]);
        match self.run(&args).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = self.run(&["revert", "--abort"]).await;
                Err(e)
            }
        }
    }

    /// The commit HEAD points to.
    pub async fn head(&self) -> Result<String, GitError> {
        Ok(self.run(&["rev-parse", "--verify", "HEAD^{commit}"]).await?.trim().to_owned())
    }

    /// Pushes HEAD to `branch` at `url`. `auth` ([`token_auth`]) is passed as environment
    /// variables, so no credential is on a command line.
    pub async fn push_head(
        &self,
        url: &str,
        branch: &str,
        auth: &[(String, String)],
    ) -> Result<(), GitError> {
        let refspec = format!("HEAD:refs/heads/{branch}");
        self.run_with(&["push", "--quiet", "--no-verify", "--end-of-options", url, &refspec], auth)
            .await
            .map(drop)
    }
}

/// `GIT_CONFIG_*` variables that authenticate git to `server` (`GITHUB_SERVER_URL`) with
/// `token`, as actions/checkout does, for a checkout made with `persist-credentials:
/// false` too. The header is scoped to the server's URLs, so git never sends the token to
/// another host; an empty value first drops a header the checkout left, so exactly one
/// is sent.
pub fn token_auth(server: &str, token: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let key = format!("http.{}/.extraheader", server.trim_end_matches('/'));
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    let header = format!("AUTHORIZATION: basic {basic}");
    let mut env = vec![("GIT_CONFIG_COUNT".to_owned(), "2".to_owned())];
    for (i, value) in ["", header.as_str()].into_iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{i}"), key.clone()));
        env.push((format!("GIT_CONFIG_VALUE_{i}"), value.to_owned()));
    }
    env
}
