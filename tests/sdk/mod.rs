//! The `alternative-payments` client against wiremock servers on loopback.

mod auth;
mod config;
mod escape;
mod hooks;
mod metrics;
mod pagination;
mod rate_limit;
mod resources;
mod retries;
mod secrets;
mod spans;
mod webhooks;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alternative_payments::{Client, ClientBuilder, Credentials};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const CLIENT_ID: &str = "client-id-42";
/// Distinctive enough that finding it anywhere in output is a leak.
pub(crate) const CLIENT_SECRET: &str = "cs-Zq8Wv1-never-print-me";
/// Every token the test token endpoint issues contains this.
pub(crate) const TOKEN_MARK: &str = "at-Hx93kP";

/// A token endpoint issuing `at-Hx93kP-1`, `at-Hx93kP-2`, ... and counting.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    pub(crate) issued: Arc<AtomicUsize>,
    expires_in: Option<u64>,
    delay: Duration,
}

impl TokenEndpoint {
    pub(crate) fn new(expires_in: Option<u64>) -> Self {
        Self {
            issued: Arc::default(),
            expires_in,
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub(crate) fn count(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    pub(crate) async fn mount(&self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }
}

pub(crate) fn token(n: usize) -> String {
    format!("{TOKEN_MARK}-{n}")
}

impl Respond for TokenEndpoint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut body =
            json!({ "access_token": token(n), "token_type": "Bearer", "scope": "read write" });
        if let Some(seconds) = self.expires_in {
            body["expires_in"] = json!(seconds);
        }
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(self.delay)
    }
}

/// An HTTP client with no timers of its own (no pool idle sweeper, no
/// connect timeout), so tests under paused tokio time see only the SDK's
/// timers: backoff and token lifetimes.
///
/// Tests talk plain HTTP to loopback, so it loads no root store: loading
/// the platform's is most of a client's construction (28 ms in the dev
/// profile), which the fault matrix would pay per case.
pub(crate) fn timerless_http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .tls_certs_only([])
        .build()
        .expect("http client")
}

/// A builder for a client of `server` with client credentials, no request
/// timeout or deadline and a timer-free HTTP client (under paused time a
/// pending timer fires as soon as the test waits on the server), and no
/// rate limit (tests of the limiter turn it on).
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .credentials(Credentials::client_credentials(CLIENT_ID, CLIENT_SECRET))
        .base_url(server.uri())
        .http_client(timerless_http())
        .timeout(None)
        .deadline(None)
        .rate_limit(None)
}

pub(crate) fn client(server: &MockServer) -> Client {
    builder(server).build().expect("client")
}

/// A server with a token endpoint (tokens for an hour).
pub(crate) async fn server() -> (MockServer, TokenEndpoint) {
    let server = MockServer::start().await;
    let tokens = TokenEndpoint::new(Some(3600));
    tokens.mount(&server).await;
    (server, tokens)
}

pub(crate) fn customer(id: &str) -> Value {
    json!({ "id": id, "name": format!("Customer {id}"), "email": format!("{id}@example.test"),
            "created_at": "2026-11-21T10:00:00Z" })
}

/// Requests the server got for `route` (any method).
pub(crate) async fn requests_to(server: &MockServer, route: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recording on")
        .into_iter()
        .filter(|r| r.url.path() == route)
        .collect()
}
