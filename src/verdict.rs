//! The one pure function of the tool: plain facts about a run go in, the status, the
//! decision, the reason codes and the exit code come out (contract section 2).
//!
//! Everything that touches the world (git, processes, files, the network) happens before
//! this and hands over a [`Facts`]; everything that writes happens after it. The table
//! test at the bottom mirrors the contract's tables line by line.

use crate::envelope::{Decision, ReasonCode, Status};
use crate::exit_codes;
use crate::facts::{Facts, PreflightOutcome, SmokeFact, StaleFact};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub allow_continuation: bool,
    pub stale: bool,
    pub decision: Decision,
    pub reason_codes: Vec<ReasonCode>,
    pub exit_code: i32,
    /// `smoke_result.passed`: the smoke ran and exited 0 in time.
    pub passed: bool,
    /// `smoke_result.failure_reason`: why the smoke did not pass, when it did not.
    pub failure_reason: Option<String>,
    /// One line explaining the verdict as a whole, stale check included.
    pub summary: String,
}

pub fn decide(facts: &Facts) -> Verdict {
    let (mut status, code, failure_reason) = classify(facts);
    let passed = matches!(facts.smoke, SmokeFact::Exited(0)) && facts.preflight.is_none();
    let mut reason_codes = vec![code];
    let mut summary = failure_reason.clone().unwrap_or_else(|| "the smoke passed".to_owned());
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

    let allow_continuation = matches!(status, Status::Pass | Status::Skipped) && !stale;
    let exit_code = match status {
        Status::Pass | Status::Skipped if stale => exit_codes::STALE,
        Status::Pass | Status::Skipped => exit_codes::OK,
        Status::Fail => exit_codes::FAIL,
        Status::Timeout => exit_codes::TIMEOUT,
        Status::Blocked => exit_codes::BLOCKED,
    };
    Verdict {
        status,
        allow_continuation,
        stale,
        decision: if allow_continuation { Decision::AllowContinuation } else { Decision::Halt },
        reason_codes,
        exit_code,
        passed,
        failure_reason,
        summary,
    }
}

/// The status and the most important reason, before the stale check has its say.
fn classify(facts: &Facts) -> (Status, ReasonCode, Option<String>) {
    if let Some(pre) = &facts.preflight {
        let status = match pre.outcome {
            PreflightOutcome::Skip => Status::Skipped,
            PreflightOutcome::Block => Status::Blocked,
        };
        return (status, pre.code, Some(pre.reason.clone()));
    }
    match &facts.smoke {
        SmokeFact::NotDefined if facts.dry_run => (
            Status::Skipped,
            ReasonCode::SmokeSkippedDryRun,
            Some("no smoke command is defined; dry run, so nothing ran".to_owned()),
        ),
        SmokeFact::NotDefined => (
            Status::Blocked,
            ReasonCode::SmokeCommandMissing,
            Some(
                "no smoke command is defined (give --command, a task file or a registry, \
                 or --dry-run to allow this)"
                    .to_owned(),
            ),
        ),
        SmokeFact::Exited(0) => (Status::Pass, ReasonCode::PostMergeSmokePass, None),
        SmokeFact::Exited(code) => fail(format!("the smoke exited with code {code}")),
        SmokeFact::Signalled(sig) => fail(format!("the smoke was killed by {}", signal_name(*sig))),
        SmokeFact::SpawnFailed(why) => fail(format!("the smoke could not be started: {why}")),
        SmokeFact::TimedOut => (
            Status::Timeout,
            ReasonCode::PostMergeSmokeTimeout,
            Some(format!(
                "the smoke did not finish within {}s; its process tree was killed",
                facts.timeout_sec
            )),
        ),
        SmokeFact::Cancelled(how) => (
            Status::Blocked,
            ReasonCode::RunCancelled,
            Some(format!("the run was cancelled ({how}); the smoke's process tree was ended")),
        ),
    }
}

fn fail(reason: String) -> (Status, ReasonCode, Option<String>) {
    (Status::Fail, ReasonCode::PostMergeSmokeFail, Some(reason))
}

pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Preflight;
    use ReasonCode::*;
    use Status::*;

    fn facts(smoke: SmokeFact, dry_run: bool, stale: StaleFact) -> Facts {
        Facts { preflight: None, smoke, dry_run, stale, timeout_sec: 600 }
    }

    /// smoke, dry run, stale fact -> status, allow_continuation, exit code, reason codes.
    type Row = (SmokeFact, bool, StaleFact, Status, bool, i32, Vec<ReasonCode>);

    fn unavailable() -> StaleFact {
        StaleFact::Unavailable("no remote".into())
    }

    #[test]
    fn contract_table() {
        use SmokeFact as S;
        use StaleFact as T;
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            // Section 2: statuses, decisions and exit codes.
            (S::Exited(0), false, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass]),
            (S::Exited(0), false, T::Stale, Pass, false, 5, vec![PostMergeSmokePass, MainHeadStale]),
            (S::Exited(0), false, T::Skipped, Pass, true, 0, vec![PostMergeSmokePass]),
            (S::Exited(0), false, unavailable(), Blocked, false, 4, vec![StaleCheckUnavailable, PostMergeSmokePass]),
            (S::Exited(2), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
            (S::Exited(2), false, T::Stale, Fail, false, 1, vec![PostMergeSmokeFail, MainHeadStale]),
            (S::Exited(2), false, unavailable(), Fail, false, 1, vec![PostMergeSmokeFail, StaleCheckUnavailable]),
            (S::Signalled(9), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
            (S::SpawnFailed("not found".into()), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
            (S::TimedOut, false, T::Fresh, Timeout, false, 3, vec![PostMergeSmokeTimeout]),
            (S::TimedOut, false, T::Stale, Timeout, false, 3, vec![PostMergeSmokeTimeout, MainHeadStale]),
            (S::TimedOut, false, unavailable(), Timeout, false, 3, vec![PostMergeSmokeTimeout, StaleCheckUnavailable]),
            (S::Cancelled("SIGINT".into()), false, T::Skipped, Blocked, false, 4, vec![RunCancelled]),
            (S::Exited(0), false, T::Cancelled("SIGTERM".into()), Blocked, false, 4, vec![RunCancelled, PostMergeSmokePass]),
            (S::Exited(1), false, T::Cancelled("SIGTERM".into()), Fail, false, 1, vec![PostMergeSmokeFail, RunCancelled]),
            // The missing-smoke policy: four cases of defined x dry-run.
            (S::Exited(0), true, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass]),
            (S::Exited(1), true, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
            (S::NotDefined, true, T::Fresh, Skipped, true, 0, vec![SmokeSkippedDryRun]),
            (S::NotDefined, true, T::Stale, Skipped, false, 5, vec![SmokeSkippedDryRun, MainHeadStale]),
            (S::NotDefined, true, unavailable(), Blocked, false, 4, vec![StaleCheckUnavailable, SmokeSkippedDryRun]),
            (S::NotDefined, false, T::Fresh, Blocked, false, 4, vec![SmokeCommandMissing]),
            (S::NotDefined, false, T::Stale, Blocked, false, 4, vec![SmokeCommandMissing, MainHeadStale]),
        ];
        for (smoke, dry_run, stale, status, allow, exit, codes) in rows {
            let label = format!("{smoke:?} dry_run={dry_run} {stale:?}");
            let v = decide(&facts(smoke, dry_run, stale));
            assert_eq!(v.status, status, "{label}");
            assert_eq!(v.allow_continuation, allow, "{label}");
            assert_eq!(v.exit_code, exit, "{label}");
            assert_eq!(v.reason_codes, codes, "{label}");
            let want = if allow { Decision::AllowContinuation } else { Decision::Halt };
            assert_eq!(v.decision, want, "{label}");
        }
    }

    #[test]
    fn preflight_block_wins_and_never_passes() {
        let mut f = facts(SmokeFact::NotDefined, true, StaleFact::Fresh);
        f.preflight = Some(Preflight {
            outcome: PreflightOutcome::Block,
            code: WorktreeMismatch,
            reason: "HEAD is abc, not the merge commit def".into(),
        });
        let v = decide(&f);
        assert_eq!((v.status, v.exit_code, v.passed), (Blocked, 4, false));
        assert_eq!(v.reason_codes, vec![WorktreeMismatch]);
        assert_eq!(v.failure_reason.as_deref(), Some("HEAD is abc, not the merge commit def"));
    }

    #[test]
    fn preflight_skip_allows_unless_stale() {
        let mut f = facts(SmokeFact::NotDefined, false, StaleFact::Skipped);
        f.preflight = Some(Preflight {
            outcome: PreflightOutcome::Skip,
            code: NotAMergePush,
            reason: "tag push".into(),
        });
        let v = decide(&f);
        assert_eq!((v.status, v.allow_continuation, v.exit_code), (Skipped, true, 0));
    }

    #[test]
    fn only_a_clean_exit_counts_as_passed() {
        assert!(decide(&facts(SmokeFact::Exited(0), false, StaleFact::Stale)).passed);
        assert!(decide(&facts(SmokeFact::Exited(0), false, unavailable())).passed);
        for smoke in [SmokeFact::Exited(1), SmokeFact::TimedOut, SmokeFact::NotDefined] {
            let v = decide(&facts(smoke, true, StaleFact::Fresh));
            assert!(!v.passed);
            assert!(v.failure_reason.is_some());
        }
    }

    #[test]
    fn failure_reasons_say_what_happened() {
        let reason = |s| decide(&facts(s, false, StaleFact::Fresh)).failure_reason.unwrap_or_default();
        assert_eq!(reason(SmokeFact::Exited(3)), "the smoke exited with code 3");
        assert_eq!(reason(SmokeFact::Signalled(9)), "the smoke was killed by SIGKILL");
        assert!(reason(SmokeFact::TimedOut).contains("within 600s"));
    }
}
