//! When and how long to wait before sending a request again.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Exponential backoff with jitter for transient failures: connection errors
/// (before or after the request was sent), timeouts, a body that breaks off,
/// 429, 500, 502, 503 and 504. A `Retry-After` header is honoured.
///
/// By default only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) and
/// POSTs the spec marks `x-retry-safe` (such as a token request) are retried,
/// so a POST that creates something is never sent twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms base delay, 10 s cap per wait, 30 s in all.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Sends every request once.
    pub fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first wait; each later one doubles, up to `max_delay`.
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest single wait, `Retry-After` included.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts once this much time has passed since the first attempt.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn base_delay(&self) -> Duration {
        self.base_delay
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// Whether a response status is worth another attempt.
    pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
    }

    /// Whether a transport error is worth another attempt: any failure to
    /// connect, send or read (a reset, a body cut short, which reqwest
    /// reports as a decode error), not one of the request itself (an
    /// unbuildable request, a redirect loop).
    pub(crate) fn is_retryable_error(error: &reqwest::Error) -> bool {
        error.is_connect() || error.is_timeout() || error.is_request() || error.is_body() || error.is_decode()
    }

    /// The wait before attempt `attempt + 1`, or `None` to give up.
    /// `elapsed` is the time since the first attempt started.
    pub(crate) fn next_delay(&self, attempt: u32, elapsed: Duration, headers: Option<&HeaderMap>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = match headers.and_then(retry_after) {
            // The server said when; waiting longer than allowed means giving up.
            Some(wait) if wait > self.max_delay => return None,
            Some(wait) => wait,
            None => self.backoff(attempt),
        };
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }

    /// The wait a retryable answer's `Retry-After` asked for, when it is
    /// longer than this policy waits at once ([`RetryPolicy::with_max_delay`]),
    /// so that the call ended without another attempt for that reason.
    pub(crate) fn refused_wait(&self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let asked = (self.is_enabled() && Self::is_retryable_status(status)).then(|| retry_after(headers)).flatten();
        asked.filter(|wait| *wait > self.max_delay)
    }

    /// The longest single wait, `Retry-After` included.
    pub(crate) fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, so
    /// waits grow but concurrent clients spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = doubled(self.base_delay, attempt);
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// `first` doubled for each attempt after the first (`attempt` counts from 1).
pub(crate) fn doubled(first: Duration, attempt: u32) -> Duration {
    first.saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
}
