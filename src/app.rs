//! The binary's top level: set up signals, secrets and the subreaper, run the command and
//! write every output. Errors the tool itself hits surface here, as `anyhow` errors.

use std::sync::Arc;

use anyhow::Context;

use crate::cancel::Cancel;
use crate::ci_env::CiEnv;
use crate::cli::RunArgs;
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exec, exit_codes, output, run};

/// Runs `post-merge-smoke run` and returns the process exit code.
pub async fn run_command(args: &RunArgs) -> i32 {
    let redactor = Arc::new(Redactor::from_env(&args.output.redact_env));
    let ci = CiEnv::from_env();
    let progress = Progress::new(Arc::clone(&redactor), ci.github_actions);
    let mut cancel = match Cancel::listen() {
        Ok(cancel) => cancel,
        Err(e) => {
            progress.warn(&format!("cancellation signals cannot be handled: {e}"));
            Cancel::never()
        }
    };
    exec::become_subreaper();

    let report = run::run(args, &ci, &mut cancel, &progress).await;
    progress.info(&format!("{}: {}", report.envelope.status.as_str(), report.summary));
    match write_envelope(args, &report, &redactor) {
        Ok(()) => report.exit_code,
        Err(e) => {
            progress.line(&format!("post-merge-smoke: error: {e:#}"));
            exit_codes::INTERNAL
        }
    }
}

fn write_envelope(args: &RunArgs, report: &run::Report, redactor: &Redactor) -> anyhow::Result<()> {
    let mut value = serde_json::to_value(&report.envelope).context("serialising the envelope")?;
    redactor.json(&mut value);
    let mut pretty = serde_json::to_vec_pretty(&value).context("serialising the envelope")?;
    pretty.push(b'\n');
    // The file first: if stdout is closed, the file still holds the verdict.
    let file = args
        .output
        .output
        .as_deref()
        .map(|path| {
            output::write_atomic(path, &pretty)
                .with_context(|| format!("writing the envelope to `{}`", path.display()))
        })
        .transpose();
    let stdout = output::to_stdout(&pretty).context("writing the envelope to stdout");
    file.and(stdout)
}
