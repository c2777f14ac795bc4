//! The only place that runs git, and the rules every git process follows, because some
//! run after the smoke, which could have planted configuration to run its own programs
//! with the tool's privileges:
//!
//! - a clean environment (no token, no runner file paths, no `GIT_*` of the caller), no
//!   system or global configuration, no hooks, no fsmonitor, no external diff, no pager,
//!   no prompts, ssh without user configuration;
//! - its own process group, killed (with any transport it started) when the call ends,
//!   times out or is cancelled: no git helper outlives the call;
//! - after the smoke, commands in the repository use the git folder recorded before it
//!   ([`Git::pin`]), whose configuration [`crate::repo_guard`] puts back, and the stale
//!   check asks a URL recorded before it, from outside any repository ([`ls_remote`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::Command;

use crate::env::Environment;

mod commit;
mod history;

pub use commit::Commit;
pub use history::token_auth;

const GIT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of git's output a call keeps: far more than any answer the tool asks for
/// needs (the changed paths of a merge that touched a million files fit).
const OUTPUT_CAP: usize = 64 << 20;
const STDERR_CAP: usize = 64 << 10;
/// The caller's variables git may see: where programs are, whose home (ssh keys, agent),
/// and how to reach the network.
const PASSED_VARIABLES: [&str; 14] = [
    "PATH",
    "HOME",
    "SSH_AUTH_SOCK",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "TMPDIR",
];
/// Settings that override anything a repository's configuration could say (and
/// `core.sshCommand`, set from [`Programs::ssh`]).
const OVERRIDES: [&str; 7] = [
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "protocol.ext.allow=never",
    "credential.helper=",
    // The work tree is ours to judge, whoever owns it (a container's checkout).
    "safe.directory=*",
    "diff.external=",
    "core.askPass=",
];

/// The programs git runs as, found when the first [`Git`] was made, before the smoke ran:
/// a `git` or `ssh` the smoke plants later in a folder on `PATH` (`~/.local/bin`) is never
/// run.
static PROGRAMS: std::sync::OnceLock<Programs> = std::sync::OnceLock::new();

#[derive(Debug)]
struct Programs {
    /// `git` by its full path, which also lets the standard library start it with
    /// `posix_spawn` (a vfork) instead of a fork that copies the tool's address space.
    git: OsString,
    /// `core.sshCommand`: ssh by its full path, without the user's configuration.
    ssh_command: String,
    /// This binary: git that talks to the network starts through its launcher, so it dies
    /// with the tool even when the tool is killed with SIGKILL.
    launcher: Option<PathBuf>,
}

impl Programs {
    fn find(env: &Environment) -> Programs {
        let ssh = env
            .find_program("ssh")
            .map_or_else(|| "ssh".to_owned(), |p| quote(&absolute(p).to_string_lossy()));
        Programs {
            git: env.find_program("git").map_or_else(|| "git".into(), |p| absolute(p).into_os_string()),
            ssh_command: format!("core.sshCommand={ssh} -F /dev/null -o BatchMode=yes"),
            launcher: env.exe().map(Path::to_owned),
        }
    }
}

/// A program found through a relative `PATH` entry, fixed to where it was found now.
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// A word for the shell git runs `core.sshCommand` with.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
    #[error("`git {args}` did not finish within {}s", GIT_TIMEOUT.as_secs())]
    TimedOut { args: String },
    #[error("`git {args}` wrote more than {} MiB", OUTPUT_CAP >> 20)]
    TooMuchOutput { args: String },
}

#[derive(Debug, Clone)]
pub struct Checkout {
    pub toplevel: PathBuf,
    pub head: String,
    pub shallow: bool,
    /// The git folders, as [`Git::pin`] would record them.
    pub dirs: GitDirs,
}

/// Where a repository's git folders are, recorded before the smoke ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitDirs {
    pub git_dir: PathBuf,
    pub common_dir: PathBuf,
    pub toplevel: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    env: Vec<(OsString, OsString)>,
    /// Set by [`Git::pin`]: every later command names these folders explicitly.
    pinned: Option<GitDirs>,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>, environment: &Environment) -> Self {
        PROGRAMS.get_or_init(|| Programs::find(environment));
        let env = PASSED_VARIABLES
            .iter()
            .filter_map(|name| environment.var_os(name).map(|value| ((*name).into(), value.to_owned())))
            .collect();
        Git { dir: dir.into(), env, pinned: None }
    }

    /// Git for another work tree (a probe's worktree), with the same environment.
    pub fn at(&self, dir: &Path) -> Git {
        Git { dir: dir.to_owned(), env: self.env.clone(), pinned: None }
    }

    /// The directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The same repository, addressed by the git folders recorded now, so that a `.git`
    /// file the smoke rewrites later points git nowhere else.
    pub async fn pin(&self) -> Result<(Git, GitDirs), GitError> {
        let args = ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-toplevel"];
        let out = self.run(&args).await?;
        let lines: Vec<&str> = out.lines().collect();
        let [git_dir, common, top] = lines[..] else {
            return Err(GitError::Failed { args: args.join(" "), stderr: out });
        };
        let dirs = self.git_dirs(git_dir, common, top);
        Ok((self.pinned_to(&dirs), dirs))
    }

    /// The same repository, addressed by git folders recorded earlier (see [`Git::pin`]).
    pub fn pinned_to(&self, dirs: &GitDirs) -> Git {
        Git { pinned: Some(dirs.clone()), ..self.clone() }
    }

    fn git_dirs(&self, git_dir: &str, common: &str, top: &str) -> GitDirs {
        let common_dir = match Path::new(common) {
            p if p.is_absolute() => p.to_owned(),
            p => self.dir.join(p),
        };
        GitDirs { git_dir: PathBuf::from(git_dir), common_dir, toplevel: PathBuf::from(top) }
    }

    async fn run(&self, args: &[&str]) -> Result<String, GitError> {
        self.run_with(args, &[]).await
    }

    /// Runs git with extra variables (credentials as configuration, never as arguments).
    async fn run_with(&self, args: &[&str], extra: &[(String, String)]) -> Result<String, GitError> {
        let network = matches!(args.first(), Some(&"fetch" | &"push" | &"ls-remote"));
        let mut command = self.command(Some(&self.dir), network);
        if let Some(dirs) = &self.pinned {
            command.arg("--git-dir").arg(&dirs.git_dir).arg("--work-tree").arg(&dirs.toplevel);
            // Not `$GIT_DIR/commondir`, which the smoke can rewrite to point at a copy with
            // its own configuration.
            command.env("GIT_COMMON_DIR", &dirs.common_dir);
        }
        command.envs(extra.iter().map(|(k, v)| (k, v)));
        run(command, args).await
    }

    /// `network`: the command may wait on a remote, so it must not outlive the tool.
    fn command(&self, dir: Option<&Path>, network: bool) -> Command {
        let programs = PROGRAMS.get_or_init(|| Programs::find(&Environment::default()));
        let mut command = match programs.launcher.as_deref().filter(|_| network) {
            Some(launcher) => {
                let argv = crate::exec::launch::launcher_argv(
                    launcher,
                    std::process::id(),
                    std::slice::from_ref(&programs.git),
                );
                let mut command = Command::new(&argv[0]);
                command.args(&argv[1..]);
                command
            }
            None => Command::new(&programs.git),
        };
        if let Some(dir) = dir {
            command.arg("-C").arg(dir);
        }
        for setting in OVERRIDES {
            command.arg("-c").arg(setting);
        }
        command.arg("-c").arg(&programs.ssh_command);
        command
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env("GIT_PAGER", "cat")
            .env("LC_ALL", "C");
        command
    }

    /// The top level of the work tree containing the directory.
    pub async fn toplevel(&self) -> Result<PathBuf, GitError> {
        Ok(PathBuf::from(self.run(&["rev-parse", "--show-toplevel"]).await?.trim()))
    }

    /// The top level, HEAD, whether the clone is shallow and the git folders, in one call
    /// (each git process costs start-up time); fails when the directory is not a checkout or
    /// has no HEAD.
    pub async fn checkout(&self) -> Result<Checkout, GitError> {
        let args = [
            "rev-parse",
            "--show-toplevel",
            "--is-shallow-repository",
            "--absolute-git-dir",
            "--git-common-dir",
            "--verify",
            "HEAD^{commit}",
        ];
        let out = self.run(&args).await?;
        let lines: Vec<&str> = out.lines().collect();
        let [top, shallow, git_dir, common, head] = lines[..] else {
            return Err(GitError::Failed { args: args.join(" "), stderr: out });
        };
        Ok(Checkout {
            toplevel: PathBuf::from(top),
            shallow: shallow.trim() == "true",
            head: head.trim().to_owned(),
            dirs: self.git_dirs(git_dir, common, top),
        })
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
        self.run(&["log", "-1", "--format=%B", "--end-of-options", commit, "--"]).await
    }

    /// The files a git configuration file includes (`include.path`, `includeIf.*.path`),
    /// as written: relative to the file's folder, or `~/`.
    pub async fn config_includes(&self, file: &Path) -> Result<Vec<String>, GitError> {
        let file = file.to_string_lossy();
        let args = ["config", "--file", &file, "-z", "--get-regexp", r"^include(if\..*)?\.path$"];
        match self.run(&args).await {
            Ok(out) => {
                Ok(out.split('\0').filter_map(|e| e.split_once('\n')).map(|(_, v)| v.to_owned()).collect())
            }
            // No such key: git exits 1 with nothing to say.
            Err(GitError::Failed { stderr, .. }) if stderr.is_empty() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Index entries flagged assume-unchanged or skip-worktree: `git status` does not look
    /// at them.
    pub async fn hidden_files(&self) -> Result<Vec<String>, GitError> {
        // The whole tree, named from its top, whichever folder git runs in.
        let out = self.run(&["ls-files", "-v", "-z", "--full-name", "--", ":/"]).await?;
        Ok(out
            .split('\0')
            .filter_map(|entry| entry.split_once(' '))
            .filter(|(tag, _)| tag.chars().next().is_some_and(|t| t.is_ascii_lowercase() || t == 'S'))
            .map(|(_, path)| path.to_owned())
            .collect())
    }

    /// The URL of a configured remote, as it is now.
    pub async fn remote_url(&self, remote: &str) -> Result<String, GitError> {
        Ok(self.run(&["remote", "get-url", "--", remote]).await?.trim().to_owned())
    }
}

/// The commit `refs/heads/<branch>` points to at `url`; `None` when it has no such
/// branch. Run from `outside` (a folder in no repository), so no repository's
/// configuration is read: only the URL, recorded before the smoke ran, says where to go.
pub async fn ls_remote(
    url: &str,
    branch: &str,
    env: &Environment,
    outside: &Path,
) -> Result<Option<String>, GitError> {
    let git = Git::new(outside, env);
    let mut command = git.command(None, true);
    command.current_dir(outside).env("GIT_CEILING_DIRECTORIES", outside);
    let refname = format!("refs/heads/{branch}");
    let out = run(command, &["ls-remote", "--end-of-options", url, &refname]).await?;
    Ok(out
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .find(|(_, name)| *name == refname)
        .map(|(sha, _)| sha.to_owned()))
}

/// Runs git in a process group of its own, which is killed however the call ends.
async fn run(mut command: Command, args: &[&str]) -> Result<String, GitError> {
    let joined = args.join(" ");
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(GitError::Spawn)?;
    let _group = child.id().map(|id| GroupGuard(Pid::from_raw(id as i32)));
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let finished = async {
        // Bounded: a commit can carry a message, or change paths, of any size. Past the
        // cap the call fails (and the guard kills git); stderr's excess is read and dropped,
        // so git never blocks on it.
        let (out, err) =
            tokio::try_join!(read_capped(stdout, OUTPUT_CAP, false), read_capped(stderr, STDERR_CAP, true))?;
        Ok::<_, std::io::Error>((child.wait().await?, out, err))
    };
    let (status, out, err) = tokio::time::timeout(GIT_TIMEOUT, finished)
        .await
        .map_err(|_| GitError::TimedOut { args: joined.clone() })?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::FileTooLarge => GitError::TooMuchOutput { args: joined.clone() },
            _ => GitError::Spawn(e),
        })?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(&err).trim().to_owned();
        return Err(GitError::Failed { args: joined, stderr });
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads `pipe` to its end, keeping at most `cap` bytes: past them, the rest is dropped
/// (`drop_excess`) or the read fails with `FileTooLarge`.
async fn read_capped(
    pipe: Option<impl tokio::io::AsyncRead + Unpin>,
    cap: usize,
    drop_excess: bool,
) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else { return Ok(kept) };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = pipe.read(&mut buf).await?;
        if n == 0 {
            return Ok(kept);
        }
        let room = cap - kept.len();
        if n > room && !drop_excess {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
}

/// Kills a git process's whole group (its transports and helpers) when dropped: on
/// return, on timeout, and when the caller's future is dropped on cancellation.
struct GroupGuard(Pid);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        // ESRCH: the group is gone already, as it should be.
        let _ = killpg(self.0, Signal::SIGKILL);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_past_the_cap_fails_and_stderr_past_it_is_dropped() {
        let big = vec![b'x'; 300 * 1024];
        let kept = read_capped(Some(&big[..]), big.len(), false).await.expect("at the cap");
        assert_eq!(kept.len(), big.len());
        let over = read_capped(Some(&big[..]), big.len() - 1, false).await;
        assert_eq!(over.map_err(|e| e.kind()), Err(std::io::ErrorKind::FileTooLarge));
        let dropped = read_capped(Some(&big[..]), 1000, true).await.expect("read to the end");
        assert_eq!(dropped, vec![b'x'; 1000]);
    }
}
