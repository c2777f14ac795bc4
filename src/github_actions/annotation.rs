//! The one `::error::` annotation of a run that halts on FAIL, TIMEOUT or BLOCKED, so the
//! reason shows on the run's page without opening the log; a `::warning` for a flaky pass.

use crate::envelope::{Envelope, Status};
use crate::progress::{escape_data, escape_property};
use crate::text::{Limit, truncate};

/// Annotations are cut by GitHub anyway; one reason never needs more.
const MESSAGE_BYTES: usize = 4 * 1024;

/// `::error title=...::message` for a (redacted) envelope, escaped as the runner
/// unescapes it; `::warning` for a flaky PASS; `None` for any other PASS and SKIPPED.
pub fn annotation(envelope: &Envelope) -> Option<String> {
    if envelope.flaky && matches!(envelope.status, Status::Pass | Status::Skipped) {
        return Some(flaky(envelope));
    }
    if !matches!(envelope.status, Status::Fail | Status::Timeout | Status::Blocked) {
        return None;
    }
    let status = envelope.status.as_str();
    let short = envelope.merge_commit.get(..12).unwrap_or(&envelope.merge_commit);
    // A run blocked before the merge commit was known has none to name.
    let at = if short.is_empty() { String::new() } else { format!(" at {short}") };
    let task = envelope.task_id.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
    let why = envelope.smoke_result.failure_reason.as_deref().unwrap_or("no reason was recorded");
    let message = format!("post-merge smoke {status}{at}{task}: {why}; follow-on merges are halted");
    let message = truncate(&message, Limit::Bytes(MESSAGE_BYTES));
    let title = format!("post-merge-smoke: {status}");
    Some(format!("::error title={}::{}", escape_property(&title), escape_data(&message)))
}

/// A flaky pass is told, not hidden: a `::warning` naming the first test that failed
/// before the smoke passed on the same commit.
fn flaky(envelope: &Envelope) -> String {
    let short = envelope.merge_commit.get(..12).unwrap_or(&envelope.merge_commit);
    let tests = crate::escalation::flaky_tests(envelope);
    let which = match tests.as_slice() {
        [] => "the smoke failed, then passed".to_owned(),
        [only] => format!("`{only}` failed, then passed"),
        [first, rest @ ..] => format!("`{first}` and {} more test(s) failed, then passed", rest.len()),
    };
    let message = format!("post-merge smoke at {short} is flaky: {which} on the same commit");
    let message = truncate(&message, Limit::Bytes(MESSAGE_BYTES));
    format!("::warning title={}::{}", escape_property("post-merge-smoke: flaky"), escape_data(&message))
}
