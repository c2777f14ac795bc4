//! What the confirmation tests share: a repository holding one of the fixture projects,
//! the pinned pytest from `.venv/`, smokes whose outcome follows a counter kept outside the
//! work tree, and short readers for the envelope's attempts and failing tests.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Repo, fixture, git};

/// The pytest that `scripts/python-tools.sh` installs. A test that needs it fails without
/// it: a skipped runner would pass the suite while testing nothing.
pub fn pytest() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/pytest");
    assert!(
        path.is_file(),
        "{} is missing: run `scripts/python-tools.sh` (scripts/test.sh does) to install the pinned pytest",
        path.display()
    );
    path.to_str().expect("utf-8 path").to_owned()
}

/// A repository whose first commit holds `tests/fixtures/projects/<name>/`.
pub fn project_repo(name: &str) -> Repo {
    let repo = Repo::new("init");
    copy_dir(&fixture("projects").join(name), &repo.dir);
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-q", "-m", &format!("add {name}")]);
    repo
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// `post-merge-smoke run` with no stale check (there is no remote) and a pytest that
/// leaves no bytecode behind.
pub fn run(repo: &Repo) -> assert_cmd::Command {
    let mut cmd = repo.run();
    cmd.arg("--skip-stale-check").env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

/// A file outside the work tree, so counting runs changes no file the tool looks at.
pub fn counter(repo: &Repo) -> PathBuf {
    repo.tmp.path().join("runs")
}

/// A shell smoke whose n-th run (counted in `$SMOKE_COUNTER`) passes when the n-th word of
/// `$SMOKE_OUTCOMES` is `P` and fails (exit 1, naming a test the way pytest does) when it
/// is `F`; a `T` sleeps far past any timeout of these tests.
pub const SCRIPTED: &str = r#"n=$(( $(cat "$SMOKE_COUNTER" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$SMOKE_COUNTER"
o=$(echo $SMOKE_OUTCOMES | cut -d' ' -f"$n"); echo "run $n: $o"
case "$o" in
  P) exit 0 ;;
  T) sleep 60 ;;
  *) echo "FAILED tests/test_net.py::test_fetch - run $n failed"; exit 1 ;;
esac"#;

/// `run` of the scripted smoke with `outcomes`, e.g. `"F P"`.
pub fn scripted(repo: &Repo, outcomes: &str) -> assert_cmd::Command {
    let mut cmd = run(repo);
    cmd.env("SMOKE_COUNTER", counter(repo)).env("SMOKE_OUTCOMES", outcomes).args(["--command", SCRIPTED]);
    cmd
}

/// Each attempt's status, in order.
pub fn statuses(env: &Value) -> Vec<&str> {
    env["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status"].as_str().expect("status"))
        .collect()
}

/// The ids of `failures.tests`, in order.
pub fn failing_ids(env: &Value) -> Vec<&str> {
    env["failures"]["tests"]
        .as_array()
        .expect("failures.tests")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect()
}

/// `decision.reason_codes`.
pub fn codes(env: &Value) -> Vec<&str> {
    env["decision"]["reason_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code"))
        .collect()
}

/// The text of `smoke_result.failure_reason`, or "" when null.
pub fn reason(env: &Value) -> &str {
    env["smoke_result"]["failure_reason"].as_str().unwrap_or_default()
}

/// The escalation packet's fingerprint, or "" when there is no packet.
pub fn fingerprint(env: &Value) -> &str {
    env["escalation"]["fingerprint"].as_str().unwrap_or_default()
}
