//! Class 5, the smoke and the tool's lifetime. A smoke can signal the tool (same user):
//! SIGTERM must not leave a green verdict, SIGKILL must take the smoke's leader down with
//! it (a parent-death signal; what the leader started is re-parented away and survives,
//! as the README says). A smoke can leave a tree that keeps forking; the git the stale
//! check starts can hang on a remote; none of it may outlive the run. Processes are found
//! by a marker in their command line, polled up to a deadline.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::common::{Repo, bin_std, envelope, hanging_remote, signal_during_stale_check, wait_for};

use super::support::{assert_dies, left_after, marker, run_timed, stderr};

fn pid_in(file: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// `post-merge-smoke run` in `repo`, without the stale check or retries.
fn run(repo: &Repo) -> std::process::Command {
    let mut cmd = bin_std();
    cmd.current_dir(&repo.dir).args(["run", "--skip-stale-check", "--retries", "0"]).stdin(Stdio::null());
    cmd
}

/// The binary on `smoke`, as a child the test can signal.
fn spawn(repo: &Repo, smoke: &str) -> Child {
    bin_std()
        .current_dir(&repo.dir)
        .args(["run", "--skip-stale-check", "--retries", "0", "--quiet", "--command", smoke])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

#[test]
fn a_smoke_that_sigterms_the_tool_is_blocked_not_green() {
    let repo = Repo::new("init");
    for smoke in ["kill -TERM $PPID; sleep 5; exit 0", "kill -INT $PPID; kill -INT $PPID; sleep 5; exit 1"] {
        let (out, env, took) = run_timed(run(&repo).args(["--command", smoke]));
        assert!(took < Duration::from_secs(5), "took {took:?}");
        assert_eq!(out.status.code(), Some(4), "{smoke}: {}", stderr(&out));
        assert_eq!(env["status"], "BLOCKED");
        assert_eq!(env["allow_continuation"], false);
        assert_eq!(env["decision"]["reason_codes"][0], "RUN_CANCELLED");
    }
}

/// The smoke kills the tool outright; its leader dies with it. The child the leader
/// started in the background survives: nothing is left to sweep it (README, "What stays
/// possible").
#[test]
fn a_smoke_that_sigkills_the_tool_dies_with_it() {
    let repo = Repo::new("init");
    let tag = marker("sigkill-by-smoke");
    let leader = repo.tmp.path().join("leader");
    let smoke = format!(
        "echo $$ > '{l}'; (exec -a {tag}-child sleep 1000) & sleep 0.2; kill -KILL $PPID; exec -a {tag}-leader sleep 1000",
        l = leader.display()
    );
    let child = spawn(&repo, &smoke);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.signal(), Some(9), "the tool was killed: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "no envelope from a killed tool");
    let leader = pid_in(&leader).expect("the smoke recorded its pid");
    assert_dies(leader, Duration::from_secs(5), "the smoke's leader");
    assert_eq!(left_after(&format!("{tag}-leader"), Duration::ZERO), Vec::<i32>::new());
    let survivors = left_after(&format!("{tag}-child"), Duration::from_millis(200));
    eprintln!(
        "documented: after a SIGKILL of the tool, the smoke's background child survived: {survivors:?}"
    );
}

/// The runner kills the tool outright (its last resort on cancellation) while the smoke
/// ignores SIGTERM: the leader goes too.
#[test]
fn the_smokes_leader_dies_when_the_tool_is_sigkilled() {
    let repo = Repo::new("init");
    let tag = marker("sigkill-by-runner");
    let leader = repo.tmp.path().join("leader");
    let smoke = format!("trap '' TERM INT; echo $$ > '{l}'; exec -a {tag} sleep 1000", l = leader.display());
    let mut child = spawn(&repo, &smoke);
    wait_for("the smoke to record its pid", || pid_in(&leader).is_some());
    let leader = pid_in(&leader).expect("the smoke recorded its pid");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).expect("kill");
    child.wait().expect("wait");
    assert_dies(leader, Duration::from_secs(5), "the smoke's leader");
}

#[test]
fn a_tree_that_keeps_forking_detached_children_is_still_ended() {
    let repo = Repo::new("init");
    let tag = marker("fork-loop");
    let smoke = format!(
        r#"setsid bash -c 'while :; do setsid bash -c "exec -a {tag}-sleeper sleep 1000" </dev/null >/dev/null 2>&1 & sleep 0.01; done' {tag}-loop </dev/null >/dev/null 2>&1 &
sleep 0.3; exit 0"#
    );
    let (out, env, took) = run_timed(run(&repo).args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(left_after(&tag, Duration::from_secs(2)), Vec::<i32>::new(), "processes outlived the run");
}

#[test]
fn git_hanging_on_a_remote_is_ended_when_the_run_is_cancelled() {
    for scheme in ["git", "http"] {
        let tag = marker(&format!("hanging-{scheme}"));
        let (port, connected) = hanging_remote();
        let url = format!("{scheme}://127.0.0.1:{port}/{tag}.git");
        let (out, took) = signal_during_stale_check(&url, Signal::SIGTERM, &connected);
        assert!(took < Duration::from_secs(3), "{scheme}: took {took:?}");
        assert_eq!(out.status.code(), Some(4), "{scheme}: {}", stderr(&out));
        let env = envelope(&out);
        assert_eq!(env["status"], "BLOCKED");
        assert_eq!(env["decision"]["reason_codes"][0], "RUN_CANCELLED");
        let left = left_after(&tag, Duration::from_secs(2));
        assert!(left.is_empty(), "{scheme}: git processes outlived the tool: {left:?}");
    }
}

/// No one can sweep after a SIGKILL of the tool, and git is in a process group of its own
/// (so that it can be killed as a whole): git that talks to a remote starts through the
/// tool's launcher, so a parent-death signal ends it with the tool.
#[test]
fn git_hanging_on_a_remote_dies_when_the_tool_is_sigkilled() {
    let tag = marker("hanging-sigkill");
    let (port, connected) = hanging_remote();
    let url = format!("git://127.0.0.1:{port}/{tag}.git");
    let (out, _) = signal_during_stale_check(&url, Signal::SIGKILL, &connected);
    assert_eq!(out.status.signal(), Some(9));
    let left = left_after(&tag, Duration::from_secs(3));
    assert!(left.is_empty(), "git outlived the tool: {left:?}");
}
