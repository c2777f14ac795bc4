//! One output stream of the smoke, drained from its pipe into its bounded capture and the
//! echo, masked on the way.
//!
//! A wake-up costs more than the bytes it brings when a smoke writes in small pieces, so
//! reading is paced: the engine waits for the runtime to report the pipe readable
//! ([`Drain::read`]), then [`Drain::take`] reads on straight from the descriptor while the
//! pipe keeps having more, and asks for a short pause (see [`crate::exec`]'s engine) when a
//! read found little, if [`Pace`] finds that the pause pays.

use std::borrow::Cow;
use std::os::fd::AsFd;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::capture::BoundedCapture;
use super::echo::{Echo, Stream};
use super::pace::Pace;
use crate::redact::StreamMask;

/// What a pipe is widened to, so a fast smoke can write ahead of us.
const PIPE_SIZE: i32 = 1024 * 1024;
/// The kernel's pipe size, where it refuses to widen one.
const DEFAULT_PIPE_SIZE: usize = 64 * 1024;
/// At most this many reads straight from a pipe that keeps having more, before the other
/// events of the loop (the other stream, the timeout, a signal) get a look.
const READS_NOW: usize = 16;
/// A read of less than this share of the pipe counts as little: a wake-up for so few bytes
/// costs more than the bytes (a 64 KiB piece out of a 1 MiB pipe, a 4 KiB one out of a
/// pipe that could not be widened). A read that filled its room never counts as little:
/// more may be waiting.
const LITTLE: usize = 16;

pub struct Drain<R> {
    /// `None` once the stream ended.
    pipe: Option<R>,
    capture: BoundedCapture,
    mask: StreamMask,
    stream: Stream,
    /// The most one read takes.
    read_size: usize,
    /// A read of less than this found little.
    little: usize,
}

/// What taking a read left to do.
pub struct Taken {
    /// The last read found little: pause before reading again.
    pub pause: bool,
    /// The echo holds a partial line.
    pub waiting: bool,
}

impl<R: AsFd> Drain<R> {
    /// Drains `pipe` (widened where the kernel allows) into `capture`, reading at most
    /// `read_size` bytes at a time.
    pub fn new(
        pipe: Option<R>,
        capture: BoundedCapture,
        mask: StreamMask,
        stream: Stream,
        read_size: usize,
    ) -> Self {
        let little = pipe.as_ref().map_or(DEFAULT_PIPE_SIZE, widen_pipe) / LITTLE;
        Drain { pipe, capture, mask, stream, read_size, little }
    }

    pub fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Takes what [`Drain::read`] brought (`Some(n)` bytes, or `None` at the end), then
    /// reads on straight from the pipe while it has more, at most [`READS_NOW`] reads in
    /// all, stopping early when a read found little and the pause is due.
    pub fn take(&mut self, read: Option<usize>, pace: &mut Pace, mut echo: Option<&mut Echo>) -> Taken {
        let (mut read, mut reads, mut waiting) = (read, 1, false);
        loop {
            let pause = match read {
                Some(n) => {
                    pace.record(n, Instant::now());
                    n < self.little.min(self.capture.room()) && pace.pausing()
                }
                None => false,
            };
            if read.is_none() {
                self.pipe = None;
            }
            waiting |= self.keep(read, echo.as_deref_mut());
            let Some(pipe) = self.pipe.as_ref().filter(|_| !pause && reads < READS_NOW) else {
                return Taken { pause, waiting };
            };
            let Some(next) = read_now(pipe, self.capture.spare(self.read_size)) else {
                return Taken { pause, waiting };
            };
            (read, reads) = (next, reads + 1);
        }
    }

    /// Passes what a read brought through the mask into the capture and the echo: `Some(n)`
    /// is the first `n` bytes of the capture's spare room, `None` the end of the stream.
    /// True when the echo holds a partial line.
    fn keep(&mut self, read: Option<usize>, echo: Option<&mut Echo>) -> bool {
        let capture = &mut self.capture;
        let masked = match read {
            Some(n) => self.mask.push(capture.spare_filled(n)),
            None => Cow::Owned(self.mask.finish()),
        };
        let waiting = echo.is_some_and(|echo| echo.push(self.stream, &masked));
        match masked {
            // Unchanged by the mask: the read's own bytes (all, or all but a held-back end),
            // kept where they were read.
            Cow::Borrowed(bytes) if std::ptr::eq(bytes.as_ptr(), capture.spare_filled(0).as_ptr()) => {
                let n = bytes.len();
                capture.keep_spare(n);
            }
            Cow::Borrowed(bytes) => {
                let bytes = bytes.to_vec();
                capture.push(&bytes);
            }
            Cow::Owned(bytes) => capture.push(&bytes),
        }
        waiting
    }

    /// The capture, with what the mask still held (the pipe was abandoned while open: it is
    /// not a secret, since none completed).
    pub fn finish(mut self) -> BoundedCapture {
        let held = self.mask.finish();
        self.capture.push(&held);
        self.capture
    }
}

impl<R: AsyncRead + AsFd + Unpin> Drain<R> {
    /// Waits for the pipe to bring something: `Some(n)` bytes, in the capture's spare room,
    /// or `None` at its end (or on an error). Never resolves once the stream ended.
    pub async fn read(&mut self) -> Option<usize> {
        match &mut self.pipe {
            Some(pipe) => match pipe.read(self.capture.spare(self.read_size)).await {
                Ok(0) | Err(_) => None,
                Ok(n) => Some(n),
            },
            None => std::future::pending().await,
        }
    }
}

/// Reads what a pipe holds now, straight from its descriptor, without waiting for the
/// runtime to report it readable: when the smoke writes as fast as we read, that wait (an
/// `epoll_wait` and a pass through the engine's loop per read) is most of a read's cost.
/// `None` when the pipe is empty; otherwise what [`Drain::read`] would have given.
fn read_now(pipe: &impl AsFd, buf: &mut [u8]) -> Option<Option<usize>> {
    loop {
        return match nix::unistd::read(pipe, buf) {
            Ok(0) => Some(None),
            Ok(n) => Some(Some(n)),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => None,
            Err(_) => Some(None),
        };
    }
}

/// Lets a fast smoke write ahead of us; where the kernel refuses, the default size works
/// too. Returns the pipe's size.
fn widen_pipe(pipe: &impl AsFd) -> usize {
    #[cfg(target_os = "linux")]
    let size = nix::fcntl::fcntl(pipe, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_SIZE))
        .or_else(|_| nix::fcntl::fcntl(pipe, nix::fcntl::FcntlArg::F_GETPIPE_SZ))
        .ok()
        .and_then(|size| usize::try_from(size).ok());
    #[cfg(not(target_os = "linux"))]
    let size: Option<usize> = {
        let _ = (pipe, PIPE_SIZE);
        None
    };
    size.unwrap_or(DEFAULT_PIPE_SIZE)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use super::*;
    use crate::redact::Redactor;

    /// A pipe that holds more than [`READS_NOW`] reads: each `take` reads on as far as it
    /// may, and every byte is kept or counted, none lost between one `take` and the next.
    #[test]
    fn reading_on_from_a_full_pipe_loses_nothing() {
        const READ: usize = 32 * 1024;
        let (reader, mut writer) = std::io::pipe().expect("pipe");
        let mask = StreamMask::new(Arc::new(Redactor::default()));
        let mut drain = Drain::new(Some(reader), BoundedCapture::new(4096), mask, Stream::Stdout, READ);
        let flags = nix::fcntl::OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(drain.pipe.as_ref().expect("open"), nix::fcntl::FcntlArg::F_SETFL(flags))
            .expect("non-blocking");
        // Fills the pipe, widened to 1 MiB where the kernel allows, else 64 KiB.
        let pipe_size = DEFAULT_PIPE_SIZE.max(drain.little * LITTLE);
        let chunk: Vec<u8> = (0..READ).map(|i| b'a' + (i % 26) as u8).collect();
        let chunks = pipe_size / READ;
        for _ in 0..chunks {
            writer.write_all(&chunk).expect("write");
        }
        drop(writer);

        let mut pace = Pace::new();
        let mut takes = 0;
        while drain.is_open() {
            let pipe = drain.pipe.as_ref().expect("open");
            let first = read_now(pipe, drain.capture.spare(READ)).expect("the pipe has bytes or ends");
            let taken = drain.take(first, &mut pace, None);
            assert!(!taken.pause, "reads that fill their room never pause");
            takes += 1;
        }
        assert!(chunks < READS_NOW || takes > 1, "the pipe held more than one take reads");
        let capture = drain.finish();
        assert_eq!(capture.total(), (chunks * READ) as u64);
        let text = capture.render();
        let omitted: u64 = text
            .split_once("[... ")
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
            .expect("a marker");
        assert_eq!(omitted, capture.dropped());
    }
}
