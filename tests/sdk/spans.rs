//! The SDK's spans follow OpenTelemetry's HTTP client conventions (issue
//! #32): one call of every operation, against the mock, recorded by a
//! tracing layer: a call span around one span per attempt named
//! `{method} {url.template}`, with the method, server, `url.full`,
//! `url.template`, status, `error.type` and resend count; no secret in any
//! attribute.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alternative_payments::{Client, RateLimit};
use alternative_payments_mock::{MockResponse, MockServer};
use alternative_payments_raw::operations::Operation;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A span as recorded: its name and fields, as text.
#[derive(Clone, Debug)]
struct Seen {
    id: u64,
    name: &'static str,
    fields: BTreeMap<String, String>,
    parent: Option<u64>,
}

/// The spans in order of creation, and where each id's is.
type Spans = (Vec<Seen>, BTreeMap<u64, usize>);

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Spans>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = attrs
            .parent()
            .cloned()
            .or_else(|| ctx.current_span().id().cloned())
            .map(|p| p.into_u64());
        let mut seen = self.0.lock().expect("lock");
        let at = seen.0.len();
        seen.0.push(Seen {
            id: id.into_u64(),
            name: attrs.metadata().name(),
            fields,
            parent,
        });
        seen.1.insert(id.into_u64(), at);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut seen = self.0.lock().expect("lock");
        if let Some(&at) = seen.1.get(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.0[at].fields));
        }
    }
}

impl Recorder {
    fn spans(&self) -> Vec<Seen> {
        self.0.lock().expect("lock").0.clone()
    }
}

/// Runs `calls` on a paused clock with `recorder` as the thread's
/// subscriber, against `mock` (on its own runtime).
fn recorded<F: std::future::Future<Output = ()>>(recorder: &Recorder, calls: F) {
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(calls)
    });
}

/// The mock's client, with the SDK's default rate limit (its waits are on
/// the call spans), on the paused clock: no timeout or deadline.
fn client(mock: &MockServer) -> Client {
    alternative_payments_test_support::sdk_builder(mock)
        .rate_limit(RateLimit::DEFAULT)
        .http_client(super::timerless_http())
        .timeout(None)
        .deadline(None)
        .build()
        .expect("client")
}

/// Every bearer token the mock was sent, and its client secret.
fn secrets(mock: &MockServer) -> Vec<String> {
    let mut secrets: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|a| a.strip_prefix("Bearer ").map(String::from))
        .collect();
    secrets.push(mock.client_secret().to_string());
    secrets.sort();
    secrets.dedup();
    secrets
}

#[test]
fn every_operations_call_and_attempt_spans_follow_the_http_client_conventions() {
    let servers = tokio::runtime::Runtime::new().expect("runtime");
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let ids = alternative_payments_test_support::seed(&mock);
    let client = client(&mock);
    let recorder = Recorder::default();
    recorded(&recorder, async {
        for op in Operation::ALL {
            let _ = alternative_payments_test_support::call(op, &client, &ids).await;
        }
    });
    let spans = recorder.spans();
    let port = mock
        .base_url()
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();
    let secrets = secrets(&mock);
    assert!(secrets.len() >= 2, "a token was used: {secrets:?}");
    for span in &spans {
        for (name, value) in &span.fields {
            for secret in &secrets {
                assert!(
                    !value.contains(secret.as_str()),
                    "a secret in {}.{name}: {value}",
                    span.name
                );
            }
        }
    }
    for op in Operation::ALL {
        let of = |name: &str| -> Vec<&Seen> {
            spans
                .iter()
                .filter(|s| s.name == name)
                .filter(|s| {
                    s.fields
                        .get("alternative_payments.operation")
                        .map(String::as_str)
                        == Some(op.operation_id())
                })
                .collect()
        };
        let calls = of("alternative_payments.call");
        assert_eq!(calls.len(), 1, "{}: {calls:?}", op.operation_id());
        let attempts = of("alternative_payments.request");
        assert_eq!(attempts.len(), 1, "{}: {attempts:?}", op.operation_id());
        let attempt = &attempts[0].fields;
        let expect = |field: &str, value: &str| {
            assert_eq!(
                attempt.get(field).map(String::as_str),
                Some(value),
                "{}: {field} in {attempt:?}",
                op.operation_id()
            );
        };
        expect("otel.name", &format!("{} {}", op.http_method(), op.path()));
        expect("otel.kind", "client");
        expect("http.request.method", op.http_method());
        expect("server.address", "127.0.0.1");
        expect("server.port", &port);
        expect("url.template", op.path());
        // (One call each, in table order, on one account: an archive may
        // make a later call a 400. Its error.type then says so.)
        let status = attempt.get("http.response.status_code").expect("a status");
        let error_type = attempt.get("error.type").map(String::as_str);
        match status.as_bytes()[0] {
            b'2' => assert_eq!(error_type, None, "{}", op.operation_id()),
            _ => assert_eq!(error_type, Some(status.as_str()), "{}", op.operation_id()),
        }
        assert!(!attempt.contains_key("http.request.resend_count"));
        let url = attempt.get("url.full").expect("url.full");
        let fixed = op.path().split('{').next().unwrap_or_default();
        assert!(
            url.starts_with(&format!("{}{fixed}", mock.base_url())),
            "{url}"
        );
        assert_eq!(
            attempts[0].parent,
            Some(calls[0].id),
            "{}: an attempt outside its call",
            op.operation_id()
        );
    }
    // A token request, once, inside the first call.
    let tokens: Vec<&Seen> = spans
        .iter()
        .filter(|s| s.name == "alternative_payments.token")
        .collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].fields.get("otel.name").map(String::as_str),
        Some("POST /oauth/token")
    );
    assert_eq!(
        tokens[0]
            .fields
            .get("http.response.status_code")
            .map(String::as_str),
        Some("200")
    );
}

#[test]
fn a_retried_call_has_a_span_per_attempt_with_its_status_error_type_and_resend_count() {
    let servers = tokio::runtime::Runtime::new().expect("runtime");
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    mock.enqueue(
        "getCustomer",
        [
            MockResponse::status(429).header("retry-after", "1"),
            MockResponse::status(503),
        ],
    )
    .expect("queued");
    let client = client(&mock);
    let recorder = Recorder::default();
    recorded(&recorder, async {
        client
            .customers()
            .get(id.as_str())
            .send()
            .await
            .expect("the third attempt");
    });
    let spans = recorder.spans();
    let attempts: Vec<&BTreeMap<String, String>> = spans
        .iter()
        .filter(|s| s.name == "alternative_payments.request")
        .map(|s| &s.fields)
        .collect();
    let shown: Vec<(Option<&str>, Option<&str>, Option<&str>)> = attempts
        .iter()
        .map(|f| {
            (
                f.get("http.response.status_code").map(String::as_str),
                f.get("error.type").map(String::as_str),
                f.get("http.request.resend_count").map(String::as_str),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (Some("429"), Some("429"), None),
            (Some("503"), Some("503"), Some("1")),
            (Some("200"), None, Some("2")),
        ]
    );
    let calls: Vec<&Seen> = spans
        .iter()
        .filter(|s| s.name == "alternative_payments.call")
        .collect();
    assert_eq!(calls.len(), 1);
    assert!(
        !calls[0].fields.contains_key("error.type"),
        "the call succeeded"
    );

    // A call that fails: its span says how.
    mock.enqueue("getCustomer", (0..5).map(|_| MockResponse::status(404)))
        .expect("queued");
    let recorder = Recorder::default();
    recorded(&recorder, async {
        client
            .customers()
            .get(id.as_str())
            .send()
            .await
            .expect_err("404");
    });
    let failed: Vec<Seen> = recorder
        .spans()
        .into_iter()
        .filter(|s| s.name == "alternative_payments.call")
        .collect();
    assert_eq!(
        failed[0].fields.get("error.type").map(String::as_str),
        Some("404")
    );
}
