//! `post-merge-smoke run`: turns the arguments into a [`RunConfig`], sets up signals,
//! secrets and the subreaper, runs the smoke, tells GitHub, and writes every output.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::cancel::Cancel;
use crate::cli::RunArgs;
use crate::config::{BisectConfig, Confirm, FlakyVerdict, PublishConfig, RunConfig, SmokeSpec};
use crate::env::Environment;
use crate::envelope::Envelope;
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exec, exit_codes, github_actions, github_api, notify, output, run};

pub async fn execute(args: RunArgs, env: Environment) -> i32 {
    let config = run_config(args, &env);
    let redactor = Arc::new(Redactor::for_run(&env, &config.redact_env, config.api.token.as_deref()));
    let progress = Progress::new(Arc::clone(&redactor), env.ci.github_actions);
    let mut cancel = match Cancel::listen() {
        Ok(cancel) => cancel,
        Err(e) => {
            progress.warn(&format!("cancellation signals cannot be handled: {e}"));
            Cancel::never()
        }
    };
    exec::become_subreaper();
    let baseline = github_actions::Baseline::take(&env.ci, &progress);

    let github = github_api::connect(&config.api, &env.ci);
    let api = github.as_ref().ok().map(|(_, api)| api);
    let mut report = run::run(&config, &env, api, &mut cancel, &progress).await;
    let branch = report.main_branch.clone();
    let publish = what_to_publish(&config, &env, &progress);
    let temp = env.temp_dir();
    let local = notify::Local { repo: report.repo.as_ref(), temp: &temp };
    notify::publish(&mut report.envelope, &branch, &publish, &github, local, &progress, &mut cancel).await;
    progress.info(&format!("{}: {}", report.envelope.status.as_str(), report.summary));
    let (envelope, pretty) = match redacted(&report.envelope, &redactor) {
        Ok(redacted) => redacted,
        Err(e) => {
            progress.error(&format!("{e:#}"));
            return exit_codes::INTERNAL;
        }
    };
    // The file first: if stdout is closed, the file still holds the verdict.
    let file = config.output.as_deref().map(|path| {
        output::write_atomic(path, &pretty)
            .with_context(|| format!("writing the envelope to `{}`", path.display()))
            .map(|()| path)
    });
    let stdout = super::print_document(&pretty, &progress).context("writing the envelope to stdout");
    let file_written = file.as_ref().and_then(|f| f.as_ref().ok().copied());
    let mut exit_code = report.exit_code;
    let published = env.ci.github_actions.then(|| {
        // What the smoke wrote into the runner's files goes before ours are written. If
        // that fails, they may hold outputs the smoke forged: the step must not pass.
        if !baseline.restore(&progress) && matches!(exit_code, exit_codes::OK | exit_codes::STALE) {
            progress.error("the runner's files could not be put back; failing closed");
            exit_code = exit_codes::BLOCKED;
        }
        let written = github_actions::Written { envelope: &envelope, pretty: &pretty, file: file_written };
        github_actions::publish(&env, &written, exit_code, &progress)
    });

    // Exit 70 only when the verdict reached no place at all (contract section 2); a closed
    // stdout or a bad `--output` otherwise costs a warning, and the verdict's exit code stands.
    let written = stdout.is_ok() || file_written.is_some() || published.is_some_and(|p| p.envelope_written());
    let failures = file.and_then(Result::err).into_iter().chain(stdout.err());
    if written {
        failures.for_each(|e| progress.warn(&format!("{e:#}")));
        return exit_code;
    }
    failures.for_each(|e| progress.error(&format!("{e:#}")));
    exit_codes::INTERNAL
}

/// What this run may tell GitHub: a shard tells nothing (its aggregate does), and a merge
/// queue's run sets only the commit status (the queue's commit is not main). A flag that is
/// ignored says so.
fn what_to_publish(config: &RunConfig, env: &Environment, progress: &Progress) -> PublishConfig {
    let mut publish = config.publish.clone();
    let (why, keep_status) = if config.shard.is_some() {
        ("on a shard: the aggregate publishes the verdict", false)
    } else if env.ci.event_name.as_deref() == Some("merge_group") {
        ("on a merge_group event: the queue's commit is not on main yet", true)
    } else {
        return publish;
    };
    let off = |on: &mut bool, flag: &str| {
        if std::mem::take(on) {
            progress.info(&format!("notice: {flag} is ignored {why}"));
        }
    };
    if !keep_status {
        off(&mut publish.commit_status, "--commit-status");
    }
    off(&mut publish.escalation_issue, "--escalation-issue");
    off(&mut publish.gate, "--gate");
    off(&mut publish.revert_pr, "--revert-pr");
    publish
}

fn run_config(args: RunArgs, env: &Environment) -> RunConfig {
    let gh = args.github;
    RunConfig {
        merge_commit: args.commit.merge_commit,
        main_branch: args.commit.main_branch,
        remote: args.commit.remote,
        skip_stale_check: args.commit.skip_stale_check,
        workdir: args.commit.workdir,
        smoke: SmokeSpec {
            command: args.smoke.command,
            argv: args.argv,
            task_file: args.smoke.task_file,
            registry: args.smoke.registry,
            task_id: args.smoke.task_id,
        },
        timeout_sec: args.smoke.timeout,
        kill_grace: Duration::from_secs(args.smoke.kill_grace),
        capture_bytes: usize::try_from(args.smoke.capture_bytes).unwrap_or(usize::MAX),
        dry_run: args.smoke.dry_run,
        quiet: args.smoke.quiet,
        confirm: Confirm {
            retries: args.smoke.confirm.retries,
            retry_timeouts: args.smoke.confirm.retry_timeouts,
            flaky_verdict: match args.smoke.confirm.flaky_verdict.as_str() {
                "fail" => FlakyVerdict::Fail,
                _ => FlakyVerdict::Pass,
            },
            junit: args.smoke.confirm.junit.into_iter().filter(|g| !g.trim().is_empty()).collect(),
        },
        shard: args.smoke.confirm.shard,
        bisect: BisectConfig {
            max_probes: args.smoke.confirm.bisect_max_probes,
            timeout: Duration::from_secs(args.smoke.confirm.bisect_timeout),
        },
        output: args.output.output,
        redact_env: args.output.redact.redact_env,
        api: super::gate::api_config(gh.api, env),
        publish: PublishConfig {
            commit_status: gh.commit_status,
            status_context: gh.status_context,
            escalation_issue: gh.escalation_issue,
            issue_labels: gh.issue_labels,
            gate: gh.gate,
            gate_context: gh.gate_context,
            revert_pr: gh.revert_pr,
            max_reverts: gh.max_reverts,
        },
    }
}

/// The envelope with every secret masked: as the typed value the Actions outputs are made
/// from, and as the JSON document that is printed and written. Masking leaves the
/// envelope's own words alone, so reading it back cannot fail on a secret.
fn redacted(envelope: &Envelope, redactor: &Redactor) -> anyhow::Result<(Envelope, Vec<u8>)> {
    let pretty = super::json_document(envelope, redactor).context("serialising the envelope")?;
    let envelope = serde_json::from_slice(&pretty).context("reading back the redacted envelope")?;
    Ok((envelope, pretty))
}
