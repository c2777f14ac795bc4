//! When a failed GitHub API request is tried again, and after how long.
//!
//! Pure functions over the status code and the rate-limit headers, so the policy is
//! table-tested here and the client only sleeps. Rate limiting (429, or 403 with
//! `retry-after` / `x-ratelimit-remaining: 0` / a "rate limit" message) means the request
//! was not processed and may always be repeated; a 5xx or a transport error may hide a
//! processed request, so only requests that are safe to repeat are retried then. Every
//! wait is bounded: a server asking for longer than the policy allows is not waited for.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first back-off when the server names no wait; doubled on each retry.
    pub base_delay: Duration,
    /// The longest single wait; a server asking for more is not waited for.
    pub max_wait: Duration,
    /// The most time spent waiting for one request, across its retries.
    pub max_total_wait: Duration,
}

impl RetryPolicy {
    pub fn new(base_delay: Duration, max_wait: Duration) -> Self {
        RetryPolicy { max_attempts: 4, base_delay, max_wait, max_total_wait: max_wait.saturating_mul(2) }
    }
}

/// What a response's headers say about rate limits.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`, in seconds since the epoch.
    pub reset: Option<u64>,
}

/// Why an attempt failed, as far as repeating it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Rate limited: the request was not processed, so repeating it is always safe.
    RateLimited,
    /// A 5xx or a transport error: the request may or may not have been processed.
    Transient,
    /// Anything else: asking again gives the same answer.
    Permanent,
}

pub fn classify(status: u16, headers: &RateHeaders, body: &str) -> Failure {
    match status {
        429 => Failure::RateLimited,
        // GitHub answers 403 to both "not allowed" and "slow down"; only the headers or
        // the message tell them apart.
        403 if headers.retry_after.is_some()
            || headers.remaining == Some(0)
            || body.to_ascii_lowercase().contains("rate limit") =>
        {
            Failure::RateLimited
        }
        500 | 502 | 503 | 504 => Failure::Transient,
        _ => Failure::Permanent,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Retry(Duration),
    /// Not retryable, or not for this request.
    Stop,
    /// Out of attempts.
    Exhausted,
    /// The wait needed is longer than the policy allows.
    TooLong(Duration),
}

/// What to do after attempt number `attempt` (from 1) failed, having already waited
/// `waited` for this request. `repeatable` says whether the request is safe to send twice.
pub fn next(
    policy: &RetryPolicy,
    failure: Failure,
    repeatable: bool,
    headers: &RateHeaders,
    attempt: u32,
    waited: Duration,
    now_epoch: u64,
) -> Next {
    match failure {
        Failure::Permanent => return Next::Stop,
        Failure::Transient if !repeatable => return Next::Stop,
        Failure::Transient | Failure::RateLimited => {}
    }
    if attempt >= policy.max_attempts {
        return Next::Exhausted;
    }
    let wait = wait_for(policy, failure, headers, attempt, now_epoch);
    if wait > policy.max_wait || waited + wait > policy.max_total_wait {
        return Next::TooLong(wait);
    }
    Next::Retry(wait)
}

fn wait_for(
    policy: &RetryPolicy,
    failure: Failure,
    headers: &RateHeaders,
    attempt: u32,
    now: u64,
) -> Duration {
    if let Some(secs) = headers.retry_after {
        return Duration::from_secs(secs);
    }
    if failure == Failure::RateLimited {
        if let (Some(0), Some(reset)) = (headers.remaining, headers.reset) {
            // One second more: the reset time is rounded down.
            return Duration::from_secs(reset.saturating_sub(now) + 1);
        }
        // A secondary limit without headers: GitHub asks for at least a minute.
        return Duration::from_secs(60);
    }
    policy.base_delay.saturating_mul(1 << attempt.saturating_sub(1).min(10))
}

/// Reads the rate-limit headers; values that are not numbers count as absent.
pub fn rate_headers(get: impl Fn(&str) -> Option<String>) -> RateHeaders {
    let num = |name: &str| get(name).and_then(|v| v.trim().parse::<u64>().ok());
    RateHeaders {
        retry_after: num("retry-after"),
        remaining: num("x-ratelimit-remaining"),
        reset: num("x-ratelimit-reset"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn policy() -> RetryPolicy {
        RetryPolicy::new(SEC, Duration::from_secs(60))
    }

    fn headers(retry_after: Option<u64>, remaining: Option<u64>, reset: Option<u64>) -> RateHeaders {
        RateHeaders { retry_after, remaining, reset }
    }

    #[test]
    fn classifies_rate_limits_server_errors_and_the_rest() {
        let none = RateHeaders::default();
        assert_eq!(classify(429, &none, ""), Failure::RateLimited);
        assert_eq!(classify(403, &headers(Some(5), None, None), ""), Failure::RateLimited);
        assert_eq!(classify(403, &headers(None, Some(0), Some(9)), ""), Failure::RateLimited);
        assert_eq!(classify(403, &none, "You have exceeded a secondary rate limit"), Failure::RateLimited);
        assert_eq!(classify(403, &none, "Resource not accessible by integration"), Failure::Permanent);
        assert_eq!(classify(502, &none, ""), Failure::Transient);
        assert_eq!(classify(404, &none, ""), Failure::Permanent);
        assert_eq!(classify(422, &none, ""), Failure::Permanent);
    }

    #[test]
    fn honours_retry_after_then_the_reset_time_then_backs_off() {
        let p = policy();
        let zero = Duration::ZERO;
        let rl = Failure::RateLimited;
        assert_eq!(next(&p, rl, false, &headers(Some(3), None, None), 1, zero, 0), Next::Retry(3 * SEC));
        assert_eq!(
            next(&p, rl, false, &headers(None, Some(0), Some(1010)), 1, zero, 1000),
            Next::Retry(11 * SEC)
        );
        let t = Failure::Transient;
        let none = RateHeaders::default();
        assert_eq!(next(&p, t, true, &none, 1, zero, 0), Next::Retry(SEC));
        assert_eq!(next(&p, t, true, &none, 3, zero, 0), Next::Retry(4 * SEC));
    }

    #[test]
    fn is_bounded_in_attempts_single_wait_and_total_wait() {
        let p = policy();
        let none = RateHeaders::default();
        assert_eq!(next(&p, Failure::Transient, true, &none, 4, Duration::ZERO, 0), Next::Exhausted);
        let hour = headers(Some(3600), None, None);
        assert_eq!(
            next(&p, Failure::RateLimited, true, &hour, 1, Duration::ZERO, 0),
            Next::TooLong(3600 * SEC)
        );
        let half = headers(Some(40), None, None);
        assert_eq!(next(&p, Failure::RateLimited, true, &half, 2, 90 * SEC, 0), Next::TooLong(40 * SEC));
    }

    #[test]
    fn never_repeats_a_request_that_may_have_been_processed_unless_it_is_safe() {
        let p = policy();
        let none = RateHeaders::default();
        assert_eq!(next(&p, Failure::Transient, false, &none, 1, Duration::ZERO, 0), Next::Stop);
        assert_eq!(next(&p, Failure::Permanent, true, &none, 1, Duration::ZERO, 0), Next::Stop);
        // Rate limited means not processed: safe even for a create.
        assert_eq!(
            next(&p, Failure::RateLimited, false, &headers(Some(1), None, None), 1, Duration::ZERO, 0),
            Next::Retry(SEC)
        );
    }

    #[test]
    fn reads_headers_leniently() {
        let h = rate_headers(|name| match name {
            "retry-after" => Some(" 7 ".into()),
            "x-ratelimit-remaining" => Some("many".into()),
            _ => None,
        });
        assert_eq!(h, headers(Some(7), None, None));
    }
}
