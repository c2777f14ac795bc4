//! JUnit/XUnit XML to failing tests, through quick-junit's deserializer.
//!
//! quick-junit reads the reports nextest writes, but is strict where other writers are
//! loose: it wants a `<testsuites>` root, RFC 3339 timestamps with an offset, plain numbers
//! in `time` and the counts, and it skips a `<testsuite>` nested in another one whole. So
//! the document is tidied first with quick-xml: a bare `<testsuite>` root (Maven Surefire,
//! Gradle) is wrapped, nested suites are flattened, and the attributes this module never
//! reads (`time`, `timestamp`, the counts, `uuid`) are dropped. Anything else is left as
//! it was written.

use quick_junit::{Report, TestCaseStatus};
use std::borrow::Cow;

use quick_xml::events::attributes::{AttrError, Attribute};
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};

use super::failed_test::{FailedList, FailedTest, first_line};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JunitError {
    #[error("not a JUnit report: the root element is `<{0}>`, not `<testsuites>` or `<testsuite>`")]
    NotJunit(String),
    #[error("not a JUnit report: it holds no XML element")]
    NoRoot,
    #[error("invalid JUnit report at line {line}: {message}")]
    Xml { line: usize, message: String },
    #[error("invalid JUnit report: {0}")]
    Report(String),
}

/// Failed and errored test cases of a JUnit/XUnit report, in document order, each id once.
/// The id is `classname::name` (just `name` without a classname); the message is the first
/// line of the failure's `message` attribute, else of its text.
pub fn from_junit(xml: &str) -> Result<Vec<FailedTest>, JunitError> {
    let tidy = tidy(xml)?;
    let report = Report::deserialize_from_str(&tidy).map_err(|e| JunitError::Report(e.to_string()))?;
    let mut failed = FailedList::default();
    for case in report.test_suites.iter().flat_map(|suite| &suite.test_cases) {
        // Success (flaky runs included: the test passed in the end) and Skipped are not failures.
        let TestCaseStatus::NonSuccess { message, description, .. } = &case.status else {
            continue;
        };
        let id = match case.classname.as_ref().map(|c| c.as_str()).filter(|c| !c.is_empty()) {
            Some(classname) => format!("{classname}::{}", case.name.as_str()),
            None => case.name.as_str().to_owned(),
        };
        let message = [message, description].into_iter().flatten().find_map(|text| first_line(text.as_str()));
        failed.push(id, message);
    }
    Ok(failed.into_vec())
}

/// Attributes quick-junit parses strictly and this module never reads.
const DROPPED_ATTRIBUTES: &[&[u8]] = &[
    b"time",
    b"timestamp",
    b"tests",
    b"failures",
    b"errors",
    b"skipped",
    b"disabled",
    b"assertions",
    b"uuid",
];

/// The report rewritten into the shape quick-junit reads (see the module comment).
fn tidy(xml: &str) -> Result<String, JunitError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 32));
    let mut seen_root = false;
    let mut wrapped = false;
    // One entry per open <testsuite>: whether its tags were written (false when nested).
    let mut suites: Vec<bool> = Vec::new();
    loop {
        let at = |e: &dyn std::fmt::Display, position: u64| JunitError::Xml {
            line: line_of(xml, position),
            message: e.to_string(),
        };
        let event = reader.read_event().map_err(|e| at(&e, reader.error_position()))?;
        let position = reader.buffer_position();
        let event = match event {
            Event::Eof => break,
            // A DOCTYPE may declare entities quick-junit would not know; a report needs none.
            Event::DocType(_) => continue,
            Event::Start(ref start) | Event::Empty(ref start) if !seen_root => {
                seen_root = true;
                match start.name().as_ref() {
                    b"testsuites" => {}
                    b"testsuite" => {
                        wrapped = true;
                        writer
                            .write_event(Event::Start(BytesStart::new("testsuites")))
                            .map_err(write_error)?;
                    }
                    other => return Err(JunitError::NotJunit(String::from_utf8_lossy(other).into_owned())),
                }
                if matches!(event, Event::Start(_)) && is_suite(start) {
                    suites.push(true);
                }
                retag(&event, start).map_err(|e| at(&e, position))?
            }
            Event::Start(ref start) if is_suite(start) => {
                // A suite inside a suite is flattened: its test cases join the outer one.
                let write = suites.is_empty();
                suites.push(write);
                if !write {
                    continue;
                }
                retag(&event, start).map_err(|e| at(&e, position))?
            }
            Event::Empty(ref start) if is_suite(start) && !suites.is_empty() => continue,
            Event::End(ref end) if end.name().as_ref() == b"testsuite" => {
                if !suites.pop().unwrap_or(true) {
                    continue;
                }
                event
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                retag(&event, start).map_err(|e| at(&e, position))?
            }
            other => other,
        };
        writer.write_event(event).map_err(write_error)?;
    }
    if !seen_root {
        return Err(JunitError::NoRoot);
    }
    if wrapped {
        writer.write_event(Event::End(BytesEnd::new("testsuites"))).map_err(write_error)?;
    }
    // Only UTF-8 went in, and quick-xml writes what it read.
    String::from_utf8(writer.into_inner()).map_err(write_error)
}

/// The same start (or empty) tag without the attributes quick-junit would choke on and this
/// module never reads. The others keep their value as written (entities unresolved), in
/// double quotes, so a single-quoted value holding `"` gets it as `&quot;`.
fn retag(event: &Event, start: &BytesStart) -> Result<Event<'static>, AttrError> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut tag = BytesStart::new(name);
    for attr in start.attributes() {
        let attr = attr?;
        if DROPPED_ATTRIBUTES.contains(&attr.key.as_ref()) {
            continue;
        }
        let value = match attr.value.contains(&b'"') {
            true => Cow::Owned(String::from_utf8_lossy(&attr.value).replace('"', "&quot;").into_bytes()),
            false => attr.value,
        };
        tag.push_attribute(Attribute { key: attr.key, value });
    }
    Ok(match event {
        Event::Empty(_) => Event::Empty(tag),
        _ => Event::Start(tag),
    })
}

fn is_suite(start: &BytesStart) -> bool {
    start.name().as_ref() == b"testsuite"
}

fn write_error(e: impl std::fmt::Display) -> JunitError {
    JunitError::Report(e.to_string())
}

/// The 1-based line of a byte offset, for messages a person can act on.
fn line_of(xml: &str, offset: u64) -> usize {
    let end = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
    xml.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
