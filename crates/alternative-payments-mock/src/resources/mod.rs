//! The API's resources, one file each (`customers.rs`): its handlers and
//! validation, its seeding methods on the server. This module routes an
//! operation to its resource's file and holds what their handlers share:
//! error bodies, body validation, page and filter parameters.

// Helpers return `Err(Response)` so handlers can stop with `?`-like matches;
// the size of an axum Response on that path does not matter.
#![allow(clippy::result_large_err)]

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::oauth::url_decode_pairs;
use crate::operations::{Operation, Resource};
use crate::state::AppState;
use crate::store::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest, decode_cursor};

pub(crate) mod customers;

/// The handler of `operation`, from its resource's file. Exhaustive: a
/// resource the spec gains fails to compile here until the mock has its
/// file; an operation, in its resource's `handler`.
pub(crate) fn handler(operation: Operation) -> MethodRouter<AppState> {
    let method = Method::from_bytes(operation.http_method().as_bytes())
        .ok()
        .and_then(|m| MethodFilter::try_from(m).ok())
        .expect("the table holds HTTP methods axum routes");
    match operation.resource() {
        Resource::Customers(op) => customers::handler(op, method),
    }
}

/// The JSON body fields `operation` takes, as the spec lists them.
fn body_fields(operation: impl Into<Operation>) -> &'static [&'static str] {
    operation.into().body_fields().unwrap_or(&[])
}

/// An API error response (the spec's `HttpError`).
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
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
