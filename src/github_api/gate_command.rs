//! `post-merge-smoke gate`: applies a verdict (`--envelope PATH`) to every open pull
//! request into main, or (`--pull-request`) mirrors main's current health onto one pull
//! request, and prints what it did as one JSON object. Exit 0 when every wanted status is
//! in place, 1 when anything could not be done.

use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;

use super::client::Api;
use super::commit_status::NewStatus;
use super::gate::{self, Gate, Head, Report};
use super::pulls::{CommitRef, PullRequest};
use super::settings::{Settings, redactor};
use crate::ci_env::CiEnv;
use crate::cli::GateArgs;
use crate::envelope::Envelope;
use crate::progress::Progress;
use crate::{exit_codes, output};

pub async fn gate_command(args: &GateArgs) -> i32 {
    let redactor = Arc::new(redactor(&args.api, &args.redact));
    let ci = CiEnv::from_env();
    let progress = Progress::new(Arc::clone(&redactor), ci.github_actions);
    let report = match gate(args, &ci, &progress).await {
        Ok(report) => report,
        Err(e) => {
            progress.warn(&format!("the gate did nothing: {e:#}"));
            return exit_codes::FAIL;
        }
    };
    if let Some(failure) = report.failure() {
        progress.warn(&format!("gate: {failure}"));
    }
    let mut value = serde_json::to_value(&report).unwrap_or_default();
    redactor.json(&mut value);
    let mut text = serde_json::to_vec_pretty(&value).unwrap_or_default();
    text.push(b'\n');
    if output::to_stdout(&text).is_err() || report.failure().is_some() {
        return exit_codes::FAIL;
    }
    exit_codes::OK
}

async fn gate(args: &GateArgs, ci: &CiEnv, progress: &Progress) -> anyhow::Result<Report> {
    let settings = Settings::new(&args.api, ci)?;
    let api = Api::new(&settings)?;
    let gate = Gate { api: &api, context: &args.gate_context, interval: settings.write_interval };
    if args.pull_request {
        return mirror(args, ci, &gate, progress).await;
    }
    let path = args.envelope.as_deref().context("`--envelope` or `--pull-request` is needed")?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    let envelope: Envelope =
        serde_json::from_str(&text).with_context(|| format!("`{}` is not an envelope", path.display()))?;
    let branch = args
        .main_branch
        .clone()
        .or_else(|| {
            envelope.ci.git_ref.as_deref().and_then(|r| r.strip_prefix("refs/heads/")).map(str::to_owned)
        })
        .or_else(|| ci.branch().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());
    let report = gate.apply(&branch, &gate::plan(&envelope)).await?;
    progress.info(&format!(
        "gate `{}` on pull requests into `{branch}`: {} updated, {} already right",
        report.context,
        report.updated.len(),
        report.already.len()
    ));
    Ok(report)
}

/// The parts of a `pull_request` / `pull_request_target` event payload the mirror needs.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    pull_request: Option<EventPull>,
    #[serde(default)]
    repository: Option<EventRepository>,
}

#[derive(Debug, Deserialize)]
struct EventPull {
    number: u64,
    head: CommitRef,
    base: CommitRef,
}

#[derive(Debug, Deserialize)]
struct EventRepository {
    #[serde(default)]
    default_branch: Option<String>,
}

/// Sets main's current health on one pull request's head.
async fn mirror(args: &GateArgs, ci: &CiEnv, gate: &Gate<'_>, progress: &Progress) -> anyhow::Result<Report> {
    let event = match &ci.event_path {
        Some(path) if args.pr_number.is_none() => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
            Some(
                serde_json::from_str::<Event>(&text)
                    .with_context(|| format!("`{}` is not an event", path.display()))?,
            )
        }
        _ => None,
    };
    let default_branch =
        event.as_ref().and_then(|e| e.repository.as_ref()).and_then(|r| r.default_branch.clone());
    let branch = args.main_branch.clone().or(default_branch).unwrap_or_else(|| "main".to_owned());
    let (number, sha, base) = match (args.pr_number, &args.head_sha, event.and_then(|e| e.pull_request)) {
        (Some(number), Some(sha), _) => (number, sha.clone(), None),
        (Some(number), None, _) => {
            let pr: PullRequest = gate.api.get(&gate.api.repo_path(&format!("/pulls/{number}"))).await?;
            (number, pr.head.sha, Some(pr.base.git_ref))
        }
        (None, _, Some(pr)) => (pr.number, pr.head.sha, Some(pr.base.git_ref)),
        (None, _, None) => {
            anyhow::bail!("no pull request: pass `--pr-number`, or run on a `pull_request` event")
        }
    };
    let mut report = Report { context: gate.context.to_owned(), ..Report::default() };
    if base.as_deref().is_some_and(|b| b != branch) {
        report.note = Some(format!("pull request #{number} is not into `{branch}`; nothing to gate"));
        return Ok(report);
    }
    let (state, description, target_url) =
        gate::main_health(gate.api, &branch, &args.status_context, &args.gate_context).await?;
    progress.info(&format!("pull request #{number}: {description}"));
    let status = NewStatus {
        state,
        context: gate.context,
        description: &description,
        target_url: target_url.as_deref(),
    };
    gate.set_all(&[Head { number, sha }], &status, &mut report).await;
    Ok(report)
}
