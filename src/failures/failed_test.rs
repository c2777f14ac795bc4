//! The value every parser here produces: a failing test's id and the first line of its
//! message, plus the ordered, de-duplicated list the parsers build.

use std::collections::HashMap;

/// The most bytes of a message kept (contract section 8).
pub const MESSAGE_CAP: usize = 500;

/// One failing test (failed or errored; skipped and passed tests are never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedTest {
    /// `classname::name` from a report (`name` without a classname), or the id the runner
    /// printed (see [`crate::failures::from_output`] for each runner's form).
    pub id: String,
    /// The first non-blank line of the failure's message, at most [`MESSAGE_CAP`] bytes.
    pub message: Option<String>,
}

/// Where a list of failing tests came from, as the envelope's `failures.source` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Junit,
    Output,
    /// Neither a report nor the output named a failing test.
    None,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Junit => "junit",
            Source::Output => "output",
            Source::None => "none",
        }
    }
}

/// The first line of `text` that is not blank, trimmed and cut to [`MESSAGE_CAP`] bytes on
/// a character boundary. Reports often start their text with a newline, so the literal
/// first line would say nothing.
pub(crate) fn first_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    Some(line[..line.floor_char_boundary(MESSAGE_CAP)].to_owned())
}

/// Failing tests in the order they were first seen, each id once. A later sighting can
/// only add a message the first one lacked (pytest's verbose line has none, its summary
/// line has one).
#[derive(Debug, Default)]
pub(crate) struct FailedList {
    tests: Vec<FailedTest>,
    index: HashMap<String, usize>,
}

impl FailedList {
    pub(crate) fn push(&mut self, id: String, message: Option<String>) {
        if let Some(&at) = self.index.get(&id) {
            let known = &mut self.tests[at];
            if known.message.is_none() {
                known.message = message;
            }
            return;
        }
        self.index.insert(id.clone(), self.tests.len());
        self.tests.push(FailedTest { id, message });
    }

    pub(crate) fn extend(&mut self, tests: impl IntoIterator<Item = FailedTest>) {
        for test in tests {
            self.push(test.id, test.message);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<FailedTest> {
        self.tests
    }
}
