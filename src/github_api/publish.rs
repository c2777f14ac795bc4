//! The GitHub side of `run`, called once the verdict is made and before the envelope is
//! written: the commit status, the escalation issue and (`--gate`) the tree gate. (The
//! culprit is looked up by `run` itself, before the smoke command is chosen.) Each step's
//! outcome becomes a `notifications` entry and, when it failed, a warning; nothing here
//! changes the status, the decision or the exit code.

use super::Connection;
use super::client::Api;
use super::commit_status::{self, NewStatus};
use super::escalation_issue::{self, Done, Target};
use super::gate::{self, Gate};
use super::settings::Settings;
use crate::cancel::Cancel;
use crate::cli::RunArgs;
use crate::envelope::{Notification, ReasonCode, Status};
use crate::progress::Progress;
use crate::run::Report;

pub const CULPRIT: &str = "culprit";
pub const COMMIT_STATUS: &str = "commit_status";
pub const ESCALATION_ISSUE: &str = "escalation_issue";
pub const GATE: &str = "gate";

pub async fn publish(
    report: &mut Report,
    args: &RunArgs,
    github: &Connection,
    progress: &Progress,
    cancel: &mut Cancel,
) {
    let gh = &args.github;
    let requested: Vec<&str> =
        [(gh.commit_status, COMMIT_STATUS), (gh.escalation_issue, ESCALATION_ISSUE), (gh.gate, GATE)]
            .into_iter()
            .filter_map(|(on, kind)| on.then_some(kind))
            .collect();
    let (settings, api) = match github {
        Ok(connected) => connected,
        // Features asked for by flag say why they did nothing.
        Err(e) => return requested.iter().for_each(|kind| note(report, progress, kind, Some(e.to_string()))),
    };
    let was_cancelled = report.envelope.decision.reason_codes.contains(&ReasonCode::RunCancelled);
    if was_cancelled || cancel.requested().is_some() {
        // The runner kills the step seconds after cancelling it: write the envelope now.
        let why = "skipped: the run was cancelled".to_owned();
        return requested.iter().for_each(|kind| note(report, progress, kind, Some(why.clone())));
    }
    let steps = Steps { api, settings, args, progress, branch: report.main_branch.clone() };
    let signal = tokio::select! {
        () = steps.run(report) => None,
        request = cancel.changed() => Some(request.signal),
    };
    if let Some(signal) = signal {
        note(report, progress, "github_api", Some(format!("stopped by {signal}: the run was cancelled")));
    }
}

struct Steps<'a> {
    api: &'a Api,
    settings: &'a Settings,
    args: &'a RunArgs,
    progress: &'a Progress,
    branch: String,
}

impl Steps<'_> {
    async fn run(&self, report: &mut Report) {
        let gh = &self.args.github;
        if gh.commit_status {
            let result = self.commit_status(report).await;
            note(report, self.progress, COMMIT_STATUS, result.err());
        }
        if gh.escalation_issue {
            let envelope = &report.envelope;
            let target = Target {
                api: self.api,
                branch: &self.branch,
                labels: &gh.issue_labels,
                redactor: self.progress.redactor(),
            };
            let done = match (&envelope.escalation, envelope.status, envelope.stale) {
                (Some(packet), _, _) => Some(escalation_issue::escalate(&target, envelope, packet).await),
                // Only a fresh PASS proves main recovered; a stale one closes nothing.
                (None, Status::Pass, false) => Some(escalation_issue::recover(&target, envelope).await),
                _ => None,
            };
            if let Some(done) = done {
                match &done {
                    Ok(Done::Opened(n)) => self.progress.info(&format!("opened escalation issue #{n}")),
                    Ok(Done::Commented(n)) => {
                        self.progress.info(&format!("commented on escalation issue #{n}"))
                    }
                    Ok(Done::Closed(ns)) if !ns.is_empty() => {
                        self.progress.info(&format!("closed escalation issue(s) {ns:?}"))
                    }
                    Ok(Done::Closed(_)) | Err(_) => {}
                }
                note(report, self.progress, ESCALATION_ISSUE, done.err().map(|e| e.to_string()));
            }
        }
        if gh.gate {
            let gate =
                Gate { api: self.api, context: &gh.gate_context, interval: self.settings.write_interval };
            let error = match gate.apply(&self.branch, &gate::plan(&report.envelope)).await {
                Ok(outcome) => {
                    self.progress.info(&format!(
                        "gate `{}`: {} pull request(s) updated, {} already right{}",
                        outcome.context,
                        outcome.updated.len(),
                        outcome.already.len(),
                        outcome.note.as_deref().map(|n| format!("; {n}")).unwrap_or_default()
                    ));
                    outcome.failure()
                }
                Err(e) => Some(e.to_string()),
            };
            note(report, self.progress, GATE, error);
        }
    }

    async fn commit_status(&self, report: &Report) -> Result<(), String> {
        let envelope = &report.envelope;
        if !crate::git::is_object_id(&envelope.merge_commit) {
            return Err(format!("no status set: `{}` is not a resolved commit", envelope.merge_commit));
        }
        let description = commit_status::description(envelope);
        let status = NewStatus {
            state: commit_status::state_for(envelope.status),
            context: &self.args.github.status_context,
            description: &description,
            target_url: envelope.ci.run_url.as_deref(),
        };
        commit_status::set(self.api, &envelope.merge_commit, &status).await.map_err(|e| e.to_string())
    }
}

fn note(report: &mut Report, progress: &Progress, kind: &str, error: Option<String>) {
    report.envelope.notifications.push(notification(kind, progress, error.as_ref()));
}

/// The record of one API step; a failure is also a warning in the log.
pub fn notification(kind: &str, progress: &Progress, error: Option<&impl ToString>) -> Notification {
    let error = error.map(ToString::to_string);
    if let Some(error) = &error {
        progress.warn(&format!("GitHub {}: {error}", kind.replace('_', " ")));
    }
    Notification { kind: kind.to_owned(), ok: error.is_none(), error }
}
