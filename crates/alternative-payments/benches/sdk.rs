//! Benchmarks of the SDK against hand-written baselines, each measured in
//! the same run and reported as a ratio.
//!
//! ```sh
//! cargo bench -p alternative-payments --bench sdk             # full run, prints a markdown report
//! cargo bench -p alternative-payments --bench sdk -- --write  # ... and writes docs/benchmarks.md
//! cargo bench -p alternative-payments --bench sdk -- --smoke  # tiny sizes (CI: keeps it from rotting)
//! cargo bench -p alternative-payments --bench sdk -- --limited  # only the workloads under the API's rate limit
//! cargo bench -p alternative-payments --bench sdk -- --instructions  # only the callgrind counts
//! ```
//!
//! A small harness rather than criterion or divan: every figure here is a
//! ratio of two things measured interleaved in one process (SDK vs
//! hand-written reqwest, stream vs naive loop), or a count (token
//! requests), or a peak RSS from child processes; those tools time one
//! function at a time and would need all of this written around them anyway.

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alternative_payments::types::Customer;
use alternative_payments::{Client, Credentials, DEFAULT_TIMEOUT, RateLimit, RetryPolicy};
use alternative_payments_mock::MockServer;
use futures::StreamExt;

struct Sizes {
    /// The API's limit in the rate-limited workloads (5 as documented; more
    /// in the smoke run, so it stays quick).
    limit: f64,
    /// Gets in each rate-limited workload, and customers in its export.
    limited_calls: usize,
    calls: usize,
    rounds: usize,
    stream_items: usize,
    rss_items: [usize; 2],
    decode_pages: usize,
    steady_hours: u64,
}

const FULL: Sizes = Sizes {
    limit: 5.0,
    limited_calls: 200,
    calls: 2000,
    rounds: 5,
    stream_items: 100_000,
    rss_items: [10_000, 100_000],
    decode_pages: 2000,
    steady_hours: 10,
};
const SMOKE: Sizes = Sizes {
    limit: 100.0,
    limited_calls: 40,
    calls: 20,
    rounds: 1,
    stream_items: 1_000,
    rss_items: [200, 400],
    decode_pages: 10,
    steady_hours: 1,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss-child") {
        return rss_child(&args[i + 1..]);
    }
    if let Some(i) = args.iter().position(|a| a == "--calls-child") {
        return calls_child(&args[i + 1..]);
    }
    if let Some(i) = args.iter().position(|a| a == "--limited-child") {
        return limited_child(&args[i + 1..]);
    }
    let smoke = args.iter().any(|a| a == "--smoke");
    let write = args.iter().any(|a| a == "--write");
    let sizes = if smoke { &SMOKE } else { &FULL };

    let mut report = String::new();
    let _ = writeln!(
        report,
        "| benchmark | SDK | baseline | ratio (SDK / baseline) | target |"
    );
    let _ = writeln!(report, "| --- | --- | --- | --- | --- |");
    let mut rows: Vec<String> = Vec::new();
    let mut emit = |row: String| {
        println!("{row}");
        rows.push(row);
    };

    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");

    if args.iter().any(|a| a == "--instructions") {
        // Only the instruction counts (callgrind; a few minutes).
        if let Some([sdk, unlimited, generated, baseline]) = instructions_per_call(smoke) {
            println!(
                "instructions per call: SDK {sdk:.0}, SDK without its limiter {unlimited:.0} ({:.4}), generated client {generated:.0}, hand-written {baseline:.0} ({:.3})",
                sdk / unlimited,
                sdk / baseline
            );
        }
        return;
    }
    if args.iter().any(|a| a == "--limited") {
        // Only the rate-limited workloads (a few minutes at the API's 5/s).
        rate_limited(&servers, &clients, sizes, &mut emit);
        return;
    }

    // 1. Per-call overhead.
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let id = mock.create_customer(
        serde_json::json!({ "name": "Acme", "email": "ap@acme.example", "city": "Paris" }),
    );
    // Runs with the SDK's timeout on both sides, by concurrency: the scale
    // curve below reuses them.
    let mut timed = std::collections::HashMap::new();
    for concurrency in [1, 64] {
        for (baseline_timeout, label) in [
            (None, "reqwest + serde_json, same headers"),
            (Some(DEFAULT_TIMEOUT), "same, with the SDK's 60 s timeout"),
        ] {
            let (sdk, baseline) =
                clients.block_on(per_call(&mock, &id, sizes, concurrency, baseline_timeout));
            if baseline_timeout.is_some() {
                timed.insert(concurrency, (sdk, baseline));
            }
            emit(format!(
                "| `customers().get(id)`, {} | {:.1} µs/call | {:.1} µs/call ({label}) | {:.3} | ≤ 1.05 |",
                if concurrency == 1 {
                    "sequential".to_string()
                } else {
                    format!("{concurrency} concurrent tasks")
                },
                sdk.as_secs_f64() * 1e6,
                baseline.as_secs_f64() * 1e6,
                sdk.as_secs_f64() / baseline.as_secs_f64()
            ));
        }
    }
    // The scale curve: one shared client, more and more tasks. The ratio
    // must not grow with concurrency.
    let curve: &[usize] = if smoke {
        &[1, 16]
    } else {
        &[1, 16, 64, 256, 1024]
    };
    for &concurrency in curve {
        let (sdk, baseline) = match timed.get(&concurrency) {
            Some(&measured) => measured,
            None => clients.block_on(per_call(
                &mock,
                &id,
                sizes,
                concurrency,
                Some(DEFAULT_TIMEOUT),
            )),
        };
        emit(format!(
            "| scale curve: {concurrency} concurrent tasks, one shared client | {:.0} calls/s | {:.0} calls/s (reqwest + serde_json, same timeout) | {:.3} (time) | flat |",
            1.0 / sdk.as_secs_f64(),
            1.0 / baseline.as_secs_f64(),
            sdk.as_secs_f64() / baseline.as_secs_f64()
        ));
    }
    drop(mock);
    match instructions_per_call(smoke) {
        Some([sdk, unlimited, generated, baseline]) => {
            emit(format!(
                "| `customers().get(id)`, instructions per call (callgrind, client and mock in one thread) | {sdk:.0} | {baseline:.0} (reqwest + serde_json, same headers, same timeout) | {:.3} | ≤ 1.05 |",
                sdk / baseline
            ));
            emit(format!(
                "| the rate limiter's cost when it does not wait (limiter on, unsaturated, vs off) | {sdk:.0} | {unlimited:.0} (`rate_limit(None)`) | {:.4} | ≤ 1.02 |",
                sdk / unlimited
            ));
            emit(format!(
                "| the generated client alone, no hooks (progenitor's share of the above) | {generated:.0} | {baseline:.0} (same) | {:.3} | (informational) |",
                generated / baseline
            ));
        }
        None => println!("(valgrind not found: instruction counts skipped)"),
    }

    // 2. Under the API's rate limit.
    rate_limited(&servers, &clients, sizes, &mut emit);

    // 3. Auto-pagination with prefetch vs a naive loop.
    let mock = servers.block_on(MockServer::start()).expect("mock");
    for i in 0..sizes.stream_items {
        mock.create_customer(serde_json::json!({ "name": format!("Customer {i}") }));
    }
    mock.set_latency(Duration::from_millis(2));
    let (stream, naive) = clients.block_on(pagination(&mock, sizes.stream_items));
    emit(format!(
        "| stream {} customers, pages of 100, 2 ms server latency + 2 ms work per page | {:.2} s | {:.2} s (fetch, process, fetch...) | {:.3} | ≤ 0.6 |",
        sizes.stream_items,
        stream.as_secs_f64(),
        naive.as_secs_f64(),
        stream.as_secs_f64() / naive.as_secs_f64()
    ));
    drop(mock);

    // Peak memory while streaming: flat in the number of pages. Measured in
    // child processes (peak RSS only grows), the mock in this one.
    let mut peaks = Vec::new();
    for n in sizes.rss_items {
        let mock = servers.block_on(MockServer::start()).expect("mock");
        for i in 0..n {
            mock.create_customer(serde_json::json!({ "name": format!("Customer {i}") }));
        }
        let output = Command::new(std::env::current_exe().expect("exe"))
            .args([
                "--rss-child",
                mock.base_url(),
                mock.client_id(),
                mock.client_secret(),
                &n.to_string(),
            ])
            .output()
            .expect("child runs");
        let kib: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| {
                panic!("child failed: {}", String::from_utf8_lossy(&output.stderr));
            });
        peaks.push(kib);
    }
    emit(format!(
        "| peak RSS streaming {} vs {} customers | {:.1} MiB | {:.1} MiB ({} customers) | {:.3} | flat (≈ 1) |",
        sizes.rss_items[1],
        sizes.rss_items[0],
        peaks[1] / 1024.0,
        peaks[0] / 1024.0,
        sizes.rss_items[0],
        peaks[1] / peaks[0]
    ));

    // 4. Token cache.
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let cold = clients.block_on(cold_calls(&mock));
    drop(mock);
    emit(format!(
        "| token requests for 1,000 concurrent cold calls | {cold} | 1,000 calls | {:.3} | exactly 1 request |",
        cold as f64 / 1000.0
    ));
    let (tokens, calls, api_requests) = steady_hours(sizes.steady_hours);
    emit(format!(
        "| {} simulated hours of calls every 10 s, 60-minute tokens (paused time) | {tokens} token requests; {} requests with an expired token | {calls} calls | {:.4} | ≤ {} token requests, 0 expired |",
        sizes.steady_hours,
        api_requests - calls,
        tokens as f64 / calls as f64,
        sizes.steady_hours + 2
    ));

    // 5. Decode throughput.
    let (typed, value) = decode(sizes.decode_pages);
    emit(format!(
        "| decode pages of 100 customers | {:.0} pages/s (SDK types) | {:.0} pages/s (`serde_json::Value`) | {:.3} (time) | (informational) |",
        1.0 / typed.as_secs_f64(),
        1.0 / value.as_secs_f64(),
        typed.as_secs_f64() / value.as_secs_f64()
    ));

    // 6. Regeneration.
    let (check, noop) = regeneration();
    emit(format!(
        "| `cargo xtask generate --check` | {:.2} s | {:.2} s (`cargo xtask help`) | {:.2} | (informational) |",
        check.as_secs_f64(),
        noop.as_secs_f64(),
        check.as_secs_f64() / noop.as_secs_f64()
    ));

    for row in &rows {
        report.push_str(row);
        report.push('\n');
    }
    if write {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/benchmarks.md");
        // The profile's reading and the builds section are written by hand
        // (the builds measured by scripts, not by this bench): kept as they are.
        let kept = std::fs::read_to_string(path)
            .ok()
            .and_then(|old| old.find(HAND_KEPT).map(|at| old[at..].to_string()))
            .unwrap_or_default();
        std::fs::write(path, document(&report) + &kept).expect("write docs/benchmarks.md");
        println!("wrote docs/benchmarks.md");
    }
}

/// The three workloads of issue #19 against the mock with its rate limit
/// on (per client id, as the API's per key): efficiency = successful calls
/// ÷ (wall seconds × limit), the 429s from the server's own count.
fn rate_limited(
    servers: &tokio::runtime::Runtime,
    clients: &tokio::runtime::Runtime,
    sizes: &Sizes,
    emit: &mut dyn FnMut(String),
) {
    let limited = servers
        .block_on(MockServer::builder().start())
        .expect("mock");
    let one = limited.create_customer(serde_json::json!({ "name": "Acme" }));
    for i in 0..sizes.limited_calls {
        limited.create_customer(serde_json::json!({ "name": format!("Export {i}") }));
    }
    let limit = sizes.limit;
    let n = sizes.limited_calls;
    for (pacing, label) in [
        (true, "SDK defaults"),
        (false, "client limiter off (429 handling only)"),
    ] {
        let run = |workload: &dyn Fn() -> Limited| {
            limited.set_rate_limit(Some(limit));
            limited.reset_stats();
            let started = Instant::now();
            let mut result = workload();
            result.wall = started.elapsed();
            result.stats = limited.stats();
            result
        };
        // A fresh client for each workload, as users have it.
        let client = || {
            limited_client(
                limited.base_url(),
                limited.client_id(),
                limited.client_secret(),
                limit,
                pacing,
            )
        };
        let a = run(&|| clients.block_on(gets(&client(), &one, n, 64)));
        emit(a.row(
            &format!("(a) {n} gets, 64 concurrent, one client; {label}"),
            limit,
            "0 failed, ≤ 1 % 429s, none in the first second, efficiency ≥ 0.97",
        ));
        let b = run(&|| limited_processes(&limited, &one, n, 4, limit, pacing));
        emit(b.row(
            &format!("(b) the same over 4 processes sharing the key; {label}"),
            limit,
            "0 failed, efficiency ≥ 0.90",
        ));
        let c = run(&|| clients.block_on(limited_export(&client(), &one, n)));
        emit(c.row(
            &format!("(c) export of {n} single-item pages while 16 tasks do {n} gets; {label}"),
            limit,
            "0 failed, ≤ 1 % 429s, none in the first second, efficiency ≥ 0.97",
        ));
    }
    drop(limited);
}

/// The SDK for the unlimited mock: no retries, and the rate limiter on but
/// never saturated, so what a call pays for it is in every figure.
fn sdk(mock: &MockServer) -> Client {
    Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::none())
        .rate_limit(RateLimit::per_second(1e6).burst(u32::MAX))
        .build()
        .expect("client")
}

/// A client as users have it, at the key's `limit`; with `pacing` off, its
/// limiter is off and only its 429 handling remains.
fn limited_client(base_url: &str, id: &str, secret: &str, limit: f64, pacing: bool) -> Client {
    Client::builder()
        .credentials(Credentials::client_credentials(id, secret))
        .base_url(base_url)
        .rate_limit(pacing.then(|| RateLimit::per_second(limit)))
        .build()
        .expect("client")
}

/// What a rate-limited workload did: calls, and the server's own counts.
#[derive(Default)]
struct Limited {
    ok: usize,
    failed: usize,
    wall: Duration,
    stats: alternative_payments_mock::MockStats,
}

impl Limited {
    fn row(&self, name: &str, limit: f64, target: &str) -> String {
        let share = self.stats.rate_limited as f64 / self.stats.requests.max(1) as f64;
        let efficiency = self.ok as f64 / (self.wall.as_secs_f64() * limit);
        format!(
            "| {name} | {} ok, {} failed, {:.1} s | server: {} requests, {} of them 429 ({:.1} %), {} in the first second | {efficiency:.3} (efficiency) | {target} |",
            self.ok,
            self.failed,
            self.wall.as_secs_f64(),
            self.stats.requests,
            self.stats.rate_limited,
            share * 100.0,
            self.stats.rate_limited_first_second,
        )
    }

    fn add(&mut self, result: alternative_payments::Result<()>) {
        match result {
            Ok(()) => self.ok += 1,
            Err(_) => self.failed += 1,
        }
    }
}

/// `calls` gets of `id`, `concurrency` at a time, through `client`.
async fn gets(client: &Client, id: &str, calls: usize, concurrency: usize) -> Limited {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, id, next) = (client.clone(), id.to_string(), next.clone());
            tokio::spawn(async move {
                let mut done = Limited::default();
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < calls {
                    done.add(client.customers().get(&id).send().await.map(drop));
                }
                done
            })
        })
        .collect();
    let mut total = Limited::default();
    for task in futures::future::join_all(tasks).await {
        let done = task.expect("task");
        total.ok += done.ok;
        total.failed += done.failed;
    }
    total
}

/// `calls` gets split over `processes` child processes, 64 concurrent in
/// all, sharing nothing but the server.
fn limited_processes(
    mock: &MockServer,
    id: &str,
    calls: usize,
    processes: usize,
    limit: f64,
    pacing: bool,
) -> Limited {
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(std::env::current_exe().expect("exe"))
                .args([
                    "--limited-child",
                    mock.base_url(),
                    mock.client_id(),
                    mock.client_secret(),
                    id,
                    &(calls / processes).to_string(),
                    &(64 / processes).to_string(),
                    &limit.to_string(),
                    if pacing { "paced" } else { "unpaced" },
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("child starts")
        })
        .collect();
    let mut total = Limited::default();
    for child in children {
        let output = child.wait_with_output().expect("child ends");
        let text = String::from_utf8_lossy(&output.stdout);
        let mut numbers = text
            .split_whitespace()
            .map(|n| n.parse::<usize>().expect("count"));
        total.ok += numbers.next().expect("ok");
        total.failed += numbers.next().expect("failed");
    }
    total
}

/// Child process of [`limited_processes`]: prints `ok failed`.
fn limited_child(args: &[String]) {
    let [
        base_url,
        client_id,
        secret,
        id,
        calls,
        concurrency,
        limit,
        pacing,
    ] = args
    else {
        panic!("--limited-child URL ID SECRET CUSTOMER CALLS CONCURRENCY LIMIT paced|unpaced")
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let limit: f64 = limit.parse().expect("limit");
    let client = limited_client(base_url, client_id, secret, limit, pacing == "paced");
    let done = runtime.block_on(gets(
        &client,
        id,
        calls.parse().expect("calls"),
        concurrency.parse().expect("concurrency"),
    ));
    println!("{} {}", done.ok, done.failed);
}

/// An export of `items` customers as single-item pages (`list().limit(1)
/// .stream()`) while 16 tasks make `items` gets, through one client.
async fn limited_export(client: &Client, id: &str, items: usize) -> Limited {
    let export = async {
        let mut pages = Limited::default();
        let mut stream = client.customers().list().limit(1).max_items(items).stream();
        while let Some(item) = stream.next().await {
            pages.add(item.map(drop));
        }
        if pages.ok < items {
            // The stream ended early: the rest of the export is lost.
            pages.failed += items - pages.ok - pages.failed.min(items - pages.ok);
        }
        pages
    };
    let (pages, got) = tokio::join!(export, gets(client, id, items, 16));
    Limited {
        ok: pages.ok + got.ok,
        failed: pages.failed + got.failed,
        ..Limited::default()
    }
}

async fn bearer(mock: &MockServer, http: &reqwest::Client) -> String {
    let body: serde_json::Value = http
        .post(format!("{}/oauth/token", mock.base_url()))
        .basic_auth(mock.client_id(), Some(mock.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    body["access_token"].as_str().expect("token").to_string()
}

/// Median time per call of the SDK and of hand-written reqwest (with
/// `timeout`, if any), in interleaved rounds that alternate which side goes
/// first, so both see the same machine state.
async fn per_call(
    mock: &MockServer,
    id: &str,
    sizes: &Sizes,
    concurrency: usize,
    timeout: Option<Duration>,
) -> (Duration, Duration) {
    let client = sdk(mock);
    let mut http = reqwest::Client::builder();
    if let Some(timeout) = timeout {
        http = http.timeout(timeout);
    }
    let http = http.build().expect("http");
    let token = Arc::new(bearer(mock, &http).await);
    let url = Arc::new(format!("{}/customers/{id}", mock.base_url()));
    let per_task = (sizes.calls / concurrency).max(4);
    let calls = (per_task * concurrency) as u32;
    let run_sdk = || async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, id) = (client.clone(), id.to_string());
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let c = client.customers().get(&id).send().await.expect("get");
                        std::hint::black_box(c);
                    }
                })
            })
            .collect();
        futures::future::join_all(tasks).await;
        started.elapsed() / calls
    };
    let run_baseline = || async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (http, url, token) = (http.clone(), url.clone(), token.clone());
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let c = baseline_get(&http, &url, &token).await;
                        std::hint::black_box(c);
                    }
                })
            })
            .collect();
        futures::future::join_all(tasks).await;
        started.elapsed() / calls
    };
    // Warm connections and the token cache.
    run_sdk().await;
    run_baseline().await;
    let (mut sdk_times, mut base_times) = (Vec::new(), Vec::new());
    for round in 0..sizes.rounds {
        if round % 2 == 0 {
            sdk_times.push(run_sdk().await);
            base_times.push(run_baseline().await);
        } else {
            base_times.push(run_baseline().await);
            sdk_times.push(run_sdk().await);
        }
    }
    (median(sdk_times), median(base_times))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

const WORK_PER_PAGE: Duration = Duration::from_millis(2);

async fn pagination(mock: &MockServer, items: usize) -> (Duration, Duration) {
    let client = sdk(mock);
    client
        .customers()
        .list()
        .limit(1)
        .send()
        .await
        .expect("warm up");

    let started = Instant::now();
    let mut stream = client.customers().list().limit(100).stream();
    let mut seen = 0;
    while let Some(customer) = stream.next().await {
        customer.expect("customer");
        seen += 1;
        if seen % 100 == 0 {
            tokio::time::sleep(WORK_PER_PAGE).await;
        }
    }
    assert_eq!(seen, items);
    let stream_time = started.elapsed();

    let started = Instant::now();
    let mut page = client
        .customers()
        .list()
        .limit(100)
        .send()
        .await
        .expect("page");
    let mut seen = 0;
    loop {
        seen += page.items().len();
        tokio::time::sleep(WORK_PER_PAGE).await;
        match page.next_page().await.expect("next") {
            Some(next) => page = next,
            None => break,
        }
    }
    assert_eq!(seen, items);
    (stream_time, started.elapsed())
}

/// Instructions per `get` call of the SDK, of the generated client alone
/// (no hooks: credentials and user agent as the HTTP client's default
/// headers) and of the hand-written baseline,
/// counted by callgrind: each side runs in a child process twice, with
/// `LOW` and `HIGH` calls, and the difference over `HIGH - LOW` calls is the
/// cost of one call, free of start-up (mock, runtime, token). Client and
/// mock share one current-thread runtime, so the count is repeatable.
/// `None` without valgrind.
fn instructions_per_call(smoke: bool) -> Option<[f64; 4]> {
    let (low, high) = if smoke { (5, 15) } else { (200, 1200) };
    let count = |side: &str, calls: usize| -> Option<f64> {
        let out = std::env::temp_dir().join(format!(
            "sdk-bench-callgrind.{side}.{calls}.{}",
            std::process::id()
        ));
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg("--quiet")
            .arg(std::env::current_exe().expect("exe"))
            .args(["--calls-child", side, &calls.to_string()])
            .status()
            .ok()?;
        assert!(status.success(), "callgrind child {side} {calls} failed");
        let text = std::fs::read_to_string(&out).expect("callgrind output");
        let _ = std::fs::remove_file(&out);
        let total = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals:")
                    .or_else(|| l.strip_prefix("summary:"))
            })
            .and_then(|t| t.trim().parse::<f64>().ok())
            .expect("callgrind totals");
        Some(total)
    };
    let per_call = |side: &str| -> Option<f64> {
        Some((count(side, high)? - count(side, low)?) / (high - low) as f64)
    };
    Some([
        per_call("sdk")?,
        per_call("sdk-unlimited")?,
        per_call("generated")?,
        per_call("baseline")?,
    ])
}

/// Child process: `calls` sequential `get` calls by the SDK or the baseline,
/// client and mock in one current-thread runtime.
fn calls_child(args: &[String]) {
    let [side, calls] = args else {
        panic!("--calls-child sdk|generated|baseline N")
    };
    let calls: usize = calls.parse().expect("N");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mock = MockServer::start().await.expect("mock");
        let id = mock.create_customer(
            serde_json::json!({ "name": "Acme", "email": "ap@acme.example", "city": "Paris" }),
        );
        let client = sdk(&mock);
        let unlimited = Client::builder()
            .credentials(Credentials::client_credentials(
                mock.client_id(),
                mock.client_secret(),
            ))
            .base_url(mock.base_url())
            .retry_policy(RetryPolicy::none())
            .rate_limit(None)
            .build()
            .expect("client");
        // The SDK's timeout on both sides: the timer is part of a call.
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .build()
            .expect("http");
        let token = bearer(&mock, &http).await;
        let url = format!("{}/customers/{id}", mock.base_url());
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {token}");
        headers.insert("authorization", bearer.parse().expect("header"));
        headers.insert("user-agent", "hand-written/1.0".parse().expect("header"));
        let generated = alternative_payments_raw::Client::new_with_client(
            mock.base_url(),
            reqwest::Client::builder()
                .timeout(DEFAULT_TIMEOUT)
                .default_headers(headers)
                .build()
                .expect("http"),
            alternative_payments_raw::Hooks::default(),
        );
        // Warm up: connections, token cache.
        client.customers().get(&id).send().await.expect("get");
        unlimited.customers().get(&id).send().await.expect("get");
        generated.get_customer().id(&id).send().await.expect("get");
        for _ in 0..calls {
            match side.as_str() {
                "sdk" => {
                    let c = client.customers().get(&id).send().await.expect("get");
                    std::hint::black_box(c);
                }
                "sdk-unlimited" => {
                    let c = unlimited.customers().get(&id).send().await.expect("get");
                    std::hint::black_box(c);
                }
                "generated" => {
                    let c = generated.get_customer().id(&id).send().await.expect("get");
                    std::hint::black_box(c.into_inner());
                }
                _ => {
                    let c = baseline_get(&http, &url, &token).await;
                    std::hint::black_box(c);
                }
            }
        }
    });
}

/// The hand-written call: the same headers the SDK sends (but progenitor's
/// api-version), so the server's work is the same.
async fn baseline_get(http: &reqwest::Client, url: &str, token: &str) -> Customer {
    let response = http
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "hand-written/1.0")
        .send()
        .await
        .expect("get");
    assert!(response.status().is_success());
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("decode")
}

/// Child process: stream every customer, print peak RSS (KiB).
fn rss_child(args: &[String]) {
    let [base_url, id, secret, expected] = args else {
        panic!("--rss-child URL ID SECRET N")
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let seen = runtime.block_on(async {
        // Memory, not pacing: the unlimited mock, the limiter off (at the
        // API's 5/s, 1,000 pages would take 200 s).
        let client = Client::builder()
            .credentials(Credentials::client_credentials(id, secret))
            .base_url(base_url)
            .rate_limit(None)
            .build()
            .expect("client");
        client
            .customers()
            .list()
            .limit(100)
            .stream()
            .fold(0usize, |n, c| async move {
                c.expect("customer");
                n + 1
            })
            .await
    });
    assert_eq!(seen.to_string(), *expected);
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    println!("{}", peak.split_whitespace().nth(1).expect("kB"));
}

async fn cold_calls(mock: &MockServer) -> usize {
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    let client = sdk(mock);
    let calls = (0..1000).map(|_| {
        let (client, id) = (client.clone(), id.clone());
        tokio::spawn(async move { client.customers().get(&id).send().await.expect("get") })
    });
    futures::future::join_all(calls).await;
    mock.requests_to("token").len()
}

/// Calls every 10 s for `hours` of paused time, mock in the same runtime so
/// its token expiry follows the same clock. Returns (token requests, calls,
/// API requests): API requests above calls were sent with a dead token.
fn steady_hours(hours: u64) -> (usize, usize, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mock = MockServer::builder()
            .token_lifetime(Duration::from_secs(3600))
            .start()
            .await
            .expect("mock");
        let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
        let client = Client::builder()
            .credentials(Credentials::client_credentials(
                mock.client_id(),
                mock.client_secret(),
            ))
            .base_url(mock.base_url())
            .http_client(
                reqwest::Client::builder()
                    .pool_idle_timeout(None)
                    .build()
                    .expect("http"),
            )
            // Paused time: a pending timer would fire while the client
            // waits on the server.
            .timeout(None)
            .deadline(None)
            .build()
            .expect("client");
        let calls = (hours * 3600 / 10) as usize;
        for _ in 0..calls {
            client.customers().get(&id).send().await.expect("get");
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        (
            mock.requests_to("token").len(),
            calls,
            mock.requests_to("getCustomer").len(),
        )
    })
}

fn decode(pages: usize) -> (Duration, Duration) {
    let page = serde_json::json!({
        "data": (0..100).map(|i| serde_json::json!({
            "id": format!("cus_{i:06}"), "name": format!("Customer {i}"), "email": format!("c{i}@example.com"),
            "external_id": format!("ext-{i}"), "created_at": "2026-11-21T10:00:00Z", "city": "Paris", "country": "FR",
            "default_payment_method_id": format!("pm_{i:06}")
        })).collect::<Vec<_>>(),
        "has_next_page": true, "has_previous_page": false, "start_cursor": "+/8AAAAAAAAAAf8=", "end_cursor": "+/8AAAAAAAABkP8="
    })
    .to_string();
    let (mut typed, mut value) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let started = Instant::now();
        for _ in 0..pages {
            let p: alternative_payments_raw::types::CustomerPage =
                serde_json::from_str(&page).expect("typed");
            std::hint::black_box(p);
        }
        typed.push(started.elapsed() / pages as u32);
        let started = Instant::now();
        for _ in 0..pages {
            let p: serde_json::Value = serde_json::from_str(&page).expect("value");
            std::hint::black_box(p);
        }
        value.push(started.elapsed() / pages as u32);
    }
    (median(typed), median(value))
}

fn regeneration() -> (Duration, Duration) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let time = |args: &[&str]| {
        let started = Instant::now();
        let status = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(root)
            .output()
            .expect("cargo runs");
        assert!(
            status.status.success(),
            "cargo {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        started.elapsed()
    };
    time(&["xtask", "help"]); // builds the xtask if needed
    let noop = time(&["xtask", "help"]);
    (time(&["xtask", "generate", "--check"]), noop)
}

/// Where the hand-kept part of docs/benchmarks.md starts.
const HAND_KEPT: &str = "\n## Per-call overhead: where the instructions go\n";

fn document(table: &str) -> String {
    let sh = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!(
        "# Benchmarks\n\n\
         Measured by `cargo bench -p alternative-payments --bench sdk -- --write` on {date}, on {cores} cores of {cpu}, \
         {memory} of memory, {rustc}. Everything runs against the in-process mock server over loopback; each figure is \
         a ratio to a baseline measured in the same run (medians of interleaved rounds where timed).\n\n{table}\n\
         How to read them:\n\n\
         - **Per-call overhead** compares `client.customers().get(id).send()` (token cache, hooks, retry bookkeeping, \
           error-body handling) with a hand-written `reqwest` GET plus `serde_json` decode of the same `Customer` type, \
           both against the same server.\n\
         - **Auto-pagination**: the stream fetches the next page while the consumer works on the current one, so with \
           equal fetch and work time it approaches half the naive loop's time.\n\
         - **Peak RSS** is that of a child process that only streams (the mock with its data lives in the parent): \
           10× the pages must not cost 10× the memory.\n\
         - **Token cache**: requests to the token endpoint. In the simulated hours, a call made with an expired token \
           would show up as an extra (refused, replayed) API request.\n\
         - **Decode** and **regeneration** are informational (no target).\n\
         - **Instructions per call** are counted by `valgrind --tool=callgrind` (repeatable to a few instructions, \
           unlike wall clock on this 2-core machine, which moves by ±20 % between rounds): each side runs 200 and \
           1,200 sequential calls in child processes, client and mock in one current-thread runtime, and the \
           difference over 1,000 calls is one call, server side included. The *generated client alone* is \
           progenitor's client with no hooks (token and user agent as default headers): what remains when none of \
           this crate's code runs.\n\
         - **Scale curve**: calls per second through one shared client as the number of tasks grows; the ratio \
           must not grow with concurrency (it is noisy: each figure is the median of 5 interleaved rounds). The \
           mock has no rate limit here, and the client's limiter is on but never waits (10⁶ per second); the \
           *limiter's cost* row compares that with the limiter off, in instructions.\n\
         - **Under the API's rate limit** (`-- --limited` runs only these): the mock enforces 5 requests per \
           second per client id, 429 with `Retry-After` beyond, as the API does per key. (a) 200 gets, 64 \
           concurrent, through one client; (b) the same split over 4 processes of 16 tasks each, on one key, \
           sharing nothing but the server; (c) an export of 200 single-item pages while 16 tasks make 200 gets, \
           one client. Requests and 429s are the server's own count; efficiency = successful calls ÷ (wall \
           seconds × 5). Each runs with the SDK's defaults, then with its limiter off, which leaves only the \
           429 handling (retries with `Retry-After`, the retry budget): the failures there are calls whose \
           retries the budget refused.\n",
        date = sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        rustc = sh("rustc", &["--version"]),
    )
}
