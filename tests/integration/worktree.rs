//! The merge commit, the work tree and the stale check, against real repositories and a
//! local bare "origin".

use crate::common::{Repo, bin, git, run_envelope};

#[test]
fn main_moving_on_while_the_smoke_ran_is_stale_and_halts() {
    let repo = Repo::with_origin("init");
    let origin = repo.origin.clone().expect("origin");
    // Another clone pushes a newer commit to main while the smoke runs.
    let other = repo.tmp.path().join("other");
    let script = format!(
        "git clone -q {o} {d} && cd {d} && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m next \
         && git push -q origin main",
        o = origin.display(),
        d = other.display()
    );
    let (out, env) = run_envelope(repo.run().args(["--quiet", "--command", &script]));
    assert_eq!(env["status"], "PASS");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(env["stale"], true);
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["decision"]["decision"], "HALT");
    assert_eq!(
        env["decision"]["reason_codes"],
        serde_json::json!(["POST_MERGE_SMOKE_PASS", "MAIN_HEAD_STALE"])
    );
    assert_eq!(env["main_head"], git(&other, &["rev-parse", "HEAD"]));
    assert_ne!(env["main_head"], env["merge_commit"]);
}

#[test]
fn a_failing_smoke_keeps_its_exit_code_when_stale() {
    let repo = Repo::with_origin("init");
    repo.commit_file("a.txt", "local only", "not pushed");
    let (out, env) = run_envelope(repo.run().args(["--command", "exit 7"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("FAIL"), Some(1)));
    assert_eq!(env["stale"], true);
    assert_eq!(env["escalation"]["evidence"]["stale"], true);
    assert_eq!(env["smoke_result"]["exit_code"], 7);
}

#[test]
fn no_remote_makes_the_stale_check_unavailable_and_the_gate_fail_closed() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["stale_check"], "unavailable");
    assert_eq!(env["smoke_result"]["passed"], true);
    assert_eq!(
        env["decision"]["reason_codes"],
        serde_json::json!(["STALE_CHECK_UNAVAILABLE", "POST_MERGE_SMOKE_PASS"])
    );
    // A failure keeps its own status and exit code.
    let (out, env) = run_envelope(repo.run().args(["--command", "false"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("FAIL"), Some(1)));
    assert_eq!(env["decision"]["reason_codes"][1], "STALE_CHECK_UNAVAILABLE");
}

#[test]
fn a_remote_without_the_main_branch_is_unavailable() {
    let repo = Repo::with_origin("init");
    let (out, env) = run_envelope(repo.run().args(["--main-branch", "trunk", "--command", "true"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["stale_check"], "unavailable");
    assert_eq!(env["main_head"], serde_json::Value::Null);
}

#[test]
fn skip_stale_check_is_recorded() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--command", "true"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("PASS"), Some(0)));
    assert_eq!(env["stale_check"], "skipped");
}

#[test]
fn a_work_tree_at_another_commit_is_blocked_and_the_smoke_never_runs() {
    let repo = Repo::with_origin("init");
    let first = repo.head();
    repo.commit_file("b.txt", "x", "second");
    let marker = repo.tmp.path().join("ran");
    let command = format!("touch {}", marker.display());
    let (out, env) = run_envelope(repo.run().args(["--merge-commit", &first, "--command", &command]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["decision"]["reason_codes"][0], "WORKTREE_MISMATCH");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert!(reason.contains(&first) && reason.contains(&repo.head()), "{reason}");
    assert!(!marker.exists(), "the smoke ran on the wrong commit");
    assert_eq!(env["merge_commit"], first);
}

#[test]
fn github_sha_names_the_merge_commit_and_an_abbreviation_is_expanded() {
    let repo = Repo::new("init");
    let head = repo.head();
    let (_, env) = run_envelope(repo.run().env("GITHUB_SHA", &head[..8]).args([
        "--skip-stale-check",
        "--command",
        "true",
    ]));
    assert_eq!(env["merge_commit"], head);
    assert_eq!(env["status"], "PASS");
    // The flag beats the environment.
    let (_, env) = run_envelope(repo.run().env("GITHUB_SHA", "0000000").args([
        "--merge-commit",
        &head[..10],
        "--skip-stale-check",
        "--command",
        "true",
    ]));
    assert_eq!(env["merge_commit"], head);
}

#[test]
fn an_unknown_merge_commit_is_a_mismatch_that_says_so() {
    let repo = Repo::new("init");
    for wanted in ["deadbeefdeadbeef", "--upload-pack=evil", "HEAD~1"] {
        let flag = format!("--merge-commit={wanted}");
        let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", &flag, "--", "true"]));
        assert_eq!(out.status.code(), Some(4), "{wanted}");
        assert_eq!(env["decision"]["reason_codes"][0], "WORKTREE_MISMATCH");
        let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
        assert!(reason.contains("is not a commit in this repository"), "{reason}");
    }
}

#[test]
fn a_directory_that_is_not_a_checkout_is_blocked() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, env) = run_envelope(bin().current_dir(tmp.path()).args(["run", "--dry-run", "--", "true"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["decision"]["reason_codes"][0], "WORKTREE_MISMATCH");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert!(reason.contains("is not a git checkout"), "{reason}");

    let missing = tmp.path().join("missing");
    let (_, env) = run_envelope(bin().args(["run", "--workdir"]).arg(&missing).args(["--", "true"]));
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert!(reason.contains("does not exist"), "{reason}");
}

#[test]
fn changed_tracked_files_are_not_the_merge_commit() {
    let repo = Repo::new("init");
    std::fs::write(repo.dir.join("README.md"), "edited after checkout\n").unwrap();
    std::fs::write(repo.dir.join("untracked.log"), "build output\n").unwrap();
    let marker = repo.tmp.path().join("ran");
    let command = format!("touch {}", marker.display());
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--command", &command]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["decision"]["reason_codes"][0], "WORKTREE_MISMATCH");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert_eq!(reason, "the work tree has changes the merge commit does not: `README.md`");
    assert!(!marker.exists());
    // Untracked files alone (build output) are fine.
    git(&repo.dir, &["checkout", "--", "README.md"]);
    let (out, _) = run_envelope(repo.run().args(["--skip-stale-check", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_unresolvable_merge_commit_is_not_called_stale() {
    let repo = Repo::with_origin("init");
    let (_, env) = run_envelope(repo.run().args(["--merge-commit", "deadbeef", "--command", "true"]));
    assert_eq!(env["decision"]["reason_codes"], serde_json::json!(["WORKTREE_MISMATCH"]));
    assert_eq!(env["stale"], false);
    assert_eq!(env["stale_check"], "skipped");
}
