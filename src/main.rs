//! The `post-merge-smoke` binary: parse, run, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use post_merge_smoke::cli::{Cli, Command};
use post_merge_smoke::{app, envelope, exit_codes};

fn main() -> ExitCode {
    // Usage errors exit 2 here, before anything runs.
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Schema => print_schema(),
        Command::Run(args) => match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(app::run_command(&args)),
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "post-merge-smoke: error: cannot start the runtime: {e}");
                exit_codes::INTERNAL
            }
        },
    };
    ExitCode::from(u8::try_from(code).unwrap_or(70))
}

fn print_schema() -> i32 {
    let schema = envelope::json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    match writeln!(std::io::stdout(), "{text}") {
        Ok(()) => exit_codes::OK,
        Err(_) => exit_codes::INTERNAL,
    }
}
