//! Every exit code the binary can end with, in one place (contract section 2).

/// PASS or SKIPPED, and main had not moved on.
pub const OK: i32 = 0;
/// The smoke failed: non-zero exit, killed by a signal, or could not be started.
pub const FAIL: i32 = 1;
/// The command line is wrong; clap prints the usage error. No envelope.
pub const USAGE: i32 = 2;
/// The smoke outlived `--timeout`; its process tree was killed.
pub const TIMEOUT: i32 = 3;
/// The run could not be judged or no smoke is defined without `--dry-run`.
pub const BLOCKED: i32 = 4;
/// PASS or SKIPPED, but main's head moved past the merge commit while the smoke ran.
pub const STALE: i32 = 5;
/// An internal error so bad that no envelope could be written (EX_SOFTWARE).
pub const INTERNAL: i32 = 70;
