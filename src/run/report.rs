//! The envelope of a run, assembled from what was observed and what was decided. Nothing
//! here decides: statuses and reasons come from the verdict, the rest is the record.

use std::time::SystemTime;

use super::attempts::{AttemptRecord, SmokeRun};
use crate::config::Shard;
use crate::env::CiEnv;
use crate::envelope::{
    Attempt, Bisection, Ci, DecisionBlock, Envelope, FailedTest, FailureSource, Failures, MAX_FAILURES,
    SCHEMA_VERSION, ShardRef, Smoke, SmokeResult, StaleCheck, Status, Tool,
};
use crate::escalation;
use crate::facts::{AttemptFact, Facts, SmokeFact, StaleFact};
use crate::failures::{self, Quarantine};
use crate::merge::Merge;
use crate::smoke_command::Resolution;
use crate::verdict::{self, SmokeVerdict, Verdict};

pub struct Parts<'a> {
    pub started_at: SystemTime,
    pub merge: Merge,
    pub bisection: Option<Bisection>,
    pub resolution: &'a Resolution,
    pub runs: &'a [SmokeRun],
    pub facts: &'a Facts,
    pub verdict: &'a Verdict,
    pub main_head: Option<String>,
    pub quarantine: &'a Quarantine,
    pub main_branch: &'a str,
    pub ci: &'a CiEnv,
    pub shard: Option<Shard>,
}

pub fn envelope(p: Parts<'_>) -> Envelope {
    let v = p.verdict;
    let smokes: Vec<Smoke> = p
        .runs
        .iter()
        .zip(&v.smokes)
        .map(|(run, sv)| smoke_entry(run, sv, p.resolution, p.quarantine, p.facts.timeout_sec, p.shard))
        .collect();
    let deciding = v.deciding_smoke.map(|i| (&p.runs[i], &v.smokes[i]));
    let deciding_attempt =
        deciding.map(|(run, sv)| (&run.attempts[sv.deciding], &run.fact.attempts[sv.deciding]));
    let command = match deciding {
        Some((run, _)) => run.planned.command.display.clone(),
        None => p.resolution.smokes.first().map(|s| s.command.display.clone()).unwrap_or_default(),
    };
    let stale_check = match p.facts.stale {
        StaleFact::Fresh | StaleFact::Stale => StaleCheck::Checked,
        StaleFact::Skipped => StaleCheck::Skipped,
        StaleFact::Unavailable(_) | StaleFact::Cancelled(_) => StaleCheck::Unavailable,
    };
    let mut envelope = Envelope {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        merge_commit: p.merge.merge_commit,
        task_id: p.resolution.task_id.clone(),
        status: v.status,
        allow_continuation: v.allow_continuation,
        stale: v.stale,
        stale_check,
        main_head: p.main_head,
        dry_run: p.facts.dry_run,
        duration_ms: p.runs.iter().map(run_millis).sum(),
        started_at: humantime::format_rfc3339_millis(p.started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        timeout_sec: p.facts.timeout_sec,
        smoke_command_source: p.resolution.source,
        smoke_result: SmokeResult {
            command,
            passed: v.passed,
            exit_code: deciding_attempt.and_then(|(_, fact)| exit_code(fact)),
            stdout_tail: deciding_attempt.map(|(a, _)| a.outcome.stdout.clone()).unwrap_or_default(),
            stderr_tail: deciding_attempt.map(|(a, _)| a.outcome.stderr.clone()).unwrap_or_default(),
            failure_reason: v.failure_reason.clone(),
        },
        decision: DecisionBlock { decision: v.decision, reason_codes: v.reason_codes.clone() },
        escalation: None,
        ci: Ci {
            provider: p.ci.provider().to_owned(),
            repository: p.ci.repository.clone(),
            git_ref: p.ci.git_ref.clone().or_else(|| Some(format!("refs/heads/{}", p.main_branch))),
            event: p.ci.event_name.clone(),
            run_id: p.ci.run_id.clone(),
            run_url: p.ci.run_url(),
        },
        culprit: p.merge.culprit,
        changed_paths: p.merge.changed_paths,
        notifications: p.merge.notifications,
        attempts: smokes.iter().flat_map(|s| s.attempts.iter().cloned()).collect(),
        flaky: v.flaky,
        failures: v.deciding_smoke.map(|i| smokes[i].failures.clone()).unwrap_or_default(),
        smokes,
        bisection: p.bisection,
        shard: p.shard.map(|s| ShardRef { index: s.index, total: s.total }),
        shards: Vec::new(),
    };
    if let Some((run, sv)) = deciding {
        let kind =
            if sv.flaky { "flaky" } else { escalation::failure_kind(&run.fact.attempts[sv.deciding].ending) };
        let tests = &run.fact.attempts[sv.deciding].failing_tests;
        envelope.escalation = escalation::packet(&envelope, p.main_branch, kind, tests);
    }
    envelope
}

fn smoke_entry(
    run: &SmokeRun,
    sv: &SmokeVerdict,
    resolution: &Resolution,
    quarantine: &Quarantine,
    timeout_sec: u64,
    shard: Option<Shard>,
) -> Smoke {
    let (record, fact) = (&run.attempts[sv.deciding], &run.fact.attempts[sv.deciding]);
    Smoke {
        name: run.planned.name.clone(),
        command: run.planned.command.display.clone(),
        source: resolution.source,
        status: sv.status,
        exit_code: exit_code(fact),
        duration_ms: run_millis(run),
        attempts: run
            .attempts
            .iter()
            .zip(&run.fact.attempts)
            .enumerate()
            .map(|(i, (record, fact))| attempt(i, record, fact, &run.planned.name, timeout_sec))
            .collect(),
        failures: failures(record, quarantine),
        flaky: sv.flaky,
        stdout_tail: record.outcome.stdout.clone(),
        stderr_tail: record.outcome.stderr.clone(),
        failure_reason: sv.failure_reason.clone(),
        shard: shard.map(|s| s.index),
    }
}

fn attempt(
    index: usize,
    record: &AttemptRecord,
    fact: &AttemptFact,
    smoke: &str,
    timeout_sec: u64,
) -> Attempt {
    let status = match fact.ending {
        SmokeFact::Exited(0) => Status::Pass,
        SmokeFact::TimedOut => Status::Timeout,
        SmokeFact::Cancelled(_) => Status::Blocked,
        _ => Status::Fail,
    };
    Attempt {
        attempt: u32::try_from(index + 1).unwrap_or(u32::MAX),
        status,
        exit_code: exit_code(fact),
        duration_ms: millis(record.outcome.duration),
        failing_tests: fact.failing_tests.clone(),
        failure_reason: (status != Status::Pass).then(|| verdict::describe(fact, timeout_sec)),
        smoke: smoke.to_owned(),
    }
}

/// The failing tests of one attempt, capped, quarantined ones marked.
fn failures(record: &AttemptRecord, quarantine: &Quarantine) -> Failures {
    let found = &record.found;
    Failures {
        source: match found.source {
            failures::Source::Junit => FailureSource::Junit,
            failures::Source::Output => FailureSource::Output,
            failures::Source::None => FailureSource::None,
        },
        tests: found
            .tests
            .iter()
            .take(MAX_FAILURES)
            .map(|t| FailedTest {
                id: t.id.clone(),
                message: t.message.clone(),
                quarantined: quarantine.matches(&t.id),
            })
            .collect(),
        omitted: found.tests.len().saturating_sub(MAX_FAILURES) as u64,
    }
}

fn exit_code(fact: &AttemptFact) -> Option<i32> {
    match fact.ending {
        SmokeFact::Exited(code) => Some(code),
        _ => None,
    }
}

/// A smoke's time as the sum of its attempts' rounded milliseconds, so the envelope's
/// `duration_ms` is exactly the sum of the `duration_ms` it lists (rounding the summed
/// durations instead can be off by one per attempt).
fn run_millis(run: &SmokeRun) -> u64 {
    run.attempts.iter().map(|a| millis(a.outcome.duration)).sum()
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
