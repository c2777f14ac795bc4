//! The tree gate on its own (`post-merge-smoke gate`): applies a verdict (an envelope
//! file) to every open pull request into main, or mirrors main's current health onto one
//! pull request or merge queue entry (a `merge_group` event), and says what it did.

use anyhow::Context;
use serde::Deserialize;

use crate::bounded_read::{self, EVENT_CAP, REPORT_CAP};
use crate::config::{GateConfig, GateTarget};
use crate::env::CiEnv;
use crate::envelope::Envelope;
use crate::github_api::commit_status::NewStatus;
use crate::github_api::gate::{self, Gate, Head, MergeGroup, Report};
use crate::github_api::pulls::{CommitRef, PullRequest};
use crate::github_api::{Api, Settings};
use crate::progress::Progress;

/// Sets the gate statuses `config` asks for; an error when nothing could be done at all.
pub async fn gate(config: &GateConfig, ci: &CiEnv, progress: &Progress) -> anyhow::Result<Report> {
    let settings = Settings::new(&config.api, ci)?;
    let api = Api::new(&settings)?;
    let gate = Gate { api: &api, context: &config.gate_context, interval: settings.write_interval };
    let path = match &config.target {
        GateTarget::Mirror { pr_number, head_sha } => {
            return mirror(config, *pr_number, head_sha.as_deref(), ci, &gate, progress).await;
        }
        GateTarget::Envelope(path) => path,
    };
    let bytes = bounded_read::read(path, REPORT_CAP)?;
    let envelope: Envelope =
        serde_json::from_slice(&bytes).with_context(|| format!("`{}` is not an envelope", path.display()))?;
    let branch = config
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

/// The parts of a `pull_request` / `pull_request_target` / `merge_group` event payload
/// the mirror needs.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    pull_request: Option<EventPull>,
    #[serde(default)]
    merge_group: Option<EventMergeGroup>,
    #[serde(default)]
    repository: Option<EventRepository>,
}

#[derive(Debug, Deserialize)]
struct EventPull {
    number: u64,
    head: CommitRef,
    base: CommitRef,
}

/// A merge queue entry: the commit the queue tests, and the branch it would merge into
/// (`refs/heads/main`).
#[derive(Debug, Deserialize)]
struct EventMergeGroup {
    head_sha: String,
    base_ref: String,
}

#[derive(Debug, Deserialize)]
struct EventRepository {
    #[serde(default)]
    default_branch: Option<String>,
}

/// The one head the mirror gates.
enum Target {
    /// `base` is unknown when both `--pr-number` and `--head-sha` were given.
    PullRequest {
        number: u64,
        sha: String,
        base: Option<String>,
    },
    MergeGroup {
        head_sha: String,
        base_ref: String,
    },
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::PullRequest { number, .. } => format!("pull request #{number}"),
            Target::MergeGroup { head_sha, .. } => format!("merge queue commit {head_sha}"),
        }
    }

    fn base_branch(&self) -> Option<&str> {
        match self {
            Target::PullRequest { base, .. } => base.as_deref(),
            Target::MergeGroup { base_ref, .. } => {
                Some(base_ref.strip_prefix("refs/heads/").unwrap_or(base_ref))
            }
        }
    }
}

/// Sets main's current health on one pull request's head, or on a merge queue entry's.
async fn mirror(
    config: &GateConfig,
    pr_number: Option<u64>,
    head_sha: Option<&str>,
    ci: &CiEnv,
    gate: &Gate<'_>,
    progress: &Progress,
) -> anyhow::Result<Report> {
    let event = match &ci.event_path {
        Some(path) if pr_number.is_none() => {
            let bytes = bounded_read::read(path, EVENT_CAP)?;
            Some(
                serde_json::from_slice::<Event>(&bytes)
                    .with_context(|| format!("`{}` is not an event", path.display()))?,
            )
        }
        _ => None,
    };
    let default_branch =
        event.as_ref().and_then(|e| e.repository.as_ref()).and_then(|r| r.default_branch.clone());
    let branch = config.main_branch.clone().or(default_branch).unwrap_or_else(|| "main".to_owned());
    let target = match (pr_number, head_sha, event) {
        (Some(number), Some(sha), _) => Target::PullRequest { number, sha: sha.to_owned(), base: None },
        (Some(number), None, _) => {
            let pr: PullRequest = gate.api.get(&gate.api.repo_path(&format!("/pulls/{number}"))).await?;
            Target::PullRequest { number, sha: pr.head.sha, base: Some(pr.base.git_ref) }
        }
        (None, _, Some(Event { pull_request: Some(pr), .. })) => {
            Target::PullRequest { number: pr.number, sha: pr.head.sha, base: Some(pr.base.git_ref) }
        }
        (None, _, Some(Event { merge_group: Some(group), .. })) => {
            Target::MergeGroup { head_sha: group.head_sha, base_ref: group.base_ref }
        }
        (None, _, _) => anyhow::bail!(
            "no pull request or merge queue entry: pass `--pr-number`, or run on a \
             `pull_request_target`, `pull_request` or `merge_group` event"
        ),
    };
    let mut report = Report { context: gate.context.to_owned(), ..Report::default() };
    if target.base_branch().is_some_and(|b| b != branch) {
        report.note = Some(format!("{} is not into `{branch}`; nothing to gate", target.name()));
        return Ok(report);
    }
    let (state, description, target_url) =
        gate::main_health(gate.api, &branch, &config.status_context, &config.gate_context).await?;
    progress.info(&format!("{}: {description}", target.name()));
    let status = NewStatus {
        state,
        context: gate.context,
        description: &description,
        target_url: target_url.as_deref(),
    };
    match target {
        Target::PullRequest { number, sha, .. } => {
            gate.set_all(&[Head { number, sha }], &status, &mut report).await;
        }
        Target::MergeGroup { head_sha, .. } => {
            report.state = Some(state);
            let outcome = gate.set_one(&head_sha, &status, &mut None).await;
            report.merge_group = Some(MergeGroup { head_sha, outcome });
        }
    }
    Ok(report)
}
