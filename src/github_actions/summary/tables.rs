//! The step summary's tables beyond the verdict: one row per smoke, per attempt, and per
//! failing test (with the first line of its message and the attempts it failed in). Every
//! cell is untrusted text made inert by [`crate::text::md`]; long lists are cut with a
//! count, so the report stays small.

use std::fmt::Write;

use crate::envelope::{Envelope, Status};
use crate::text::md::{code, text};
use crate::text::{Limit, truncate};

/// Rows a table shows before it says how many more there were.
const MAX_ROWS: usize = 50;
/// Bytes of a message in a cell.
const MESSAGE_BYTES: usize = 300;

/// One row per smoke, when more than one ran.
pub fn smokes(env: &Envelope, md: &mut String) {
    if env.smokes.len() < 2 {
        return;
    }
    md.push_str("#### Smokes\n\n| Smoke | Status | Attempts | Duration | Why |\n|---|---|---|---|---|\n");
    for smoke in env.smokes.iter().take(MAX_ROWS) {
        let flaky = if smoke.flaky { " (flaky)" } else { "" };
        let _ = writeln!(
            md,
            "| {} | `{}`{flaky} | {} | {} | {} |",
            code(&smoke.name),
            smoke.status.as_str(),
            smoke.attempts.len(),
            super::duration(smoke.duration_ms),
            smoke.failure_reason.as_deref().map(text).unwrap_or_default()
        );
    }
    more(md, env.smokes.len());
}

/// One row per shard, for an aggregate.
pub fn shards(env: &Envelope, md: &mut String) {
    if env.shards.is_empty() {
        return;
    }
    md.push_str("#### Shards\n\n| Shard | Status | Duration |\n|---|---|---|\n");
    for shard in env.shards.iter().take(MAX_ROWS) {
        let missing = if shard.duration_ms == 0 && shard.status == Status::Blocked {
            " (no envelope of this run)"
        } else {
            ""
        };
        let _ = writeln!(
            md,
            "| {} of {} | `{}`{missing} | {} |",
            shard.index,
            env.shards.len(),
            shard.status.as_str(),
            super::duration(shard.duration_ms)
        );
    }
    more(md, env.shards.len());
}

/// One row per attempt, when a failure was run again.
pub fn attempts(env: &Envelope, md: &mut String) {
    if env.attempts.len() < 2 {
        return;
    }
    let several = env.smokes.len() > 1;
    md.push_str(if several {
        "#### Attempts\n\n| Smoke | Attempt |"
    } else {
        "#### Attempts\n\n| Attempt |"
    });
    md.push_str(" Status | Exit code | Duration | Failing tests |\n");
    md.push_str(if several { "|---|---|---|---|---|---|\n" } else { "|---|---|---|---|---|\n" });
    for attempt in env.attempts.iter().take(MAX_ROWS) {
        if several {
            let _ = write!(md, "| {} ", code(&attempt.smoke));
        }
        let exit = attempt.exit_code.map_or_else(|| "none".to_owned(), |c| c.to_string());
        let tests: Vec<String> = attempt.failing_tests.iter().take(5).map(|t| code(t)).collect();
        let extra = attempt.failing_tests.len().saturating_sub(tests.len());
        let extra = if extra > 0 { format!(" and {extra} more") } else { String::new() };
        let _ = writeln!(
            md,
            "| {} | `{}` | {exit} | {} | {}{extra} |",
            attempt.attempt,
            attempt.status.as_str(),
            super::duration(attempt.duration_ms),
            tests.join(", ")
        );
    }
    more(md, env.attempts.len());
}

/// One row per failing test of any attempt: its message (from the deciding attempt, where
/// it has one) and the attempts it failed in.
pub fn failing_tests(env: &Envelope, md: &mut String) {
    let mut ids: Vec<&str> = Vec::new();
    for attempt in &env.attempts {
        for id in &attempt.failing_tests {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return;
    }
    md.push_str("#### Failing tests\n\n| Test | First line of the message | Failed in |\n|---|---|---|\n");
    for id in ids.iter().take(MAX_ROWS) {
        let failed = env.failures.tests.iter().find(|t| t.id == *id);
        let message = failed.and_then(|t| t.message.as_deref()).unwrap_or_default();
        let quarantined = if failed.is_some_and(|t| t.quarantined) { " (quarantined)" } else { "" };
        let attempts: Vec<String> = env
            .attempts
            .iter()
            .filter(|a| a.failing_tests.iter().any(|t| t == id) && a.status != Status::Pass)
            .map(|a| format!("{}", a.attempt))
            .collect();
        let _ = writeln!(
            md,
            "| {}{quarantined} | {} | attempt {} |",
            code(id),
            text(&truncate(message, Limit::Bytes(MESSAGE_BYTES))),
            attempts.join(", ")
        );
    }
    more(md, ids.len());
}

fn more(md: &mut String, total: usize) {
    if total > MAX_ROWS {
        let _ = writeln!(md, "\n_and {} more; all are in the envelope artifact._", total - MAX_ROWS);
    }
    md.push('\n');
}

/// The search for the first bad merge: what it found, and one row per probe.
pub fn bisection(env: &Envelope, md: &mut String) {
    let Some(b) = &env.bisection else { return };
    let _ = writeln!(md, "#### First bad merge: `{}`\n\n{}\n", wire(&b.result), text(&b.reason));
    if b.probes.is_empty() {
        return;
    }
    md.push_str("| Commit | Blamed | Result | Attempts | Duration |\n|---|---|---|---|---|\n");
    for probe in b.probes.iter().take(MAX_ROWS) {
        let blamed = b.first_bad.as_deref().unwrap_or(&b.bad) == probe.commit;
        let pr = match (&env.culprit, blamed) {
            (Some(c), true) => format!("\\#{}", c.number),
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {pr} | `{}` | {} | {} |",
            code(&probe.commit),
            probe.status.as_str(),
            probe.attempts,
            super::duration(probe.duration_ms)
        );
    }
    more(md, b.probes.len());
}

fn wire(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
