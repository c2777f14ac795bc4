//! The `POST_MERGE_SMOKE_FAILED` packet (Critical #7): built exactly when the smoke failed
//! or timed out, with a fingerprint that stays the same for the same breakage so an issue
//! tracker can tell a recurrence from a new failure.

use sha2::{Digest, Sha256};

use crate::envelope::{
    BisectionResult, ESCALATION_CRITICAL, ESCALATION_TYPE, Envelope, Escalation, Evidence, Status,
};
use crate::facts::SmokeFact;

/// The kind of failure, coarse on purpose: a flaky test that exits 1 one day and 101 the
/// next is the same breakage.
pub fn failure_kind(fact: &SmokeFact) -> &'static str {
    match fact {
        SmokeFact::Exited(_) => "exit",
        SmokeFact::Signalled(_) => "signal",
        SmokeFact::SpawnFailed(_) => "spawn",
        SmokeFact::TimedOut => "timeout",
        SmokeFact::Cancelled(_) => "cancelled",
    }
}

/// What a breakage is known by.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// The failing test ids, when known: the same broken test is one breakage under any
    /// command line, and two broken tests are two.
    Tests(&'a [String]),
    /// The command, when no test is known.
    Command(&'a str),
}

/// `pms-` and 16 hex digits of SHA-256 over repository, branch, kind and subject. The
/// parts are delimited, so text shifting between them changes the id; test ids are sorted,
/// so their order does not.
pub fn fingerprint(repository: &str, branch: &str, kind: &str, subject: Subject<'_>) -> String {
    let mut hash = Sha256::new();
    let mut part = |text: &str| {
        hash.update(text.as_bytes());
        hash.update([0]);
    };
    part(repository);
    part(branch);
    part(kind);
    match subject {
        Subject::Tests(ids) => {
            let mut ids: Vec<&String> = ids.iter().collect();
            ids.sort();
            ids.dedup();
            part("tests");
            ids.into_iter().for_each(|id| part(id));
        }
        Subject::Command(command) => {
            part("command");
            part(command);
        }
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("pms-{hex}")
}

/// The packet for an envelope whose status is FAIL or TIMEOUT; `None` otherwise. `tests`
/// are the deciding attempt's failing test ids (empty when unknown).
pub fn packet(envelope: &Envelope, branch: &str, kind: &str, tests: &[String]) -> Option<Escalation> {
    if !matches!(envelope.status, Status::Fail | Status::Timeout) {
        return None;
    }
    let result = &envelope.smoke_result;
    let short = envelope.merge_commit.get(..12).unwrap_or(&envelope.merge_commit);
    let why = result.failure_reason.as_deref().unwrap_or("the smoke failed");
    let repository = envelope.ci.repository.as_deref().unwrap_or("");
    // After a search for the first bad merge, the packet names what it found.
    let number = |c: &crate::envelope::Culprit| format!("#{}", c.number);
    let (task_id, who) = match &envelope.bisection {
        Some(b) if b.result == BisectionResult::AlreadyRed => {
            let at = b.bad.get(..12).unwrap_or(&b.bad);
            (None, format!("; main was red before this merge (it fails at {at} too), which is not the cause"))
        }
        Some(b) if matches!(b.result, BisectionResult::Found | BisectionResult::Range) => {
            let pr = envelope.culprit.as_ref().map(|c| format!(" ({})", number(c))).unwrap_or_default();
            let what = match b.result {
                BisectionResult::Found => "first bad merge",
                _ => "suspected first bad merge",
            };
            let at = b.first_bad.as_deref().unwrap_or(&b.bad);
            // This very merge: its own task id stands when no pull request is known.
            let own = (at == envelope.merge_commit).then(|| envelope.task_id.clone()).flatten();
            let task_id = envelope.culprit.as_ref().map(number).or(own);
            (task_id, format!("; {what} {}{pr}", at.get(..12).unwrap_or(at)))
        }
        _ => {
            let who = envelope.task_id.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
            (envelope.task_id.clone(), who)
        }
    };
    Some(Escalation {
        kind: ESCALATION_TYPE.to_owned(),
        critical: ESCALATION_CRITICAL,
        severity: "critical".to_owned(),
        merge_commit: envelope.merge_commit.clone(),
        task_id,
        status: envelope.status,
        summary: format!("post-merge smoke {} on {branch} at {short}{who}: {why}", envelope.status.as_str()),
        fingerprint: fingerprint(repository, branch, kind, subject(tests, &result.command)),
        evidence: Evidence {
            exit_code: result.exit_code,
            timeout_sec: envelope.timeout_sec,
            stale: envelope.stale,
            duration_ms: envelope.duration_ms,
            stdout_tail: result.stdout_tail.clone(),
            stderr_tail: result.stderr_tail.clone(),
            run_url: envelope.ci.run_url.clone(),
        },
        culprit: envelope.culprit.clone(),
    })
}

/// The flaky tests of a flaky run, and the fingerprint of their issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flaky {
    /// The tests that failed in an attempt of a flaky smoke, in the order first seen.
    pub tests: Vec<String>,
    pub fingerprint: String,
}

/// The tests that failed in the flaky smokes' failed attempts, first seen first.
pub fn flaky_tests(envelope: &Envelope) -> Vec<String> {
    let flaky_smokes: Vec<&str> =
        envelope.smokes.iter().filter(|s| s.flaky).map(|s| s.name.as_str()).collect();
    let mut tests: Vec<String> = Vec::new();
    for attempt in envelope
        .attempts
        .iter()
        .filter(|a| flaky_smokes.contains(&a.smoke.as_str()) && a.status != Status::Pass)
    {
        for id in &attempt.failing_tests {
            if !tests.contains(id) {
                tests.push(id.clone());
            }
        }
    }
    tests
}

/// `None` unless the run was flaky.
pub fn flaky(envelope: &Envelope, branch: &str) -> Option<Flaky> {
    if !envelope.flaky {
        return None;
    }
    let tests = flaky_tests(envelope);
    let repository = envelope.ci.repository.as_deref().unwrap_or("");
    let commands: Vec<&str> =
        envelope.smokes.iter().filter(|s| s.flaky).map(|s| s.command.as_str()).collect();
    let command = commands.join("\n");
    let fingerprint = fingerprint(repository, branch, "flaky", subject(&tests, &command));
    Some(Flaky { tests, fingerprint })
}

fn subject<'a>(tests: &'a [String], command: &'a str) -> Subject<'a> {
    if tests.is_empty() { Subject::Command(command) } else { Subject::Tests(tests) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_separates_what_differs() {
        let cmd = |c| Subject::Command(c);
        let a = fingerprint("o/r", "main", "exit", cmd("make smoke"));
        assert_eq!(a, fingerprint("o/r", "main", "exit", cmd("make smoke")));
        assert_eq!(a.len(), 4 + 16);
        assert_ne!(a, fingerprint("o/r", "main", "timeout", cmd("make smoke")));
        assert_ne!(a, fingerprint("o/r", "dev", "exit", cmd("make smoke")));
        assert_ne!(a, fingerprint("o/r2", "main", "exit", cmd("make smoke")));
        // Parts are delimited, so shifting text between them changes the id.
        assert_ne!(fingerprint("ab", "c", "exit", cmd("x")), fingerprint("a", "bc", "exit", cmd("x")));
    }

    #[test]
    fn known_tests_make_the_fingerprint_whatever_the_command() {
        let t = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (x, y) = (t(&["a::x", "a::y"]), t(&["a::y", "a::x"]));
        assert_eq!(
            fingerprint("o/r", "main", "exit", Subject::Tests(&x)),
            fingerprint("o/r", "main", "exit", Subject::Tests(&y))
        );
        assert_ne!(
            fingerprint("o/r", "main", "exit", Subject::Tests(&x)),
            fingerprint("o/r", "main", "exit", Subject::Tests(&t(&["a::x"])))
        );
    }
}
