//! Fuzzing on stable, inside `cargo test`: whatever a server answers, the
//! SDK returns a value or a typed error, never panics, and honours
//! `Retry-After` within its cap. Responses are served over real HTTP by the
//! mock, so the SDK's own code runs (retry loop, body limits, decoding,
//! error conversion), not only serde's derives.
//!
//! Each target replays its committed corpus (`tests/fuzz-corpus/<target>/`,
//! one input per file), then searches for 500 ms with
//! [arbtest](https://docs.rs/arbtest). Longer, on demand:
//! `ARBTEST_BUDGET_MS=60000 cargo test -p alternative-payments-tests fuzz_`.
//! A failure prints a seed (`ARBTEST_SEED=0x... cargo test ... fuzz_<target>`
//! replays it); save the input that broke it into the corpus once fixed.
//! The pipeline's parsers have their own targets in xtask/src/fuzz.rs.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use alternative_payments::{Client, ClientBuilder, Credentials, Error, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer, TOKEN};
use alternative_payments_raw::operations::Operation;
use alternative_payments_test_support::fuzz;
use arbitrary::{Result, Unstructured};
use serde_json::{Value, json};

// Sized so each target tries at least as many inputs as 500 ms did when
// dependencies were built with opt-level 1 (issue #11 builds them at 0).
const DEFAULT_BUDGET_MS: u64 = 1400;

/// The committed inputs of `target`.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    fuzz::corpus(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus"),
        target,
    )
}

/// Searches with `property` for the time budget.
fn search(target: &str, property: impl FnMut(&mut Unstructured<'_>) -> Result<()>) {
    fuzz::search(target, DEFAULT_BUDGET_MS, property)
}

/// A mock serving from its own runtime, and a client on a paused clock (waits
/// cost nothing and are measured exactly), kept across inputs: one per
/// target, as targets run in parallel and queue faults on the same
/// operations.
struct Served {
    _server_runtime: tokio::runtime::Runtime,
    mock: MockServer,
    ids: alternative_payments_test_support::Ids,
    runtime: tokio::runtime::Runtime,
    client: Client,
    http: reqwest::Client,
}

fn start_mock(slot: &'static OnceLock<Served>, retry: &RetryPolicy) -> &'static Served {
    slot.get_or_init(|| {
        let server_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mock = server_runtime.block_on(MockServer::start()).expect("mock");
        let ids = alternative_payments_test_support::seed(&mock);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let http = crate::sdk::timerless_http();
        let client = client(&mock, &http, retry.clone());
        Served {
            http,
            _server_runtime: server_runtime,
            mock,
            ids,
            runtime,
            client,
        }
    })
}

fn client(mock: &MockServer, http: &reqwest::Client, retry: RetryPolicy) -> Client {
    builder(mock, http, retry).build().expect("client")
}

fn builder(mock: &MockServer, http: &reqwest::Client, retry: RetryPolicy) -> ClientBuilder {
    Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .retry_policy(retry)
        .timeout(None)
        .deadline(None)
        .rate_limit(None)
        .http_client(http.clone())
}

/// Runs `operation` once against `slot`'s mock, which answers `responses`
/// (to the operation, or to [`TOKEN`]), with `retry` (the same for every
/// input of a target); a fresh client (no cached token) when `fresh`. Returns the result and the time it took on the paused clock.
fn run(
    slot: &'static OnceLock<Served>,
    queue_on: &str,
    operation: Operation,
    responses: Vec<MockResponse>,
    retry: RetryPolicy,
    fresh: bool,
) -> (std::result::Result<(), Error>, Duration) {
    let served = start_mock(slot, &retry);
    served
        .mock
        .enqueue(queue_on, responses)
        .expect("the mock knows the operation");
    let fresh_client;
    let client = if fresh {
        fresh_client = client(&served.mock, &served.http, retry);
        &fresh_client
    } else {
        &served.client
    };
    served.runtime.block_on(async {
        let started = tokio::time::Instant::now();
        let result = alternative_payments_test_support::call(operation, client, &served.ids).await;
        (result, started.elapsed())
    })
}

fn status(u: &mut Unstructured<'_>) -> Result<u16> {
    Ok(match u.int_in_range(0..=9)? {
        0 => 200,
        1 => 201,
        2 => 204,
        3 => 400,
        4 => 404,
        5 => 422,
        6 => 500,
        _ => u.int_in_range(200..=599)?,
    })
}

/// A value of another type, or an absurd one.
fn hostile(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Value::Null,
        1 => json!(u.arbitrary::<bool>()?),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(u.arbitrary::<f64>()?),
        5 => json!([]),
        6 => json!({}),
        7 => json!("sepa_instant"),
        8 => json!("9999-99-99T99:99:99Z"),
        _ => Value::String(u.arbitrary()?),
    })
}

/// A body: random bytes, or a valid reply of every operation with some
/// values made hostile and possibly cut short.
fn body(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(1, 4)? {
        return u.arbitrary();
    }
    let mut reply = crate::common::any_reply();
    for _ in 0..u.int_in_range(0..=4)? {
        let key: &str = u.choose(&[
            "id",
            "name",
            "email",
            "created_at",
            "type",
            "data",
            "has_next_page",
            "end_cursor",
            "code",
            "message",
            "validation_errors",
            "default",
        ])?;
        let value = match key {
            // Error documents, with odd values inside.
            "validation_errors" => json!({ "email": hostile(u)?, "": "x" }),
            "data" => json!([hostile(u)?, { "type": hostile(u)? }]),
            _ => hostile(u)?,
        };
        reply[key] = value;
    }
    encoded(u, &reply)
}

/// `value` as JSON, one time in five cut short.
fn encoded(u: &mut Unstructured<'_>, value: &Value) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec(value).expect("json");
    if u.ratio(1, 5)? {
        let cut = u.int_in_range(0..=bytes.len())?;
        bytes.truncate(cut);
    }
    Ok(bytes)
}

static API_MOCK: OnceLock<Served> = OnceLock::new();

/// `status` and `body` answering `operation`: a value or a typed error.
fn check_api_response(operation: Operation, status: u16, body: &[u8]) {
    let (result, _) = run(
        &API_MOCK,
        operation.operation_id(),
        operation,
        vec![MockResponse::raw(status, "application/json", body.to_vec())],
        RetryPolicy::none(),
        false,
    );
    let input = || format!("{operation:?} {status} {:?}", String::from_utf8_lossy(body));
    if let Err(e) = &result {
        let _ = (
            e.to_string(),
            format!("{e:?}"),
            e.is_retryable(),
            e.status(),
        );
    }
    if status == 401 {
        // Replayed once with a new token: the real handler answers, with
        // whatever the mock's state gives (a restore of a customer that is
        // not archived is a 400).
        return;
    }
    // A charge's error carries its idempotency key around its cause.
    let result = result.map_err(|e| match e {
        Error::Keyed { source, .. } => *source,
        other => other,
    });
    match &result {
        Ok(()) => assert!((200..300).contains(&status), "{}", input()),
        Err(Error::Api(api)) => {
            assert!(!(200..300).contains(&status), "{}", input());
            assert_eq!(api.status.as_u16(), status, "{}", input());
            if let Some(snippet) = &api.body_snippet {
                assert!(snippet.chars().count() <= 257, "snippet bounded");
            }
        }
        Err(Error::Decode {
            status: s, snippet, ..
        }) => {
            assert_eq!(s.as_u16(), status, "{}", input());
            assert!(snippet.chars().count() <= 257, "snippet bounded");
        }
        Err(other) => panic!("unexpected error kind for {}: {other}", input()),
    }
}

#[test]
fn fuzz_api_responses() {
    for (name, body) in corpus("api_responses") {
        eprintln!("corpus: {name}");
        for operation in Operation::ALL {
            for status in [operation.success_status(), 400, 401, 422, 500] {
                check_api_response(operation, status, &body);
            }
        }
    }
    search("api_responses", |u| {
        let operation = *u.choose(&Operation::ALL)?;
        let status = status(u)?;
        let body = body(u)?;
        check_api_response(operation, status, &body);
        Ok(())
    });
}

static TOKEN_MOCK: OnceLock<Served> = OnceLock::new();

/// `status` and `body` from the token endpoint: a token or an auth error,
/// and a token never quoted in an error.
fn check_token_response(status: u16, body: &[u8]) {
    let (result, _) = run(
        &TOKEN_MOCK,
        TOKEN,
        Operation::GetCustomer,
        vec![MockResponse::raw(status, "application/json", body.to_vec())],
        RetryPolicy::none(),
        true,
    );
    let input = || format!("{status} {:?}", String::from_utf8_lossy(body));
    // A 2xx that parses as a token gets through to the API, which refuses
    // the unknown token with a 401; the client replays once with a new
    // token, from the real endpoint: success. Anything else is an auth error.
    match &result {
        Err(Error::Auth(e)) => {
            let shown = format!("{e} {e:?}");
            if (200..300).contains(&status) {
                assert!(!shown.contains("sk_secret"), "token quoted: {shown}");
            }
        }
        Ok(()) => assert!(
            (200..300).contains(&status),
            "no token was issued, yet the call succeeded: {}",
            input()
        ),
        Err(other) => panic!("unexpected error for {}: {other}", input()),
    }
}

fn token_body(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if u.ratio(1, 4)? {
        return u.arbitrary();
    }
    let mut body =
        json!({ "access_token": "sk_secret_token", "token_type": "Bearer", "expires_in": 3600 });
    for _ in 0..u.int_in_range(0..=3)? {
        let key: &str = u.choose(&[
            "access_token",
            "token_type",
            "expires_in",
            "error",
            "error_description",
            "scope",
        ])?;
        body[key] = match u.int_in_range(0..=2)? {
            0 => hostile(u)?,
            // Only access tokens carry the marker the check looks for.
            1 if key == "access_token" => {
                json!(format!("sk_secret{}", u.arbitrary::<String>()?))
            }
            _ => json!(u.arbitrary::<u64>()?),
        };
    }
    encoded(u, &body)
}

#[test]
fn fuzz_token_responses() {
    for (name, body) in corpus("token_responses") {
        eprintln!("corpus: {name}");
        for status in [200, 400, 401, 500] {
            check_token_response(status, &body);
        }
    }
    search("token_responses", |u| {
        let status = status(u)?;
        let body = token_body(u)?;
        check_token_response(status, &body);
        Ok(())
    });
}

static RETRY_MOCK: OnceLock<Served> = OnceLock::new();

/// A 503 with `Retry-After: value`, then success: the read is retried after
/// the wait the header asks for (whole seconds), capped at 60 s, or after
/// the backoff when the header means nothing.
fn check_retry_after(value: &str) {
    let cap = Duration::from_secs(60);
    let (result, waited) = run(
        &RETRY_MOCK,
        "getCustomer",
        Operation::GetCustomer,
        vec![MockResponse::status(503).header("retry-after", value)],
        RetryPolicy::default().max_retries(1).max_retry_after(cap),
        false,
    );
    assert!(result.is_ok(), "Retry-After {value:?}: {result:?}");
    assert!(waited <= cap, "Retry-After {value:?}: waited {waited:?}");
    // Only a value that can be a header is sent (the mock drops others);
    // HTTP trims spaces and tabs around it.
    let sendable = value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    let exact = match (sendable, value.trim_matches([' ', '\t']).parse::<u64>()) {
        (true, Ok(seconds)) => Some(Duration::from_secs(seconds).min(cap)),
        _ => None,
    };
    if let Some(expected) = exact {
        assert_eq!(waited, expected, "Retry-After {value:?}");
    }

    // The same value on a 429, with the client's limiter on: it pauses the
    // limiter (capped, plus up to 20 %), and nothing panics or overflows.
    let served = start_mock(&RETRY_LIMITED_MOCK, &RetryPolicy::default());
    served
        .mock
        .enqueue(
            "getCustomer",
            [MockResponse::status(429).header("retry-after", value)],
        )
        .expect("the mock knows the operation");
    let client = builder(
        &served.mock,
        &served.http,
        RetryPolicy::default().max_retry_after(cap),
    )
    .rate_limit(alternative_payments::RateLimit::DEFAULT)
    .build()
    .expect("client");
    let (result, waited) = served.runtime.block_on(async {
        let started = tokio::time::Instant::now();
        let result =
            alternative_payments_test_support::call(Operation::GetCustomer, &client, &served.ids)
                .await;
        (result, started.elapsed())
    });
    assert!(result.is_ok(), "429 with Retry-After {value:?}: {result:?}");
    // One token at the slowed rate (70 % of 4.9/s) follows the pause.
    let pacing = Duration::from_millis(300);
    assert!(
        waited <= cap.mul_f64(1.2) + pacing,
        "429 with Retry-After {value:?}: waited {waited:?}"
    );
    if let Some(expected) = exact {
        assert!(
            waited >= expected && waited <= expected.mul_f64(1.2) + pacing,
            "429 with Retry-After {value:?}: waited {waited:?}"
        );
    }
}

static RETRY_LIMITED_MOCK: OnceLock<Served> = OnceLock::new();

fn retry_after(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=5)? {
        0 => u.arbitrary::<u64>()?.to_string(),
        1 => u.int_in_range(0..=120u32)?.to_string(),
        2 => format!("-{}", u.arbitrary::<u32>()?),
        3 => {
            // An HTTP date, possibly absurd.
            let day: &str = u.choose(&["Mon", "Sun", "Xyz"])?;
            format!(
                "{day}, {:02} {} {} {:02}:{:02}:{:02} GMT",
                u.int_in_range(0..=40)?,
                u.choose(&["Jan", "Feb", "Dec", "Foo"])?,
                u.int_in_range(0..=99999)?,
                u.int_in_range(0..=25)?,
                u.int_in_range(0..=61)?,
                u.int_in_range(0..=61)?
            )
        }
        4 => format!(
            "{}{}",
            u.int_in_range(0..=99u32)?,
            u.choose(&[".5", "e3", " ", "s", ""])?
        ),
        _ => u.arbitrary::<String>()?,
    })
}

#[test]
fn fuzz_retry_after() {
    for (name, value) in corpus("retry_after") {
        eprintln!("corpus: {name}");
        check_retry_after(String::from_utf8_lossy(&value).trim_end_matches('\n'));
    }
    search("retry_after", |u| {
        let value = retry_after(u)?;
        check_retry_after(&value);
        Ok(())
    });
}
