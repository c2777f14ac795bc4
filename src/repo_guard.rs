//! The repository's own git configuration, kept from the smoke. A smoke can write
//! `.git/config` (a filter driver, `core.fsmonitor`, a remote's `uploadpack`) so that the
//! next git command runs a program of its choosing with the tool's privileges. The files
//! are read before the smoke runs and put back, byte for byte, before any git command
//! runs after it; what the smoke changed is reported.

use std::path::{Path, PathBuf};

use crate::bounded_read::{self, CONFIG_CAP, ReadError};
use crate::env::Environment;
use crate::git::{Git, GitDirs};

/// Includes nested deeper than this are not followed (git stops at 10).
const MAX_INCLUDE_DEPTH: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct RepoGuard {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl RepoGuard {
    /// Reads the configuration files of the repository at `dirs`, and the files they
    /// include (actions/checkout keeps its credentials in one): a smoke could plant a
    /// filter driver in any of them.
    pub async fn take_with_includes(dirs: &GitDirs, git: &Git, env: &Environment) -> Self {
        let mut paths = vec![dirs.common_dir.join("config"), dirs.git_dir.join("config.worktree")];
        paths.dedup();
        let mut next = 0;
        while next < paths.len() && paths.len() < 2 + MAX_INCLUDE_DEPTH * 4 {
            let file = paths[next].clone();
            next += 1;
            // Most configuration includes nothing: no git process to ask then.
            let text = bounded_read::read(&file, CONFIG_CAP).unwrap_or_default();
            if !String::from_utf8_lossy(&text).to_ascii_lowercase().contains("include") {
                continue;
            }
            for include in git.config_includes(&file).await.unwrap_or_default() {
                let path = resolve(&include, &file, env);
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        Self::take_paths(paths)
    }

    /// Reads the configuration files of the repository at `dirs` (without includes).
    pub fn take(dirs: &GitDirs) -> Self {
        let mut paths = vec![dirs.common_dir.join("config"), dirs.git_dir.join("config.worktree")];
        paths.dedup();
        Self::take_paths(paths)
    }

    fn take_paths(paths: Vec<PathBuf>) -> Self {
        let files = paths
            .into_iter()
            .filter_map(|path| match bounded_read::read(&path, CONFIG_CAP) {
                Ok(bytes) => Some((path, Some(bytes))),
                Err(ReadError::NotFound { .. }) => Some((path, None)),
                // Not a file we can keep: leave it to git, which will refuse it too.
                Err(_) => None,
            })
            .collect();
        RepoGuard { files }
    }

    /// Puts every file back as it was; returns a sentence per file the smoke had changed,
    /// and an error for a file that could not be put back.
    pub fn restore(&self) -> Result<Vec<String>, String> {
        let mut changed = Vec::new();
        for (path, before) in &self.files {
            let now = match bounded_read::read(path, CONFIG_CAP) {
                Ok(bytes) => Some(bytes),
                Err(ReadError::NotFound { .. }) => None,
                Err(_) => Some(Vec::new()), // anything else differs from what was there
            };
            if &now == before && !is_link(path) {
                continue;
            }
            put_back(path, before.as_deref())
                .map_err(|e| format!("cannot restore `{}`: {e}", path.display()))?;
            changed.push(format!("the smoke changed `{}`; it was restored", path.display()));
        }
        Ok(changed)
    }
}

/// An include's path as git reads it: `~/` from the home folder, relative ones from the
/// including file's folder.
fn resolve(include: &str, from: &Path, env: &Environment) -> PathBuf {
    if let (Some(rest), Some(home)) = (include.strip_prefix("~/"), env.var_os("HOME")) {
        return Path::new(home).join(rest);
    }
    let path = Path::new(include);
    if path.is_absolute() { path.to_owned() } else { from.parent().unwrap_or(Path::new("/")).join(path) }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn put_back(path: &Path, bytes: Option<&[u8]>) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path)?,
        Ok(_) => std::fs::remove_file(path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match bytes {
        Some(bytes) => std::fs::write(path, bytes),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puts_back_rewritten_linked_and_created_files() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = GitDirs {
            git_dir: dir.path().to_owned(),
            common_dir: dir.path().to_owned(),
            toplevel: dir.path().to_owned(),
        };
        std::fs::write(dir.path().join("config"), "[core]\n").unwrap();
        let guard = RepoGuard::take(&dirs);
        assert_eq!(guard.restore(), Ok(vec![]));

        std::fs::write(dir.path().join("config"), "[core]\nfsmonitor = /tmp/evil\n").unwrap();
        std::fs::write(dir.path().join("config.worktree"), "[x]\n").unwrap();
        assert_eq!(guard.restore().unwrap().len(), 2);
        assert_eq!(std::fs::read_to_string(dir.path().join("config")).unwrap(), "[core]\n");
        assert!(!dir.path().join("config.worktree").exists());

        std::fs::remove_file(dir.path().join("config")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("config")).unwrap();
        assert_eq!(guard.restore().unwrap().len(), 1);
        assert_eq!(std::fs::read_to_string(dir.path().join("config")).unwrap(), "[core]\n");
    }
}
