//! Which pull request brought the merge commit in, read from its message: GitHub's merge
//! commits say `Merge pull request #N from ...`, squash merges end their title in `(#N)`.

/// The pull request number a merge commit's message names, if any.
pub fn pr_number_from_message(message: &str) -> Option<u64> {
    let title = message.lines().next()?.trim();
    if let Some(rest) = title.strip_prefix("Merge pull request #") {
        return leading_number(rest);
    }
    let open = title.rfind("(#")?;
    let inner = title[open + 2..].strip_suffix(')')?;
    inner.parse().ok()
}

fn leading_number(s: &str) -> Option<u64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_merge_and_squash_titles() {
        assert_eq!(pr_number_from_message("Merge pull request #42 from o/branch\n\nbody"), Some(42));
        assert_eq!(pr_number_from_message("Fix the parser (#1234)\n\n* a\n* b (#9)"), Some(1234));
        assert_eq!(pr_number_from_message("Fix (#12) later text"), None);
        assert_eq!(pr_number_from_message("plain commit"), None);
        assert_eq!(pr_number_from_message(""), None);
    }
}
