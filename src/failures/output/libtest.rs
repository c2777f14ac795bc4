//! cargo test (libtest): `test path::name ... FAILED`, and the list under `failures:` at the
//! end of a test binary's run.

/// Reads libtest's lines one at a time. The `failures:` list only counts once the blank
/// line and `test result: FAILED.` that libtest prints after it confirm it was libtest's.
#[derive(Debug, Default)]
pub(super) struct Parser {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// Inside a `failures:` list.
    Listing(Vec<String>),
    /// After the list's blank line, waiting for `test result: FAILED.`.
    Listed(Vec<String>),
}

impl Parser {
    pub(super) fn line(&mut self, line: &str) -> Vec<String> {
        match std::mem::take(&mut self.state) {
            State::Listing(mut ids) => {
                if let Some(id) = list_entry(line) {
                    ids.push(id.to_owned());
                    self.state = State::Listing(ids);
                    return Vec::new();
                }
                if line.is_empty() && !ids.is_empty() {
                    self.state = State::Listed(ids);
                    return Vec::new();
                }
            }
            State::Listed(ids) if line.starts_with("test result: FAILED.") => return ids,
            State::Listed(_) | State::Idle => {}
        }
        if line == "failures:" {
            self.state = State::Listing(Vec::new());
            return Vec::new();
        }
        test_line(line).into_iter().collect()
    }
}

/// An entry of the list: indented by exactly four spaces (nextest's copy of libtest's
/// output is indented further, and must not be read as libtest's own).
fn list_entry(line: &str) -> Option<&str> {
    line.strip_prefix("    ").filter(|id| !id.is_empty() && !id.starts_with(' '))
}

/// `test path::name ... FAILED` at the start of a line (a doc test's name has spaces:
/// `src/lib.rs - add (line 5)`).
fn test_line(line: &str) -> Option<String> {
    let name = line.strip_prefix("test ")?.strip_suffix(" ... FAILED")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    (!name.is_empty() && !name.contains(" ... ")).then(|| name.to_owned())
}
