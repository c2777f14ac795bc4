//! The runner's file commands as they were before the smoke ran, and putting them back.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::env::CiEnv;
use crate::progress::Progress;

/// The runner's file commands as they were when the run started. The smoke does not get
/// their variables, but it keeps `RUNNER_TEMP` and can find the files anyway
/// (`$RUNNER_TEMP/_runner_file_commands/`). Whatever it changed in them is undone before
/// the tool writes its own outputs: a smoke must not set this step's outputs (nor leave an
/// unterminated `name<<DELIM` that would swallow the real ones), the environment or `PATH`
/// of the steps after it (a `BASH_ENV` there would run before the action's last step and
/// could turn a FAIL green), the action's state, or the step summary.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    files: Vec<FileBaseline>,
}

#[derive(Debug, Clone)]
struct FileBaseline {
    variable: &'static str,
    path: PathBuf,
    /// The bytes at the start; `None` when the file did not exist.
    content: Option<Vec<u8>>,
    symlink: bool,
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
    /// Reads the files before the smoke runs.
    pub fn take(ci: &CiEnv) -> Self {
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
                // A file that cannot be read now cannot be restored later; it is left alone.
                let (content, symlink) = snapshot(&path).ok()?;
                Some(FileBaseline { variable, path, content, symlink })
            })
            .collect();
        Baseline { files }
    }

    /// Undoes whatever the smoke did to the files, with a warning for each it changed.
    pub fn restore(&self, progress: &Progress) {
        for file in &self.files {
            let why = FILE_COMMANDS.iter().find(|(v, _)| *v == file.variable).map_or("", |(_, why)| why);
            match file.restore() {
                Ok(None) => {}
                Ok(Some(what)) => {
                    progress.warn(&format!("the smoke {what} `${}`; that was undone: {why}", file.variable))
                }
                Err(e) => progress.warn(&format!(
                    "cannot undo what the smoke did to `${}` (`{}`): {e}",
                    file.variable,
                    file.path.display()
                )),
            }
        }
    }
}

impl FileBaseline {
    /// Puts the file back as it was; says what the smoke had done, when it did anything.
    fn restore(&self) -> std::io::Result<Option<String>> {
        let (now, symlink) = snapshot(&self.path)?;
        if now == self.content && symlink == self.symlink {
            return Ok(None);
        }
        let what = match (&self.content, &now) {
            (Some(before), Some(now)) if !symlink && now.len() > before.len() && now.starts_with(before) => {
                format!("appended {} bytes to", now.len() - before.len())
            }
            (None, _) => "created".to_owned(),
            (Some(_), None) => "removed".to_owned(),
            _ => "rewrote".to_owned(),
        };
        // A link the smoke put in the file's place goes, rather than its target changing.
        if symlink && !self.symlink {
            std::fs::remove_file(&self.path)?;
        }
        match &self.content {
            None => {
                if symlink_metadata(&self.path)?.is_some() {
                    std::fs::remove_file(&self.path)?;
                }
            }
            // In place, not by rename: the file keeps the owner and mode the runner gave it.
            Some(before) => {
                let mut file =
                    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&self.path)?;
                file.write_all(before)?;
                file.flush()?;
            }
        }
        Ok(Some(what))
    }
}

/// The file's bytes (`None` when it does not exist) and whether the path is a link.
fn snapshot(path: &Path) -> std::io::Result<(Option<Vec<u8>>, bool)> {
    let Some(meta) = symlink_metadata(path)? else { return Ok((None, false)) };
    match std::fs::read(path) {
        Ok(bytes) => Ok((Some(bytes), meta.file_type().is_symlink())),
        // A dangling link: the link is there, its content is not.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, true)),
        Err(e) => Err(e),
    }
}

fn symlink_metadata(path: &Path) -> std::io::Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &Path) -> FileBaseline {
        let (content, symlink) = snapshot(path).expect("snapshot");
        FileBaseline { variable: "GITHUB_ENV", path: path.to_owned(), content, symlink }
    }

    #[test]
    fn restores_rewritten_linked_and_created_files() {
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
        assert_eq!(before.restore().expect("restore").as_deref(), Some("rewrote"));
        assert!(!std::fs::symlink_metadata(&env).expect("meta").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&env).expect("read"), "A=1\n");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "BASH_ENV=/tmp/x.sh\n");

        // A file that was not there is removed again.
        let state = dir.path().join("save_state");
        let missing = file(&state);
        std::fs::write(&state, "x=1\n").expect("write");
        assert_eq!(missing.restore().expect("restore").as_deref(), Some("created"));
        assert!(!state.exists());
    }

    #[test]
    fn outside_actions_nothing_is_read() {
        let ci = CiEnv { output_file: Some("/nonexistent/out".into()), ..CiEnv::default() };
        assert!(Baseline::take(&ci).files.is_empty());
        let ci = CiEnv { github_actions: true, path_file: Some("/nonexistent/p".into()), ..ci };
        let taken = Baseline::take(&ci);
        let names: Vec<_> = taken.files.iter().map(|f| f.variable).collect();
        assert_eq!(names, ["GITHUB_OUTPUT", "GITHUB_PATH"]);
    }
}
