//! Jest and Vitest. Both print a failing file's tests as a block: Jest a `FAIL path`
//! header, then `✕ name` lines (verbose) and a `● Suite › name` heading per failure;
//! Vitest a `❯ path (2 tests | 1 failed)` line, then `× Suite > name` lines. Vitest also
//! prints one `FAIL  path > Suite > name` line per failing test, which names both at once.
//!
//! A block's failing tests are its `●` headings (the full name), else its `✕`/`×` lines
//! (Jest's give only the last part of the name), else, for a Jest file that failed as a
//! whole (it did not compile, say), the file itself. `✕`/`×` lines outside a block are
//! not read: the symbols are too common in ordinary output.

#[derive(Debug, Default)]
pub(super) struct Parser {
    block: Option<Block>,
}

#[derive(Debug)]
struct Block {
    file: String,
    /// Jest's `FAIL path`: the file fails even when no test in it is named.
    file_failed: bool,
    headings: Vec<String>,
    crosses: Vec<String>,
}

impl Parser {
    pub(super) fn line(&mut self, line: &str) -> Vec<String> {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("FAIL ").map(str::trim_start) {
            if let Some((file, name)) = rest.split_once(" > ") {
                // Vitest's line for one failing test.
                let name = name.trim();
                return match is_test_file(file) && !name.is_empty() {
                    true => vec![format!("{}::{name}", clean_path(file))],
                    false => Vec::new(),
                };
            }
            // Jest's header; Vitest's `FAIL  x.test.ts [ x.test.ts ]` for a file that failed whole.
            let file = strip_duration(rest).split(" [ ").next().unwrap_or_default();
            return self.start(file, true);
        }
        if let Some(rest) = line.strip_prefix("❯ ")
            && let Some((file, counts)) = rest.split_once(" (")
            && counts.contains(" failed")
        {
            return self.start(file, false);
        }
        if ends_block(line) {
            return self.flush();
        }
        if let Some(block) = &mut self.block {
            if let Some(heading) = line.strip_prefix("● ") {
                if !matches!(heading, "Test suite failed to run" | "Console") {
                    block.headings.push(heading.to_owned());
                }
            } else if let Some(name) = cross(line) {
                block.crosses.push(name.to_owned());
            }
        }
        Vec::new()
    }

    pub(super) fn finish(mut self) -> Vec<String> {
        self.flush()
    }

    fn start(&mut self, file: &str, file_failed: bool) -> Vec<String> {
        if !is_test_file(file) {
            return Vec::new();
        }
        let done = self.flush();
        let file = clean_path(file).to_owned();
        self.block = Some(Block { file, file_failed, headings: Vec::new(), crosses: Vec::new() });
        done
    }

    fn flush(&mut self) -> Vec<String> {
        let Some(block) = self.block.take() else {
            return Vec::new();
        };
        let names = if block.headings.is_empty() { block.crosses } else { block.headings };
        if names.is_empty() && block.file_failed {
            return vec![block.file];
        }
        names.into_iter().map(|name| format!("{}::{name}", block.file)).collect()
    }
}

/// A passing file (Jest's `PASS path`, Vitest's `✓ path (2 tests)`) or a run summary.
fn ends_block(line: &str) -> bool {
    let file_line = |rest: &str| is_test_file(strip_duration(rest).split(" (").next().unwrap_or_default());
    line.strip_prefix("PASS ").is_some_and(|rest| file_line(rest.trim_start()))
        || line.strip_prefix("✓ ").is_some_and(file_line)
        || ["Test Suites:", "Tests:", "Test Files ", "Summary of all failing tests"]
            .iter()
            .any(|s| line.starts_with(s))
}

/// The name on a failing test's line, `✕ name (3 ms)` (Jest) or `× name 3ms` (Vitest).
fn cross(line: &str) -> Option<&str> {
    let rest = ["✕ ", "× ", "✗ ", "✖ "].iter().find_map(|mark| line.strip_prefix(mark))?;
    let name = strip_duration(rest.trim());
    let name = match name.rsplit_once(' ') {
        Some((name, time)) if is_duration(time) => name,
        _ => name,
    };
    (!name.is_empty()).then_some(name)
}

/// Without a trailing ` (3 ms)` or ` (5.2 s)`.
fn strip_duration(text: &str) -> &str {
    match text.strip_suffix(')').and_then(|t| t.rsplit_once(" (")) {
        Some((before, time)) if is_duration(&time.replace(' ', "")) => before,
        _ => text,
    }
}

/// `3ms`, `5.2s`.
fn is_duration(text: &str) -> bool {
    let number = text.strip_suffix("ms").or_else(|| text.strip_suffix('s'));
    number.is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok())
}

/// A JavaScript or TypeScript file: what a test file of either runner is.
fn is_test_file(path: &str) -> bool {
    let extensions = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts"];
    !path.is_empty() && !path.contains(char::is_whitespace) && extensions.iter().any(|e| path.ends_with(e))
}

fn clean_path(path: &str) -> &str {
    path.strip_prefix("./").unwrap_or(path)
}
