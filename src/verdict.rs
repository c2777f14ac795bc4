//! The one pure function of the tool: plain facts about a run go in, the status, the
//! decision, the reason codes and the exit code come out (contract sections 2, 8 and 10).
//!
//! Everything that touches the world (git, processes, files, the network) happens before
//! this and hands over a [`Facts`]; everything that writes happens after it. The table
//! tests at the bottom mirror the contract's tables line by line.

use crate::envelope::{Decision, ReasonCode, Status};
use crate::exit_codes;
use crate::facts::{AttemptFact, Facts, FlakyVerdict, PreflightOutcome, SmokeFact, SmokeRunFact, StaleFact};

/// Failing test ids a reason names before it says how many more there were.
const NAMED_TESTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub allow_continuation: bool,
    pub stale: bool,
    pub decision: Decision,
    pub reason_codes: Vec<ReasonCode>,
    pub exit_code: i32,
    /// `smoke_result.passed`: the deciding attempt ran and exited 0 in time.
    pub passed: bool,
    /// `smoke_result.failure_reason`: why the deciding attempt did not pass.
    pub failure_reason: Option<String>,
    /// One line explaining the verdict as a whole, stale check included.
    pub summary: String,
    /// Each smoke's own verdict, in run order.
    pub smokes: Vec<SmokeVerdict>,
    /// The smoke whose status is the overall status (the first such, in run order).
    pub deciding_smoke: Option<usize>,
    /// Some smoke's attempts disagreed.
    pub flaky: bool,
}

/// One smoke's verdict over its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeVerdict {
    /// `PASS`, `FAIL`, `TIMEOUT`, or `BLOCKED` when cancelled.
    pub status: Status,
    /// An attempt failed or timed out and a later one passed.
    pub flaky: bool,
    /// The passing attempt failed only in quarantined tests.
    pub quarantined: bool,
    /// The attempt the smoke's result describes: the passing one for PASS, else the last
    /// failing one.
    pub deciding: usize,
    /// The deciding attempt exited 0 in time.
    pub passed: bool,
    pub failure_reason: Option<String>,
}

pub fn decide(facts: &Facts) -> Verdict {
    let smokes: Vec<SmokeVerdict> =
        facts.smokes.iter().map(|s| judge_smoke(s, facts.timeout_sec, facts.flaky_verdict)).collect();
    let (mut status, mut reason_codes, failure_reason, deciding_smoke) = classify(facts, &smokes);
    let passed = facts.preflight.is_none() && deciding_smoke.is_some_and(|i| smokes[i].passed);
    let flaky = smokes.iter().any(|s| s.flaky);
    let mut summary = match (&failure_reason, status) {
        (Some(why), _) => why.clone(),
        (None, _) if flaky => "the smoke passed after a failed attempt (flaky)".to_owned(),
        (None, _) => "the smoke passed".to_owned(),
    };
    let mut stale = false;

    match &facts.stale {
        StaleFact::Fresh | StaleFact::Skipped => {}
        StaleFact::Stale => {
            stale = true;
            reason_codes.push(ReasonCode::MainHeadStale);
            summary.push_str("; main moved past the merge commit while it ran");
        }
        StaleFact::Unavailable(why) | StaleFact::Cancelled(why) => {
            let (code, what) = match facts.stale {
                StaleFact::Cancelled(_) => (ReasonCode::RunCancelled, "; cancelled during the stale check: "),
                _ => (ReasonCode::StaleCheckUnavailable, "; stale check unavailable: "),
            };
            // A gate fails closed: what would have let merges continue now holds them.
            if matches!(status, Status::Pass | Status::Skipped) {
                status = Status::Blocked;
                reason_codes.insert(0, code);
            } else {
                reason_codes.push(code);
            }
            summary.push_str(what);
            summary.push_str(why);
        }
    }

    let (allow_continuation, decision, exit_code) = consequences(status, stale);
    Verdict {
        status,
        allow_continuation,
        stale,
        decision,
        reason_codes,
        exit_code,
        passed,
        failure_reason,
        summary,
        smokes,
        deciding_smoke,
        flaky,
    }
}

/// What a status means (contract section 2): whether merges may continue, the decision,
/// and the exit code. Stale never changes the status; it holds merges and turns a green
/// exit into 5.
pub fn consequences(status: Status, stale: bool) -> (bool, Decision, i32) {
    let allow_continuation = matches!(status, Status::Pass | Status::Skipped) && !stale;
    let exit_code = match status {
        Status::Pass | Status::Skipped if stale => exit_codes::STALE,
        Status::Pass | Status::Skipped => exit_codes::OK,
        Status::Fail => exit_codes::FAIL,
        Status::Timeout => exit_codes::TIMEOUT,
        Status::Blocked => exit_codes::BLOCKED,
    };
    let decision = if allow_continuation { Decision::AllowContinuation } else { Decision::Halt };
    (allow_continuation, decision, exit_code)
}

/// The status, the reason codes and the reason, before the stale check has its say, and
/// which smoke decided.
fn classify(
    facts: &Facts,
    smokes: &[SmokeVerdict],
) -> (Status, Vec<ReasonCode>, Option<String>, Option<usize>) {
    if let Some(pre) = &facts.preflight {
        let status = match pre.outcome {
            PreflightOutcome::Skip => Status::Skipped,
            PreflightOutcome::Block => Status::Blocked,
        };
        return (status, vec![pre.code], Some(pre.reason.clone()), None);
    }
    if smokes.is_empty() {
        let (status, code, reason) = if facts.shard_empty {
            (
                Status::Skipped,
                ReasonCode::ShardEmpty,
                "this shard was dealt no smoke; the other shards run them",
            )
        } else if facts.dry_run {
            (
                Status::Skipped,
                ReasonCode::SmokeSkippedDryRun,
                "no smoke command is defined; dry run, so nothing ran",
            )
        } else {
            (
                Status::Blocked,
                ReasonCode::SmokeCommandMissing,
                "no smoke command is defined (give --command, a task file or a registry, or --dry-run to allow this)",
            )
        };
        return (status, vec![code], Some(reason.to_owned()), None);
    }
    // Any FAIL is FAIL, else any TIMEOUT, else a cancelled run (no green without all the
    // evidence), else PASS.
    let status = [Status::Fail, Status::Timeout, Status::Blocked, Status::Pass]
        .into_iter()
        .find(|wanted| smokes.iter().any(|s| s.status == *wanted))
        .unwrap_or(Status::Pass);
    let deciding = smokes.iter().position(|s| s.status == status);
    let main_code = match status {
        Status::Fail => ReasonCode::PostMergeSmokeFail,
        Status::Timeout => ReasonCode::PostMergeSmokeTimeout,
        Status::Blocked => ReasonCode::RunCancelled,
        Status::Pass | Status::Skipped => ReasonCode::PostMergeSmokePass,
    };
    let mut codes = vec![main_code];
    if smokes.iter().any(|s| s.flaky) {
        codes.push(ReasonCode::SmokeFlaky);
    }
    if smokes.iter().any(|s| s.quarantined) {
        codes.push(ReasonCode::SmokeQuarantined);
    }
    if status != Status::Blocked && smokes.iter().any(|s| s.status == Status::Blocked) {
        codes.push(ReasonCode::RunCancelled);
    }
    if status == Status::Fail && facts.main_already_red {
        codes.push(ReasonCode::MainAlreadyRed);
    }
    let reason = deciding.and_then(|i| {
        let why = smokes[i].failure_reason.clone()?;
        // With several smokes, say which one.
        Some(if smokes.len() > 1 { format!("smoke `{}`: {why}", facts.smokes[i].name) } else { why })
    });
    (status, codes, reason, deciding)
}

/// One smoke's status over its attempts (contract section 8).
pub fn judge_smoke(smoke: &SmokeRunFact, timeout_sec: u64, flaky_verdict: FlakyVerdict) -> SmokeVerdict {
    let attempts = &smoke.attempts;
    let last = attempts.len().saturating_sub(1);
    let Some(pass) = attempts.iter().position(AttemptFact::passed) else {
        // No attempt passed: the last one decides.
        let Some(attempt) = attempts.get(last) else {
            let why = "the smoke never ran".to_owned();
            return SmokeVerdict {
                status: Status::Blocked,
                flaky: false,
                quarantined: false,
                deciding: 0,
                passed: false,
                failure_reason: Some(why),
            };
        };
        let status = match attempt.ending {
            SmokeFact::TimedOut => Status::Timeout,
            SmokeFact::Cancelled(_) => Status::Blocked,
            _ => Status::Fail,
        };
        let mut why = describe(attempt, timeout_sec);
        let failed = attempts.iter().filter(|a| !matches!(a.ending, SmokeFact::Cancelled(_))).count();
        if failed > 1 {
            why.push_str(&format!("; confirmed: all {failed} attempts failed"));
        }
        if let Some(stopped) = &smoke.retries_stopped {
            why.push_str(&format!("; not retried: {stopped}"));
        }
        return SmokeVerdict {
            status,
            flaky: false,
            quarantined: false,
            deciding: last,
            passed: false,
            failure_reason: Some(why),
        };
    };
    let flaky = pass > 0;
    let quarantined = attempts[pass].quarantined;
    if flaky && flaky_verdict == FlakyVerdict::Fail {
        let deciding = pass - 1;
        let why = format!(
            "flaky: attempt {} failed ({}) and attempt {} passed; --flaky-verdict fail counts that as a failure",
            deciding + 1,
            describe(&attempts[deciding], timeout_sec),
            pass + 1
        );
        return SmokeVerdict {
            status: Status::Fail,
            flaky,
            quarantined,
            deciding,
            passed: false,
            failure_reason: Some(why),
        };
    }
    let failure_reason = quarantined.then(|| {
        format!(
            "{}; only quarantined tests failed: {}",
            describe(&attempts[pass], timeout_sec),
            name_tests(&attempts[pass].failing_tests)
        )
    });
    SmokeVerdict {
        status: Status::Pass,
        flaky,
        quarantined,
        deciding: pass,
        passed: !quarantined,
        failure_reason,
    }
}

/// What one attempt did, as a sentence, naming its failing tests when they are known.
pub fn describe(attempt: &AttemptFact, timeout_sec: u64) -> String {
    let mut why = match &attempt.ending {
        SmokeFact::Exited(0) => "the smoke passed".to_owned(),
        SmokeFact::Exited(code) => format!("the smoke exited with code {code}"),
        SmokeFact::Signalled(sig) => format!("the smoke was killed by {}", signal_name(*sig)),
        SmokeFact::SpawnFailed(why) => format!("the smoke could not be started: {why}"),
        SmokeFact::TimedOut => {
            format!("the smoke did not finish within {timeout_sec}s; its process tree was killed")
        }
        SmokeFact::Cancelled(how) => {
            format!("the run was cancelled ({how}); the smoke's process tree was ended")
        }
    };
    if !attempt.failing_tests.is_empty() && !attempt.quarantined {
        why.push_str(&format!("; failing: {}", name_tests(&attempt.failing_tests)));
    }
    why
}

/// `a, b, c and 4 more`.
fn name_tests(ids: &[String]) -> String {
    let named = ids.iter().take(NAMED_TESTS).cloned().collect::<Vec<_>>().join(", ");
    match ids.len().saturating_sub(NAMED_TESTS) {
        0 => named,
        more => format!("{named} and {more} more"),
    }
}

pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

mod shards;

pub use shards::{ShardFact, ShardsVerdict, decide_shards};

#[cfg(test)]
mod tests;
