//! The contract's tables, row by row (sections 2, 8 and 10).

use super::*;
use crate::facts::Preflight;
use ReasonCode::*;
use Status::*;

/// How a run went: nothing defined, or one smoke whose attempts ended so.
#[derive(Debug, Clone)]
enum Run {
    NotDefined,
    Attempts(Vec<SmokeFact>),
}

fn one(ending: SmokeFact) -> Run {
    Run::Attempts(vec![ending])
}

fn smoke(name: &str, endings: Vec<SmokeFact>) -> SmokeRunFact {
    SmokeRunFact {
        name: name.to_owned(),
        attempts: endings.into_iter().map(AttemptFact::new).collect(),
        retries_stopped: None,
    }
}

fn facts(run: Run, dry_run: bool, stale: StaleFact) -> Facts {
    let smokes = match run {
        Run::NotDefined => Vec::new(),
        Run::Attempts(endings) => vec![smoke("cli", endings)],
    };
    Facts {
        preflight: None,
        smokes,
        shard_empty: false,
        dry_run,
        stale,
        timeout_sec: 600,
        flaky_verdict: FlakyVerdict::Pass,
        main_already_red: false,
    }
}

/// run, dry run, stale fact -> status, allow_continuation, exit code, reason codes.
type Row = (Run, bool, StaleFact, Status, bool, i32, Vec<ReasonCode>);

fn unavailable() -> StaleFact {
    StaleFact::Unavailable("no remote".into())
}

fn check(rows: Vec<Row>) {
    for (run, dry_run, stale, status, allow, exit, codes) in rows {
        let label = format!("{run:?} dry_run={dry_run} {stale:?}");
        let v = decide(&facts(run, dry_run, stale));
        assert_eq!(v.status, status, "{label}");
        assert_eq!(v.allow_continuation, allow, "{label}");
        assert_eq!(v.exit_code, exit, "{label}");
        assert_eq!(v.reason_codes, codes, "{label}");
        let want = if allow { Decision::AllowContinuation } else { Decision::Halt };
        assert_eq!(v.decision, want, "{label}");
    }
}

#[test]
fn contract_table() {
    use SmokeFact as S;
    use StaleFact as T;
    #[rustfmt::skip]
    check(vec![
        // Section 2: statuses, decisions and exit codes.
        (one(S::Exited(0)), false, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass]),
        (one(S::Exited(0)), false, T::Stale, Pass, false, 5, vec![PostMergeSmokePass, MainHeadStale]),
        (one(S::Exited(0)), false, T::Skipped, Pass, true, 0, vec![PostMergeSmokePass]),
        (one(S::Exited(0)), false, unavailable(), Blocked, false, 4, vec![StaleCheckUnavailable, PostMergeSmokePass]),
        (one(S::Exited(2)), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        (one(S::Exited(2)), false, T::Stale, Fail, false, 1, vec![PostMergeSmokeFail, MainHeadStale]),
        (one(S::Exited(2)), false, unavailable(), Fail, false, 1, vec![PostMergeSmokeFail, StaleCheckUnavailable]),
        (one(S::Signalled(9)), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        (one(S::SpawnFailed("not found".into())), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        (one(S::TimedOut), false, T::Fresh, Timeout, false, 3, vec![PostMergeSmokeTimeout]),
        (one(S::TimedOut), false, T::Stale, Timeout, false, 3, vec![PostMergeSmokeTimeout, MainHeadStale]),
        (one(S::TimedOut), false, unavailable(), Timeout, false, 3, vec![PostMergeSmokeTimeout, StaleCheckUnavailable]),
        (one(S::Cancelled("SIGINT".into())), false, T::Skipped, Blocked, false, 4, vec![RunCancelled]),
        (one(S::Exited(0)), false, T::Cancelled("SIGTERM".into()), Blocked, false, 4, vec![RunCancelled, PostMergeSmokePass]),
        (one(S::Exited(1)), false, T::Cancelled("SIGTERM".into()), Fail, false, 1, vec![PostMergeSmokeFail, RunCancelled]),
        // The missing-smoke policy: four cases of defined x dry-run.
        (one(S::Exited(0)), true, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass]),
        (one(S::Exited(1)), true, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        (Run::NotDefined, true, T::Fresh, Skipped, true, 0, vec![SmokeSkippedDryRun]),
        (Run::NotDefined, true, T::Stale, Skipped, false, 5, vec![SmokeSkippedDryRun, MainHeadStale]),
        (Run::NotDefined, true, unavailable(), Blocked, false, 4, vec![StaleCheckUnavailable, SmokeSkippedDryRun]),
        (Run::NotDefined, false, T::Fresh, Blocked, false, 4, vec![SmokeCommandMissing]),
        (Run::NotDefined, false, T::Stale, Blocked, false, 4, vec![SmokeCommandMissing, MainHeadStale]),
    ]);
}

#[test]
fn confirmation_table() {
    use SmokeFact as S;
    use StaleFact as T;
    let attempts = |endings: &[S]| Run::Attempts(endings.to_vec());
    #[rustfmt::skip]
    check(vec![
        // Section 8: no attempt passed: the last decides, confirmed.
        (attempts(&[S::Exited(1), S::Exited(1), S::Exited(1)]), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        (attempts(&[S::Exited(1), S::TimedOut]), false, T::Fresh, Timeout, false, 3, vec![PostMergeSmokeTimeout]),
        (attempts(&[S::TimedOut, S::Exited(1)]), false, T::Fresh, Fail, false, 1, vec![PostMergeSmokeFail]),
        // A failure, then a pass: flaky, PASS by default.
        (attempts(&[S::Exited(1), S::Exited(0)]), false, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass, SmokeFlaky]),
        (attempts(&[S::TimedOut, S::Exited(0)]), false, T::Fresh, Pass, true, 0, vec![PostMergeSmokePass, SmokeFlaky]),
        (attempts(&[S::Exited(1), S::Exited(0)]), false, T::Stale, Pass, false, 5, vec![PostMergeSmokePass, SmokeFlaky, MainHeadStale]),
        // Cancelled between attempts: the evidence is incomplete, no green.
        (attempts(&[S::Exited(1), S::Cancelled("SIGTERM".into())]), false, T::Skipped, Blocked, false, 4, vec![RunCancelled]),
    ]);
}

#[test]
fn flaky_verdict_fail_makes_a_flaky_result_a_failure_that_keeps_its_code() {
    let mut f =
        facts(Run::Attempts(vec![SmokeFact::Exited(1), SmokeFact::Exited(0)]), false, StaleFact::Fresh);
    f.flaky_verdict = FlakyVerdict::Fail;
    let v = decide(&f);
    assert_eq!((v.status, v.exit_code, v.passed), (Fail, 1, false));
    assert_eq!(v.reason_codes, vec![PostMergeSmokeFail, SmokeFlaky]);
    assert_eq!(v.smokes[0].deciding, 0, "the failing attempt decides");
    assert!(v.failure_reason.unwrap_or_default().contains("attempt 1 failed (the smoke exited with code 1)"));
}

#[test]
fn quarantined_failures_pass_and_say_which_tests() {
    let mut f = facts(Run::Attempts(vec![SmokeFact::Exited(1)]), false, StaleFact::Fresh);
    f.smokes[0].attempts[0].failing_tests = vec!["tests/t.py::test_flaky".into()];
    f.smokes[0].attempts[0].quarantined = true;
    let v = decide(&f);
    assert_eq!((v.status, v.allow_continuation, v.exit_code), (Pass, true, 0));
    assert_eq!(v.reason_codes, vec![PostMergeSmokePass, SmokeQuarantined]);
    assert!(!v.passed, "smoke_result tells the truth of that attempt");
    let reason = v.failure_reason.unwrap_or_default();
    assert!(reason.contains("only quarantined tests failed: tests/t.py::test_flaky"), "{reason}");
}

#[test]
fn a_confirmed_failure_names_its_tests_and_the_attempts() {
    let mut f = facts(Run::Attempts(vec![SmokeFact::Exited(1); 3]), false, StaleFact::Fresh);
    f.smokes[0].attempts[2].failing_tests = (1..=5).map(|i| format!("t{i}")).collect();
    let reason = decide(&f).failure_reason.unwrap_or_default();
    assert_eq!(
        reason,
        "the smoke exited with code 1; failing: t1, t2, t3 and 2 more; confirmed: all 3 attempts failed"
    );
    f.smokes[0].attempts.truncate(1);
    f.smokes[0].retries_stopped = Some("it changed tracked files: `a.txt`".into());
    let reason = decide(&f).failure_reason.unwrap_or_default();
    assert!(reason.ends_with("; not retried: it changed tracked files: `a.txt`"), "{reason}");
}

#[test]
fn several_smokes_fail_before_they_time_out_before_they_pass() {
    let mut f = facts(Run::NotDefined, false, StaleFact::Fresh);
    f.smokes = vec![
        smoke("api/**", vec![SmokeFact::Exited(0)]),
        smoke("web/**", vec![SmokeFact::TimedOut]),
        smoke("db/**", vec![SmokeFact::Exited(3)]),
        smoke("docs/**", vec![SmokeFact::Exited(4)]),
    ];
    let v = decide(&f);
    assert_eq!((v.status, v.deciding_smoke), (Fail, Some(2)), "the first failing smoke decides");
    assert_eq!(v.failure_reason.as_deref(), Some("smoke `db/**`: the smoke exited with code 3"));
    f.smokes.truncate(2);
    let v = decide(&f);
    assert_eq!((v.status, v.deciding_smoke), (Timeout, Some(1)));
    f.smokes[1] = smoke("web/**", vec![SmokeFact::Exited(1), SmokeFact::Exited(0)]);
    let v = decide(&f);
    assert_eq!((v.status, v.deciding_smoke, v.flaky), (Pass, Some(0), true));
    assert_eq!(v.reason_codes, vec![PostMergeSmokePass, SmokeFlaky]);
}

#[test]
fn a_main_already_red_keeps_the_failure_and_says_so() {
    let mut f = facts(one(SmokeFact::Exited(1)), false, StaleFact::Fresh);
    f.main_already_red = true;
    let v = decide(&f);
    assert_eq!((v.status, v.exit_code), (Fail, 1));
    assert_eq!(v.reason_codes, vec![PostMergeSmokeFail, MainAlreadyRed]);
}

#[test]
fn an_empty_shard_is_skipped_and_lets_merges_continue() {
    let mut f = facts(Run::NotDefined, false, StaleFact::Skipped);
    f.shard_empty = true;
    let v = decide(&f);
    assert_eq!((v.status, v.allow_continuation, v.exit_code), (Skipped, true, 0));
    assert_eq!(v.reason_codes, vec![ShardEmpty]);
}

#[test]
fn preflight_block_wins_and_never_passes() {
    let mut f = facts(Run::NotDefined, true, StaleFact::Fresh);
    f.preflight = Some(Preflight::block(WorktreeMismatch, "HEAD is abc, not the merge commit def"));
    let v = decide(&f);
    assert_eq!((v.status, v.exit_code, v.passed), (Blocked, 4, false));
    assert_eq!(v.reason_codes, vec![WorktreeMismatch]);
    assert_eq!(v.failure_reason.as_deref(), Some("HEAD is abc, not the merge commit def"));
}

#[test]
fn preflight_skip_allows_unless_stale() {
    let mut f = facts(Run::NotDefined, false, StaleFact::Skipped);
    f.preflight = Some(Preflight::skip(NotAMergePush, "tag push"));
    let v = decide(&f);
    assert_eq!((v.status, v.allow_continuation, v.exit_code), (Skipped, true, 0));
}

#[test]
fn only_a_clean_exit_counts_as_passed() {
    assert!(decide(&facts(one(SmokeFact::Exited(0)), false, StaleFact::Stale)).passed);
    assert!(decide(&facts(one(SmokeFact::Exited(0)), false, unavailable())).passed);
    for run in [one(SmokeFact::Exited(1)), one(SmokeFact::TimedOut), Run::NotDefined] {
        let v = decide(&facts(run, true, StaleFact::Fresh));
        assert!(!v.passed);
        assert!(v.failure_reason.is_some());
    }
}

#[test]
fn failure_reasons_say_what_happened() {
    let reason = |s| decide(&facts(one(s), false, StaleFact::Fresh)).failure_reason.unwrap_or_default();
    assert_eq!(reason(SmokeFact::Exited(3)), "the smoke exited with code 3");
    assert_eq!(reason(SmokeFact::Signalled(9)), "the smoke was killed by SIGKILL");
    assert!(reason(SmokeFact::TimedOut).contains("within 600s"));
}
