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

/// How the smoke itself ended, or why it never started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmokeFact {
    /// No smoke command was defined anywhere.
    NotDefined,
    Exited(i32),
    Signalled(i32),
    SpawnFailed(String),
    TimedOut,
    /// The binary itself was asked to stop (SIGINT/SIGTERM) and ended the smoke.
    Cancelled(String),
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
    pub smoke: SmokeFact,
    pub dry_run: bool,
    pub stale: StaleFact,
    pub timeout_sec: u64,
}
