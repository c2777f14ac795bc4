//! Reading the two files a smoke command can come from (a task file and the registry):
//! bounded like every file the tool does not control, YAML nesting bounded before the
//! parser sees it, and every problem a [`SmokeConfigError`] naming the file, the line and
//! the problem.

use std::path::{Path, PathBuf};

use crate::bounded_read::{self, CONFIG_CAP, ReadError};

/// Deeper YAML than this is not a configuration file; the parser never sees it.
pub const MAX_YAML_DEPTH: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SmokeConfigError {
    #[error("`{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("{0}")]
    Unreadable(ReadError),
    #[error("`{}`{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid { path: PathBuf, line: Option<usize>, message: String },
}

pub fn read(path: &Path) -> Result<String, SmokeConfigError> {
    bounded_read::read_text(path, CONFIG_CAP).map_err(|e| match e {
        ReadError::NotFound { path } => SmokeConfigError::NotFound { path },
        other => SmokeConfigError::Unreadable(other),
    })
}

/// Parses YAML, refusing nesting deeper than [`MAX_YAML_DEPTH`] before the parser runs
/// (a file nested tens of thousands deep takes the parser seconds). `first_line` is where
/// the YAML starts in the file, for messages.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    path: &Path,
    yaml: &str,
    first_line: usize,
) -> Result<T, SmokeConfigError> {
    if let Some(line) = too_deep(yaml, MAX_YAML_DEPTH) {
        return Err(SmokeConfigError::Invalid {
            path: path.to_owned(),
            line: Some(line + first_line - 1),
            message: format!("nested more than {MAX_YAML_DEPTH} levels deep"),
        });
    }
    serde_yaml_ng::from_str(yaml).map_err(|e| yaml_error(path, first_line, &e))
}

/// The first line (from 1) where the nesting passes `max`, counting indentation levels,
/// sequence dashes and flow brackets. An over-estimate is fine: real configuration is
/// nested a handful of levels deep.
fn too_deep(yaml: &str, max: usize) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (number, line) in yaml.lines().enumerate() {
        let body = line.trim_start_matches([' ', '\t']);
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        while indents.last().is_some_and(|&i| i > indent) {
            indents.pop();
        }
        if indents.last() != Some(&indent) {
            indents.push(indent);
        }
        let mut dashes = 0;
        let mut rest = body;
        // A sequence entry, or an explicit key (`? `), which nests just as deep.
        while let Some(after) = ["- ", "-\t", "? ", "?\t"].iter().find_map(|p| rest.strip_prefix(p)) {
            dashes += 1;
            rest = after.trim_start();
        }
        let mut depth_here = flow;
        for c in rest.chars() {
            match c {
                '[' | '{' => {
                    flow += 1;
                    depth_here = depth_here.max(flow);
                }
                ']' | '}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        if indents.len() + dashes + depth_here > max {
            return Some(number + 1);
        }
    }
    None
}

/// Turns a YAML error into a [`SmokeConfigError`], shifting its line by where the YAML
/// starts.
fn yaml_error(path: &Path, first_line: usize, err: &serde_yaml_ng::Error) -> SmokeConfigError {
    let line = err.location().map(|loc| loc.line() + first_line - 1);
    // serde_yaml_ng appends " at line X column Y" to its messages; the line is ours to give.
    let message = err.to_string();
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    SmokeConfigError::Invalid { path: path.to_owned(), line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let flow = format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(too_deep(&flow, MAX_YAML_DEPTH), Some(1));
        let block: String = (0..100).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        assert_eq!(too_deep(&block, MAX_YAML_DEPTH), Some(MAX_YAML_DEPTH + 1));
        let dashes = format!("{}x\n", "- ".repeat(100));
        assert_eq!(too_deep(&dashes, MAX_YAML_DEPTH), Some(1));
        let normal = "default: x\npaths:\n  - glob: \"a/**\"\n    command: [a, {b: c}]\n";
        assert_eq!(too_deep(normal, MAX_YAML_DEPTH), None);
    }
}
