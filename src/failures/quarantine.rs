//! The registry's `quarantine:` list: test ids, or patterns where `*` is any run of
//! characters (none included) and `?` exactly one. A pattern matches a whole id, never a
//! part of one. There is no escape and no `[...]` class: test ids often hold brackets
//! (`test_x[1-2]`), which must stand for themselves.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quarantine {
    patterns: Vec<Vec<char>>,
}

impl Quarantine {
    /// Blank patterns are left out: a stray empty entry must not quarantine anything.
    pub fn new(patterns: &[String]) -> Self {
        let patterns =
            patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).map(|p| p.chars().collect());
        Quarantine { patterns: patterns.collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn matches(&self, id: &str) -> bool {
        let id: Vec<char> = id.chars().collect();
        self.patterns.iter().any(|pattern| wildcard(pattern, &id))
    }
}

/// Whole-string wildcard match in linear time: on a mismatch, go back to the last `*` and
/// let it take one more character (the classic greedy algorithm; no backtracking blow-up).
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((star, taken)) => {
                    last_star = Some((star, taken + 1));
                    p = star + 1;
                    t = taken + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
