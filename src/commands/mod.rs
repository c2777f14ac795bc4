//! The commands: the only code besides `main.rs` and [`crate::cli`] that sees clap's
//! structs. Each turns its arguments into the library's plain configuration, calls the
//! library, and writes what the user sees; the exit code is its answer.

mod aggregate;
mod gate;
mod run;
mod schema;
mod write;

use std::io::Write;

use crate::cli::Command;
use crate::env::Environment;
use crate::exit_codes;
use crate::progress::Progress;
use crate::redact::Redactor;

/// Runs one command to its exit code.
pub fn execute(command: Command, env: Environment) -> i32 {
    match command {
        Command::Schema => schema::execute(),
        Command::Run(args) => block_on(run::execute(*args, env)),
        Command::Gate(args) => block_on(gate::execute(*args, env)),
        Command::Aggregate(args) => block_on(aggregate::execute(*args, env)),
    }
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

/// A JSON document as printed: pretty, secrets masked, one trailing newline.
fn json_document(value: &impl serde::Serialize, redactor: &Redactor) -> serde_json::Result<Vec<u8>> {
    let mut value = serde_json::to_value(value)?;
    redactor.json(&mut value);
    let mut text = serde_json::to_vec_pretty(&value)?;
    text.push(b'\n');
    Ok(text)
}

/// Prints a JSON document on stdout; inside Actions in a collapsed group of the job log,
/// so the log stays readable (the group markers go to stderr: stdout stays one document).
fn print_document(text: &[u8], progress: &Progress) -> std::io::Result<()> {
    if progress.in_actions() {
        progress.line("::group::post-merge-smoke: the envelope");
    }
    let printed = crate::output::to_stdout(text);
    if progress.in_actions() {
        progress.line("::endgroup::");
    }
    printed
}

/// What a verdict may tell GitHub: a shard tells nothing (its aggregate does), and a verdict
/// on a merge queue's commit sets only the commit status (the commit is not on main yet). A
/// flag that is ignored says so.
fn publish_rules(
    asked: &crate::config::PublishConfig,
    shard: bool,
    env: &Environment,
    progress: &Progress,
) -> crate::config::PublishConfig {
    let mut publish = asked.clone();
    let (why, keep_status) = if shard {
        ("on a shard: the aggregate publishes the verdict", false)
    } else if env.ci.event_name.as_deref() == Some("merge_group") {
        ("on a merge_group event: the queue's commit is not on main yet", true)
    } else {
        return publish;
    };
    let off = |on: &mut bool, flag: &str| {
        if std::mem::take(on) {
            progress.info(&format!("notice: {flag} is ignored {why}"));
        }
    };
    if !keep_status {
        off(&mut publish.commit_status, "--commit-status");
    }
    off(&mut publish.escalation_issue, "--escalation-issue");
    off(&mut publish.gate, "--gate");
    off(&mut publish.revert_pr, "--revert-pr");
    publish
}
