//! The tree gate: a commit status (context `main-health`) on the head of every open pull
//! request into the main branch, `failure` while main is red and `success` once it is
//! green, so branch protection requiring that context stops every merge, auto-merge
//! included. Heads already carrying the wanted state are skipped; writes are paced under
//! GitHub's secondary limit for content-creating requests (about 80 a minute). A merge
//! queue entry's commit gets the same status from `gate --pull-request` on its
//! `merge_group` event, so the queue checks main's health too.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::client::{Api, ApiError};
use super::commit_status::{self, NewStatus, State};
use super::pulls;
use crate::envelope::{Decision, Envelope, Status};

/// What the gate should say, from one verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Set {
        state: State,
        description: String,
        target_url: Option<String>,
    },
    /// Nothing to change, and why.
    Leave(String),
}

pub fn plan(envelope: &Envelope) -> Plan {
    let short = envelope.merge_commit.get(..7).unwrap_or(&envelope.merge_commit);
    let status = envelope.status.as_str();
    if envelope.stale && matches!(envelope.status, Status::Pass | Status::Skipped) {
        // Main has a newer head whose own run decides; a green verdict on an old commit
        // says nothing about it. (A stale FAIL still holds: the breakage is likely on main.)
        return Plan::Leave(format!("{status} at {short} is stale: main moved on, its newer run decides"));
    }
    let task = envelope.task_id.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
    let (state, description) = match envelope.decision.decision {
        Decision::Halt => (State::Failure, format!("main is red: {status} at {short}{task}; merges held")),
        Decision::AllowContinuation => (State::Success, format!("main is green: {status} at {short}{task}")),
    };
    Plan::Set { state, description, target_url: envelope.ci.run_url.clone() }
}

/// What the gate did; printed by `post-merge-smoke gate` as JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub context: String,
    pub state: Option<State>,
    /// Why nothing was set, when nothing was.
    pub note: Option<String>,
    pub pull_requests: usize,
    pub updated: Vec<u64>,
    pub already: Vec<u64>,
    pub failed: Vec<Failed>,
    /// The merge queue entry gated instead of pull requests (`gate --pull-request` on a
    /// `merge_group` event). An entry may hold several pull requests, so it is named by
    /// the commit the queue tests, not by a number.
    pub merge_group: Option<MergeGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    pub number: u64,
    pub error: String,
}

/// One merge queue entry's head commit, and what was done there.
#[derive(Debug, Clone, Serialize)]
pub struct MergeGroup {
    pub head_sha: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What setting the gate status on one head came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// The head carried the wanted state already.
    Already,
    Updated,
    Failed {
        error: String,
    },
}

impl Report {
    /// An error naming the pull requests (or the merge queue entry) that could not be
    /// updated, if any.
    pub fn failure(&self) -> Option<String> {
        if let Some(MergeGroup { head_sha, outcome: Outcome::Failed { error } }) = &self.merge_group {
            return Some(format!("merge queue commit {head_sha} not gated: {error}"));
        }
        let first = self.failed.first()?;
        Some(format!(
            "{} of {} pull requests not gated; #{}: {}",
            self.failed.len(),
            self.pull_requests,
            first.number,
            first.error
        ))
    }
}

/// One pull request's head, to gate.
#[derive(Debug, Clone)]
pub struct Head {
    pub number: u64,
    pub sha: String,
}

pub struct Gate<'a> {
    pub api: &'a Api,
    pub context: &'a str,
    /// Least time between two writes.
    pub interval: Duration,
}

impl Gate<'_> {
    /// Applies the plan to every open pull request into `branch`.
    pub async fn apply(&self, branch: &str, plan: &Plan) -> Result<Report, ApiError> {
        let mut report = Report { context: self.context.to_owned(), ..Report::default() };
        let (state, description, target_url) = match plan {
            Plan::Leave(why) => {
                report.note = Some(why.clone());
                return Ok(report);
            }
            Plan::Set { state, description, target_url } => (state, description, target_url),
        };
        let heads: Vec<Head> = pulls::open_into(self.api, branch)
            .await?
            .into_iter()
            .map(|pr| Head { number: pr.number, sha: pr.head.sha })
            .collect();
        let status = NewStatus {
            state: *state,
            context: self.context,
            description,
            target_url: target_url.as_deref(),
        };
        self.set_all(&heads, &status, &mut report).await;
        Ok(report)
    }

    /// Sets `status` on each head that does not carry its state already, pacing the writes.
    pub async fn set_all(&self, heads: &[Head], status: &NewStatus<'_>, report: &mut Report) {
        report.state = Some(status.state);
        report.pull_requests = heads.len();
        let mut last_write: Option<Instant> = None;
        for head in heads {
            match self.set_one(&head.sha, status, &mut last_write).await {
                Outcome::Already => report.already.push(head.number),
                Outcome::Updated => report.updated.push(head.number),
                Outcome::Failed { error } => report.failed.push(Failed { number: head.number, error }),
            }
        }
    }

    /// Sets `status` on the commit `sha` unless it carries that state already; a write
    /// waits until `interval` after `last_write`.
    pub async fn set_one(
        &self,
        sha: &str,
        status: &NewStatus<'_>,
        last_write: &mut Option<Instant>,
    ) -> Outcome {
        // If the current state cannot be read, write anyway: a status write is harmless.
        if let Ok(Some(current)) = commit_status::latest(self.api, sha, self.context).await
            && current.state == status.state
        {
            return Outcome::Already;
        }
        if let Some(last) = *last_write {
            tokio::time::sleep_until(last + self.interval).await;
        }
        *last_write = Some(Instant::now());
        match commit_status::set(self.api, sha, status).await {
            Ok(()) => Outcome::Updated,
            Err(e) => Outcome::Failed { error: e.to_string() },
        }
    }
}

/// Main's current health, as the statuses on its head say: the smoke's own status
/// first, else the gate's (a rebase merge, or a merge queue, makes a gated head main's
/// head).
pub async fn main_health(
    api: &Api,
    branch: &str,
    status_context: &str,
    gate_context: &str,
) -> Result<(State, String, Option<String>), ApiError> {
    if let Some(entry) = commit_status::latest(api, branch, status_context).await? {
        let said = entry.description.unwrap_or_default();
        let (state, text) = match entry.state {
            State::Success => (State::Success, format!("main is green: {said}")),
            State::Pending => (State::Pending, format!("main's smoke is running: {said}")),
            State::Failure | State::Error => (State::Failure, format!("main is red: {said}; merges held")),
        };
        return Ok((state, text, entry.target_url));
    }
    if let Some(entry) = commit_status::latest(api, branch, gate_context).await? {
        // The gate's own words already say main is green or red: passed on as they are,
        // so a queue of merges does not stack "main is green: main is green: …".
        let state = if entry.state == State::Error { State::Failure } else { entry.state };
        return Ok((state, entry.description.unwrap_or_default(), entry.target_url));
    }
    // The newest merge has not been judged yet: hold, the push run's gate releases.
    let text = format!("main's health is not known yet: no `{status_context}` status on its head");
    Ok((State::Pending, text, None))
}
