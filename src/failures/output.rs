//! Failing tests picked out of a smoke's captured output, for smokes that write no report.
//!
//! Each runner's parser looks at one line at a time (after ANSI colour codes are removed)
//! and only at lines the runner itself prints in a fixed shape, anchored at the start of
//! the line, so ordinary program output is not easily taken for a failing test. The ids:
//!
//! | runner | line | id |
//! |---|---|---|
//! | pytest | `FAILED id - msg`, `ERROR id`, `id FAILED [ 33%]` | `tests/test_x.py::test_y` (message: `msg`) |
//! | cargo test | `test a::b ... FAILED`, the `failures:` list | `a::b` |
//! | cargo-nextest | `FAIL [ 0.003s] (1/9) bin a::b`, `TIMEOUT`, `SIGSEGV`... | `bin::a::b` |
//! | go test | `--- FAIL: TestA/sub (0.00s)` | `TestA/sub` (a parent with a failing subtest is left out) |
//! | Jest | `FAIL path`, then `● Suite › name` | `path::Suite › name` |
//! | Vitest | `FAIL  path > Suite > name`, `× Suite > name` | `path::Suite > name` |
//!
//! nextest's id keeps the binary id (`crate` or `crate::test_target`) because its JUnit
//! report uses it as the classname: the same test then has the same id whether it came
//! from the report or from the output. Vitest's ids match its JUnit report the same way.

mod gotest;
mod js;
mod libtest;
mod nextest;
mod pytest;

use super::failed_test::{FailedList, FailedTest};

/// Failing test ids (and messages, where the runner prints one on the same line) in the
/// order they first appear, stdout before stderr, each id once.
pub fn from_output(stdout: &str, stderr: &str) -> Vec<FailedTest> {
    let mut failed = FailedList::default();
    for text in [stdout, stderr] {
        let text = strip_ansi_escapes::strip_str(text);
        let mut libtest = libtest::Parser::default();
        let mut go = gotest::Parser::default();
        let mut js = js::Parser::default();
        for line in text.lines() {
            // A progress line redrawn with `\r` shows only its last part on a terminal.
            let line = line.rsplit('\r').find(|part| !part.trim().is_empty()).unwrap_or("");
            // Every parser sees every line: the stateful ones follow a runner's blocks.
            if let Some((id, message)) = pytest::parse(line) {
                failed.push(id, message);
            }
            for id in nextest::parse(line).into_iter().chain(libtest.line(line)).chain(js.line(line)) {
                failed.push(id, None);
            }
            // Go's are kept until the end: a parent test is only known to be redundant later.
            go.line(line);
        }
        for id in js.finish().into_iter().chain(go.finish()) {
            failed.push(id, None);
        }
    }
    failed.into_vec()
}
