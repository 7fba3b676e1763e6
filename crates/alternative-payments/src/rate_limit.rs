//! Pacing within the provider's rate limit (5 requests per second per API
//! key), shared by a client and its clones, and the client-wide retry
//! budget.
//!
//! The limiter is a token bucket on tokio time behind a fair (FIFO)
//! semaphore of one permit: waiters queue in arrival order, only the head
//! sleeps on the timer, and a waiter that is dropped leaves the queue
//! without taking a token. By hand rather than with `governor`: governor's
//! limiter has no FIFO queue (its `until_ready` waiters race each other, so
//! with 1,000 tasks some starve), no way to pause for a `Retry-After`, and
//! no way to change the rate after a 429; what is left of it here is forty
//! lines of arithmetic, and users build no extra crate.
//!
//! It paces at 98 % of the configured rate, so network jitter does not
//! push a request over the server's limit, and it keeps one request of the
//! burst in reserve (below). Throttling (a 429) empties the
//! bucket, pauses it for the `Retry-After`
//! the server sent (with up to 20 % jitter, so clients that were refused
//! together do not come back together), and cuts the rate to 70 %; the
//! rate then grows back by 5 % of the configured rate per second without
//! a 429. A client sharing its key with others it cannot see (another
//! process, the dashboard) so settles near its share instead of hammering.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::retry::jittered;

/// How many requests per second the API key may send, and how many at once
/// after a quiet spell (the server's burst; the client lets one fewer go at
/// once and keeps the last in reserve for network lag).
///
/// On by default at the provider's documented limit,
/// [`RateLimit::DEFAULT`] (5 per second, burst 5). Change it on the builder
/// ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)) or
/// with `ALTERNATIVE_PAYMENTS_RATE_LIMIT` (`10`, `10/20` for a burst of 20,
/// or `off`) when the provider has raised the key's limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

impl RateLimit {
    /// The provider's documented limit: 5 requests per second, burst 5.
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: 5.0,
        burst: 5,
    };

    /// `rate` requests per second, with a burst of `rate` rounded up (at
    /// least 1). A rate that is not a positive number is refused when the
    /// client is built.
    pub fn per_second(rate: f64) -> Self {
        let burst = if rate.is_finite() && rate >= 1.0 {
            rate.ceil().min(f64::from(u32::MAX)) as u32
        } else {
            1
        };
        Self {
            per_second: rate,
            burst,
        }
    }

    /// How many requests the server takes at once after a quiet spell (at
    /// least 1); the client sends one fewer at once, keeping one in reserve.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.per_second
    }

    /// The burst size.
    pub fn burst_size(&self) -> u32 {
        self.burst
    }

    /// What is wrong with this limit, if anything.
    pub(crate) fn check(&self) -> Result<(), String> {
        // Past a million per second the limiter could not keep time anyway.
        if !(self.per_second.is_finite() && self.per_second > 0.0 && self.per_second <= 1e6) {
            return Err(format!(
                "rate {} is not a number of requests per second from above 0 to 1000000",
                self.per_second
            ));
        }
        if self.burst == 0 {
            return Err("burst 0 would never let a request through (at least 1)".into());
        }
        Ok(())
    }

    /// A limit as `ALTERNATIVE_PAYMENTS_RATE_LIMIT` and `altpay
    /// --rate-limit` write it: `5`, `2.5`, `10/20` (rate/burst), or `off`
    /// (`None`). Anything else, or a rate that is not a positive number, is
    /// an error saying what was wrong.
    ///
    /// ```
    /// use alternative_payments::RateLimit;
    /// assert_eq!(RateLimit::parse("10/20"), Ok(Some(RateLimit::per_second(10.0).burst(20))));
    /// assert_eq!(RateLimit::parse("off"), Ok(None));
    /// assert!(RateLimit::parse("0").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (rate, burst) = match text.split_once('/') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (text, None),
        };
        let number = |what: &str, s: &str| -> Result<f64, String> {
            s.trim().parse::<f64>().map_err(|_| {
                format!("{what} {s:?} is not a number (expected e.g. `5`, `10/20` or `off`)")
            })
        };
        let mut limit = Self::per_second(number("rate", rate)?);
        if let Some(burst) = burst {
            let b = number("burst", burst)?;
            if !(b.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&b)) {
                return Err(format!(
                    "burst {burst:?} is not a whole number of at least 1"
                ));
            }
            limit = limit.burst(b as u32);
        }
        limit.check()?;
        Ok(Some(limit))
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The share of the configured rate the limiter paces at: a request sent
/// exactly 1/rate after the previous one can arrive a few milliseconds
/// sooner than that (network jitter) and be refused; 2 % under the limit
/// absorbs that, and the server's bucket gains the slack back as burst.
const PACE: f64 = 0.98;
/// The share of the rate kept after a 429.
const DECREASE: f64 = 0.7;
/// The lowest rate throttling can push the limiter to, as a share of the
/// configured one.
const FLOOR: f64 = 0.05;
/// How fast the rate grows back, as a share of the configured rate per
/// second without a 429.
const RECOVERY: f64 = 0.05;

/// How many requests the limiter lets go at once: the burst less one.
///
/// The client counts a request when it lets it go; the server counts it
/// when it arrives. A burst whose first requests arrive late (a new
/// connection, a busy machine) leaves the server's bucket emptier than the
/// client's when the next request, on a warm connection, arrives on time:
/// a 429 right after the opening burst (issue #28). Keeping one request of
/// the server's burst unused absorbs any such lag up to one interval
/// (200 ms at 5 per second): GCRA on both sides, the server accepts what
/// the client lets go as long as the lag is under the difference of their
/// tolerances, one interval. The cost is one request's wait, once, after
/// a quiet spell. A burst of 1 has nothing to spare.
fn room(limit: &RateLimit) -> f64 {
    f64::from(limit.burst.saturating_sub(1).max(1))
}

/// What paces a client's requests: the built-in limiter of a
/// [`RateLimit`] ([`LocalLimiter`], the default), or one of your own, set
/// with [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter):
/// a limit shared by several processes, say. The client calls
/// [`acquire`](Self::acquire) before every attempt of every call (retries,
/// prefetched pages, `raw_call` and `json_pages` included; token requests
/// not), and [`throttled`](Self::throttled) after every 429.
pub trait RateLimiter: Send + Sync + 'static {
    /// Resolves when one more request may be sent. The future is dropped
    /// when the call gives up waiting (its deadline passed): a dropped
    /// acquisition must not count as a request.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    /// The API refused a request with 429; `retry_after` is the wait it
    /// asked for, if any (capped by the call's
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)).
    fn throttled(&self, retry_after: Option<Duration>);

    /// Called once when a client is built with this limiter, with what the
    /// client paces: its API key and environment, and the limit it was
    /// configured with. A limiter shared by several processes keys its
    /// shared state by it. An `Err` fails the build with
    /// [`Error::Config`](crate::Error::Config) carrying the message.
    fn attach(&self, scope: &LimiterScope) -> Result<(), String> {
        let _ = scope;
        Ok(())
    }
}

/// What a client built with a [`RateLimiter`] paces (see
/// [`RateLimiter::attach`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LimiterScope {
    client_id: Option<String>,
    base_url: String,
    limit: Option<RateLimit>,
}

impl LimiterScope {
    pub(crate) fn new(
        client_id: Option<String>,
        base_url: String,
        limit: Option<RateLimit>,
    ) -> Self {
        Self {
            client_id,
            base_url,
            limit,
        }
    }

    /// The OAuth2 client id: the API key the provider's limit is counted
    /// by. `None` with [`Credentials::api_key`](crate::Credentials::api_key)
    /// or [`bearer_token`](crate::Credentials::bearer_token), which carry no
    /// id.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The API's base URL, without a trailing `/`: which environment
    /// (production, demo) the key's limit is counted in.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The limit set with
    /// [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit) or
    /// `ALTERNATIVE_PAYMENTS_RATE_LIMIT` ([`RateLimit::DEFAULT`] unless
    /// changed; `None`: turned off).
    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }
}

/// The built-in limiter of a [`RateLimit`]: what a client uses unless told
/// otherwise, and what a limiter of your own can fall back to. Not a
/// handle: clients sharing one must share it through their clones.
pub struct LocalLimiter(Limiter);

impl LocalLimiter {
    /// A limiter pacing at `limit` (98 % of its rate, its burst), slowed by
    /// 429s. An invalid `limit` is refused when a client is built with it.
    pub fn new(limit: RateLimit) -> Self {
        Self(Limiter::new(limit))
    }
}

impl LocalLimiter {
    /// Empties the bucket, as if the burst had just been spent, without
    /// slowing the rate: for a limiter taking over from one that was using
    /// the whole budget (a shared limit whose backend went away), which
    /// must not send a burst the server's bucket no longer holds.
    pub fn drain(&self) {
        let now = Instant::now();
        let mut bucket = self.0.bucket();
        bucket.refill(now);
        bucket.tokens = bucket.tokens.min(0.0);
    }
}

impl fmt::Debug for LocalLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalLimiter")
            .field(&self.0.bucket().limit)
            .finish()
    }
}

impl RateLimiter for LocalLimiter {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.0.acquire())
    }

    fn throttled(&self, retry_after: Option<Duration>) {
        self.0.throttled(retry_after);
    }
}

/// A client's limiter, shared by its clones.
pub(crate) struct Limiter {
    /// One permit: the queue of waiters, served in arrival order.
    queue: Semaphore,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    limit: RateLimit,
    /// The current rate: the configured one, or less after 429s.
    rate: f64,
    tokens: f64,
    updated: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    /// Tokens and rate as of `now`.
    fn refill(&mut self, now: Instant) {
        let mut elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = now;
        if let Some(until) = self.paused_until {
            if now < until {
                return;
            }
            // Nothing accrues during a pause: the server's own bucket
            // refilled, and every client it refused comes back now.
            self.paused_until = None;
            elapsed = now.saturating_duration_since(until).as_secs_f64();
        }
        let configured = self.limit.per_second * PACE;
        self.rate = (self.rate + configured * RECOVERY * elapsed).min(configured);
        self.tokens = (self.tokens + self.rate * elapsed).min(room(&self.limit));
    }

    /// Takes a token, or says how long until one (or the pause) is due.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if let Some(until) = self.paused_until {
            return Err(until - now);
        }
        // Within rounding of a whole token is a whole token.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
    }
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            queue: Semaphore::new(1),
            bucket: Mutex::new(Bucket {
                limit,
                rate: limit.per_second * PACE,
                tokens: room(&limit),
                updated: Instant::now(),
                paused_until: None,
            }),
        }
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.bucket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's turn. Cancel-safe: a dropped waiter leaves
    /// the queue and takes no token.
    pub(crate) async fn acquire(&self) {
        // The queue is closed only by a bug; then requests go unpaced
        // rather than fail.
        let Ok(_turn) = self.queue.acquire().await else {
            return;
        };
        loop {
            let wait = match self.bucket().take(Instant::now()) {
                Ok(()) => return,
                Err(wait) => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The server refused a request with 429: empty the bucket, slow down,
    /// and pause for its `Retry-After` (jittered) if it sent one.
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut bucket = self.bucket();
        bucket.refill(now);
        bucket.tokens = 0.0;
        let floor = bucket.limit.per_second * PACE * FLOOR;
        bucket.rate = (bucket.rate * DECREASE).max(floor);
        // A pause too long to represent is a day (the caller caps
        // Retry-After long before that).
        let until = retry_after.and_then(|after| {
            now.checked_add(jittered(after))
                .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        });
        if let Some(until) = until {
            bucket.paused_until = Some(bucket.paused_until.map_or(until, |u| u.max(until)));
        }
    }

    /// The rate the limiter paces at now (after 429s, below the configured).
    #[cfg(test)]
    fn current_rate(&self) -> f64 {
        let mut bucket = self.bucket();
        bucket.refill(Instant::now());
        bucket.rate
    }
}

/// The client-wide retry budget (AWS's retry quota): a retry withdraws 5
/// tokens (10 after a timeout or a connection failure), a call that
/// succeeds first time deposits 1 and one that succeeds after retries gives
/// its withdrawals back, up to 500. Under a sustained failure the budget
/// runs dry after about 100 retries, and calls then fail after one attempt,
/// so retries cannot multiply an outage.
pub(crate) struct RetryBudget {
    tokens: Mutex<u32>,
}

pub(crate) const BUDGET: u32 = 500;
pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const TIMEOUT_COST: u32 = 10;

impl RetryBudget {
    pub(crate) fn new() -> Self {
        Self {
            tokens: Mutex::new(BUDGET),
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, u32> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `cost` for a retry, if the budget has it.
    pub(crate) fn withdraw(&self, cost: u32) -> bool {
        let mut tokens = self.tokens();
        match tokens.checked_sub(cost) {
            Some(left) => {
                *tokens = left;
                true
            }
            None => false,
        }
    }

    pub(crate) fn deposit(&self, amount: u32) {
        let mut tokens = self.tokens();
        *tokens = tokens.saturating_add(amount).min(BUDGET);
    }

    #[cfg(test)]
    pub(crate) fn left(&self) -> u32 {
        *self.tokens()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// When each of `n` acquisitions got through, in ms from the start.
    async fn times(limiter: &Arc<Limiter>, n: usize) -> Vec<u128> {
        let start = Instant::now();
        let mut out = Vec::new();
        for _ in 0..n {
            limiter.acquire().await;
            out.push(start.elapsed().as_millis());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_one_request_every_fifth_of_a_second() {
        let limiter = Arc::new(Limiter::new(RateLimit::DEFAULT));
        assert_eq!(
            times(&limiter, 8).await,
            [0, 0, 0, 0, 205, 409, 613, 817],
            "4 at once (one of the burst in reserve), then 4.9 per second (timers fire on whole milliseconds)"
        );
    }

    /// The server's side, as the provider (and the mock) count: a token
    /// bucket of `burst` at `rate` per second, taken from when a request
    /// arrives. How many of `arrivals` (seconds, any order) it refuses.
    fn refused_by_server(mut arrivals: Vec<f64>, rate: f64, burst: f64) -> usize {
        arrivals.sort_by(f64::total_cmp);
        let (mut tokens, mut last, mut refused) = (burst, 0.0, 0);
        for at in arrivals {
            tokens = (tokens + (at - last) * rate).min(burst);
            last = at;
            if tokens >= 1.0 {
                tokens -= 1.0;
            } else {
                refused += 1;
            }
        }
        refused
    }

    /// Issue #28: the client counts a request when it lets it go, the
    /// server when it arrives. Whatever each request's lag between the two
    /// (under one interval, 200 ms at 5/s), and whatever the pauses between
    /// bursts, the server refuses none of what the limiter let go. Without
    /// the reserve (the whole burst at once), a burst that arrives late
    /// before a request that arrives on time is refused: the test fails.
    #[tokio::test(start_paused = true)]
    async fn no_request_the_limiter_lets_go_is_refused_whatever_its_lag_under_one_interval() {
        let mut rng = fastrand::Rng::with_seed(28);
        for round in 0..50 {
            let limiter = Limiter::new(RateLimit::DEFAULT);
            let start = Instant::now();
            let mut granted = Vec::new();
            for _ in 0..60 {
                // Now and then a quiet spell that refills both buckets.
                if round > 0 && rng.u8(..10) == 0 {
                    tokio::time::sleep(Duration::from_millis(rng.u64(0..3_000))).await;
                }
                limiter.acquire().await;
                granted.push(start.elapsed().as_secs_f64());
            }
            // The worst case first: the opening burst late by 199 ms,
            // everything after on time; then random lags.
            let arrivals = granted
                .iter()
                .enumerate()
                .map(|(i, at)| match round {
                    0 if i < 5 => at + 0.199,
                    0 => *at,
                    _ => at + rng.f64() * 0.199,
                })
                .collect();
            assert_eq!(
                refused_by_server(arrivals, 5.0, 5.0),
                0,
                "round {round}: granted at {granted:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order_and_a_dropped_one_gives_its_place_back() {
        let limiter = Arc::new(Limiter::new(RateLimit::per_second(10.0).burst(1)));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..1000 {
            let (limiter, order) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await;
                order.lock().expect("lock").push(i);
            }));
            // Each task queues before the next is spawned.
            tokio::task::yield_now().await;
        }
        // One waiter in the middle of the queue gives up.
        tasks.remove(500).abort();
        let start = Instant::now();
        for task in tasks {
            task.await.expect("task");
        }
        let order = order.lock().expect("lock").clone();
        let expected: Vec<i32> = (0..1000).filter(|i| *i != 500).collect();
        assert_eq!(order, expected, "first come, first served");
        // 999 requests at 9.8/s, the first at once: the dropped waiter's
        // slot went to the next one.
        // (Timers fire on whole milliseconds: up to 1 ms late each.)
        let elapsed = start.elapsed().as_millis();
        assert!((101_836..=102_794).contains(&elapsed), "{elapsed} ms");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_for_its_retry_after_and_slows_down_then_recovers() {
        let limiter = Arc::new(Limiter::new(RateLimit::DEFAULT));
        times(&limiter, 5).await;
        limiter.throttled(Some(Duration::from_secs(2)));
        let start = Instant::now();
        limiter.acquire().await;
        let waited = start.elapsed();
        // 2 s and up to 20 % jitter, then a token at the reduced rate.
        assert!(
            waited >= Duration::from_secs(2) && waited <= Duration::from_millis(2_700),
            "{waited:?}"
        );
        let rate = limiter.current_rate();
        assert!(
            (3.43..3.53).contains(&rate),
            "70 % of 4.9 and a little recovery: {rate}"
        );
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(limiter.current_rate(), 4.9, "back at the pace");

        // Throttled again and again, it never stops.
        for _ in 0..100 {
            limiter.throttled(None);
        }
        assert!(
            (limiter.current_rate() - 0.245).abs() < 1e-9,
            "5 % of the pace"
        );
        let start = Instant::now();
        limiter.acquire().await;
        assert!(
            start.elapsed() <= Duration::from_millis(4_100),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_retry_after_neither_panics_nor_overflows() {
        let limiter = Limiter::new(RateLimit::DEFAULT);
        limiter.throttled(Some(Duration::MAX));
        limiter.throttled(Some(Duration::from_secs(u64::MAX / 2)));
        // The caller caps Retry-After (RetryPolicy::max_retry_after); the
        // limiter itself only has to survive what it is given.
    }

    #[test]
    fn limits_parse_and_check() {
        assert_eq!(RateLimit::parse("off"), Ok(None));
        assert_eq!(RateLimit::parse(" 5 "), Ok(Some(RateLimit::DEFAULT)));
        assert_eq!(
            RateLimit::parse("2.5"),
            Ok(Some(RateLimit::per_second(2.5).burst(3)))
        );
        assert_eq!(
            RateLimit::parse("10/20"),
            Ok(Some(RateLimit::per_second(10.0).burst(20)))
        );
        assert_eq!(RateLimit::per_second(0.5).burst_size(), 1);
        for bad in [
            "0", "-1", "NaN", "inf", "1e300", "fast", "", "5/0", "5/1.5", "5/-2", "5/x",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad:?}");
        }
        assert!(RateLimit::per_second(f64::NAN).check().is_err());
        assert!(RateLimit::DEFAULT.burst(0).check().is_err());
    }

    #[test]
    fn the_retry_budget_runs_dry_and_refills() {
        let budget = RetryBudget::new();
        let mut retries = 0;
        while budget.withdraw(RETRY_COST) {
            retries += 1;
        }
        assert_eq!(retries, 100);
        budget.deposit(7);
        assert!(budget.withdraw(RETRY_COST));
        assert!(!budget.withdraw(RETRY_COST));
        budget.deposit(10_000);
        assert_eq!(budget.left(), BUDGET);
    }
}
