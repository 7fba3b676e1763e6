//! The shared limit against a real `redis-server` and the mock API with its
//! rate limit on: clients with limiters of their own stand for the
//! processes of a fleet (each has its own connection and queue, as a
//! process would). The tests that need `redis-server` are ignored in a
//! plain `cargo test`; `.ci/run` installs it and runs them.

mod redis_server;

use std::time::{Duration, Instant};

use alternative_payments::{Client, Credentials, Error, RateLimit, RateLimiter};
use alternative_payments_mock::MockServer;
use alternative_payments_redis::RedisLimiter;
use alternative_payments_test_support::{Capture, capture_logs};
use futures::StreamExt;
use redis_server::RedisServer;

/// What every test of this binary logs, from its first call on: each
/// test calls it first.
fn capture() -> &'static Capture {
    capture_logs(tracing::Level::INFO)
}

/// The lines logged so far (by every test of this binary) that mention
/// `marker` (a test's Redis port) and `text`.
fn logged(marker: &str, text: &str) -> usize {
    capture()
        .text()
        .lines()
        .filter(|line| line.contains(marker) && line.contains(text))
        .count()
}

async fn mock(limit: f64) -> MockServer {
    MockServer::builder()
        .rate_limit(limit)
        .start()
        .await
        .expect("mock starts")
}

fn client(mock: &MockServer, limit: RateLimit, limiter: Option<RedisLimiter>) -> Client {
    let builder = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .rate_limit(limit);
    match limiter {
        Some(limiter) => builder.rate_limiter(limiter),
        None => builder,
    }
    .build()
    .expect("client")
}

/// `calls` gets of `id`, `concurrency` at a time: (succeeded, failed).
async fn gets(client: Client, id: String, calls: usize, concurrency: usize) -> (usize, usize) {
    let results: Vec<bool> = futures::stream::iter(0..calls)
        .map(|_| {
            let (client, id) = (client.clone(), id.clone());
            async move { client.customers().get(&id).send().await.is_ok() }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let ok = results.iter().filter(|ok| **ok).count();
    (ok, calls - ok)
}

/// Runs one client per limiter (or per `None`: the built-in limiter), each
/// making `calls` gets 8 at a time; the totals and the time taken.
async fn fleet(
    mock: &MockServer,
    limit: RateLimit,
    limiters: Vec<Option<RedisLimiter>>,
    calls: usize,
) -> ((usize, usize), Duration) {
    let id = mock.create_customer(serde_json::json!({"name": "Acme"}));
    let start = Instant::now();
    let runs: Vec<_> = limiters
        .into_iter()
        .map(|limiter| tokio::spawn(gets(client(mock, limit, limiter), id.clone(), calls, 8)))
        .collect();
    let mut total = (0, 0);
    for run in runs {
        let (ok, failed) = run.await.expect("run");
        total = (total.0 + ok, total.1 + failed);
    }
    (total, start.elapsed())
}

fn port(redis: &RedisServer) -> String {
    redis.url().rsplit(':').next().expect("port").to_string()
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn processes_on_one_key_take_turns_from_one_budget() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let limit = RateLimit::per_second(10.0);
    let limiters = (0..4)
        .map(|_| Some(RedisLimiter::new(&redis.url()).expect("url")))
        .collect();
    let ((ok, failed), took) = fleet(&mock, limit, limiters, 15).await;
    assert_eq!((ok, failed), (60, 0));
    let refused = mock.stats().rate_limited;
    // Not "no 429": a process starved on a loaded machine can reach the
    // API over one interval after its turn (issue #28; the fleet benchmark
    // reports the figure). What the fleet guarantees is its pace: 9 at
    // once, then 51 at 9.8 per second, the fleet's budget, not four's
    // (which would take 1.5 s).
    assert!(took >= Duration::from_millis(5_000), "{took:?}");
    // One script call per request (and one SCRIPT LOAD per process at most).
    // (A 429 costs two more: its retry's acquisition and the fleet pause.)
    let calls = redis.calls("evalsha");
    let requests = mock.stats().requests;
    assert!(
        calls <= requests + 2 * refused + 4,
        "{calls} EVALSHA for {requests} requests"
    );
    let key = format!(
        "alternative-payments:rate-limit:{{{}@{}}}",
        mock.client_id(),
        mock.base_url()
    );
    let rate: String = redis.command(&["HGET", &key, "rate"]).expect("the key");
    assert_eq!(rate, "10");
}

/// The same fleet without Redis: what the shared limit is for.
#[tokio::test]
async fn without_redis_the_same_fleet_is_refused() {
    capture();
    let mock = mock(10.0).await;
    let ((ok, failed), _) = fleet(&mock, RateLimit::per_second(10.0), vec![None; 4], 8).await;
    assert_eq!((ok, failed), (32, 0), "429s are retried");
    let refused = mock.stats().rate_limited;
    assert!(refused >= 5, "only {refused} requests refused with 429");
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn redis_killed_mid_run_fails_no_call_warns_once_and_is_used_again_when_back() {
    capture();
    let mut redis = RedisServer::start();
    let mock = mock(10.0).await;
    let limiters: Vec<_> = (0..2)
        .map(|_| RedisLimiter::new(&redis.url()).expect("url").fleet_size(2))
        .collect();
    let run = fleet(
        &mock,
        RateLimit::per_second(10.0),
        limiters.iter().cloned().map(Some).collect(),
        30,
    );
    let kill = async {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        redis.kill();
    };
    // About 3 s without Redis: probes fail at 1 s and 3 s.
    let (((ok, failed), _), ()) = futures::future::join(run, kill).await;
    assert_eq!((ok, failed), (60, 0));
    let port = port(&redis);
    assert_eq!(
        logged(&port, "shared rate limit unavailable"),
        2,
        "one warning per process and outage"
    );

    redis.restart().expect("redis restarts");
    let back = Instant::now();
    while logged(&port, "Redis answers again") < 2 {
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "never back on Redis"
        );
        for limiter in &limiters {
            limiter.acquire().await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        format!("{:?}", limiters[0]).contains("shared: true"),
        "{:?}\n{}",
        limiters[0],
        capture().text()
    );
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn a_slow_redis_costs_a_call_its_timeout_and_counts_against_the_deadline() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let limiter = RedisLimiter::new(&redis.url()).expect("url");
    let quick = client(&mock, RateLimit::DEFAULT, Some(limiter.clone()));
    let patient = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .rate_limiter(
            RedisLimiter::new(&redis.url())
                .expect("url")
                .timeout(Duration::from_secs(10)),
        )
        .deadline(Duration::from_millis(500))
        .build()
        .expect("client");
    let id = mock.create_customer(serde_json::json!({"name": "Acme"}));
    quick.customers().get(&id).send().await.expect("connected");

    let url = redis.url();
    let sleeper = std::thread::spawn(move || {
        let client = redis::Client::open(url).expect("url");
        let mut connection = client.get_connection().expect("connection");
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(2)
            .query::<()>(&mut connection)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let start = Instant::now();
    quick
        .customers()
        .get(&id)
        .send()
        .await
        .expect("paced locally");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1_000),
        "{took:?}: the 250 ms timeout, then on its own"
    );
    assert_eq!(logged(&port(&redis), "no answer within 250ms"), 1);

    let start = Instant::now();
    let error = patient
        .customers()
        .get(&id)
        .send()
        .await
        .expect_err("Redis answers after the deadline");
    assert!(matches!(error, Error::DeadlineExceeded { .. }), "{error:?}");
    assert!(
        start.elapsed() < Duration::from_millis(1_200),
        "{:?}",
        start.elapsed()
    );
    sleeper.join().expect("thread").expect("DEBUG SLEEP");
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn a_flushed_script_cache_is_reloaded_without_leaving_redis() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let limiter = RedisLimiter::new(&redis.url()).expect("url").key("flushed");
    let client = client(&mock, RateLimit::DEFAULT, Some(limiter.clone()));
    let id = mock.create_customer(serde_json::json!({"name": "Acme"}));
    client.customers().get(&id).send().await.expect("first");
    let before: String = redis.command(&["HGET", "flushed", "tat"]).expect("tat");
    let _: () = redis.command(&["SCRIPT", "FLUSH"]).expect("flush");
    client
        .customers()
        .get(&id)
        .send()
        .await
        .expect("after the flush");
    let after: String = redis.command(&["HGET", "flushed", "tat"]).expect("tat");
    assert_ne!(
        before, after,
        "the second request reserved its slot in Redis"
    );
    assert_eq!(logged(&port(&redis), "unavailable"), 0);
    assert!(format!("{limiter:?}").contains("shared: true"));
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn a_key_of_another_type_means_a_warning_and_the_local_limit_until_it_is_fixed() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let _: () = redis
        .command(&["SET", "taken", "by something else"])
        .expect("set");
    let limiter = RedisLimiter::new(&redis.url()).expect("url").key("taken");
    let client = client(&mock, RateLimit::DEFAULT, Some(limiter.clone()));
    let id = mock.create_customer(serde_json::json!({"name": "Acme"}));
    for _ in 0..3 {
        client
            .customers()
            .get(&id)
            .send()
            .await
            .expect("paced locally");
    }
    assert_eq!(
        logged(&port(&redis), "WRONGTYPE"),
        1,
        "one warning for the outage"
    );
    assert!(format!("{limiter:?}").contains("shared: false"));

    let _: () = redis.command(&["DEL", "taken"]).expect("del");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    client.customers().get(&id).send().await.expect("on Redis");
    assert!(format!("{limiter:?}").contains("shared: true"));
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn a_429_anywhere_pauses_the_whole_fleet() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let (seen, other) = (
        RedisLimiter::new(&redis.url()).expect("url"),
        RedisLimiter::new(&redis.url()).expect("url"),
    );
    let _clients = [
        client(&mock, RateLimit::DEFAULT, Some(seen.clone())),
        client(&mock, RateLimit::DEFAULT, Some(other.clone())),
    ];
    seen.acquire().await;
    seen.throttled(Some(Duration::from_secs(2)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    other.acquire().await;
    let waited = start.elapsed();
    // 2 s from the 429 (100 ms ago), then one interval of the empty bucket.
    assert!(
        waited >= Duration::from_millis(1_900) && waited < Duration::from_millis(2_500),
        "{waited:?}"
    );
}

#[tokio::test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-redis -- --ignored"]
async fn the_first_process_s_limit_wins_and_a_disagreement_is_logged_once() {
    capture();
    let redis = RedisServer::start();
    let mock = mock(10.0).await;
    let (first, second) = (
        RedisLimiter::new(&redis.url()).expect("url").key("k"),
        RedisLimiter::new(&redis.url()).expect("url").key("k"),
    );
    let _clients = [
        client(&mock, RateLimit::per_second(10.0), Some(first.clone())),
        client(
            &mock,
            RateLimit::per_second(20.0).burst(20),
            Some(second.clone()),
        ),
    ];
    first.acquire().await;
    let start = Instant::now();
    for _ in 0..15 {
        second.acquire().await;
    }
    // 9 left of the stored burst of 10, then 6 at 9.8 per second.
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(550), "{took:?}");
    assert_eq!(logged(&port(&redis), "the stored limit wins"), 1);
}

// What needs no redis-server.

#[tokio::test]
async fn a_redis_that_is_not_there_costs_no_call() {
    capture();
    // A port nothing listens on.
    let port = alternative_payments_test_support::free_port();
    let mock = mock(5.0).await;
    let limiter = RedisLimiter::new(&format!("redis://127.0.0.1:{port}")).expect("url");
    let ((ok, failed), took) = fleet(&mock, RateLimit::DEFAULT, vec![Some(limiter)], 8).await;
    assert_eq!((ok, failed), (8, 0));
    assert_eq!(
        mock.stats().requests - mock.stats().rate_limited,
        8,
        "every call answered once"
    );
    // Paced locally at the whole limit, from an empty bucket: the process
    // takes over from a fleet that may have spent the API's burst (issue
    // #28), so 8 calls at 4.9/s, where a full bucket would send 4 at once.
    assert!(took >= Duration::from_millis(1_600), "{took:?}");
    assert_eq!(
        logged(&port.to_string(), "shared rate limit unavailable"),
        1
    );
}

#[test]
fn settings_that_cannot_work_fail_the_build() {
    let url = "redis://127.0.0.1:1";
    let build = |builder: alternative_payments::ClientBuilder| {
        builder
            .base_url("http://127.0.0.1:1")
            .build()
            .expect_err("refused")
            .to_string()
    };
    let id = || Client::builder().credentials(Credentials::client_credentials("id", "secret"));
    let limiter = || RedisLimiter::new(url).expect("url");
    let error = build(id().rate_limit(None).rate_limiter(limiter()));
    assert!(error.contains("rate_limit(None)"), "{error}");
    let error = build(id().rate_limiter(limiter().fleet_size(0)));
    assert!(error.contains("fleet_size(0)"), "{error}");
    let error = build(id().rate_limiter(limiter().timeout(Duration::ZERO)));
    assert!(error.contains("timeout(0)"), "{error}");
    let error = build(
        Client::builder()
            .credentials(Credentials::api_key("key"))
            .rate_limiter(limiter()),
    );
    assert!(error.contains("RedisLimiter::key"), "{error}");
}

#[test]
fn without_redis_server_the_tests_say_how_to_install_it() {
    let error = RedisServer::start_binary("redis-server-not-installed-here")
        .err()
        .expect("no such binary");
    assert!(error.contains("apt-get install -y redis-server"), "{error}");
}
