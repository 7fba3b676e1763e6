//! The fault matrix: every operation against every fault, with the
//! documented outcome asserted: attempts made, delay honoured (paused tokio
//! time), error kind, and that a create never happened twice.
//!
//! The table it produces is `docs/reliability.md`; the test fails if that
//! file is stale (`UPDATE_DOCS=1 cargo test -p alternative-payments-tests
//! fault_matrix` rewrites it).

use std::fmt::Write as _;
use std::time::Duration;

use alternative_payments::{Client, Credentials, Error, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer};
use alternative_payments_raw::operations::{Operation, RetryClass};
use alternative_payments_test_support::{Repeat, fixture, seed};
use serde_json::json;

/// The spec's operation, by operationId (every case is named by it).
fn operation(op: &str) -> Operation {
    Operation::from_operation_id(op).expect("an operation of the table")
}

/// Operations that must not be sent twice after an unknown outcome (the
/// creates without an idempotency key), as the spec's table classes them.
fn creates(op: &str) -> bool {
    writes_records(op) && operation(op).idempotency_key().is_none()
}

/// Operations that create a record (not idempotent by their method), with
/// or without an idempotency key: one call must leave at most one record,
/// exactly one where the server carried it out. A charge (createPayment)
/// is one: resent with its key after a lost answer, it must not charge
/// twice.
fn writes_records(op: &str) -> bool {
    operation(op).retry_class() == RetryClass::NotIdempotent
}

fn success_status(op: &str) -> u16 {
    operation(op).success_status()
}

fn enqueue(mock: &MockServer, op: &str, responses: impl IntoIterator<Item = MockResponse>) {
    mock.enqueue(op, responses)
        .expect("the mock knows the operation");
}

/// What a case must end in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Ok,
    Api(u16),
    Auth,
    Transport,
    Timeout,
    Decode,
}

/// The documented behaviour for one fault and one operation.
#[derive(Clone, Copy, Debug)]
struct Expect {
    outcome: Outcome,
    /// Requests the API saw (token requests excluded).
    attempts: usize,
    token_requests: usize,
    /// Bounds of the wait between attempts, in virtual time.
    waited: (Duration, Duration),
    /// The error must say the request may have taken effect
    /// (`Error::outcome_unknown`).
    outcome_unknown: bool,
}

impl Expect {
    fn unknown(self) -> Self {
        Self {
            outcome_unknown: true,
            ..self
        }
    }
}

const NO_WAIT: (Duration, Duration) = (Duration::ZERO, Duration::ZERO);
/// One backoff before the first retry: 0.5 s with 50-100 % jitter.
const ONE_BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_millis(500));
/// Two backoffs: 0.5 s and 1 s, jittered.
const TWO_BACKOFFS: (Duration, Duration) =
    (Duration::from_millis(750), Duration::from_millis(1500));

fn expect(
    outcome: Outcome,
    attempts: usize,
    token_requests: usize,
    waited: (Duration, Duration),
) -> Expect {
    Expect {
        outcome,
        attempts,
        token_requests,
        waited,
        outcome_unknown: false,
    }
}

struct Fault {
    name: &'static str,
    /// Prepares the mock (queues responses) for `op`.
    inject: fn(&MockServer, &str),
    expect: fn(&str) -> Expect,
    /// How the table describes the outcome for reads and for creates.
    reads: &'static str,
    create: &'static str,
    needs_real_time: bool,
    dead_server: bool,
    /// The server carries the request out before the fault hits its
    /// answer: a create leaves exactly one record.
    after_effect: bool,
    /// The row's cases run at once (real-time waits of a second or more).
    concurrent: bool,
}

fn retried_once_or_refused(op: &str, waited: (Duration, Duration), status: u16) -> Expect {
    if creates(op) {
        // A 5xx may follow the effect.
        expect(Outcome::Api(status), 1, 1, NO_WAIT).unknown()
    } else {
        expect(Outcome::Ok, 2, 1, waited)
    }
}

fn faults() -> Vec<Fault> {
    let mut faults = vec![
        Fault {
            name: "the API's rate limit (the mock's own, 5/s), the client's burst used up",
            inject: |mock, _| {
                mock.set_rate_limit(Some(5.0));
                mock.drain_rate_limit(mock.client_id());
            },
            // Real time: the mock's bucket refills on its own clock.
            expect: |_| expect(Outcome::Ok, 2, 1, NO_WAIT),
            reads: "429 with `Retry-After: 1`; the client's limiter pauses 1-1.2 s and slows down; retried, succeeds (2 attempts)",
            create: "retried like a read: exactly one record",
            needs_real_time: true,
            dead_server: false,
            after_effect: true,
            concurrent: true,
        },
        Fault {
            name: "429 with `Retry-After: 2`",
            inject: |mock, op| {
                enqueue(
                    mock,
                    op,
                    [MockResponse::status(429).header("retry-after", "2")],
                )
            },
            // The client's limiter pauses for 2 s plus up to 20 % jitter,
            // then paces at its slowed rate (one token at 3.5/s).
            expect: |_| {
                expect(
                    Outcome::Ok,
                    2,
                    1,
                    (Duration::from_secs(2), Duration::from_millis(2_700)),
                )
            },
            reads: "the client's limiter pauses 2-2.4 s (jitter) and slows down; retried, succeeds (2 attempts)",
            create: "retried like a read (a 429 is refused before processing): exactly one record",
            needs_real_time: false,
            dead_server: false,
            after_effect: true,
            concurrent: false,
        },
        Fault {
            name: "429 with `Retry-After: <HTTP date 3 s ahead>`",
            inject: |mock, op| {
                enqueue(
                    mock,
                    op,
                    [MockResponse::status(429)
                        .header("retry-after", &crate::common::http_date_in(3))],
                )
            },
            expect: |_| {
                // 3-4 s ahead when written, less the real time (well under
                // a second) before the client reads it; jitter and pacing.
                expect(
                    Outcome::Ok,
                    2,
                    1,
                    (Duration::from_secs(2), Duration::from_millis(5_100)),
                )
            },
            reads: "retried when the date comes (3-4 s, whole seconds on the wire, +0-20 %); succeeds",
            create: "retried like a read: exactly one record",
            needs_real_time: false,
            dead_server: false,
            after_effect: true,
            concurrent: false,
        },
    ];
    for (status, name) in [
        (500, "500 once, then success"),
        (502, "502 once, then success"),
        (503, "503 once, then success"),
        (504, "504 once, then success"),
    ] {
        faults.push(Fault {
            name,
            inject: match status {
                500 => |mock: &MockServer, op: &str| enqueue(mock, op, [MockResponse::status(500)]),
                502 => |mock: &MockServer, op: &str| enqueue(mock, op, [MockResponse::status(502)]),
                503 => |mock: &MockServer, op: &str| enqueue(mock, op, [MockResponse::status(503)]),
                _ => |mock: &MockServer, op: &str| enqueue(mock, op, [MockResponse::status(504)]),
            },
            expect: match status {
                500 => |op: &str| retried_once_or_refused(op, ONE_BACKOFF, 500),
                502 => |op: &str| retried_once_or_refused(op, ONE_BACKOFF, 502),
                503 => |op: &str| retried_once_or_refused(op, ONE_BACKOFF, 503),
                _ => |op: &str| retried_once_or_refused(op, ONE_BACKOFF, 504),
            },
            reads: "retried after a 0.25-0.5 s backoff; succeeds (2 attempts)",
            create: "not retried: `Error::Api`, retryable, `outcome_unknown()` (1 attempt)",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        });
    }
    faults.extend([
        Fault {
            name: "400 with an API error body",
            inject: |mock, op| enqueue(mock, op, [MockResponse::status(400)]),
            expect: |_| expect(Outcome::Api(400), 1, 1, NO_WAIT),
            reads: "`Error::Api` 400 with code and message; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "404",
            inject: |mock, op| enqueue(mock, op, [MockResponse::status(404)]),
            expect: |_| expect(Outcome::Api(404), 1, 1, NO_WAIT),
            reads: "`Error::Api` 404, `is_not_found()`; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "422 with `validation_errors`",
            inject: |mock, op| {
                let body = json!({ "code": "validation_failed", "message": "invalid", "validation_errors": { "email": "is invalid" } });
                enqueue(mock, op, [MockResponse::raw(422, "application/json", body.to_string())]);
            },
            expect: |_| expect(Outcome::Api(422), 1, 1, NO_WAIT),
            reads: "`Error::Api` 422 with `validation_errors[\"email\"]`; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "connection refused",
            inject: |_, _| {},
            expect: |_| expect(Outcome::Transport, 0, 0, TWO_BACKOFFS),
            reads: "`Error::Transport` after 3 attempts (0.75-1.5 s of backoff)",
            create: "same: a refused connection provably never reached the server",
            needs_real_time: false,
            dead_server: true,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "connection reset mid-response",
            inject: |mock, op| enqueue(mock, op, [MockResponse::drop_connection()]),
            expect: |op| {
                if creates(op) { expect(Outcome::Transport, 1, 1, NO_WAIT).unknown() } else { expect(Outcome::Ok, 2, 1, ONE_BACKOFF) }
            },
            reads: "retried after a backoff; succeeds (2 attempts)",
            create: "not retried: `Error::Transport`, `outcome_unknown()` (1 attempt)",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "server stalls past the timeout (500 ms)",
            inject: |mock, op| enqueue(mock, op, (0..3).map(|_| MockResponse::stall(Duration::from_secs(2)))),
            expect: |op| {
                if creates(op) { expect(Outcome::Timeout, 1, 1, NO_WAIT).unknown() } else if changes_state(op) { expect(Outcome::Timeout, 3, 1, NO_WAIT).unknown() } else { expect(Outcome::Timeout, 3, 1, NO_WAIT) }
            },
            reads: "`Error::Timeout` after 3 attempts (`outcome_unknown()` for writes)",
            create: "`Error::Timeout`, `outcome_unknown()`, after 1 attempt (the create may have arrived)",
            needs_real_time: true,
            dead_server: false,
            after_effect: false,
            concurrent: true,
        },
        Fault {
            name: "truncated JSON with 200/201",
            inject: |mock, op| enqueue(mock, op, [MockResponse::raw(success_status(op), "application/json", "{\"id\": \"cus_")]),
            expect: |_| expect(Outcome::Decode, 1, 1, NO_WAIT),
            reads: "`Error::Decode` with status and body snippet; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "HTML error page with 200/201",
            inject: |mock, op| enqueue(mock, op, [MockResponse::raw(success_status(op), "text/html", "<html><body>Bad gateway</body></html>")]),
            expect: |_| expect(Outcome::Decode, 1, 1, NO_WAIT),
            reads: "`Error::Decode` with status and body snippet; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "empty body with 200/201",
            inject: |mock, op| enqueue(mock, op, [MockResponse::raw(success_status(op), "application/json", "")]),
            expect: |_| expect(Outcome::Decode, 1, 1, NO_WAIT),
            reads: "`Error::Decode`; not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "10 MB body",
            inject: |mock, op| {
                let body = format!("{{\"id\": \"id_1\", \"padding\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
                enqueue(mock, op, [MockResponse::raw(success_status(op), "application/json", body)]);
            },
            expect: |_| expect(Outcome::Ok, 1, 1, NO_WAIT),
            reads: "decoded (the unknown 10 MB field is ignored); 1 attempt",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "token endpoint down (503)",
            inject: |mock, _| enqueue(mock, "token", (0..3).map(|_| MockResponse::status(503))),
            expect: |_| expect(Outcome::Auth, 0, 3, TWO_BACKOFFS),
            reads: "`Error::Auth`, retryable, after 3 token requests; the API is never called",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "token endpoint returns non-JSON",
            inject: |mock, _| enqueue(mock, "token", [MockResponse::raw(200, "text/html", "<html>login</html>")]),
            expect: |_| expect(Outcome::Auth, 0, 1, NO_WAIT),
            reads: "`Error::Auth` (invalid response, token never quoted); not retried",
            create: "same",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "401 with a token that had not expired",
            inject: |mock, op| enqueue(mock, op, [MockResponse::status(401)]),
            expect: |_| expect(Outcome::Ok, 2, 2, NO_WAIT),
            reads: "token replaced, request replayed once; succeeds",
            create: "same (a 401 is refused before processing: nothing was created)",
            needs_real_time: false,
            dead_server: false,
            after_effect: false,
            concurrent: false,
        },
        Fault {
            name: "500 after the effect (the server acted; its answer is lost)",
            inject: |mock, op| enqueue(mock, op, [MockResponse::status(500).after_handling()]),
            expect: |op| after_effect(op, Outcome::Api(500), ONE_BACKOFF),
            reads: AFTER_EFFECT_RETRIED,
            create: "not retried: `Error::Api` 500, `outcome_unknown()`; exactly 1 record",
            needs_real_time: false,
            dead_server: false,
            after_effect: true,
            concurrent: false,
        },
        Fault {
            name: "connection dropped after the effect",
            inject: |mock, op| enqueue(mock, op, [MockResponse::drop_connection().after_handling()]),
            expect: |op| after_effect(op, Outcome::Transport, ONE_BACKOFF),
            reads: AFTER_EFFECT_RETRIED,
            create: "not retried: `Error::Transport`, `outcome_unknown()`; exactly 1 record",
            needs_real_time: false,
            dead_server: false,
            after_effect: true,
            concurrent: false,
        },
        Fault {
            name: "answer stalled past the timeout after the effect",
            inject: |mock, op| enqueue(mock, op, [MockResponse::stall(Duration::from_secs(2)).after_handling()]),
            expect: |op| after_effect(op, Outcome::Timeout, (Duration::ZERO, Duration::MAX)),
            reads: AFTER_EFFECT_RETRIED,
            create: "not retried: `Error::Timeout`, `outcome_unknown()`; exactly 1 record",
            needs_real_time: true,
            dead_server: false,
            after_effect: true,
            concurrent: true,
        },
    ]);
    faults
}

const AFTER_EFFECT_RETRIED: &str = "retried; succeeds (2 attempts). Archive, restore: the retry is answered 400 (already done), an `Error::Api` whose `outcome_unknown()` is true";

/// Writes, whose effect a lost answer can hide.
fn changes_state(op: &str) -> bool {
    operation(op).changes_state()
}

fn after_effect(op: &str, lost: Outcome, waited: (Duration, Duration)) -> Expect {
    match fixture(operation(op)).repeat {
        Repeat::NotResent => expect(lost, 1, 1, NO_WAIT).unknown(),
        Repeat::Same => expect(Outcome::Ok, 2, 1, waited),
        Repeat::Refused(status) => expect(Outcome::Api(status), 2, 1, waited).unknown(),
    }
}

fn outcome_of(result: &Result<(), Error>) -> Outcome {
    match result {
        Ok(()) => Outcome::Ok,
        Err(e) => error_kind(e),
    }
}

fn error_kind(error: &Error) -> Outcome {
    match error {
        Error::Api(api) => Outcome::Api(api.status.as_u16()),
        Error::Auth(_) => Outcome::Auth,
        Error::Transport { .. } => Outcome::Transport,
        Error::Timeout { .. } => Outcome::Timeout,
        Error::Decode { .. } => Outcome::Decode,
        // A charge's error carries its key; the outcome is its source's.
        Error::Keyed { source, .. } => error_kind(source),
        other => panic!("unexpected error kind: {other:?}"),
    }
}

/// The attempt timeout of the rows that run in real time: far below the
/// 2 s stalls that must exceed it, and far above what a loaded machine
/// takes to answer (at 100 ms, 32 concurrent cases on a busy machine timed
/// out before the server answered). Those rows run their cases
/// concurrently, so a row costs about one case's time.
const REAL_TIME_TIMEOUT: Duration = Duration::from_millis(500);

/// Runs one case; returns what went wrong, if anything.
fn run_case(servers: &tokio::runtime::Runtime, fault: &Fault, op: &str) -> Option<String> {
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let ids = seed(&mock);
    (fault.inject)(&mock, op);
    let expect = (fault.expect)(op);
    let base_url = if fault.dead_server {
        format!(
            "http://127.0.0.1:{}",
            alternative_payments_test_support::free_port()
        )
    } else {
        mock.base_url().to_string()
    };
    let credentials = if fault.dead_server {
        Credentials::api_key("no-server-to-ask")
    } else {
        Credentials::client_credentials(mock.client_id(), mock.client_secret())
    };
    // Real time only where a timeout must fire; elsewhere paused time with a
    // timer-free HTTP client, so waits are measured exactly and cost nothing.
    let mut builder = Client::builder()
        .credentials(credentials)
        .base_url(base_url)
        .http_client(crate::sdk::timerless_http());
    builder = if fault.needs_real_time {
        builder
            .timeout(REAL_TIME_TIMEOUT)
            .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(5)))
    } else {
        // No timers of the client's own (a deadline would fire as soon as
        // paused time sees nothing else to do); the rate limiter stays on,
        // as users have it.
        builder.timeout(None).deadline(None)
    };
    let client = builder.build().expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(!fault.needs_real_time)
        .build()
        .expect("runtime");
    let before = mock.record_counts();
    let (result, waited) = runtime.block_on(async {
        let started = tokio::time::Instant::now();
        let result = alternative_payments_test_support::call(operation(op), &client, &ids).await;
        (result, started.elapsed())
    });

    let mut problems = Vec::new();
    let outcome = outcome_of(&result);
    if outcome != expect.outcome {
        problems.push(format!(
            "outcome {outcome:?} ({result:?}), expected {:?}",
            expect.outcome
        ));
    }
    let attempts = mock.requests_to(op).len();
    if attempts != expect.attempts {
        problems.push(format!("{attempts} attempts, expected {}", expect.attempts));
    }
    let token_requests = mock.requests_to("token").len();
    if token_requests != expect.token_requests {
        problems.push(format!(
            "{token_requests} token requests, expected {}",
            expect.token_requests
        ));
    }
    if !fault.needs_real_time && !(expect.waited.0..=expect.waited.1).contains(&waited) {
        problems.push(format!(
            "waited {waited:?}, expected {:?}..={:?}",
            expect.waited.0, expect.waited.1
        ));
    }
    // Every kind of record, counted generically: a duplicated create of
    // any resource shows.
    let created: usize = mock
        .record_counts()
        .iter()
        .map(|(kind, n)| n.saturating_sub(before.get(kind).copied().unwrap_or(0)))
        .sum();
    if let Some(problem) = duplicates(created, fault.after_effect && writes_records(op)) {
        problems.push(problem);
    }
    if let Err(e) = &result
        && e.outcome_unknown() != expect.outcome_unknown
    {
        problems.push(format!(
            "outcome_unknown() is {}, expected {}",
            e.outcome_unknown(),
            expect.outcome_unknown
        ));
    }
    match (&result, expect.outcome) {
        (Err(e), Outcome::Api(404)) if !e.is_not_found() => {
            problems.push("is_not_found() is false".into())
        }
        (Err(e), Outcome::Api(422))
            if e.api()
                .is_none_or(|a| !a.validation_errors.contains_key("email")) =>
        {
            problems.push("validation_errors lost".into());
        }
        _ => {}
    }
    (!problems.is_empty()).then(|| format!("{} / {op}: {}", fault.name, problems.join("; ")))
}

/// What is wrong with `created` records after one call, if anything: never
/// more than one, and exactly one where the server carried the create out.
fn duplicates(created: usize, carried_out: bool) -> Option<String> {
    if created > 1 {
        Some(format!("{created} records created by one create"))
    } else if carried_out && created != 1 {
        Some(format!(
            "{created} records after a create the server carried out"
        ))
    } else {
        None
    }
}

const START: &str = "<!-- fault-matrix:start -->";
const END: &str = "<!-- fault-matrix:end -->";

#[test]
fn fault_matrix() {
    // The mock serves from its own runtime and thread, so the clients'
    // paused clocks see no server timers.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let faults = faults();
    let mut failures = Vec::new();
    let mut table = String::new();
    let operations = Operation::ALL.map(Operation::operation_id);
    let not_idempotent = operations.iter().filter(|op| creates(op)).count();
    let _ = writeln!(
        table,
        "| fault | idempotent operations ({}) | creates: not idempotent ({not_idempotent}) | cases passing |",
        operations.len() - not_idempotent
    );
    let _ = writeln!(table, "| --- | --- | --- | --- |");
    let mut passing = 0;
    for fault in &faults {
        let mut row_passing = 0;
        let results: Vec<Option<String>> = if fault.concurrent {
            std::thread::scope(|scope| {
                let cases: Vec<_> = operations
                    .iter()
                    .map(|op| scope.spawn(|| run_case(&servers, fault, op)))
                    .collect();
                cases
                    .into_iter()
                    .map(|case| case.join().expect("case thread"))
                    .collect()
            })
        } else {
            operations
                .iter()
                .map(|op| run_case(&servers, fault, op))
                .collect()
        };
        for result in results {
            match result {
                Some(failure) => failures.push(failure),
                None => row_passing += 1,
            }
        }
        passing += row_passing;
        let _ = writeln!(
            table,
            "| {} | {} | {} | {row_passing}/{} |",
            fault.name,
            fault.reads,
            fault.create,
            operations.len()
        );
    }
    let total = faults.len() * operations.len();
    let _ = writeln!(
        table,
        "\n{} faults × {} operations = {total} cases, {passing} passing.",
        faults.len(),
        operations.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reliability.md");
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let (Some(start), Some(end)) = (current.find(START), current.find(END)) else {
        panic!("docs/reliability.md has no {START} ... {END} section");
    };
    let fresh = format!("{}{START}\n{table}{}", &current[..start], &current[end..]);
    if fresh != current {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, fresh).expect("write docs/reliability.md");
        } else {
            panic!(
                "docs/reliability.md is stale: run `UPDATE_DOCS=1 cargo test -p alternative-payments-tests fault_matrix` and commit it"
            );
        }
    }
}

#[test]
fn the_duplicate_check_sees_a_resent_create() {
    // What a client that resends creates would do after a lost answer: the
    // second copy makes a second record, and the matrix's check says so.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mock = MockServer::start().await.expect("mock");
        enqueue(
            &mock,
            "createCustomer",
            [MockResponse::drop_connection().after_handling()],
        );
        let client = Client::builder()
            .credentials(Credentials::client_credentials(
                mock.client_id(),
                mock.client_secret(),
            ))
            .base_url(mock.base_url())
            .build()
            .expect("client");
        let ids = seed(&mock);
        let before = mock.customer_count();
        let lost =
            alternative_payments_test_support::call(Operation::CreateCustomer, &client, &ids).await;
        assert!(lost.as_ref().is_err_and(Error::outcome_unknown), "{lost:?}");
        alternative_payments_test_support::call(Operation::CreateCustomer, &client, &ids)
            .await
            .expect("the resent create");
        let created = mock.customer_count() - before;
        assert_eq!(
            duplicates(created, true).as_deref(),
            Some("2 records created by one create")
        );
        assert_eq!(duplicates(1, true), None);
        assert_eq!(
            duplicates(0, true).as_deref(),
            Some("0 records after a create the server carried out")
        );
    });
}
