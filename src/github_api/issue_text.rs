//! The Markdown of the escalation issue and its comments, and the hidden markers that let
//! a later run find them again: `<!-- post-merge-smoke:fingerprint=... -->` (the same
//! breakage), `branch=` (which branch's recovery closes it) and `event=` (this very run,
//! so a retried comment is found rather than posted twice).

use crate::envelope::{Culprit, Envelope, Escalation, Status};

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

/// `Post-merge smoke FAIL on main: cargo test --test smoke`; at most 256 characters.
pub fn title(packet: &Escalation, branch: &str, command: &str) -> String {
    let command = if command.is_empty() { "the smoke" } else { command };
    let command = command.replace(['\r', '\n'], " ");
    format!("Post-merge smoke {} on {branch}: {command}", packet.status.as_str()).chars().take(256).collect()
}

pub fn body(envelope: &Envelope, packet: &Escalation, branch: &str) -> String {
    let mut out =
        format!("## Post-merge smoke {} on `{branch}`\n\n{}\n\n", packet.status.as_str(), packet.summary);
    out.push_str("| | |\n|---|---|\n");
    out.push_str(&format!("| Merge commit | `{}` |\n", envelope.merge_commit));
    if let Some(culprit) = &packet.culprit {
        out.push_str(&format!("| Pull request | {} |\n", culprit_line(culprit)));
    }
    if let Some(task) = &packet.task_id {
        out.push_str(&format!("| Task | {} |\n", cell(task)));
    }
    out.push_str(&format!("| Status | {} |\n", outcome(envelope, packet)));
    if let Some(url) = &packet.evidence.run_url {
        out.push_str(&format!("| Run | {} |\n", cell(url)));
    }
    out.push_str(&format!("| Fingerprint | `{}` |\n\n", packet.fingerprint));
    out.push_str(&format!("Command:\n\n{}\n", fenced(&envelope.smoke_result.command, 2000)));
    out.push_str(&format!(
        "Follow-on merges into `{branch}` are held until a later smoke passes; this issue is closed then.\n\n"
    ));
    out.push_str(&tails(packet, ISSUE_TAIL_BYTES));
    out.push_str(&format!("\n{}\n{}\n", fingerprint_marker(&packet.fingerprint), branch_marker(branch)));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

pub fn recurrence_comment(envelope: &Envelope, packet: &Escalation) -> String {
    let mut out =
        format!("The post-merge smoke failed again at `{}`: {}\n\n", envelope.merge_commit, packet.summary);
    if let Some(culprit) = &packet.culprit {
        out.push_str(&format!("- Pull request: {}\n", culprit_line(culprit)));
    }
    out.push_str(&format!("- Status: {}\n", outcome(envelope, packet)));
    if let Some(url) = &packet.evidence.run_url {
        out.push_str(&format!("- Run: {url}\n"));
    }
    out.push('\n');
    out.push_str(&tails(packet, COMMENT_TAIL_BYTES));
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

pub fn recovery_comment(envelope: &Envelope, branch: &str) -> String {
    let mut out =
        format!("Recovered: the post-merge smoke passed on `{branch}` at `{}`", envelope.merge_commit);
    if let Some(culprit) = &envelope.culprit {
        out.push_str(&format!(" ({})", culprit_line(culprit)));
    }
    out.push('.');
    if let Some(url) = &envelope.ci.run_url {
        out.push_str(&format!(" Run: {url}"));
    }
    out.push_str("\n\n");
    out.push_str(&event_marker(envelope));
    out.push('\n');
    out
}

fn culprit_line(culprit: &Culprit) -> String {
    let mut line = format!("#{}", culprit.number);
    if let Some(title) = &culprit.title {
        line.push_str(&format!(" {}", cell(title)));
    }
    if let Some(author) = &culprit.author {
        line.push_str(&format!(" by @{}", cell(author)));
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
    for (name, tail) in [("stderr", &packet.evidence.stderr_tail), ("stdout", &packet.evidence.stdout_tail)] {
        if !tail.is_empty() {
            out.push_str(&format!(
                "<details><summary>{name} (tail)</summary>\n\n{}\n</details>\n\n",
                fenced(tail, max)
            ));
        }
    }
    out
}

/// A table cell: no line breaks, no column separators.
fn cell(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// `text` in a code fence longer than any run of backticks inside it, keeping its last
/// `max` bytes.
pub fn fenced(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let kept = &text[start..];
    let longest = kept.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let cut_note = if start > 0 { format!("[… {start} bytes before this cut]\n") } else { String::new() };
    let newline = if kept.ends_with('\n') { "" } else { "\n" };
    format!("{fence}text\n{cut_note}{kept}{newline}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_outlasts_the_backticks_inside() {
        let text = "a ``` b ```` c";
        let f = fenced(text, 1000);
        assert!(f.starts_with("`````text\n"), "{f}");
        assert!(f.ends_with("\n`````"));
        assert_eq!(fenced("x", 1000), "```text\nx\n```");
    }

    #[test]
    fn a_long_tail_keeps_its_end_on_a_character_boundary() {
        let text = format!("{}END", "é".repeat(100));
        let f = fenced(&text, 10);
        assert!(f.contains("END"));
        assert!(f.contains("bytes before this cut"));
    }

    #[test]
    fn markers_cannot_end_the_comment_early() {
        assert_eq!(branch_marker("a-->b"), "<!-- post-merge-smoke:branch=a-\u{2010}%3Eb -->");
        assert_eq!(fingerprint_marker("pms-0123"), "<!-- post-merge-smoke:fingerprint=pms-0123 -->");
    }
}
