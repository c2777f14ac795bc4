//! Where the smoke command comes from (contract section 4): `--command` or the words after
//! `--`, then the task file, then the registry, then none. The first that answers wins.

mod deal;
mod files;
mod registry;
mod task_file;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use deal::deal;
pub use files::{MAX_YAML_DEPTH, SmokeConfigError};
pub use registry::Registry;
pub use task_file::TaskFile;

use crate::envelope::CommandSource;

pub const DEFAULT_REGISTRY: &str = ".github/post-merge-smoke.yml";

/// What the caller knows when it asks for the command.
#[derive(Debug, Default)]
pub struct Request<'a> {
    pub command: Option<&'a str>,
    pub argv: &'a [OsString],
    pub task_file: Option<&'a Path>,
    /// `--registry`: must exist when given.
    pub registry: Option<&'a Path>,
    /// The default registry in the work tree: used only when it exists.
    pub default_registry: Option<PathBuf>,
    /// `--task-id`, which beats the task file's own id.
    pub task_id: Option<&'a str>,
    /// `#N` from the merge commit, the last resort for the task id.
    pub commit_task_id: Option<String>,
    /// Paths the merge changed; `None` when they are unknown.
    pub changed_paths: Option<&'a [String]>,
    /// `bash` when there is one on `PATH`; shell strings run with `sh` otherwise.
    pub bash: Option<&'a Path>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeCommand {
    /// How the command reads in the envelope: the shell string, or the words quoted.
    pub display: String,
    pub argv: Vec<OsString>,
}

/// One smoke to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSmoke {
    /// `cli`, `task_file`, or the registry entry's name.
    pub name: String,
    pub command: SmokeCommand,
    /// Runs on every shard with the shard in its environment, instead of on one.
    pub sharded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub source: CommandSource,
    /// In run order; empty when nothing defines a smoke.
    pub smokes: Vec<PlannedSmoke>,
    pub task_id: Option<String>,
    /// The task file's `timeout_sec`, used when `--timeout` was not given.
    pub timeout_sec: Option<u64>,
    /// The registry's quarantined tests, whatever the command's source.
    pub quarantine: Vec<String>,
}

pub fn resolve(req: &Request<'_>) -> Result<Resolution, SmokeConfigError> {
    let task = req.task_file.map(TaskFile::load).transpose()?.unwrap_or_default();
    let registry_path = match (req.registry, &req.default_registry) {
        (Some(path), _) => Some(path.to_owned()),
        (None, Some(default)) if default.exists() => Some(default.clone()),
        _ => None,
    };
    // Read whenever it exists: its quarantine applies to every smoke.
    let registry = registry_path.as_deref().map(Registry::load).transpose()?.unwrap_or_default();
    let task_id = req.task_id.map(str::to_owned).or(task.task_id).or_else(|| req.commit_task_id.clone());
    let found = |source, smokes| Resolution {
        source,
        smokes,
        task_id: task_id.clone(),
        timeout_sec: task.timeout_sec,
        quarantine: registry.quarantine().to_vec(),
    };
    let one = |name: &str, command| vec![PlannedSmoke { name: name.to_owned(), command, sharded: true }];

    if let Some(command) = req.command.filter(|c| !c.trim().is_empty()) {
        return Ok(found(CommandSource::Cli, one("cli", shell(command, req.bash))));
    }
    if !req.argv.is_empty() {
        return Ok(found(CommandSource::Cli, one("cli", direct(req.argv))));
    }
    if let Some(command) = &task.smoke_command {
        return Ok(found(CommandSource::TaskFile, one("task_file", shell(command, req.bash))));
    }
    let entries = registry.lookup(task_id.as_deref(), req.changed_paths);
    if !entries.is_empty() {
        let smokes = entries
            .into_iter()
            .map(|e| PlannedSmoke {
                name: e.name.clone(),
                command: shell(&e.command, req.bash),
                sharded: e.sharded,
            })
            .collect();
        return Ok(found(CommandSource::Registry, smokes));
    }
    Ok(found(CommandSource::None, Vec::new()))
}

/// A shell string, run by `bash -eo pipefail -c` where bash exists, else `sh -c`.
pub fn shell(command: &str, bash: Option<&Path>) -> SmokeCommand {
    let mut argv: Vec<OsString> = match bash {
        Some(bash) => vec![bash.into(), "-eo".into(), "pipefail".into(), "-c".into()],
        None => vec!["sh".into(), "-c".into()],
    };
    argv.push(command.into());
    SmokeCommand { display: command.to_owned(), argv }
}

/// Words run directly, no shell.
pub fn direct(words: &[OsString]) -> SmokeCommand {
    let display = shell_words::join(words.iter().map(|w| w.to_string_lossy()));
    SmokeCommand { display, argv: words.to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_beats_everything_and_words_are_quoted_for_display() {
        let argv: Vec<OsString> = vec!["echo".into(), "a b".into()];
        let req = Request { argv: &argv, ..Default::default() };
        let r = resolve(&req).expect("resolves");
        assert_eq!(r.source, CommandSource::Cli);
        assert_eq!(r.smokes[0].command.display, "echo 'a b'");
        assert_eq!(r.smokes[0].name, "cli");
    }

    #[test]
    fn nothing_defined_is_source_none_and_keeps_the_commit_task_id() {
        let req = Request { commit_task_id: Some("#12".into()), ..Default::default() };
        let r = resolve(&req).expect("resolves");
        assert_eq!((r.source, r.smokes, r.task_id), (CommandSource::None, vec![], Some("#12".into())));
    }

    #[test]
    fn an_explicit_registry_that_is_missing_is_an_error() {
        let req = Request { registry: Some(Path::new("/nonexistent/r.yml")), ..Default::default() };
        assert_eq!(
            resolve(&req).map(|r| r.source),
            Err(SmokeConfigError::NotFound { path: "/nonexistent/r.yml".into() })
        );
    }
}
