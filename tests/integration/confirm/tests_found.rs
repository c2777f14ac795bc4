//! Which tests failed, from real runners: pytest's JUnit report (`--junit`), a stale report
//! ignored for the output, pytest's and cargo test's output, and the cap of 100 tests with
//! the rest counted in `omitted`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::project::{counter, failing_ids, project_repo, pytest, run};
use crate::common::{git, run_envelope};

const BROKEN_JUNIT: &str = "tests.test_broken::test_fails";
const BROKEN_OUTPUT: &str = "tests/test_broken.py::test_fails";

#[test]
fn a_pytest_junit_report_names_the_tests_as_classname_and_name() {
    let repo = project_repo("pytest-smoke");
    // The flaky test fails in setup, as an error, which counts as failing too.
    let command = format!("{} --junitxml=reports/pytest.xml tests", pytest());
    let (out, env) =
        run_envelope(run(&repo).env("SMOKE_FLAKY_FAIL", "1").env("SMOKE_FLAKY_AS_ERROR", "1").args([
            "--retries",
            "0",
            "--junit",
            "reports/*.xml",
            "--command",
            &command,
        ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["failures"]["source"], "junit");
    assert_eq!(
        env["failures"]["tests"],
        json!([
            {"id": BROKEN_JUNIT, "message": "assert (1 + 1) == 3"},
            {"id": "tests.test_flaky::test_flaky",
             "message": "failed on setup with \"ConnectionResetError: backend reset the connection\""},
        ])
    );
    assert_eq!(env["failures"]["omitted"], 0);
    assert_eq!(env["attempts"][0]["failing_tests"], json!([BROKEN_JUNIT, "tests.test_flaky::test_flaky"]));
}

#[test]
fn each_attempt_reads_the_report_it_wrote() {
    let repo = project_repo("pytest-smoke");
    let command = format!("{} --junitxml=reports/pytest.xml tests", pytest());
    let (_, env) = run_envelope(
        run(&repo).env("SMOKE_FLAKY_COUNTER", counter(&repo)).env("SMOKE_FLAKY_FAILS", "1").args([
            "--retries",
            "1",
            "--junit",
            "reports/*.xml",
            "--command",
            &command,
        ]),
    );
    // The flaky test failed only in the first attempt; the broken one in both.
    assert_eq!(env["attempts"][0]["failing_tests"], json!([BROKEN_JUNIT, "tests.test_flaky::test_flaky"]));
    assert_eq!(env["attempts"][1]["failing_tests"], json!([BROKEN_JUNIT]));
    assert_eq!(failing_ids(&env), [BROKEN_JUNIT]);
}

#[test]
fn a_report_left_from_an_earlier_run_is_ignored_for_the_output() {
    let repo = project_repo("pytest-smoke");
    let stale = repo.dir.join("reports/pytest.xml");
    std::fs::create_dir_all(stale.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &stale,
        r#"<testsuite name="old"><testcase classname="tests.test_old" name="test_gone"><failure message="old"/></testcase></testsuite>"#,
    )
    .expect("write");
    set_modified(&stale, SystemTime::now() - Duration::from_secs(3600));
    // This smoke writes no report: only the output can tell what failed.
    let command = format!("{} tests/test_ok.py tests/test_broken.py", pytest());
    let (out, env) =
        run_envelope(run(&repo).args(["--retries", "0", "--junit", "reports/*.xml", "--command", &command]));
    assert_eq!(env["failures"]["source"], "output");
    assert_eq!(failing_ids(&env), [BROKEN_OUTPUT]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not modified since the attempt started"), "a warning says so: {stderr}");
}

#[test]
fn without_a_report_pytest_output_names_the_tests_by_node_id() {
    let repo = project_repo("pytest-smoke");
    let command = format!("{} tests/test_ok.py tests/test_broken.py", pytest());
    let (_, env) = run_envelope(run(&repo).args(["--retries", "0", "--command", &command]));
    assert_eq!(env["failures"]["source"], "output");
    assert_eq!(env["failures"]["tests"], json!([{"id": BROKEN_OUTPUT, "message": "assert (1 + 1) == 3"}]));
    assert_eq!(env["attempts"][0]["failing_tests"], json!([BROKEN_OUTPUT]));
}

#[test]
fn cargo_test_output_names_the_failing_tests_of_each_test_binary() {
    let repo = project_repo("rust-failing");
    // Shared by every run of the suite, so the fixture crate's dependencies-free build is
    // all that compiles again.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-failing-target");
    let (out, env) = run_envelope(
        run(&repo)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_TERM_COLOR", "never")
            .env("RUST_BACKTRACE", "0")
            .args(["--retries", "0", "--command", "cargo test --offline --no-fail-fast"]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env["failures"]["source"], "output");
    let mut ids = failing_ids(&env);
    ids.sort_unstable();
    assert_eq!(ids, ["math::tests::subtracts", "smoke_fails"]);
}

#[test]
fn past_100_failing_tests_the_rest_are_counted_in_omitted() {
    let repo = project_repo("pytest-smoke");
    let many = "import pytest\n\n\n@pytest.mark.parametrize(\"n\", range(150))\ndef test_many(n):\n    assert n < 0, f\"case {n}\"\n";
    std::fs::write(repo.dir.join("tests/test_many.py"), many).expect("write");
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-q", "-m", "150 failing tests"]);
    let command = format!("{} -q --tb=no --junitxml=reports/pytest.xml tests/test_many.py", pytest());
    for junit in [Some("reports/*.xml"), None] {
        let mut cmd = run(&repo);
        cmd.args(["--retries", "0", "--command", &command]);
        if let Some(glob) = junit {
            cmd.args(["--junit", glob]);
        }
        let (_, env) = run_envelope(&mut cmd);
        let failures = &env["failures"];
        assert_eq!(failures["source"], if junit.is_some() { "junit" } else { "output" });
        assert_eq!(failures["tests"].as_array().map(Vec::len), Some(100), "{junit:?}");
        assert_eq!(failures["omitted"], 50, "{junit:?}");
        let first = if junit.is_some() {
            "tests.test_many::test_many[0]"
        } else {
            "tests/test_many.py::test_many[0]"
        };
        assert_eq!(failures["tests"][0]["id"], first);
        assert!(failures["tests"][0]["message"].as_str().is_some_and(|m| m.contains("case 0")));
    }
}

fn set_modified(path: &Path, when: SystemTime) {
    let file = std::fs::File::options().write(true).open(path).expect("open");
    file.set_modified(when).expect("set mtime");
}
