//! A stateful, in-memory Alternative Payments API server, for examples,
//! tests and anyone developing against the API without an account.
//!
//! It implements every operation of `openapi/openapi.json` plus the OAuth2
//! token endpoint, over real HTTP on a loopback port:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let mock = alternative_payments_mock::MockServer::start().await?;
//! println!("{} (client {} / {})", mock.base_url(), mock.client_id(), mock.client_secret());
//! # Ok(()) }
//! ```
//!
//! Behaviour worth knowing:
//!
//! - **Auth**: OAuth2 client credentials at `POST /oauth/token` (HTTP Basic
//!   or in-body client authentication); bearer tokens expire after the
//!   configured lifetime (default one hour) or on [`MockServer::expire_tokens`].
//!   `GET` needs the `read` scope, everything else `write` (403 otherwise).
//!   Configured API keys are also accepted as a raw `Authorization` value.
//! - **Customers**: ids (`cus_000001`, ...) and RFC 3339 `created_at` are
//!   assigned on create; PATCH changes only the fields sent (`null` clears
//!   one). **Archive** hides a customer from the list; `GET` still returns
//!   it, with the response header `x-mock-archived: true` (the body stays
//!   exactly as the spec describes). Archiving twice, or restoring a
//!   customer that is not archived, is a 400.
//! - **Validation**: malformed JSON is a 400; a field of the wrong type or
//!   an invalid email is a 422 (a 400 for PATCH, as the spec documents it)
//!   whose `validation_errors` names the field; a
//!   bad `limit`, cursor or RFC 3339 filter is a 400 naming the parameter.
//!   Nothing is stored from a rejected request. Bodies over the size limit
//!   (256 KiB by default) get 413.
//! - **Pagination**: opaque cursors (containing `+`, `/` and `=`), `after`
//!   and `before`, `limit` from 1 to 1000 (default 100), ordered by creation;
//!   `company_name` matches names case-insensitively by substring.
//! - **Faults** for tests: added latency, queued responses per operation
//!   (statuses, headers such as `Retry-After`, arbitrary bodies, dropped
//!   connections, stalls), token expiry on demand, and a log of the last
//!   10,000 requests (configurable).

mod api;
mod store;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::store::Store;

/// Client id of the client every server accepts unless configured otherwise.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// Its secret.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";

/// A running mock server. Stops when dropped.
pub struct MockServer {
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    client: ClientSpec,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// An OAuth2 client the server accepts.
#[derive(Clone, Debug)]
struct ClientSpec {
    id: String,
    secret: String,
    scopes: Vec<String>,
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
            state: Mutex::new(State::default()),
            config: Config {
                clients: self.clients,
                api_keys: self.api_keys,
                token_lifetime: self.token_lifetime,
                body_limit: self.body_limit,
                log_limit: self.log_limit,
            },
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = api::router(shared.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("alternative-payments-mock: server stopped: {e}");
            }
        });
        let server = MockServer {
            base_url,
            shared,
            shutdown: Some(shutdown),
            client,
        };
        if self.seed_demo {
            server.seed_demo();
        }
        Ok(server)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A response to send instead of the real one, queued with
/// [`MockServer::enqueue`].
#[derive(Clone, Debug)]
pub struct MockResponse(pub(crate) Fault);

#[derive(Clone, Debug)]
pub(crate) enum Fault {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Send headers, then break the connection mid-body.
    Drop,
    /// Wait this long, then handle the request normally.
    Stall(Duration),
}

impl MockResponse {
    /// A response with this status and an API error body
    /// (`{"code": "injected_<status>", "message": ...}`).
    pub fn status(status: u16) -> Self {
        let body = serde_json::json!({ "code": format!("injected_{status}"), "message": format!("injected response {status}") });
        Self(Fault::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        })
    }

    /// A response with this status, content type and body, verbatim.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self(Fault::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        })
    }

    /// Adds a header (for instance `Retry-After`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Fault::Respond { headers, .. } = &mut self.0 {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Sends the status line, headers and part of a body, then drops the
    /// connection.
    pub fn drop_connection() -> Self {
        Self(Fault::Drop)
    }

    /// Delays the request by `delay`, then handles it normally.
    pub fn stall(delay: Duration) -> Self {
        Self(Fault::Stall(delay))
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operationId it was routed to (`token` for the token endpoint),
    /// if any.
    pub operation_id: Option<&'static str>,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order (names lowercase).
    pub headers: Vec<(String, String)>,
    /// The body (empty if over the size limit).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A payment method to seed with [`MockServer::add_payment_method`].
#[derive(Clone, Debug)]
pub struct PaymentMethodSeed {
    fields: Map<String, Value>,
    default: bool,
}

impl PaymentMethodSeed {
    /// A card.
    pub fn card(brand: &str, last4: &str, exp_month: &str, exp_year: &str) -> Self {
        let fields = serde_json::json!({ "type": "card", "brand": brand, "last4": last4,
                                         "exp_month": exp_month, "exp_year": exp_year });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// A bank account (ACH).
    pub fn ach(last4: &str) -> Self {
        let fields = serde_json::json!({ "type": "ach", "last4": last4 });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// Any `type`, known to the spec or not (for forward-compatibility tests).
    pub fn of_type(kind: &str) -> Self {
        let fields = serde_json::json!({ "type": kind });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// Make it the customer's default (the first one always is).
    pub fn default(mut self) -> Self {
        self.default = true;
        self
    }
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) config: Config,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is complete before the lock is released, so a panic
        // elsewhere cannot leave half-written state: keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct Config {
    pub(crate) clients: Vec<ClientSpec>,
    pub(crate) api_keys: Vec<(String, Vec<String>)>,
    pub(crate) token_lifetime: Duration,
    pub(crate) body_limit: usize,
    pub(crate) log_limit: usize,
}

pub(crate) struct Token {
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: tokio::time::Instant,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) store: Store,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) latency: Duration,
    pub(crate) faults: HashMap<String, VecDeque<Fault>>,
    pub(crate) log: VecDeque<RecordedRequest>,
}

/// Error from seeding data directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCustomer(pub String);

impl std::fmt::Display for UnknownCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no customer {}", self.0)
    }
}

impl std::error::Error for UnknownCustomer {}

impl MockServer {
    /// Starts a server on a free loopback port accepting the demo client.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// Configures a server.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Id of the first configured client (the demo client by default).
    pub fn client_id(&self) -> &str {
        &self.client.id
    }

    /// Secret of the first configured client.
    pub fn client_secret(&self) -> &str {
        &self.client.secret
    }

    /// Creates a customer directly (no HTTP, no validation); returns its id.
    pub fn create_customer(&self, fields: Value) -> String {
        let fields = fields.as_object().cloned().unwrap_or_default();
        self.shared.lock().store.create_customer(fields).id.clone()
    }

    /// Adds a payment method to a customer; returns its id.
    pub fn add_payment_method(
        &self,
        customer_id: &str,
        seed: PaymentMethodSeed,
    ) -> Result<String, UnknownCustomer> {
        self.shared
            .lock()
            .store
            .add_payment_method(customer_id, seed.fields, seed.default)
            .ok_or_else(|| UnknownCustomer(customer_id.into()))
    }

    /// Adds a user to a customer directly; returns its id.
    pub fn add_user(&self, customer_id: &str, fields: Value) -> Result<String, UnknownCustomer> {
        let fields = fields.as_object().cloned().unwrap_or_default();
        let user = self.shared.lock().store.add_user(customer_id, fields);
        user.and_then(|u| u["id"].as_str().map(String::from))
            .ok_or_else(|| UnknownCustomer(customer_id.into()))
    }

    /// Archives or restores a customer directly.
    pub fn set_archived(&self, customer_id: &str, archived: bool) -> Result<(), UnknownCustomer> {
        let mut state = self.shared.lock();
        let customer = state
            .store
            .customer_mut(customer_id)
            .ok_or_else(|| UnknownCustomer(customer_id.into()))?;
        customer.archived = archived;
        Ok(())
    }

    /// Number of users a customer has (0 for an unknown customer).
    pub fn user_count(&self, customer_id: &str) -> usize {
        self.shared
            .lock()
            .store
            .customer(customer_id)
            .map_or(0, |c| c.users.len())
    }

    /// Number of customers stored, archived ones included.
    pub fn customer_count(&self) -> usize {
        self.shared.lock().store.customers.len()
    }

    /// From now on, records get `created_at` = `time`, then one second later
    /// for each further record.
    pub fn set_clock(&self, time: OffsetDateTime) {
        self.shared.lock().store.clock = Some(time);
    }

    /// Adds `latency` before every response (zero to remove).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// The next requests routed to `operation_id` (e.g. `getCustomer`, or
    /// `token` for the token endpoint) get these responses, in order; then
    /// normal handling resumes.
    pub fn enqueue(&self, operation_id: &str, responses: impl IntoIterator<Item = MockResponse>) {
        self.shared
            .lock()
            .faults
            .entry(operation_id.to_string())
            .or_default()
            .extend(responses.into_iter().map(|r| r.0));
    }

    /// Makes every token issued so far expired (they get 401).
    pub fn expire_tokens(&self) {
        let now = tokio::time::Instant::now();
        self.shared
            .lock()
            .tokens
            .values_mut()
            .for_each(|t| t.expires_at = now);
    }

    /// The requests received so far, oldest first (at most the log limit).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// Requests routed to `operation_id` so far.
    pub fn requests_to(&self, operation_id: &str) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|r| r.operation_id == Some(operation_id))
            .cloned()
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Seeds a small demo data set: a dozen customers with cards, bank
    /// accounts and users. Returns the customer ids.
    pub fn seed_demo(&self) -> Vec<String> {
        const COMPANIES: [(&str, &str); 12] = [
            ("Acme Corporation", "billing@acme.example"),
            ("Globex", "ap@globex.example"),
            ("Initech", "finance@initech.example"),
            ("Umbrella Health", "accounts@umbrella.example"),
            ("Stark Industries", "payables@stark.example"),
            ("Wayne Enterprises", "ap@wayne.example"),
            ("Hooli", "billing@hooli.example"),
            ("Pied Piper", "money@piedpiper.example"),
            ("Soylent", "finance@soylent.example"),
            ("Tyrell Corporation", "ap@tyrell.example"),
            ("Wonka Industries", "billing@wonka.example"),
            ("Cyberdyne Systems", "accounts@cyberdyne.example"),
        ];
        let mut ids = Vec::new();
        for (i, (name, email)) in COMPANIES.iter().enumerate() {
            let id = self.create_customer(serde_json::json!({
                "name": name, "email": email, "external_id": format!("demo-{}", i + 1), "country": "US"
            }));
            let brand = if i % 2 == 0 { "visa" } else { "mastercard" };
            let _ = self.add_payment_method(
                &id,
                PaymentMethodSeed::card(brand, &format!("42{:02}", i), "12", "2030"),
            );
            if i % 3 == 0 {
                let _ =
                    self.add_payment_method(&id, PaymentMethodSeed::ach(&format!("60{:02}", i)));
            }
            let first = ["Ada", "Grace", "Alan", "Edsger"][i % 4];
            let _ = self.add_user(&id, serde_json::json!({
                "first_name": first, "last_name": "Example", "email": format!("{}@{}", first.to_lowercase(), email.split('@').nth(1).unwrap_or("example.com"))
            }));
            ids.push(id);
        }
        ids
    }
}
