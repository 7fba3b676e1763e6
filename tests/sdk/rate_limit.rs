//! The client-side rate limit, 429s, the retry budget and the deadline,
//! against wiremock on loopback in paused tokio time.

use std::time::Duration;

use alternative_payments::types::NewCustomer;
use alternative_payments::{Client, Error, RateLimit, RetryPolicy};
use futures::future::join_all;
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::retries::flaky;
use super::{builder, customer, requests_to, server};

fn limited(server: &MockServer, limit: RateLimit) -> Client {
    builder(server).rate_limit(limit).build().expect("client")
}

async fn ok_gets(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn every_call_of_a_client_and_its_clones_waits_its_turn() {
    let (server, _) = server().await;
    ok_gets(&server).await;
    let client = limited(&server, RateLimit::DEFAULT);
    let started = Instant::now();
    let calls = (0..25).map(|i| {
        // Clones share the limiter.
        let client = client.clone();
        async move {
            client.customers().get("cus_1").send().await.expect("ok");
            (i, started.elapsed())
        }
    });
    let done = join_all(calls).await;
    // 4 at once (the 5th of the burst in reserve), then 4.9 per second
    // (2 % under the limit, for jitter): the 25th at 21 / 4.9 s.
    let last = done.iter().map(|(_, t)| *t).max().expect("calls");
    assert_eq!(last, Duration::from_millis(4_286));
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 25);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_is_on_by_default_and_can_be_turned_off() {
    let (server, _) = server().await;
    ok_gets(&server).await;
    let timed = |client: Client| async move {
        let started = Instant::now();
        join_all((0..10).map(|_| client.customers().get("cus_1").send())).await;
        started.elapsed()
    };
    let default = alternative_payments::Client::builder()
        .credentials(alternative_payments::Credentials::client_credentials(
            super::CLIENT_ID,
            super::CLIENT_SECRET,
        ))
        .base_url(server.uri())
        .http_client(super::timerless_http())
        .timeout(None)
        .deadline(None)
        .build()
        .expect("client");
    assert_eq!(
        timed(default).await,
        Duration::from_millis(1_225),
        "5/s less 2 %, burst 5 with one in reserve: 4 at once, 6 at 4.9/s"
    );
    assert_eq!(
        timed(builder(&server).build().expect("off")).await,
        Duration::ZERO
    );
    let fast = limited(&server, RateLimit::per_second(50.0).burst(1));
    // 9 waits of 1/49 s, on whole milliseconds.
    assert_eq!(timed(fast).await, Duration::from_millis(189));
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_for_creates_too_and_leaves_no_unknown_outcome() {
    let (server, _) = server().await;
    flaky(&server, "POST", "/customers", 429, 2, Some("1")).await;
    let client = limited(&server, RateLimit::DEFAULT);
    let started = Instant::now();
    client
        .customers()
        .create(NewCustomer::default())
        .send()
        .await
        .expect("created after two 429s");
    assert_eq!(requests_to(&server, "/customers").await.len(), 3);
    // Two pauses of 1 s (+ up to 20 %), each followed by one slowed token.
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(2)..=Duration::from_secs(4)).contains(&waited),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_pauses_every_call_of_the_client() {
    let (server, _) = server().await;
    // The first request is refused with Retry-After: 3; the rest succeed.
    flaky(&server, "GET", "/customers/cus_1", 429, 1, Some("3")).await;
    let client = limited(&server, RateLimit::DEFAULT);
    let refused = client
        .customers()
        .get("cus_1")
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .expect_err("429, not retried");
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(3)));
    let started = Instant::now();
    client.customers().get("cus_1").send().await.expect("ok");
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(3)..=Duration::from_secs(4)).contains(&waited),
        "the next call of the same client waited out the pause: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_none_means_a_429_is_not_retried_either() {
    let (server, _) = server().await;
    flaky(&server, "GET", "/customers/cus_1", 429, 1, Some("1")).await;
    let err = builder(&server)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("not retried");
    assert!(err.is_rate_limited());
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_retry_budget_stops_retries_from_multiplying_an_outage() {
    let (server, _) = server().await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({ "code": "down" })))
        .mount(&server)
        .await;
    let client = super::client(&server);
    for _ in 0..200 {
        let err = client
            .customers()
            .get("cus_1")
            .send()
            .await
            .expect_err("down");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    }
    // Without a budget: 200 calls × 3 attempts. With it, the budget (500
    // tokens, 5 a retry) allows 100 retries, and then each call makes one
    // attempt.
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 300);
}

#[test]
fn bad_rate_limits_are_configuration_errors_naming_the_setting() {
    let server_url = "http://127.0.0.1:9";
    for bad in [
        RateLimit::per_second(0.0),
        RateLimit::per_second(-1.0),
        RateLimit::per_second(f64::NAN),
        RateLimit::per_second(f64::INFINITY),
        RateLimit::per_second(1e12),
        RateLimit::DEFAULT.burst(0),
    ] {
        let err = Client::builder()
            .credentials(alternative_payments::Credentials::api_key("k"))
            .base_url(server_url)
            .rate_limit(bad)
            .build()
            .expect_err("refused");
        assert!(
            matches!(&err, Error::Config(m) if m.starts_with("rate limit: ")),
            "{bad:?}: {err}"
        );
    }
}

/// A limiter that lets everything through at once and records what it is
/// told.
#[derive(Clone, Default)]
struct Recording {
    acquired: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    throttled: std::sync::Arc<std::sync::Mutex<Vec<Option<Duration>>>>,
}

impl alternative_payments::RateLimiter for Recording {
    fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.acquired
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async {})
    }

    fn throttled(&self, retry_after: Option<Duration>) {
        self.throttled.lock().expect("lock").push(retry_after);
    }
}

#[tokio::test(start_paused = true)]
async fn a_limiter_of_your_own_is_asked_before_every_attempt_and_told_of_every_429() {
    let (server, _) = server().await;
    flaky(&server, "GET", "/customers/cus_1", 429, 1, Some("2")).await;
    flaky(&server, "PATCH", "/customers/cus_1", 503, 1, None).await;
    let recording = Recording::default();
    let client = builder(&server)
        .rate_limiter(recording.clone())
        .build()
        .expect("client");
    let started = Instant::now();
    client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect("after the 429");
    // The pause is the limiter's to make: this one makes none.
    assert_eq!(started.elapsed(), Duration::ZERO);
    client
        .customers()
        .update(
            "cus_1",
            alternative_payments::types::CustomerUpdate::default(),
        )
        .send()
        .await
        .expect("after the 503");
    let sent = requests_to(&server, "/customers/cus_1").await.len();
    assert_eq!(sent, 4);
    assert_eq!(
        recording.acquired.load(std::sync::atomic::Ordering::SeqCst),
        sent,
        "one turn per attempt, retries included"
    );
    assert_eq!(
        *recording.throttled.lock().expect("lock"),
        [Some(Duration::from_secs(2))],
        "told of the 429, not of the 503"
    );
}

/// A limiter that never lets a call through: the wait counts against the
/// call's deadline. Real time, as above.
#[tokio::test]
async fn a_limiter_that_never_gives_a_turn_fails_the_call_at_its_deadline_unsent() {
    struct Never;
    impl alternative_payments::RateLimiter for Never {
        fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
            Box::pin(std::future::pending())
        }
        fn throttled(&self, _: Option<Duration>) {}
    }
    let (server, _) = server().await;
    ok_gets(&server).await;
    let err = builder(&server)
        .rate_limiter(Never)
        .deadline(Duration::from_millis(200))
        .build()
        .expect("client")
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("no turn");
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    assert!(requests_to(&server, "/customers/cus_1").await.is_empty());
}

/// Issue #28: an attempt takes its turn once its credentials are in hand.
/// A token request made after the turn was given would send the opening
/// burst late (by a token round trip) while the server counts the next
/// request on time: a 429 right after the burst.
#[tokio::test(start_paused = true)]
async fn an_attempt_takes_its_turn_only_once_its_token_is_in_hand() {
    /// Records, at each turn, how many tokens had been issued.
    struct SeesTokens(
        super::TokenEndpoint,
        std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
    );
    impl alternative_payments::RateLimiter for SeesTokens {
        fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
            self.1.lock().expect("lock").push(self.0.count());
            Box::pin(async {})
        }
        fn throttled(&self, _: Option<Duration>) {}
    }
    let (server, tokens) = server().await;
    ok_gets(&server).await;
    let seen = std::sync::Arc::default();
    let client = builder(&server)
        .rate_limiter(SeesTokens(tokens.clone(), std::sync::Arc::clone(&seen)))
        .build()
        .expect("client");
    join_all((0..3).map(|_| client.customers().get("cus_1").send())).await;
    assert_eq!(tokens.count(), 1, "one token for the three calls");
    assert_eq!(
        *seen.lock().expect("lock"),
        [1, 1, 1],
        "every turn came after the token"
    );
}

/// The in-process mock, on this test's runtime, and a client of it: under
/// paused time the server's handling, its rate limit and the client's
/// timers (the deadline bounds each attempt) share one clock, and a wait
/// on the server is never taken for idleness, since its I/O is this
/// runtime's. Timing assertions are then exact, whatever the machine's load
/// (issue #28: these tests ran on the wall clock with 250 ms margins).
async fn mock_and_customer() -> (alternative_payments_mock::MockServer, String) {
    let mock = alternative_payments_mock::MockServer::start()
        .await
        .expect("mock");
    let id = mock.create_customer(json!({ "name": "Acme" }));
    (mock, id)
}

fn mock_client(
    mock: &alternative_payments_mock::MockServer,
) -> alternative_payments::ClientBuilder {
    Client::builder()
        .credentials(alternative_payments::Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .http_client(super::timerless_http())
        .timeout(None)
        .deadline(None)
        .rate_limit(None)
}

fn refusals(
    status: u16,
    retry_after: &str,
    n: usize,
) -> Vec<alternative_payments_mock::MockResponse> {
    (0..n)
        .map(|_| {
            alternative_payments_mock::MockResponse::status(status)
                .header("retry-after", retry_after)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_server_that_answers_429_forever_fails_the_call_at_its_deadline_with_the_last_retry_after()
 {
    let (mock, id) = mock_and_customer().await;
    mock.enqueue("getCustomer", refusals(429, "1", 100))
        .expect("known operation");
    let client = mock_client(&mock)
        .rate_limit(RateLimit::DEFAULT)
        .deadline(Duration::from_millis(2_500))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .customers()
        .get(&id)
        .send()
        .await
        .expect_err("rate limited");
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert!(!err.outcome_unknown());
    assert!(
        started.elapsed() <= Duration::from_millis(2_500),
        "ended at its deadline: {:?}",
        started.elapsed()
    );
    // One attempt per pause of 1-1.2 s and a token at 70 % of the pace.
    let attempts = mock.requests_to("getCustomer").len();
    assert!((2..=3).contains(&attempts), "{attempts}");
}

#[tokio::test(start_paused = true)]
async fn a_call_queued_past_its_deadline_fails_without_being_sent() {
    let (mock, id) = mock_and_customer().await;
    // Turns at 0, 510 and 1,020 ms (2/s less 2 %), then 1,530 and 2,040 ms,
    // past the deadline.
    let client = mock_client(&mock)
        .rate_limit(RateLimit::per_second(2.0).burst(1))
        .build()
        .expect("client");
    let started = Instant::now();
    let calls = (0..5).map(|_| {
        let client = client.clone();
        let id = id.clone();
        async move {
            let result = client
                .customers()
                .get(&id)
                .deadline(Duration::from_millis(1_300))
                .send()
                .await;
            (result, started.elapsed())
        }
    });
    let results = join_all(calls).await;
    let ended: Vec<u128> = results.iter().map(|(_, at)| at.as_millis()).collect();
    // (Timers fire on whole milliseconds.)
    assert_eq!(ended, [0, 511, 1_022, 1_300, 1_300], "{results:?}");
    for (err, _) in results
        .iter()
        .filter_map(|(r, at)| r.as_ref().err().map(|e| (e, at)))
    {
        assert!(
            matches!(err, Error::DeadlineExceeded { deadline, .. } if *deadline == Duration::from_millis(1_300)),
            "{err:?}"
        );
        assert!(err.is_retryable() && !err.outcome_unknown());
        assert!(
            err.to_string()
                .contains("waited for its turn under the rate limit"),
            "{err}"
        );
    }
    assert_eq!(mock.requests_to("getCustomer").len(), 3);
}

/// A wait no `Instant` can hold (an uncapped `Retry-After` of u64::MAX
/// seconds) is past the deadline: the call ends with the server's answer,
/// at once, without a panic.
#[tokio::test(start_paused = true)]
async fn an_endless_retry_after_ends_the_call_at_once_instead_of_overflowing() {
    let (mock, id) = mock_and_customer().await;
    mock.enqueue("getCustomer", refusals(503, "18446744073709551615", 1))
        .expect("known operation");
    let client = mock_client(&mock)
        .retry_policy(RetryPolicy::default().max_retry_after(Duration::MAX))
        .deadline(Duration::from_secs(5))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .customers()
        .get(&id)
        .send()
        .await
        .expect_err("not retried");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(u64::MAX)));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(mock.requests_to("getCustomer").len(), 1);
}
