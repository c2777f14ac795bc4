//! What the hostile tests share: a GitHub Actions step whose runner files sit where the
//! runner puts them (`$RUNNER_TEMP/_runner_file_commands/`, so a smoke can find them
//! without their variables), the runner's own reading of `$GITHUB_OUTPUT`, the lines of
//! stderr the runner would execute, running the binary as an ordinary user (the kernel's
//! same-user rules do not bind root), and scans of `/proc` for processes left behind.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Repo, alive, bin_std, envelope, fixture, git};

pub const ZERO: &str = "0000000000000000000000000000000000000000";
/// The user the binary runs as when the tests run as root: `nobody`.
pub const NOBODY: u32 = 65534;

/// The runner-side files of one step, as the runner lays them out, inside the repository's
/// temp dir (so one `chown` hands everything to the unprivileged user).
pub struct Step {
    pub runner_temp: PathBuf,
    pub output: PathBuf,
    pub env: PathBuf,
    pub path: PathBuf,
    pub state: PathBuf,
    pub summary: PathBuf,
    pub event: PathBuf,
}

impl Step {
    /// A push of `repo`'s HEAD to `main`, with every runner file present and holding what
    /// an earlier step of the job wrote.
    pub fn new(repo: &Repo) -> Step {
        let runner_temp = repo.tmp.path().join("runner-temp");
        let files = runner_temp.join("_runner_file_commands");
        std::fs::create_dir_all(&files).expect("mkdir");
        let id = "3f0c7a52-1d9e-4b6a-9d1e-5a8f2c0b7e41";
        let step = Step {
            output: files.join(format!("set_output_{id}")),
            env: files.join(format!("set_env_{id}")),
            path: files.join(format!("add_path_{id}")),
            state: files.join(format!("save_state_{id}")),
            summary: files.join(format!("step_summary_{id}")),
            event: repo.tmp.path().join("event.json"),
            runner_temp,
        };
        for (file, earlier) in [
            (&step.output, "earlier=kept\n"),
            (&step.env, "EARLIER=kept\n"),
            (&step.path, "/opt/earlier/bin\n"),
            (&step.state, "earlier=kept\n"),
            (&step.summary, "earlier summary\n"),
        ] {
            std::fs::write(file, earlier).expect("write");
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let text = std::fs::read_to_string(fixture("events/push-branch-created.json")).expect("fixture");
        let mut payload: Value = serde_json::from_str(&text).expect("fixture is JSON");
        payload["ref"] = "refs/heads/main".into();
        payload["before"] = ZERO.into();
        payload["after"] = repo.head().into();
        std::fs::write(&step.event, serde_json::to_vec(&payload).expect("json")).expect("write");
        step
    }

    /// `post-merge-smoke run` as the action starts it on a push to `main`.
    pub fn command(&self, repo: &Repo) -> Command {
        let mut cmd = bin_std();
        cmd.current_dir(&repo.dir)
            .arg("run")
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", &self.event)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_SHA", repo.head())
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_ENV", &self.env)
            .env("GITHUB_PATH", &self.path)
            .env("GITHUB_STATE", &self.state)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("RUNNER_TEMP", &self.runner_temp)
            .args(["--retries", "0"])
            .stdin(Stdio::null());
        cmd
    }

    /// The step's outputs as the runner would set them; panics where the runner would fail
    /// the step on a malformed file.
    pub fn outputs(&self) -> BTreeMap<String, String> {
        // A FIFO left in its place would block this read for ever.
        assert_regular(&self.output);
        let text = std::fs::read_to_string(&self.output).expect("GITHUB_OUTPUT readable");
        runner_parse(&text)
            .unwrap_or_else(|e| panic!("the runner rejects GITHUB_OUTPUT ({e}):\n{text}"))
            .into_iter()
            .collect()
    }
}

/// `EnvFileKeyValuePairs` of actions/runner (`FileCommandManager.cs`), as in `actions.rs`:
/// `name=value` when `=` comes before any `<<`; else `name<<DELIM` and every line up to a
/// line equal to `DELIM`; a missing delimiter is an error.
pub fn runner_parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.is_empty() {
            continue;
        }
        match (line.find('='), line.find("<<")) {
            (Some(e), h) if h.is_none_or(|h| e < h) => pairs.push((line[..e].into(), line[e + 1..].into())),
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("Invalid format '{line}'"));
                }
                let end = lines[i..]
                    .iter()
                    .position(|l| *l == delimiter)
                    .ok_or_else(|| format!("Matching delimiter not found '{delimiter}'"))?;
                pairs.push((name.into(), lines[i..i + end].join("\n")));
                i += end + 1;
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(pairs)
}

/// The workflow commands among the lines of stderr outside the `::stop-commands::`
/// fences ([`crate::common::command_lines`]): what the runner would execute.
pub fn command_lines(stderr: &str) -> Vec<String> {
    crate::common::command_lines(stderr).into_iter().filter(|l| l.starts_with("::")).collect()
}

/// The workflow commands that are not the tool's own: its `::error title=post-merge-smoke`
/// annotation, its `::warning title=post-merge-smoke` warnings and its envelope group.
pub fn foreign_commands(stderr: &str) -> Vec<String> {
    command_lines(stderr)
        .into_iter()
        .filter(|l| {
            !(l.starts_with("::error title=post-merge-smoke%3A ")
                || l.starts_with("::warning title=post-merge-smoke::")
                || l.starts_with("::group::post-merge-smoke")
                || l == "::endgroup::")
        })
        .collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs to the end: the output, the envelope (schema-checked) and the wall time.
pub fn run_timed(cmd: &mut Command) -> (Output, Value, Duration) {
    let started = Instant::now();
    let out = cmd.output().expect("binary runs");
    let elapsed = started.elapsed();
    let env = envelope(&out);
    (out, env, elapsed)
}

/// Wraps `cmd` so that it runs under an address-space limit of `mib` MiB: a run that read
/// `/dev/zero` or a huge file whole would die instead of finishing with an envelope.
pub fn with_memory_limit(cmd: &Command, mib: u64) -> Command {
    let script = format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024);
    like(cmd, OsStr::new("bash"), &[OsStr::new("-c"), OsStr::new(&script), cmd.get_program()])
}

/// A command with `cmd`'s folder, environment and arguments (after `leading`) that runs
/// `program`, with stdin closed.
fn like(cmd: &Command, program: &OsStr, leading: &[&OsStr]) -> Command {
    let mut copy = Command::new(program);
    copy.args(leading).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        copy.current_dir(dir);
    }
    for (name, value) in cmd.get_envs() {
        match value {
            Some(value) => copy.env(name, value),
            None => copy.env_remove(name),
        };
    }
    copy.stdin(Stdio::null());
    copy
}

/// Makes `cmd` run as an ordinary user, so that what the kernel refuses a same-user
/// process (reading a non-dumpable process's `/proc` files) is refused: as root, the tool
/// and everything under `tmp` are handed to `nobody`; as anyone else, nothing changes.
/// As root, `cmd` is rebuilt to run a copy of the binary in `tmp` (the build may sit in a
/// folder only root can enter, such as a clone in `mktemp -d`), so set its stdio after.
/// `None` (after saying why on stderr) when neither is possible: the caller skips.
#[must_use]
#[allow(clippy::print_stderr, reason = "a skipped test says so where the test output shows it")]
pub fn unprivileged(cmd: &mut Command, tmp: &Path) -> Option<u32> {
    let uid = effective_uid();
    if uid != 0 {
        return Some(uid);
    }
    let copy = tmp.join("post-merge-smoke");
    if let Err(e) = std::fs::copy(cmd.get_program(), &copy) {
        eprintln!("SKIPPED: cannot copy the binary to {}: {e}", copy.display());
        return None;
    }
    if let Err(e) = chown_tree(tmp, NOBODY) {
        eprintln!("SKIPPED: cannot hand {} to uid {NOBODY}: {e}", tmp.display());
        return None;
    }
    *cmd = like(cmd, copy.as_os_str(), &[]);
    cmd.uid(NOBODY).gid(NOBODY).env("HOME", tmp);
    Some(NOBODY)
}

/// This process's user: the owner of its `/proc` entry.
pub fn effective_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

fn chown_tree(path: &Path, id: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(id), Some(id))?;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), id)?;
        }
    }
    Ok(())
}

/// Git for the test's own set-up of a repository another user may own by now.
pub fn git_any_owner(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["-c", "safe.directory=*"];
    all.extend_from_slice(args);
    crate::common::git(dir, &all)
}

/// A marker unique to one test, for file names and process command lines.
pub fn marker(name: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("pms-hostile-{name}-{}-{nanos}", std::process::id())
}

/// Live processes (zombies excluded) whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            contains(&cmdline, marker.as_bytes()) && alive(*pid)
        })
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Polls until no process carries `marker`, up to `within`; returns those still alive
/// (after killing them, so a failing test leaves nothing behind).
pub fn left_after(marker: &str, within: Duration) -> Vec<i32> {
    let deadline = Instant::now() + within;
    loop {
        let left = processes_with(marker);
        if left.is_empty() || Instant::now() >= deadline {
            // A tree that keeps forking needs a few rounds.
            for _ in 0..50 {
                let now = processes_with(marker);
                if now.is_empty() {
                    break;
                }
                for pid in now {
                    let _ =
                        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Panics unless `pid` ends within `within`.
pub fn assert_dies(pid: i32, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    while alive(pid) {
        if Instant::now() >= deadline {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
            panic!("{what} (pid {pid}) was still alive after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The file's permission bits.
pub fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).expect("stat").permissions().mode() & 0o7777
}

/// Panics unless `path` is a regular file (not a link, FIFO or folder).
pub fn assert_regular(path: &Path) {
    let kind = std::fs::symlink_metadata(path).expect("stat").file_type();
    assert!(kind.is_file(), "{} is {kind:?}, not a regular file", path.display());
}

/// Makes main on origin move past the merge commit (HEAD); returns main's new head.
pub fn move_origin_on(repo: &Repo) -> String {
    let merge = repo.head();
    let later = repo.commit_file("later.txt", "later\n", "A later merge (#42)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    git(&repo.dir, &["reset", "-q", "--hard", &merge]);
    later
}
