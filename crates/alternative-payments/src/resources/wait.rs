//! Waiting for an outcome by polling, as the provider's guides say to do
//! for a payment request: AWS-style waiters, with exponential backoff and
//! jitter, a maximum wait, and every poll an ordinary call of the client
//! (its rate limiter, retries, timeout and deadline).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use super::Request;
use crate::error::{Error, Result};

/// Polls an object until its status is one of a set, returned by
/// `client.payment_requests().wait_until_final(id)` and
/// `client.invoices().wait_until_paid(id)`. `.await` it.
///
/// The first look is at once; then it waits a random delay between
/// `min_delay` and a ceiling that doubles after each look up to
/// `max_delay` ("full jitter", so many waiters do not poll together), and
/// never past `max_wait`, where it looks a last time and returns
/// [`Error::WaitTimedOut`]. A look that fails (a 404 for an id that does
/// not exist, say) ends the wait at once with that error; the client has
/// already retried what can be retried. Dropping the future stops it: no
/// look is made afterwards.
#[must_use = "a waiter does nothing until it is awaited"]
pub struct Waiter<'a, T> {
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    client: &'a crate::Client,
    what: &'static str,
    id: String,
    look: Box<dyn Fn() -> Request<'a, T> + Send + Sync + 'a>,
    status: fn(&T) -> Option<&str>,
    outcomes: &'static [&'static str],
    min_delay: Duration,
    max_delay: Duration,
    max_wait: Duration,
}

impl<T> std::fmt::Debug for Waiter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("what", &self.what)
            .field("id", &self.id)
            .field("outcomes", &self.outcomes)
            .field("min_delay", &self.min_delay)
            .field("max_delay", &self.max_delay)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

// The waits a waiter starts with: looks 2 s to 30 s apart, for at most 15
// minutes (a payer takes minutes; 30 s apart is 1 request in 150 of the
// API's 5 per second).
const DEFAULT_MIN_DELAY: Duration = Duration::from_secs(2);
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

impl<'a, T: Send + 'a> Waiter<'a, T> {
    pub(crate) fn new(
        client: &'a crate::Client,
        what: &'static str,
        id: String,
        look: impl Fn() -> Request<'a, T> + Send + Sync + 'a,
        status: fn(&T) -> Option<&str>,
        outcomes: &'static [&'static str],
    ) -> Self {
        Self {
            client,
            what,
            id,
            look: Box::new(look),
            status,
            outcomes,
            min_delay: DEFAULT_MIN_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// The shortest wait between two looks (2 s unless set).
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest wait between two looks (30 s unless set; never less
    /// than `min_delay`).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How long to wait in all before [`Error::WaitTimedOut`] (15 minutes
    /// unless set).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Waits from code that is not async, on the client's own runtime
    /// ([`Client::block_on`](crate::Client::block_on)).
    #[cfg(feature = "blocking")]
    pub fn wait_blocking(self) -> Result<T> {
        let client = self.client;
        client.block_on(self.run())
    }

    /// The statuses that end this wait.
    pub fn outcomes(&self) -> &'static [&'static str] {
        self.outcomes
    }

    /// The wait before look number `look` (1 for the second look), at most
    /// `left`.
    fn delay(&self, look: u32, left: Duration) -> Duration {
        let min = self.min_delay;
        let ceiling = min
            .saturating_mul(1u32 << look.saturating_sub(1).min(20))
            .min(self.max_delay.max(min));
        (min + (ceiling - min).mul_f64(crate::retry::jitter())).min(left)
    }

    async fn run(self) -> Result<T> {
        let started = tokio::time::Instant::now();
        let mut looks = 0;
        loop {
            let value = (self.look)().send().await?;
            let status = (self.status)(&value);
            if status.is_some_and(|s| self.outcomes.iter().any(|o| o.eq_ignore_ascii_case(s))) {
                return Ok(value);
            }
            let waited = started.elapsed();
            let Some(left) = self.max_wait.checked_sub(waited).filter(|l| !l.is_zero()) else {
                return Err(Error::WaitTimedOut {
                    what: self.what,
                    id: self.id,
                    waited,
                    last_status: status.map(String::from),
                });
            };
            looks += 1;
            tokio::time::sleep(self.delay(looks, left)).await;
        }
    }
}

impl<'a, T: Send + 'a> IntoFuture for Waiter<'a, T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
