//! Writes what a GitHub Actions step reads after the run: the full envelope as a file under
//! `$RUNNER_TEMP` (or the `--output` file), the step outputs, the step summary and the
//! annotation. Everything comes from the redacted envelope, so no secret reaches them.
//!
//! A file that cannot be written costs a warning, not the verdict: the caller exits 70
//! only when the envelope reached no place at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{annotation, format_output, step_outputs, summary};
use crate::env::Environment;
use crate::envelope::Envelope;
use crate::output;
use crate::progress::Progress;
use crate::random;

/// The verdict as written elsewhere already.
pub struct Written<'a> {
    /// The redacted envelope.
    pub envelope: &'a Envelope,
    /// Its JSON as printed.
    pub pretty: &'a [u8],
    /// The `--output` file when it was written; it then serves as the envelope file.
    pub file: Option<&'a Path>,
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

/// Writes the step's files; the caller has put the runner's files back first.
pub fn publish(env: &Environment, written: &Written<'_>, exit_code: i32, progress: &Progress) -> Published {
    let (ci, envelope) = (&env.ci, written.envelope);
    let envelope_path = match written.file {
        Some(path) => Some(path.to_owned()),
        None => {
            let path = envelope_file(env);
            match output::write_atomic(&path, written.pretty) {
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
fn envelope_file(env: &Environment) -> PathBuf {
    let base = env.temp_dir();
    let token = random::token();
    base.join(format!("post-merge-smoke-{}", &token[..12])).join("envelope.json")
}

/// Appends in one write, as the runner expects of file commands; only to a regular file
/// (opened without blocking, so a FIFO without a reader cannot stall us).
fn append(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if let Some(kind) = crate::bounded_read::not_regular(&file.metadata()?.file_type()) {
        return Err(std::io::Error::other(format!("it is {kind}, not a regular file")));
    }
    file.write_all(text.as_bytes())?;
    file.flush()
}
