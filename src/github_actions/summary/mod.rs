//! The Markdown report for `$GITHUB_STEP_SUMMARY`: the verdict at a glance, the smokes,
//! attempts and failing tests ([`tables`]), then the captured output in collapsed blocks.
//!
//! Whatever the smoke printed or the envelope holds, the report stays well formed and
//! small: free text has every ASCII punctuation character backslash-escaped (so it can form
//! no Markdown or HTML), a URL becomes a link only when it is `http(s)` and its destination
//! is percent-encoded down to characters that cannot leave it, output sits in fences longer
//! than any backtick run inside it, and the whole stays under [`SUMMARY_LIMIT`].

mod tables;

use std::fmt::Write;

use crate::envelope::{Decision, Envelope, Status};
use crate::text::head_and_tail;
use crate::text::md::{code, fence as fenced, link, text, url};

/// Far under the runner's 1 MiB per step, and under the 128 KiB that older runners allow.
pub const SUMMARY_LIMIT: usize = 120 * 1024;
/// Bytes of each stream shown: its first part and its last part.
const STREAM_HEAD_BYTES: usize = 4 * 1024;
const STREAM_TAIL_BYTES: usize = 12 * 1024;

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
        let sure = match culprit.confidence {
            Some(crate::envelope::Confidence::Confirmed) => " (first bad merge, confirmed)",
            Some(crate::envelope::Confidence::Suspect) => " (suspected first bad merge)",
            None => "",
        };
        let by = culprit.author.as_deref().map(|a| format!(" by {}", text(a))).unwrap_or_default();
        let number = format!("\\#{}", culprit.number);
        let number = culprit.url.as_deref().and_then(|url| link(&number, url)).unwrap_or(number);
        row("Pull request", format!("{number} {title}{by}{sure}"));
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
    if let Some(run_url) = &env.ci.run_url {
        row("Run", url(run_url));
    }
    md.push('\n');
    tables::shards(env, &mut md);
    tables::smokes(env, &mut md);
    tables::attempts(env, &mut md);
    tables::failing_tests(env, &mut md);
    tables::bisection(env, &mut md);

    for (name, stream) in
        [("stdout", &env.smoke_result.stdout_tail), ("stderr", &env.smoke_result.stderr_tail)]
    {
        if stream.is_empty() {
            continue;
        }
        if with_output {
            let _ = writeln!(md, "<details><summary>{name} ({} bytes kept)</summary>\n", stream.len());
            let shown =
                head_and_tail(stream, STREAM_HEAD_BYTES, STREAM_TAIL_BYTES, "; see the envelope artifact");
            md.push_str(&fenced(&shown));
            md.push_str("\n</details>\n\n");
        } else {
            let _ = writeln!(md, "_{name} is too large to show here; it is in the envelope artifact._\n");
        }
    }
    md
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
    use crate::envelope::{Ci, CommandSource, DecisionBlock, ReasonCode, SmokeResult, StaleCheck, Tool};

    fn envelope(stdout: String) -> Envelope {
        Envelope {
            schema_version: 1,
            tool: Tool::this(),
            merge_commit: "a".repeat(40),
            task_id: Some("#1 <b>@octo</b>".into()),
            status: Status::Fail,
            allow_continuation: false,
            stale: false,
            stale_check: StaleCheck::Checked,
            main_head: None,
            dry_run: false,
            duration_ms: 1,
            started_at: String::new(),
            finished_at: String::new(),
            timeout_sec: 1,
            smoke_command_source: CommandSource::Cli,
            smoke_result: SmokeResult {
                command: "make ``smoke``".into(),
                passed: false,
                exit_code: Some(1),
                stdout_tail: stdout,
                stderr_tail: String::new(),
                failure_reason: Some("the smoke exited with code 1".into()),
            },
            decision: DecisionBlock {
                decision: Decision::Halt,
                reason_codes: vec![ReasonCode::PostMergeSmokeFail],
            },
            escalation: None,
            ci: Ci {
                provider: "local".into(),
                repository: None,
                git_ref: None,
                event: None,
                run_id: None,
                run_url: None,
            },
            culprit: None,
            changed_paths: None,
            notifications: Vec::new(),
            attempts: Vec::new(),
            flaky: false,
            failures: Default::default(),
            smokes: Vec::new(),
            bisection: None,
            shard: None,
            shards: Vec::new(),
        }
    }

    #[test]
    fn untrusted_text_is_inert_and_the_report_stays_small() {
        let md = summary(&envelope("x".repeat(10 * SUMMARY_LIMIT)), 1);
        assert!(md.len() <= SUMMARY_LIMIT, "{}", md.len());
        assert!(md.contains("\\#1 \\<b\\>\\@\u{200B}octo"), "{md}");
        assert!(md.contains("``` make ``smoke`` ``` from cli"), "{md}");
    }
}
