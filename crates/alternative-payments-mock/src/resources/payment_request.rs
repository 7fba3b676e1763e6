//! The Payment request resource (the `Payment request` tag): one-off
//! requests for an amount, with a hosted `url` for the payer and a status
//! the integration polls.
//!
//! The provider documents no status values; the mock's own are `pending`
//! (created), `paid`, `failed`, `expired` and `canceled`
//! ([`MockServer::set_payment_request_status`]). `url` is
//! `{base URL}/pay/{id}`, where the base URL is the one the request came to.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Map, Value, json};

use super::{AppState, json_object, not_found, validated};
use crate::operations::payment_request::Operation;
use crate::server::MockServer;
use crate::store::{Record, Store};

const PAYMENT_REQUESTS: &str = "payment_requests";

/// The statuses the mock gives payment requests (the provider's are not
/// documented).
pub const PAYMENT_REQUEST_STATUSES: [&str; 5] =
    ["pending", "paid", "failed", "expired", "canceled"];

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::CreatePaymentRequest => on(method, create_payment_request),
        Operation::GetPaymentRequest => on(method, get_payment_request),
    }
}

fn payment_request_json(request: &Record) -> Value {
    let mut out = request.to_json();
    // What the page shows of a payment request: no amount, no creation time.
    out.remove("amount");
    out.remove("created_at");
    Value::Object(out)
}

/// The base URL this request came to, from its `Host`.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

async fn create_payment_request(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let mut fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreatePaymentRequest,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    // The mock's own rule: a request for no amount asks for nothing.
    if !fields.contains_key("amount") {
        return super::validation_error("amount", "is required");
    }
    fields.insert("status".into(), json!("pending"));
    let base = base_url(&headers);
    let mut state = shared.lock();
    let record = insert(&mut state.store, fields, &base);
    // The page documents 200 for the create.
    (StatusCode::OK, axum::Json(payment_request_json(record))).into_response()
}

fn insert<'s>(
    store: &'s mut crate::store::Store,
    fields: Map<String, Value>,
    base: &str,
) -> &'s Record {
    let record = store.insert(PAYMENT_REQUESTS, "pr", None, fields);
    let url = format!("{base}/pay/{}", record.id);
    record.fields.insert("url".into(), json!(url));
    record
}

async fn get_payment_request(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    match state.store.table(PAYMENT_REQUESTS).get(&id) {
        Some(request) => axum::Json(payment_request_json(request)).into_response(),
        None => not_found("payment request", &id),
    }
}

impl MockServer {
    /// Creates a payment request directly (no HTTP, no validation), as
    /// `pending`; returns its id.
    pub fn create_payment_request(&self, fields: Value) -> String {
        let mut fields = fields.as_object().cloned().unwrap_or_default();
        fields.entry("status").or_insert_with(|| json!("pending"));
        let base = self.base_url().to_string();
        insert(&mut self.shared.lock().store, fields, &base)
            .id
            .clone()
    }

    /// Sets a payment request's status (one of
    /// [`PAYMENT_REQUEST_STATUSES`], or any other text: the API's values
    /// are not documented). `false` for an unknown id.
    pub fn set_payment_request_status(&self, id: &str, status: &str) -> bool {
        set_payment_request_status(&mut self.shared.lock().store, id, status)
    }
}

/// Payment requests have no webhook topic: a status change records no event.
pub(crate) fn set_payment_request_status(store: &mut Store, id: &str, status: &str) -> bool {
    super::set_status(
        store,
        PAYMENT_REQUESTS,
        id,
        status,
        None,
        payment_request_json,
    )
}
