//! The registry (`.github/post-merge-smoke.yml` by default): a `default` command, commands
//! by task id, commands by the paths a merge changed, and the quarantined tests. Every
//! command may be a string or `{command, name, sharded}`. Unknown keys are errors, so a
//! typo such as `defualt` is reported instead of silently leaving main unguarded.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::files::{SmokeConfigError, parse_yaml, read};

#[derive(Debug, Clone, Default)]
pub struct Registry {
    default: Option<Entry>,
    tasks: BTreeMap<String, Entry>,
    paths: Vec<PathEntry>,
    quarantine: Vec<String>,
}

/// One smoke the registry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub command: String,
    /// Runs on every shard (it splits its own tests) instead of on one dealt shard.
    pub sharded: bool,
}

#[derive(Debug, Clone)]
struct PathEntry {
    matcher: GlobMatcher,
    entry: Entry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `default`, `tasks`, `paths` and `quarantine`")]
struct Raw {
    #[serde(default)]
    default: Option<RawCommand>,
    #[serde(default)]
    tasks: BTreeMap<String, RawCommand>,
    #[serde(default)]
    paths: Vec<RawPath>,
    #[serde(default)]
    quarantine: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `glob` and `command`")]
struct RawPath {
    glob: String,
    command: RawCommand,
}

/// A command as a string, or `{command, name, sharded}`.
struct RawCommand {
    command: String,
    name: Option<String>,
    sharded: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `command`, and optionally `name` and `sharded`")]
struct FullCommand {
    command: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sharded: bool,
}

impl<'de> Deserialize<'de> for RawCommand {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;
        impl<'de> Visitor<'de> for CommandVisitor {
            type Value = RawCommand;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command string, or a mapping with `command`, `name` and `sharded`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCommand, E> {
                Ok(RawCommand { command: v.to_owned(), name: None, sharded: false })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawCommand, A::Error> {
                let full = FullCommand::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawCommand { command: full.command, name: full.name, sharded: full.sharded })
            }
        }
        deserializer.deserialize_any(CommandVisitor)
    }
}

impl RawCommand {
    /// The entry, named `default_name` unless it names itself; `None` when empty.
    fn entry(self, default_name: &str) -> Option<Entry> {
        let name = self.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| default_name.to_owned());
        (!self.command.trim().is_empty()).then_some(Entry {
            name,
            command: self.command,
            sharded: self.sharded,
        })
    }
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
            .filter_map(|p| {
                // `*` stays within one folder, as in .gitignore; `**` crosses folders.
                let matcher = GlobBuilder::new(&p.glob).literal_separator(true).build().map_err(|e| {
                    SmokeConfigError::Invalid {
                        path: path.to_owned(),
                        line: text.lines().position(|l| l.contains(&p.glob)).map(|i| i + 1),
                        message: format!("invalid glob `{}`: {}", p.glob, e.kind()),
                    }
                });
                let entry = p.command.entry(&p.glob)?;
                Some(matcher.map(|m| PathEntry { matcher: m.compile_matcher(), entry }))
            })
            .collect::<Result<_, SmokeConfigError>>()?;
        let tasks = raw.tasks.into_iter().filter_map(|(id, c)| Some((id.clone(), c.entry(&id)?))).collect();
        let quarantine = raw.quarantine.into_iter().filter(|q| !q.trim().is_empty()).collect();
        Ok(Registry { default: raw.default.and_then(|c| c.entry("default")), tasks, paths, quarantine })
    }

    /// The smokes for a merge: its task's entry; else every path entry matching a changed
    /// path, once each, in file order (only when the changed paths are known); else
    /// `default`.
    pub fn lookup(&self, task_id: Option<&str>, changed: Option<&[String]>) -> Vec<&Entry> {
        if let Some(entry) = task_id.and_then(|id| self.tasks.get(id)) {
            return vec![entry];
        }
        let hits: Vec<&Entry> = match changed {
            Some(changed) => self
                .paths
                .iter()
                .filter(|p| changed.iter().any(|c| p.matcher.is_match(c)))
                .map(|p| &p.entry)
                .collect(),
            None => Vec::new(),
        };
        if !hits.is_empty() {
            return hits;
        }
        self.default.iter().collect()
    }

    /// The quarantined test ids and patterns.
    pub fn quarantine(&self) -> &[String] {
        &self.quarantine
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
    command: {command: "pytest -q", name: python, sharded: true}
quarantine:
  - "tests/test_x.py::*"
"#;

    fn registry() -> Registry {
        Registry::parse(Path::new("r.yml"), TEXT).expect("valid registry")
    }

    fn names(entries: Vec<&Entry>) -> Vec<&str> {
        entries.into_iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn task_beats_paths_which_all_run_which_beat_default() {
        let r = registry();
        let changed = vec!["api/src/lib.rs".to_owned(), "tool.py".to_owned()];
        assert_eq!(names(r.lookup(Some("task-2512"), Some(&changed))), ["task-2512"]);
        let both = r.lookup(Some("other"), Some(&changed));
        assert_eq!(names(both.clone()), ["api/**", "python"]);
        assert!(!both[0].sharded && both[1].sharded);
        assert_eq!(both[1].command, "pytest -q");
        assert_eq!(names(r.lookup(None, Some(&["docs/x.md".to_owned()]))), ["default"]);
        assert_eq!(names(r.lookup(None, None)), ["default"]);
        assert_eq!(r.quarantine(), ["tests/test_x.py::*"]);
    }

    #[test]
    fn a_single_star_stays_within_one_folder() {
        let r =
            Registry::parse(Path::new("r.yml"), "paths:\n  - glob: \"src/*\"\n    command: top\n").unwrap();
        assert_eq!(names(r.lookup(None, Some(&["src/a.rs".to_owned()]))), ["src/*"]);
        assert!(r.lookup(None, Some(&["src/a/b.rs".to_owned()])).is_empty());
    }

    #[test]
    fn messages_name_what_was_expected_not_rust_types() {
        let err = Registry::parse(Path::new("r.yml"), "just a string\n").unwrap_err().to_string();
        assert!(err.contains("a mapping with `default`, `tasks`, `paths` and `quarantine`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "default: [a]\n").unwrap_err().to_string();
        assert!(err.contains("a command string, or a mapping with `command`"), "{err}");
    }

    #[test]
    fn empty_file_defines_nothing() {
        let r = Registry::parse(Path::new("r.yml"), "\n# nothing yet\n").expect("empty is fine");
        assert!(r.lookup(Some("x"), Some(&[])).is_empty());
    }

    #[test]
    fn typos_and_bad_globs_are_errors_with_a_line() {
        let err = Registry::parse(Path::new("r.yml"), "defualt: x\n").unwrap_err().to_string();
        assert!(err.starts_with("`r.yml`, line 1: unknown field `defualt`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "default:\n  comand: x\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("unknown field `comand`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "paths:\n  - glob: \"a/[\"\n    command: x\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`r.yml`, line 2: invalid glob `a/[`"), "{err}");
        let err = Registry::parse(Path::new("r.yml"), "tasks:\n  a: b\n  c: [\n").unwrap_err().to_string();
        assert!(err.contains("line 3") || err.contains("line 4"), "{err}");
    }
}
