//! The one `::error::` annotation of a run that halts on FAIL, TIMEOUT or BLOCKED, so the
//! reason shows on the run's page without opening the log.

use crate::envelope::{Envelope, Status};
use crate::progress::{escape_data, escape_property};
use crate::text::{Limit, truncate};

/// Annotations are cut by GitHub anyway; one reason never needs more.
const MESSAGE_BYTES: usize = 4 * 1024;

/// `::error title=...::message` for a (redacted) envelope, escaped as the runner
/// unescapes it; `None` for PASS and SKIPPED.
pub fn annotation(envelope: &Envelope) -> Option<String> {
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
