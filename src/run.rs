//! `post-merge-smoke run`: gathers the facts (work tree, merge commit, smoke command, the
//! smoke's outcome, the stale check), hands them to [`verdict::decide`] and assembles the
//! envelope. Writing it anywhere is the caller's business.

use std::path::PathBuf;
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
use crate::github_actions;
use crate::progress::Progress;
use crate::smoke_command::{self, DEFAULT_REGISTRY, Resolution};
use crate::verdict::{self, Facts, Preflight, PreflightOutcome, SmokeFact, StaleFact};
use crate::{changed_paths, culprit, escalation, github_api, stale, worktree};

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

pub async fn run(args: &RunArgs, ci: &CiEnv, cancel: &mut Cancel, progress: &Progress) -> Report {
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
    let block = |code, reason: String| Preflight { outcome: PreflightOutcome::Block, code, reason };

    // The event speaks first: a tag push or a branch deletion is no merge to judge, whatever
    // the work tree holds, and a push without a readable payload cannot be judged at all.
    let push = (ci.event_name.as_deref() == Some("push"))
        .then(|| github_actions::read_push_event(ci.event_path.as_deref()));
    let event_preflight = ci.event_name.as_deref().and_then(|name| {
        github_actions::event_preflight(name, ci.git_ref.as_deref(), &main_branch, push.as_ref())
    });
    let judged_by_event = event_preflight.is_some();

    let wanted = args.commit.merge_commit.as_deref().or(ci.sha.as_deref());
    let tree = worktree::check(&git, &workdir, wanted).await;
    let mut preflight = event_preflight.or(tree.problem.map(|p| block(ReasonCode::WorktreeMismatch, p)));
    let merge_commit = tree.merge_commit;
    let resolved = preflight.is_none();

    let message = if resolved { git.commit_message(&merge_commit).await.ok() } else { None };
    let message_pr = message.as_deref().and_then(culprit::pr_number_from_message);
    let api = github_api::optional_client(&args.github.api, ci);
    let mut notifications = Vec::new();
    // Before the command is chosen: a registry `tasks:` entry may be keyed by `#N`.
    let culprit = match (&api, resolved) {
        (Some(api), true) => {
            let found = github_api::culprit(api, &merge_commit, &main_branch, message_pr).await;
            notifications.push(github_api::notification(github_api::CULPRIT, progress, found.as_ref().err()));
            found.ok().flatten()
        }
        _ => None,
    };
    let commit_task_id = culprit.as_ref().map(|c| c.number).or(message_pr).map(|n| format!("#{n}"));
    let push = push.as_ref().and_then(|p| p.as_ref().ok());
    let changed_paths = if resolved {
        changed_paths::find(&git, api.as_ref(), push, &merge_commit, tree.shallow).await
    } else {
        None
    };

    let smoke_dir = args.commit.workdir.clone().or(tree.toplevel).unwrap_or(workdir);
    let request = smoke_command::Request {
        command: args.smoke.command.as_deref(),
        argv: &args.argv,
        task_file: args.smoke.task_file.as_deref(),
        registry: args.smoke.registry.as_deref(),
        default_registry: Some(smoke_dir.join(DEFAULT_REGISTRY)),
        task_id: args.smoke.task_id.as_deref(),
        commit_task_id: commit_task_id.clone(),
        changed_paths: changed_paths.as_deref(),
    };
    let resolution = smoke_command::resolve(&request).unwrap_or_else(|err| {
        preflight.get_or_insert(block(ReasonCode::SmokeConfigInvalid, err.to_string()));
        Resolution {
            source: CommandSource::None,
            smoke: None,
            task_id: args.smoke.task_id.clone().or(commit_task_id),
            timeout_sec: None,
        }
    });
    let timeout_sec = args.smoke.timeout.or(resolution.timeout_sec).unwrap_or(DEFAULT_TIMEOUT_SEC);

    let outcome = match (&preflight, &resolution.smoke) {
        (None, Some(smoke)) => {
            progress.info(&format!("running `{}` in {}", smoke.display, smoke_dir.display()));
            let spec = exec::Spec {
                argv: smoke.argv.clone(),
                workdir: smoke_dir.clone(),
                env_remove: own_variables(),
                timeout: Duration::from_secs(timeout_sec),
                kill_grace: Duration::from_secs(args.smoke.kill_grace),
                capture_bytes: usize::try_from(args.smoke.capture_bytes).unwrap_or(usize::MAX),
            };
            let mut echo = (!args.smoke.quiet).then(|| Echo::new(Arc::clone(progress.redactor()), fence(ci)));
            let outcome = exec::run(&spec, echo.as_mut(), cancel).await;
            if outcome.leaked {
                progress.warn("the smoke left processes holding its output open; they were killed");
            }
            Some(outcome)
        }
        _ => None,
    };
    let cancelled = matches!(outcome.as_ref().map(|o| &o.fact), Some(SmokeFact::Cancelled(_)));

    let (stale, main_head) = if args.commit.skip_stale_check || cancelled || judged_by_event {
        // A cancelled run has seconds left to write its envelope; no network round trip.
        // A run the event already judged merged nothing, so "main moved past it" means nothing.
        (StaleFact::Skipped, None)
    } else {
        stale::check(&git, api.as_ref(), &args.commit.remote, &main_branch, &merge_commit).await
    };

    let smoke = outcome.as_ref().map_or(SmokeFact::NotDefined, |o| o.fact.clone());
    let facts = Facts { preflight, smoke: smoke.clone(), dry_run: args.smoke.dry_run, stale, timeout_sec };
    let verdict = verdict::decide(&facts);

    let stale_check = match facts.stale {
        StaleFact::Fresh | StaleFact::Stale => StaleCheck::Checked,
        StaleFact::Skipped => StaleCheck::Skipped,
        StaleFact::Unavailable(_) => StaleCheck::Unavailable,
    };
    let exit_code = match smoke {
        SmokeFact::Exited(code) if resolution.smoke.is_some() && facts.preflight.is_none() => Some(code),
        _ => None,
    };
    let mut envelope = Envelope {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        merge_commit,
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
            exit_code,
            stdout_tail: outcome.as_ref().map(|o| o.stdout.clone()).unwrap_or_default(),
            stderr_tail: outcome.as_ref().map(|o| o.stderr.clone()).unwrap_or_default(),
            failure_reason: verdict.failure_reason.clone(),
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
        culprit,
        changed_paths,
        notifications,
    };
    envelope.escalation = escalation::packet(&envelope, &main_branch, escalation::failure_kind(&smoke));
    Report { envelope, exit_code: verdict.exit_code, summary: verdict.summary, main_branch }
}

/// The tool's own variables (its token among them) are not the smoke's business, and
/// neither are the runner's file commands: the smoke must not set this step's outputs,
/// environment or path (what it writes to `$GITHUB_OUTPUT` anyway is rolled back).
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

/// A fresh random token for `::stop-commands::`, inside GitHub Actions only.
fn fence(ci: &CiEnv) -> Option<String> {
    ci.github_actions.then(crate::random::token)
}
