//! Text for people, one way everywhere: cutting a string to a size (bytes or characters,
//! keeping its head, its tail or both, always on character boundaries), and Markdown for
//! untrusted strings (pull request titles, commands, branch and test names, the smoke's
//! output). The step summary, the escalation issue, the annotation and the commit status
//! all render through here, so a string is inert in each of them alike.

use std::borrow::Cow;
use std::fmt::Write;

/// How a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bytes(usize),
    /// Unicode scalar values, as GitHub counts a status description or an issue title.
    Chars(usize),
}

/// `s` whole when it fits, else its start and `…`, the whole within `limit`.
pub fn truncate(s: &str, limit: Limit) -> Cow<'_, str> {
    const ELLIPSIS: &str = "…";
    match limit {
        Limit::Bytes(max) if s.len() > max => {
            let end = s.floor_char_boundary(max.saturating_sub(ELLIPSIS.len()));
            format!("{}{ELLIPSIS}", &s[..end]).into()
        }
        Limit::Chars(max) if s.chars().count() > max => {
            let kept: String = s.chars().take(max.saturating_sub(1)).collect();
            format!("{kept}{ELLIPSIS}").into()
        }
        Limit::Bytes(_) | Limit::Chars(_) => s.into(),
    }
}

/// `s` whole when it fits in `max` bytes, else a line saying how much was cut (and `where_`
/// the rest is) followed by its last bytes, the whole within `max`.
pub fn tail<'a>(s: &'a str, max: usize, where_: &str) -> Cow<'a, str> {
    if s.len() <= max {
        return s.into();
    }
    let marker = |cut: usize| format!("[… {cut} bytes cut{where_}]\n");
    let room = max.saturating_sub(marker(s.len()).len());
    let start = s.ceil_char_boundary(s.len() - room.min(s.len()));
    format!("{}{}", marker(start), &s[start..]).into()
}

/// `s` whole when it fits in `head + tail` bytes, else its first `head` and last `tail`
/// bytes joined by a line saying how much is left out (and `where_` it is).
pub fn head_and_tail<'a>(s: &'a str, head: usize, tail: usize, where_: &str) -> Cow<'a, str> {
    if s.len() <= head + tail {
        return s.into();
    }
    let end = s.floor_char_boundary(head);
    let start = s.ceil_char_boundary(s.len() - tail);
    let newline = if s[..end].ends_with('\n') { "" } else { "\n" };
    format!("{}{newline}[… {} bytes left out{where_} …]\n{}", &s[..end], start - end, &s[start..]).into()
}

/// One line: line breaks become spaces.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if s.contains(['\n', '\r']) { s.replace(['\r', '\n'], " ").into() } else { s.into() }
}

/// Markdown for untrusted strings.
pub mod md {
    use super::*;

    /// Free text of any one field keeps at most this many bytes.
    pub const FIELD_BYTES: usize = 2 * 1024;
    /// A zero-width space after `@` keeps `@name` from mentioning anyone.
    const NO_MENTION: char = '\u{200B}';

    /// Text that Markdown shows as it is, on one line, safe in a table cell: every ASCII
    /// punctuation character is backslash-escaped (so it forms no markup, HTML, comment or
    /// link), and `@` cannot mention a person or team.
    pub fn text(s: &str) -> String {
        let s = truncate(s, Limit::Bytes(FIELD_BYTES));
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            match c {
                '\n' | '\r' => out.push(' '),
                '@' => {
                    out.push_str("\\@");
                    out.push(NO_MENTION);
                }
                c if c.is_ascii_punctuation() => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out
    }

    /// An inline code span that its content cannot close, safe inside a table cell.
    pub fn code(s: &str) -> String {
        let s = inert_comments(&one_line(&truncate(s, Limit::Bytes(FIELD_BYTES)))).replace('|', "\\|");
        let ticks = "`".repeat(longest_backtick_run(&s) + 1);
        // A space pads content that starts or ends with a backtick; Markdown drops it.
        let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() { " " } else { "" };
        format!("{ticks}{pad}{s}{pad}{ticks}")
    }

    /// A fenced block that its content cannot close: the fence is longer than any backtick
    /// run inside, and a line of tildes cannot end a backtick fence.
    pub fn fence(s: &str) -> String {
        let s = inert_comments(s);
        let s = s.as_ref();
        let fence = "`".repeat((longest_backtick_run(s) + 1).max(3));
        let newline = if s.ends_with('\n') || s.is_empty() { "" } else { "\n" };
        format!("{fence}text\n{s}{newline}{fence}\n")
    }

    /// `[label](url)` for an `http(s)` URL, `label` being Markdown already made safe. The
    /// destination keeps only characters that can end neither it nor a table cell; any
    /// other byte is percent-encoded. Anything but `http(s)` is no link: `None`.
    pub fn link(label: &str, url: &str) -> Option<String> {
        let scheme_ends = url.find("://")?;
        if !["http", "https"].contains(&url[..scheme_ends].to_ascii_lowercase().as_str())
            || url.len() > FIELD_BYTES
        {
            return None;
        }
        let mut destination = String::with_capacity(url.len());
        for b in url.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'*+,;=%".contains(&b) {
                destination.push(char::from(b));
            } else {
                let _ = write!(destination, "%{b:02X}");
            }
        }
        Some(format!("[{label}]({destination})"))
    }

    /// A URL as a link when it is `http(s)`, else as plain text.
    pub fn url(url: &str) -> String {
        let label = text(url);
        link(&label, url).unwrap_or(label)
    }

    /// Code shows `<!--` as it is, but a reader of the raw Markdown (a later run looking
    /// for its hidden markers) would see a comment: a zero-width space breaks it.
    fn inert_comments(s: &str) -> Cow<'_, str> {
        if s.contains("<!--") { s.replace("<!--", "<!\u{200B}--").into() } else { s.into() }
    }

    fn longest_backtick_run(s: &str) -> usize {
        s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::md::*;
    use super::*;

    #[test]
    fn truncation_counts_its_unit_and_keeps_characters_whole() {
        assert_eq!(truncate("short", Limit::Bytes(10)), "short");
        let long = "é".repeat(200);
        let cut = truncate(&long, Limit::Chars(140));
        assert_eq!(cut.chars().count(), 140);
        assert!(cut.ends_with('…'));
        let cut = truncate(&long, Limit::Bytes(101));
        assert!(cut.len() <= 101 && cut.ends_with('…'), "{cut}");
    }

    #[test]
    fn tails_and_ends_say_how_much_was_cut() {
        let s = "é".repeat(5000);
        let t = tail(&s, 4096, "; see the file");
        assert!(t.len() <= 4096 && t.starts_with("[… ") && t.ends_with('é'));
        assert!(t.contains("bytes cut; see the file]\n"));
        let s = format!("{}{}", "a".repeat(100_000), "z".repeat(100));
        let shown = head_and_tail(&s, 4096, 12_288, "");
        assert!(shown.starts_with('a') && shown.ends_with('z'));
        assert!(shown.contains(&format!("[… {} bytes left out …]", 100_100 - 4096 - 12_288)));
    }

    #[test]
    fn text_cannot_form_markup_comments_or_mentions() {
        assert_eq!(text("<b>x</b> | [a](b)\n#1"), "\\<b\\>x\\<\\/b\\> \\| \\[a\\]\\(b\\) \\#1");
        assert!(!text("<!-- post-merge-smoke:fingerprint=x -->").contains("<!--"));
        assert_eq!(text("@octo/team"), "\\@\u{200B}octo\\/team");
    }

    #[test]
    fn urls_are_links_and_cannot_leave_their_destination() {
        assert_eq!(
            link("x", "https://e.com/a) [b](javascript:c) |<d>\"\\\n`é").as_deref(),
            Some("[x](https://e.com/a%29%20%5Bb%5D%28javascript:c%29%20%7C%3Cd%3E%22%5C%0A%60%C3%A9)")
        );
        for not_a_link in ["javascript:alert(1)", "data:text/html,x", "//e.com", "ftp://e.com", "e.com"] {
            assert_eq!(link("x", not_a_link), None, "{not_a_link}");
        }
        assert!(link("x", "HTTPS://e.com").is_some());
    }

    #[test]
    fn code_and_fences_outrun_backticks_in_the_content() {
        assert_eq!(code("a``b|c"), "```a``b\\|c```");
        assert_eq!(code("`x"), "`` `x ``");
        let block = fence("````\n```text\n");
        assert!(block.starts_with("`````text\n"), "{block}");
        assert!(block.ends_with("\n`````\n"));
        assert!(!fence("<!-- post-merge-smoke:fingerprint=x -->").contains("<!--"));
        assert!(!code("<!-- x -->").contains("<!--"));
    }
}
