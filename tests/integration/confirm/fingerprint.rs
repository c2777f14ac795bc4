//! The escalation fingerprint: from the sorted failing test ids when they are known, so the
//! same broken test is one breakage under any command line and two broken tests are two;
//! from the command when no test is known.

use super::project::{fingerprint, project_repo, pytest, run};
use crate::common::{Repo, run_envelope};

/// The fingerprint of one run of `command` (no retries: they change nothing here).
fn fingerprint_of(repo: &Repo, command: &str, envs: &[(&str, &str)]) -> String {
    let mut cmd = run(repo);
    cmd.args(["--retries", "0", "--command", command]);
    envs.iter().for_each(|(name, value)| {
        cmd.env(name, value);
    });
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "`{command}` fails");
    let print = fingerprint(&env);
    assert!(print.starts_with("pms-"), "a packet with a fingerprint: {}", env["escalation"]);
    print.to_owned()
}

#[test]
fn the_same_broken_test_has_the_same_fingerprint_under_any_command_line() {
    let repo = project_repo("pytest-smoke");
    let pytest = pytest();
    let alone = fingerprint_of(&repo, &format!("{pytest} tests/test_broken.py"), &[]);
    let with_others = fingerprint_of(
        &repo,
        &format!("{pytest} -v tests/test_ok.py tests/test_broken.py tests/test_flaky.py"),
        &[],
    );
    let shell = fingerprint_of(&repo, &format!("{pytest} -q -x tests/test_broken.py || exit 7"), &[]);
    assert_eq!(alone, with_others);
    assert_eq!(alone, shell, "another exit code is the same kind of failure");
    // A later merge with the same breakage.
    repo.commit_file("notes.txt", "unrelated\n", "another merge");
    assert_eq!(alone, fingerprint_of(&repo, &format!("{pytest} tests/test_broken.py"), &[]));
}

#[test]
fn two_different_broken_tests_have_different_fingerprints() {
    let repo = project_repo("pytest-smoke");
    let pytest = pytest();
    let broken = fingerprint_of(&repo, &format!("{pytest} tests/test_broken.py"), &[]);
    let flaky = fingerprint_of(&repo, &format!("{pytest} tests/test_flaky.py"), &[("SMOKE_FLAKY_FAIL", "1")]);
    let both = fingerprint_of(
        &repo,
        &format!("{pytest} tests/test_broken.py tests/test_flaky.py"),
        &[("SMOKE_FLAKY_FAIL", "1")],
    );
    assert_ne!(broken, flaky);
    assert_ne!(broken, both);
    assert_ne!(flaky, both);
}

#[test]
fn without_known_tests_the_command_tells_breakages_apart() {
    let repo = Repo::new("init");
    let first = fingerprint_of(&repo, "echo no tests here; exit 1", &[]);
    assert_eq!(first, fingerprint_of(&repo, "echo no tests here; exit 1", &[]));
    assert_ne!(first, fingerprint_of(&repo, "echo no tests there; exit 1", &[]));
}
