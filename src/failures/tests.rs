//! Tests of the failing-test parsers: every recorded runner fixture under
//! `tests/fixtures/runners/` (real output, see `scripts/record-runner-fixtures.sh`), plus
//! the edge cases the fixtures do not show.

mod junit;
mod output;
mod quarantine;
mod reports;

use super::FailedTest;

/// A file recorded by `scripts/record-runner-fixtures.sh`.
fn fixture(runner: &str, file: &str) -> String {
    let path = format!("{}/tests/fixtures/runners/{runner}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The ids, sorted: runners that run tests in parallel print them in no fixed order, so a
/// re-recorded fixture may list them differently.
fn sorted_ids(tests: &[FailedTest]) -> Vec<&str> {
    let mut ids: Vec<&str> = tests.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

/// Id and message pairs, in order.
fn pairs(tests: &[FailedTest]) -> Vec<(&str, Option<&str>)> {
    tests.iter().map(|t| (t.id.as_str(), t.message.as_deref())).collect()
}
