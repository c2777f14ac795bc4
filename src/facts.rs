//! What the edges observed, as plain data for [`crate::verdict::decide`]: why a run was
//! judged before any smoke (a preflight), how the smoke ended, and what the stale check
//! found. Nothing here touches the world; the modules that do hand these over.

use crate::envelope::ReasonCode;

/// Why the run was judged without running a smoke, found before anything was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub outcome: PreflightOutcome,
    pub code: ReasonCode,
    /// One sentence a person can act on.
    pub reason: String,
}

impl Preflight {
    pub fn block(code: ReasonCode, reason: impl Into<String>) -> Self {
        Preflight { outcome: PreflightOutcome::Block, code, reason: reason.into() }
    }

    pub fn skip(code: ReasonCode, reason: impl Into<String>) -> Self {
        Preflight { outcome: PreflightOutcome::Skip, code, reason: reason.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreflightOutcome {
    /// Nothing to judge here (e.g. a tag push): SKIPPED.
    Skip,
    /// The run cannot be judged (e.g. work tree not at the merge commit): BLOCKED.
    Block,
}

/// How one run of a smoke ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmokeFact {
    Exited(i32),
    Signalled(i32),
    SpawnFailed(String),
    TimedOut,
    /// The binary itself was asked to stop (SIGINT/SIGTERM) and ended the smoke.
    Cancelled(String),
}

/// One run (attempt) of a smoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptFact {
    pub ending: SmokeFact,
    /// The failing tests it reported, when any were found.
    pub failing_tests: Vec<String>,
    /// It failed, and every failing test is known and quarantined.
    pub quarantined: bool,
}

impl AttemptFact {
    pub fn new(ending: SmokeFact) -> Self {
        AttemptFact { ending, failing_tests: Vec::new(), quarantined: false }
    }

    /// It counts as passed: exit 0, or only quarantined tests failed.
    pub fn passed(&self) -> bool {
        self.ending == SmokeFact::Exited(0) || self.quarantined
    }
}

/// Every attempt of one smoke, in order (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeRunFact {
    pub name: String,
    pub attempts: Vec<AttemptFact>,
    /// Why no further attempt ran although retries were left (the smoke changed tracked
    /// files, say).
    pub retries_stopped: Option<String>,
}

/// What a flaky result (a failure, then a pass on the same commit) counts as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlakyVerdict {
    #[default]
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleFact {
    /// Main's head is still the merge commit.
    Fresh,
    /// Main's head moved past the merge commit.
    Stale,
    /// `--skip-stale-check`, or nothing to be stale against.
    Skipped,
    /// The check could not be made; the sentence says why.
    Unavailable(String),
    /// The binary was asked to stop while it checked.
    Cancelled(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub preflight: Option<Preflight>,
    /// The smokes that ran, in order; empty when none is defined (or dealt to this shard).
    pub smokes: Vec<SmokeRunFact>,
    /// This shard was dealt no smoke while other shards were.
    pub shard_empty: bool,
    pub dry_run: bool,
    pub stale: StaleFact,
    pub timeout_sec: u64,
    pub flaky_verdict: FlakyVerdict,
    /// The search for the first bad merge found main red before this merge.
    pub main_already_red: bool,
}
