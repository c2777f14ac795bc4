//! The command line (contract section 5). Every flag also reads a `POST_MERGE_SMOKE_*`
//! variable, so the composite action passes inputs through `env:` and never through
//! `${{ }}` interpolation in a shell. Only this module, `main.rs` and `commands/` see
//! these structs; the commands turn them into [`crate::config`] types.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{
    DEFAULT_BISECT_MAX_PROBES, DEFAULT_BISECT_TIMEOUT_SEC, DEFAULT_CAPTURE_BYTES, DEFAULT_GATE_CONTEXT,
    DEFAULT_ISSUE_LABEL, DEFAULT_KILL_GRACE_SEC, DEFAULT_MAX_REVERTS, DEFAULT_REMOTE, DEFAULT_RETRIES,
    DEFAULT_STATUS_CONTEXT, MAX_TIMEOUT_SEC,
};
use crate::env::Environment;
use crate::exec::MIN_CAPTURE_BYTES;

/// Parses the command line; on a usage error clap prints it and exits 2.
///
/// GitHub Actions hands an unset action input to `env:` as an empty string, which clap
/// would read as a (bad) value: an argument whose variable is set but empty forgets its
/// variable before parsing, so empty means unset.
pub fn parse(env: &Environment, args: impl IntoIterator<Item = OsString>) -> Cli {
    let forget_empty = |arg: clap::Arg| match arg.get_env() {
        Some(name) if env.is_empty(name) => arg.env(None),
        _ => arg,
    };
    let command = Cli::command().mut_args(forget_empty).mut_subcommands(|sub| sub.mut_args(forget_empty));
    let mut matches = command.get_matches_from(args);
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Parser)]
#[command(name = "post-merge-smoke", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the smoke against the merge commit, print the envelope, exit with the verdict.
    Run(Box<RunArgs>),
    /// Set the `main-health` status on open pull requests from a verdict (the tree gate).
    Gate(Box<GateArgs>),
    /// One verdict from the envelopes of a sharded run's shards, then publish it as `run` does.
    Aggregate(Box<AggregateArgs>),
    /// Print the JSON Schema of the envelope.
    Schema,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub smoke: SmokeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub github: GithubArgs,
    /// The smoke as words, run directly without a shell (after `--`).
    #[arg(last = true, value_name = "COMMAND", conflicts_with = "command")]
    pub argv: Vec<OsString>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Merge commit and main")]
pub struct CommitArgs {
    /// The merge commit to judge (any unambiguous abbreviation) [default: $GITHUB_SHA, else HEAD].
    #[arg(long, env = "POST_MERGE_SMOKE_MERGE_COMMIT", value_name = "SHA")]
    pub merge_commit: Option<String>,
    /// The main branch [default: from $GITHUB_REF, else `main`].
    #[arg(long, env = "POST_MERGE_SMOKE_MAIN_BRANCH", value_name = "NAME")]
    pub main_branch: Option<String>,
    /// The remote whose main branch the stale check asks.
    #[arg(long, env = "POST_MERGE_SMOKE_REMOTE", value_name = "NAME", default_value = DEFAULT_REMOTE,
          value_parser = |v: &str| crate::config::remote(v))]
    pub remote: String,
    /// Do not check whether main moved on while the smoke ran.
    #[arg(long, env = "POST_MERGE_SMOKE_SKIP_STALE_CHECK", action = ArgAction::SetTrue)]
    pub skip_stale_check: bool,
    /// The work tree [default: the current directory's]; the smoke runs here.
    #[arg(long, env = "POST_MERGE_SMOKE_WORKDIR", value_name = "DIR")]
    pub workdir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Smoke")]
pub struct SmokeArgs {
    /// The smoke as a shell string (`bash -eo pipefail -c`, else `sh -c`).
    #[arg(long, env = "POST_MERGE_SMOKE_COMMAND", value_name = "STRING")]
    pub command: Option<String>,
    /// A Markdown task file whose YAML front matter holds `smoke_command`.
    #[arg(long, env = "POST_MERGE_SMOKE_TASK_FILE", value_name = "PATH")]
    pub task_file: Option<PathBuf>,
    /// The registry of smoke commands [default: .github/post-merge-smoke.yml if it exists].
    #[arg(long, env = "POST_MERGE_SMOKE_REGISTRY", value_name = "PATH")]
    pub registry: Option<PathBuf>,
    /// The task id [default: the task file's, else `#N` of the merged pull request].
    #[arg(long, env = "POST_MERGE_SMOKE_TASK_ID", value_name = "ID")]
    pub task_id: Option<String>,
    /// Seconds the smoke may run [default: the task file's `timeout_sec`, else 600].
    #[arg(long, env = "POST_MERGE_SMOKE_TIMEOUT", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SEC))]
    pub timeout: Option<u64>,
    /// Seconds between SIGTERM and SIGKILL to the smoke's process group.
    #[arg(long, env = "POST_MERGE_SMOKE_KILL_GRACE", value_name = "SECONDS", default_value_t = DEFAULT_KILL_GRACE_SEC,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub kill_grace: u64,
    /// Bytes of stdout and of stderr to keep, head and tail.
    #[arg(long, env = "POST_MERGE_SMOKE_CAPTURE_BYTES", value_name = "N", default_value_t = DEFAULT_CAPTURE_BYTES,
          value_parser = clap::value_parser!(u64).range(MIN_CAPTURE_BYTES as u64..=64 * 1024 * 1024))]
    pub capture_bytes: u64,
    /// With no smoke command defined, report SKIPPED instead of BLOCKED.
    #[arg(long, env = "POST_MERGE_SMOKE_DRY_RUN", action = ArgAction::SetTrue)]
    pub dry_run: bool,
    /// Do not echo the smoke's output live to stderr (it is still captured).
    #[arg(long, env = "POST_MERGE_SMOKE_QUIET", action = ArgAction::SetTrue)]
    pub quiet: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Confirming a failure")]
pub struct ConfirmArgs {
    /// Run a failing smoke again up to N more times on the same commit; 0 turns it off.
    #[arg(long, env = "POST_MERGE_SMOKE_RETRIES", value_name = "N", default_value_t = DEFAULT_RETRIES,
          value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Retry a smoke that timed out too (each attempt gets the full --timeout).
    #[arg(long, env = "POST_MERGE_SMOKE_RETRY_TIMEOUTS", action = ArgAction::SetTrue)]
    pub retry_timeouts: bool,
    /// What a failure followed by a pass on the same commit counts as.
    #[arg(long, env = "POST_MERGE_SMOKE_FLAKY_VERDICT", value_name = "VERDICT", default_value = "pass",
          value_parser = ["pass", "fail"])]
    pub flaky_verdict: String,
    /// JUnit/XUnit XML the smoke writes, relative to its working directory (repeatable;
    /// comma separated in env).
    #[arg(long, env = "POST_MERGE_SMOKE_JUNIT", value_name = "GLOB", value_delimiter = ',')]
    pub junit: Vec<String>,
    /// On a confirmed FAIL, run the smoke on at most N older commits of main to find the
    /// first bad merge; 0 turns it off.
    #[arg(long, env = "POST_MERGE_SMOKE_BISECT_MAX_PROBES", value_name = "N",
          default_value_t = DEFAULT_BISECT_MAX_PROBES, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub bisect_max_probes: u32,
    /// This run is shard I of N (1-based): sharded smokes run here with SMOKE_SHARD_INDEX
    /// and SMOKE_SHARD_TOTAL, the others are dealt round robin.
    #[arg(long, env = "POST_MERGE_SMOKE_SHARD", value_name = "I/N",
          value_parser = |v: &str| v.parse::<crate::config::Shard>())]
    pub shard: Option<crate::config::Shard>,
    /// No probe starts once the probes have taken this many seconds in all.
    #[arg(long, env = "POST_MERGE_SMOKE_BISECT_TIMEOUT", value_name = "SECONDS",
          default_value_t = DEFAULT_BISECT_TIMEOUT_SEC, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SEC))]
    pub bisect_timeout: u64,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Also write the envelope to this file, atomically (folders are created).
    #[arg(long, env = "POST_MERGE_SMOKE_OUTPUT", value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub redact: RedactArgs,
}

/// Secrets beyond those found by name; shared by `run` and `gate`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// A variable whose value is masked in every output (repeatable; comma separated in env).
    #[arg(
        long = "redact-env",
        env = "POST_MERGE_SMOKE_REDACT_ENV",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub redact_env: Vec<String>,
}

/// What `run` does through the GitHub API; every feature is off without a token.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GitHub")]
pub struct GithubArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Set a commit status on the merge commit (success, failure or error).
    #[arg(long, env = "POST_MERGE_SMOKE_COMMIT_STATUS", action = ArgAction::SetTrue)]
    pub commit_status: bool,
    /// The context of that commit status.
    #[arg(long, env = "POST_MERGE_SMOKE_STATUS_CONTEXT", value_name = "NAME", default_value = DEFAULT_STATUS_CONTEXT)]
    pub status_context: String,
    /// On FAIL/TIMEOUT open (or comment on) an escalation issue; close it on a later PASS.
    #[arg(long, env = "POST_MERGE_SMOKE_ESCALATION_ISSUE", action = ArgAction::SetTrue)]
    pub escalation_issue: bool,
    /// A label of the escalation issue (repeatable; comma separated in env).
    #[arg(long = "issue-label", env = "POST_MERGE_SMOKE_ISSUE_LABEL", value_name = "LABEL",
          value_delimiter = ',', default_value = DEFAULT_ISSUE_LABEL)]
    pub issue_labels: Vec<String>,
    /// After the run, set the gate status on every open pull request into the main branch.
    #[arg(long, env = "POST_MERGE_SMOKE_GATE", action = ArgAction::SetTrue)]
    pub gate: bool,
    /// The context of the gate status, the one branch protection requires.
    #[arg(long, env = "POST_MERGE_SMOKE_GATE_CONTEXT", value_name = "NAME", default_value = DEFAULT_GATE_CONTEXT)]
    pub gate_context: String,
    /// Open a pull request that reverts a confirmed first bad merge (needs `contents: write`
    /// and `pull-requests: write`).
    #[arg(long, env = "POST_MERGE_SMOKE_REVERT_PR", action = ArgAction::SetTrue)]
    pub revert_pr: bool,
    /// At most N reverts opened by the tool in 24 hours.
    #[arg(long, env = "POST_MERGE_SMOKE_MAX_REVERTS", value_name = "N", default_value_t = DEFAULT_MAX_REVERTS)]
    pub max_reverts: u32,
}

/// How to reach the GitHub API, shared by `run` and `gate`.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Token for the GitHub API [env: POST_MERGE_SMOKE_GITHUB_TOKEN, else GITHUB_TOKEN].
    #[arg(
        long,
        env = "POST_MERGE_SMOKE_GITHUB_TOKEN",
        hide_env = true,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub github_token: Option<String>,
    /// Longest wait for a rate limit or retry before giving up, in seconds (for tests).
    #[arg(long, env = "POST_MERGE_SMOKE_API_MAX_WAIT", hide = true, default_value_t = 60)]
    pub api_max_wait: u64,
    /// First back-off between retries of a failed API request, in milliseconds (for tests).
    #[arg(long, env = "POST_MERGE_SMOKE_API_RETRY_BASE_MS", hide = true, default_value_t = 1000)]
    pub api_retry_base_ms: u64,
    /// Least time between two gate writes, in milliseconds (GitHub allows about 80 a minute).
    #[arg(long, env = "POST_MERGE_SMOKE_GATE_WRITE_INTERVAL_MS", hide = true, default_value_t = 750)]
    pub gate_write_interval_ms: u64,
}

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// The folder holding the shards' envelopes (`*.json` at any depth).
    #[arg(long, env = "POST_MERGE_SMOKE_ENVELOPES", value_name = "DIR")]
    pub envelopes: PathBuf,
    /// How many shards the run had: each must have left its envelope.
    #[arg(long, env = "POST_MERGE_SMOKE_SHARDS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=crate::config::MAX_SHARDS as i64))]
    pub shards: u32,
    /// The main branch [default: the shards', else from $GITHUB_REF, else `main`].
    #[arg(long, env = "POST_MERGE_SMOKE_MAIN_BRANCH", value_name = "NAME")]
    pub main_branch: Option<String>,
    /// A checkout of the merge commit, where a revert can be made [default: the current
    /// directory's, when it is one].
    #[arg(long, env = "POST_MERGE_SMOKE_WORKDIR", value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The envelope of a `run` whose verdict the gate applies.
    #[arg(
        long,
        env = "POST_MERGE_SMOKE_ENVELOPE",
        value_name = "PATH",
        required_unless_present = "pull_request",
        conflicts_with = "pull_request"
    )]
    pub envelope: Option<PathBuf>,
    /// Mirror main's current health onto one pull request [default: the event's].
    #[arg(long, env = "POST_MERGE_SMOKE_PULL_REQUEST", action = ArgAction::SetTrue)]
    pub pull_request: bool,
    /// With --pull-request: the pull request's head commit [default: from $GITHUB_EVENT_PATH].
    #[arg(long, value_name = "SHA", requires = "pull_request", requires = "pr_number")]
    pub head_sha: Option<String>,
    /// With --pull-request: the pull request's number [default: from $GITHUB_EVENT_PATH].
    #[arg(long, value_name = "N", requires = "pull_request")]
    pub pr_number: Option<u64>,
    /// The main branch [default: the envelope's, else from $GITHUB_REF, else `main`].
    #[arg(long, env = "POST_MERGE_SMOKE_MAIN_BRANCH", value_name = "NAME")]
    pub main_branch: Option<String>,
    /// The context of the smoke's own commit status on main (read by --pull-request).
    #[arg(long, env = "POST_MERGE_SMOKE_STATUS_CONTEXT", value_name = "NAME", default_value = DEFAULT_STATUS_CONTEXT)]
    pub status_context: String,
    /// The context of the gate status, the one branch protection requires.
    #[arg(long, env = "POST_MERGE_SMOKE_GATE_CONTEXT", value_name = "NAME", default_value = DEFAULT_GATE_CONTEXT)]
    pub gate_context: String,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub redact: RedactArgs,
}
