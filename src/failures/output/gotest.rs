//! go test: `--- FAIL: TestName (0.00s)`, indented for subtests (`TestA/sub`), the same
//! with and without `-v`.

/// Collects failing tests and leaves out a parent whose subtest failed too: go fails the
/// parent because of the subtest, and listing both would ask a quarantine of the subtest
/// to name the parent as well.
#[derive(Debug, Default)]
pub(super) struct Parser {
    ids: Vec<String>,
}

impl Parser {
    pub(super) fn line(&mut self, line: &str) {
        let Some(rest) = line.trim_start().strip_prefix("--- FAIL: ") else {
            return;
        };
        let Some((name, time)) = rest.trim_end().split_once(' ') else {
            return;
        };
        let seconds = time.strip_prefix('(').and_then(|t| t.strip_suffix("s)"));
        if seconds.is_some_and(|t| t.parse::<f64>().is_ok())
            && !name.is_empty()
            && !self.ids.iter().any(|known| known == name)
        {
            self.ids.push(name.to_owned());
        }
    }

    pub(super) fn finish(self) -> Vec<String> {
        let is_parent = |id: &str| {
            self.ids.iter().any(|other| other.strip_prefix(id).is_some_and(|rest| rest.starts_with('/')))
        };
        self.ids.iter().filter(|id| !is_parent(id)).cloned().collect()
    }
}
