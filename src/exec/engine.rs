//! Runs one smoke: its own process group, stdin closed, both streams drained concurrently
//! into bounded captures, and one `select!` loop over output, exit, the timeout, the kill
//! grace, the leak timeout and cancellation.
//!
//! Whatever happens, nothing the smoke started survives [`run`]: a guard kills the group
//! and every descendant when the function returns, early or not.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use tokio::process::Command;
use tokio::time::{Instant, sleep_until};

use super::capture::BoundedCapture;
use super::drain::Drain;
use super::echo::{Echo, IDLE_FLUSH, Stream};
use super::launch;
use super::pace::Pace;
use super::tree;
use crate::cancel::Cancel;
use crate::redact::{Redactor, StreamMask};

/// How long the pipes may stay open after the smoke exits before what holds them is killed.
pub const LEAK_TIMEOUT: Duration = Duration::from_millis(500);
/// After the final SIGKILL, how long to wait for the pipes before abandoning them.
const PIPE_CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// A cancelled run must write its envelope inside the runner's 7.5 s window.
const CANCEL_GRACE_MAX: Duration = Duration::from_secs(2);
/// Reads take what a widened pipe holds in one go: fewer wake-ups per gibibyte.
const READ_BUF: usize = 1024 * 1024;
/// Reads while the output is echoed are no larger than a pipe's default size. The job log
/// is a pipe the runner reads: a larger read is echoed in a write the runner must drain in
/// several turns, and while the tool waits on it nobody reads the smoke's pipe.
const ECHO_READ: usize = 64 * 1024;
/// After a read that found little in a pipe, how long to let the smoke write before
/// reading again. A smoke writing 4 KiB at a time would otherwise wake us for nearly every
/// write; this way one wake-up takes what a few dozen writes left. It delays a line by no
/// more than this, far below what a person watching the log can see.
const BATCH_PAUSE: Duration = Duration::from_micros(100);

#[derive(Debug, Clone)]
pub struct Spec {
    pub argv: Vec<OsString>,
    pub workdir: PathBuf,
    /// The smoke's whole environment (the tool's own variables, its token among them, are
    /// not in it).
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
    pub kill_grace: Duration,
    pub capture_bytes: usize,
    /// This binary, to start the smoke through [`super::launch`] (its leader then dies
    /// with us); `None` starts it directly.
    pub launcher: Option<PathBuf>,
}

/// How a run of the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signalled(i32),
    /// It could not be started; the sentence says why.
    SpawnFailed(String),
    /// It outlived the timeout; its tree was killed.
    TimedOut,
    /// This process was asked to stop (SIGINT/SIGTERM) and ended the tree.
    Cancelled(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    pub duration: Duration,
    pub stdout: String,
    pub stderr: String,
    /// Processes outlived the smoke and held its output open until they were killed.
    pub leaked: bool,
}

/// Kills the whole tree when dropped, so no early return can leak it.
struct TreeGuard(Pid);

impl Drop for TreeGuard {
    fn drop(&mut self) {
        tree::sweep(self.0);
    }
}

/// Runs `spec`; every byte of its output is masked by `redactor` before it is captured or
/// echoed (to stderr, unless `echo` is `None`).
pub async fn run(
    spec: &Spec,
    redactor: &Arc<Redactor>,
    mut echo: Option<&mut Echo>,
    cancel: &mut Cancel,
) -> Outcome {
    let stdout_cap = BoundedCapture::new(spec.capture_bytes);
    let stderr_cap = BoundedCapture::new(spec.capture_bytes);
    let started = Instant::now();
    let outcome = |ending, out: &BoundedCapture, err: &BoundedCapture, leaked| Outcome {
        ending,
        duration: started.elapsed(),
        stdout: out.render(),
        stderr: err.render(),
        leaked,
    };
    if let Some(req) = cancel.requested() {
        let ending = Ending::Cancelled(format!("{} before the smoke started", req.signal));
        return outcome(ending, &stdout_cap, &stderr_cap, false);
    }
    let Some(program) = spec.argv.first() else {
        let ending = Ending::SpawnFailed("the command is empty".into());
        return outcome(ending, &stdout_cap, &stderr_cap, false);
    };
    let path = spec.env.iter().find(|(name, _)| name == "PATH").map(|(_, value)| value.as_os_str());
    if let Some(why) = launch::cannot_start(program, &spec.workdir, path) {
        return outcome(Ending::SpawnFailed(why), &stdout_cap, &stderr_cap, false);
    }
    let argv = match &spec.launcher {
        Some(exe) => launch::launcher_argv(exe, std::process::id(), &spec.argv),
        None => spec.argv.clone(),
    };
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(&spec.workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)));
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let ending = Ending::SpawnFailed(format!("`{}`: {e}", program.to_string_lossy()));
            return outcome(ending, &stdout_cap, &stderr_cap, false);
        }
    };
    // The child leads its own group, so its pid is the group id. Never 0: that would
    // signal our own group.
    let Some(pgid) = child.id().map(|id| Pid::from_raw(id as i32)) else {
        let ending = Ending::SpawnFailed("the smoke exited before it could be watched".into());
        return outcome(ending, &stdout_cap, &stderr_cap, false);
    };
    let _guard = TreeGuard(pgid);
    let read_size = if echo.is_some() { ECHO_READ } else { READ_BUF };
    let mask = || StreamMask::new(Arc::clone(redactor));
    let mut stdout = Drain::new(child.stdout.take(), stdout_cap, mask(), Stream::Stdout, read_size);
    let mut stderr = Drain::new(child.stderr.take(), stderr_cap, mask(), Stream::Stderr, read_size);
    let mut flush_at: Option<Instant> = None;
    // Set when a read found little in its pipe: the smoke writes slower than we read, so
    // letting it write for a moment saves wake-ups (when `pace` finds that it pays).
    let mut pause = false;
    let mut pace = Pace::new();

    // The engine is a library too: a timeout too large for the clock means "no timeout".
    const A_YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    let deadline = started.checked_add(spec.timeout).unwrap_or(started + A_YEAR);
    let mut status: Option<ExitStatus> = None;
    let mut ended_by: Option<Ending> = None; // TimedOut or Cancelled
    let mut kill_at: Option<Instant> = None;
    let mut pipes_deadline: Option<Instant> = None;
    let mut killed = false;
    let mut leaked = false;

    while status.is_none() || stdout.is_open() || stderr.is_open() {
        if std::mem::take(&mut pause) {
            // Blocks the runtime, on purpose: a timer this short is below the runtime's
            // resolution, and nothing else here needs the thread for so brief a time.
            std::thread::sleep(BATCH_PAUSE);
        }
        tokio::select! {
            read = stdout.read() => {
                let taken = stdout.take(read, &mut pace, echo.as_deref_mut());
                pause = taken.pause;
                if taken.waiting {
                    flush_at.get_or_insert(Instant::now() + IDLE_FLUSH);
                }
            },
            read = stderr.read() => {
                let taken = stderr.take(read, &mut pace, echo.as_deref_mut());
                pause = taken.pause;
                if taken.waiting {
                    flush_at.get_or_insert(Instant::now() + IDLE_FLUSH);
                }
            },
            () = sleep_until_opt(flush_at) => {
                flush_at = None;
                if let Some(echo) = echo.as_deref_mut() { echo.flush_partial() }
            },
            exit = child.wait(), if status.is_none() => {
                // An error here means the child was already reaped; treat it as killed.
                status = Some(exit.unwrap_or_else(|_| ExitStatus::from_raw(Signal::SIGKILL as i32)));
                pipes_deadline.get_or_insert(Instant::now() + LEAK_TIMEOUT);
            },
            () = sleep_until(deadline), if status.is_none() && ended_by.is_none() => {
                ended_by = Some(Ending::TimedOut);
                tree::signal_tree(pgid, Signal::SIGTERM);
                kill_at = Some(Instant::now() + spec.kill_grace);
            },
            () = sleep_until_opt(kill_at) => {
                tree::signal_tree(pgid, Signal::SIGKILL);
                killed = true;
                kill_at = None;
                pipes_deadline = Some(Instant::now() + PIPE_CLOSE_TIMEOUT);
            },
            () = sleep_until_opt(pipes_deadline) => {
                if killed {
                    break; // Something outside our reach holds the pipes: abandon them.
                }
                leaked = ended_by.is_none();
                tree::signal_tree(pgid, Signal::SIGKILL);
                killed = true;
                pipes_deadline = Some(Instant::now() + PIPE_CLOSE_TIMEOUT);
            },
            req = cancel.changed() => {
                // A smoke that already timed out or exited keeps that verdict.
                if ended_by.is_none() && status.is_none() {
                    ended_by = Some(Ending::Cancelled(format!("{} received", req.signal)));
                }
                if req.count == 1 && status.is_none() {
                    tree::signal_tree(pgid, Signal::SIGTERM);
                    kill_at = Some(Instant::now() + spec.kill_grace.min(CANCEL_GRACE_MAX));
                } else {
                    kill_at = Some(Instant::now());
                }
            },
        }
    }
    let (stdout_cap, stderr_cap) = (stdout.finish(), stderr.finish());
    if let Some(echo) = echo {
        echo.finish();
    }
    let ending = match (ended_by, status) {
        (Some(ending), _) => ending,
        (None, Some(status)) => match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(sig)) => Ending::Signalled(sig),
            (None, None) => Ending::Signalled(Signal::SIGKILL as i32),
        },
        (None, None) => Ending::Signalled(Signal::SIGKILL as i32),
    };
    outcome(ending, &stdout_cap, &stderr_cap, leaked)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood keeps the engine reading straight from the pipe, many reads in a row, and
    /// pausing or not as `Pace` decides: every byte must still be kept or counted.
    #[test]
    fn every_byte_of_a_flood_is_kept_or_counted() {
        const BYTES: u64 = 200_000_000;
        let spec = Spec {
            argv: ["sh", "-c", &format!("head -c {BYTES} /dev/zero | tr '\\0' y")].map(OsString::from).into(),
            workdir: std::env::temp_dir(),
            env: std::env::var_os("PATH").map(|path| ("PATH".into(), path)).into_iter().collect(),
            timeout: Duration::from_secs(120),
            kill_grace: Duration::from_secs(1),
            capture_bytes: 2048,
            launcher: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let outcome =
            runtime.block_on(run(&spec, &Arc::new(Redactor::default()), None, &mut Cancel::never()));
        assert_eq!(outcome.ending, Ending::Exited(0));
        let (kept, marker) = outcome.stdout.split_once("[... ").expect("a marker");
        let (omitted, tail) = marker.split_once(" bytes omitted by post-merge-smoke ...]\n").expect("marker");
        let omitted: u64 = omitted.parse().expect("a count");
        // The head gained a newline to end before the marker; it is not output.
        let kept = kept.trim_end_matches('\n').len() + tail.len();
        assert!(tail.bytes().all(|b| b == b'y'));
        assert_eq!(omitted + kept as u64, BYTES);
    }
}
