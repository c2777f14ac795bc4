//! Shared test helpers: the real binary with a scrubbed environment, real git repositories
//! in temp dirs (with a local bare "origin" where a test needs one), and the readers of
//! envelopes, which check each one against the shipped JSON Schema.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The binary, with no CI or tool variables leaking in from the machine running the tests.
pub fn bin() -> Command {
    Command::from_std(bin_std())
}

/// The same as a plain `std::process::Command`, for tests that signal or stream.
pub fn bin_std() -> StdCommand {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("post-merge-smoke"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let scrub = name.starts_with("GITHUB_")
            || name.starts_with("RUNNER_")
            || name.starts_with("POST_MERGE_SMOKE_")
            || name.starts_with("ACTIONS_")
            || name == "CI";
        if scrub {
            cmd.env_remove(name.as_ref());
        }
    }
    cmd
}

/// Runs git in `dir`, panicking with its stderr when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = StdCommand::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A work tree with one commit on `main`, optionally pushed to a local bare `origin`.
pub struct Repo {
    pub tmp: TempDir,
    pub dir: PathBuf,
    pub origin: Option<PathBuf>,
}

impl Repo {
    /// A repository whose first commit's message is `message`.
    pub fn new(message: &str) -> Repo {
        let tmp = TempDir::new().expect("temp dir");
        let dir = tmp.path().join("work");
        std::fs::create_dir_all(&dir).expect("mkdir");
        git(&dir, &["init", "-q", "-b", "main"]);
        std::fs::write(dir.join("README.md"), "hello\n").expect("write");
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", message]);
        Repo { tmp, dir, origin: None }
    }

    /// The same, with a bare `origin` that has `main` at the current HEAD.
    pub fn with_origin(message: &str) -> Repo {
        let mut repo = Repo::new(message);
        let origin = repo.tmp.path().join("origin.git");
        git(repo.tmp.path(), &["init", "-q", "--bare", "-b", "main", origin.to_str().expect("utf-8")]);
        git(&repo.dir, &["remote", "add", "origin", origin.to_str().expect("utf-8")]);
        git(&repo.dir, &["push", "-q", "origin", "main"]);
        repo.origin = Some(origin);
        repo
    }

    pub fn head(&self) -> String {
        git(&self.dir, &["rev-parse", "HEAD"])
    }

    /// Commits a file change and returns the new HEAD.
    pub fn commit_file(&self, path: &str, contents: &str, message: &str) -> String {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, contents).expect("write");
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-q", "-m", message]);
        self.head()
    }

    /// `post-merge-smoke run` in this work tree.
    pub fn run(&self) -> Command {
        let mut cmd = bin();
        cmd.current_dir(&self.dir).arg("run");
        cmd
    }
}

/// The shipped schema, `schema/envelope.v1.schema.json`, as JSON.
pub fn shipped_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/envelope.v1.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

static SHIPPED: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::draft202012::new(&shipped_schema())
        .unwrap_or_else(|e| panic!("the shipped schema is not a Draft 2020-12 schema: {e}"))
});

/// Why `value` fails `validator`, one line per error (empty when it passes).
pub fn schema_errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator.iter_errors(value).map(|e| format!("at `{}`: {e}", e.instance_path())).collect()
}

/// Panics unless `value` is an envelope the shipped schema accepts; `origin` says where it
/// was read.
pub fn assert_valid_envelope(value: &Value, origin: &str) {
    let errors = schema_errors(&SHIPPED, value);
    assert!(
        errors.is_empty(),
        "the envelope from {origin} fails schema/envelope.v1.schema.json:\n  {}\nenvelope: {value:#}",
        errors.join("\n  ")
    );
}

/// Parses one envelope from `text` and checks it against the shipped schema.
pub fn parse_envelope(text: &[u8], origin: &str) -> Value {
    let value: Value = serde_json::from_slice(text).unwrap_or_else(|e| {
        panic!("{origin} is not one JSON document ({e}):\n{}", String::from_utf8_lossy(text))
    });
    assert_valid_envelope(&value, origin);
    value
}

/// Parses the envelope a run printed on stdout, checked against the shipped schema.
pub fn envelope(output: &std::process::Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    parse_envelope(&output.stdout, &format!("stdout (stderr:\n{stderr}\n)"))
}

/// Reads an envelope file (`--output`, the Actions envelope file), checked the same way.
pub fn envelope_file(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_envelope(&text, &path.display().to_string())
}

/// Runs a command to the end and returns its output and envelope.
pub fn run_envelope(cmd: &mut Command) -> (std::process::Output, Value) {
    let output = cmd.output().expect("binary runs");
    let value = envelope(&output);
    (output, value)
}

/// Polls `ready` until it holds, panicking after a generous deadline: how a test waits
/// for a state (a marker file, a process) instead of sleeping a fixed time.
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Whether `pid` is a live process (zombies count as dead).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Lines of stderr outside the `::stop-commands::` fences: what the runner would execute.
/// Panics when a fence is left open (everything after it would be ignored, our own
/// annotation included).
pub fn command_lines(stderr: &str) -> Vec<String> {
    let mut fence: Option<String> = None;
    let mut lines = Vec::new();
    for line in stderr.lines() {
        match &fence {
            Some(token) if line == format!("::{token}::") => fence = None,
            Some(_) => {}
            None => match line.strip_prefix("::stop-commands::") {
                Some(token) => fence = Some(token.to_owned()),
                None => lines.push(line.to_owned()),
            },
        }
    }
    assert!(fence.is_none(), "a fence was left open:\n{stderr}");
    lines
}

/// A git remote on 127.0.0.1 that accepts one connection and never answers (it holds the
/// connection for 30 s). Returns the port and a receiver that fires when git connected.
pub fn hanging_remote() -> (u16, std::sync::mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok((socket, _)) = listener.accept() {
            let _ = tx.send(());
            std::thread::sleep(Duration::from_secs(30));
            drop(socket);
        }
    });
    (port, rx)
}

/// Starts a passing run whose stale check asks `url`, waits until git connected, sends
/// `signal`; returns the output and how long the tool took to end after the signal.
pub fn signal_during_stale_check(
    url: &str,
    signal: nix::sys::signal::Signal,
    connected: &std::sync::mpsc::Receiver<()>,
) -> (std::process::Output, Duration) {
    let repo = Repo::with_origin("init");
    git(&repo.dir, &["remote", "set-url", "origin", url]);
    let child = bin_std()
        .current_dir(&repo.dir)
        .args(["run", "--quiet", "--retries", "0", "--command", "true"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    connected.recv_timeout(Duration::from_secs(20)).expect("the stale check connects");
    let sent = Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).expect("signal");
    let out = child.wait_with_output().expect("wait");
    (out, sent.elapsed())
}
