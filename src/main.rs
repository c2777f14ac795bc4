//! The `post-merge-smoke` binary: snapshot the environment, parse, run the command, exit
//! with its code.

use std::process::ExitCode;

use post_merge_smoke::env::Environment;
use post_merge_smoke::{cli, commands, exec, exit_codes};

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == exec::launch::LAUNCH_ARG) {
        exec::launch::main(std::env::args_os().collect());
    }
    // Nothing this process starts (the smoke above all) may read its memory, environment
    // (the token) or file descriptors through /proc, or attach to it: see README, "What a
    // smoke can and cannot do".
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_dumpable(false);
    let env = Environment::capture();
    // Usage errors exit 2 here, before anything runs.
    let cli = cli::parse(&env, std::env::args_os());
    let code = commands::execute(cli.command, env);
    ExitCode::from(u8::try_from(code).unwrap_or(exit_codes::INTERNAL as u8))
}
