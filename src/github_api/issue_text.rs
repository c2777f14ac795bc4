//! The Markdown of the escalation issue and its comments, and the hidden markers that let
//! a later run find them again: `<!-- post-merge-smoke:fingerprint=... -->` (the same
//! breakage), `branch=` (which branch's recovery closes it) and `event=` (this very run,
//! so a retried comment is found rather than posted twice).

use crate::envelope::{BisectionResult, Culprit, Envelope, Escalation, Status};
use crate::text::md::{self, code, fence};
use crate::text::{Limit, one_line, tail, truncate};

/// Each tail quoted in an issue keeps at most this many bytes (GitHub caps a body at 65536).
const ISSUE_TAIL_BYTES: usize = 6000;
const COMMENT_TAIL_BYTES: usize = 3000;
pub const MARKER_PREFIX: &str = "<!-- post-merge-smoke:";

pub fn fingerprint_marker(fingerprint: &str) -> String {
    format!("{MARKER_PREFIX}fingerprint={} -->", clean(fingerprint))
}

pub fn branch_marker(branch: &str) -> String {
    format!("{MARKER_PREFIX}branch={} -->", clean(branch))
}

/// This run: the merge commit and the moment it started.
pub fn event_marker(envelope: &Envelope) -> String {
    format!("{MARKER_PREFIX}event={}@{} -->", clean(&envelope.merge_commit), clean(&envelope.started_at))
}

/// A marker value cannot close the HTML comment early.
fn clean(value: &str) -> String {
    value.replace("--", "-\u{2010}").replace('>', "%3E")
}

/// Marks an issue about flaky tests: it holds nothing and no pass closes it.
pub const FLAKY_MARKER: &str = "<!-- post-merge-smoke:kind=flaky -->";

/// `Post-merge smoke FAIL on main: tests/t.py::test_x`, or the command when no test is
/// known; at most 256 characters. (A title is plain text on GitHub: no Markdown to escape.)
pub fn title(packet: &Escalation, branch: &str, envelope: &Envelope) -> String {
    let what = subject(envelope, &envelope.failures.tests.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
    let title = format!("Post-merge smoke {} on {branch}: {what}", packet.status.as_str());
    truncate(&one_line(&title), Limit::Chars(256)).into_owned()
}

/// `Flaky post-merge smoke on main: tests/t.py::test_x`.
pub fn flaky_title(envelope: &Envelope, branch: &str, tests: &[String]) -> String {
    let title = format!("Flaky post-merge smoke on {branch}: {}", subject(envelope, tests));
    truncate(&one_line(&title), Limit::Chars(256)).into_owned()
}

/// The tests, `a and 2 more`, else the command.
fn subject(envelope: &Envelope, tests: &[String]) -> String {
    match tests {
        [] if envelope.smoke_result.command.is_empty() => "the smoke".to_owned(),
        [] => envelope.smoke_result.command.clone(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// An issue about flaky tests: which failed in which attempt, and where.
pub fn flaky_body(envelope: &Envelope, branch: &str, fingerprint: &str, tests: &[String]) -> String {
    let mut out = format!(
        "## Flaky post-merge smoke on {}\n\nAt {}, the smoke failed and then passed on the same commit. \
         Merges were not held; this issue collects the flaky runs and is not closed by a later pass.\n\n",
        code(branch),
        code(&envelope.merge_commit)
    );
    out.push_str(&flaky_runs(envelope, tests));
    out.push_str(&format!(
        "\n{}\n{}\n{FLAKY_MARKER}\n",
        fingerprint_marker(fingerprint),
        branch_marker(branch)
    ));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

pub fn flaky_comment(envelope: &Envelope, tests: &[String]) -> String {
    let mut out = format!("Flaky again at {}.\n\n", code(&envelope.merge_commit));
    out.push_str(&flaky_runs(envelope, tests));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

fn flaky_runs(envelope: &Envelope, tests: &[String]) -> String {
    let mut out = String::new();
    if !tests.is_empty() {
        out.push_str("Flaky tests:\n\n");
        tests.iter().take(MAX_LISTED).for_each(|t| out.push_str(&format!("- {}\n", code(t))));
        out.push('\n');
    }
    out.push_str("| Smoke | Attempt | Status | Failing tests |\n|---|---|---|---|\n");
    for a in envelope.attempts.iter().take(MAX_LISTED) {
        let failing: Vec<String> = a.failing_tests.iter().take(5).map(|t| code(t)).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            code(&a.smoke),
            a.attempt,
            a.status.as_str(),
            failing.join(", ")
        ));
    }
    if let Some(url) = &envelope.ci.run_url {
        out.push_str(&format!("\nRun: {}\n", md::url(url)));
    }
    out
}

/// Failing tests listed in an issue, at most.
const MAX_LISTED: usize = 30;

/// The deciding attempt's failing tests, each with the first line of its message.
fn failing_tests(envelope: &Envelope) -> String {
    let tests = &envelope.failures.tests;
    if tests.is_empty() {
        return String::new();
    }
    let mut out = "Failing tests:\n\n".to_owned();
    for t in tests.iter().take(MAX_LISTED) {
        let message = t.message.as_deref().map(|m| format!(": {}", md::text(m))).unwrap_or_default();
        out.push_str(&format!("- {}{message}\n", code(&t.id)));
    }
    let more = tests.len().saturating_sub(MAX_LISTED) as u64 + envelope.failures.omitted;
    if more > 0 {
        out.push_str(&format!("- and {more} more\n"));
    }
    out.push('\n');
    out
}

pub fn body(envelope: &Envelope, packet: &Escalation, branch: &str) -> String {
    let mut out = format!(
        "## Post-merge smoke {} on {}\n\n{}\n\n",
        packet.status.as_str(),
        code(branch),
        md::text(&packet.summary)
    );
    out.push_str("| | |\n|---|---|\n");
    out.push_str(&format!("| Merge commit | {} |\n", code(&envelope.merge_commit)));
    if let Some(culprit) = &packet.culprit {
        out.push_str(&format!("| Pull request | {} |\n", culprit_line(culprit)));
    }
    if let Some(task) = &packet.task_id {
        out.push_str(&format!("| Task | {} |\n", md::text(task)));
    }
    out.push_str(&format!("| Status | {} |\n", outcome(envelope, packet)));
    if let Some(url) = &packet.evidence.run_url {
        out.push_str(&format!("| Run | {} |\n", md::url(url)));
    }
    out.push_str(&format!("| Fingerprint | {} |\n\n", code(&packet.fingerprint)));
    out.push_str(&failing_tests(envelope));
    out.push_str(&format!("Command:\n\n{}\n", fence(&tail(&envelope.smoke_result.command, 2000, ""))));
    out.push_str(&format!(
        "Follow-on merges into {} are held until a later smoke passes; this issue is closed then.\n\n",
        code(branch)
    ));
    out.push_str(&tails(packet, ISSUE_TAIL_BYTES));
    out.push_str(&format!("\n{}\n{}\n", fingerprint_marker(&packet.fingerprint), branch_marker(branch)));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

pub fn recurrence_comment(envelope: &Envelope, packet: &Escalation) -> String {
    let already_red = envelope.bisection.as_ref().filter(|b| b.result == BisectionResult::AlreadyRed);
    let mut out = match already_red {
        Some(b) => {
            let this = envelope.task_id.as_deref().map(|t| format!("{} (this merge)", md::text(t)));
            format!(
                "Main is still red at {}: it failed at {} already, before this merge, so {} is not the cause.\n\n",
                code(&envelope.merge_commit),
                code(&b.bad),
                this.unwrap_or_else(|| "this merge".to_owned())
            )
        }
        None => format!(
            "The post-merge smoke failed again at {}: {}\n\n",
            code(&envelope.merge_commit),
            md::text(&packet.summary)
        ),
    };
    if let Some(culprit) = &packet.culprit {
        out.push_str(&format!("- Pull request: {}\n", culprit_line(culprit)));
    }
    out.push_str(&format!("- Status: {}\n", outcome(envelope, packet)));
    if let Some(url) = &packet.evidence.run_url {
        out.push_str(&format!("- Run: {}\n", md::url(url)));
    }
    out.push('\n');
    out.push_str(&failing_tests(envelope));
    out.push_str(&tails(packet, COMMENT_TAIL_BYTES));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

pub fn recovery_comment(envelope: &Envelope, branch: &str) -> String {
    let mut out = format!(
        "Recovered: the post-merge smoke passed on {} at {}",
        code(branch),
        code(&envelope.merge_commit)
    );
    if let Some(culprit) = &envelope.culprit {
        out.push_str(&format!(" ({})", culprit_line(culprit)));
    }
    out.push('.');
    if let Some(url) = &envelope.ci.run_url {
        out.push_str(&format!(" Run: {}", md::url(url)));
    }
    out.push_str("\n\n");
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

/// `#12 Title by @login`: the number links the pull request; the login, as GitHub gave
/// it, mentions its author; the title is inert text.
fn culprit_line(culprit: &Culprit) -> String {
    let mut line = format!("#{}", culprit.number);
    if let Some(title) = &culprit.title {
        line.push_str(&format!(" {}", md::text(title)));
    }
    if let Some(author) = &culprit.author {
        let login = !author.is_empty() && author.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let by = if login { format!("@{author}") } else { md::text(author) };
        line.push_str(&format!(" by {by}"));
    }
    line
}

fn outcome(envelope: &Envelope, packet: &Escalation) -> String {
    let mut text = packet.status.as_str().to_owned();
    match (packet.status, packet.evidence.exit_code) {
        (Status::Timeout, _) => text.push_str(&format!(" after {}s", packet.evidence.timeout_sec)),
        (_, Some(code)) => {
            text.push_str(&format!(" (exit code {code}) after {} ms", packet.evidence.duration_ms))
        }
        (_, None) => text.push_str(&format!(" after {} ms", packet.evidence.duration_ms)),
    }
    if envelope.stale {
        text.push_str("; main has moved on since");
    }
    text
}

fn tails(packet: &Escalation, max: usize) -> String {
    let mut out = String::new();
    for (name, text) in [("stderr", &packet.evidence.stderr_tail), ("stdout", &packet.evidence.stdout_tail)] {
        if !text.is_empty() {
            out.push_str(&format!(
                "<details><summary>{name} (tail)</summary>\n\n{}\n</details>\n\n",
                fence(&tail(text, max, ""))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_cannot_end_the_comment_early() {
        assert_eq!(branch_marker("a-->b"), "<!-- post-merge-smoke:branch=a-\u{2010}%3Eb -->");
        assert_eq!(fingerprint_marker("pms-0123"), "<!-- post-merge-smoke:fingerprint=pms-0123 -->");
    }
}
