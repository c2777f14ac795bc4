//! Class 7, workflow commands in the log. Inside GitHub Actions the runner executes any
//! stderr line that starts with `::`, outside a `::stop-commands::<token>` fence. What the
//! merge controls (the command string, the task file and registry, and the messages that
//! quote them) and what the smoke prints must never become such a line: the fence opens
//! before the command is printed, messages are one line starting with `post-merge-smoke:`,
//! and the closing fence starts a line of its own whatever the smoke left half-written.
//! Each test reads stderr as the runner would and finds only the tool's own commands.

use std::path::Path;

use crate::common::{Repo, git};

use super::support::{Step, command_lines, foreign_commands, run_timed, stderr};

/// Lines the runner would execute that the tool did not mean to write.
fn assert_no_forged_commands(err: &str) {
    let forged = foreign_commands(err);
    assert!(forged.is_empty(), "the runner would execute {forged:#?}\nfrom:\n{err}");
}

/// The tool's own `::error` annotation, exactly once, outside every fence.
fn assert_one_annotation(err: &str, status: &str) {
    let annotations: Vec<String> =
        command_lines(err).into_iter().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(annotations.len(), 1, "{annotations:#?}\n{err}");
    assert!(
        annotations[0].starts_with(&format!("::error title=post-merge-smoke%3A {status}::")),
        "{}",
        annotations[0]
    );
}

#[test]
fn a_command_string_carrying_workflow_commands_is_printed_inside_the_fence() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let smoke = "true\n::set-output name=status::PASS\n::add-mask::FAIL\n::error::forged\nexit 1";
    let (out, env, _) = run_timed(step.command(&repo).args(["--command", smoke]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    let err = stderr(&out);
    assert_no_forged_commands(&err);
    assert_one_annotation(&err, "FAIL");
    let running: Vec<&str> = err.lines().filter(|l| l.starts_with("post-merge-smoke: running `")).collect();
    assert_eq!(running.len(), 1, "the command is shown on one line: {err}");
}

#[test]
fn a_task_file_named_with_workflow_commands_gives_one_line_messages() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let task =
        repo.tmp.path().join("x\n::error::forged\n::add-mask::BLOCKED\n::set-output name=status::PASS.md");
    let (out, env, _) = run_timed(step.command(&repo).arg("--task-file").arg(&task));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env["decision"]["reason_codes"][0], "SMOKE_CONFIG_INVALID");
    let err = stderr(&out);
    assert_no_forged_commands(&err);
    assert_one_annotation(&err, "BLOCKED");
    assert_eq!(step.outputs()["status"], "BLOCKED");
}

/// The merge brings the registry, so it chooses the text of the error messages about it.
#[test]
fn registry_errors_quoting_workflow_commands_give_one_line_messages() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let registry = "default: \"true\"\n\"comand\\n::error::forged\\n::add-mask::BLOCKED\": x\n";
    let merge = repo.commit_file(".github/post-merge-smoke.yml", registry, "Registry (#42)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    let step = Step::new(&repo);
    let (out, env, _) = run_timed(&mut step.command(&repo));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env["merge_commit"], merge.as_str());
    assert_eq!(env["decision"]["reason_codes"][0], "SMOKE_CONFIG_INVALID");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("::error::forged"), "the envelope keeps the text as data: {reason}");
    let err = stderr(&out);
    assert_no_forged_commands(&err);
    assert_one_annotation(&err, "BLOCKED");
}

/// A smoke that ends without a newline, on both streams, echoed or not: the closing fence
/// still starts its own line, so the fence closes and the annotation after it counts.
#[test]
fn a_half_written_last_line_does_not_swallow_the_closing_fence() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let smoke = "printf 'no newline on stdout'; printf 'nor on stderr ::' >&2; exit 1";
    for quiet in [false, true] {
        let mut cmd = step.command(&repo);
        cmd.args(["--command", smoke]);
        if quiet {
            cmd.arg("--quiet");
        }
        let (out, env, _) = run_timed(&mut cmd);
        assert_eq!(env["status"], "FAIL");
        let err = stderr(&out);
        assert_no_forged_commands(&err);
        assert_one_annotation(&err, "FAIL");
    }
}

/// A smoke that closes the fence with every token it can think of, and opens fences of its
/// own: the runner only ends a fence on its token, which the smoke never sees.
#[test]
fn a_smoke_guessing_fence_tokens_cannot_end_the_fence() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let smoke = r#"for t in '' x stop-commands 0 00000000000000000000000000000000 ffffffffffffffffffffffffffffffff; do echo "::$t::"; echo "::error::after-$t"; done
echo '::stop-commands::mine'; echo '::mine::'; echo '::error::after-mine' >&2
for i in $(seq 200); do printf '::%032x::\n' $RANDOM$RANDOM; done
echo '::error::at-the-end'; exit 1"#;
    let (out, _, _) = run_timed(step.command(&repo).args(["--command", smoke]));
    let err = stderr(&out);
    assert_no_forged_commands(&err);
    assert_one_annotation(&err, "FAIL");
}

/// The fence is the tool's own random token, not text to mask: a secret that is part of
/// `stop-commands` (any value of a `*_TOKEN` variable, say) must not turn the opening line
/// into plain text, which would leave the smoke's output unfenced.
#[test]
fn a_secret_that_is_part_of_the_fence_does_not_break_it() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    for secret in ["stop-commands", "stop", "commands"] {
        let (out, _, _) = run_timed(
            step.command(&repo)
                .env("SOME_TOKEN", secret)
                .args(["--command", "echo '::error::forged'; exit 1"]),
        );
        let err = stderr(&out);
        assert!(!command_lines(&err).iter().any(|l| l == "::error::forged"), "secret `{secret}`:\n{err}");
    }
}

/// The task file itself: a front matter whose values carry commands is data, and the
/// `running` line that shows the command stands inside the fence.
#[test]
fn a_task_file_whose_command_carries_workflow_commands_runs_fenced() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let task = repo.tmp.path().join("task.md");
    write(
        &task,
        "---\ntask_id: \"::error::forged-id\"\nsmoke_command: \"echo '::warning::x'; exit 1\"\n---\n",
    );
    let (out, env, _) = run_timed(step.command(&repo).arg("--task-file").arg(&task));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["task_id"], "::error::forged-id");
    let err = stderr(&out);
    assert_no_forged_commands(&err);
    assert_one_annotation(&err, "FAIL");
    assert!(!step.outputs().contains_key("::error"), "outputs stay well-formed");
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
}
