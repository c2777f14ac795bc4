//! Where the smoke command comes from: flag, task file, registry, none; and what a broken
//! task file or registry does to the verdict.

use crate::common::{Repo, git, run_envelope};

fn write(repo: &Repo, path: &str, text: &str) -> std::path::PathBuf {
    let full = repo.dir.join(path);
    std::fs::create_dir_all(full.parent().expect("a file in a folder")).expect("mkdir");
    std::fs::write(&full, text).expect("write");
    full
}

#[test]
fn task_file_front_matter_gives_command_id_and_timeout() {
    let repo = Repo::new("Add thing (#8)");
    write(
        &repo,
        "task.md",
        "---\ntask_id: task-2512\nsmoke_command: echo from-task\ntimeout_sec: 42\n---\n# Do it\n",
    );
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--task-file", "task.md"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["smoke_command_source"], "task_file");
    assert_eq!(env["smoke_result"]["command"], "echo from-task");
    assert_eq!(env["task_id"], "task-2512");
    assert_eq!(env["timeout_sec"], 42);
    // Flags beat the file.
    let (_, env) = run_envelope(repo.run().args([
        "--skip-stale-check",
        "--task-file",
        "task.md",
        "--task-id",
        "T-1",
        "--timeout",
        "9",
        "--command",
        "echo flag",
    ]));
    assert_eq!(
        (env["smoke_command_source"].as_str(), env["task_id"].as_str(), env["timeout_sec"].as_u64()),
        (Some("cli"), Some("T-1"), Some(9))
    );
}

#[test]
fn task_file_timeout_applies_to_the_run() {
    let repo = Repo::new("init");
    write(&repo, "task.md", "# Task\n\n```yaml\nsmoke_command: sleep 30\ntimeout_sec: 1\n```\n");
    let (out, env) =
        run_envelope(repo.run().args(["--skip-stale-check", "--kill-grace", "0", "--task-file", "task.md"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("TIMEOUT"), Some(3)));
    assert_eq!(env["escalation"]["evidence"]["timeout_sec"], 1);
}

#[test]
fn registry_task_entry_beats_paths_which_beat_default() {
    let repo = Repo::new("init");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\ntasks:\n  task-9: echo task\npaths:\n  - glob: \"api/**\"\n    command: echo api\n",
        "Add the registry",
    );
    repo.commit_file("api/src/lib.rs", "fn x() {}", "Change the api (#77)");
    let run = |extra: &[&str]| {
        let (_, env) = run_envelope(repo.run().args(["--skip-stale-check"]).args(extra));
        (env["smoke_command_source"].clone(), env["smoke_result"]["stdout_tail"].clone(), env)
    };
    let (source, out, env) = run(&[]);
    assert_eq!((source.as_str(), out.as_str()), (Some("registry"), Some("api\n")));
    assert_eq!(env["changed_paths"], serde_json::json!(["api/src/lib.rs"]));
    assert_eq!(env["task_id"], "#77");
    let (_, out, _) = run(&["--task-id", "task-9"]);
    assert_eq!(out, "task\n");
    repo.commit_file("docs/readme.md", "x", "Docs only");
    let (_, out, _) = run(&[]);
    assert_eq!(out, "default\n");
}

/// A merge changed what its branch brought to main, not what main did since the branch
/// left: the docs smoke does not run for a merge that touched only the api.
#[test]
fn a_merge_s_changed_paths_are_against_its_first_parent() {
    let repo = Repo::new("init");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        "default: echo default\npaths:\n  - glob: \"api/**\"\n    command: echo api\n  - glob: \"docs/**\"\n    command: echo docs\n",
        "Add the registry",
    );
    git(&repo.dir, &["checkout", "-q", "-b", "feature"]);
    repo.commit_file("api/lib.rs", "fn x() {}", "Change the api");
    git(&repo.dir, &["checkout", "-q", "main"]);
    repo.commit_file("docs/guide.md", "x", "Docs on main meanwhile");
    git(
        &repo.dir,
        &["merge", "-q", "--no-ff", "--no-edit", "-m", "Merge pull request #5 from feature", "feature"],
    );
    let (_, env) = run_envelope(repo.run().args(["--skip-stale-check"]));
    assert_eq!(env["changed_paths"], serde_json::json!(["api/lib.rs"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "api\n", "{env}");
    assert_eq!(env["task_id"], "#5");
}

#[test]
fn registry_keyed_by_the_pull_request_number() {
    let repo = Repo::new("Merge pull request #31 from o/feature\n\nFeature");
    write(&repo, "smokes.yml", "tasks:\n  \"#31\": echo pr-31\n");
    let (_, env) = run_envelope(repo.run().args(["--skip-stale-check", "--registry", "smokes.yml"]));
    assert_eq!(env["smoke_result"]["stdout_tail"], "pr-31\n");
    assert_eq!(env["task_id"], "#31");
}

fn assert_config_invalid(env: &serde_json::Value, code: Option<i32>, needles: &[&str]) {
    assert_eq!(code, Some(4));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["decision"]["reason_codes"][0], "SMOKE_CONFIG_INVALID");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    for needle in needles {
        assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
    }
}

#[test]
fn a_broken_task_file_is_blocked_with_file_line_and_problem() {
    let repo = Repo::new("init");
    write(&repo, "task.md", "---\ntask_id: x\nsmoke_command: \"unterminated\n---\n");
    let (out, env) =
        run_envelope(repo.run().args(["--skip-stale-check", "--dry-run", "--task-file", "task.md"]));
    assert_config_invalid(&env, out.status.code(), &["`task.md`", "line "]);
    // Even a dry run does not turn a broken file into a skip.
    assert_eq!(env["dry_run"], true);
}

#[test]
fn a_missing_task_file_is_blocked() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--task-file", "nope.md"]));
    assert_config_invalid(&env, out.status.code(), &["`nope.md` does not exist"]);
}

#[test]
fn a_broken_default_registry_is_blocked_with_file_line_and_problem() {
    let repo = Repo::new("init");
    write(
        &repo,
        ".github/post-merge-smoke.yml",
        "default: echo ok\npaths:\n  - glob: \"src/**\"\n    comand: x\n",
    );
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check"]));
    assert_config_invalid(
        &env,
        out.status.code(),
        &["post-merge-smoke.yml`, line 4", "unknown field `comand`"],
    );
}

#[test]
fn a_registry_without_a_match_leaves_the_missing_smoke_policy_to_decide() {
    let repo = Repo::new("init");
    write(&repo, ".github/post-merge-smoke.yml", "tasks:\n  other: echo other\n");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check"]));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("BLOCKED"), Some(4)));
    assert_eq!(env["decision"]["reason_codes"][0], "SMOKE_COMMAND_MISSING");
    assert_eq!(env["smoke_command_source"], "none");
}

#[test]
fn the_default_registry_is_the_repository_s_even_with_a_workdir_below_it() {
    let repo = Repo::new("init");
    write(&repo, ".github/post-merge-smoke.yml", "default: pwd\n");
    let sub = repo.dir.join("services/api");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--workdir"]).arg(&sub));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env["smoke_command_source"], "registry");
    // The smoke itself runs in the work directory it was given.
    assert_eq!(env["smoke_result"]["stdout_tail"], format!("{}\n", sub.display()));
}
