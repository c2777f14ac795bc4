//! Step outputs in `$GITHUB_OUTPUT`, in the runner's own file-command format.
//!
//! Every value is written as `name<<DELIM`, the value, then a line `DELIM`: the runner
//! (`EnvFileKeyValuePairs` in actions/runner) takes everything between the first line and
//! the first line equal to `DELIM` as the value, byte for byte. The delimiter is fresh and
//! random per value and is checked not to occur in the value, so no content (a smoke's
//! output inside the `envelope` output included) can end a value early or forge another.

use std::path::Path;

use serde_json::Value;

use crate::envelope::Envelope;
use crate::random;
use crate::text::{Limit, tail, truncate};

/// Each `*_tail` string in the `envelope` output keeps at most this many bytes (its end).
pub const ENVELOPE_TAIL_BYTES: usize = 4 * 1024;
/// Any other string in the `envelope` output keeps at most this many bytes (its start).
const ENVELOPE_STRING_BYTES: usize = 4 * 1024;
/// `changed_paths` in the `envelope` output keeps paths up to this many bytes in all.
const ENVELOPE_PATHS_BYTES: usize = 16 * 1024;

/// The contract's outputs, in order, from the (already redacted) envelope.
pub fn step_outputs(
    envelope: &Envelope,
    exit_code: i32,
    envelope_path: Option<&Path>,
) -> serde_json::Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("status", envelope.status.as_str().to_owned()),
        ("allow-continuation", envelope.allow_continuation.to_string()),
        ("stale", envelope.stale.to_string()),
        ("exit-code", exit_code.to_string()),
        ("merge-commit", envelope.merge_commit.clone()),
        ("task-id", envelope.task_id.clone().unwrap_or_default()),
        ("envelope-path", envelope_path.map(|p| p.display().to_string()).unwrap_or_default()),
        ("envelope", envelope_output(envelope)?),
    ])
}

/// The envelope as one line of compact JSON, cut so that a job's outputs stay far below
/// the runner's 1 MB limit whatever the smoke printed: each `*_tail` keeps its last
/// [`ENVELOPE_TAIL_BYTES`], other long strings their first 4 KiB, and `changed_paths` its
/// first 16 KiB of paths followed by one entry saying how many more there were.
pub fn envelope_output(envelope: &Envelope) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(envelope)?;
    cut_value(&mut value, None);
    serde_json::to_string(&value)
}

fn cut_value(value: &mut Value, key: Option<&str>) {
    match value {
        Value::String(s) if key.is_some_and(|k| k.ends_with("_tail")) => {
            if s.len() > ENVELOPE_TAIL_BYTES {
                *s = tail(s, ENVELOPE_TAIL_BYTES, "; the full text is in the envelope file").into_owned();
            }
        }
        Value::String(s) => {
            if s.len() > ENVELOPE_STRING_BYTES {
                *s = truncate(s, Limit::Bytes(ENVELOPE_STRING_BYTES)).into_owned();
            }
        }
        Value::Array(items) if key == Some("changed_paths") => cut_paths(items),
        Value::Array(items) => items.iter_mut().for_each(|v| cut_value(v, None)),
        Value::Object(map) => map.iter_mut().for_each(|(k, v)| cut_value(v, Some(k))),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn cut_paths(items: &mut Vec<Value>) {
    let mut used = 0;
    let keep = items
        .iter()
        .take_while(|v| {
            used += v.as_str().map_or(0, str::len).min(ENVELOPE_STRING_BYTES);
            used <= ENVELOPE_PATHS_BYTES
        })
        .count();
    if keep < items.len() {
        let more = items.len() - keep;
        items.truncate(keep);
        items.push(Value::String(format!("… {more} more paths; the full list is in the envelope file")));
    }
    items.iter_mut().for_each(|v| cut_value(v, None));
}

/// One output in the runner's heredoc format, with a delimiter that cannot occur in it.
pub fn format_output(name: &str, value: &str) -> String {
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{}", random::token());
        // With 128 random bits a collision is all but impossible; checking makes it certain.
        if !value.contains(&candidate) {
            break candidate;
        }
    };
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_path_lists_are_cut_with_a_count() {
        let mut value = serde_json::json!({"changed_paths": (0..5000).map(|i| format!("src/file-{i:05}.rs")).collect::<Vec<_>>()});
        cut_value(&mut value, None);
        let paths = value["changed_paths"].as_array().expect("array");
        let bytes: usize = paths.iter().map(|p| p.as_str().map_or(0, str::len)).sum();
        assert!(bytes <= ENVELOPE_PATHS_BYTES + 100);
        let last = paths.last().and_then(Value::as_str).expect("marker");
        assert_eq!(
            last,
            format!("… {} more paths; the full list is in the envelope file", 5000 - (paths.len() - 1))
        );
    }

    #[test]
    fn the_delimiter_is_fresh_and_frames_the_value() {
        let a = format_output("status", "PASS");
        let b = format_output("status", "PASS");
        assert_ne!(a, b);
        let (first, rest) = a.split_once('\n').expect("lines");
        let delimiter = first.strip_prefix("status<<").expect("heredoc");
        assert_eq!(rest, format!("PASS\n{delimiter}\n"));
    }
}
