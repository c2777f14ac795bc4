//! Quarantine patterns: `*`, `?`, whole ids only.

use super::super::Quarantine;

fn quarantine(patterns: &[&str]) -> Quarantine {
    Quarantine::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>())
}

#[test]
fn a_star_matches_any_run_of_characters() {
    let q = quarantine(&["tests/test_x.py::*"]);
    assert!(q.matches("tests/test_x.py::test_y"));
    assert!(q.matches("tests/test_x.py::TestC::test_m[1-2]"));
    assert!(q.matches("tests/test_x.py::"));
    assert!(!q.matches("tests/test_x.py"));
    assert!(!q.matches("tests/test_xy.py::test_y"));
    assert!(quarantine(&["*::*flaky*"]).matches("rust-failing::math::tests::flaky"));
}

#[test]
fn a_question_mark_matches_exactly_one_character() {
    let q = quarantine(&["TestA/case?"]);
    assert!(q.matches("TestA/case1"));
    assert!(q.matches("TestA/caseé"));
    assert!(!q.matches("TestA/case"));
    assert!(!q.matches("TestA/case12"));
}

#[test]
fn patterns_match_whole_ids_only() {
    let q = quarantine(&["test_y", "tests/test_x.py::test_y"]);
    assert!(q.matches("tests/test_x.py::test_y"));
    assert!(!q.matches("tests/test_x.py::test_y2"));
    assert!(!q.matches("other/tests/test_x.py::test_y"));
    assert!(!quarantine(&["test_y"]).matches("tests/test_x.py::test_y"));
}

#[test]
fn brackets_are_literal_and_blank_patterns_match_nothing() {
    assert!(quarantine(&["t.py::test[1-2]"]).matches("t.py::test[1-2]"));
    assert!(!quarantine(&["t.py::test[1-2]"]).matches("t.py::test1"));
    let blank = quarantine(&["", "  "]);
    assert!(blank.is_empty());
    assert!(!blank.matches(""));
    assert!(!blank.matches("anything"));
}

#[test]
fn many_stars_stay_fast() {
    let q = quarantine(&["*a*a*a*a*a*a*a*a*b"]);
    assert!(!q.matches(&"a".repeat(10_000)));
}
