//! Bounded capture of one output stream while it streams: a head buffer, a tail ring and a
//! count of what fell between them, so memory stays flat whatever the smoke prints.
//!
//! Rendering turns the kept bytes into text no longer than the cap: invalid UTF-8 becomes
//! U+FFFD (never dropped silently) and, when anything was left out, one marker line says
//! how many bytes.

use std::collections::VecDeque;

/// Room kept for the marker line; its longest form has a 20-digit count.
const MARKER_ROOM: usize = 64;
const REPLACEMENT_LEN: usize = 3;
/// The smallest cap that leaves head and tail room beside the marker.
pub const MIN_CAPTURE_BYTES: usize = 256;

#[derive(Debug)]
pub struct BoundedCapture {
    cap: usize,
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl BoundedCapture {
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(MIN_CAPTURE_BYTES);
        let head_cap = (cap - MARKER_ROOM) / 2;
        let tail_cap = cap - MARKER_ROOM - head_cap;
        BoundedCapture {
            cap,
            head_cap,
            tail_cap,
            head: Vec::with_capacity(head_cap.min(8192)),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let n = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= self.tail_cap {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.tail_cap..]);
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// Every byte the stream produced, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes that fell between the head and the tail.
    pub fn dropped(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    /// The kept text: whole when it fits the cap, else head, marker line and tail.
    pub fn render(&self) -> String {
        let (tail_a, tail_b) = self.tail.as_slices();
        let dropped = self.dropped();
        if dropped == 0 {
            let mut all = Vec::with_capacity(self.head.len() + self.tail.len());
            all.extend_from_slice(&self.head);
            all.extend_from_slice(tail_a);
            all.extend_from_slice(tail_b);
            let text = String::from_utf8_lossy(&all);
            if text.len() <= self.cap {
                return text.into_owned();
            }
            let mid = all.len() / 2;
            return render_split(&all[..mid], &all[mid..], 0, self.cap);
        }
        let tail: Vec<u8> = tail_a.iter().chain(tail_b).copied().collect();
        render_split(&self.head, &tail, dropped, self.cap)
    }
}

fn render_split(head: &[u8], tail: &[u8], dropped: u64, cap: usize) -> String {
    let budget = cap - MARKER_ROOM;
    let (head_text, head_used) = lossy_prefix(head, budget / 2);
    let (tail_text, tail_used) = lossy_suffix(tail, budget - budget / 2);
    let omitted = dropped + (head.len() - head_used) as u64 + (tail.len() - tail_used) as u64;
    let mut out = String::with_capacity(cap);
    out.push_str(&head_text);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("[... {omitted} bytes omitted by post-merge-smoke ...]\n"));
    out.push_str(&tail_text);
    out
}

/// The longest lossy text of at most `budget` bytes from the start of `bytes`, and how
/// many raw bytes it stands for. A character cut at the end is left out, not mangled.
fn lossy_prefix(bytes: &[u8], budget: usize) -> (String, usize) {
    let bytes = &bytes[..bytes.len() - incomplete_tail_len(bytes)];
    let mut text = String::new();
    let mut used = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let take = valid.floor_char_boundary(budget - text.len());
        text.push_str(&valid[..take]);
        used += take;
        let invalid = chunk.invalid();
        if take < valid.len() || text.len() + REPLACEMENT_LEN > budget {
            return (text, used);
        }
        if !invalid.is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
            used += invalid.len();
        }
    }
    (text, used)
}

/// How many bytes at the end of `bytes` are the start of a character cut off by the
/// capture boundary (as opposed to junk).
fn incomplete_tail_len(bytes: &[u8]) -> usize {
    (1..=3.min(bytes.len()))
        .find(|&k| {
            matches!(std::str::from_utf8(&bytes[bytes.len() - k..]),
                Err(e) if e.valid_up_to() == 0 && e.error_len().is_none())
        })
        .unwrap_or(0)
}

/// The same from the end of `bytes`: continuation bytes at the cut are left out.
fn lossy_suffix(bytes: &[u8], budget: usize) -> (String, usize) {
    let skip = bytes.iter().take(3).take_while(|b| is_utf8_continuation(**b)).count();
    let bytes = &bytes[skip..];
    let mut pieces: Vec<(&str, usize)> = Vec::new();
    for chunk in bytes.utf8_chunks() {
        pieces.push((chunk.valid(), chunk.valid().len()));
        if !chunk.invalid().is_empty() {
            pieces.push(("\u{FFFD}", chunk.invalid().len()));
        }
    }
    let mut kept: Vec<&str> = Vec::new();
    let (mut len, mut used) = (0, 0);
    for (text, raw) in pieces.into_iter().rev() {
        if len + text.len() <= budget {
            kept.push(text);
            len += text.len();
            used += raw;
            continue;
        }
        if raw == text.len() {
            // Valid text: keep its last characters that fit.
            let start = text.ceil_char_boundary(text.len() - (budget - len));
            kept.push(&text[start..]);
            used += text.len() - start;
        }
        break;
    }
    kept.reverse();
    (kept.concat(), used)
}

fn is_utf8_continuation(b: u8) -> bool {
    b & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_that_fits() {
        let mut c = BoundedCapture::new(1024);
        c.push(b"hello ");
        c.push(b"world\n");
        assert_eq!(c.render(), "hello world\n");
        assert_eq!(c.dropped(), 0);
    }

    #[test]
    fn keeps_head_and_tail_and_counts_the_rest() {
        let mut c = BoundedCapture::new(256);
        for i in 0..10_000 {
            c.push(format!("line {i}\n").as_bytes());
        }
        let text = c.render();
        assert!(text.len() <= 256, "{} bytes", text.len());
        assert!(text.starts_with("line 0\nline 1\n"));
        assert!(text.ends_with("line 9999\n"));
        let marker = text.lines().find(|l| l.contains("bytes omitted")).expect("marker line");
        let omitted: u64 = marker.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        let kept = text.len() as u64 - marker.len() as u64 - 1;
        assert!(omitted + kept >= c.total() - 1 && omitted + kept <= c.total() + 1);
    }

    #[test]
    fn one_huge_write_keeps_its_own_head_and_tail() {
        let mut c = BoundedCapture::new(300);
        let mut data = vec![b'a'; 100];
        data.extend(vec![b'm'; 10_000]);
        data.extend(vec![b'z'; 100]);
        c.push(&data);
        let text = c.render();
        assert!(text.starts_with(&"a".repeat(100)));
        assert!(text.ends_with(&"z".repeat(100)));
        assert!(text.len() <= 300);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_the_cap_still_holds() {
        let mut c = BoundedCapture::new(256);
        c.push(&[0xff; 10_000]);
        let text = c.render();
        assert!(text.contains('\u{FFFD}'));
        assert!(text.len() <= 256, "{} bytes", text.len());
        let mut small = BoundedCapture::new(256);
        small.push(b"ok \xff\xfe done");
        assert_eq!(small.render(), "ok \u{FFFD}\u{FFFD} done");
    }

    #[test]
    fn characters_split_at_the_cut_are_not_mangled() {
        let mut c = BoundedCapture::new(256);
        c.push("é".repeat(5_000).as_bytes());
        let text = c.render();
        assert!(!text.contains('\u{FFFD}'), "{text}");
        assert!(text.len() <= 256);
    }
}
