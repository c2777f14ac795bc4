//! Writes what a GitHub Actions step reads after the run: the full envelope as a file under
//! `$RUNNER_TEMP` (or the `--output` file), the step outputs, the step summary and the
//! annotation. Everything comes from the redacted envelope, so no secret reaches them.
//!
//! A file that cannot be written costs a warning, not the verdict: the caller exits 70
//! only when the envelope reached no place at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ci_env::CiEnv;
use crate::envelope::Envelope;
use crate::output;
use crate::progress::Progress;
use crate::random;

use super::{annotation, format_output, step_outputs, summary};

/// How long `$GITHUB_OUTPUT` was when the run started. Whatever is appended after that
/// came from the smoke (which may have found the file even without the variable) and is
/// cut before the tool writes its own outputs: a smoke must not set this step's outputs,
/// nor leave an unterminated `name<<DELIM` that would swallow the real ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baseline {
    output_len: Option<u64>,
}

impl Baseline {
    pub fn take(ci: &CiEnv) -> Self {
        let output_len = ci.output_file.as_deref().map(|p| std::fs::metadata(p).map_or(0, |m| m.len()));
        Baseline { output_len }
    }
}

/// What [`publish`] managed to write.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The file holding the full envelope (the `envelope-path` output).
    pub envelope_path: Option<PathBuf>,
    /// The step outputs, the `envelope` output among them, are in `$GITHUB_OUTPUT`.
    pub outputs_written: bool,
}

impl Published {
    /// The verdict reached some place a workflow can read.
    pub fn envelope_written(&self) -> bool {
        self.envelope_path.is_some() || self.outputs_written
    }
}

/// `envelope` is the redacted envelope and `pretty` its JSON as printed; `output_file` is
/// the `--output` file when it was written, which then serves as the envelope file.
pub fn publish(
    ci: &CiEnv,
    envelope: &Envelope,
    pretty: &[u8],
    exit_code: i32,
    output_file: Option<&Path>,
    baseline: Baseline,
    progress: &Progress,
) -> Published {
    let envelope_path = match output_file {
        Some(path) => Some(path.to_owned()),
        None => {
            let path = envelope_file(ci);
            match output::write_atomic(&path, pretty) {
                Ok(()) => Some(path),
                Err(e) => {
                    progress.warn(&format!("cannot write the envelope to `{}`: {e}", path.display()));
                    None
                }
            }
        }
    };
    let mut published = Published { envelope_path, outputs_written: false };

    match &ci.output_file {
        Some(file) => {
            let text = step_outputs(envelope, exit_code, published.envelope_path.as_deref()).map(|outputs| {
                outputs.iter().map(|(name, value)| format_output(name, value)).collect::<String>()
            });
            roll_back(file, baseline.output_len, progress);
            match text.map_err(std::io::Error::other).and_then(|text| append(file, &text)) {
                Ok(()) => published.outputs_written = true,
                Err(e) => progress.warn(&format!("cannot write step outputs to `{}`: {e}", file.display())),
            }
        }
        None => progress.warn("`GITHUB_OUTPUT` is not set; no step outputs were written"),
    }

    if let Some(file) = &ci.step_summary_file
        && let Err(e) = append(file, &summary(envelope, exit_code))
    {
        progress.warn(&format!("cannot write the step summary to `{}`: {e}", file.display()));
    }

    if let Some(line) = annotation(envelope) {
        progress.line(&line);
    }
    published
}

/// `$RUNNER_TEMP/post-merge-smoke-<random>/envelope.json`: a fresh folder, so two runs in
/// one job never overwrite each other's envelope, and the artifact holds `envelope.json`.
fn envelope_file(ci: &CiEnv) -> PathBuf {
    let base = ci.runner_temp.clone().unwrap_or_else(std::env::temp_dir);
    let token = random::token();
    base.join(format!("post-merge-smoke-{}", &token[..12])).join("envelope.json")
}

fn roll_back(file: &Path, len: Option<u64>, progress: &Progress) {
    let Some(len) = len else { return };
    let Ok(now) = std::fs::metadata(file).map(|m| m.len()) else { return };
    if now <= len {
        return;
    }
    let cut = std::fs::OpenOptions::new().write(true).open(file).and_then(|f| f.set_len(len));
    match cut {
        Ok(()) => progress.warn(&format!(
            "the smoke wrote {} bytes to `$GITHUB_OUTPUT`; they were removed, a smoke does not set the step's outputs",
            now - len
        )),
        Err(e) => progress.warn(&format!("cannot remove what the smoke wrote to `$GITHUB_OUTPUT`: {e}")),
    }
}

/// Appends in one write, as the runner expects of file commands.
fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
}
