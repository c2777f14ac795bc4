//! The two files a smoke command can come from: a task file and the registry. Both report
//! problems as [`ConfigError`], which names the file, the line and the problem.

mod registry;
mod task_file;

pub use registry::Registry;
pub use task_file::TaskFile;

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("`{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("`{}` could not be read: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("`{}`{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid { path: PathBuf, line: Option<usize>, message: String },
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound { path: path.to_owned() },
        _ => ConfigError::Unreadable { path: path.to_owned(), message: e.to_string() },
    })
}

/// Turns a YAML error into a [`ConfigError`], shifting its line by where the YAML starts.
fn yaml_error(path: &Path, first_line: usize, err: &serde_yaml_ng::Error) -> ConfigError {
    let line = err.location().map(|loc| loc.line() + first_line - 1);
    // serde_yaml_ng appends " at line X column Y" to its messages; the line is ours to give.
    let message = err.to_string();
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    ConfigError::Invalid { path: path.to_owned(), line, message }
}
