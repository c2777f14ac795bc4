//! Live echo of the smoke's output into this process's stderr (the job log). The bytes
//! arrive masked already (see [`crate::redact::StreamMask`]). Each stream is echoed a whole
//! line at a time, so stdout and stderr lines do not interleave mid-line; a partial line
//! is written once the stream has been quiet for [`IDLE_FLUSH`] (a progress bar), or
//! when it outgrows [`MAX_PENDING`]. Whatever was written, [`Echo::finish`] leaves the log
//! at the start of a line, so the line after it (the closing `::stop-commands::` token)
//! is a line of its own.

use std::io::Write;
use std::time::Duration;

/// A partial line waits at most this long for its end.
pub const IDLE_FLUSH: Duration = Duration::from_millis(100);
const MAX_PENDING: usize = 64 * 1024;

#[derive(Default)]
pub struct Echo {
    pending: [Vec<u8>; 2],
    /// The last byte written was not a newline.
    mid_line: bool,
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
        let pending = &mut self.pending[stream as usize];
        let cut = match memchr::memrchr(b'\n', bytes) {
            Some(at) => at + 1,
            None if pending.len() + bytes.len() > MAX_PENDING => bytes.len(),
            None => {
                pending.extend_from_slice(bytes);
                return !pending.is_empty();
            }
        };
        let mut out = std::mem::take(pending);
        out.extend_from_slice(&bytes[..cut]);
        self.pending[stream as usize].extend_from_slice(&bytes[cut..]);
        self.write(&out);
        self.waiting()
    }

    /// Writes the partial lines that have waited long enough.
    pub fn flush_partial(&mut self) {
        for i in 0..2 {
            let rest = std::mem::take(&mut self.pending[i]);
            self.write(&rest);
        }
    }

    /// Writes what is left of both streams and ends the line.
    pub fn finish(&mut self) {
        self.flush_partial();
        if self.mid_line {
            self.write(b"\n");
        }
    }

    fn waiting(&self) -> bool {
        self.pending.iter().any(|p| !p.is_empty())
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.mid_line = last != b'\n';
            // A closed stderr must not stop the run: the envelope matters more than the echo.
            let _ = std::io::stderr().write_all(bytes);
        }
    }
}
