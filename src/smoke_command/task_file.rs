//! Task files: Markdown whose YAML front matter (or, failing that, its first fenced `yaml`
//! block) holds `smoke_command`, and optionally `task_id` and `timeout_sec`. Other keys
//! belong to whoever else reads the file and are left alone.

use std::path::Path;

use serde::Deserialize;

use super::files::{SmokeConfigError, parse_yaml, read};
use crate::config::MAX_TIMEOUT_SEC;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFile {
    pub smoke_command: Option<String>,
    pub task_id: Option<String>,
    pub timeout_sec: Option<u64>,
}

#[derive(Deserialize)]
#[serde(expecting = "a mapping with `smoke_command`, and optionally `task_id` and `timeout_sec`")]
struct Fields {
    #[serde(default)]
    smoke_command: Option<String>,
    #[serde(default)]
    task_id: Option<TaskId>,
    #[serde(default)]
    timeout_sec: Option<u64>,
}

/// `task_id: 2512` is as natural to write as `task_id: "task-2512"`.
#[derive(Deserialize)]
#[serde(untagged, expecting = "a string or a number")]
enum TaskId {
    Text(String),
    Number(u64),
}

impl TaskFile {
    pub fn load(path: &Path) -> Result<Self, SmokeConfigError> {
        Self::parse(path, &read(path)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, SmokeConfigError> {
        let invalid = |line, message: &str| SmokeConfigError::Invalid {
            path: path.to_owned(),
            line,
            message: message.to_owned(),
        };
        let (yaml, first_line) = find_yaml(text).map_err(|(line, msg)| invalid(line, msg))?;
        if yaml.trim().is_empty() {
            return Ok(TaskFile::default());
        }
        let fields: Fields = parse_yaml(path, yaml, first_line)?;
        if fields.timeout_sec.is_some_and(|t| !(1..=MAX_TIMEOUT_SEC).contains(&t)) {
            let line = line_of(text, "timeout_sec");
            return Err(invalid(line, "`timeout_sec` must be between 1 and 604800 seconds (a week)"));
        }
        let smoke_command = fields.smoke_command.filter(|c| !c.trim().is_empty());
        let task_id = fields.task_id.map(|id| match id {
            TaskId::Text(s) => s,
            TaskId::Number(n) => n.to_string(),
        });
        Ok(TaskFile { smoke_command, task_id, timeout_sec: fields.timeout_sec })
    }
}

/// The YAML text and the file line it starts on.
fn find_yaml(text: &str) -> Result<(&str, usize), (Option<usize>, &'static str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = line_offsets(text);
    if lines.first().is_some_and(|(_, l)| l.trim_end() == "---") {
        let close = lines[1..]
            .iter()
            .position(|(_, l)| matches!(l.trim_end(), "---" | "..."))
            .ok_or((Some(1), "the front matter opened on line 1 is never closed with `---`"))?;
        let start = lines.get(1).map_or(text.len(), |(at, _)| *at);
        let end = lines[close + 1].0;
        return Ok((&text[start..end], 2));
    }
    let open = lines.iter().position(|(_, l)| {
        let l = l.trim();
        (l.starts_with("```") || l.starts_with("~~~")) && matches!(l[3..].trim(), "yaml" | "yml")
    });
    let Some(open) = open else {
        return Err((None, "no YAML front matter and no fenced ```yaml block found"));
    };
    let fence = &lines[open].1.trim()[..3];
    let close = lines[open + 1..]
        .iter()
        .position(|(_, l)| l.trim() == fence)
        .ok_or((Some(open + 1), "the ```yaml block opened here is never closed"))?;
    let start = lines.get(open + 1).map_or(text.len(), |(at, _)| *at);
    let end = lines[open + 1 + close].0;
    Ok((&text[start..end], open + 2))
}

/// `(byte offset, line without its newline)` of every line.
fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|line| {
            let start = at;
            at += line.len();
            (start, line.trim_end_matches(['\n', '\r']))
        })
        .collect()
}

fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().starts_with(key)).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TaskFile, SmokeConfigError> {
        TaskFile::parse(Path::new("task.md"), text)
    }

    #[test]
    fn reads_front_matter() {
        let t = parse(
            "---\ntask_id: task-7\nsmoke_command: make smoke\ntimeout_sec: 30\nowner: me\n---\n# Title\n",
        );
        assert_eq!(
            t,
            Ok(TaskFile {
                smoke_command: Some("make smoke".into()),
                task_id: Some("task-7".into()),
                timeout_sec: Some(30)
            })
        );
    }

    #[test]
    fn reads_the_first_yaml_block_when_there_is_no_front_matter() {
        let t = parse(
            "# Task\n\ntext\n\n```yaml\ntask_id: 12\nsmoke_command: ./smoke.sh\n```\n\n```yaml\nsmoke_command: other\n```\n",
        );
        assert_eq!(
            t.map(|t| (t.task_id, t.smoke_command)),
            Ok((Some("12".into()), Some("./smoke.sh".into())))
        );
    }

    #[test]
    fn errors_name_the_file_line_and_problem() {
        let err = parse("---\ntask_id: a\nsmoke_command: [unclosed\n---\n").unwrap_err().to_string();
        assert!(err.starts_with("`task.md`, line "), "{err}");
        let line: usize =
            err["`task.md`, line ".len()..].split(':').next().unwrap_or("").parse().unwrap_or(0);
        assert!((3..=4).contains(&line), "{err}");

        let err = parse("# Task\n\n```yaml\nsmoke_command: 5: 6\n```\n").unwrap_err().to_string();
        assert!(err.contains("line 4"), "{err}");

        let err = parse("---\nsmoke_command: x\n").unwrap_err().to_string();
        assert_eq!(err, "`task.md`, line 1: the front matter opened on line 1 is never closed with `---`");

        let err = parse("just prose\n").unwrap_err().to_string();
        assert_eq!(err, "`task.md`: no YAML front matter and no fenced ```yaml block found");

        let err = parse("---\nsmoke_command: x\ntimeout_sec: 0\n---\n").unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("between 1 and 604800"), "{err}");
        let err =
            parse("---\nsmoke_command: x\ntimeout_sec: 18446744073709551615\n---\n").unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("between 1 and 604800"), "{err}");

        let err = parse("---\n- a list\n---\n").unwrap_err().to_string();
        assert!(err.contains("expected a mapping with `smoke_command`"), "{err}");

        let err = parse("---\nsmoke_command: [1, 2]\n---\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("smoke_command"), "{err}");
    }
}
