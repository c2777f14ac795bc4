//! pytest: the short test summary (`FAILED id`, `FAILED id - message`, `ERROR id ...`)
//! and the verbose progress line (`id FAILED   [ 33%]`).

/// The id and message of a pytest line that reports a failed or errored test.
pub(super) fn parse(line: &str) -> Option<(String, Option<String>)> {
    if let Some(rest) = line.strip_prefix("FAILED ").or_else(|| line.strip_prefix("ERROR ")) {
        let (id, rest) = split_id(rest)?;
        let message = match rest {
            "" => None,
            // pytest cuts the message to the terminal's width and ends it with "...": kept as is.
            _ => Some(rest.strip_prefix(" - ")?.trim().to_owned()).filter(|m| !m.is_empty()),
        };
        return looks_like_id(id).then(|| (id.to_owned(), message));
    }
    // Verbose: `tests/test_x.py::test_y FAILED                     [ 33%]`.
    let progress = line.trim_end().strip_suffix("%]")?;
    let (before, percent) = progress.rsplit_once('[')?;
    percent.trim().parse::<u8>().ok()?;
    let before = before.trim_end();
    let id = before.strip_suffix(" FAILED").or_else(|| before.strip_suffix(" ERROR"))?;
    let (id, rest) = split_id(id)?;
    (rest.is_empty() && id.contains("::")).then(|| (id.to_owned(), None))
}

/// The id at the start of `text` and what follows it. An id has no spaces, except inside
/// the brackets of a parametrized test (`test_x[a b]`).
fn split_id(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 => return Some((&text[..at], &text[at..])),
            _ => {}
        }
    }
    (!text.is_empty()).then_some((text, ""))
}

/// A node id (`path::name`) or, for an error while collecting, a Python file: "FAILED to
/// connect" in a program's own output is neither.
fn looks_like_id(id: &str) -> bool {
    match id.split_once("::") {
        Some((path, name)) => !path.is_empty() && !name.is_empty(),
        None => id.ends_with(".py"),
    }
}
