//! The search itself, as plain data: main's first-parent chain from the known-good end to
//! the failing merge, and which commit to probe next. Binary search, so `n` commits take
//! about log2(n) probes; every probe result is one already confirmed by retries.

/// The first-parent commits from the known-good end (index 0) to the merge commit (the
/// last), and what is known about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    chain: Vec<String>,
    /// The newest index known to pass.
    good: usize,
    /// The oldest index known to fail.
    bad: usize,
}

/// Where the search stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Probe this commit.
    Probe(String),
    /// `bad` fails and its parent `good` passes: the first bad merge.
    Found { good: String, first_bad: String },
}

impl Search {
    /// `chain[0]` is known to pass and the last commit to fail; `None` for fewer than two.
    pub fn new(chain: Vec<String>) -> Option<Self> {
        (chain.len() >= 2).then(|| Search { bad: chain.len() - 1, good: 0, chain })
    }

    pub fn next(&self) -> Next {
        if self.bad - self.good == 1 {
            return Next::Found { good: self.good().to_owned(), first_bad: self.bad().to_owned() };
        }
        Next::Probe(self.chain[self.good + (self.bad - self.good) / 2].clone())
    }

    /// Records a probe of `commit`: it passed or failed (each confirmed).
    pub fn record(&mut self, commit: &str, passed: bool) {
        let Some(at) = self.chain.iter().position(|c| c == commit) else { return };
        if at > self.good && at < self.bad {
            if passed { self.good = at } else { self.bad = at }
        }
    }

    pub fn good(&self) -> &str {
        &self.chain[self.good]
    }

    pub fn bad(&self) -> &str {
        &self.chain[self.bad]
    }

    /// Commits between the ends not yet judged.
    pub fn left(&self) -> usize {
        self.bad - self.good - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    /// Runs the search against a world where commits from `first_bad` on fail; returns the
    /// probes made and the end.
    fn bisect(n: usize, first_bad: usize, max_probes: usize) -> (Vec<String>, Option<String>) {
        let mut search = Search::new(chain(n)).expect("two commits or more");
        let mut probes = Vec::new();
        loop {
            match search.next() {
                Next::Found { first_bad, .. } => return (probes, Some(first_bad)),
                Next::Probe(_) if probes.len() == max_probes => return (probes, None),
                Next::Probe(commit) => {
                    let index: usize = commit[1..].parse().expect("cN");
                    search.record(&commit, index < first_bad);
                    probes.push(commit);
                }
            }
        }
    }

    #[test]
    fn finds_the_first_bad_commit_wherever_it_is() {
        for n in 2..=20 {
            for first_bad in 1..n {
                let (probes, found) = bisect(n, first_bad, 64);
                assert_eq!(found, Some(format!("c{first_bad}")), "n={n} first_bad={first_bad}");
                let bound = (usize::BITS - (n - 1).leading_zeros()) as usize;
                assert!(probes.len() <= bound, "n={n}: {} probes, at most {bound}", probes.len());
            }
        }
    }

    #[test]
    fn a_merge_whose_parent_passes_needs_no_probe() {
        assert_eq!(bisect(2, 1, 6), (vec![], Some("c1".to_owned())));
    }

    #[test]
    fn stops_with_a_range_when_the_probes_run_out() {
        let mut search = Search::new(chain(40)).expect("chain");
        for _ in 0..2 {
            if let Next::Probe(commit) = search.next() {
                search.record(&commit, false);
            }
        }
        assert_eq!((search.good(), search.bad()), ("c0", "c9"));
        assert_eq!(search.left(), 8);
        assert_eq!(Search::new(chain(1)), None);
    }
}
