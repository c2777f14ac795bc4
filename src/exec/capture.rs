//! Bounded capture of one output stream while it streams: a head buffer, a tail ring and a
//! count of what fell between them, so memory stays flat whatever the smoke prints.
//!
//! The stream can be read straight into the capture ([`BoundedCapture::spare`]), which
//! keeps the last piece where it was read until the next piece shows whether the tail
//! needs it: in a flood, where each piece is longer than the tail, the middle of the stream
//! is never copied at all.
//!
//! Rendering turns the kept bytes into text no longer than the cap: invalid UTF-8 becomes
//! U+FFFD (never dropped silently) and, when anything was left out, one marker line says
//! how many bytes.

use std::collections::VecDeque;
use std::ops::Range;

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
    /// At most `tail_cap` bytes; the stream's end is this, then `deferred`.
    tail: VecDeque<u8>,
    /// Two read buffers, used in turn.
    reads: [Vec<u8>; 2],
    /// Which of `reads` the next read goes into; the other may hold `deferred`.
    spare: usize,
    /// The last piece kept in place, in `reads[1 - spare]`, not yet copied into `tail`.
    deferred: Range<usize>,
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
            reads: [Vec::new(), Vec::new()],
            spare: 0,
            deferred: 0..0,
            total: 0,
        }
    }

    /// Appends a copy of `bytes` to the stream.
    pub fn push(&mut self, mut bytes: &[u8]) {
        self.settle();
        self.total += bytes.len() as u64;
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let n = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        append_bounded(&mut self.tail, self.tail_cap, bytes);
    }

    /// A buffer of `size` bytes for the stream's next read, to be followed by
    /// [`BoundedCapture::keep_spare`] or [`BoundedCapture::push`]. (Allocated zeroed on
    /// first use, so pages a read never reaches cost no memory.)
    pub fn spare(&mut self, size: usize) -> &mut [u8] {
        let buf = &mut self.reads[self.spare];
        if buf.len() < size {
            *buf = vec![0; size];
        }
        &mut buf[..size]
    }

    /// The first `n` bytes of the spare buffer, as the last read left them.
    pub fn spare_filled(&self, n: usize) -> &[u8] {
        &self.reads[self.spare][..n]
    }

    /// Appends the first `n` bytes of the spare buffer to the stream, in place: they are
    /// copied only as far as the head needs them, or later, if the next piece is too
    /// short to push them out of the tail.
    pub fn keep_spare(&mut self, n: usize) {
        self.total += n as u64;
        let room = self.head_cap - self.head.len();
        let start = room.min(n);
        self.head.extend_from_slice(&self.reads[self.spare][..start]);
        if n - start >= self.tail_cap {
            // This piece is the whole tail: what came before it is never copied.
            self.tail.clear();
        } else {
            self.settle();
        }
        self.deferred = start..n;
        self.spare = 1 - self.spare;
    }

    /// Copies the deferred piece into the tail ring.
    fn settle(&mut self) {
        let deferred = std::mem::replace(&mut self.deferred, 0..0);
        append_bounded(&mut self.tail, self.tail_cap, &self.reads[1 - self.spare][deferred]);
    }

    /// The kept end of the stream: the last `tail_cap` bytes of the ring and the deferred piece.
    fn kept_tail(&self) -> Vec<u8> {
        let deferred = &self.reads[1 - self.spare][self.deferred.clone()];
        let from_ring = self.tail_cap.saturating_sub(deferred.len()).min(self.tail.len());
        let mut tail = Vec::with_capacity(from_ring + deferred.len().min(self.tail_cap));
        tail.extend(self.tail.range(self.tail.len() - from_ring..));
        tail.extend_from_slice(&deferred[deferred.len().saturating_sub(self.tail_cap)..]);
        tail
    }

    /// Every byte the stream produced, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes that fell between the head and the tail.
    pub fn dropped(&self) -> u64 {
        let tail = (self.tail.len() + self.deferred.len()).min(self.tail_cap);
        self.total - (self.head.len() + tail) as u64
    }

    /// The kept text: whole when it fits the cap, else head, marker line and tail.
    pub fn render(&self) -> String {
        let tail = self.kept_tail();
        let dropped = self.dropped();
        if dropped == 0 {
            let mut all = Vec::with_capacity(self.head.len() + tail.len());
            all.extend_from_slice(&self.head);
            all.extend_from_slice(&tail);
            let text = String::from_utf8_lossy(&all);
            if text.len() <= self.cap {
                return text.into_owned();
            }
            let mid = all.len() / 2;
            return render_split(&all[..mid], &all[mid..], 0, self.cap);
        }
        render_split(&self.head, &tail, dropped, self.cap)
    }
}

/// Appends `bytes` to `ring`, keeping at most its last `cap` bytes.
fn append_bounded(ring: &mut VecDeque<u8>, cap: usize, bytes: &[u8]) {
    if bytes.len() >= cap {
        ring.clear();
        ring.extend(&bytes[bytes.len() - cap..]);
        return;
    }
    let overflow = (ring.len() + bytes.len()).saturating_sub(cap);
    ring.drain(..overflow);
    ring.extend(bytes);
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
    fn reading_in_place_keeps_what_copying_keeps() {
        // Pieces of every kind: shorter than the tail, longer, into and past the head.
        let sizes = [1, 7, 100, 0, 150, 3000, 5, 900, 40_000, 2, 64, 64, 7000, 1, 120, 80, 95];
        let mut byte = 0u8;
        for cap in [256, 1000, 4096] {
            let (mut copied, mut in_place) = (BoundedCapture::new(cap), BoundedCapture::new(cap));
            for (i, &n) in sizes.iter().cycle().take(60).enumerate() {
                let piece: Vec<u8> = (0..n)
                    .map(|_| {
                        byte = byte.wrapping_add(1);
                        b'a' + byte % 26
                    })
                    .collect();
                copied.push(&piece);
                if i % 5 == 4 {
                    in_place.push(&piece); // a piece the mask changed comes as a copy
                } else {
                    in_place.spare(64 * 1024)[..n].copy_from_slice(&piece);
                    assert_eq!(in_place.spare_filled(n), &piece[..]);
                    in_place.keep_spare(n);
                }
                assert_eq!(in_place.total(), copied.total());
                assert_eq!(in_place.dropped(), copied.dropped(), "cap {cap}, piece {i}");
                assert_eq!(in_place.render(), copied.render(), "cap {cap}, piece {i}");
            }
        }
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
