//! Class 9, a retry on a tree the smoke changed. A failure is confirmed by running the
//! smoke again on the same commit in the same work tree, so an attempt that changed tracked
//! files ends the retries (contract section 8). A smoke that changed them and then hid it
//! from `git status` (staging it, hiding it in the index, moving HEAD) would have its retry
//! pass on something that is not the merge commit: a confirmed FAIL turned into a flaky
//! PASS. Each smoke here fails on its first attempt and would pass on the next.

use crate::common::{Repo, run_envelope};

use super::support::stderr;

/// The smoke: the first attempt runs `sabotage` and fails; a later one passes.
fn smoke(repo: &Repo, sabotage: &str) -> String {
    let once = repo.tmp.path().join("first-attempt-done");
    format!(
        "if [ ! -e '{once}' ]; then touch '{once}'; {sabotage}; exit 1; fi; git rev-parse HEAD; exit 0",
        once = once.display()
    )
}

/// Asserts the first attempt's FAIL stands, not retried, and says why.
fn assert_not_retried(repo: &Repo, sabotage: &str) {
    let (out, env) = run_envelope(repo.run().args([
        "--skip-stale-check",
        "--retries",
        "2",
        "--command",
        &smoke(repo, sabotage),
    ]));
    assert_eq!(env["attempts"].as_array().map(Vec::len), Some(1), "{}: {}", env["attempts"], stderr(&out));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["flaky"], false);
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not retried"), "{reason}");
}

#[test]
fn a_retry_never_runs_after_the_smoke_staged_its_changes() {
    let repo = Repo::new("init");
    assert_not_retried(&repo, "echo sabotage >> README.md; git add README.md");
}

#[test]
fn a_retry_never_runs_after_the_smoke_deleted_the_index() {
    let repo = Repo::new("init");
    assert_not_retried(&repo, "rm .git/index");
}

#[test]
fn a_retry_never_runs_after_the_smoke_hid_its_changes_in_the_index() {
    let repo = Repo::new("init");
    assert_not_retried(&repo, "echo sabotage >> README.md; git update-index --assume-unchanged README.md");
    let repo = Repo::new("init");
    assert_not_retried(&repo, "echo sabotage >> README.md; git update-index --skip-worktree README.md");
}

#[test]
fn a_retry_never_runs_after_the_smoke_moved_head() {
    let repo = Repo::new("init");
    assert_not_retried(
        &repo,
        "echo sabotage >> README.md; git -c user.name=x -c user.email=x@x commit -qam moved",
    );
}

/// Without a git folder the tool cannot put its configuration back, so it trusts no git
/// there: no retry. The stale check still asks the remote recorded before the smoke.
#[test]
fn a_retry_never_runs_after_the_smoke_removed_the_git_folder() {
    let repo = Repo::with_origin("init");
    let (out, env) =
        run_envelope(repo.run().args(["--retries", "2", "--command", &smoke(&repo, "rm -rf .git")]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(env["stale_check"], "checked");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not retried") && reason.contains("git cannot be trusted there"), "{reason}");
}
