//! `collect_junit` and `find` on real files: globs, stale reports, special files.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::super::{Source, collect_junit, find};
use super::{fixture, sorted_ids};

fn globs(globs: &[&str]) -> Vec<String> {
    globs.iter().map(|g| g.to_string()).collect()
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Backdates a file, as if an earlier run had written it.
fn backdate(path: &Path) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();
}

#[test]
fn reports_matching_the_globs_are_read_and_stale_ones_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let since = SystemTime::now() - Duration::from_secs(1);
    write(dir.path(), "target/nextest/ci/junit.xml", &fixture("nextest", "junit.xml"));
    write(dir.path(), "reports/deep/vitest.xml", &fixture("vitest", "junit.xml"));
    write(dir.path(), "reports/old.xml", &fixture("pytest", "junit.xml"));
    backdate(&dir.path().join("reports/old.xml"));
    write(dir.path(), "reports/notes.txt", "not matched");
    let collected =
        collect_junit(dir.path(), &globs(&["target/nextest/ci/junit.xml", "./reports/**/*.xml"]), since);
    assert_eq!(collected.files_read, 2);
    assert_eq!(
        sorted_ids(&collected.tests),
        [
            "other.test.js::sub of equal numbers is zero",
            "rust-failing::math::tests::aborts",
            "rust-failing::math::tests::hangs",
            "rust-failing::math::tests::subtracts",
            "rust-failing::smoke::smoke_fails",
            "sum.test.js::sum > subtracts",
        ]
    );
    assert_eq!(
        collected.warnings,
        [
            "ignored 1 JUnit report(s) not modified since the attempt started (left from an earlier run): `reports/old.xml`"
        ]
    );
}

#[test]
fn a_star_stays_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "reports/deep/a.xml", &fixture("pytest", "junit.xml"));
    let collected = collect_junit(dir.path(), &globs(&["reports/*.xml"]), SystemTime::UNIX_EPOCH);
    assert_eq!((collected.files_read, collected.warnings.len()), (0, 0));
}

#[test]
fn special_files_and_bad_reports_are_warnings_not_hangs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    // A FIFO nobody writes to would block a plain open for ever; /dev/zero never ends.
    nix::unistd::mkfifo(&dir.path().join("reports/pipe.xml"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("reports/zero.xml")).unwrap();
    write(dir.path(), "reports/page.xml", "<html/>");
    write(dir.path(), "reports/good.xml", &fixture("pytest", "junit.xml"));
    let since = SystemTime::now() - Duration::from_secs(1);
    let collected =
        collect_junit(dir.path(), &globs(&["reports/*.xml", "[oops", "../up.xml", "/abs.xml"]), since);
    assert_eq!(collected.files_read, 1);
    assert_eq!(
        sorted_ids(&collected.tests),
        ["tests.test_broken::test_fails", "tests.test_flaky::test_flaky"]
    );
    let warnings = collected.warnings.join("\n");
    let root = dir.path().display();
    for expected in [
        "JUnit glob `[oops` is invalid",
        "JUnit glob `../up.xml` must be a relative path inside the work directory",
        "JUnit glob `/abs.xml` must be a relative path inside the work directory",
        "JUnit report `reports/page.xml` skipped: not a JUnit report: the root element is `<html>`",
        &format!("JUnit report skipped: `{root}/reports/pipe.xml` is a FIFO, not a regular file"),
        &format!("JUnit report skipped: `{root}/reports/zero.xml` is a device, not a regular file"),
    ] {
        assert!(warnings.contains(expected), "missing {expected:?} in:\n{warnings}");
    }
}

#[test]
fn find_prefers_reports_then_output_then_none() {
    let dir = tempfile::tempdir().unwrap();
    let since = SystemTime::now() - Duration::from_secs(1);
    let pytest_out = fixture("pytest", "plain.stdout");
    let report_globs = globs(&["junit.xml"]);

    let found = find(dir.path(), &report_globs, since, &pytest_out, "");
    assert_eq!((found.source, found.tests.len()), (Source::Output, 2));

    write(dir.path(), "junit.xml", &fixture("pytest", "junit.xml"));
    let found = find(dir.path(), &report_globs, since, &pytest_out, "");
    assert_eq!(found.source, Source::Junit);
    assert_eq!(found.tests[0].id, "tests.test_broken::test_fails");

    backdate(&dir.path().join("junit.xml"));
    let found = find(dir.path(), &report_globs, since, "all good\n", "");
    assert_eq!((found.source, found.tests.len(), found.warnings.len()), (Source::None, 0, 1));
    assert_eq!(found.source.as_str(), "none");
}
