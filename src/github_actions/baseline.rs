//! The runner's file commands as they were before the smoke ran, and putting them back.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::bounded_read::{self, REPORT_CAP, ReadError};
use crate::env::CiEnv;
use crate::progress::Progress;

/// The runner's file commands as they were when the run started. The smoke does not get
/// their variables, but it keeps `RUNNER_TEMP` and can find the files anyway
/// (`$RUNNER_TEMP/_runner_file_commands/`). Whatever it changed in them is undone before
/// the tool writes its own outputs: a smoke must not set this step's outputs (nor leave an
/// unterminated `name<<DELIM` that would swallow the real ones), the environment or `PATH`
/// of the steps after it (a `BASH_ENV` there would run before the action's last step and
/// could turn a FAIL green), the action's state, or the step summary. A file the smoke
/// made read-only, or replaced by a link, a FIFO or a folder, is put back too.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    files: Vec<FileBaseline>,
}

#[derive(Debug, Clone)]
struct FileBaseline {
    variable: &'static str,
    path: PathBuf,
    before: Before,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Before {
    Missing,
    File { bytes: Vec<u8>, mode: u32 },
}

/// Each file command, and why the smoke has no business in it.
const FILE_COMMANDS: [(&str, &str); 5] = [
    ("GITHUB_OUTPUT", "a smoke does not set the step's outputs"),
    ("GITHUB_ENV", "a smoke does not set the environment of later steps"),
    ("GITHUB_PATH", "a smoke does not change the `PATH` of later steps"),
    ("GITHUB_STATE", "a smoke does not set the action's state"),
    ("GITHUB_STEP_SUMMARY", "a smoke does not write the step summary"),
];

impl Baseline {
    /// Reads the files before the smoke runs. A path that is not a regular file (a FIFO,
    /// `/dev/full`, a link) is not read and not guarded: a warning says so.
    pub fn take(ci: &CiEnv, progress: &Progress) -> Self {
        if !ci.github_actions {
            return Baseline::default();
        }
        let files = FILE_COMMANDS
            .iter()
            .filter_map(|&(variable, _)| {
                let path = match variable {
                    "GITHUB_OUTPUT" => ci.output_file.clone(),
                    "GITHUB_STEP_SUMMARY" => ci.step_summary_file.clone(),
                    "GITHUB_ENV" => ci.env_file.clone(),
                    "GITHUB_PATH" => ci.path_file.clone(),
                    _ => ci.state_file.clone(),
                }?;
                match read(&path) {
                    Ok(before) => Some(FileBaseline { variable, path, before }),
                    Err(e) => {
                        progress.warn(&format!("`${variable}` is not guarded against the smoke: {e}"));
                        None
                    }
                }
            })
            .collect();
        Baseline { files }
    }

    /// Undoes whatever the smoke did to the files, with a warning for each it changed.
    /// Returns false when a file could not be put back.
    pub fn restore(&self, progress: &Progress) -> bool {
        let mut all = true;
        for file in &self.files {
            let why = FILE_COMMANDS.iter().find(|(v, _)| *v == file.variable).map_or("", |(_, why)| why);
            match file.restore() {
                Ok(None) => {}
                Ok(Some(what)) => {
                    progress.warn(&format!("the smoke {what} `${}`; that was undone: {why}", file.variable))
                }
                Err(e) => {
                    all = false;
                    progress.warn(&format!(
                        "cannot undo what the smoke did to `${}` (`{}`): {e}",
                        file.variable,
                        file.path.display()
                    ))
                }
            }
        }
        all
    }

    /// Whether `variable`'s file is guarded (it was a regular file or missing).
    pub fn guards(&self, variable: &str) -> bool {
        self.files.iter().any(|f| f.variable == variable)
    }
}

impl FileBaseline {
    /// Puts the file back as it was; says what the smoke had done, when it did anything.
    fn restore(&self) -> std::io::Result<Option<String>> {
        let now = read(&self.path);
        if now.as_ref().ok() == Some(&self.before) {
            return Ok(None);
        }
        let what = match (&self.before, &now) {
            (Before::File { bytes: before, .. }, Ok(Before::File { bytes: now, .. }))
                if now.len() > before.len() && now.starts_with(before) =>
            {
                format!("appended {} bytes to", now.len() - before.len())
            }
            (Before::File { bytes: before, .. }, Ok(Before::File { bytes: now, .. })) if now == before => {
                "changed the permissions of".to_owned()
            }
            (Before::Missing, _) => "created".to_owned(),
            (_, Ok(Before::Missing)) => "removed".to_owned(),
            (_, Err(ReadError::NotAFile { kind, .. })) => format!("put {kind} in place of"),
            _ => "rewrote".to_owned(),
        };
        // Whatever is there goes: a link (its target is not written through), a FIFO, a
        // folder, or a file the smoke made read-only.
        match std::fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&self.path)?,
            Ok(_) => std::fs::remove_file(&self.path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Before::File { bytes, mode } = &self.before {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&self.path)?;
            file.write_all(bytes)?;
            file.flush()?;
            file.set_permissions(std::fs::Permissions::from_mode(*mode))?;
        }
        Ok(Some(what))
    }
}

/// What is at `path` now, for a file command: missing, or a regular file and its mode.
fn read(path: &Path) -> Result<Before, ReadError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Before::Missing),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(ReadError::NotAFile { path: path.to_owned(), kind: "a link" });
        }
        _ => {}
    }
    let bytes = bounded_read::read(path, REPORT_CAP)?;
    let mode = std::fs::symlink_metadata(path)
        .map_err(|e| ReadError::Io { path: path.to_owned(), message: e.to_string() })?
        .permissions()
        .mode();
    Ok(Before::File { bytes, mode })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &Path) -> FileBaseline {
        FileBaseline { variable: "GITHUB_ENV", path: path.to_owned(), before: read(path).expect("read") }
    }

    #[test]
    fn restores_rewritten_linked_read_only_special_and_created_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = dir.path().join("set_env");
        std::fs::write(&env, "A=1\n").expect("write");
        let before = file(&env);
        assert_eq!(before.restore().expect("restore"), None, "nothing changed");

        // Replaced by a link: the link goes, its target is not written through.
        let target = dir.path().join("target");
        std::fs::write(&target, "BASH_ENV=/tmp/x.sh\n").expect("write");
        std::fs::remove_file(&env).expect("rm");
        std::os::unix::fs::symlink(&target, &env).expect("symlink");
        assert_eq!(before.restore().expect("restore").as_deref(), Some("put a link in place of"));
        assert!(!std::fs::symlink_metadata(&env).expect("meta").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&env).expect("read"), "A=1\n");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "BASH_ENV=/tmp/x.sh\n");

        // Appended to and made read-only: rewritten, writable again.
        let mode = std::fs::metadata(&env).expect("meta").permissions().mode();
        std::fs::write(&env, "A=1\nB=2\n").expect("write");
        std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        assert_eq!(before.restore().expect("restore").as_deref(), Some("appended 4 bytes to"));
        assert_eq!(std::fs::read_to_string(&env).expect("read"), "A=1\n");
        assert_eq!(std::fs::metadata(&env).expect("meta").permissions().mode(), mode);

        // A FIFO in its place: removed without blocking, the file comes back.
        std::fs::remove_file(&env).expect("rm");
        nix::unistd::mkfifo(&env, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        assert_eq!(before.restore().expect("restore").as_deref(), Some("put a FIFO in place of"));
        assert_eq!(std::fs::read_to_string(&env).expect("read"), "A=1\n");

        // A file that was not there is removed again.
        let state = dir.path().join("save_state");
        let missing = file(&state);
        std::fs::write(&state, "x=1\n").expect("write");
        assert_eq!(missing.restore().expect("restore").as_deref(), Some("created"));
        assert!(!state.exists());
    }

    #[test]
    fn special_files_are_not_read() {
        assert!(matches!(read(Path::new("/dev/zero")), Err(ReadError::NotAFile { .. })));
        assert!(matches!(read(Path::new("/dev/full")), Err(ReadError::NotAFile { .. })));
    }
}
