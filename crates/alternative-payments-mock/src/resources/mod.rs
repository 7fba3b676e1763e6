//! The API's resources, one file each (`customers.rs`): its handlers and
//! validation, its seeding methods on the server, and what the mock decides
//! where the provider's pages are silent (its docs, and its statuses:
//! [`invoices::INVOICE_STATUSES`], ...). This module routes an
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

/// Payment methods, kept by the Customers resource and changed by the
/// PaymentMethods one.
const PAYMENT_METHODS: &str = "payment_methods";
/// A payment method's flag: the customer's default.
const DEFAULT: &str = "default";
/// A record's flag: removed (deleted through the API; answered as unknown).
const REMOVED: &str = "removed";

pub mod customers;
pub mod invoices;
pub mod payment_methods;
pub mod payment_request;
pub mod payments;
pub mod payouts;
pub mod webhooks;

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
        Resource::PaymentRequest(op) => payment_request::handler(op, method),
        Resource::Invoices(op) => invoices::handler(op, method),
        Resource::Payments(op) => payments::handler(op, method),
        Resource::Payouts(op) => payouts::handler(op, method),
        Resource::Webhooks(op) => webhooks::handler(op, method),
        Resource::PaymentMethods(op) => payment_methods::handler(op, method),
    }
}

/// Sets the `status` of record `id` of `kind` and, when `topic` names one,
/// records that event about it (as `json` shows it). `false` for an
/// unknown id.
pub(crate) fn set_status(
    store: &mut crate::store::Store,
    kind: &'static str,
    id: &str,
    status: &str,
    topic: Option<&str>,
    json: fn(&crate::store::Record) -> Value,
) -> bool {
    let Some(record) = store.table_mut(kind).get_mut(id) else {
        return false;
    };
    record.fields.insert("status".into(), json!(status));
    let data = json(record);
    if let Some(topic) = topic {
        webhooks::record_event(store, topic, data);
    }
    true
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

/// `input` checked against `operation`'s request body schema (from the
/// spec, through the operation table): the fields the spec lists, each of
/// its type (strings, numbers, integers, booleans, arrays and objects, at
/// any depth), an enum's values, the required fields. Unknown fields are
/// dropped, as the API's are. Anything else is an error (`status`: 422 for
/// creates, 400 for PATCH, as the spec documents them) naming each field by
/// its path (`line_items[0].amount`). The mock's own rules on top: an
/// `amount` (or `…_amount`) sent as a string must be a decimal number,
/// and, with the extra rules, an email must be an address.
fn validated(
    operation: impl Into<Operation>,
    input: Map<String, Value>,
    status: StatusCode,
    extra_rules: bool,
) -> Result<Map<String, Value>, Response> {
    let operation = operation.into();
    let schema: Value = operation
        .body_schema()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({ "type": "object", "properties": {} }));
    let mut problems = Map::new();
    let mut out = Map::new();
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, value) in input {
        let Some(property) = properties.get(&key) else {
            continue; // unknown fields are ignored, as the API's do
        };
        check(&key, &value, property, extra_rules, &mut problems);
        out.insert(key, value);
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        if let Some(name) = required.as_str()
            && !out.contains_key(name)
        {
            problems.insert(name.into(), json!("is required"));
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

/// Whether `value` (at `path`) is what `schema` allows; each problem goes
/// into `problems` under its path.
fn check(
    path: &str,
    value: &Value,
    schema: &Value,
    extra_rules: bool,
    problems: &mut Map<String, Value>,
) {
    let kind = schema["type"].as_str().unwrap_or("any");
    let name = path.rsplit(['.', ']']).next().unwrap_or(path);
    let problem = match (kind, value) {
        (_, Value::Null) if kind != "any" => Some(format!("must be {}, not null", article(kind))),
        ("string", Value::String(s)) => {
            if let Some(allowed) = schema["enum"].as_array()
                && !allowed.iter().any(|a| a == value)
            {
                let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                Some(format!("must be one of: {}", names.join(", ")))
            } else if (name == "amount" || name.ends_with("_amount")) && !is_decimal(s) {
                Some("must be a decimal number, like \"19.99\"".into())
            } else if extra_rules && name == "email" && !is_email(s) {
                Some("must be a valid email address".into())
            } else {
                None
            }
        }
        ("number", Value::Number(_)) | ("boolean", Value::Bool(_)) | ("any", _) => None,
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => None,
        ("array", Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(
                    &format!("{path}[{i}]"),
                    item,
                    &schema["items"],
                    extra_rules,
                    problems,
                );
            }
            None
        }
        ("object", Value::Object(fields)) => {
            let properties = schema["properties"].as_object();
            for (key, field) in fields {
                if let Some(property) = properties.and_then(|p| p.get(key)) {
                    check(
                        &format!("{path}.{key}"),
                        field,
                        property,
                        extra_rules,
                        problems,
                    );
                }
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                if let Some(r) = required.as_str()
                    && !fields.contains_key(r)
                {
                    problems.insert(format!("{path}.{r}"), json!("is required"));
                }
            }
            None
        }
        _ => Some(format!("must be {}", article(kind))),
    };
    if let Some(problem) = problem {
        problems.insert(path.to_string(), json!(problem));
    }
}

/// `a string`, `an integer`, ... for a JSON schema type.
fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        other => format!("a {other}"),
    }
}

/// A decimal number as an amount's text: digits, at most one point, an
/// optional leading minus.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The client a request's bearer token was issued to, if any.
fn client_of(shared: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value.strip_prefix("Bearer ")?;
    shared.lock().tokens.get(token).map(|t| t.client_id.clone())
}

/// The query of a request for `operation` checked against the spec's
/// parameters: an integer, a boolean or an enum value that is not one is a
/// 400 naming the parameter (text parameters take anything; their meaning
/// is each handler's).
pub(crate) fn checked_query(operation: Operation, query: Option<&str>) -> Result<(), Response> {
    let schema: Map<String, Value> =
        serde_json::from_str(operation.query_schema()).unwrap_or_default();
    for (name, value) in query_pairs(&query.map(String::from)) {
        let Some(param) = schema.get(&name) else {
            continue;
        };
        let problem = match param["type"].as_str() {
            Some("integer") if value.parse::<i128>().is_err() => {
                Some("must be an integer".to_string())
            }
            Some("boolean") if value != "true" && value != "false" => {
                Some("must be true or false".to_string())
            }
            _ => param["enum"].as_array().and_then(|allowed| {
                (!allowed.iter().any(|a| a.as_str() == Some(value.as_str()))).then(|| {
                    let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                    format!("must be one of: {}", names.join(", "))
                })
            }),
        };
        if let Some(problem) = problem {
            return Err(bad_parameter(&name, &problem));
        }
    }
    Ok(())
}

/// A 422 naming one field: a rule of the mock's own beyond the spec's.
fn validation_error(field: &str, problem: &str) -> Response {
    let mut fields = Map::new();
    fields.insert(field.into(), json!(problem));
    error_with_fields(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "the request has invalid fields",
        fields,
    )
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
