//! Bounded capture of one output stream while it streams: a head buffer, a tail ring and a
//! count of what fell between them, so memory stays flat whatever the smoke prints.
//!
//! The stream can be read straight into the capture ([`BoundedCapture::spare`]): reads
//! append to one of two buffers, then to the other, and the bytes stay where they were read.
//! Only when reading moves on to the other buffer is what the tail still needs of it copied
//! into the ring, so in a flood the middle of the stream is never copied at all.
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
    /// At most `tail_cap` bytes. The stream ends with this, then `older`, then `newer`.
    tail: VecDeque<u8>,
    /// Two read buffers: reads append to `reads[current]`, then move on to the other.
    reads: [Vec<u8>; 2],
    current: usize,
    /// What the stream left in place in `reads[1 - current]`, not copied into `tail`.
    older: Range<usize>,
    /// The same in `reads[current]`; the next read goes right after it.
    newer: Range<usize>,
    /// How long the room last handed out by [`BoundedCapture::spare`] is.
    room: usize,
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
            current: 0,
            older: 0..0,
            newer: 0..0,
            room: 0,
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

    /// Room for the stream's next read, at most `size` bytes (less near the end of a read
    /// buffer), to be followed by [`BoundedCapture::keep_spare`] or
    /// [`BoundedCapture::push`]. The buffers, `size` bytes each, are allocated zeroed on
    /// first use, so pages a read never reaches cost no memory.
    pub fn spare(&mut self, size: usize) -> &mut [u8] {
        if self.reads[0].is_empty() {
            self.reads = [vec![0; size.max(1)], vec![0; size.max(1)]];
        }
        let len = self.reads[self.current].len();
        if len - self.newer.end < (len / 16).max(1) {
            self.next_buffer();
        }
        let at = self.newer.end;
        let end = len.min(at + size);
        self.room = end - at;
        &mut self.reads[self.current][at..end]
    }

    /// How long the room last handed out by [`BoundedCapture::spare`] is: a read that filled
    /// it may have left more in the pipe.
    pub fn room(&self) -> usize {
        self.room
    }

    /// The first `n` bytes of the room [`BoundedCapture::spare`] gave, as the last read left
    /// them.
    pub fn spare_filled(&self, n: usize) -> &[u8] {
        &self.reads[self.current][self.newer.end..self.newer.end + n]
    }

    /// Appends the first `n` bytes of the spare room to the stream, in place. They are
    /// copied only as far as the head needs them, or later, if the stream moves to the
    /// other read buffer while they may still be part of the tail.
    pub fn keep_spare(&mut self, n: usize) {
        self.total += n as u64;
        let at = self.newer.end;
        let to_head = (self.head_cap - self.head.len()).min(n);
        self.head.extend_from_slice(&self.reads[self.current][at..at + to_head]);
        if self.newer.is_empty() {
            self.newer = at + to_head..at + to_head;
        }
        self.newer.end = at + n;
        if self.newer.len() >= self.tail_cap {
            // The newest bytes are the whole tail: what came before them is never copied.
            self.tail.clear();
            self.older = 0..0;
        }
    }

    /// Moves reading on to the other buffer; what of the bytes there the tail still needs
    /// is copied into the ring first.
    fn next_buffer(&mut self) {
        let needed = self.tail_cap.saturating_sub(self.newer.len());
        let older = &self.reads[1 - self.current][self.older.clone()];
        if older.len() >= needed {
            self.tail.clear(); // the tail starts inside `older`: nothing before it counts
        }
        append_bounded(&mut self.tail, self.tail_cap, &older[older.len().saturating_sub(needed)..]);
        self.older = std::mem::replace(&mut self.newer, 0..0);
        self.current = 1 - self.current;
    }

    /// Copies every byte left in place into the tail ring.
    fn settle(&mut self) {
        let older = std::mem::replace(&mut self.older, 0..0);
        append_bounded(&mut self.tail, self.tail_cap, &self.reads[1 - self.current][older]);
        let end = self.newer.end;
        let newer = std::mem::replace(&mut self.newer, end..end);
        append_bounded(&mut self.tail, self.tail_cap, &self.reads[self.current][newer]);
    }

    /// The kept end of the stream: the last `tail_cap` bytes of the ring and what is in place.
    fn kept_tail(&self) -> Vec<u8> {
        let older = &self.reads[1 - self.current][self.older.clone()];
        let newer = &self.reads[self.current][self.newer.clone()];
        let mut tail: Vec<u8> = Vec::with_capacity(self.tail_cap);
        let mut want = self.tail_cap;
        let mut parts: Vec<&[u8]> = Vec::with_capacity(4);
        for part in [newer, older] {
            let take = want.min(part.len());
            parts.push(&part[part.len() - take..]);
            want -= take;
        }
        let (ring_a, ring_b) = self.tail.as_slices();
        for part in [ring_b, ring_a] {
            let take = want.min(part.len());
            parts.push(&part[part.len() - take..]);
            want -= take;
        }
        parts.iter().rev().for_each(|part| tail.extend_from_slice(part));
        tail
    }

    /// Every byte the stream produced, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes that fell between the head and the tail.
    pub fn dropped(&self) -> u64 {
        let tail = (self.tail.len() + self.older.len() + self.newer.len()).min(self.tail_cap);
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
        // Pieces of every kind: shorter than the tail, longer, into and past the head, and
        // past the end of a read buffer.
        let sizes = [1, 7, 100, 0, 150, 3000, 5, 900, 40_000, 2, 64, 64, 7000, 1, 120, 80, 95, 20_000];
        let mut byte = 0u8;
        for (cap, read_size) in [(256, 4096), (1000, 64 * 1024), (4096, 4096), (70_000, 16 * 1024)] {
            let (mut copied, mut in_place) = (BoundedCapture::new(cap), BoundedCapture::new(cap));
            for (i, &n) in sizes.iter().cycle().take(90).enumerate() {
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
                    // As reads would bring it: as much as the room allows, then the rest.
                    let mut rest = &piece[..];
                    loop {
                        let room = in_place.spare(read_size);
                        let take = room.len().min(rest.len());
                        room[..take].copy_from_slice(&rest[..take]);
                        assert_eq!(in_place.spare_filled(take), &rest[..take]);
                        in_place.keep_spare(take);
                        rest = &rest[take..];
                        if rest.is_empty() {
                            break;
                        }
                    }
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
