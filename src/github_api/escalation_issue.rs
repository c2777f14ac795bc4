//! The escalation issue (`--escalation-issue`): on FAIL/TIMEOUT one open issue per
//! fingerprint, labelled, holding the packet; the same fingerprint again adds a comment;
//! a later non-stale PASS on the same branch comments with the recovering commit and
//! closes every open one of ours for that branch. Issues and comments are created once
//! even when a request is retried (see [`super::create_once`]).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::client::{Api, ApiError, Repeat};
use super::create_once::{Outcome, create_once};
use super::issue_text::{self, MARKER_PREFIX};
use super::settings::encode;
use crate::envelope::{Envelope, Escalation};
use crate::redact::Redactor;

/// Comments older than the run by more than this are not ours (clocks drift a little).
const CLOCK_SLACK: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub body: Option<String>,
    /// Present when the "issue" is a pull request: the issues list holds both.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    fn has(&self, marker: &str) -> bool {
        self.body.as_deref().is_some_and(|b| b.contains(marker))
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Comment {
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Opened(u64),
    Commented(u64),
    Closed(Vec<u64>),
}

pub struct Target<'a> {
    pub api: &'a Api,
    pub branch: &'a str,
    pub labels: &'a [String],
    /// Everything sent to GitHub is masked like everything else the tool writes.
    pub redactor: &'a Redactor,
}

/// Opens the issue for `packet`, or comments on the open one with its fingerprint.
pub async fn escalate(t: &Target<'_>, envelope: &Envelope, packet: &Escalation) -> Result<Done, ApiError> {
    let issue = NewIssue {
        fingerprint: &packet.fingerprint,
        title: issue_text::title(packet, t.branch, envelope),
        body: issue_text::body(envelope, packet, t.branch),
        labels: t.labels.to_vec(),
    };
    open_or_comment(t, envelope, &issue, || issue_text::recurrence_comment(envelope, packet)).await
}

/// Opens the issue about flaky tests (labelled `flaky` too), or comments on the open one
/// with the same fingerprint. It holds nothing, and no pass closes it.
pub async fn flaky(
    t: &Target<'_>,
    envelope: &Envelope,
    fingerprint: &str,
    tests: &[String],
) -> Result<Done, ApiError> {
    let mut labels = t.labels.to_vec();
    labels.push(FLAKY_LABEL.to_owned());
    let issue = NewIssue {
        fingerprint,
        title: issue_text::flaky_title(envelope, t.branch, tests),
        body: issue_text::flaky_body(envelope, t.branch, fingerprint, tests),
        labels,
    };
    open_or_comment(t, envelope, &issue, || issue_text::flaky_comment(envelope, tests)).await
}

struct NewIssue<'a> {
    fingerprint: &'a str,
    title: String,
    body: String,
    labels: Vec<String>,
}

/// Opens `issue`, or comments on the open one with its fingerprint.
async fn open_or_comment(
    t: &Target<'_>,
    envelope: &Envelope,
    issue: &NewIssue<'_>,
    comment: impl FnOnce() -> String,
) -> Result<Done, ApiError> {
    let marker = issue_text::fingerprint_marker(issue.fingerprint);
    let body = json!({
        "title": t.redactor.str(&issue.title),
        "body": t.redactor.str(&issue.body),
        "labels": issue.labels,
    });
    let find = async || Ok(open_issues(t).await?.into_iter().find(|i| i.has(&marker)));
    let create = async || t.api.post::<Issue>(&t.api.repo_path("/issues"), &body, Repeat::Once).await;
    match create_once(t.api.policy().max_attempts, t.api.policy().base_delay, find, create).await? {
        Outcome::Created(found) => Ok(Done::Opened(found.number)),
        Outcome::Found(found) if found.has(&issue_text::event_marker(envelope)) => {
            // Our own create landed although its answer was lost: nothing to add.
            Ok(Done::Opened(found.number))
        }
        Outcome::Found(found) => {
            comment_once(t, found.number, envelope, &comment()).await?;
            Ok(Done::Commented(found.number))
        }
    }
}

/// The label an issue about flaky tests carries besides the issue labels.
pub const FLAKY_LABEL: &str = "flaky";

/// Closes our open issues about failures on the branch (not those about flaky tests),
/// each with a comment naming the recovering commit.
pub async fn recover(t: &Target<'_>, envelope: &Envelope) -> Result<Done, ApiError> {
    let branch = issue_text::branch_marker(t.branch);
    let fingerprint = format!("{MARKER_PREFIX}fingerprint=");
    let ours: Vec<Issue> = open_issues(t)
        .await?
        .into_iter()
        .filter(|i| i.has(&branch) && i.has(&fingerprint) && !i.has(issue_text::FLAKY_MARKER))
        .collect();
    let mut closed = Vec::new();
    for issue in ours {
        let text = issue_text::recovery_comment(envelope, t.branch);
        comment_once(t, issue.number, envelope, &text).await?;
        let path = t.api.repo_path(&format!("/issues/{}", issue.number));
        let _: Issue = t.api.patch(&path, &json!({"state": "closed", "state_reason": "completed"})).await?;
        closed.push(issue.number);
    }
    Ok(Done::Closed(closed))
}

/// Open issues carrying every label, pull requests left out.
async fn open_issues(t: &Target<'_>) -> Result<Vec<Issue>, ApiError> {
    let labels: Vec<String> = t.labels.iter().map(|l| encode(l)).collect();
    let path = t.api.repo_path(&format!("/issues?state=open&labels={}&per_page=100", labels.join(",")));
    let issues: Vec<Issue> = t.api.get_all(&path).await?;
    Ok(issues.into_iter().filter(|i| i.pull_request.is_none()).collect())
}

/// Comments once per run: a retried comment is found by this run's event marker.
async fn comment_once(t: &Target<'_>, number: u64, envelope: &Envelope, text: &str) -> Result<(), ApiError> {
    let marker = issue_text::event_marker(envelope);
    let since = humantime::parse_rfc3339_weak(&envelope.started_at)
        .ok()
        .and_then(|at| at.checked_sub(CLOCK_SLACK))
        .map(|at| format!("&since={}", encode(&humantime::format_rfc3339_seconds(at).to_string())))
        .unwrap_or_default();
    let list = t.api.repo_path(&format!("/issues/{number}/comments?per_page=100{since}"));
    let post = t.api.repo_path(&format!("/issues/{number}/comments"));
    let body = json!({"body": t.redactor.str(text)});
    let find = async || {
        let comments: Vec<Comment> = t.api.get_all(&list).await?;
        Ok(comments.iter().any(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker))).then_some(()))
    };
    let create = async || t.api.post::<serde_json::Value>(&post, &body, Repeat::Once).await.map(|_| ());
    create_once(t.api.policy().max_attempts, t.api.policy().base_delay, find, create).await?;
    Ok(())
}
