//! `post-merge-smoke run`: gathers the facts (work tree, merge commit, smoke command, the
//! smoke's outcome, the stale check), hands them to [`verdict::decide`] and assembles the
//! envelope. Writing it anywhere is the caller's business.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cancel::Cancel;
use crate::ci_env::CiEnv;
use crate::cli::{DEFAULT_TIMEOUT_SEC, RunArgs};
use crate::envelope::{
    Ci, CommandSource, DecisionBlock, Envelope, ReasonCode, SCHEMA_VERSION, SmokeResult, StaleCheck, Tool,
};
use crate::exec::{self, Echo};
use crate::git::Git;
use crate::github_api::Api;
use crate::merge::{self, Merge};
use crate::progress::Progress;
use crate::smoke_command::{self, DEFAULT_REGISTRY, Resolution, SmokeCommand};
use crate::verdict::{self, Facts, Preflight, PreflightOutcome, SmokeFact, StaleFact};
use crate::{escalation, stale};

/// The envelope and the exit code it calls for.
#[derive(Debug, Clone)]
pub struct Report {
    pub envelope: Envelope,
    pub exit_code: i32,
    /// One line explaining the verdict, for the log and the step summary.
    pub summary: String,
    /// The branch the merge landed on, as the run resolved it.
    pub main_branch: String,
}

/// `api`: the GitHub client, when there is one, for the culprit and the fallbacks.
pub async fn run(
    args: &RunArgs,
    ci: &CiEnv,
    api: Option<&Api>,
    cancel: &mut Cancel,
    progress: &Progress,
) -> Report {
    let started_at = SystemTime::now();
    let workdir = match &args.commit.workdir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    let git = Git::new(&workdir);
    let main_branch = args
        .commit
        .main_branch
        .clone()
        .or_else(|| ci.branch().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());

    let wanted = args.commit.merge_commit.as_deref().or(ci.sha.as_deref());
    // Git and the API may hang on a network; a cancelled run must still write its verdict.
    let merge = tokio::select! {
        merge = merge::inspect(&git, api, ci, wanted, &main_branch, progress) => merge,
        request = cancel.changed() => merge::cancelled(wanted, request.signal),
    };
    let smoke_dir = args.commit.workdir.clone().or_else(|| merge.toplevel.clone()).unwrap_or(workdir);
    let (resolution, preflight) = choose_command(args, &merge, &smoke_dir);
    let timeout_sec = args.smoke.timeout.or(resolution.timeout_sec).unwrap_or(DEFAULT_TIMEOUT_SEC);

    let outcome = match (&preflight, &resolution.smoke) {
        (None, Some(smoke)) => {
            Some(run_smoke(args, ci, smoke, &smoke_dir, timeout_sec, cancel, progress).await)
        }
        _ => None,
    };
    let smoke = outcome.as_ref().map_or(SmokeFact::NotDefined, |o| o.fact.clone());
    let cancelled = matches!(smoke, SmokeFact::Cancelled(_));
    let (stale, main_head) = if args.commit.skip_stale_check || cancelled || merge.preflight.is_some() {
        // A cancelled run has seconds left to write its envelope: no network round trip. A run
        // judged before any smoke (no merge, or not this work tree) has nothing to be stale.
        (StaleFact::Skipped, None)
    } else if let Some(request) = cancel.requested() {
        // Asked to stop just as the smoke ended: its verdict stands, but no green one.
        (StaleFact::Cancelled(format!("{} received", request.signal)), None)
    } else {
        tokio::select! {
            checked = stale::check(&git, api, &args.commit.remote, &main_branch, &merge.merge_commit) => checked,
            request = cancel.changed() => (StaleFact::Cancelled(format!("{} received", request.signal)), None),
        }
    };

    let ran = preflight.is_none() && resolution.smoke.is_some();
    let facts = Facts { preflight, smoke, dry_run: args.smoke.dry_run, stale, timeout_sec };
    let verdict = verdict::decide(&facts);
    let stale_check = match facts.stale {
        StaleFact::Fresh | StaleFact::Stale => StaleCheck::Checked,
        StaleFact::Skipped => StaleCheck::Skipped,
        StaleFact::Unavailable(_) | StaleFact::Cancelled(_) => StaleCheck::Unavailable,
    };
    let mut envelope = Envelope {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        merge_commit: merge.merge_commit,
        task_id: resolution.task_id,
        status: verdict.status,
        allow_continuation: verdict.allow_continuation,
        stale: verdict.stale,
        stale_check,
        main_head,
        dry_run: args.smoke.dry_run,
        duration_ms: outcome.as_ref().map_or(0, |o| o.duration.as_millis() as u64),
        started_at: humantime::format_rfc3339_millis(started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        timeout_sec,
        smoke_command_source: resolution.source,
        smoke_result: SmokeResult {
            command: resolution.smoke.map(|s| s.display).unwrap_or_default(),
            passed: verdict.passed,
            exit_code: match facts.smoke {
                SmokeFact::Exited(code) if ran => Some(code),
                _ => None,
            },
            stdout_tail: outcome.as_ref().map(|o| o.stdout.clone()).unwrap_or_default(),
            stderr_tail: outcome.as_ref().map(|o| o.stderr.clone()).unwrap_or_default(),
            failure_reason: verdict.failure_reason,
        },
        decision: DecisionBlock { decision: verdict.decision, reason_codes: verdict.reason_codes },
        escalation: None,
        ci: Ci {
            provider: ci.provider().to_owned(),
            repository: ci.repository.clone(),
            git_ref: ci.git_ref.clone().or_else(|| Some(format!("refs/heads/{main_branch}"))),
            event: ci.event_name.clone(),
            run_id: ci.run_id.clone(),
            run_url: ci.run_url(),
        },
        culprit: merge.culprit,
        changed_paths: merge.changed_paths,
        notifications: merge.notifications,
    };
    envelope.escalation = escalation::packet(&envelope, &main_branch, escalation::failure_kind(&facts.smoke));
    Report { envelope, exit_code: verdict.exit_code, summary: verdict.summary, main_branch }
}

/// The smoke command for this merge, and the merge's preflight, which a broken task file
/// or registry sets when nothing else did.
fn choose_command(args: &RunArgs, merge: &Merge, smoke_dir: &Path) -> (Resolution, Option<Preflight>) {
    let mut preflight = merge.preflight.clone();
    let request = smoke_command::Request {
        command: args.smoke.command.as_deref(),
        argv: &args.argv,
        task_file: args.smoke.task_file.as_deref(),
        registry: args.smoke.registry.as_deref(),
        // The repository's registry, even when the smoke runs in a subfolder (`--workdir`).
        default_registry: Some(merge.toplevel.as_deref().unwrap_or(smoke_dir).join(DEFAULT_REGISTRY)),
        task_id: args.smoke.task_id.as_deref(),
        commit_task_id: merge.task_id.clone(),
        changed_paths: merge.changed_paths.as_deref(),
    };
    let resolution = smoke_command::resolve(&request).unwrap_or_else(|err| {
        let reason = err.to_string();
        preflight.get_or_insert(Preflight {
            outcome: PreflightOutcome::Block,
            code: ReasonCode::SmokeConfigInvalid,
            reason,
        });
        Resolution {
            source: CommandSource::None,
            smoke: None,
            task_id: args.smoke.task_id.clone().or_else(|| merge.task_id.clone()),
            timeout_sec: None,
        }
    });
    (resolution, preflight)
}

async fn run_smoke(
    args: &RunArgs,
    ci: &CiEnv,
    smoke: &SmokeCommand,
    dir: &Path,
    timeout_sec: u64,
    cancel: &mut Cancel,
    progress: &Progress,
) -> exec::Outcome {
    progress.info(&format!("running `{}` in {}", smoke.display, dir.display()));
    let spec = exec::Spec {
        argv: smoke.argv.clone(),
        workdir: dir.to_owned(),
        env_remove: own_variables(),
        timeout: Duration::from_secs(timeout_sec),
        kill_grace: Duration::from_secs(args.smoke.kill_grace),
        capture_bytes: usize::try_from(args.smoke.capture_bytes).unwrap_or(usize::MAX),
    };
    let mut echo = (!args.smoke.quiet).then(|| Echo::new(Arc::clone(progress.redactor())));
    // Inside Actions, nothing the smoke prints (echoed, or written to our stderr through
    // /proc) may be read as a workflow command; the fence stands until its tree is gone.
    let fence = ci.github_actions.then(crate::random::token);
    if let Some(token) = &fence {
        progress.line(&format!("::stop-commands::{token}"));
    }
    let outcome = exec::run(&spec, echo.as_mut(), cancel).await;
    if let Some(token) = &fence {
        progress.line(&format!("::{token}::"));
    }
    if outcome.leaked {
        progress.warn("the smoke left processes holding its output open; they were killed");
    }
    outcome
}

/// The tool's own variables (its token among them) are not the smoke's business, and
/// neither are the runner's file commands: the smoke must not set this step's outputs,
/// environment, path, state or summary (what it writes to those files anyway, found
/// through `RUNNER_TEMP`, is rolled back by `github_actions::Baseline`).
fn own_variables() -> Vec<std::ffi::OsString> {
    const FILE_COMMANDS: [&str; 5] =
        ["GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"];
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| {
            let name = name.to_string_lossy();
            name.starts_with("POST_MERGE_SMOKE_") || FILE_COMMANDS.contains(&name.as_ref())
        })
        .collect()
}
