//! `from_junit` over the recorded reports, and the shapes other writers produce.

use super::super::{JunitError, MESSAGE_CAP, from_junit, from_output};
use super::{fixture, pairs, sorted_ids};

/// nextest's messages hold the thread id of the panicking test, which changes every run.
fn without_thread_id(message: &str) -> String {
    match (message.find(") panicked"), message.find("' (")) {
        (Some(end), Some(start)) if start < end => format!("{}' (N{}", &message[..start], &message[end..]),
        _ => message.to_owned(),
    }
}

#[test]
fn pytest_report_ids_are_classname_and_name() {
    assert_eq!(
        pairs(&from_junit(&fixture("pytest", "junit.xml")).unwrap()),
        [
            ("tests.test_broken::test_fails", Some("assert (1 + 1) == 3")),
            (
                "tests.test_flaky::test_flaky",
                Some(r#"failed on setup with "ConnectionResetError: backend reset the connection""#)
            ),
        ]
    );
}

#[test]
fn nextest_report_has_the_same_ids_as_its_output() {
    let failed = from_junit(&fixture("nextest", "junit.xml")).unwrap();
    let messages: Vec<(&str, Option<String>)> =
        failed.iter().map(|t| (t.id.as_str(), t.message.as_deref().map(without_thread_id))).collect();
    let mut messages = messages;
    messages.sort();
    assert_eq!(
        messages,
        [
            ("rust-failing::math::tests::aborts", Some("process aborted with signal 6 (SIGABRT)".to_owned())),
            // A timeout has no message and no text.
            ("rust-failing::math::tests::hangs", None),
            (
                "rust-failing::math::tests::subtracts",
                Some("thread 'math::tests::subtracts' (N) panicked at src/lib.rs:22:13".to_owned())
            ),
            (
                "rust-failing::smoke::smoke_fails",
                Some("thread 'smoke_fails' (N) panicked at tests/smoke.rs:8:5".to_owned())
            ),
        ]
    );
    let output = from_output(&fixture("nextest", "plain.stdout"), &fixture("nextest", "plain.stderr"));
    assert_eq!(sorted_ids(&failed), sorted_ids(&output));
}

#[test]
fn vitest_report_has_the_same_ids_as_its_output() {
    let failed = from_junit(&fixture("vitest", "junit.xml")).unwrap();
    assert_eq!(
        pairs(&failed),
        [
            (
                "other.test.js::sub of equal numbers is zero",
                Some("expected 4 to be +0 // Object.is equality")
            ),
            ("sum.test.js::sum > subtracts", Some("expected 4 to be 2 // Object.is equality")),
        ]
    );
    let output = from_output(&fixture("vitest", "plain.stdout"), &fixture("vitest", "plain.stderr"));
    assert_eq!(sorted_ids(&failed), sorted_ids(&output));
}

#[test]
fn a_bare_testsuite_root_with_loose_attributes_is_read() {
    // As Maven Surefire and Gradle write them: no <testsuites>, no offset in the timestamp.
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- written by some tool -->
<testsuite name="com.example.AppTest" tests="3" failures="1" errors="1" time="1,234.5" timestamp="2024-05-01T10:00:00">
  <testcase name="passes" classname="com.example.AppTest" time="0.01"/>
  <testcase name="fails" classname="com.example.AppTest" time="n/a">
    <failure message="expected: &lt;1&gt; but was: &lt;2&gt;" type="AssertionError">trace</failure>
  </testcase>
  <testcase name="errs" classname="com.example.AppTest">
    <error type="NullPointerException">
java.lang.NullPointerException: boom
    at com.example.App.run(App.java:3)
    </error>
  </testcase>
  <testcase name="skipped" classname="com.example.AppTest"><skipped/></testcase>
</testsuite>"#;
    assert_eq!(
        pairs(&from_junit(xml).unwrap()),
        [
            ("com.example.AppTest::fails", Some("expected: <1> but was: <2>")),
            ("com.example.AppTest::errs", Some("java.lang.NullPointerException: boom")),
        ]
    );
}

#[test]
fn nested_suites_are_flattened_and_ids_deduplicated() {
    // PHPUnit nests suites; quick-junit alone would skip the inner one whole.
    let xml = r#"<testsuites><testsuite name="all"><testsuite name="inner">
        <testcase name="a" classname=""><failure message=""><![CDATA[
first line of the text
second]]></failure></testcase>
        <testsuite name="deeper"><testcase name="a" classname=""><failure/></testcase></testsuite>
      </testsuite><testsuite name="empty"/></testsuite></testsuites>"#;
    assert_eq!(pairs(&from_junit(xml).unwrap()), [("a", Some("first line of the text"))]);
}

#[test]
fn flaky_passes_and_quoted_values_are_handled() {
    let xml = r#"<testsuites><testsuite name='s'>
        <testcase name='ok' classname='c'><flakyFailure message='once'/></testcase>
        <testcase name='q' classname='c'><failure message='said "no"'/></testcase>
    </testsuite></testsuites>"#;
    assert_eq!(pairs(&from_junit(xml).unwrap()), [("c::q", Some(r#"said "no""#))]);
}

#[test]
fn messages_are_cut_to_the_cap_on_a_character_boundary() {
    let long = format!("a{}", "é".repeat(400));
    let xml = format!(
        r#"<testsuites><testsuite name="s"><testcase name="t"><failure message="{long}"/></testcase></testsuite></testsuites>"#
    );
    let message = from_junit(&xml).unwrap().remove(0).message.unwrap();
    assert_eq!(message.len(), MESSAGE_CAP - 1);
    assert!(long.starts_with(&message));
}

#[test]
fn xml_that_is_not_junit_is_a_clear_error() {
    let err = from_junit("<?xml version=\"1.0\"?>\n<html><body/></html>").unwrap_err();
    assert_eq!(err, JunitError::NotJunit("html".into()));
    assert_eq!(
        err.to_string(),
        "not a JUnit report: the root element is `<html>`, not `<testsuites>` or `<testsuite>`"
    );
    assert_eq!(from_junit("  <!-- nothing -->\n").unwrap_err(), JunitError::NoRoot);
    assert_eq!(from_junit("").unwrap_err().to_string(), "not a JUnit report: it holds no XML element");
    let broken =
        from_junit("<testsuites>\n<testsuite name=\"s\">\n<testcase name=\"t\">\n</testsuites>").unwrap_err();
    assert!(matches!(broken, JunitError::Xml { line: 4, .. }), "{broken:?}");
    let unclosed = from_junit("<testsuites><testsuite name=\"s\">").unwrap_err();
    assert!(unclosed.to_string().starts_with("invalid JUnit report"), "{unclosed}");
}
