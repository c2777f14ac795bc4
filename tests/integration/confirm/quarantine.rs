//! The registry's `quarantine:` list: an attempt whose failing tests are all known and all
//! quarantined counts as passed (PASS with `SMOKE_QUARANTINED`, the truth kept in
//! `smoke_result`); one other failing test, or a failure with no test named, is never
//! excused; an entry matches only the id form the run produces.

use serde_json::{Value, json};

use super::project::{codes, failing_ids, project_repo, pytest, reason, run, statuses};
use crate::common::{Repo, run_envelope};

/// Commits a registry holding `registry` (YAML) and returns the repository.
fn with_registry(registry: &str) -> Repo {
    let repo = project_repo("pytest-smoke");
    repo.commit_file(".github/post-merge-smoke.yml", registry, "registry");
    repo
}

#[test]
fn only_quarantined_tests_failing_is_a_pass_that_says_so() {
    // The registry's own command, and a pattern.
    let registry = format!(
        "default: \"{} tests/test_ok.py tests/test_broken.py\"\nquarantine:\n  - \"tests/test_br?ken.py::*\"\n",
        pytest()
    );
    let repo = with_registry(&registry);
    let (out, env) = run_envelope(&mut run(&repo));
    assert_eq!(env["smoke_command_source"], "registry");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_PASS", "SMOKE_QUARANTINED"]);
    assert_eq!(env["flaky"], false);
    assert_eq!(statuses(&env), ["FAIL"], "counted as passed: nothing to retry");
    // smoke_result tells the truth of the attempt.
    assert_eq!(env["smoke_result"]["passed"], false);
    assert_eq!(env["smoke_result"]["exit_code"], 1);
    let why = reason(&env);
    assert!(why.contains("quarantined") && why.contains("tests/test_broken.py::test_fails"), "{why}");
    assert_eq!(
        env["failures"]["tests"],
        json!([{"id": "tests/test_broken.py::test_fails", "message": "assert (1 + 1) == 3", "quarantined": true}])
    );
    assert_eq!(env["escalation"], Value::Null);
}

#[test]
fn one_unknown_failing_test_besides_the_quarantined_is_a_fail() {
    let repo = with_registry("quarantine:\n  - tests/test_broken.py::test_fails\n");
    let command = format!("{} tests/test_broken.py tests/test_flaky.py", pytest());
    let (out, env) = run_envelope(run(&repo).env("SMOKE_FLAKY_FAIL", "1").args(["--command", &command]));
    assert_eq!(env["smoke_command_source"], "cli", "the quarantine applies whatever the command's source");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    // The project fails the same way in the repository's first commit: red before this one.
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_FAIL", "MAIN_ALREADY_RED"]);
    assert_eq!(statuses(&env), ["FAIL", "FAIL", "FAIL"]);
    let tests = &env["failures"]["tests"];
    assert_eq!(failing_ids(&env), ["tests/test_broken.py::test_fails", "tests/test_flaky.py::test_flaky"]);
    assert_eq!(tests[0]["quarantined"], true);
    assert_eq!(tests[1].get("quarantined"), None, "only quarantined tests are marked");
}

#[test]
fn a_failure_that_names_no_test_is_never_excused_by_a_star() {
    let repo = with_registry("quarantine:\n  - \"*\"\n");
    let (out, env) = run_envelope(run(&repo).args(["--command", "echo something broke; exit 1"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["failures"]["source"], "none");
    assert!(!codes(&env).contains(&"SMOKE_QUARANTINED"), "{:?}", codes(&env));
    assert_eq!(statuses(&env), ["FAIL", "FAIL", "FAIL"]);
}

#[test]
fn a_quarantine_entry_matches_only_the_id_form_the_run_produces() {
    // pytest's JUnit id is `tests.test_broken::test_fails`, its output's the node id.
    let command = format!("{} --junitxml=reports/pytest.xml tests/test_broken.py", pytest());
    let junit_run = |repo: &Repo| {
        run_envelope(run(repo).args(["--retries", "0", "--junit", "reports/*.xml", "--command", &command])).1
    };
    let output_form = with_registry("quarantine:\n  - tests/test_broken.py::test_fails\n");
    assert_eq!(junit_run(&output_form)["status"], "FAIL");

    let both = with_registry(
        "quarantine:\n  - tests/test_broken.py::test_fails\n  - tests.test_broken::test_fails\n",
    );
    let env = junit_run(&both);
    assert_eq!(env["status"], "PASS");
    assert_eq!(codes(&env), ["POST_MERGE_SMOKE_PASS", "SMOKE_QUARANTINED"]);
    assert_eq!(env["failures"]["tests"][0]["id"], "tests.test_broken::test_fails");
}
