//! The smoke's process tree: its process group, and on Linux every descendant of this
//! process, found through `/proc` even after it left the group with `setsid`.
//!
//! Being a child subreaper makes that possible: an orphan whose parent died is re-parented
//! to us instead of to init, so walking our descendants finds double-forked daemons too.

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Asks the kernel to re-parent the smoke's orphans to this process (Linux only).
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_child_subreaper(true).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Sends `signal` to the smoke's process group and to every descendant of this process.
pub fn signal_tree(pgid: Pid, signal: Signal) {
    // Errors mean the process is already gone (ESRCH) or a zombie (EPERM on some
    // systems): either way there is nothing left to signal.
    let _ = killpg(pgid, signal);
    for pid in descendants() {
        let _ = kill(pid, signal);
    }
}

/// Kills what is left of the tree and reaps the orphans re-parented to us, repeating while
/// killing one reveals more (its children are re-parented when it dies).
pub fn sweep(pgid: Pid) {
    let _ = killpg(pgid, Signal::SIGKILL);
    // The usual end of a smoke: nothing left, known without a walk through `/proc`.
    if !has_children() {
        return;
    }
    for _ in 0..32 {
        signal_tree(pgid, Signal::SIGKILL);
        let left = descendants();
        if left.is_empty() {
            return;
        }
        for pid in left {
            // Only orphans are ours to wait for; tokio reaps the smoke's main process.
            let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Whether this process has a child, running or not yet reaped (it is left unreaped).
/// Without one it has no descendants at all: as a subreaper it inherits every orphan below it.
fn has_children() -> bool {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::wait::{Id, waitid};
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        !matches!(waitid(Id::All, flags), Err(nix::errno::Errno::ECHILD))
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Every live descendant of this process, found by walking parent links in `/proc`.
pub fn descendants() -> Vec<Pid> {
    let me = std::process::id() as i32;
    let table = process_table();
    let mut found = Vec::new();
    let mut frontier = vec![me];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid, _) in &table {
            if ppid == parent && pid != me && !found.contains(&Pid::from_raw(pid)) {
                found.push(Pid::from_raw(pid));
                frontier.push(pid);
            }
        }
    }
    found
}

/// `(pid, ppid, state)` of every process; empty where there is no `/proc`.
fn process_table() -> Vec<(i32, i32, char)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat_of)
        .collect()
}

fn stat_of(pid: i32) -> Option<(i32, i32, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; the fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((pid, ppid, state))
}
