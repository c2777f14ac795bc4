//! cargo-nextest: a test's final status line, `FAIL [   0.004s] (3/6) binary-id test::name`,
//! and the same for `TIMEOUT`, `SIGSEGV` and the other signals, `ABORT` and `LEAK-FAIL`.
//! With retries the final try reads `TRY 2 FAIL [ ... ] (5/7) ...`; an earlier try shows
//! `(───)` where the counter goes and is not a failure yet (the test may pass next).

/// `binary-id::test::name`, the id nextest's JUnit report gives the same test.
pub(super) fn parse(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    let mut status = words.next()?;
    let mut retried = false;
    if status == "TRY" {
        words.next()?.parse::<u32>().ok()?;
        status = words.next()?;
        retried = true;
    }
    if !is_failure(status) {
        return None;
    }
    // The time, in brackets: `[   0.004s]` or `[>  2.000s]`, split into words.
    let rest = line.split_once(status)?.1.trim_start().strip_prefix('[')?;
    let (time, rest) = rest.split_once(']')?;
    let time = time.trim().trim_start_matches('>').trim_start();
    time.strip_suffix('s')?.parse::<f64>().ok()?;
    let mut words = rest.split_whitespace().peekable();
    // The counter, `(3/6)`, is missing in older nextest; `(───)` marks a try that is not the last.
    if let Some(counter) = words.peek().and_then(|w| w.strip_prefix('(')?.strip_suffix(')')) {
        let numeric = counter
            .split_once('/')
            .is_some_and(|(done, total)| done.parse::<u32>().is_ok() && total.parse::<u32>().is_ok());
        if !numeric {
            return None;
        }
        words.next();
    } else if retried {
        return None;
    }
    let (binary, test) = (words.next()?, words.next()?);
    words.next().is_none().then(|| format!("{binary}::{test}"))
}

fn is_failure(status: &str) -> bool {
    matches!(status, "FAIL" | "TIMEOUT" | "ABORT" | "LEAK-FAIL")
        || status
            .strip_prefix("SIG")
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase()))
}
