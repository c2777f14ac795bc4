//! One attempt's failing tests, from wherever they can be had: the reports when they name
//! any, else the runner output, else none (contract section 8).

use std::path::Path;
use std::time::SystemTime;

use super::failed_test::{FailedTest, Source};
use super::output::from_output;
use super::reports::collect_junit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub source: Source,
    pub tests: Vec<FailedTest>,
    /// Problems with the reports (see [`super::collect_junit`]); empty without globs.
    pub warnings: Vec<String>,
}

impl Default for Found {
    /// Nothing found: an attempt that passed, or was not looked at.
    fn default() -> Self {
        Found { source: Source::None, tests: Vec::new(), warnings: Vec::new() }
    }
}

/// Reports first: they are written by the runner for machines. A run whose reports name no
/// failing test (none written, all stale, or the failure was outside the tests) falls back
/// to the output, which may still show one.
pub fn find(dir: &Path, junit_globs: &[String], since: SystemTime, stdout: &str, stderr: &str) -> Found {
    let mut warnings = Vec::new();
    if !junit_globs.is_empty() {
        let collected = collect_junit(dir, junit_globs, since);
        warnings = collected.warnings;
        if !collected.tests.is_empty() {
            return Found { source: Source::Junit, tests: collected.tests, warnings };
        }
    }
    let tests = from_output(stdout, stderr);
    let source = if tests.is_empty() { Source::None } else { Source::Output };
    Found { source, tests, warnings }
}
