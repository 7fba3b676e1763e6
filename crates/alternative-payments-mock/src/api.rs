//! HTTP: routing, the gate every request passes (log, latency, injected
//! faults, authentication), and the operations.

// Helpers return `Err(Response)` so handlers can stop with `?`-like matches;
// the size of an axum Response on that path does not matter.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on, post};
use base64::Engine;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::operations::Operation;
use crate::store::{
    self, CREATE_FIELDS, DEFAULT_LIMIT, MAX_LIMIT, PATCH_FIELDS, PageRequest, USER_FIELDS,
    decode_cursor,
};
use crate::{Fault, RecordedRequest, Shared, TOKEN, Token};

type AppState = Arc<Shared>;

pub(crate) fn router(shared: AppState) -> Router {
    let mut router = Router::new().route("/oauth/token", post(token));
    // Paths and methods come from the spec's operation table; axum's path
    // syntax (`/customers/{id}`) is OpenAPI's.
    for operation in Operation::ALL {
        router = router.route(operation.path(), handler(operation));
    }
    router
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// The handler of each operation of the spec. Exhaustive: an operation the
/// spec gains fails to compile here until the mock implements it.
fn handler(operation: Operation) -> MethodRouter<AppState> {
    let method = Method::from_bytes(operation.http_method().as_bytes())
        .ok()
        .and_then(|m| MethodFilter::try_from(m).ok())
        .expect("the table holds HTTP methods axum routes");
    match operation {
        Operation::ListCustomers => on(method, list_customers),
        Operation::CreateCustomer => on(method, create_customer),
        Operation::GetCustomer => on(method, get_customer),
        Operation::UpdateCustomer => on(method, update_customer),
        Operation::ArchiveCustomer => on(method, archive_customer),
        Operation::RestoreCustomer => on(method, restore_customer),
        Operation::ListPaymentMethods => on(method, list_payment_methods),
        Operation::GetPaymentMethod => on(method, get_payment_method),
        Operation::ListCustomerUsers => on(method, list_users),
        Operation::CreateCustomerUser => on(method, create_user),
    }
}

/// The operationId for a routed request (`token` for the token endpoint).
fn operation_id(method: &Method, route: &str) -> Option<&'static str> {
    if (method, route) == (&Method::POST, "/oauth/token") {
        return Some(TOKEN);
    }
    Operation::ALL
        .into_iter()
        .find(|op| op.http_method() == method.as_str() && op.path() == route)
        .map(Operation::operation_id)
}

/// An API error response (the spec's `HttpError`).
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "message": message.into() })),
    )
        .into_response()
}

fn error_with_fields(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: Map<String, Value>,
) -> Response {
    let body = json!({ "code": code, "message": message, "validation_errors": fields });
    (status, axum::Json(body)).into_response()
}

/// Every request: buffered (bounded), logged, delayed, possibly replaced by
/// an injected fault, then authenticated.
async fn gate(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let operation = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|route| operation_id(&parts.method, route.as_str()));
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
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body over {limit} bytes"),
        );
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
            Ok(response) => return response,
            Err(stall) => tokio::time::sleep(stall).await,
        }
    }
    let response = match operation {
        Some(TOKEN) | None => None,
        Some(_) => match authorise(&shared, &parts.headers, &parts.method) {
            Ok(client) => rate_limited(&shared, &client),
            Err(refusal) => Some(refusal),
        },
    };
    let response = match response {
        Some(refusal) => refusal,
        None => next.run(Request::from_parts(parts, Body::from(body))).await,
    };
    match after.map(replacement) {
        Some(Ok(lost)) => lost,
        Some(Err(stall)) => {
            tokio::time::sleep(stall).await;
            response
        }
        None => response,
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
    let (tokens, updated) = state
        .buckets
        .entry(client.to_string())
        .or_insert((burst, now));
    let elapsed = now.saturating_duration_since(*updated).as_secs_f64();
    *tokens = (*tokens + elapsed * rate).min(burst);
    *updated = now;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        return None;
    }
    let wait = ((1.0 - *tokens) / rate).ceil().max(1.0);
    state.stats.rate_limited += 1;
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

/// Bearer tokens (or configured API keys), and the scope the method needs;
/// the client the request counts against.
fn authorise(shared: &Shared, headers: &HeaderMap, method: &Method) -> Result<String, Response> {
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
    let needed = if method == Method::GET {
        "read"
    } else {
        "write"
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

/// RFC 6749 §5.2 error.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

fn decode_form_component(text: &str) -> String {
    url_decode_pairs(format!("x={text}").as_bytes())
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// `application/x-www-form-urlencoded` (and query strings) into pairs.
fn url_decode_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn token(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = url_decode_pairs(&body);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(i, s)| (decode_form_component(i), decode_form_component(s)))
                })
        });
    let in_body = field("client_id").map(|id| (id, field("client_secret").unwrap_or_default()));
    let credentials = match (basic, in_body) {
        (Some(_), Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one client authentication method, not two",
            );
        }
        (Some(None), None) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "malformed Basic credentials",
            );
        }
        (Some(Some(pair)), None) | (None, Some(pair)) => pair,
        (None, None) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication required",
            );
        }
    };
    let Some(client) = shared
        .config
        .clients
        .iter()
        .find(|c| c.id == credentials.0 && c.secret == credentials.1)
    else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
        return response;
    };
    match field("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported"),
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let scopes: Vec<String> = match field("scope") {
        Some(scope) => scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        None => client.scopes.clone(),
    };
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("scope {bad:?} is not allowed for this client"),
        );
    }
    let access_token = format!(
        "mock_at_{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let lifetime = shared.config.token_lifetime;
    {
        let mut state = shared.lock();
        let now = tokio::time::Instant::now();
        state.tokens.retain(|_, t| t.expires_at > now);
        state.tokens.insert(
            access_token.clone(),
            Token {
                client_id: client.id.clone(),
                scopes: scopes.clone(),
                expires_at: now + lifetime,
            },
        );
    }
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": scopes.join(" "),
    }))
    .into_response()
}

/// A JSON object body, or the 400 that refuses it.
fn json_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body must be a JSON object",
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("malformed JSON body: {e}"),
        )),
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// Keeps the `allowed` string fields of `input`; anything else in them
/// (`null` too: the spec's fields are not nullable), and with the extra
/// rules an email that is not an address, becomes an error (`status`: 422
/// for creates, 400 for PATCH, as the spec documents them) naming each field.
fn validated(
    input: Map<String, Value>,
    allowed: &[&str],
    status: StatusCode,
    extra_rules: bool,
) -> Result<Map<String, Value>, Response> {
    let mut problems = Map::new();
    let mut out = Map::new();
    for (key, value) in input {
        if !allowed.contains(&key.as_str()) {
            continue; // unknown fields are ignored, as the API's do
        }
        match &value {
            Value::String(s) if extra_rules && key == "email" && !is_email(s) => {
                problems.insert(key, json!("must be a valid email address"));
            }
            Value::String(_) => {
                out.insert(key, value);
            }
            Value::Null => {
                problems.insert(key, json!("must be a string, not null"));
            }
            _ => {
                problems.insert(key, json!("must be a string"));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(error_with_fields(
            status,
            "validation_failed",
            "the request has invalid fields",
            problems,
        ))
    }
}

fn not_found(what: &str, id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("{what} {id} not found"),
    )
}

fn bad_parameter(name: &str, problem: &str) -> Response {
    let mut fields = Map::new();
    fields.insert(name.into(), json!(problem));
    error_with_fields(
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        &format!("{name} {problem}"),
        fields,
    )
}

fn query_pairs(query: &Option<String>) -> Vec<(String, String)> {
    query
        .as_deref()
        .map(|q| url_decode_pairs(q.as_bytes()))
        .unwrap_or_default()
}

fn page_request(pairs: &[(String, String)], extra_rules: bool) -> Result<PageRequest, Response> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // The spec: an integer, no range. The mock serves 1 to MAX_LIMIT.
    let limit = match get("limit").map(|text| text.parse::<i128>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if !extra_rules => n.clamp(1, MAX_LIMIT as i128) as usize,
        Some(Ok(n)) if (1..=MAX_LIMIT as i128).contains(&n) => n as usize,
        Some(Ok(_)) => {
            return Err(bad_parameter(
                "limit",
                &format!("must be an integer from 1 to {MAX_LIMIT}"),
            ));
        }
        Some(Err(_)) => return Err(bad_parameter("limit", "must be an integer")),
    };
    let cursor = |name: &str| -> Result<Option<u64>, Response> {
        match get(name) {
            None | Some("") => Ok(None),
            Some(text) => decode_cursor(text)
                .map(Some)
                .ok_or_else(|| bad_parameter(name, "is not a valid cursor")),
        }
    };
    let (after, mut before) = (cursor("after")?, cursor("before")?);
    if after.is_some() && before.is_some() {
        if extra_rules {
            return Err(bad_parameter("before", "cannot be combined with after"));
        }
        before = None;
    }
    Ok(PageRequest {
        limit,
        after,
        before,
    })
}

/// A `created_at` filter. The spec says only "a string": one that is not an
/// RFC 3339 timestamp (an empty one included) does not filter, unless the
/// extra rules refuse it.
fn timestamp(
    pairs: &[(String, String)],
    name: &str,
    extra_rules: bool,
) -> Result<Option<OffsetDateTime>, Response> {
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, text)) => match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(time) => Ok(Some(time)),
            Err(_) if extra_rules => Err(bad_parameter(name, "must be an RFC 3339 timestamp")),
            Err(_) => Ok(None),
        },
    }
}

async fn list_customers(State(shared): State<AppState>, request: Request) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let strict = shared.config.extra_rules;
    let (page, start, end) = match (
        page_request(&pairs, strict),
        timestamp(&pairs, "created_at_start", strict),
        timestamp(&pairs, "created_at_end", strict),
    ) {
        (Ok(p), Ok(s), Ok(e)) => (p, s, e),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let name = pairs
        .iter()
        .find(|(k, _)| k == "company_name")
        .map(|(_, v)| v.to_lowercase());
    let keep = |c: &store::Customer| {
        !c.archived
            && start.is_none_or(|s| c.created_at >= s)
            && end.is_none_or(|e| c.created_at <= e)
            && name.as_ref().is_none_or(|n| {
                c.fields
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.to_lowercase().contains(n.as_str()))
            })
    };
    let state = shared.lock();
    axum::Json(store::page(
        &state.store.customers,
        |c| c.seq,
        keep,
        |c| c.to_json(),
        page,
    ))
    .into_response()
}

async fn create_customer(State(shared): State<AppState>, body: Bytes) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body)
        .and_then(|o| validated(o, &CREATE_FIELDS, StatusCode::UNPROCESSABLE_ENTITY, strict))
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let json = shared.lock().store.create_customer(fields).to_json();
    (StatusCode::CREATED, axum::Json(json)).into_response()
}

fn customer_response(customer: &store::Customer) -> Response {
    let mut response = axum::Json(customer.to_json()).into_response();
    if customer.archived {
        response
            .headers_mut()
            .insert("x-mock-archived", HeaderValue::from_static("true"));
    }
    response
}

async fn get_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    match shared.lock().store.customer(&id) {
        Some(customer) => customer_response(customer),
        None => not_found("customer", &id),
    }
}

async fn update_customer(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let changes = match json_object(&body)
        .and_then(|o| validated(o, &PATCH_FIELDS, StatusCode::BAD_REQUEST, strict))
    {
        Ok(changes) => changes,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    let Some(customer) = state.store.customer_mut(&id) else {
        return not_found("customer", &id);
    };
    customer.fields.extend(changes);
    customer_response(customer)
}

async fn archive_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let mut state = shared.lock();
    let Some(customer) = state.store.customer_mut(&id) else {
        return not_found("customer", &id);
    };
    if customer.archived {
        return error(
            StatusCode::BAD_REQUEST,
            "already_archived",
            format!("customer {id} is already archived"),
        );
    }
    customer.archived = true;
    customer_response(customer)
}

async fn restore_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let mut state = shared.lock();
    let Some(customer) = state.store.customer_mut(&id) else {
        return not_found("customer", &id);
    };
    if !customer.archived {
        return error(
            StatusCode::BAD_REQUEST,
            "not_archived",
            format!("customer {id} is not archived"),
        );
    }
    customer.archived = false;
    customer_response(customer)
}

async fn list_payment_methods(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    match shared.lock().store.customer(&id) {
        Some(customer) => {
            let data: Vec<Value> = customer
                .payment_methods
                .iter()
                .map(|m| m.to_json())
                .collect();
            axum::Json(json!({ "data": data })).into_response()
        }
        None => not_found("customer", &id),
    }
}

async fn get_payment_method(
    State(shared): State<AppState>,
    Path((id, method_id)): Path<(String, String)>,
) -> Response {
    let state = shared.lock();
    let Some(customer) = state.store.customer(&id) else {
        return not_found("customer", &id);
    };
    match customer.payment_methods.iter().find(|m| m.id == method_id) {
        Some(method) => axum::Json(method.to_json()).into_response(),
        None => not_found("payment method", &method_id),
    }
}

async fn list_users(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let page = match page_request(&pairs, shared.config.extra_rules) {
        Ok(page) => page,
        Err(response) => return response,
    };
    let state = shared.lock();
    let Some(customer) = state.store.customer(&id) else {
        return not_found("customer", &id);
    };
    axum::Json(store::page(
        &customer.users,
        |u| u.seq,
        |_| true,
        |u| u.to_json(),
        page,
    ))
    .into_response()
}

async fn create_user(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body)
        .and_then(|o| validated(o, &USER_FIELDS, StatusCode::UNPROCESSABLE_ENTITY, strict))
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    match state.store.customer(&id) {
        None => return not_found("customer", &id),
        Some(c) if c.archived => {
            return error(
                StatusCode::BAD_REQUEST,
                "customer_archived",
                format!("customer {id} is archived"),
            );
        }
        Some(_) => {}
    }
    match state.store.add_user(&id, fields) {
        Some(user) => (StatusCode::CREATED, axum::Json(user)).into_response(),
        None => not_found("customer", &id),
    }
}
