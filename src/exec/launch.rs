//! The smoke's first moments, in a process of its own: the tool starts itself with
//! [`LAUNCH_ARG`], which asks the kernel to kill this process when its parent (the tool)
//! dies, then replaces itself with the smoke. The parent-death signal survives `exec`, so
//! the smoke's leader dies with the tool even when the tool is killed with SIGKILL and no
//! sweep can run. (Setting it in the forked child directly would need `unsafe`.)

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;

/// The hidden first argument that makes the binary a launcher.
pub const LAUNCH_ARG: &str = "__post-merge-smoke-launch";
/// A launcher that could not start the smoke exits like a shell that could not.
const CANNOT_EXECUTE: i32 = 127;

/// The argument list that launches `argv` through `exe` for parent `parent`.
pub fn launcher_argv(exe: &Path, parent: u32, argv: &[OsString]) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec![exe.into(), LAUNCH_ARG.into(), parent.to_string().into(), "--".into()];
    out.extend(argv.iter().cloned());
    out
}

/// Runs when the binary was started as a launcher; never returns.
pub fn main(args: Vec<OsString>) -> ! {
    // [exe, LAUNCH_ARG, parent, "--", program, args...]
    let parent: Option<i32> = args.get(2).and_then(|p| p.to_str()?.parse().ok());
    let (Some(parent), Some(program)) = (parent, args.get(4)) else {
        fail("the launcher was started without a command");
    };
    #[cfg(target_os = "linux")]
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err() {
        fail("cannot ask for a parent-death signal");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = Signal::SIGKILL;
    // The tool may have died before the signal was asked for: then nobody is left to ask.
    if nix::unistd::getppid().as_raw() != parent {
        std::process::exit(CANNOT_EXECUTE);
    }
    let error = std::process::Command::new(program).args(&args[5..]).exec();
    fail(&format!("cannot start `{}`: {error}", program.to_string_lossy()));
}

fn fail(message: &str) -> ! {
    let _ = writeln!(std::io::stderr(), "post-merge-smoke: {message}");
    std::process::exit(CANNOT_EXECUTE);
}

/// Why `program` cannot be started in `dir` with `PATH` = `path`, found before anything
/// is spawned: a missing or non-executable program is a spawn failure, not an exit code.
pub fn cannot_start(program: &OsString, dir: &Path, path: Option<&std::ffi::OsStr>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    // A relative path is the smoke's, from its own working directory.
    let resolved = dir.join(program);
    let as_path = resolved.as_path();
    let found = if program.to_string_lossy().contains('/') {
        executable(as_path)
    } else {
        let dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
        dirs.iter().any(|dir| executable(&dir.join(program)))
    };
    if found {
        return None;
    }
    let why = match as_path.metadata() {
        Ok(_) if as_path.is_absolute() || program.to_string_lossy().contains('/') => "not an executable file",
        _ => "no such file or directory, or not executable",
    };
    Some(format!("`{}`: {why}", program.to_string_lossy()))
}
