//! Retry policy: which failures are retried, and how long to wait.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How many times, and how patiently, a failed request is retried.
///
/// Retried: connection failures, timeouts, and statuses 408, 500, 502,
/// 503, 504. The create operations (`POST /customers`,
/// `POST /customers/{id}/users`) are an exception: they are retried only when
/// the request provably never reached the server (connection refused, DNS or
/// TLS failure), so a customer or user is never created twice.
///
/// 429 Too Many Requests is different: the server refused the request
/// before doing anything, so it is retried for every operation, creates
/// included, and does not count against `max_retries`; it is bounded by the
/// call's deadline and the client's retry budget instead (and turned off,
/// like every retry, by [`RetryPolicy::none`]).
///
/// The wait before retry *n* (from 0) is `base_delay × 2ⁿ`, capped at
/// `max_delay`, with jitter (a random 50–100 % of it); a `Retry-After`
/// header (seconds or HTTP date) replaces it, capped at `max_retry_after`,
/// with up to 20 % added at random.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 0.5 s base delay, 8 s cap, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Retries after the first attempt (0 disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry, doubled for each further one.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest computed wait between attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest wait a server's `Retry-After` can ask for.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The wait before retry number `retry` (0 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        // "Equal jitter": spreads retries of many clients apart while
        // keeping at least half the delay.
        exponential.mul_f64(0.5 + jitter() * 0.5)
    }

    /// The wait a `Retry-After` header asks for, capped. Without one, a
    /// 429's `RateLimit-Reset` (or `X-RateLimit-Reset`) in seconds, as
    /// rate-limited APIs commonly send (the IETF draft's delta-seconds; a
    /// value that looks like a Unix time is taken as one).
    pub(crate) fn retry_after(&self, headers: &HeaderMap, status: StatusCode) -> Option<Duration> {
        let now = SystemTime::now();
        parse_retry_after(headers, now)
            .or_else(|| {
                (status == StatusCode::TOO_MANY_REQUESTS)
                    .then(|| rate_limit_reset(headers, now))
                    .flatten()
            })
            .map(|d| d.min(self.max_retry_after))
    }
}

/// A server's `Retry-After` with up to 20 % added at random, so clients it
/// refused together do not all come back at once. Never panics, however
/// long `after` is.
pub(crate) fn jittered(after: Duration) -> Duration {
    Duration::try_from_secs_f64(after.as_secs_f64() * (1.0 + 0.2 * jitter())).unwrap_or(after)
}

/// Statuses worth retrying.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// A number in [0, 1) for jitter, different on every call. std's
/// `RandomState` is keyed randomly per process and re-keyed on every
/// `new()`: enough to spread retries apart, and not meant for anything
/// secret. By hand rather than with `fastrand`, which would be one more
/// crate in every application's build for these lines.
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// An HTTP date in any of the three forms RFC 9110 §5.6.7 tells recipients
/// to accept: `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday,
/// 06-Nov-94 08:49:37 GMT` (RFC 850) and `Sun Nov  6 08:49:37 1994`
/// (asctime). By hand rather than with `httpdate`: `time`, already here,
/// does the calendar; this only splits the text.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value
        .split([' ', ',', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let (day, month, year, clock) = match parts.as_slice() {
        [_, day, month, year, clock, "GMT"] => (day, month, year, clock),
        [_, month, day, clock, year] => (day, month, year, clock),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| m == month)? as u8 + 1;
    let mut year_number: i32 = year.parse().ok()?;
    if year.len() == 2 {
        // RFC 850's two-digit year: the nearest that is not more than 50
        // years ahead, which for any date this code will see is 20xx.
        year_number += 2000;
    }
    let mut clock = clock.split(':').map(|n| n.parse::<u8>().ok());
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (clock.next(), clock.next(), clock.next(), clock.next())
    else {
        return None;
    };
    let date = time::Date::from_calendar_date(
        year_number,
        time::Month::try_from(month).ok()?,
        day.parse().ok()?,
    )
    .ok()?;
    let time = time::Time::from_hms(h, m, s).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc().into())
}

/// `RateLimit-Reset: 2` (seconds until the window resets), or
/// `X-RateLimit-Reset: 1764661200` (a Unix time: any value past a billion).
fn rate_limit_reset(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = ["ratelimit-reset", "x-ratelimit-reset"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())?
        .trim();
    let seconds: u64 = value.parse().ok()?;
    if seconds < 1_000_000_000 {
        return Some(Duration::from_secs(seconds));
    }
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`.
fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    // A date in the past means "now".
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, value.parse().expect("header"));
        h
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            for (retry, full) in [
                (0, 500),
                (1, 1000),
                (2, 2000),
                (3, 4000),
                (4, 8000),
                (9, 8000),
            ] {
                let d = policy.backoff(retry).as_millis();
                assert!((full / 2..=full).contains(&d), "retry {retry}: {d} ms");
            }
        }
        assert_eq!(
            RetryPolicy::default().max_delay(Duration::ZERO).backoff(3),
            Duration::ZERO
        );
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        for later in [
            "Tue, 14 Nov 2023 22:14:50 GMT",
            "Tuesday, 14-Nov-23 22:14:50 GMT",
            "Tue Nov 14 22:14:50 2023",
        ] {
            assert_eq!(
                parse_retry_after(&headers(later), now),
                Some(Duration::from_secs(90)),
                "{later}"
            );
        }
        assert_eq!(
            parse_retry_after(&headers("Sun Nov  6 08:49:37 1994"), now),
            Some(Duration::ZERO),
            "a date in the past is now"
        );
        for bad in [
            "soon",
            "Tue, 14 Nov 2023 22:14:50 CET",
            "Tue, 31 Feb 2023 22:14:50 GMT",
            "Tue, 14 Foo 2023 22:14:50 GMT",
            "Tue, 14 Nov 2023 25:14:50 GMT",
            "Tue, 14 Nov 2023 22:14 GMT",
            "Tue, 14 Nov 2023 22:14:50:00 GMT",
            "Tue, 14 Nov 99999999999 22:14:50 GMT",
            "-1",
            "",
        ] {
            assert_eq!(parse_retry_after(&headers(bad), now), None, "{bad:?}");
        }
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn jitter_is_spread_over_zero_to_one() {
        let draws: Vec<f64> = (0..1000).map(|_| jitter()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let mut distinct = draws.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert!(distinct.len() > 990, "{} distinct of 1000", distinct.len());
        let mean = draws.iter().sum::<f64>() / 1000.0;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
        let low = draws.iter().filter(|d| **d < 0.5).count();
        assert!((400..600).contains(&low), "{low} of 1000 below 0.5");
    }

    #[test]
    fn retry_after_is_capped() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.retry_after(&headers("3600"), StatusCode::SERVICE_UNAVAILABLE),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn a_429_without_retry_after_reads_ratelimit_reset() {
        let policy = RetryPolicy::default();
        let with = |name: &'static str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().expect("header"));
            h
        };
        let too_many = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(
            policy.retry_after(&with("ratelimit-reset", "3"), too_many),
            Some(Duration::from_secs(3))
        );
        let soon = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            + 30;
        let waited = policy
            .retry_after(&with("x-ratelimit-reset", &soon.to_string()), too_many)
            .expect("a wait");
        assert!((29..=30).contains(&waited.as_secs()), "{waited:?}");
        // Absurd or foreign values: capped, or no wait read at all.
        assert_eq!(
            policy.retry_after(&with("ratelimit-reset", "18446744073709551615"), too_many),
            None,
            "a Unix time SystemTime cannot hold is ignored"
        );
        assert_eq!(
            policy.retry_after(&with("ratelimit-reset", "253402300799"), too_many),
            Some(Duration::from_secs(60)),
            "year 9999: capped"
        );
        assert_eq!(
            policy.retry_after(&with("ratelimit-reset", "soon"), too_many),
            None
        );
        assert_eq!(
            policy.retry_after(
                &with("ratelimit-reset", "3"),
                StatusCode::SERVICE_UNAVAILABLE
            ),
            None,
            "only for 429"
        );
        // Retry-After wins.
        let mut both = with("ratelimit-reset", "50");
        both.insert(RETRY_AFTER, "2".parse().expect("header"));
        assert_eq!(
            policy.retry_after(&both, too_many),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn retryable_statuses() {
        let retryable: Vec<u16> = (100..600)
            .filter(|s| StatusCode::from_u16(*s).is_ok_and(is_retryable_status))
            .collect();
        assert_eq!(retryable, [408, 429, 500, 502, 503, 504]);
    }
}
