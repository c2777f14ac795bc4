//! The process engine against real processes and signals: timeouts that kill whole trees,
//! grandchildren that hold the pipes, SIGTERM ignored, `setsid` escapes, cancellation.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::common::{
    Repo, alive, envelope, fixture, hanging_remote, run_envelope, signal_during_stale_check, wait_for,
};

/// Pids a fixture wrote, one per line, to `file`.
fn pids(file: &Path) -> Vec<i32> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn assert_all_dead(pidfile: &Path) {
    let pids = pids(pidfile);
    assert!(!pids.is_empty(), "the fixture wrote no pids to {}", pidfile.display());
    // Reparenting and reaping by init take a moment after the binary exits.
    let deadline = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<_> = pids.iter().filter(|p| alive(**p)).collect();
    assert!(left.is_empty(), "processes survived the run: {left:?}");
}

fn script(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// Runs the smoke fixture `name` with extra flags; returns the envelope, exit code, seconds.
fn run_fixture(repo: &Repo, name: &str, flags: &[&str]) -> (serde_json::Value, Option<i32>, f64) {
    let pidfile = repo.tmp.path().join("pids");
    let started = Instant::now();
    let (out, env) = run_envelope(
        repo.run()
            .args(["--skip-stale-check", "--quiet"])
            .args(flags)
            .env("PIDFILE", &pidfile)
            .arg("--")
            .arg(script(name)),
    );
    (env, out.status.code(), started.elapsed().as_secs_f64())
}

#[test]
fn timeout_kills_a_grandchild_that_holds_stdout() {
    let repo = Repo::new("init");
    let (env, code, secs) =
        run_fixture(&repo, "grandchild_holds_pipe.sh", &["--timeout", "1", "--kill-grace", "1"]);
    assert_eq!(env["status"], "TIMEOUT");
    assert_eq!(code, Some(3));
    assert!(secs < 1.0 + 1.0 + 1.5, "took {secs:.1}s");
    assert_eq!(env["smoke_result"]["exit_code"], serde_json::Value::Null);
    assert!(env["smoke_result"]["stdout_tail"].as_str().unwrap_or("").contains("started"));
    assert_all_dead(&repo.tmp.path().join("pids"));
}

#[test]
fn timeout_kills_a_tree_that_ignores_sigterm() {
    let repo = Repo::new("init");
    let (env, code, secs) = run_fixture(&repo, "ignore_sigterm.sh", &["--timeout", "1", "--kill-grace", "1"]);
    assert_eq!((env["status"].as_str(), code), (Some("TIMEOUT"), Some(3)));
    assert!((1.9..3.5).contains(&secs), "SIGKILL should come after the grace: took {secs:.1}s");
    assert_all_dead(&repo.tmp.path().join("pids"));
}

#[test]
fn descendants_that_left_the_group_are_still_ended() {
    let repo = Repo::new("init");
    let (env, code, _) = run_fixture(&repo, "setsid_escape.sh", &["--timeout", "1", "--kill-grace", "1"]);
    assert_eq!((env["status"].as_str(), code), (Some("TIMEOUT"), Some(3)));
    assert_all_dead(&repo.tmp.path().join("pids"));
}

#[test]
fn background_processes_left_by_a_passing_smoke_are_ended() {
    let repo = Repo::new("init");
    let (env, code, secs) = run_fixture(&repo, "leak_and_exit.sh", &["--timeout", "30"]);
    assert_eq!((env["status"].as_str(), code), (Some("PASS"), Some(0)));
    assert!(secs < 5.0, "a leaked pipe holder must not hold the run: {secs:.1}s");
    assert_all_dead(&repo.tmp.path().join("pids"));
}

#[test]
fn a_smoke_killed_by_a_signal_fails_without_an_exit_code() {
    let repo = Repo::new("init");
    let kill = ["--skip-stale-check", "--command", "kill -KILL $$"];
    let (_, env) = run_envelope(repo.run().args(kill).args(["--retries", "0"]));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["smoke_result"]["exit_code"], serde_json::Value::Null);
    assert_eq!(env["smoke_result"]["failure_reason"], "the smoke was killed by SIGKILL");
    // Retried by default, and confirmed.
    let (_, env) = run_envelope(repo.run().args(kill));
    assert_eq!(
        env["smoke_result"]["failure_reason"],
        "the smoke was killed by SIGKILL; confirmed: all 3 attempts failed"
    );
    assert_eq!(env["attempts"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_smoke_that_cannot_start_fails_and_says_why() {
    let repo = Repo::new("init");
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--", "/nonexistent/smoke", "x"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["smoke_result"]["exit_code"], serde_json::Value::Null);
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert!(reason.contains("could not be started") && reason.contains("/nonexistent/smoke"), "{reason}");
    assert_eq!(env["escalation"]["type"], "POST_MERGE_SMOKE_FAILED");
}

#[test]
fn stdin_is_closed_and_the_smoke_runs_at_the_top_level() {
    let repo = Repo::new("init");
    let sub = repo.dir.join("sub/dir");
    std::fs::create_dir_all(&sub).unwrap();
    // `cat` would wait forever on an open stdin; the timeout would turn that into TIMEOUT.
    let (_, env) = run_envelope(repo.run().current_dir(&sub).args([
        "--skip-stale-check",
        "--timeout",
        "5",
        "--command",
        "cat; pwd",
    ]));
    assert_eq!(env["status"], "PASS");
    let top = repo.dir.canonicalize().unwrap();
    assert_eq!(env["smoke_result"]["stdout_tail"], format!("{}\n", top.display()));
}

#[test]
fn the_tools_own_variables_and_token_do_not_reach_the_smoke() {
    let repo = Repo::new("init");
    let (_, env) = run_envelope(
        repo.run()
            .env("POST_MERGE_SMOKE_GITHUB_TOKEN", "tool-token-value")
            .env("POST_MERGE_SMOKE_SKIP_STALE_CHECK", "true")
            .env("VISIBLE", "yes")
            .args(["--command", "env | grep -c POST_MERGE_SMOKE_ || true; echo VISIBLE=$VISIBLE"]),
    );
    assert_eq!(env["smoke_result"]["stdout_tail"], "0\nVISIBLE=yes\n");
}

/// Starts the binary on a smoke that records its pid and sleeps; waits until it runs.
fn start_sleeping_smoke(repo: &Repo) -> (Child, std::path::PathBuf) {
    let pidfile = repo.tmp.path().join("pids");
    let child = crate::common::bin_std()
        .current_dir(&repo.dir)
        .args(["run", "--skip-stale-check", "--quiet", "--kill-grace", "10", "--timeout", "600", "--"])
        .arg(script("ignore_sigterm.sh"))
        .env("PIDFILE", &pidfile)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for("the smoke to start its tree", || pids(&pidfile).len() >= 2);
    (child, pidfile)
}

fn cancel_with(signal: Signal) {
    let repo = Repo::new("init");
    let (child, pidfile) = start_sleeping_smoke(&repo);
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), signal).expect("signal the binary");
    let out = child.wait_with_output().expect("wait");
    let secs = sent.elapsed().as_secs_f64();
    // The tree ignores SIGTERM, so this also proves the cancel grace is capped well inside
    // the runner's 7.5 s window rather than waiting out --kill-grace 10.
    assert!(secs < 5.0, "cancellation took {secs:.1}s");
    let env = envelope(&out);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["decision"]["reason_codes"][0], "RUN_CANCELLED");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or("");
    assert!(reason.contains(signal.as_str()), "{reason}");
    assert_all_dead(&pidfile);
}

#[test]
fn sigint_cancels_the_run_and_still_writes_the_envelope() {
    cancel_with(Signal::SIGINT);
}

#[test]
fn sigterm_cancels_the_run_and_still_writes_the_envelope() {
    cancel_with(Signal::SIGTERM);
}

#[test]
fn a_cancel_while_the_remote_hangs_still_writes_the_envelope_in_time() {
    let (port, connected) = hanging_remote();
    // SIGTERM once the stale check has connected: the tool is then waiting on the remote.
    let url = format!("git://127.0.0.1:{port}/r.git");
    let (out, took) = signal_during_stale_check(&url, Signal::SIGTERM, &connected);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let env = envelope(&out);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(
        env["decision"]["reason_codes"],
        serde_json::json!(["RUN_CANCELLED", "POST_MERGE_SMOKE_PASS"])
    );
    assert_eq!(env["smoke_result"]["passed"], true);
    assert_eq!(env["stale_check"], "unavailable");
}

#[test]
fn a_relative_program_is_found_from_the_smoke_s_working_directory() {
    let repo = Repo::new("init");
    std::fs::write(repo.dir.join("smoke.sh"), "#!/bin/sh\necho from-the-top\n").unwrap();
    std::fs::set_permissions(repo.dir.join("smoke.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let sub = repo.dir.join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    // Started from a subfolder: the smoke runs at the top level, and so does `./smoke.sh`.
    let (_, env) =
        run_envelope(repo.run().current_dir(&sub).args(["--skip-stale-check", "--", "./smoke.sh"]));
    assert_eq!(env["status"], "PASS", "{env}");
    assert_eq!(env["smoke_result"]["stdout_tail"], "from-the-top\n");
}
