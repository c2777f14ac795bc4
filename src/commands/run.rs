//! `post-merge-smoke run`: turns the arguments into a [`RunConfig`], sets up signals,
//! secrets and the subreaper, runs the smoke, tells GitHub, and writes every output.

use std::sync::Arc;
use std::time::Duration;

use crate::cancel::Cancel;
use crate::cli::{GithubArgs, RunArgs};
use crate::config::{BisectConfig, Confirm, FlakyVerdict, PublishConfig, RunConfig, SmokeSpec};
use crate::env::Environment;
use crate::envelope::Envelope;
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exec, github_actions, github_api, notify, run};

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
    let publish = super::publish_rules(&config.publish, config.shard.is_some(), &env, &progress);
    let temp = env.temp_dir();
    let early = async |provisional: &Envelope, branch: &str| {
        let local = notify::Local { repo: None, temp: &temp };
        notify::publish_red_early(provisional, branch, &publish, &github, local, &progress).await;
    };
    let mut report = run::run(&config, &env, api, &mut cancel, &progress, early).await;
    let branch = report.main_branch.clone();
    let local = notify::Local { repo: report.repo.as_ref(), temp: &temp };
    notify::publish(&mut report.envelope, &branch, &publish, &github, local, &progress, &mut cancel).await;
    progress.info(&format!("{}: {}", report.envelope.status.as_str(), report.summary));
    let output = config.output.as_deref();
    super::write::verdict(&report.envelope, report.exit_code, output, &env, baseline, &redactor, &progress)
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
        api: super::gate::api_config(gh.api.clone(), env),
        publish: publish_config(gh),
    }
}

/// What the GitHub flags ask to publish, for `run` and `aggregate`.
pub fn publish_config(gh: GithubArgs) -> PublishConfig {
    PublishConfig {
        commit_status: gh.commit_status,
        status_context: gh.status_context,
        escalation_issue: gh.escalation_issue,
        issue_labels: gh.issue_labels,
        gate: gh.gate,
        gate_context: gh.gate_context,
        revert_pr: gh.revert_pr,
        max_reverts: gh.max_reverts,
    }
}
