//! The registry (`.github/post-merge-smoke.yml` by default): a `default` command, commands
//! by task id, and commands by the paths a merge changed. Unknown keys are errors, so a
//! typo such as `defualt` is reported instead of silently leaving main unguarded.

use std::collections::BTreeMap;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use super::files::{SmokeConfigError, parse_yaml, read};

#[derive(Debug, Clone, Default)]
pub struct Registry {
    default: Option<String>,
    tasks: BTreeMap<String, String>,
    paths: Vec<PathEntry>,
}

#[derive(Debug, Clone)]
struct PathEntry {
    glob: String,
    matcher: GlobMatcher,
    command: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `default`, `tasks` and `paths`")]
struct Raw {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    tasks: BTreeMap<String, String>,
    #[serde(default)]
    paths: Vec<RawPath>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `glob` and `command`")]
struct RawPath {
    glob: String,
    command: String,
}

/// Which entry of the registry answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<'a> {
    Task(&'a str),
    Path(&'a str),
    Default,
}

impl Registry {
    pub fn load(path: &Path) -> Result<Self, SmokeConfigError> {
        Self::parse(path, &read(path)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, SmokeConfigError> {
        if text.trim().is_empty() {
            return Ok(Registry::default());
        }
        let raw: Raw = parse_yaml(path, text, 1)?;
        let paths = raw
            .paths
            .into_iter()
            .map(|p| {
                // `*` stays within one folder, as in .gitignore; `**` crosses folders.
                let matcher = GlobBuilder::new(&p.glob)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| SmokeConfigError::Invalid {
                        path: path.to_owned(),
                        line: text.lines().position(|l| l.contains(&p.glob)).map(|i| i + 1),
                        message: format!("invalid glob `{}`: {}", p.glob, e.kind()),
                    })?
                    .compile_matcher();
                Ok(PathEntry { glob: p.glob, matcher, command: p.command })
            })
            .collect::<Result<_, SmokeConfigError>>()?;
        let non_empty = |c: String| Some(c).filter(|c| !c.trim().is_empty());
        Ok(Registry { default: raw.default.and_then(non_empty), tasks: raw.tasks, paths })
    }

    /// The command for a merge: its task's entry, else the first path entry matching a
    /// changed path (only when the changed paths are known), else `default`.
    pub fn lookup(&self, task_id: Option<&str>, changed: Option<&[String]>) -> Option<(&str, Match<'_>)> {
        if let Some((id, command)) = task_id.and_then(|id| self.tasks.get_key_value(id)) {
            return Some((command, Match::Task(id)));
        }
        if let Some(changed) = changed {
            let hit = self.paths.iter().find(|e| changed.iter().any(|p| e.matcher.is_match(p)));
            if let Some(entry) = hit {
                return Some((&entry.command, Match::Path(&entry.glob)));
            }
        }
        self.default.as_deref().map(|c| (c, Match::Default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
default: "cargo test --test smoke"
tasks:
  task-2512: "pytest tests/smoke -q"
paths:
  - glob: "api/**"
    command: "cargo test -p api --test smoke"
  - glob: "**/*.py"
    command: "pytest -q"
"#;

    fn registry() -> Registry {
        Registry::parse(Path::new("r.yml"), TEXT).expect("valid registry")
    }

    #[test]
    fn task_beats_paths_beats_default() {
        let r = registry();
        let changed = vec!["api/src/lib.rs".to_owned(), "tool.py".to_owned()];
        assert_eq!(r.lookup(Some("task-2512"), Some(&changed)).map(|m| m.0), Some("pytest tests/smoke -q"));
        assert_eq!(
            r.lookup(Some("other"), Some(&changed)),
            Some(("cargo test -p api --test smoke", Match::Path("api/**")))
        );
        assert_eq!(r.lookup(None, Some(&["docs/x.md".to_owned()])).map(|m| m.1), Some(Match::Default));
        assert_eq!(r.lookup(None, None).map(|m| m.1), Some(Match::Default));
    }

    #[test]
    fn a_single_star_stays_within_one_folder() {
        let r =
            Registry::parse(Path::new("r.yml"), "paths:\n  - glob: \"src/*\"\n    command: top\n").unwrap();
        assert_eq!(r.lookup(None, Some(&["src/a.rs".to_owned()])).map(|m| m.0), Some("top"));
        assert_eq!(r.lookup(None, Some(&["src/a/b.rs".to_owned()])), None);
    }

    #[test]
    fn messages_name_what_was_expected_not_rust_types() {
        let err = Registry::parse(Path::new("r.yml"), "just a string\n").unwrap_err().to_string();
        assert!(err.contains("a mapping with `default`, `tasks` and `paths`"), "{err}");
    }

    #[test]
    fn empty_file_defines_nothing() {
        let r = Registry::parse(Path::new("r.yml"), "\n# nothing yet\n").expect("empty is fine");
        assert_eq!(r.lookup(Some("x"), Some(&[])), None);
    }

    #[test]
    fn typos_and_bad_globs_are_errors_with_a_line() {
        let err = Registry::parse(Path::new("r.yml"), "defualt: x\n").unwrap_err().to_string();
        assert!(err.starts_with("`r.yml`, line 1: unknown field `defualt`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "paths:\n  - glob: \"a/[\"\n    command: x\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`r.yml`, line 2: invalid glob `a/[`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "tasks:\n  a: b\n  c: [\n").unwrap_err().to_string();
        assert!(err.contains("line 3") || err.contains("line 4"), "{err}");
    }
}
