//! `post-merge-smoke gate`: the tree gate on its own, from an envelope (`--envelope`) or
//! mirrored onto one pull request (`--pull-request`). Prints what it did as one JSON
//! object; exit 0 when every wanted status is in place, 1 when anything could not be done.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::{ApiArgs, GateArgs};
use crate::config::{ApiConfig, GateConfig, GateTarget};
use crate::env::Environment;
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exit_codes, tree_gate};

pub async fn execute(args: GateArgs, env: Environment) -> i32 {
    let config = gate_config(args, &env);
    let redactor = Arc::new(Redactor::for_run(&env, &config.redact_env, config.api.token.as_deref()));
    let progress = Progress::new(Arc::clone(&redactor), env.ci.github_actions);
    let report = match tree_gate::gate(&config, &env.ci, &progress).await {
        Ok(report) => report,
        Err(e) => {
            progress.warn(&format!("the gate did nothing: {e:#}"));
            return exit_codes::FAIL;
        }
    };
    if let Some(failure) = report.failure() {
        progress.warn(&format!("gate: {failure}"));
    }
    let printed = super::json_document(&report, &redactor)
        .map_err(std::io::Error::other)
        .and_then(|text| crate::output::to_stdout(&text));
    if printed.is_err() || report.failure().is_some() {
        return exit_codes::FAIL;
    }
    exit_codes::OK
}

fn gate_config(args: GateArgs, env: &Environment) -> GateConfig {
    let target = match args.envelope {
        Some(path) if !args.pull_request => GateTarget::Envelope(path),
        _ => GateTarget::Mirror { pr_number: args.pr_number, head_sha: args.head_sha },
    };
    GateConfig {
        target,
        main_branch: args.main_branch,
        status_context: args.status_context,
        gate_context: args.gate_context,
        redact_env: args.redact.redact_env,
        api: api_config(args.api, env),
    }
}

/// The API settings shared by `run` and `gate`: the flag's token, else `GITHUB_TOKEN`.
pub fn api_config(args: ApiArgs, env: &Environment) -> ApiConfig {
    ApiConfig {
        token: args.github_token.or_else(|| env.github_token().map(str::to_owned)),
        max_wait: Duration::from_secs(args.api_max_wait),
        retry_base: Duration::from_millis(args.api_retry_base_ms),
        write_interval: Duration::from_millis(args.gate_write_interval_ms),
    }
}
