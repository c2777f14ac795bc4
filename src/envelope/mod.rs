//! The wire types of the contract: the JSON envelope (`schema_version: 1`), the frozen
//! six-field `smoke_result` and the `POST_MERGE_SMOKE_FAILED` escalation packet.
//!
//! Nothing here decides anything; these structs are what users and other tools parse, so
//! field names only ever grow. `schema/envelope.v1.schema.json` is generated from them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod sections;

pub use sections::{
    Attempt, Bisection, BisectionResult, FailedTest, FailureSource, Failures, MAX_FAILURES, Probe, ShardRef,
    ShardSummary, Smoke,
};

pub const SCHEMA_VERSION: u32 = 1;
pub const ESCALATION_TYPE: &str = "POST_MERGE_SMOKE_FAILED";
pub const ESCALATION_CRITICAL: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Fail,
    Timeout,
    Skipped,
    Blocked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Timeout => "TIMEOUT",
            Status::Skipped => "SKIPPED",
            Status::Blocked => "BLOCKED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    AllowContinuation,
    Halt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaleCheck {
    Checked,
    Skipped,
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandSource {
    Cli,
    TaskFile,
    Registry,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    PostMergeSmokePass,
    PostMergeSmokeFail,
    PostMergeSmokeTimeout,
    SmokeSkippedDryRun,
    SmokeCommandMissing,
    MainHeadStale,
    StaleCheckUnavailable,
    WorktreeMismatch,
    SmokeConfigInvalid,
    RunCancelled,
    /// The push was not a merge into the main branch (tag push, branch deletion, other branch).
    NotAMergePush,
    /// The CI event payload was missing or not the shape of a push event.
    EventPayloadInvalid,
    /// An attempt failed or timed out and a later one on the same commit passed.
    SmokeFlaky,
    /// The only failing tests were quarantined in the registry.
    SmokeQuarantined,
    /// The newest commit known to pass fails too: main was red before this merge.
    MainAlreadyRed,
    /// This shard was dealt no smoke while other shards were.
    ShardEmpty,
    /// The aggregate found no envelope for some shard.
    ShardMissing,
    /// The aggregate found a file that is not an envelope of this run's shards.
    ShardMismatch,
}

/// The envelope: one JSON object per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "post-merge-smoke envelope v1")]
pub struct Envelope {
    pub schema_version: u32,
    pub tool: Tool,
    /// The merge commit, 40 hex digits; the raw input when it could not be resolved.
    pub merge_commit: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub task_id: Option<String>,
    pub status: Status,
    pub allow_continuation: bool,
    pub stale: bool,
    pub stale_check: StaleCheck,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub main_head: Option<String>,
    pub dry_run: bool,
    /// Wall time of the smoke itself; 0 when it did not run.
    pub duration_ms: u64,
    pub started_at: String,
    pub finished_at: String,
    pub timeout_sec: u64,
    pub smoke_command_source: CommandSource,
    pub smoke_result: SmokeResult,
    pub decision: DecisionBlock,
    #[schemars(required, schema_with = "nullable::<Escalation>")]
    pub escalation: Option<Escalation>,
    pub ci: Ci,
    /// The pull request that introduced the merge commit, when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culprit: Option<Culprit>,
    /// Paths the merge changed, as used to match registry `paths` entries; null when unknown.
    #[serde(default)]
    pub changed_paths: Option<Vec<String>>,
    /// Results of optional GitHub API calls; a failed call never changes the verdict.
    #[serde(default)]
    pub notifications: Vec<Notification>,
    /// Every run of a smoke, in order: a failure is run again to confirm it.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The attempts disagreed: one failed or timed out and a later one passed.
    #[serde(default)]
    pub flaky: bool,
    /// The failing tests of the deciding attempt.
    #[serde(default)]
    pub failures: Failures,
    /// One entry per smoke that ran, in run order.
    #[serde(default)]
    pub smokes: Vec<Smoke>,
    /// The search for the first bad merge, on a confirmed FAIL; null otherwise.
    #[serde(default)]
    pub bisection: Option<Bisection>,
    /// This run is one shard of several; null otherwise.
    #[serde(default)]
    pub shard: Option<ShardRef>,
    /// An aggregate's shards, in shard order; empty for a single run.
    #[serde(default)]
    pub shards: Vec<ShardSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    #[schemars(extend("const" = env!("CARGO_PKG_NAME")))]
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Self {
        Tool { name: env!("CARGO_PKG_NAME").to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// The frozen six fields: exactly these names, no more, no fewer.
///
/// Fields that may be null are still always present, so the schema marks them required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmokeResult {
    pub command: String,
    /// True only when the smoke ran and exited 0 within the timeout.
    pub passed: bool,
    /// Null when killed by a signal, timed out or never started.
    #[schemars(required, schema_with = "nullable::<i32>")]
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DecisionBlock {
    pub decision: Decision,
    pub reason_codes: Vec<ReasonCode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Escalation {
    /// Always `POST_MERGE_SMOKE_FAILED`.
    #[serde(rename = "type")]
    #[schemars(extend("const" = ESCALATION_TYPE))]
    pub kind: String,
    pub critical: u32,
    pub severity: String,
    pub merge_commit: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub task_id: Option<String>,
    pub status: Status,
    pub summary: String,
    pub fingerprint: String,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culprit: Option<Culprit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    #[schemars(required, schema_with = "nullable::<i32>")]
    pub exit_code: Option<i32>,
    pub timeout_sec: u64,
    pub stale: bool,
    pub duration_ms: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub run_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Ci {
    /// `github-actions` or `local`.
    pub provider: String,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub repository: Option<String>,
    #[serde(rename = "ref")]
    #[schemars(required, schema_with = "nullable::<String>")]
    pub git_ref: Option<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub event: Option<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub run_id: Option<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub run_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Culprit {
    pub number: u64,
    /// After a search for the first bad merge: `confirmed` (it failed and its parent
    /// passed) or `suspect` (the probes ran out); absent when it is simply this merge's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub author: Option<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub url: Option<String>,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Confirmed,
    Suspect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Notification {
    pub kind: String,
    pub ok: bool,
    #[schemars(required, schema_with = "nullable::<String>")]
    pub error: Option<String>,
}

/// `T` or null: a field that is always present but may be null. (`#[schemars(required)]`
/// alone makes schemars drop the null from an `Option`.)
fn nullable<T: JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<Option<T>>()
}

/// The JSON Schema of the envelope, as shipped in `schema/envelope.v1.schema.json`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Envelope)).unwrap_or_default()
}
