//! `post-merge-smoke aggregate`: one verdict from the envelopes of an Actions matrix's
//! shards (contract section 10). A missing shard or a file that is not an envelope of this
//! run counts as BLOCKED, so a cancelled or skipped shard can never make the aggregate
//! green. The aggregate runs no git and no smoke; what it publishes, it publishes as `run`.

mod collect;

use std::time::SystemTime;

use crate::config::AggregateConfig;
use crate::env::CiEnv;
use crate::envelope::{
    Ci, CommandSource, DecisionBlock, Envelope, SCHEMA_VERSION, ShardSummary, SmokeResult, StaleCheck,
    Status, Tool,
};
use crate::verdict::{ShardFact, decide_shards};

pub use collect::{Collected, Expected};

/// The aggregate envelope, its exit code and one line for the log.
pub struct Aggregate {
    pub envelope: Envelope,
    pub exit_code: i32,
    pub summary: String,
    pub main_branch: String,
}

pub fn aggregate(config: &AggregateConfig, ci: &CiEnv) -> Aggregate {
    let started_at = SystemTime::now();
    let expected = Expected {
        total: config.shards,
        merge_commit: ci.sha.as_deref(),
        repository: ci.repository.as_deref(),
    };
    let collected = collect::collect(&config.envelopes, &expected)
        .unwrap_or_else(|why| Collected { others: vec![why], ..Collected::default() });
    let facts: Vec<ShardFact> = (1..=config.shards)
        .map(|index| match (collected.shards.get(&index), collected.mismatched.get(&index)) {
            (_, Some(why)) => ShardFact::Mismatch(why.clone()),
            (Some((envelope, _)), None) => ShardFact::Present {
                status: envelope.status,
                reason_codes: envelope.decision.reason_codes.clone(),
                stale: envelope.stale,
            },
            (None, None) => ShardFact::Missing,
        })
        .collect();
    let verdict = decide_shards(&facts, &collected.others);
    let shards: Vec<&Envelope> = collected.shards.values().map(|(e, _)| e).collect();
    let deciding = verdict.deciding.and_then(|i| collected.shards.get(&(i as u32 + 1))).map(|(e, _)| e);
    // What is not the deciding shard's is the first shard's, where there is one.
    let base = deciding.or_else(|| shards.first().copied());
    let main_branch = config
        .main_branch
        .clone()
        .or_else(|| base?.ci.git_ref.as_deref()?.strip_prefix("refs/heads/").map(str::to_owned))
        .or_else(|| ci.branch().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());

    let failure_reason = match (&verdict.problem, deciding) {
        (Some(problem), None) => Some(problem.clone()),
        (_, Some(shard)) => shard.smoke_result.failure_reason.clone(),
        (None, None) => None,
    };
    let smoke_result = match deciding {
        Some(shard) => SmokeResult { failure_reason: failure_reason.clone(), ..shard.smoke_result.clone() },
        None => SmokeResult {
            command: base.map(|b| b.smoke_result.command.clone()).unwrap_or_default(),
            passed: false,
            exit_code: None,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            failure_reason: failure_reason.clone(),
        },
    };
    let stale_check = if shards.iter().any(|s| s.stale_check == StaleCheck::Unavailable) {
        StaleCheck::Unavailable
    } else if !shards.is_empty() && shards.iter().all(|s| s.stale_check == StaleCheck::Checked) {
        StaleCheck::Checked
    } else {
        StaleCheck::Skipped
    };
    let mut envelope = Envelope {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        merge_commit: base.map(|b| b.merge_commit.clone()).or_else(|| ci.sha.clone()).unwrap_or_default(),
        task_id: base.and_then(|b| b.task_id.clone()),
        status: verdict.status,
        allow_continuation: verdict.allow_continuation,
        stale: verdict.stale,
        stale_check,
        main_head: shards.iter().find_map(|s| s.main_head.clone()),
        dry_run: base.is_some_and(|b| b.dry_run),
        duration_ms: shards.iter().map(|s| s.duration_ms).max().unwrap_or(0),
        started_at: humantime::format_rfc3339_millis(started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        timeout_sec: shards.iter().map(|s| s.timeout_sec).max().unwrap_or(0),
        smoke_command_source: base.map_or(CommandSource::None, |b| b.smoke_command_source),
        smoke_result,
        decision: DecisionBlock { decision: verdict.decision, reason_codes: verdict.reason_codes.clone() },
        escalation: None,
        ci: Ci {
            provider: ci.provider().to_owned(),
            repository: ci.repository.clone().or_else(|| base?.ci.repository.clone()),
            git_ref: ci.git_ref.clone().or_else(|| Some(format!("refs/heads/{main_branch}"))),
            event: ci.event_name.clone(),
            run_id: ci.run_id.clone(),
            run_url: ci.run_url(),
        },
        culprit: deciding.and_then(|d| d.culprit.clone()),
        changed_paths: base.and_then(|b| b.changed_paths.clone()),
        notifications: Vec::new(),
        attempts: shards.iter().flat_map(|s| s.attempts.iter().cloned()).collect(),
        flaky: shards.iter().any(|s| s.flaky),
        failures: deciding.map(|d| d.failures.clone()).unwrap_or_default(),
        smokes: shards.iter().flat_map(|s| s.smokes.iter().cloned()).collect(),
        bisection: deciding.and_then(|d| d.bisection.clone()),
        shard: None,
        shards: (1..=config.shards)
            .map(|index| {
                let shard = collected.shards.get(&index).map(|(e, _)| e);
                ShardSummary {
                    index,
                    status: shard.map_or(Status::Blocked, |s| s.status),
                    duration_ms: shard.map_or(0, |s| s.duration_ms),
                }
            })
            .collect(),
    };
    // The deciding shard's packet is the aggregate's (its culprit and fingerprint).
    if matches!(envelope.status, Status::Fail | Status::Timeout) {
        envelope.escalation = deciding.and_then(|d| d.escalation.clone());
    }
    let summary = match (&failure_reason, envelope.status) {
        (Some(why), _) => why.clone(),
        (None, Status::Skipped) => format!("none of the {} shards had a smoke to run", config.shards),
        (None, _) => format!("all {} shards passed", config.shards),
    };
    Aggregate { envelope, exit_code: verdict.exit_code, summary, main_branch }
}
