//! What GitHub is told once a verdict is made, before the envelope is written: the commit
//! status, the escalation issue and (`--gate`) the tree gate. (The culprit is looked up
//! by `run` itself, before the smoke command is chosen.) Each step's outcome becomes a
//! `notifications` entry and, when it failed, a warning; nothing here changes the status,
//! the decision or the exit code.

use crate::cancel::Cancel;
use crate::config::PublishConfig;
use crate::envelope::{Envelope, Notification, ReasonCode, Status};
use crate::escalation;
use std::path::Path;

use crate::github_api::commit_status::{self, NewStatus, State};
use crate::github_api::escalation_issue::{self, Done, Target};
use crate::github_api::gate::{self, Gate};
use crate::github_api::{Api, Connection, Settings};
use crate::merge::Repo;
use crate::progress::Progress;
use crate::revert;

pub const CULPRIT: &str = "culprit";
pub const COMMIT_STATUS: &str = "commit_status";
pub const ESCALATION_ISSUE: &str = "escalation_issue";
pub const GATE: &str = "gate";
pub const REVERT_PR: &str = "revert_pr";

/// What of this machine the steps may use: the repository (a revert is made with git)
/// and where temporary files go.
#[derive(Clone, Copy)]
pub struct Local<'a> {
    pub repo: Option<&'a Repo>,
    pub temp: &'a Path,
}

/// Tells GitHub about `envelope` (a verdict on `branch`) as `config` asks, recording each
/// step in its `notifications`.
pub async fn publish(
    envelope: &mut Envelope,
    branch: &str,
    config: &PublishConfig,
    github: &Connection,
    local: Local<'_>,
    progress: &Progress,
    cancel: &mut Cancel,
) {
    let gh = config;
    let requested: Vec<&str> = [
        (gh.commit_status, COMMIT_STATUS),
        (gh.escalation_issue, ESCALATION_ISSUE),
        (gh.gate, GATE),
        (gh.revert_pr, REVERT_PR),
    ]
    .into_iter()
    .filter_map(|(on, kind)| on.then_some(kind))
    .collect();
    let (settings, api) = match github {
        Ok(connected) => connected,
        // Features asked for by flag say why they did nothing.
        Err(e) => {
            return requested.iter().for_each(|kind| note(envelope, progress, kind, Some(e.to_string())));
        }
    };
    let was_cancelled = envelope.decision.reason_codes.contains(&ReasonCode::RunCancelled);
    if was_cancelled || cancel.requested().is_some() {
        // The runner kills the step seconds after cancelling it: write the envelope now.
        let why = "skipped: the run was cancelled".to_owned();
        return requested.iter().for_each(|kind| note(envelope, progress, kind, Some(why.clone())));
    }
    let steps = Steps { api, settings, config, progress, branch, local };
    let signal = tokio::select! {
        () = steps.run(envelope) => None,
        request = cancel.changed() => Some(request.signal),
    };
    if let Some(signal) = signal {
        note(envelope, progress, "github_api", Some(format!("stopped by {signal}: the run was cancelled")));
    }
}

/// Before the search for the first bad merge, which can take as long as `--bisect-timeout`:
/// main is red now, so the commit status and the gate say so at once and no pull request
/// auto-merges onto it meanwhile. The issue waits for the culprit; [`publish`] tells
/// everything again, with it, once the search ends. Failures here are only warnings: the
/// later publish records its own.
pub async fn publish_red_early(
    envelope: &Envelope,
    branch: &str,
    config: &PublishConfig,
    github: &Connection,
    local: Local<'_>,
    progress: &Progress,
) {
    let Ok((settings, api)) = github else { return };
    if !config.commit_status && !config.gate {
        return;
    }
    progress.info("main is red: setting the status and the gate before searching for the first bad merge");
    let steps = Steps { api, settings, config, progress, branch, local };
    if config.commit_status
        && let Err(e) = steps.commit_status(envelope).await
    {
        progress.warn(&format!("commit status before the search: {e}"));
    }
    if config.gate
        && let Some(e) = steps.gate(envelope).await
    {
        progress.warn(&format!("gate before the search: {e}"));
    }
}

struct Steps<'a> {
    api: &'a Api,
    settings: &'a Settings,
    config: &'a PublishConfig,
    progress: &'a Progress,
    branch: &'a str,
    local: Local<'a>,
}

impl Steps<'_> {
    async fn run(&self, envelope: &mut Envelope) {
        let gh = self.config;
        if gh.commit_status {
            let result = self.commit_status(envelope).await;
            note(envelope, self.progress, COMMIT_STATUS, result.err());
        }
        if gh.escalation_issue {
            let target = Target {
                api: self.api,
                branch: self.branch,
                labels: &gh.issue_labels,
                redactor: self.progress.redactor(),
            };
            let done = match (&envelope.escalation, envelope.status, envelope.stale) {
                (Some(packet), _, _) => Some(escalation_issue::escalate(&target, envelope, packet).await),
                // A flaky pass is told in its own issue; it proves no recovery.
                (None, Status::Pass, false) if envelope.flaky => {
                    match escalation::flaky(envelope, self.branch) {
                        Some(flaky) => Some(
                            escalation_issue::flaky(&target, envelope, &flaky.fingerprint, &flaky.tests)
                                .await,
                        ),
                        None => None,
                    }
                }
                // Only a fresh, clean PASS proves main recovered; a stale one closes nothing.
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
                note(envelope, self.progress, ESCALATION_ISSUE, done.err().map(|e| e.to_string()));
            }
        }
        if gh.gate {
            let error = self.gate(envelope).await;
            note(envelope, self.progress, GATE, error);
        }
        if gh.revert_pr && envelope.bisection.is_some() {
            let error = self.revert(envelope).await.err();
            note(envelope, self.progress, REVERT_PR, error);
        }
    }

    /// Sets the gate on every open pull request as `envelope` asks; the error, if any.
    async fn gate(&self, envelope: &Envelope) -> Option<String> {
        let gh = self.config;
        let gate = Gate { api: self.api, context: &gh.gate_context, interval: self.settings.write_interval };
        match gate.apply(self.branch, &gate::plan(envelope)).await {
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
        }
    }

    /// Opens the revert of a confirmed first bad merge; with the gate, marks its head green
    /// so it can merge into the red main.
    async fn revert(&self, envelope: &Envelope) -> Result<(), String> {
        let repo = self.local.repo.ok_or("no revert: there is no repository here to make it in")?;
        let request = revert::Request {
            api: self.api,
            repo,
            envelope,
            branch: self.branch,
            labels: &self.config.issue_labels,
            max_reverts: self.config.max_reverts,
            token: &self.settings.token,
            server: &self.settings.server_url,
            temp: self.local.temp,
        };
        let opened = revert::open(&request).await.map_err(|e| e.to_string())?;
        self.progress.info(&format!("opened revert pull request #{}", opened.number));
        if self.config.gate {
            let gate = Gate {
                api: self.api,
                context: &self.config.gate_context,
                interval: self.settings.write_interval,
            };
            let status = NewStatus {
                state: State::Success,
                context: &self.config.gate_context,
                description: "a revert of the first bad merge: it may merge into the red main",
                target_url: envelope.ci.run_url.as_deref(),
            };
            if let gate::Outcome::Failed { error } = gate.set_one(&opened.head, &status, &mut None).await {
                return Err(format!(
                    "revert #{} opened, but its gate status was not set: {error}",
                    opened.number
                ));
            }
        }
        Ok(())
    }

    async fn commit_status(&self, envelope: &Envelope) -> Result<(), String> {
        if !crate::git::is_object_id(&envelope.merge_commit) {
            return Err(format!("no status set: `{}` is not a resolved commit", envelope.merge_commit));
        }
        let description = commit_status::description(envelope);
        let status = NewStatus {
            state: commit_status::state_for(envelope.status),
            context: &self.config.status_context,
            description: &description,
            target_url: envelope.ci.run_url.as_deref(),
        };
        commit_status::set(self.api, &envelope.merge_commit, &status).await.map_err(|e| e.to_string())
    }
}

fn note(envelope: &mut Envelope, progress: &Progress, kind: &str, error: Option<String>) {
    envelope.notifications.push(notification(kind, progress, error.as_ref()));
}

/// The record of one API step; a failure is also a warning in the log.
pub fn notification(kind: &str, progress: &Progress, error: Option<&impl ToString>) -> Notification {
    let error = error.map(ToString::to_string);
    if let Some(error) = &error {
        progress.warn(&format!("GitHub {}: {error}", kind.replace('_', " ")));
    }
    Notification { kind: kind.to_owned(), ok: error.is_none(), error }
}
