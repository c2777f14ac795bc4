//! Commit statuses: the verdict on the merge commit (`--commit-status`), the gate's status
//! on pull request heads, and reading the latest status of a context on a commit or branch.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{Api, ApiError, Repeat};
use super::settings::encode;
use crate::envelope::{Envelope, Status};
use crate::text::{Limit, truncate};

/// GitHub caps a status description at 140 characters.
pub const MAX_DESCRIPTION: usize = 140;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Error,
    Failure,
    Pending,
    Success,
}

/// PASS and SKIPPED are success, a failing smoke is failure, a run that could not be
/// judged is error.
pub fn state_for(status: Status) -> State {
    match status {
        Status::Pass | Status::Skipped => State::Success,
        Status::Fail | Status::Timeout => State::Failure,
        Status::Blocked => State::Error,
    }
}

/// `FAIL after 4.2s (exit code 1)`, `PASS in 12.0s`, `BLOCKED: WORKTREE_MISMATCH`; with
/// `, main moved on` when stale.
pub fn description(envelope: &Envelope) -> String {
    let secs = envelope.duration_ms as f64 / 1000.0;
    let status = envelope.status.as_str();
    let mut text = match envelope.status {
        Status::Pass => format!("{status} in {secs:.1}s"),
        Status::Fail => match envelope.smoke_result.exit_code {
            Some(code) => format!("{status} after {secs:.1}s (exit code {code})"),
            None => format!("{status} after {secs:.1}s"),
        },
        Status::Timeout => format!("{status} after {}s", envelope.timeout_sec),
        Status::Skipped | Status::Blocked => {
            let reason = envelope.decision.reason_codes.first().and_then(|c| serde_json::to_value(c).ok());
            match reason.as_ref().and_then(|r| r.as_str()) {
                Some(reason) => format!("{status}: {reason}"),
                None => status.to_owned(),
            }
        }
    };
    if envelope.stale {
        text.push_str(", main moved on");
    }
    truncate(&text, Limit::Chars(MAX_DESCRIPTION)).into_owned()
}

pub struct NewStatus<'a> {
    pub state: State,
    pub context: &'a str,
    pub description: &'a str,
    pub target_url: Option<&'a str>,
}

/// `POST /repos/{o}/{r}/statuses/{sha}`. Sending it twice is harmless: the latest status
/// of a context is the one that counts.
pub async fn set(api: &Api, sha: &str, status: &NewStatus<'_>) -> Result<(), ApiError> {
    let mut body = json!({
        "state": status.state,
        "context": status.context,
        "description": truncate(status.description, Limit::Chars(MAX_DESCRIPTION)),
    });
    if let Some(url) = status.target_url {
        body["target_url"] = json!(url);
    }
    let _: serde_json::Value =
        api.post(&api.repo_path(&format!("/statuses/{sha}")), &body, Repeat::Safe).await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
struct Combined {
    #[serde(default)]
    statuses: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub context: String,
    pub state: State,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
}

/// The latest status of `context` on a commit or branch, from the combined status
/// (`GET /repos/{o}/{r}/commits/{ref}/status`, which keeps the latest per context).
pub async fn latest(api: &Api, git_ref: &str, context: &str) -> Result<Option<Entry>, ApiError> {
    let path = api.repo_path(&format!("/commits/{}/status?per_page=100", encode(git_ref)));
    let combined: Combined = api.get(&path).await?;
    Ok(combined.statuses.into_iter().find(|s| s.context == context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_status_to_a_state() {
        assert_eq!(state_for(Status::Pass), State::Success);
        assert_eq!(state_for(Status::Skipped), State::Success);
        assert_eq!(state_for(Status::Fail), State::Failure);
        assert_eq!(state_for(Status::Timeout), State::Failure);
        assert_eq!(state_for(Status::Blocked), State::Error);
    }
}
