//! The tool's configuration as plain data, owned by the library: what the command layer
//! turns the command line into, and all that `run`, `gate` and the GitHub adapter see.
//! (They never see clap's structs.) Defaults and bounds of the contract live here too.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::facts::FlakyVerdict;

pub const DEFAULT_TIMEOUT_SEC: u64 = 600;
/// A week: longer is a mistake, and far-off deadlines overflow clocks.
pub const MAX_TIMEOUT_SEC: u64 = 7 * 24 * 3600;
pub const DEFAULT_KILL_GRACE_SEC: u64 = 10;
pub const DEFAULT_CAPTURE_BYTES: u64 = 65536;
pub const DEFAULT_STATUS_CONTEXT: &str = "post-merge-smoke";
pub const DEFAULT_GATE_CONTEXT: &str = "main-health";
pub const DEFAULT_ISSUE_LABEL: &str = "post-merge-smoke";
pub const DEFAULT_REMOTE: &str = "origin";
pub const DEFAULT_RETRIES: u32 = 2;
pub const DEFAULT_BISECT_MAX_PROBES: u32 = 6;
pub const DEFAULT_BISECT_TIMEOUT_SEC: u64 = 3600;
pub const DEFAULT_MAX_REVERTS: u32 = 2;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("`{0}` must be a remote name or URL, not empty and not starting with `-`")]
    BadRemote(String),
    #[error("`{0}` is not a shard: write I/N, with 1 <= I <= N <= 256 (e.g. `2/4`)")]
    BadShard(String),
}

/// One shard of a sharded run: `index` of `total`, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

/// More shards than this is a typo, not a matrix (GitHub allows 256 jobs per matrix).
pub const MAX_SHARDS: u32 = 256;

impl std::str::FromStr for Shard {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadShard(value.to_owned());
        let (index, total) = value.trim().split_once('/').ok_or_else(bad)?;
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
        let (index, total) = (number(index)?, number(total)?);
        if index == 0 || index > total || total > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, total })
    }
}

/// `post-merge-smoke run`.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The merge commit asked for; `GITHUB_SHA`, else `HEAD`, when `None`.
    pub merge_commit: Option<String>,
    /// The main branch; from `GITHUB_REF`, else `main`, when `None`.
    pub main_branch: Option<String>,
    pub remote: String,
    pub skip_stale_check: bool,
    /// The work tree; the current directory's when `None`.
    pub workdir: Option<PathBuf>,
    pub smoke: SmokeSpec,
    /// `--timeout`; the task file's, else [`DEFAULT_TIMEOUT_SEC`], when `None`.
    pub timeout_sec: Option<u64>,
    pub kill_grace: Duration,
    pub capture_bytes: usize,
    pub dry_run: bool,
    /// Do not echo the smoke's output live.
    pub quiet: bool,
    pub confirm: Confirm,
    pub bisect: BisectConfig,
    /// This run is one shard of several (`--shard I/N`).
    pub shard: Option<Shard>,
    /// Also write the envelope here.
    pub output: Option<PathBuf>,
    /// Variables whose values are secrets beyond those found by name.
    pub redact_env: Vec<String>,
    pub api: ApiConfig,
    pub publish: PublishConfig,
}

/// Where the smoke command may come from (contract section 4), as given.
#[derive(Debug, Clone, Default)]
pub struct SmokeSpec {
    /// `--command`: a shell string.
    pub command: Option<String>,
    /// The words after `--`, run without a shell.
    pub argv: Vec<OsString>,
    pub task_file: Option<PathBuf>,
    pub registry: Option<PathBuf>,
    pub task_id: Option<String>,
}

/// How a failure is confirmed and read (contract section 8).
#[derive(Debug, Clone, Default)]
pub struct Confirm {
    /// A failing smoke runs again up to this many times, stopping at the first pass.
    pub retries: u32,
    /// Retry a timeout too (off: a timeout is expensive).
    pub retry_timeouts: bool,
    pub flaky_verdict: FlakyVerdict,
    /// JUnit/XUnit report globs, relative to the smoke's working directory.
    pub junit: Vec<String>,
}

/// The search for the first bad merge (contract section 9).
#[derive(Debug, Clone)]
pub struct BisectConfig {
    /// At most this many probes; 0 turns the search off.
    pub max_probes: u32,
    /// No probe starts once the probes have taken this long in all.
    pub timeout: Duration,
}

impl Default for BisectConfig {
    fn default() -> Self {
        BisectConfig {
            max_probes: DEFAULT_BISECT_MAX_PROBES,
            timeout: Duration::from_secs(DEFAULT_BISECT_TIMEOUT_SEC),
        }
    }
}

/// How to reach the GitHub API; every feature is off without a token.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `--github-token`, else `GITHUB_TOKEN`.
    pub token: Option<String>,
    /// Longest wait for a rate limit or retry before giving up.
    pub max_wait: Duration,
    /// First back-off between retries of a failed request.
    pub retry_base: Duration,
    /// Least time between two gate writes (GitHub allows about 80 a minute).
    pub write_interval: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            token: None,
            max_wait: Duration::from_secs(60),
            retry_base: Duration::from_secs(1),
            write_interval: Duration::from_millis(750),
        }
    }
}

/// What `run` tells GitHub once the verdict is made.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    pub commit_status: bool,
    pub status_context: String,
    pub escalation_issue: bool,
    pub issue_labels: Vec<String>,
    pub gate: bool,
    pub gate_context: String,
    /// Open a pull request reverting a confirmed first bad merge.
    pub revert_pr: bool,
    /// At most this many reverts opened by the tool in 24 hours.
    pub max_reverts: u32,
}

impl Default for PublishConfig {
    fn default() -> Self {
        PublishConfig {
            commit_status: false,
            status_context: DEFAULT_STATUS_CONTEXT.to_owned(),
            escalation_issue: false,
            issue_labels: vec![DEFAULT_ISSUE_LABEL.to_owned()],
            gate: false,
            gate_context: DEFAULT_GATE_CONTEXT.to_owned(),
            revert_pr: false,
            max_reverts: DEFAULT_MAX_REVERTS,
        }
    }
}

/// `post-merge-smoke gate`.
#[derive(Debug, Clone)]
pub struct GateConfig {
    pub target: GateTarget,
    /// The main branch; from the envelope, the event or `GITHUB_REF`, else `main`.
    pub main_branch: Option<String>,
    /// The smoke's own status context on main, read by the mirror.
    pub status_context: String,
    pub gate_context: String,
    pub redact_env: Vec<String>,
    pub api: ApiConfig,
}

#[derive(Debug, Clone)]
pub enum GateTarget {
    /// Apply a verdict to every open pull request into main.
    Envelope(PathBuf),
    /// Mirror main's health onto one pull request or merge queue entry; the event's when
    /// no number is given.
    Mirror { pr_number: Option<u64>, head_sha: Option<String> },
}

/// `post-merge-smoke aggregate`.
#[derive(Debug, Clone)]
pub struct AggregateConfig {
    /// Where the shards' envelopes are, at any depth.
    pub envelopes: PathBuf,
    pub shards: u32,
    pub output: Option<PathBuf>,
    pub redact_env: Vec<String>,
    /// The main branch; the shards' when `None`.
    pub main_branch: Option<String>,
    /// Where a revert would be made: a checkout of the merge commit, when there is one.
    pub workdir: Option<PathBuf>,
    pub api: ApiConfig,
    pub publish: PublishConfig,
}

/// A remote name or URL that git cannot take for an option.
pub fn remote(value: &str) -> Result<String, ConfigError> {
    if value.is_empty() || value.starts_with('-') {
        return Err(ConfigError::BadRemote(value.to_owned()));
    }
    Ok(value.to_owned())
}
