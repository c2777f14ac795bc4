//! `from_output` over the recorded output of each runner, and ordinary output that must
//! not be taken for a failing test.

use super::super::from_output;
use super::{fixture, pairs, sorted_ids};

fn run(runner: &str, variant: &str) -> Vec<super::FailedTest> {
    from_output(
        &fixture(runner, &format!("{variant}.stdout")),
        &fixture(runner, &format!("{variant}.stderr")),
    )
}

#[test]
fn pytest_short_summary_gives_ids_and_messages_in_order() {
    assert_eq!(
        pairs(&run("pytest", "plain")),
        [
            ("tests/test_broken.py::test_fails", Some("assert (1 + 1) == 3")),
            // pytest cut the message to the terminal's width itself.
            ("tests/test_flaky.py::test_flaky", Some("ConnectionResetError: backend reset t...")),
        ]
    );
}

#[test]
fn pytest_verbose_and_coloured_lines_give_the_same_ids() {
    // `-v --color=yes`: the progress lines come first (no message), the summary adds one.
    assert_eq!(
        pairs(&run("pytest", "color")),
        [
            ("tests/test_broken.py::test_fails", Some("assert (1 + 1) == 3")),
            ("tests/test_flaky.py::test_flaky", Some("ConnectionResetError: backend reset the connection")),
        ]
    );
}

#[test]
fn cargo_test_failures_from_both_test_binaries() {
    for variant in ["plain", "color"] {
        let failed = run("cargo-test", variant);
        assert_eq!(sorted_ids(&failed), ["math::tests::subtracts", "smoke_fails"], "{variant}");
        assert!(failed.iter().all(|t| t.message.is_none()));
    }
}

#[test]
fn nextest_ids_keep_the_binary_id_and_include_timeouts_and_signals() {
    assert_eq!(
        sorted_ids(&run("nextest", "plain")),
        [
            "rust-failing::math::tests::aborts",
            "rust-failing::math::tests::hangs",
            "rust-failing::math::tests::subtracts",
            "rust-failing::smoke::smoke_fails",
        ]
    );
    // The libtest output nextest shows for each failing test, indented, is not read twice.
    assert_eq!(
        sorted_ids(&run("nextest", "color")),
        ["rust-failing::math::tests::subtracts", "rust-failing::smoke::smoke_fails"]
    );
}

#[test]
fn nextest_retries_count_the_last_try_only() {
    // `math::tests::flaky` failed its first try and passed the second: not a failing test.
    assert_eq!(
        sorted_ids(&run("nextest", "retries")),
        ["rust-failing::math::tests::subtracts", "rust-failing::smoke::smoke_fails"]
    );
}

#[test]
fn go_test_lists_failing_subtests_instead_of_their_parents() {
    for variant in ["plain", "verbose"] {
        assert_eq!(sorted_ids(&run("go", variant)), ["TestSub", "TestTable/positive_diff"], "{variant}");
    }
}

#[test]
fn jest_ids_are_the_file_and_the_full_test_name() {
    for variant in ["plain", "verbose-color"] {
        assert_eq!(
            sorted_ids(&run("jest", variant)),
            ["other.test.js::sub of equal numbers is zero", "sum.test.js::sum › subtracts"],
            "{variant}"
        );
    }
}

#[test]
fn jest_cross_lines_stand_in_when_the_headings_are_missing() {
    // As when the capture cut the middle of the output: only the last part of the name is left.
    let stderr = fixture("jest", "verbose-color.stderr");
    let without_headings: String =
        stderr.lines().filter(|line| !line.contains('●')).map(|line| format!("{line}\n")).collect();
    assert_eq!(
        sorted_ids(&from_output("", &without_headings)),
        ["other.test.js::sub of equal numbers is zero", "sum.test.js::subtracts"]
    );
}

#[test]
fn vitest_run_list_and_fail_lines_agree() {
    let expected = ["other.test.js::sub of equal numbers is zero", "sum.test.js::sum > subtracts"];
    for variant in ["plain", "color"] {
        // The run list (`×` lines) is on stdout, the `FAIL  file > name` lines on stderr.
        let stdout = fixture("vitest", &format!("{variant}.stdout"));
        let stderr = fixture("vitest", &format!("{variant}.stderr"));
        assert_eq!(sorted_ids(&from_output(&stdout, "")), expected, "{variant} stdout");
        assert_eq!(sorted_ids(&from_output("", &stderr)), expected, "{variant} stderr");
        assert_eq!(sorted_ids(&from_output(&stdout, &stderr)), expected, "{variant}");
    }
}

#[test]
fn ansi_codes_inside_an_id_do_not_split_it() {
    let line = "\x1b[31mFAILED\x1b[0m tests/test_a.py::\x1b[1mtest_b\x1b[0m - assert 0\n";
    assert_eq!(pairs(&from_output(line, "")), [("tests/test_a.py::test_b", Some("assert 0"))]);
    // libtest's colours end with `ESC ( B`, a sequence that is not a CSI one.
    let line = "test a::b ... \x1b[31mFAILED\x1b(B\x1b[m\n";
    assert_eq!(pairs(&from_output("", line)), [("a::b", None)]);
}

#[test]
fn ordinary_output_is_not_a_failing_test() {
    let noise = "\
FAILED to connect to the database
ERROR: could not open config
FAIL: retrying
FAIL\texample.com/pkg\t0.002s
FAIL
--- FAIL: not a test line
test result: FAILED. 0 passed; 1 failed
    test indented::by_nextest ... FAILED
FAIL [ soon] crate test
PASS [   0.010s] crate test
× 3 = 9
✕ cancelled by the user
● Console
failures:
    not a libtest list

some other line
";
    assert_eq!(from_output(noise, noise), []);
}

#[test]
fn a_libtest_list_counts_only_when_libtest_closes_it() {
    let list = "failures:\n    a::b\n    c::d\n\ntest result: FAILED. 1 passed; 2 failed; 0 ignored\n";
    assert_eq!(sorted_ids(&from_output(list, "")), ["a::b", "c::d"]);
    let cut = "failures:\n    a::b\n    c::d\n";
    assert_eq!(from_output(cut, ""), []);
}

#[test]
fn each_id_once_in_first_seen_order_across_streams() {
    let stdout = "--- FAIL: TestB (0.00s)\nFAILED t.py::x\n";
    let stderr = "FAILED t.py::x - later message\n--- FAIL: TestA (0.01s)\n--- FAIL: TestB (0.00s)\n";
    assert_eq!(
        pairs(&from_output(stdout, stderr)),
        // Go's ids come at the end of each stream: a parent is only known to be one later.
        [("t.py::x", Some("later message")), ("TestB", None), ("TestA", None)]
    );
}

#[test]
fn pytest_parametrized_ids_keep_their_brackets() {
    let out = "FAILED tests/t.py::test_sum[1 + 1-3] - assert 2 == 3\nERROR tests/t_bad.py\n";
    assert_eq!(
        pairs(&from_output(out, "")),
        [("tests/t.py::test_sum[1 + 1-3]", Some("assert 2 == 3")), ("tests/t_bad.py", None)]
    );
}
