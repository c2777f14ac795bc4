//! Finding the shards' envelopes: every `*.json` file under a folder at any depth
//! (download-artifact puts each artifact in a folder of its own), each a regular file read
//! up to a cap, each checked to be an envelope of this run's shards. Identical copies of
//! one shard are one; anything else wrong is named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bounded_read::{self, REPORT_CAP};
use crate::envelope::{Envelope, SCHEMA_VERSION};

/// Folders deeper than this are not walked.
const MAX_DEPTH: usize = 8;
/// More entries than this is not a folder of shard envelopes.
const MAX_ENTRIES: usize = 10_000;

/// What the folder held, by shard index.
#[derive(Debug, Default)]
pub struct Collected {
    /// Index (from 1) to its envelope and the file it came from.
    pub shards: BTreeMap<u32, (Envelope, PathBuf)>,
    /// Index to why its file(s) cannot be taken.
    pub mismatched: BTreeMap<u32, String>,
    /// Files that belong to no shard of this run, each with why.
    pub others: Vec<String>,
}

/// The run the envelopes must belong to.
pub struct Expected<'a> {
    pub total: u32,
    /// `GITHUB_SHA` inside Actions; else the commit most shard envelopes are for (the
    /// first by path on a tie), so one foreign file cannot make the others look foreign.
    pub merge_commit: Option<&'a str>,
    pub repository: Option<&'a str>,
}

pub fn collect(dir: &Path, expected: &Expected<'_>) -> Result<Collected, String> {
    let mut files = Vec::new();
    walk(dir, 0, &mut files)?;
    files.sort();
    let envelopes: Vec<(PathBuf, Result<Envelope, String>)> =
        files.into_iter().map(|file| (file.clone(), read(&file))).collect();
    let mut collected = Collected::default();
    let mut run: Option<(String, Option<String>)> = expected
        .merge_commit
        .map(|c| (c.to_owned(), expected.repository.map(str::to_owned)))
        .or_else(|| most_common_run(&envelopes));
    for (file, envelope) in envelopes {
        let shown = file.display().to_string();
        let envelope = match envelope {
            Ok(envelope) => envelope,
            Err(why) => {
                collected.others.push(format!("`{shown}` {why}"));
                continue;
            }
        };
        let Some(shard) = envelope.shard else {
            collected.others.push(format!("`{shown}` is the envelope of a run that was not a shard"));
            continue;
        };
        let (commit, repository) = run
            .get_or_insert_with(|| (envelope.merge_commit.clone(), envelope.ci.repository.clone()))
            .clone();
        let problem = if shard.total != expected.total {
            Some(format!("is shard {} of {}, not of {}", shard.index, shard.total, expected.total))
        } else if envelope.merge_commit != commit {
            Some(format!("is for commit {}, not {commit}", envelope.merge_commit))
        } else if repository.is_some() && envelope.ci.repository != repository {
            let theirs = envelope.ci.repository.as_deref().unwrap_or("no repository");
            Some(format!("is for {theirs}, not {}", repository.as_deref().unwrap_or_default()))
        } else {
            None
        };
        let index = shard.index;
        match problem {
            Some(why) if (1..=expected.total).contains(&index) && shard.total == expected.total => {
                collected.mismatched.entry(index).or_insert(format!("`{shown}` {why}"));
            }
            Some(why) => collected.others.push(format!("`{shown}` {why}")),
            None => match collected.shards.get(&index) {
                Some((earlier, _)) if *earlier == envelope => {} // a copy of the same shard
                Some((_, earlier)) => {
                    let why = format!(
                        "`{shown}` and `{}` are two different envelopes of shard {index}",
                        earlier.display()
                    );
                    collected.mismatched.insert(index, why);
                }
                None => {
                    collected.shards.insert(index, (envelope, file));
                }
            },
        }
    }
    // An index with a conflict is not taken from either file.
    for index in collected.mismatched.keys() {
        collected.shards.remove(index);
    }
    Ok(collected)
}

/// The commit and repository most shard envelopes are for; the first by path on a tie.
fn most_common_run(envelopes: &[(PathBuf, Result<Envelope, String>)]) -> Option<(String, Option<String>)> {
    let mut counts: Vec<((String, Option<String>), usize)> = Vec::new();
    for envelope in envelopes.iter().filter_map(|(_, e)| e.as_ref().ok()).filter(|e| e.shard.is_some()) {
        let run = (envelope.merge_commit.clone(), envelope.ci.repository.clone());
        match counts.iter_mut().find(|(seen, _)| *seen == run) {
            Some((_, n)) => *n += 1,
            None => counts.push((run, 1)),
        }
    }
    // `max_by_key` keeps the last of equals: reversed, that is the first by path.
    counts.into_iter().rev().max_by_key(|(_, n)| *n).map(|(run, _)| run)
}

fn read(file: &Path) -> Result<Envelope, String> {
    if file.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err("is a symbolic link, not an envelope file".to_owned());
    }
    let bytes = bounded_read::read(file, REPORT_CAP).map_err(|e| {
        let text = e.to_string();
        // The message names the file already; keep what follows it.
        text.split_once("` ").map_or(text.clone(), |(_, rest)| rest.to_owned())
    })?;
    let envelope: Envelope =
        serde_json::from_slice(&bytes).map_err(|e| format!("is not a post-merge-smoke envelope: {e}"))?;
    if envelope.schema_version != SCHEMA_VERSION {
        return Err(format!("has schema_version {}, not {SCHEMA_VERSION}", envelope.schema_version));
    }
    Ok(envelope)
}

/// Every `*.json` regular file under `dir`; links are not followed.
fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if files.len() >= MAX_ENTRIES {
            return Err(format!("`{}` holds more than {MAX_ENTRIES} files", dir.display()));
        }
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, depth + 1, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            // A link is named, not followed: it could point anywhere, even at a shard of
            // another run; a shard it stood for is then missing.
            files.push(path);
        }
    }
    Ok(())
}
