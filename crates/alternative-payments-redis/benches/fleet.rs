//! A fleet of processes on one API key, against the mock with the
//! provider's limit on (5 per second per client id), sharing the budget
//! through one real `redis-server` (issue #20):
//!
//! ```text
//! cargo bench -p alternative-payments-redis --bench fleet            # 4 and 16 processes, 400 gets each run
//! cargo bench -p alternative-payments-redis --bench fleet -- --smoke # 2 processes, 20 gets (CI)
//! ```
//!
//! Each run: the processes split the gets evenly, 16 at a time in each.
//! Reported from the server's count: requests and 429s; from the children:
//! calls that failed; efficiency = successful calls ÷ (wall s × 5); and
//! Redis round trips (`EVALSHA` calls, from `INFO commandstats`) per call.
//! Three modes: shared through Redis; Redis killed halfway through; and
//! no Redis (each process paces itself and adapts to 429s). It prints a
//! Markdown table for docs/benchmarks.md.

#[path = "../tests/redis_server.rs"]
mod redis_server;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alternative_payments::{Client, Credentials, RateLimit};
use alternative_payments_mock::MockServer;
use alternative_payments_redis::RedisLimiter;
use futures::StreamExt;
use redis_server::RedisServer;

const LIMIT: f64 = 5.0;
const CONCURRENCY: usize = 16;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Redis,
    RedisKilledHalfway,
    NoRedis,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Redis => "shared through Redis",
            Mode::RedisKilledHalfway => "Redis killed halfway",
            Mode::NoRedis => "no Redis (adaptation only)",
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let smoke = args.iter().any(|a| a == "--smoke");
    let (sizes, calls): (&[usize], usize) = if smoke { (&[2], 20) } else { (&[4, 16], 400) };

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mock = runtime.block_on(async {
        MockServer::builder()
            .rate_limit(LIMIT)
            .start()
            .await
            .expect("mock")
    });
    let id = mock.create_customer(serde_json::json!({"name": "Acme"}));
    let mut redis = RedisServer::start();

    println!(
        "| processes | mode | ok / failed | requests, 429s (in the first second) | efficiency | Redis round trips per call | wall |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for &processes in sizes {
        for mode in [Mode::Redis, Mode::RedisKilledHalfway, Mode::NoRedis] {
            redis.restart().expect("redis");
            // A new bucket per run, full, as for a key that was idle.
            mock.set_rate_limit(Some(LIMIT));
            mock.reset_stats();
            let before = redis.calls("evalsha");
            let start = Instant::now();
            let children: Vec<_> = (0..processes)
                .map(|_| {
                    Command::new(std::env::current_exe().expect("exe"))
                        .args([
                            "--child",
                            mock.base_url(),
                            mock.client_id(),
                            mock.client_secret(),
                            &id,
                            &(calls / processes).to_string(),
                            &if mode == Mode::NoRedis {
                                "none".into()
                            } else {
                                redis.url()
                            },
                            &processes.to_string(),
                        ])
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("child starts")
                })
                .collect();
            let mut trips = 0;
            if mode == Mode::RedisKilledHalfway {
                // Half the run's ideal length at the limit.
                std::thread::sleep(Duration::from_secs_f64(calls as f64 / LIMIT / 2.0));
                trips = redis.calls("evalsha") - before;
                redis.kill();
            }
            let (mut ok, mut failed) = (0, 0);
            for child in children {
                let output = child.wait_with_output().expect("child ends");
                let text = String::from_utf8_lossy(&output.stdout);
                let mut numbers = text
                    .split_whitespace()
                    .map(|n| n.parse::<usize>().expect("count"));
                ok += numbers.next().expect("ok");
                failed += numbers.next().expect("failed");
            }
            let wall = start.elapsed();
            if mode == Mode::Redis {
                trips = redis.calls("evalsha") - before;
            }
            let stats = mock.stats();
            let trips = match mode {
                Mode::NoRedis => "–".to_string(),
                // Of the calls made while Redis was up, about half.
                Mode::RedisKilledHalfway => format!("{trips} in the first half"),
                Mode::Redis => format!("{:.3}", trips as f64 / ok.max(1) as f64),
            };
            println!(
                "| {processes} | {} | {ok} / {failed} | {}, {} ({:.1} %) ({} in the first second) | {:.3} | {trips} | {:.1} s |",
                mode.name(),
                stats.requests,
                stats.rate_limited,
                100.0 * stats.rate_limited as f64 / stats.requests.max(1) as f64,
                stats.rate_limited_first_second,
                ok as f64 / (wall.as_secs_f64() * LIMIT),
                wall.as_secs_f64(),
            );
        }
    }
}

/// One process of the fleet: prints `ok failed`.
fn child(args: &[String]) {
    let [base_url, client_id, secret, id, calls, redis_url, fleet] = args else {
        panic!("--child URL ID SECRET CUSTOMER CALLS REDIS_URL|none FLEET_SIZE")
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut builder = Client::builder()
        .credentials(Credentials::client_credentials(
            client_id.as_str(),
            secret.as_str(),
        ))
        .base_url(base_url.as_str())
        .rate_limit(RateLimit::per_second(LIMIT));
    if redis_url != "none" {
        let limiter = RedisLimiter::new(redis_url)
            .expect("redis url")
            .fleet_size(fleet.parse().expect("fleet size"));
        builder = builder.rate_limiter(limiter);
    }
    let client = builder.build().expect("client");
    let calls: usize = calls.parse().expect("calls");
    let ok = runtime.block_on(async {
        futures::stream::iter(0..calls)
            .map(|_| {
                let client = client.clone();
                async move { client.customers().get(id).send().await.is_ok() }
            })
            .buffer_unordered(CONCURRENCY)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await
    });
    println!("{ok} {}", calls - ok);
}
