//! What the server's modules share: its configuration, its mutable state
//! behind one lock, injected faults and the request log.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::store::Store;

/// The name [`MockServer::enqueue`](crate::MockServer::enqueue) and
/// [`RecordedRequest::operation_id`] use for the OAuth2 token endpoint,
/// which is not an operation of the spec.
pub const TOKEN: &str = "token";

/// An OAuth2 client the server accepts.
#[derive(Clone, Debug)]
pub(crate) struct ClientSpec {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) scopes: Vec<String>,
}

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
    /// Handle the request (its effect happens), then apply this fault to
    /// the answer.
    AfterHandling(Box<Fault>),
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

/// What every handler is given.
pub(crate) type AppState = Arc<Shared>;

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
    pub(crate) extra_rules: bool,
    pub(crate) webhook_retries: crate::outbox::RetryPolicy,
}

pub(crate) struct Token {
    /// The client it was issued to: whose rate limit its requests count
    /// against.
    pub(crate) client_id: String,
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
    /// Requests per second per client, when the limit is on.
    pub(crate) rate_limit: Option<f64>,
    /// The idempotency keys of payments.
    pub(crate) payment_keys: IdempotencyKeys,
    /// Requests received, for their ids (`req_000001`, ...).
    pub(crate) requests_seen: u64,
    /// Each client's bucket.
    pub(crate) buckets: HashMap<String, Bucket>,
    pub(crate) stats: MockStats,
}

/// Idempotency keys already used: key → (the body it came with, the id of
/// what it created).
#[derive(Default)]
pub(crate) struct IdempotencyKeys(
    pub(crate) HashMap<String, (serde_json::Map<String, serde_json::Value>, String)>,
);

/// A client's rate-limit bucket.
#[derive(Clone, Copy)]
pub(crate) struct Bucket {
    pub(crate) tokens: f64,
    /// When `tokens` were counted.
    pub(crate) updated: tokio::time::Instant,
    /// The client's first request since the limit was (re)set.
    pub(crate) since: tokio::time::Instant,
}

/// What the server counted: every API request that reached it (the token
/// endpoint aside), and how many of them it refused with 429.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockStats {
    /// API requests received, answered or refused.
    pub requests: u64,
    /// Of them, refused with 429 by the rate limit.
    pub rate_limited: u64,
    /// Of those, refused within a second of the client's first request
    /// (since the limit was turned on or changed): an opening burst the
    /// client sent too fast or that arrived unevenly.
    pub rate_limited_first_second: u64,
}
