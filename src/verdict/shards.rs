//! The aggregate's decision over its shards (contract section 10): the first of FAIL,
//! TIMEOUT, BLOCKED, PASS, SKIPPED present among the shards, a missing or mismatched shard
//! counting as BLOCKED, so the aggregate can never be green on missing evidence.

use crate::envelope::{Decision, ReasonCode, Status};

/// What the aggregate found for one shard index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardFact {
    /// Its envelope: status, reason codes, whether it saw main move on.
    Present { status: Status, reason_codes: Vec<ReasonCode>, stale: bool },
    /// No envelope for this index.
    Missing,
    /// A file that claims this index (or no valid one) is not an envelope of this run; the
    /// sentence names the file and the problem.
    Mismatch(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardsVerdict {
    pub status: Status,
    pub allow_continuation: bool,
    pub stale: bool,
    pub decision: Decision,
    pub reason_codes: Vec<ReasonCode>,
    pub exit_code: i32,
    /// The shard (index in the slice) whose status is the aggregate's, the first such.
    pub deciding: Option<usize>,
    /// Why, when a missing or mismatched shard decided.
    pub problem: Option<String>,
}

/// `shards[i]` is shard `i + 1`; `others` are files that match no shard of this run.
pub fn decide_shards(shards: &[ShardFact], others: &[String]) -> ShardsVerdict {
    let status_of = |fact: &ShardFact| match fact {
        ShardFact::Present { status, .. } => *status,
        ShardFact::Missing | ShardFact::Mismatch(_) => Status::Blocked,
    };
    let mut status = [Status::Fail, Status::Timeout, Status::Blocked, Status::Pass, Status::Skipped]
        .into_iter()
        .find(|wanted| shards.iter().any(|s| status_of(s) == *wanted))
        .unwrap_or(Status::Blocked);
    let mut deciding = shards.iter().position(|s| status_of(s) == status);
    let missing: Vec<String> = shards
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, ShardFact::Missing))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let mismatches: Vec<&str> = shards
        .iter()
        .filter_map(|s| match s {
            ShardFact::Mismatch(why) => Some(why.as_str()),
            _ => None,
        })
        .chain(others.iter().map(String::as_str))
        .collect();
    // A stray file is no evidence of anything: it holds merges like a missing shard.
    if !others.is_empty() && matches!(status, Status::Pass | Status::Skipped) {
        status = Status::Blocked;
        deciding = None;
    }

    let mut reason_codes = Vec::new();
    let mut push = |code: ReasonCode| {
        if !reason_codes.contains(&code) {
            reason_codes.push(code);
        }
    };
    let problem_decides =
        status == Status::Blocked && deciding.is_none_or(|i| !matches!(shards[i], ShardFact::Present { .. }));
    if problem_decides {
        if !missing.is_empty() {
            push(ReasonCode::ShardMissing);
        }
        if !mismatches.is_empty() {
            push(ReasonCode::ShardMismatch);
        }
    }
    // The deciding shard's codes first, then every other shard's, in shard order.
    let order = deciding.into_iter().chain((0..shards.len()).filter(|i| Some(*i) != deciding));
    for i in order {
        if let ShardFact::Present { reason_codes: codes, .. } = &shards[i] {
            codes.iter().copied().for_each(&mut push);
        }
    }
    if !missing.is_empty() {
        push(ReasonCode::ShardMissing);
    }
    if !mismatches.is_empty() {
        push(ReasonCode::ShardMismatch);
    }

    let stale = shards.iter().any(|s| matches!(s, ShardFact::Present { stale: true, .. }));
    let (allow_continuation, decision, exit_code) = super::consequences(status, stale);
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("no envelope for shard {} of {}", missing.join(", "), shards.len()));
    }
    problems.extend(mismatches.iter().map(|m| (*m).to_owned()));
    ShardsVerdict {
        status,
        allow_continuation,
        stale,
        decision,
        reason_codes,
        exit_code,
        deciding: deciding.filter(|i| matches!(shards[*i], ShardFact::Present { .. })),
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReasonCode::*;
    use Status::*;

    fn present(status: Status, codes: &[ReasonCode]) -> ShardFact {
        ShardFact::Present { status, reason_codes: codes.to_vec(), stale: false }
    }

    fn pass() -> ShardFact {
        present(Pass, &[PostMergeSmokePass])
    }

    #[test]
    fn all_green_is_green_and_one_red_is_red() {
        let v = decide_shards(&[pass(), pass(), pass()], &[]);
        assert_eq!((v.status, v.allow_continuation, v.exit_code), (Pass, true, 0));
        let v = decide_shards(&[pass(), present(Fail, &[PostMergeSmokeFail]), pass()], &[]);
        assert_eq!((v.status, v.exit_code, v.deciding), (Fail, 1, Some(1)));
        assert_eq!(v.reason_codes, vec![PostMergeSmokeFail, PostMergeSmokePass]);
    }

    #[test]
    fn the_order_is_fail_timeout_blocked_pass_skipped() {
        let timeout = present(Timeout, &[PostMergeSmokeTimeout]);
        let skipped = present(Skipped, &[ShardEmpty]);
        let blocked = present(Blocked, &[RunCancelled]);
        assert_eq!(decide_shards(&[timeout.clone(), present(Fail, &[PostMergeSmokeFail])], &[]).status, Fail);
        assert_eq!(decide_shards(&[blocked.clone(), timeout], &[]).status, Timeout);
        assert_eq!(decide_shards(&[pass(), blocked], &[]).status, Blocked);
        let v = decide_shards(&[skipped.clone(), pass()], &[]);
        assert_eq!((v.status, v.allow_continuation), (Pass, true));
        let v = decide_shards(&[skipped.clone(), skipped], &[]);
        assert_eq!((v.status, v.allow_continuation, v.exit_code), (Skipped, true, 0));
    }

    #[test]
    fn a_missing_or_mismatched_shard_can_never_be_green() {
        let v = decide_shards(&[pass(), ShardFact::Missing, pass()], &[]);
        assert_eq!((v.status, v.exit_code, v.deciding), (Blocked, 4, None));
        assert_eq!(v.reason_codes, vec![ShardMissing, PostMergeSmokePass]);
        assert_eq!(v.problem.as_deref(), Some("no envelope for shard 2 of 3"));
        let v = decide_shards(&[pass(), ShardFact::Mismatch("`b.json`: another commit".into())], &[]);
        assert_eq!(v.reason_codes, vec![ShardMismatch, PostMergeSmokePass]);
        let v = decide_shards(&[pass()], &["`junk.json` is not an envelope".into()]);
        assert_eq!((v.status, v.reason_codes.clone()), (Blocked, vec![ShardMismatch, PostMergeSmokePass]));
        // A failure still decides, and the missing shard is said too.
        let v = decide_shards(&[present(Fail, &[PostMergeSmokeFail]), ShardFact::Missing], &[]);
        assert_eq!((v.status, v.reason_codes), (Fail, vec![PostMergeSmokeFail, ShardMissing]));
    }

    #[test]
    fn any_stale_shard_makes_the_aggregate_stale() {
        let stale = ShardFact::Present {
            status: Pass,
            reason_codes: vec![PostMergeSmokePass, MainHeadStale],
            stale: true,
        };
        let v = decide_shards(&[pass(), stale], &[]);
        assert_eq!((v.status, v.stale, v.allow_continuation, v.exit_code), (Pass, true, false, 5));
        assert_eq!(v.reason_codes, vec![PostMergeSmokePass, MainHeadStale]);
    }
}
