//! The `post-merge-smoke` binary: snapshot the environment, parse, run the command, exit
//! with its code.

use std::process::ExitCode;

use post_merge_smoke::env::Environment;
use post_merge_smoke::{cli, commands, exit_codes};

fn main() -> ExitCode {
    let env = Environment::capture();
    // Usage errors exit 2 here, before anything runs.
    let cli = cli::parse(&env, std::env::args_os());
    let code = commands::execute(cli.command, env);
    ExitCode::from(u8::try_from(code).unwrap_or(exit_codes::INTERNAL as u8))
}
