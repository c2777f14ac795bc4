//! Whether the engine pauses after a read that found little in a pipe.
//!
//! The pause lets a smoke that writes 4 KiB at a time fill the pipe, instead of waking the
//! tool for nearly every write: far fewer wake-ups for both. It has a price too: the pipe
//! then holds many pages at once, and the kernel allocates a fresh page for each write
//! instead of reusing the one just read. For a smoke whose writes cost it little (`head -c`
//! from `/dev/zero`), and with a core of its own, that price is the larger one. Which way is
//! faster depends on the smoke and the machine, so the engine measures: it reads in windows
//! of [`WINDOW`] bytes, notes how fast the stream moved with and without the pause, keeps
//! the faster (the pause, unless going without is clearly faster: it costs less CPU), and
//! tries the other way again after [`RETRY_AFTER`] windows, as the smoke may change pace;
//! each time the other way loses again, it waits twice as long before the next try.

use std::time::{Duration, Instant};

/// Bytes per measured window: a few milliseconds of a fast stream.
const WINDOW: u64 = 16 << 20;
/// A gap this long between reads means the smoke went quiet: the window says nothing about
/// how fast the tool reads, and is dropped.
const IDLE: Duration = Duration::from_millis(5);
/// How many windows the chosen way runs before the other is measured again, at first.
const RETRY_AFTER: u32 = 8;
/// The longest wait between tries of the way not chosen.
const RETRY_AFTER_MAX: u32 = 128;
/// Going without the pause is kept only when it moved the stream this much faster.
const MARGIN: f64 = 1.10;

#[derive(Debug)]
pub struct Pace {
    pausing: bool,
    window_start: Option<Instant>,
    last_read: Option<Instant>,
    bytes: u64,
    /// Bytes per second in the last window read each way: `[without, with]` the pause.
    rates: [Option<f64>; 2],
    /// Windows since the way not chosen was last measured.
    since_other: u32,
    /// How many windows to wait before trying the way not chosen again.
    retry_after: u32,
    /// The last window was a try of the way not chosen.
    trying: bool,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::new()
    }
}

impl Pace {
    /// Starts with the pause: most smokes write far slower than the tool reads.
    pub fn new() -> Self {
        Pace {
            pausing: true,
            window_start: None,
            last_read: None,
            bytes: 0,
            rates: [None, None],
            since_other: 0,
            retry_after: RETRY_AFTER,
            trying: false,
        }
    }

    /// Whether a read that found little is followed by the pause.
    pub fn pausing(&self) -> bool {
        self.pausing
    }

    /// Counts a read of `n` bytes that completed at `now`.
    pub fn record(&mut self, n: usize, now: Instant) {
        let idle = self.last_read.is_none_or(|last| now.saturating_duration_since(last) > IDLE);
        self.last_read = Some(now);
        let start = match self.window_start {
            Some(start) if !idle => start,
            // This read's bytes arrived before the window's clock started: not counted.
            _ => {
                self.window_start = Some(now);
                self.bytes = 0;
                return;
            }
        };
        self.bytes += n as u64;
        if self.bytes < WINDOW {
            return;
        }
        let seconds = now.saturating_duration_since(start).as_secs_f64();
        if seconds > 0.0 {
            self.rates[usize::from(self.pausing)] = Some(self.bytes as f64 / seconds);
            self.choose();
        }
        self.window_start = Some(now);
        self.bytes = 0;
    }

    fn choose(&mut self) {
        self.since_other += 1;
        let best = match self.rates {
            [Some(without), Some(with)] => without <= with * MARGIN,
            _ => self.pausing,
        };
        if std::mem::take(&mut self.trying) {
            // The try lost: wait longer before the next. It won: start over.
            self.retry_after = match best == self.pausing {
                false => (self.retry_after * 2).min(RETRY_AFTER_MAX),
                true => RETRY_AFTER,
            };
        }
        let other_unmeasured = self.rates[usize::from(!best)].is_none();
        if other_unmeasured || self.since_other >= self.retry_after {
            self.pausing = !best;
            self.since_other = 0;
            self.trying = !other_unmeasured;
        } else {
            self.pausing = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one window's worth in 1 MiB pieces, taking `seconds` in all.
    fn window(pace: &mut Pace, clock: &mut Instant, seconds: f64) {
        let pieces = WINDOW / (1 << 20);
        let step = Duration::from_secs_f64(seconds / pieces as f64);
        for _ in 0..pieces {
            *clock += step;
            pace.record(1 << 20, *clock);
        }
    }

    fn started() -> (Pace, Instant) {
        let mut pace = Pace::new();
        let mut clock = Instant::now();
        pace.record(1 << 20, clock); // opens the first window
        clock += Duration::from_micros(100);
        (pace, clock)
    }

    #[test]
    fn starts_with_the_pause_then_measures_without_it() {
        let (mut pace, mut clock) = started();
        assert!(pace.pausing());
        window(&mut pace, &mut clock, 0.02);
        assert!(!pace.pausing(), "the other way is measured next");
    }

    #[test]
    fn keeps_the_pause_unless_going_without_is_clearly_faster() {
        let (mut pace, mut clock) = started();
        window(&mut pace, &mut clock, 0.020); // with the pause
        window(&mut pace, &mut clock, 0.019); // without: 5% faster, within the margin
        assert!(pace.pausing());

        let (mut pace, mut clock) = started();
        window(&mut pace, &mut clock, 0.030); // with the pause
        window(&mut pace, &mut clock, 0.015); // without: twice as fast
        assert!(!pace.pausing());
    }

    #[test]
    fn tries_the_other_way_again_after_a_while() {
        let (mut pace, mut clock) = started();
        window(&mut pace, &mut clock, 0.030);
        window(&mut pace, &mut clock, 0.015);
        let mut ways = Vec::new();
        for _ in 0..RETRY_AFTER + 1 {
            let pausing = pace.pausing();
            ways.push(pausing);
            window(&mut pace, &mut clock, if pausing { 0.030 } else { 0.015 });
        }
        assert_eq!(ways.iter().filter(|&&pausing| pausing).count(), 1, "{ways:?}");
        assert!(!pace.pausing());
    }

    #[test]
    fn waits_longer_each_time_the_other_way_loses_again() {
        let (mut pace, mut clock) = started();
        window(&mut pace, &mut clock, 0.030);
        window(&mut pace, &mut clock, 0.015);
        let mut tries = Vec::new();
        for i in 0..8 + 16 + 32 + 2 {
            let pausing = pace.pausing();
            if pausing {
                tries.push(i);
            }
            window(&mut pace, &mut clock, if pausing { 0.030 } else { 0.015 });
        }
        assert_eq!(tries, [7, 23, 55], "after 8, then 16, then 32 windows");
    }

    #[test]
    fn a_quiet_smoke_measures_nothing() {
        let (mut pace, mut clock) = started();
        let pieces = WINDOW / (1 << 20);
        for _ in 0..2 * pieces {
            clock += Duration::from_millis(50); // a piece now and then: never a window
            pace.record(1 << 20, clock);
        }
        assert!(pace.pausing());
        assert_eq!(pace.rates, [None, None]);
    }
}
