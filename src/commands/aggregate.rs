//! `post-merge-smoke aggregate`: one verdict from the shards' envelopes, published as `run`
//! publishes (commit status, escalation issue, gate, revert) and written the same way.

use std::sync::Arc;

use crate::aggregate;
use crate::cancel::Cancel;
use crate::cli::AggregateArgs;
use crate::config::AggregateConfig;
use crate::env::Environment;
use crate::git::Git;
use crate::github_actions::Baseline;
use crate::merge::{self, Repo};
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{github_api, notify};

pub async fn execute(args: AggregateArgs, env: Environment) -> i32 {
    let config = AggregateConfig {
        envelopes: args.envelopes,
        shards: args.shards,
        output: args.output.output,
        redact_env: args.output.redact.redact_env,
        main_branch: args.main_branch,
        workdir: args.workdir,
        api: super::gate::api_config(args.github.api.clone(), &env),
        publish: super::run::publish_config(args.github),
    };
    let redactor = Arc::new(Redactor::for_run(&env, &config.redact_env, config.api.token.as_deref()));
    let progress = Progress::new(Arc::clone(&redactor), env.ci.github_actions);
    let mut cancel = Cancel::listen().unwrap_or_else(|_| Cancel::never());
    let mut result = aggregate::aggregate(&config, &env.ci);
    let github = github_api::connect(&config.api, &env.ci);
    let repo = checkout(&config, &env, &result.envelope.merge_commit).await;
    let temp = env.temp_dir();
    let local = notify::Local { repo: repo.as_ref(), temp: &temp };
    let branch = result.main_branch.clone();
    let publish = super::publish_rules(&config.publish, false, &env, &progress);
    notify::publish(&mut result.envelope, &branch, &publish, &github, local, &progress, &mut cancel).await;
    progress.info(&format!("{}: {}", result.envelope.status.as_str(), result.summary));
    let output = config.output.as_deref();
    super::write::verdict(
        &result.envelope,
        result.exit_code,
        output,
        &env,
        Baseline::default(),
        &redactor,
        &progress,
    )
}

/// The work tree a revert can be made in: a checkout at the merge commit, when the job
/// has one.
async fn checkout(config: &AggregateConfig, env: &Environment, merge_commit: &str) -> Option<Repo> {
    if !config.publish.revert_pr || env.ci.event_name.as_deref() == Some("merge_group") {
        return None;
    }
    let dir = config.workdir.clone().unwrap_or_else(|| env.cwd().to_owned());
    let (git, dirs) = Git::new(&dir, env).pin().await.ok()?;
    let checkout = git.checkout().await.ok()?;
    if checkout.head != merge_commit {
        return None;
    }
    let remote_url = merge::remote_url(&git, crate::config::DEFAULT_REMOTE, &dirs.toplevel).await;
    Some(Repo { git, dirs, remote_url, shallow: checkout.shallow, push_before: None })
}
