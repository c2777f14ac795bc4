//! Class 4, stalling the tool or taking its memory through the files it reads: a FIFO
//! (opening it waits for a writer for ever), `/dev/zero` (never ends), a file far over its
//! cap, YAML nested tens of thousands deep or expanding through aliases, and JUnit
//! reports that are any of those. Each run ends in seconds, under an address-space limit
//! far below what reading the file whole would need, with a clear BLOCKED (or a warning,
//! for what is optional) and a valid envelope.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Repo, git};

use super::support::{Step, foreign_commands, run_timed, stderr, with_memory_limit};

/// The most any of these runs may take: a hang shows as this, not as a stuck suite.
const QUICK: Duration = Duration::from_secs(5);
/// The address space the binary gets, in MiB: enough for a run, not for `/dev/zero`.
const MEMORY_MIB: u64 = 512;

fn fifo(path: &Path) -> &Path {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    path
}

/// Runs `cmd` bounded in memory; asserts it ended quickly, and returns the envelope.
fn run_bounded(cmd: &Command) -> (std::process::Output, Value) {
    let (out, env, took) = run_timed(&mut with_memory_limit(cmd, MEMORY_MIB));
    assert!(took < QUICK, "took {took:?}: {}", stderr(&out));
    (out, env)
}

/// Asserts BLOCKED for `code`, exit 4, with a reason that says `why`.
fn assert_blocked(out: &std::process::Output, env: &Value, code: &str, why: &str) {
    assert_eq!(out.status.code(), Some(4), "{}", stderr(out));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["decision"]["reason_codes"][0], code, "{}", env["decision"]);
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap_or_default();
    assert!(reason.contains(why), "failure_reason `{reason}` does not say `{why}`");
}

fn run_with(repo: &Repo, args: &[&str]) -> Command {
    let mut cmd = crate::common::bin_std();
    cmd.current_dir(&repo.dir).args(["run", "--skip-stale-check", "--retries", "0"]).args(args);
    cmd
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn a_task_file_that_is_a_fifo_is_blocked_at_once() {
    let repo = Repo::new("init");
    let task = fifo(&repo.tmp.path().join("task.md")).to_owned();
    let (out, env) = run_bounded(&run_with(&repo, &["--task-file", path_arg(&task)]));
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "is a FIFO, not a regular file");
}

#[test]
fn a_registry_that_is_a_fifo_is_blocked_at_once() {
    let repo = Repo::new("init");
    let registry = fifo(&repo.tmp.path().join("registry.yml")).to_owned();
    let (out, env) = run_bounded(&run_with(&repo, &["--registry", path_arg(&registry)]));
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "is a FIFO, not a regular file");
}

#[test]
fn a_task_file_that_is_dev_zero_is_blocked_at_once() {
    let repo = Repo::new("init");
    let (out, env) = run_bounded(&run_with(&repo, &["--task-file", "/dev/zero"]));
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "`/dev/zero` is a device");
}

/// A merge can commit the default registry as a link to `/dev/zero`: git stores links.
#[test]
fn a_merged_registry_linked_to_dev_zero_is_blocked_at_once() {
    let repo = Repo::new("init");
    std::fs::create_dir_all(repo.dir.join(".github")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", repo.dir.join(".github/post-merge-smoke.yml")).expect("symlink");
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-q", "-m", "Registry (#7)"]);
    let (out, env) = run_bounded(&run_with(&repo, &[]));
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "post-merge-smoke.yml` is a device");
}

#[test]
fn a_task_file_over_the_cap_is_blocked_without_being_read() {
    let repo = Repo::new("init");
    let task = repo.tmp.path().join("task.md");
    // Sparse: 100 GiB that take no disk, and would take the memory if read.
    std::fs::File::create(&task).expect("create").set_len(100 << 30).expect("set_len");
    let (out, env) = run_bounded(&run_with(&repo, &["--task-file", path_arg(&task)]));
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "is larger than the 1 MiB allowed");
}

#[test]
fn yaml_nested_a_hundred_thousand_deep_is_blocked_in_a_moment() {
    let repo = Repo::new("init");
    let registry = repo.tmp.path().join("registry.yml");
    let depth = 100_000;
    std::fs::write(&registry, format!("default: {}x{}\n", "[".repeat(depth), "]".repeat(depth)))
        .expect("write");
    let (out, env, took) = run_timed(&mut run_with(&repo, &["--registry", path_arg(&registry)]));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "nested more than 64 levels deep");

    // The same in a task file's front matter: as sequence dashes, as explicit keys (`? `,
    // a mapping in a mapping's key), and as indentation.
    let task = repo.tmp.path().join("task.md");
    let indented: String = (0..1000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let dashes = format!("deep:\n  {}x\n", "- ".repeat(depth));
    let keys = format!("deep:\n  {}x\n", "? ".repeat(5 * depth));
    for yaml in [dashes, keys, indented] {
        std::fs::write(&task, format!("---\nsmoke_command: \"true\"\n{yaml}---\n# Task\n")).expect("write");
        let (out, env, took) = run_timed(&mut run_with(&repo, &["--task-file", path_arg(&task)]));
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert_blocked(&out, &env, "SMOKE_CONFIG_INVALID", "nested more than 64 levels deep");
    }
}

/// A few hundred bytes of anchors and aliases that expand to billions of nodes.
#[test]
fn yaml_aliases_that_expand_to_billions_are_blocked_in_a_moment() {
    let repo = Repo::new("init");
    let registry = repo.tmp.path().join("registry.yml");
    let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        yaml.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    yaml.push_str("default: \"true\"\ntasks: *a9\n");
    std::fs::write(&registry, yaml).expect("write");
    let (out, env) = run_bounded(&run_with(&repo, &["--registry", path_arg(&registry)]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env["decision"]["reason_codes"][0], "SMOKE_CONFIG_INVALID");
}

/// The push payload `GITHUB_EVENT_PATH` names: a FIFO, `/dev/zero`, far over 25 MiB.
#[test]
fn an_event_payload_that_is_a_fifo_a_device_or_huge_is_blocked_at_once() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let huge = repo.tmp.path().join("huge-event.json");
    std::fs::File::create(&huge).expect("create").set_len(100 << 30).expect("set_len");
    let fifo = fifo(&repo.tmp.path().join("event-fifo.json")).to_owned();
    for (payload, why) in [
        (fifo.as_path(), "is a FIFO, not a regular file"),
        (Path::new("/dev/zero"), "`/dev/zero` is a device"),
        (huge.as_path(), "is larger than the 25 MiB allowed"),
    ] {
        let mut cmd = step.command(&repo);
        cmd.env("GITHUB_EVENT_PATH", payload).args(["--command", "true"]);
        let (out, env) = run_bounded(&cmd);
        assert_blocked(&out, &env, "EVENT_PAYLOAD_INVALID", why);
        assert_eq!(step.outputs()["status"], "BLOCKED");
    }
}

/// Runner files that were never regular files (an earlier step left a FIFO, or points
/// `GITHUB_OUTPUT` at `/dev/full`): a warning each, and the verdict stands.
#[test]
fn runner_files_that_are_fifos_or_devices_cost_a_warning_not_a_hang() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    for file in [&step.output, &step.env, &step.summary] {
        std::fs::remove_file(file).expect("rm");
        fifo(file);
    }
    let mut cmd = step.command(&repo);
    cmd.env("GITHUB_PATH", "/dev/zero").env("GITHUB_STATE", "/dev/full").args(["--command", "true"]);
    let (out, env) = run_bounded(&cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    let warnings = foreign_commands(&stderr(&out));
    assert!(warnings.is_empty(), "{warnings:#?}");
    let err = stderr(&out);
    assert!(err.contains("cannot write step outputs"), "{err}");

    let mut cmd = step.command(&repo);
    cmd.env("GITHUB_OUTPUT", "/dev/full")
        .env("GITHUB_STEP_SUMMARY", "/dev/full")
        .args(["--command", "exit 1"]);
    let (out, env) = run_bounded(&cmd);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["status"], "FAIL");
}

/// JUnit reports are the smoke's to write, so the smoke can make them anything.
#[test]
fn junit_reports_that_are_fifos_devices_huge_or_looping_cost_a_warning_not_a_hang() {
    let repo = Repo::new("init");
    let smoke = "mkfifo fifo-report.xml; ln -s /dev/zero zero-report.xml; truncate -s 100G huge-report.xml; \
                 mkdir -p loop; ln -s .. loop/up; echo 'test broken ... FAILED'; exit 1";
    let (out, env) =
        run_bounded(&run_with(&repo, &["--junit", "*.xml", "--junit", "loop/**/*.xml", "--command", smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["status"], "FAIL");
    let err = stderr(&out);
    for (name, why) in [
        ("fifo-report.xml", "FIFO"),
        ("zero-report.xml", "device"),
        ("huge-report.xml", "larger than the 64 MiB allowed"),
    ] {
        assert!(err.lines().any(|l| l.contains(name) && l.contains(why)), "no warning for {name}:\n{err}");
    }
}
