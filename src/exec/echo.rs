//! Live echo of the smoke's output into this process's stderr (the job log), with secrets
//! masked. (Inside GitHub Actions the caller fences the whole run of the smoke with
//! `::stop-commands::`, echo or not: the smoke can reach our stderr without us.)
//!
//! Output is written up to the last complete line of each read, so a secret is never split
//! across two writes unless a single line outgrows [`MAX_PENDING`].

use std::io::Write;
use std::sync::Arc;

use crate::redact::Redactor;

const MAX_PENDING: usize = 64 * 1024;

pub struct Echo {
    redactor: Arc<Redactor>,
    pending: [Vec<u8>; 2],
}

#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

impl Echo {
    pub fn new(redactor: Arc<Redactor>) -> Self {
        Echo { redactor, pending: [Vec::new(), Vec::new()] }
    }

    pub fn push(&mut self, stream: Stream, bytes: &[u8]) {
        let pending = &mut self.pending[stream as usize];
        pending.extend_from_slice(bytes);
        let cut = match memchr::memrchr(b'\n', pending) {
            Some(at) => at + 1,
            None if pending.len() > MAX_PENDING => {
                pending.len() - self.redactor.longest().saturating_sub(1).min(pending.len())
            }
            None => return,
        };
        let chunk: Vec<u8> = pending.drain(..cut).collect();
        self.write(&chunk);
    }

    /// Writes what is left of both streams.
    pub fn finish(&mut self) {
        for i in 0..2 {
            let mut rest = std::mem::take(&mut self.pending[i]);
            if !rest.is_empty() {
                if !rest.ends_with(b"\n") {
                    rest.push(b'\n');
                }
                self.write(&rest);
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        // A closed stderr must not stop the run: the envelope matters more than the echo.
        let _ = std::io::stderr().write_all(&self.redactor.bytes(bytes));
    }
}
