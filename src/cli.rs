//! The command line (contract section 5). Every flag also reads a `POST_MERGE_SMOKE_*`
//! variable, so the composite action passes inputs through `env:` and never through
//! `${{ }}` interpolation in a shell.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::exec::MIN_CAPTURE_BYTES;

pub const DEFAULT_TIMEOUT_SEC: u64 = 600;

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
    #[arg(long, env = "POST_MERGE_SMOKE_REMOTE", value_name = "NAME", default_value = "origin",
          value_parser = not_an_option)]
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
          value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 3600))]
    pub timeout: Option<u64>,
    /// Seconds between SIGTERM and SIGKILL to the smoke's process group.
    #[arg(long, env = "POST_MERGE_SMOKE_KILL_GRACE", value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub kill_grace: u64,
    /// Bytes of stdout and of stderr to keep, head and tail.
    #[arg(long, env = "POST_MERGE_SMOKE_CAPTURE_BYTES", value_name = "N", default_value_t = 65536,
          value_parser = clap::value_parser!(u64).range(MIN_CAPTURE_BYTES as u64..=64 * 1024 * 1024))]
    pub capture_bytes: u64,
    /// With no smoke command defined, report SKIPPED instead of BLOCKED.
    #[arg(long, env = "POST_MERGE_SMOKE_DRY_RUN", action = ArgAction::SetTrue)]
    pub dry_run: bool,
    /// Do not echo the smoke's output live to stderr (it is still captured).
    #[arg(long, env = "POST_MERGE_SMOKE_QUIET", action = ArgAction::SetTrue)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Also write the envelope to this file, atomically (folders are created).
    #[arg(long, env = "POST_MERGE_SMOKE_OUTPUT", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// A variable whose value is masked in every output (repeatable; comma separated in env).
    #[arg(
        long = "redact-env",
        env = "POST_MERGE_SMOKE_REDACT_ENV",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub redact_env: Vec<String>,
}

fn not_an_option(value: &str) -> Result<String, String> {
    if value.is_empty() || value.starts_with('-') {
        return Err("must be a remote name or URL, not empty and not starting with `-`".into());
    }
    Ok(value.to_owned())
}
