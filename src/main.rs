//! The `post-merge-smoke` binary: parse, run, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use post_merge_smoke::cli::{Cli, Command};
use post_merge_smoke::{app, env_inputs, envelope, exit_codes, github_api};

fn main() -> ExitCode {
    env_inputs::reexec_without_empty_variables();
    // Usage errors exit 2 here, before anything runs.
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Schema => print_schema(),
        Command::Run(args) => block_on(app::run_command(&args)),
        Command::Gate(args) => block_on(github_api::gate_command(&args)),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(70))
}

fn block_on(future: impl std::future::Future<Output = i32>) -> i32 {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "post-merge-smoke: error: cannot start the runtime: {e}");
            exit_codes::INTERNAL
        }
    }
}

fn print_schema() -> i32 {
    let schema = envelope::json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    match writeln!(std::io::stdout(), "{text}") {
        Ok(()) => exit_codes::OK,
        Err(_) => exit_codes::INTERNAL,
    }
}
