//! `post-merge-smoke run`: gathers the facts (work tree, merge commit, smoke command, the
//! smoke's outcome, the stale check), hands them to [`verdict::decide`] and assembles the
//! envelope. Writing it anywhere is the caller's business.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cancel::Cancel;
use crate::config::{DEFAULT_TIMEOUT_SEC, RunConfig};
use crate::env::Environment;
use crate::envelope::{
    Ci, CommandSource, DecisionBlock, Envelope, ReasonCode, SCHEMA_VERSION, SmokeResult, StaleCheck, Tool,
};
use crate::exec::{self, Echo, Ending};
use crate::facts::{Facts, Preflight, SmokeFact, StaleFact};
use crate::git::Git;
use crate::github_api::Api;
use crate::merge::{self, Merge};
use crate::progress::Progress;
use crate::repo_guard::RepoGuard;
use crate::smoke_command::{self, DEFAULT_REGISTRY, Resolution, SmokeCommand};
use crate::{escalation, stale, verdict};

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
    config: &RunConfig,
    env: &Environment,
    api: Option<&Api>,
    cancel: &mut Cancel,
    progress: &Progress,
) -> Report {
    let started_at = SystemTime::now();
    let ci = &env.ci;
    let workdir = config.workdir.clone().unwrap_or_else(|| env.cwd().to_owned());
    let git = Git::new(&workdir, env);
    let main_branch = config
        .main_branch
        .clone()
        .or_else(|| ci.branch().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());

    let wanted = config.merge_commit.as_deref().or(ci.sha.as_deref());
    // Git and the API may hang on a network; a cancelled run must still write its verdict.
    let merge = tokio::select! {
        merge = merge::inspect(&git, api, ci, wanted, &main_branch, &config.remote, progress) => merge,
        request = cancel.changed() => merge::cancelled(wanted, request.signal),
    };
    let smoke_dir = config.workdir.clone().or_else(|| merge.toplevel.clone()).unwrap_or(workdir);
    let (resolution, preflight) = choose_command(config, env, &merge, &smoke_dir);
    let timeout_sec = config.timeout_sec.or(resolution.timeout_sec).unwrap_or(DEFAULT_TIMEOUT_SEC);

    let guard = merge.repo.as_ref().map(|repo| RepoGuard::take(&repo.dirs));
    let outcome = match (&preflight, &resolution.smoke) {
        (None, Some(smoke)) => {
            Some(run_smoke(config, env, smoke, &smoke_dir, timeout_sec, cancel, progress).await)
        }
        _ => None,
    };
    // Before git runs again: nothing the smoke wrote into the repository's configuration.
    match guard.map(|g| g.restore()) {
        Some(Ok(changed)) => changed.iter().for_each(|c| progress.warn(c)),
        Some(Err(e)) => progress.warn(&e),
        None => {}
    }
    let smoke = outcome.as_ref().map_or(SmokeFact::NotDefined, |o| smoke_fact(&o.ending));
    let cancelled = matches!(smoke, SmokeFact::Cancelled(_));
    let (stale, main_head) = if config.skip_stale_check || cancelled || merge.preflight.is_some() {
        // A cancelled run has seconds left to write its envelope: no network round trip. A run
        // judged before any smoke (no merge, or not this work tree) has nothing to be stale.
        (StaleFact::Skipped, None)
    } else if let Some(request) = cancel.requested() {
        // Asked to stop just as the smoke ended: its verdict stands, but no green one.
        (StaleFact::Cancelled(format!("{} received", request.signal)), None)
    } else {
        let remote_url = match merge.repo.as_ref().map(|r| r.remote_url.as_deref().map_err(String::as_str)) {
            Some(url) => url,
            None => Err("the repository was not inspected"),
        };
        tokio::select! {
            checked = stale::check(api, remote_url, &main_branch, &merge.merge_commit, env) => checked,
            request = cancel.changed() => (StaleFact::Cancelled(format!("{} received", request.signal)), None),
        }
    };

    let ran = preflight.is_none() && resolution.smoke.is_some();
    let facts = Facts { preflight, smoke, dry_run: config.dry_run, stale, timeout_sec };
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
        dry_run: config.dry_run,
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
fn choose_command(
    config: &RunConfig,
    env: &Environment,
    merge: &Merge,
    smoke_dir: &Path,
) -> (Resolution, Option<Preflight>) {
    let mut preflight = merge.preflight.clone();
    let bash = env.find_program("bash");
    let request = smoke_command::Request {
        command: config.smoke.command.as_deref(),
        argv: &config.smoke.argv,
        task_file: config.smoke.task_file.as_deref(),
        registry: config.smoke.registry.as_deref(),
        // The repository's registry, even when the smoke runs in a subfolder (`--workdir`).
        default_registry: Some(merge.toplevel.as_deref().unwrap_or(smoke_dir).join(DEFAULT_REGISTRY)),
        task_id: config.smoke.task_id.as_deref(),
        commit_task_id: merge.task_id.clone(),
        changed_paths: merge.changed_paths.as_deref(),
        bash: bash.as_deref(),
    };
    let resolution = smoke_command::resolve(&request).unwrap_or_else(|err| {
        preflight.get_or_insert(Preflight::block(ReasonCode::SmokeConfigInvalid, err.to_string()));
        Resolution {
            source: CommandSource::None,
            smoke: None,
            task_id: config.smoke.task_id.clone().or_else(|| merge.task_id.clone()),
            timeout_sec: None,
        }
    });
    (resolution, preflight)
}

async fn run_smoke(
    config: &RunConfig,
    env: &Environment,
    smoke: &SmokeCommand,
    dir: &Path,
    timeout_sec: u64,
    cancel: &mut Cancel,
    progress: &Progress,
) -> exec::Outcome {
    let spec = exec::Spec {
        argv: smoke.argv.clone(),
        workdir: dir.to_owned(),
        env: env.for_smoke(),
        timeout: Duration::from_secs(timeout_sec),
        kill_grace: config.kill_grace,
        capture_bytes: config.capture_bytes,
        launcher: env.exe().map(Path::to_owned),
    };
    let mut echo = (!config.quiet).then(Echo::new);
    // Inside Actions, nothing the smoke prints (echoed, or written to our stderr through
    // /proc) may be read as a workflow command; the fence stands until its tree is gone.
    let fence = env.ci.github_actions.then(crate::random::token);
    if let Some(token) = &fence {
        progress.line(&format!("::stop-commands::{token}"));
    }
    progress.info(&format!("running `{}` in {}", smoke.display, dir.display()));
    let outcome = exec::run(&spec, progress.redactor(), echo.as_mut(), cancel).await;
    if let Some(token) = &fence {
        progress.line(&format!("::{token}::"));
    }
    if outcome.leaked {
        progress.warn("the smoke left processes holding its output open; they were killed");
    }
    outcome
}

/// What the engine saw, as the fact the verdict reads.
fn smoke_fact(ending: &Ending) -> SmokeFact {
    match ending {
        Ending::Exited(code) => SmokeFact::Exited(*code),
        Ending::Signalled(sig) => SmokeFact::Signalled(*sig),
        Ending::SpawnFailed(why) => SmokeFact::SpawnFailed(why.clone()),
        Ending::TimedOut => SmokeFact::TimedOut,
        Ending::Cancelled(how) => SmokeFact::Cancelled(how.clone()),
    }
}
