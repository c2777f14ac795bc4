//! The Markdown report for `$GITHUB_STEP_SUMMARY`: the verdict at a glance, then the
//! captured output in collapsed blocks.
//!
//! Whatever the smoke printed or the envelope holds, the report stays well formed and
//! small: free text has every ASCII punctuation character backslash-escaped (so it can form
//! no Markdown or HTML), a URL becomes a link only when it is `http(s)` and its destination
//! is percent-encoded down to characters that cannot leave it, output sits in fences longer
//! than any backtick run inside it, and the whole stays under [`SUMMARY_LIMIT`].

use std::fmt::Write;

use crate::envelope::{Decision, Envelope, Status};

/// Far under the runner's 1 MiB per step, and under the 128 KiB that older runners allow.
pub const SUMMARY_LIMIT: usize = 120 * 1024;
/// Bytes of each stream shown: its first part and its last part.
const STREAM_HEAD_BYTES: usize = 4 * 1024;
const STREAM_TAIL_BYTES: usize = 12 * 1024;
/// Bytes of any one free-text field (command, reason, title).
const FIELD_BYTES: usize = 2 * 1024;

/// The report for a (redacted) envelope and the exit code the step will end with.
pub fn summary(envelope: &Envelope, exit_code: i32) -> String {
    let full = render(envelope, exit_code, true);
    if full.len() <= SUMMARY_LIMIT { full } else { render(envelope, exit_code, false) }
}

fn render(env: &Envelope, exit_code: i32, with_output: bool) -> String {
    let mut md = String::new();
    let icon = match env.status {
        Status::Pass if env.allow_continuation => "✅",
        Status::Pass | Status::Skipped => "⚠️",
        Status::Fail | Status::Timeout => "❌",
        Status::Blocked => "⛔",
    };
    let _ = writeln!(md, "### {icon} post-merge smoke: {}\n", env.status.as_str());
    let verdict = match env.decision.decision {
        Decision::AllowContinuation => "Follow-on merges may continue.",
        Decision::Halt => "Follow-on merges are halted.",
    };
    let why = env.smoke_result.failure_reason.as_deref().unwrap_or("the smoke passed");
    let _ = writeln!(md, "**{verdict}** {}\n", text(why));

    md.push_str("| | |\n|---|---|\n");
    let mut row = |name: &str, value: String| {
        let _ = writeln!(md, "| {name} | {value} |");
    };
    row("Status", format!("`{}` (exit code {exit_code})", env.status.as_str()));
    let codes: Vec<String> =
        env.decision.reason_codes.iter().map(|c| format!("`{}`", reason_code(*c))).collect();
    row("Decision", format!("`{}`: {}", decision(env.decision.decision), codes.join(", ")));
    row("Merge commit", code(&env.merge_commit));
    row("Task / PR", env.task_id.as_deref().map_or_else(|| "none".to_owned(), text));
    if let Some(culprit) = &env.culprit {
        let title = culprit.title.as_deref().map(text).unwrap_or_default();
        let by = culprit.author.as_deref().map(|a| format!(" by {}", text(a))).unwrap_or_default();
        let number = format!("\\#{}", culprit.number);
        let number = culprit.url.as_deref().and_then(|url| link(&number, url)).unwrap_or(number);
        row("Pull request", format!("{number} {title}{by}"));
    }
    let main = env.main_head.as_deref().map(code).unwrap_or_else(|| "unknown".to_owned());
    let stale = if env.stale { ", **main moved past the merge commit**" } else { "" };
    row("Main head", format!("{main} (stale check: {}{stale})", stale_check(env)));
    row("Duration", format!("{} (timeout {} s)", duration(env.duration_ms), env.timeout_sec));
    if !env.smoke_result.command.is_empty() {
        row("Command", format!("{} from {}", code(&env.smoke_result.command), source(env)));
    }
    if let Some(exit) = env.smoke_result.exit_code {
        row("Smoke exit code", exit.to_string());
    }
    if let Some(escalation) = &env.escalation {
        row("Escalation", format!("`{}` {}", escalation.kind, code(&escalation.fingerprint)));
    }
    if let Some(url) = &env.ci.run_url {
        row("Run", link(&text(url), url).unwrap_or_else(|| text(url)));
    }
    md.push('\n');

    for (name, stream) in
        [("stdout", &env.smoke_result.stdout_tail), ("stderr", &env.smoke_result.stderr_tail)]
    {
        if stream.is_empty() {
            continue;
        }
        if with_output {
            let _ = writeln!(md, "<details><summary>{name} ({} bytes kept)</summary>\n", stream.len());
            md.push_str(&fenced(&head_and_tail(stream)));
            md.push_str("\n</details>\n\n");
        } else {
            let _ = writeln!(md, "_{name} is too large to show here; it is in the envelope artifact._\n");
        }
    }
    md
}

/// Free text that Markdown shows as it is: ASCII punctuation escaped, on one line.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in cut(s, FIELD_BYTES).chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `[label](url)` for an `http(s)` URL, `label` being Markdown already made safe. The
/// destination keeps only characters that can end neither it nor the table cell (no
/// parentheses, angle brackets, `|`, backslashes, quotes, spaces or newlines); any other
/// byte is percent-encoded. Anything but `http(s)` is no link: `None`.
fn link(label: &str, url: &str) -> Option<String> {
    let scheme_ends = url.find("://")?;
    if !["http", "https"].contains(&url[..scheme_ends].to_ascii_lowercase().as_str())
        || url.len() > FIELD_BYTES
    {
        return None;
    }
    let mut destination = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'*+,;=%".contains(&b) {
            destination.push(char::from(b));
        } else {
            let _ = write!(destination, "%{b:02X}");
        }
    }
    Some(format!("[{label}]({destination})"))
}

/// An inline code span that its content cannot close, safe inside a table cell.
fn code(s: &str) -> String {
    let s = cut(s, FIELD_BYTES).replace(['\n', '\r'], " ").replace('|', "\\|");
    let ticks = "`".repeat(longest_backtick_run(&s) + 1);
    format!("{ticks} {s} {ticks}")
}

/// A fenced block that its content cannot close: the fence is longer than any backtick
/// run inside, and a line of tildes cannot end a backtick fence.
fn fenced(s: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(s) + 1).max(3));
    let newline = if s.ends_with('\n') { "" } else { "\n" };
    format!("{fence}text\n{s}{newline}{fence}\n")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The first and last part of a stream, joined by a line saying how much is left out.
fn head_and_tail(s: &str) -> String {
    if s.len() <= STREAM_HEAD_BYTES + STREAM_TAIL_BYTES {
        return s.to_owned();
    }
    let head = s.floor_char_boundary(STREAM_HEAD_BYTES);
    let tail = s.ceil_char_boundary(s.len() - STREAM_TAIL_BYTES);
    let left_out = tail - head;
    format!("{}\n[… {left_out} bytes not shown; see the envelope artifact …]\n{}", &s[..head], &s[tail..])
}

fn cut(s: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= limit {
        return s.into();
    }
    let end = s.floor_char_boundary(limit);
    format!("{}…", &s[..end]).into()
}

fn duration(ms: u64) -> String {
    if ms == 0 { "did not run".to_owned() } else { format!("{}.{:03} s", ms / 1000, ms % 1000) }
}

/// The wire names, through serde, so the report always says what the envelope says.
fn reason_code(code: crate::envelope::ReasonCode) -> String {
    wire_name(&code)
}

fn decision(d: Decision) -> String {
    wire_name(&d)
}

fn stale_check(env: &Envelope) -> String {
    wire_name(&env.stale_check)
}

fn source(env: &Envelope) -> String {
    wire_name(&env.smoke_command_source)
}

fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_form_markup() {
        assert_eq!(text("<b>x</b> | [a](b)\n#1"), "\\<b\\>x\\<\\/b\\> \\| \\[a\\]\\(b\\) \\#1");
    }

    #[test]
    fn urls_are_links_and_cannot_leave_their_destination() {
        let run = "https://github.com/o/r/actions/runs/1/attempts/2";
        assert_eq!(
            link(&text(run), run).as_deref(),
            Some(
                "[https\\:\\/\\/github\\.com\\/o\\/r\\/actions\\/runs\\/1\\/attempts\\/2]\
                 (https://github.com/o/r/actions/runs/1/attempts/2)"
            )
        );
        assert_eq!(
            link("x", "https://e.com/a) [b](javascript:c) |<d>\"\\\n`é").as_deref(),
            Some("[x](https://e.com/a%29%20%5Bb%5D%28javascript:c%29%20%7C%3Cd%3E%22%5C%0A%60%C3%A9)")
        );
        for not_a_link in ["javascript:alert(1)", "data:text/html,x", "//e.com", "ftp://e.com", "e.com"] {
            assert_eq!(link("x", not_a_link), None, "{not_a_link}");
        }
        assert!(link("x", "HTTPS://e.com").is_some());
    }

    #[test]
    fn code_and_fences_outrun_backticks_in_the_content() {
        assert_eq!(code("a``b|c"), "``` a``b\\|c ```");
        let block = fenced("````\n```text\n");
        assert!(block.starts_with("`````text\n"), "{block}");
        assert!(block.ends_with("\n`````\n"));
    }

    #[test]
    fn long_streams_show_head_and_tail() {
        let s = format!("{}{}", "a".repeat(100_000), "z".repeat(100));
        let shown = head_and_tail(&s);
        assert!(shown.len() < STREAM_HEAD_BYTES + STREAM_TAIL_BYTES + 100);
        assert!(shown.starts_with('a') && shown.ends_with('z'));
        assert!(
            shown
                .contains(&format!("[… {} bytes not shown", 100_100 - STREAM_HEAD_BYTES - STREAM_TAIL_BYTES))
        );
    }
}
