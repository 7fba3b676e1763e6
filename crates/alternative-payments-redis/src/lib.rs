//! One rate limit for every process that uses an Alternative Payments API
//! key, shared through Redis.
//!
//! The provider counts its limit (5 requests per second) per API key. The
//! SDK's built-in limiter paces one process; four processes on one key,
//! each pacing itself, send four times the limit and most of it comes back
//! as 429s. A [`RedisLimiter`] makes the fleet take its turns from one
//! budget in Redis instead:
//!
//! ```no_run
//! use alternative_payments::ClientBuilder;
//! use alternative_payments_redis::RedisLimiter;
//!
//! # fn main() -> alternative_payments::Result<()> {
//! // ALTERNATIVE_PAYMENTS_REDIS_URL=redis://redis.internal:6379/0, say.
//! let mut builder = ClientBuilder::from_env()?;
//! if let Some(limiter) = RedisLimiter::from_env()? {
//!     builder = builder.rate_limiter(limiter.fleet_size(4));
//! }
//! let client = builder.build()?;
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! Each acquisition is one `EVALSHA` of one Lua script (GCRA with
//! reservations): the script reserves the key's next free slot, atomically
//! and on Redis's clock, and the process sleeps until it is due. One round
//! trip per request; a process keeps one reservation at a time, so its own
//! callers queue in arrival order and the fleet's processes take turns. A
//! 429 seen by any process pushes the key's next slot past the
//! `Retry-After`: the whole fleet pauses.
//!
//! The state is one hash, `alternative-payments:rate-limit:{<client id>@<base
//! URL>}` (one hash slot, so Redis Cluster works too), holding the rate and
//! burst of the first process to use it: they win over a process
//! configured differently (logged once), and go a minute after the fleet
//! falls idle (or with `DEL` on the key).
//!
//! # When Redis fails
//!
//! Calls neither fail nor hang. A Redis that does not answer within
//! [`timeout`](RedisLimiter::timeout) (250 ms by default), refuses the
//! connection, or answers something unexpected (a key of another type, a
//! script error) turns the process to its own limiter, pacing at its share
//! of the rate ([`fleet_size`](RedisLimiter::fleet_size)); one warning is
//! logged per outage, and one line when Redis answers again, which is
//! tried at most once a second (backing off to every 5 s). The SDK counts
//! every wait on Redis against the call's deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use alternative_payments::{Error, LimiterScope, LocalLimiter, RateLimit, RateLimiter, Result};
use redis::aio::MultiplexedConnection;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The environment variable [`RedisLimiter::from_env`] reads.
pub const REDIS_URL: &str = "ALTERNATIVE_PAYMENTS_REDIS_URL";

/// How long a Redis command may take before the process paces on its own.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// The furthest ahead a process reserves a slot; beyond it, it asks again
/// later instead of holding a slot its caller may give up on.
const HORIZON: Duration = Duration::from_secs(10);
/// The first wait before trying a failed Redis again, doubled up to
/// [`MAX_PROBE`].
const FIRST_PROBE: Duration = Duration::from_secs(1);
const MAX_PROBE: Duration = Duration::from_secs(5);

/// A [`RateLimiter`] shared through Redis by every process using one API
/// key (see the [crate docs](crate)). Give it to
/// [`ClientBuilder::rate_limiter`](alternative_payments::ClientBuilder::rate_limiter);
/// the client's [`rate_limit`](alternative_payments::ClientBuilder::rate_limit)
/// is the fleet's limit. Clones share one connection and one queue: they
/// are one process's share of the fleet.
#[derive(Clone)]
pub struct RedisLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// Host and port only: a URL can carry a password.
    address: String,
    timeout: Duration,
    fleet_size: u32,
    key: Option<String>,
    bound: OnceLock<Bound>,
    /// One reservation at a time per process: its callers queue here in
    /// arrival order.
    turn: Semaphore,
    state: Mutex<State>,
    disagreement_logged: AtomicBool,
}

/// What [`RateLimiter::attach`] settled.
struct Bound {
    key: String,
    limit: RateLimit,
    /// This process's share of the limit, while Redis is away.
    fallback: LocalLimiter,
}

#[derive(Default)]
struct State {
    connection: Option<MultiplexedConnection>,
    outage: Option<Outage>,
    /// Until when a 429 seen here pauses this process's own reservation.
    paused_until: Option<Instant>,
}

struct Outage {
    since: Instant,
    next_try: Instant,
    backoff: Duration,
}

/// What the script answered.
#[derive(Debug, PartialEq)]
struct Reply {
    wait: Duration,
    reserved: bool,
    rate: f64,
    burst: u32,
}

impl RedisLimiter {
    /// A limiter sharing its budget through the Redis at `url`
    /// (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS).
    /// Nothing is connected until the first request; a URL that does not
    /// parse is an [`Error::Config`] here.
    pub fn new(url: &str) -> Result<Self> {
        url.parse()
            .map_err(|e| Error::Config(format!("RedisLimiter::new: {e}")))
    }

    /// A limiter for the Redis at `ALTERNATIVE_PAYMENTS_REDIS_URL`, or
    /// `None` when it is unset or empty; a URL that does not parse is an
    /// [`Error::Config`] naming the variable.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(REDIS_URL) {
            Ok(url) if url.trim().is_empty() => Ok(None),
            Ok(url) => url
                .trim()
                .parse()
                .map(Some)
                .map_err(|e| Error::Config(format!("environment variable {REDIS_URL}: {e}"))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config(format!(
                "environment variable {REDIS_URL} is not valid UTF-8"
            ))),
        }
    }

    /// How many processes usually share the key: while Redis is away, each
    /// paces at the limit divided by this (1, the whole limit, unless
    /// changed), and 429s slow it down further.
    pub fn fleet_size(self, processes: u32) -> Self {
        self.configure(|inner| inner.fleet_size = processes)
    }

    /// The longest a Redis command (connecting included) may take before
    /// the process paces on its own ([`DEFAULT_TIMEOUT`] unless changed).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.configure(|inner| inner.timeout = timeout)
    }

    /// The Redis key of the shared state, instead of one derived from the
    /// client id and base URL; required with credentials that carry no
    /// client id (an API key or a bearer token).
    pub fn key(self, key: impl Into<String>) -> Self {
        let key = key.into();
        self.configure(|inner| inner.key = Some(key))
    }

    fn configure(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        // Not yet shared: the builder methods come before `attach`.
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            change(inner);
        }
        self
    }
}

/// A Redis URL, as [`RedisLimiter::new`] takes it; the error says what is
/// wrong, never echoing the URL (it can hold a password).
impl std::str::FromStr for RedisLimiter {
    type Err = String;

    fn from_str(url: &str) -> std::result::Result<Self, String> {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err("a Redis URL starts with redis:// (or rediss:// for TLS), \
                 as in redis://127.0.0.1:6379"
                .into());
        }
        // redis-rs's messages name what is wrong, never the URL itself.
        let client =
            redis::Client::open(url).map_err(|e| format!("not a usable Redis URL: {e}"))?;
        let address = client.get_connection_info().addr().to_string();
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                address,
                timeout: DEFAULT_TIMEOUT,
                fleet_size: 1,
                key: None,
                bound: OnceLock::new(),
                turn: Semaphore::new(1),
                state: Mutex::new(State::default()),
                disagreement_logged: AtomicBool::new(false),
            }),
        })
    }
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("RedisLimiter")
            .field("address", &inner.address)
            .field(
                "key",
                &inner.bound.get().map(|b| &b.key).or(inner.key.as_ref()),
            )
            .field("timeout", &inner.timeout)
            .field("fleet_size", &inner.fleet_size)
            .field("shared", &inner.state().outage.is_none())
            .finish_non_exhaustive()
    }
}

impl RateLimiter for RedisLimiter {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.inner.acquire())
    }

    fn throttled(&self, retry_after: Option<Duration>) {
        self.inner.throttled(retry_after);
    }

    fn attach(&self, scope: &LimiterScope) -> std::result::Result<(), String> {
        let inner = &self.inner;
        let Some(limit) = scope.limit() else {
            return Err(
                "RedisLimiter shares a rate limit, and rate_limit(None) turned it off".into(),
            );
        };
        if inner.fleet_size == 0 {
            return Err("RedisLimiter::fleet_size(0): a fleet has at least 1 process".into());
        }
        if inner.timeout.is_zero() {
            return Err("RedisLimiter::timeout(0) would never let Redis answer".into());
        }
        let key = match (&inner.key, scope.client_id()) {
            (Some(key), _) => key.clone(),
            (None, Some(id)) => format!(
                "alternative-payments:rate-limit:{{{id}@{}}}",
                scope.base_url()
            ),
            (None, None) => {
                return Err("these credentials carry no client id: name the shared key with RedisLimiter::key(..)".into());
            }
        };
        let share = limit.rate() / f64::from(inner.fleet_size);
        let fallback = LocalLimiter::new(
            RateLimit::per_second(share).burst((limit.burst_size() / inner.fleet_size).max(1)),
        );
        let bound = Bound {
            key,
            limit,
            fallback,
        };
        match inner.bound.get() {
            None => {
                let _ = inner.bound.set(bound);
                Ok(())
            }
            Some(existing) if existing.key == bound.key && existing.limit == limit => Ok(()),
            Some(_) => Err("this RedisLimiter already paces another client: give each key its own (clones of one client share theirs)".into()),
        }
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn acquire(&self) {
        // Not attached: not used by a client, nothing to pace.
        let Some(bound) = self.bound.get() else {
            return;
        };
        // The queue is closed only by a bug; then requests go unpaced.
        let Ok(_turn) = self.turn.acquire().await else {
            return;
        };
        loop {
            let now = Instant::now();
            if self
                .state()
                .outage
                .as_ref()
                .is_some_and(|o| now < o.next_try)
            {
                break;
            }
            let reply = match tokio::time::timeout(self.timeout, self.reserve(bound)).await {
                Ok(Ok(reply)) => reply,
                Ok(Err(e)) => {
                    self.failed(bound, &e.to_string());
                    break;
                }
                Err(_) => {
                    self.failed(bound, &format!("no answer within {:?}", self.timeout));
                    break;
                }
            };
            self.answered(bound, &reply);
            tokio::time::sleep(reply.wait).await;
            if reply.reserved {
                let paused = self.state().paused_until;
                if let Some(until) = paused {
                    tokio::time::sleep_until(until).await;
                }
                return;
            }
        }
        drop(_turn);
        bound.fallback.acquire().await;
    }

    async fn reserve(&self, bound: &Bound) -> redis::RedisResult<Reply> {
        let connection = self.state().connection.clone();
        let mut connection = match connection {
            Some(connection) => connection,
            None => {
                // No timeouts of redis-rs's own: the caller's covers
                // connecting and the script together.
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(None)
                    .set_response_timeout(None);
                let connection = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                self.state().connection = Some(connection.clone());
                connection
            }
        };
        let horizon = HORIZON.as_micros().to_string();
        invoke(
            &mut connection,
            &bound.key,
            "acquire",
            bound.limit,
            &horizon,
        )
        .await
    }

    fn answered(&self, bound: &Bound, reply: &Reply) {
        if let Some(outage) = self.state().outage.take() {
            tracing::info!(
                redis = %self.address,
                key = %bound.key,
                after = ?outage.since.elapsed(),
                "shared rate limit: Redis answers again; back on the fleet's budget"
            );
        }
        let ours = bound.limit;
        if ((reply.rate - ours.rate()).abs() > 1e-9 || reply.burst != ours.burst_size())
            && !self.disagreement_logged.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                redis = %self.address,
                key = %bound.key,
                "shared rate limit: the fleet's key holds {}/s burst {} but this process was configured with {}/s burst {}; the stored limit wins (delete the key to change it)",
                reply.rate,
                reply.burst,
                ours.rate(),
                ours.burst_size()
            );
        }
    }

    fn failed(&self, bound: &Bound, why: &str) {
        let now = Instant::now();
        let mut state = self.state();
        state.connection = None;
        match &mut state.outage {
            Some(outage) => {
                outage.backoff = (outage.backoff * 2).min(MAX_PROBE);
                outage.next_try = now + outage.backoff;
                tracing::debug!(redis = %self.address, "shared rate limit: Redis still unavailable: {why}");
            }
            None => {
                // The fleet was spending the whole budget through Redis:
                // this process's own limiter, idle until now, must not
                // open with a burst the API's bucket no longer holds
                // (16 processes at once were 4 % 429s, issue #28).
                bound.fallback.drain();
                state.outage = Some(Outage {
                    since: now,
                    next_try: now + FIRST_PROBE,
                    backoff: FIRST_PROBE,
                });
                tracing::warn!(
                    redis = %self.address,
                    key = %bound.key,
                    "shared rate limit unavailable ({why}); this process paces on its own at {}/s until Redis is back",
                    bound.limit.rate() / f64::from(self.fleet_size)
                );
            }
        }
    }

    fn throttled(self: &Arc<Self>, retry_after: Option<Duration>) {
        let Some(bound) = self.bound.get() else {
            return;
        };
        bound.fallback.throttled(retry_after);
        let pause = retry_after.unwrap_or_default();
        let connection = {
            let mut state = self.state();
            if let Some(until) = Instant::now().checked_add(pause) {
                state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
            }
            state.connection.clone()
        };
        // Without a connection (Redis away) the local limiter's pause is
        // all there is; with no runtime (not called by the SDK) neither.
        let (Some(mut connection), Ok(runtime)) =
            (connection, tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let inner = Arc::clone(self);
        runtime.spawn(async move {
            let Some(bound) = inner.bound.get() else {
                return;
            };
            // Capped at a day: the SDK caps Retry-After long before that.
            let pause = pause.min(Duration::from_secs(86_400)).as_micros().to_string();
            let told = invoke(&mut connection, &bound.key, "throttle", bound.limit, &pause);
            let why = match tokio::time::timeout(inner.timeout, told).await {
                Ok(Ok(_)) => return,
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {:?}", inner.timeout),
            };
            tracing::debug!(redis = %inner.address, "shared rate limit: could not pause the fleet: {why}");
        });
    }
}

/// The script, once per process: `EVALSHA`, and `SCRIPT LOAD` again when
/// Redis lost it (`NOSCRIPT`: a restart, `SCRIPT FLUSH`, a failover).
fn script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(include_str!("limit.lua")))
}

async fn invoke(
    connection: &mut MultiplexedConnection,
    key: &str,
    op: &str,
    limit: RateLimit,
    arg: &str,
) -> redis::RedisResult<Reply> {
    let (wait, reserved, rate, burst): (i64, i64, String, i64) = script()
        .key(key)
        .arg(op)
        .arg(limit.rate().to_string())
        .arg(limit.burst_size().to_string())
        .arg(arg)
        .invoke_async(connection)
        .await?;
    parse_reply(wait, reserved, &rate, burst).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "the rate-limit script answered out of range",
            format!("wait {wait}, reserved {reserved}, rate {rate:?}, burst {burst}"),
        ))
    })
}

/// The script's answer, if it is one a limiter can act on: a stored rate
/// or burst that is not a usable limit, or a wait beyond the horizon,
/// means someone else wrote the key.
fn parse_reply(wait: i64, reserved: i64, rate: &str, burst: i64) -> Option<Reply> {
    let rate: f64 = rate.parse().ok()?;
    let burst = u32::try_from(burst).ok()?;
    let wait = Duration::from_micros(u64::try_from(wait).ok()?);
    if !(rate.is_finite() && rate > 0.0 && burst >= 1 && wait <= HORIZON * 2) {
        return None;
    }
    Some(Reply {
        wait,
        reserved: reserved == 1,
        rate,
        burst,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_cannot_work_are_refused_without_echoing_a_password() {
        for bad in [
            "http://127.0.0.1:6379",
            "127.0.0.1:6379",
            "redis://",
            "redis://:hunter2@[::1:6379",
            "",
        ] {
            let error = RedisLimiter::new(bad).expect_err(bad).to_string();
            assert!(error.contains("RedisLimiter::new"), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
        let limiter = RedisLimiter::new("redis://:hunter2@127.0.0.1:6390/2").expect("valid");
        let debug = format!("{limiter:?}");
        assert!(debug.contains("127.0.0.1:6390"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn replies_out_of_range_are_refused() {
        assert_eq!(
            parse_reply(1500, 1, "5", 5),
            Some(Reply {
                wait: Duration::from_micros(1500),
                reserved: true,
                rate: 5.0,
                burst: 5
            })
        );
        for (wait, rate, burst) in [
            (-1, "5", 5),
            (0, "nan", 5),
            (0, "-5", 5),
            (0, "inf", 5),
            (0, "5", 0),
            (0, "5", -3),
            (0, "5", i64::MAX),
            (i64::MAX, "5", 5),
            (0, "fast", 5),
        ] {
            assert_eq!(
                parse_reply(wait, 1, rate, burst),
                None,
                "{wait} {rate} {burst}"
            );
        }
    }
}
