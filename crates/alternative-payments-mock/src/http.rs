//! HTTP: the routes (from the operation table, each to its resource's
//! handler), and the gate every request passes: the body limit, the log,
//! latency, injected faults, authentication with the scope the operation
//! needs, and the per-client rate limit.

// Helpers return `Err(Response)` so the gate can stop with `?`-like matches;
// the size of an axum Response on that path does not matter.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::operations::Operation;
use crate::resources::{self, error};
use crate::state::{AppState, Bucket, Fault, RecordedRequest, Shared, TOKEN};
use crate::{oauth, pages};

pub(crate) fn router(shared: AppState) -> Router {
    let mut router = Router::new()
        .route("/oauth/token", post(oauth::token))
        // What a payer, a bank or the provider does (pages.rs).
        .route("/pay/{id}", get(pages::show).post(pages::act))
        .route("/_mock/payouts/settle", post(pages::settle_all))
        .route("/_mock/payouts/{id}/settle", post(pages::settle_one))
        .route("/_mock/{kind}/{id}/status", post(pages::set_status));
    // Paths and methods come from the spec's operation table; axum's path
    // syntax (`/customers/{id}`) is OpenAPI's.
    for operation in Operation::ALL {
        router = router.route(operation.path(), resources::handler(operation));
    }
    router
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// What a routed request is for.
#[derive(Clone, Copy)]
enum Route {
    /// The OAuth2 token endpoint.
    Token,
    /// An operation of the spec.
    Api(Operation),
}

impl Route {
    /// The request's route: `method` and the matched path template.
    fn of(method: &Method, route: &str) -> Option<Self> {
        if (method, route) == (&Method::POST, "/oauth/token") {
            return Some(Self::Token);
        }
        Operation::ALL
            .into_iter()
            .find(|op| op.http_method() == method.as_str() && op.path() == route)
            .map(Self::Api)
    }

    /// The operationId it is logged and faulted under (`token` for the
    /// token endpoint).
    fn id(self) -> &'static str {
        match self {
            Self::Token => TOKEN,
            Self::Api(operation) => operation.operation_id(),
        }
    }
}

/// The header every answer carries its request id in: the one the SDK reads
/// first.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Every request gets an id (`req_000001`, ...): in the `x-request-id`
/// header of its answer, and in the body of the mock's own error answers
/// (`request_id`), so that errors name one as the API's do. Injected
/// faults keep the body they were given.
async fn gate(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = {
        let mut state = shared.lock();
        state.requests_seen += 1;
        format!("req_{:06}", state.requests_seen)
    };
    let (mut response, own) = answer(&shared, request, next).await;
    if own && !response.status().is_success() {
        response = with_request_id_in_body(response, &request_id).await;
    }
    // An injected answer's own request id header wins.
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().entry(REQUEST_ID).or_insert(value);
    }
    response
}

/// A JSON error body with `request_id` added; any other body as it was.
async fn with_request_id_in_body(response: Response, request_id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    object.insert("request_id".into(), request_id.into());
    let bytes = serde_json::to_vec(&object).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// The answer to one request, and whether it is the mock's own (not an
/// injected fault's).
async fn answer(shared: &AppState, request: Request, next: Next) -> (Response, bool) {
    let (parts, body) = request.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|route| Route::of(&parts.method, route.as_str()));
    let operation = route.map(Route::id);
    let body = axum::body::to_bytes(body, shared.config.body_limit).await;
    let recorded = RecordedRequest {
        operation_id: operation,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(String::from),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
    };
    let (latency, fault) = {
        let mut state = shared.lock();
        if state.log.len() >= shared.config.log_limit {
            state.log.pop_front();
        }
        if shared.config.log_limit > 0 {
            state.log.push_back(recorded);
        }
        let fault =
            operation.and_then(|op| state.faults.get_mut(op).and_then(|queue| queue.pop_front()));
        (state.latency, fault)
    };
    let Ok(body) = body else {
        let limit = shared.config.body_limit;
        let refusal = error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body over {limit} bytes"),
        );
        return (refusal, true);
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (before, after) = match fault {
        Some(Fault::AfterHandling(after)) => (None, Some(*after)),
        before => (before, None),
    };
    if let Some(fault) = before {
        match replacement(fault) {
            Ok(response) => return (response, false),
            Err(stall) => tokio::time::sleep(stall).await,
        }
    }
    let response = match route {
        Some(Route::Token) | None => None,
        Some(Route::Api(op)) => match authorise(shared, &parts.headers, op) {
            Ok(client) => rate_limited(shared, &client)
                .or_else(|| resources::checked_query(op, parts.uri.query()).err()),
            Err(refusal) => Some(refusal),
        },
    };
    let response = match response {
        Some(refusal) => refusal,
        None => next.run(Request::from_parts(parts, Body::from(body))).await,
    };
    match after.map(replacement) {
        Some(Ok(lost)) => (lost, false),
        Some(Err(stall)) => {
            tokio::time::sleep(stall).await;
            (response, true)
        }
        None => (response, true),
    }
}

/// The response an injected fault sends instead of the real one, or how
/// long it delays the real one.
fn replacement(fault: Fault) -> Result<Response, Duration> {
    match fault {
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::try_from(name),
                    HeaderValue::try_from(value),
                ) {
                    response.headers_mut().append(name, value);
                }
            }
            Ok(response)
        }
        Fault::Drop => {
            // The status line goes out, then the body fails: hyper aborts
            // the connection mid-response.
            let broken = futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected drop",
                ))
            });
            let mut response = Response::new(Body::from_stream(broken));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
            Ok(response)
        }
        Fault::Stall(delay) => Err(delay),
        // `MockResponse::after_handling` never nests one in another.
        Fault::AfterHandling(_) => Err(Duration::ZERO),
    }
}

/// The API's rate limit, per client: `None` when `client` may go on, else
/// the 429 that refuses the request (with `Retry-After` in whole seconds).
/// A token bucket of the rate rounded up; counts every request.
fn rate_limited(shared: &Shared, client: &str) -> Option<Response> {
    let mut state = shared.lock();
    state.stats.requests += 1;
    let rate = state.rate_limit?;
    let burst = rate.ceil().max(1.0);
    let now = tokio::time::Instant::now();
    let bucket = state.buckets.entry(client.to_string()).or_insert(Bucket {
        tokens: burst,
        updated: now,
        since: now,
    });
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
    bucket.updated = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        return None;
    }
    let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0);
    let opening = now.saturating_duration_since(bucket.since) < Duration::from_secs(1);
    state.stats.rate_limited += 1;
    state.stats.rate_limited_first_second += u64::from(opening);
    drop(state);
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("rate limit of {rate} requests per second per API key exceeded"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("{wait:.0}")) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

/// Bearer tokens (or configured API keys), and the scope the operation needs
/// (`write` for one that changes state, `read` otherwise);
/// the client the request counts against.
fn authorise(
    shared: &Shared,
    headers: &HeaderMap,
    operation: Operation,
) -> Result<String, Response> {
    let unauthorized = |message: &str| {
        let mut response = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("missing Authorization header"))?;
    let (client, scopes): (String, Vec<String>) =
        if let Some((key, scopes)) = shared.config.api_keys.iter().find(|(key, _)| key == value) {
            (format!("api key {key}"), scopes.clone())
        } else {
            let token = value
                .strip_prefix("Bearer ")
                .ok_or_else(|| unauthorized("expected a bearer token"))?;
            let state = shared.lock();
            let token = state
                .tokens
                .get(token)
                .ok_or_else(|| unauthorized("unknown access token"))?;
            if tokio::time::Instant::now() >= token.expires_at {
                return Err(unauthorized("access token expired"));
            }
            (token.client_id.clone(), token.scopes.clone())
        };
    let needed = if operation.changes_state() {
        "write"
    } else {
        "read"
    };
    if scopes.iter().any(|s| s == needed) {
        Ok(client)
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this operation needs the {needed} scope"),
        ))
    }
}
