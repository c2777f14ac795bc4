//! Writing a verdict, for `run` and `aggregate` alike: the envelope (secrets masked) to
//! `--output`, then stdout, then inside Actions the runner's files (put back as they were
//! first) and the step's outputs, summary and annotation; the exit code it calls for.

use std::path::Path;

use anyhow::Context;

use super::{json_document, print_document};
use crate::env::Environment;
use crate::envelope::Envelope;
use crate::github_actions::{self, Baseline};
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::{exit_codes, output};

pub fn verdict(
    envelope: &Envelope,
    exit_code: i32,
    output: Option<&Path>,
    env: &Environment,
    baseline: Baseline,
    redactor: &Redactor,
    progress: &Progress,
) -> i32 {
    let (envelope, pretty) = match redacted(envelope, redactor) {
        Ok(redacted) => redacted,
        Err(e) => {
            progress.error(&format!("{e:#}"));
            return exit_codes::INTERNAL;
        }
    };
    // The file first: if stdout is closed, the file still holds the verdict.
    let file = output.map(|path| {
        output::write_atomic(path, &pretty)
            .with_context(|| format!("writing the envelope to `{}`", path.display()))
            .map(|()| path)
    });
    let stdout = print_document(&pretty, progress).context("writing the envelope to stdout");
    let file_written = file.as_ref().and_then(|f| f.as_ref().ok().copied());
    let mut exit_code = exit_code;
    let published = env.ci.github_actions.then(|| {
        // What the smoke wrote into the runner's files goes before ours are written. If
        // that fails, they may hold outputs the smoke forged: the step must not pass.
        if !baseline.restore(progress) && matches!(exit_code, exit_codes::OK | exit_codes::STALE) {
            progress.error("the runner's files could not be put back; failing closed");
            exit_code = exit_codes::BLOCKED;
        }
        let written = github_actions::Written { envelope: &envelope, pretty: &pretty, file: file_written };
        github_actions::publish(env, &written, exit_code, progress)
    });

    // Exit 70 only when the verdict reached no place at all (contract section 2); a closed
    // stdout or a bad `--output` otherwise costs a warning, and the verdict's exit code stands.
    let written = stdout.is_ok() || file_written.is_some() || published.is_some_and(|p| p.envelope_written());
    let failures = file.and_then(Result::err).into_iter().chain(stdout.err());
    if written {
        failures.for_each(|e| progress.warn(&format!("{e:#}")));
        return exit_code;
    }
    failures.for_each(|e| progress.error(&format!("{e:#}")));
    exit_codes::INTERNAL
}

/// The envelope with every secret masked: as the typed value the Actions outputs are made
/// from, and as the JSON document that is printed and written. Masking leaves the
/// envelope's own words alone, so reading it back cannot fail on a secret.
fn redacted(envelope: &Envelope, redactor: &Redactor) -> anyhow::Result<(Envelope, Vec<u8>)> {
    let pretty = json_document(envelope, redactor).context("serialising the envelope")?;
    let envelope = serde_json::from_slice(&pretty).context("reading back the redacted envelope")?;
    Ok((envelope, pretty))
}
