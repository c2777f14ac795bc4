//! The binary's top level: set up signals, secrets and the subreaper, run the command and
//! write every output. Errors the tool itself hits surface here, as `anyhow` errors.

use std::sync::Arc;

use anyhow::Context;

use crate::cancel::Cancel;
use crate::ci_env::CiEnv;
use crate::cli::RunArgs;
use crate::envelope::Envelope;
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exec, exit_codes, github_actions, github_api, output, run};

/// Runs `post-merge-smoke run` and returns the process exit code.
pub async fn run_command(args: &RunArgs) -> i32 {
    let redactor = Arc::new(github_api::redactor(&args.github.api, &args.output.redact));
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
    let baseline = github_actions::Baseline::take(&ci);

    let github = github_api::connect(&args.github.api, &ci);
    let api = github.as_ref().ok().map(|(_, api)| api);
    let mut report = run::run(args, &ci, api, &mut cancel, &progress).await;
    github_api::publish(&mut report, args, &github, &progress, &mut cancel).await;
    progress.info(&format!("{}: {}", report.envelope.status.as_str(), report.summary));
    let (envelope, pretty) = match redacted(&report, &redactor) {
        Ok(redacted) => redacted,
        Err(e) => {
            progress.line(&format!("post-merge-smoke: error: {e:#}"));
            return exit_codes::INTERNAL;
        }
    };
    // The file first: if stdout is closed, the file still holds the verdict.
    let file = args.output.output.as_deref().map(|path| {
        output::write_atomic(path, &pretty)
            .with_context(|| format!("writing the envelope to `{}`", path.display()))
            .map(|()| path)
    });
    let stdout = output::to_stdout(&pretty).context("writing the envelope to stdout");
    let file_written = file.as_ref().and_then(|f| f.as_ref().ok().copied());
    let published = ci.github_actions.then(|| {
        github_actions::publish(&ci, &envelope, &pretty, report.exit_code, file_written, baseline, &progress)
    });

    // Exit 70 only when the verdict reached no place at all (contract section 2); a closed
    // stdout or a bad `--output` otherwise costs a warning, and the verdict's exit code stands.
    let written = stdout.is_ok() || file_written.is_some() || published.is_some_and(|p| p.envelope_written());
    let failures = file.and_then(Result::err).into_iter().chain(stdout.err());
    if written {
        failures.for_each(|e| progress.warn(&format!("{e:#}")));
        return report.exit_code;
    }
    failures.for_each(|e| progress.line(&format!("post-merge-smoke: error: {e:#}")));
    exit_codes::INTERNAL
}

/// The envelope with every secret masked: as a value for the Actions outputs, and as the
/// JSON document that is printed and written.
fn redacted(report: &run::Report, redactor: &Redactor) -> anyhow::Result<(Envelope, Vec<u8>)> {
    let mut value = serde_json::to_value(&report.envelope).context("serialising the envelope")?;
    redactor.json(&mut value);
    let mut pretty = serde_json::to_vec_pretty(&value).context("serialising the envelope")?;
    pretty.push(b'\n');
    let envelope = serde_json::from_value(value).context("reading back the redacted envelope")?;
    Ok((envelope, pretty))
}
