//! The envelope's sections of contract sections 8 to 10: the attempts and failing tests of
//! a confirmed failure, each smoke of a run, the search for the first bad merge, and the
//! shards of a sharded run. Wire types only, like the rest of [`super`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CommandSource, Status, nullable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShardRef {
    /// From 1.
    pub index: u32,
    pub total: u32,
}

/// One shard as the aggregate saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShardSummary {
    pub index: u32,
    /// The shard's status; `BLOCKED` when it is missing or not an envelope of this run.
    pub status: Status,
    pub duration_ms: u64,
}

/// The first bad merge on main's first-parent chain (contract section 9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bisection {
    pub result: BisectionResult,
    /// The newest commit known to pass.
    #[schemars(required, schema_with = "nullable::<String>")]
    pub good: Option<String>,
    /// The oldest commit known to fail.
    pub bad: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub first_bad: Option<String>,
    /// What was found, or why the search stopped or did not run.
    pub reason: String,
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BisectionResult {
    /// The first commit that fails while its parent passes.
    Found,
    /// The known-good end fails too: main was red before this merge.
    AlreadyRed,
    /// The probes ran out between `good` and `bad`.
    Range,
    /// No search: disabled, no history, no remote, or nothing to search.
    Skipped,
}

/// One commit the smoke was run on, in a worktree of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    pub commit: String,
    /// `PASS`, `FAIL` or `TIMEOUT` (a flaky pass counts as `PASS`).
    pub status: Status,
    pub attempts: u32,
    pub duration_ms: u64,
}

/// One run of a smoke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Attempt {
    /// From 1, per smoke.
    pub attempt: u32,
    /// `PASS`, `FAIL` or `TIMEOUT`; `BLOCKED` for a run cut short by cancellation.
    pub status: Status,
    #[schemars(required, schema_with = "nullable::<i32>")]
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub failing_tests: Vec<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub failure_reason: Option<String>,
    /// The `name` of the smoke this attempt ran.
    pub smoke: String,
}

/// Which tests failed, and where that was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Failures {
    pub source: FailureSource,
    /// At most [`MAX_FAILURES`], in the order the run reported them.
    pub tests: Vec<FailedTest>,
    /// Failing tests beyond those listed.
    pub omitted: u64,
}

/// The most failing tests an envelope lists.
pub const MAX_FAILURES: usize = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureSource {
    Junit,
    Output,
    #[default]
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailedTest {
    /// `classname::name` from a report, or the runner's own id from its output.
    pub id: String,
    /// The first line of the failure's message, at most 500 bytes.
    #[schemars(required, schema_with = "nullable::<String>")]
    pub message: Option<String>,
    /// The registry quarantines this test.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quarantined: bool,
}

/// One smoke that ran (contract section 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Smoke {
    /// `cli`, `task_file`, `default`, the task id, or the registry entry's glob or name.
    pub name: String,
    pub command: String,
    pub source: CommandSource,
    pub status: Status,
    #[schemars(required, schema_with = "nullable::<i32>")]
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub attempts: Vec<Attempt>,
    pub failures: Failures,
    pub flaky: bool,
    pub stdout_tail: String,
    pub stderr_tail: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub failure_reason: Option<String>,
    /// The shard that ran it, from 1; null outside a sharded run.
    #[schemars(required, schema_with = "nullable::<u32>")]
    pub shard: Option<u32>,
}
