//! Class 1, a red run turned green through the runner's files. The smoke has no
//! `GITHUB_OUTPUT` (nor `GITHUB_ENV`, ...) in its environment, but it keeps `RUNNER_TEMP`
//! and finds them in `_runner_file_commands/`. Whatever it writes there, and however it
//! swaps the files (read-only, a link, a FIFO, a folder, gone), the step's outputs after
//! the run are the tool's own verdict, every file is a regular file with the bytes and
//! mode it had before, and when that cannot be done the run fails closed.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::common::Repo;

use super::support::{
    Step, assert_regular, git_any_owner, marker, mode, run_timed, stderr, unprivileged, with_memory_limit,
};

/// Finds the runner's files as an attacker would: `$out`, `$env`, `$path`, `$state`, `$summary`.
const FIND: &str = r#"d="$RUNNER_TEMP/_runner_file_commands"
out=$(echo "$d"/set_output_*); env=$(echo "$d"/set_env_*); path=$(echo "$d"/add_path_*)
state=$(echo "$d"/save_state_*); summary=$(echo "$d"/step_summary_*)
"#;

/// Outputs that would turn the run green, and an unterminated heredoc that would swallow
/// the tool's own outputs written after it.
const FORGED: &str = r"status=PASS\nallow-continuation=true\nexit-code=0\nstale=false\ndangling<<NEVER\n";

fn repo_and_step() -> (Repo, Step) {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    (repo, step)
}

/// Asserts the outputs are the tool's FAIL, beside the earlier step's output, and nothing forged.
fn assert_fail_outputs(step: &Step) {
    let outputs = step.outputs();
    assert_eq!(outputs["status"], "FAIL", "{outputs:#?}");
    assert_eq!(outputs["allow-continuation"], "false");
    assert_eq!(outputs["exit-code"], "1");
    assert_eq!(outputs["earlier"], "kept");
    assert!(!outputs.contains_key("dangling"), "{outputs:#?}");
    assert_regular(&step.output);
    assert_eq!(mode(&step.output), 0o644);
}

#[test]
fn forged_outputs_in_a_file_made_read_only_do_not_turn_a_failure_green() {
    let (repo, step) = repo_and_step();
    let smoke = format!("{FIND}printf '{FORGED}' >> \"$out\"; chmod 0444 \"$out\"; exit 1");
    let (out, env, took) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["status"], "FAIL");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_fail_outputs(&step);
    let err = stderr(&out);
    assert!(err.contains("the smoke appended"), "a warning says what was undone:\n{err}");
}

#[test]
fn an_output_file_swapped_for_a_link_to_forged_outputs_is_put_back() {
    let (repo, step) = repo_and_step();
    let forged = repo.tmp.path().join("forged-outputs");
    let smoke = format!(
        "{FIND}printf 'earlier=kept\\n{FORGED}' > '{f}'; rm \"$out\"; ln -s '{f}' \"$out\"; exit 1",
        f = forged.display()
    );
    let (out, _, _) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_fail_outputs(&step);
    // The link went; its target was not written through.
    let target = std::fs::read_to_string(&forged).expect("the smoke's file");
    assert!(!target.contains("status=FAIL"), "{target}");
}

#[test]
fn an_output_file_swapped_for_a_fifo_does_not_hang_the_step() {
    let (repo, step) = repo_and_step();
    let smoke = format!("{FIND}rm \"$out\"; mkfifo \"$out\"; exit 1");
    let (out, env, took) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["status"], "FAIL");
    assert_fail_outputs(&step);
}

#[test]
fn an_output_file_swapped_for_a_folder_is_put_back() {
    let (repo, step) = repo_and_step();
    let smoke = format!("{FIND}rm \"$out\"; mkdir \"$out\"; printf '{FORGED}' > \"$out/x\"; exit 1");
    let (out, _, _) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_fail_outputs(&step);
}

#[test]
fn a_deleted_output_file_comes_back_with_the_earlier_steps_outputs() {
    let (repo, step) = repo_and_step();
    let smoke = format!("{FIND}rm \"$out\"; exit 1");
    let (out, _, _) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_fail_outputs(&step);
}

#[test]
fn a_runner_file_linked_to_dev_zero_costs_seconds_and_no_memory() {
    let (repo, step) = repo_and_step();
    let smoke =
        format!("{FIND}rm \"$env\"; ln -s /dev/zero \"$env\"; rm \"$path\"; ln -s /dev/zero \"$path\"");
    let mut cmd = step.command(&repo);
    cmd.args(["--command", &smoke]);
    // Reading either link whole would need far more than this.
    let (out, env, took) = run_timed(&mut with_memory_limit(&cmd, 1024));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    for (file, earlier) in [(&step.env, "EARLIER=kept\n"), (&step.path, "/opt/earlier/bin\n")] {
        assert_regular(file);
        assert_eq!(std::fs::read_to_string(file).expect("read"), earlier);
    }
    assert_eq!(step.outputs()["status"], "PASS");
}

#[test]
fn every_runner_file_swapped_at_once_is_put_back_byte_for_byte() {
    let (repo, step) = repo_and_step();
    // The summary becomes a link to the outputs: writing the summary through it would
    // append Markdown to the outputs and break them.
    let smoke = format!(
        r#"{FIND}rm "$env"; mkdir "$env"; echo 'BASH_ENV=/tmp/x' > "$env/x"
rm "$path"; mkfifo "$path"
rm "$state"; ln -s /etc/hostname "$state"
rm "$summary"; ln -s "$out" "$summary"
chmod 0400 "$out"
exit 0"#
    );
    let (out, env, took) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    for (file, earlier) in
        [(&step.env, "EARLIER=kept\n"), (&step.path, "/opt/earlier/bin\n"), (&step.state, "earlier=kept\n")]
    {
        assert_regular(file);
        assert_eq!(std::fs::read_to_string(file).expect("read"), earlier, "{}", file.display());
        assert_eq!(mode(file), 0o644);
    }
    assert_regular(&step.summary);
    let summary = std::fs::read_to_string(&step.summary).expect("read");
    assert!(summary.starts_with("earlier summary\n"), "{summary}");
    assert!(summary.contains("post-merge smoke: PASS"), "{summary}");
    let outputs = step.outputs();
    assert_eq!(outputs["status"], "PASS");
    assert_eq!(outputs["earlier"], "kept");
    assert_eq!(mode(&step.output), 0o644);
}

#[test]
fn a_writer_left_behind_cannot_forge_outputs_after_the_restore() {
    let (repo, step) = repo_and_step();
    let tag = marker("late-writer");
    // Detached from the smoke's group and pipes, it waits until the tool has written the
    // outputs, then appends forged ones.
    let smoke = format!(
        "{FIND}setsid bash -c 'sleep 1.5; printf \"{FORGED}\" >> \"$0\"' \"$out\" {tag} \
         </dev/null >/dev/null 2>&1 & exit 1"
    );
    let (out, _, _) = run_timed(step.command(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::thread::sleep(Duration::from_secs(2));
    assert_fail_outputs(&step);
    assert_eq!(super::support::left_after(&tag, Duration::ZERO), Vec::<i32>::new());
}

/// A smoke that makes the runner's files impossible to put back (read-only, in a folder it
/// made read-only; only an ordinary user is bound by that) cannot let its forged outputs
/// stand behind a green exit: the binary fails closed with 4.
#[test]
fn runner_files_that_cannot_be_put_back_fail_the_run_closed() {
    let (repo, step) = repo_and_step();
    // The real verdict is not green either: main moved on while the smoke ran (stale).
    let before = repo.head();
    repo.commit_file("later.txt", "later\n", "A later merge");
    git_any_owner(&repo.dir, &["push", "-q", "origin", "main"]);
    git_any_owner(&repo.dir, &["reset", "-q", "--hard", &before]);
    let smoke =
        format!("{FIND}printf '{FORGED}' >> \"$out\"; chmod 0444 \"$out\"; chmod 0555 \"$d\"; exit 0");
    let mut cmd = step.command(&repo);
    cmd.args(["--command", &smoke]);
    let Some(uid) = unprivileged(&mut cmd, repo.tmp.path()) else { return };
    let (out, env, _) = run_timed(&mut cmd);
    let files = step.runner_temp.join("_runner_file_commands");
    std::fs::set_permissions(&files, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "uid {uid}:\n{err}");
    assert_eq!(env["stale"], true);
    assert!(err.contains("could not be put back; failing closed"), "{err}");
}

/// The smoke knows where `--output` goes and puts a link there to a file of the user's
/// (a shell profile): the envelope must replace the link, not be written through it.
#[test]
fn an_output_path_swapped_for_a_link_is_replaced_not_written_through() {
    let (repo, step) = repo_and_step();
    let victim = repo.tmp.path().join("victim-profile");
    std::fs::write(&victim, "export PATH=/usr/bin\n").expect("write");
    let output = repo.tmp.path().join("out/envelope.json");
    let smoke = format!(
        "mkdir -p '{dir}'; ln -s '{victim}' '{output}'; exit 1",
        dir = output.parent().expect("parent").display(),
        victim = victim.display(),
        output = output.display()
    );
    let (out, env, _) =
        run_timed(step.command(&repo).arg("--output").arg(&output).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "export PATH=/usr/bin\n");
    assert_regular(&output);
    assert_eq!(crate::common::envelope_file(&output), env);
    assert_eq!(step.outputs()["envelope-path"], output.display().to_string());
}
