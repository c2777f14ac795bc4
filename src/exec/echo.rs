//! Live echo of the smoke's output into this process's stderr (the job log). The bytes
//! arrive masked already (see [`crate::redact::StreamMask`]). Each stream is echoed a whole
//! line at a time, so stdout and stderr lines do not interleave mid-line; a partial line
//! is written once the stream has been quiet for [`IDLE_FLUSH`] (a progress bar), or
//! when it outgrows [`MAX_PENDING`]. Whatever was written, [`Echo::finish`] leaves the log
//! at the start of a line, so the line after it (the closing `::stop-commands::` token)
//! is a line of its own.

use std::io::{IoSlice, Write};
use std::time::Duration;

/// A partial line waits at most this long for its end.
pub const IDLE_FLUSH: Duration = Duration::from_millis(100);
const MAX_PENDING: usize = 64 * 1024;

#[derive(Default)]
pub struct Echo {
    pending: [Vec<u8>; 2],
    /// The last byte written was not a newline: the stream that left the line open.
    mid_line: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

impl Echo {
    pub fn new() -> Self {
        Echo::default()
    }

    /// Echoes the complete lines of `bytes`; true when a partial line is left waiting.
    pub fn push(&mut self, stream: Stream, bytes: &[u8]) -> bool {
        let i = stream as usize;
        let cut = match memchr::memrchr(b'\n', bytes) {
            Some(at) => at + 1,
            None if self.pending[i].len() + bytes.len() > MAX_PENDING => bytes.len(),
            None => {
                self.pending[i].extend_from_slice(bytes);
                return !self.pending[i].is_empty();
            }
        };
        let (lines, rest) = bytes.split_at(cut);
        // What waited goes out with the lines that complete it, in one write and without
        // first copying the lines behind it.
        let mut held = std::mem::take(&mut self.pending[i]);
        self.write(i, &held, lines);
        held.clear();
        held.extend_from_slice(rest);
        self.pending[i] = held;
        self.waiting()
    }

    /// Writes the partial lines that have waited long enough.
    pub fn flush_partial(&mut self) {
        for i in 0..2 {
            let rest = std::mem::take(&mut self.pending[i]);
            self.write(i, &rest, &[]);
        }
    }

    /// Writes what is left of both streams and ends the line.
    pub fn finish(&mut self) {
        self.flush_partial();
        if let Some(open) = self.mid_line {
            self.write(open, b"\n", &[]);
        }
    }

    fn waiting(&self) -> bool {
        self.pending.iter().any(|p| !p.is_empty())
    }

    /// Writes `first` then `second` for `stream`, with as few system calls as the kernel
    /// allows. A line the other stream left open is ended first: two streams' pieces never
    /// share a line (nor join into a secret that each stream's mask saw only half of).
    fn write(&mut self, stream: usize, first: &[u8], second: &[u8]) {
        let Some(&last) = second.last().or(first.last()) else {
            return;
        };
        let other_open = self.mid_line.is_some_and(|open| open != stream);
        self.mid_line = (last != b'\n').then_some(stream);
        let newline: &[u8] = if other_open { b"\n" } else { b"" };
        let mut parts = [IoSlice::new(newline), IoSlice::new(first), IoSlice::new(second)];
        let mut parts = &mut parts[..];
        let mut stderr = std::io::stderr().lock();
        while !parts.is_empty() {
            match stderr.write_vectored(parts) {
                Ok(0) => return,
                Ok(n) => IoSlice::advance_slices(&mut parts, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // A closed stderr must not stop the run: the envelope matters more than the echo.
                Err(_) => return,
            }
        }
    }
}
