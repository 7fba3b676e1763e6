//! Configuring and starting a server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::deliveries;
use crate::http;
use crate::outbox::RetryPolicy;
use crate::server::MockServer;
use crate::state::{ClientSpec, Config, Shared, State};

/// Client id of the client every server accepts unless configured otherwise.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// Its secret.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";

impl MockServer {
    /// Starts a server on a free loopback port accepting the demo client.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// Configures a server.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }
}

/// Configures a [`MockServer`].
#[derive(Debug)]
#[must_use]
pub struct MockServerBuilder {
    clients: Vec<ClientSpec>,
    api_keys: Vec<(String, Vec<String>)>,
    token_lifetime: Duration,
    port: u16,
    body_limit: usize,
    log_limit: usize,
    seed_demo: bool,
    extra_rules: bool,
    rate_limit: Option<f64>,
    webhook_retries: RetryPolicy,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            api_keys: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            port: 0,
            body_limit: 256 * 1024,
            log_limit: 10_000,
            seed_demo: false,
            extra_rules: false,
            rate_limit: None,
            webhook_retries: RetryPolicy::default(),
        }
    }
}

impl MockServerBuilder {
    /// Accept this OAuth2 client, allowed these scopes (`read`, `write`).
    /// Without any, the demo client (read and write) is accepted.
    pub fn client(mut self, id: &str, secret: &str, scopes: &[&str]) -> Self {
        self.clients.push(ClientSpec {
            id: id.into(),
            secret: secret.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// Accept this API key, sent as the whole `Authorization` header value.
    pub fn api_key(mut self, key: &str, scopes: &[&str]) -> Self {
        self.api_keys
            .push((key.into(), scopes.iter().map(|s| s.to_string()).collect()));
        self
    }

    /// Lifetime of issued tokens (`expires_in`), one hour by default.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Listen on this loopback port (default: any free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Largest request body accepted (default 256 KiB); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How many requests the log keeps (the most recent; default 10,000),
    /// so a long-running server does not grow without bound.
    pub fn request_log_limit(mut self, requests: usize) -> Self {
        self.log_limit = requests;
        self
    }

    /// Also enforce rules of our own that the spec does not state (off by
    /// default, so the mock accepts every request the spec allows):
    ///
    /// - `email` must look like an address (`a@b.c`): 422 (400 for PATCH);
    /// - `limit` must be from 1 to 1000 (by default it is clamped to that);
    /// - `created_at_start` / `created_at_end` must be RFC 3339 timestamps
    ///   (by default other values do not filter);
    /// - `after` and `before` cannot be combined (by default `after` wins).
    ///
    /// Refusals are 400 naming the parameter, as the API's are.
    pub fn extra_rules(mut self, on: bool) -> Self {
        self.extra_rules = on;
        self
    }

    /// Enforce the API's rate limit: `Some(5.0)` is the provider's
    /// documented 5 requests per second per API key (here: per client id or
    /// API key), with a burst of the rate rounded up. Over it, requests get
    /// 429 with `Retry-After` (whole seconds) and an API error body, before
    /// they are handled. Token requests do not count. Off (`None`) by
    /// default in-process, so tests run fast; the binary turns it on at 5.
    pub fn rate_limit(mut self, requests_per_second: impl Into<Option<f64>>) -> Self {
        self.rate_limit = requests_per_second.into();
        self
    }

    /// How webhook deliveries are retried: `attempts` in all (at least 1;
    /// default 5), the first retry after `first_delay` (default 1 s), each
    /// next one after twice the wait before it. An attempt fails on a
    /// non-2xx answer, a connection error or no answer within 10 s.
    pub fn webhook_retries(mut self, attempts: u32, first_delay: Duration) -> Self {
        self.webhook_retries.attempts = attempts.max(1);
        self.webhook_retries.first_delay = first_delay;
        self
    }

    /// Start with the demo data set (see [`MockServer::seed_demo`]).
    pub fn seed_demo(mut self, seed: bool) -> Self {
        self.seed_demo = seed;
        self
    }

    /// Binds `127.0.0.1` and starts serving on the current tokio runtime.
    pub async fn start(mut self) -> std::io::Result<MockServer> {
        if self.clients.is_empty() {
            self = self.client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, &["read", "write"]);
        }
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], self.port))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let client = self.clients[0].clone();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rate_limit: self.rate_limit.filter(|r| r.is_finite() && *r > 0.0),
                ..State::default()
            }),
            config: Config {
                clients: self.clients,
                api_keys: self.api_keys,
                token_lifetime: self.token_lifetime,
                body_limit: self.body_limit,
                log_limit: self.log_limit,
                extra_rules: self.extra_rules,
                webhook_retries: self.webhook_retries,
            },
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = http::router(shared.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("alternative-payments-mock: server stopped: {e}");
            }
        });
        let (stop_deliveries, deliveries_stopped) = oneshot::channel::<()>();
        tokio::spawn(deliveries::run(shared.clone(), deliveries_stopped));
        let server = MockServer {
            base_url,
            shared,
            shutdown: Some(shutdown),
            stop_deliveries: Some(stop_deliveries),
            client,
        };
        if self.seed_demo {
            server.seed_demo();
        }
        Ok(server)
    }
}
