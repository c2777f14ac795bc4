//! The JUnit reports one attempt of the smoke wrote: the files under the work directory
//! that match the `--junit` globs and were modified since the attempt started. Older ones
//! are left from an earlier run and would name tests that did not fail this time. Every
//! file is read through [`crate::bounded_read`] (regular files only, capped), and any
//! problem with one is a warning: reports are evidence, never a reason to fail the run.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::failed_test::{FailedList, FailedTest};
use super::junit::from_junit;
use crate::bounded_read::{self, REPORT_CAP};

/// At most this many directory entries are looked at, so a glob like `**/*.xml` over a
/// huge tree (a `node_modules`, a `target`) cannot stall the tool.
const MAX_ENTRIES: usize = 100_000;

/// What the reports said.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    /// Failing tests of every report read, in path order, each id once.
    pub tests: Vec<FailedTest>,
    /// One sentence per problem: a bad glob, a file that could not be read or parsed,
    /// reports ignored as stale.
    pub warnings: Vec<String>,
    /// Reports read and parsed (with or without failures in them).
    pub files_read: usize,
}

/// Reports under `dir` matching any of `globs` (relative to `dir`; `*` stays within a
/// folder, `**` crosses folders) and modified at or after `since`.
pub fn collect_junit(dir: &Path, globs: &[String], since: SystemTime) -> Collected {
    let mut collected = Collected::default();
    let mut set = GlobSetBuilder::new();
    let mut roots = BTreeSet::new();
    for glob in globs {
        let glob = glob.trim().trim_start_matches("./");
        if glob.is_empty() {
            continue;
        }
        if Path::new(glob).components().any(|c| !matches!(c, Component::Normal(_))) {
            collected
                .warnings
                .push(format!("JUnit glob `{glob}` must be a relative path inside the work directory"));
            continue;
        }
        match GlobBuilder::new(glob).literal_separator(true).build() {
            Ok(compiled) => {
                set.add(compiled);
                roots.insert(dir.join(literal_prefix(glob)));
            }
            Err(e) => collected.warnings.push(format!("JUnit glob `{glob}` is invalid: {e}")),
        }
    }
    let set = match set.build() {
        Ok(set) => set,
        Err(e) => {
            collected.warnings.push(format!("JUnit globs are invalid: {e}"));
            return collected;
        }
    };
    let files = matching_files(dir, &roots, &set, &mut collected.warnings);
    let mut stale = Vec::new();
    let mut failed = FailedList::default();
    for path in files {
        let shown = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        // A special file is not stale, it is wrong: bounded_read says so below, without blocking.
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.is_file()
            && meta.modified().is_ok_and(|modified| written_before(modified, since))
        {
            stale.push(shown);
            continue;
        }
        let xml = match bounded_read::read(&path, REPORT_CAP) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                collected.warnings.push(format!("JUnit report skipped: {e}"));
                continue;
            }
        };
        match from_junit(&xml) {
            Ok(tests) => {
                collected.files_read += 1;
                failed.extend(tests);
            }
            Err(e) => collected.warnings.push(format!("JUnit report `{shown}` skipped: {e}")),
        }
    }
    if !stale.is_empty() {
        let names: Vec<String> = stale.iter().take(5).map(|s| format!("`{s}`")).collect();
        let more = if stale.len() > 5 { format!(" and {} more", stale.len() - 5) } else { String::new() };
        collected.warnings.push(format!(
            "ignored {} JUnit report(s) not modified since the attempt started (left from an earlier run): {}{more}",
            stale.len(),
            names.join(", ")
        ));
    }
    collected.tests = failed.into_vec();
    collected
}

/// The leading folders of a glob that hold no pattern: where to start looking.
fn literal_prefix(glob: &str) -> PathBuf {
    let is_pattern = |part: &str| part.contains(['*', '?', '[', ']', '{', '}', '\\']);
    glob.split('/').take_while(|part| !is_pattern(part)).collect()
}

/// Matching paths that are not folders, sorted, each once. Symbolic links are listed (the
/// read follows them and refuses what is not a regular file) but never descended into,
/// so a link loop cannot keep the walk going.
fn matching_files(
    dir: &Path,
    roots: &BTreeSet<PathBuf>,
    set: &GlobSet,
    warnings: &mut Vec<String>,
) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut seen = 0usize;
    let mut pending: Vec<PathBuf> = roots.iter().cloned().collect();
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(&path) else { continue };
            for entry in entries.flatten() {
                seen += 1;
                if seen > MAX_ENTRIES {
                    warnings.push(format!(
                        "stopped looking for JUnit reports after {MAX_ENTRIES} entries: narrow the globs"
                    ));
                    return found;
                }
                pending.push(entry.path());
            }
        } else if path.strip_prefix(dir).is_ok_and(|relative| set.is_match(relative)) {
            found.insert(path);
        }
    }
    found
}

/// Whether a file's modification time is before `since`. A file system that keeps whole
/// seconds (its times have no fraction) would make a report written in the second the
/// attempt began look older than it: there, seconds are compared.
fn written_before(modified: SystemTime, since: SystemTime) -> bool {
    let Ok(at) = modified.duration_since(UNIX_EPOCH) else { return true };
    if at.subsec_nanos() == 0 {
        let since_secs = since.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        return at.as_secs() < since_secs;
    }
    modified < since
}
