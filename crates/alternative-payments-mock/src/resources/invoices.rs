//! The Invoices resource (the `Invoices` tag): invoices of a customer, with
//! line items, a hosted payment link and a signed PDF link.
//!
//! What the mock decides where the provider's pages are silent:
//! - an invoice needs an existing customer (`customer_id`: 422 otherwise)
//!   and at least one line item; a line item's `quantity` defaults to 1;
//! - `sub_total` is the sum of each line's `amount × quantity`, computed
//!   exactly, and `total` equals it (the pages document no tax or discount);
//! - `currency` is `USD` (the only value the pages show), `due_date` the
//!   creation day unless given (as the page says), `invoice_number`
//!   `INV-000042` from the invoice's position;
//! - the statuses are the mock's own: `open` when created, `paid` once paid
//!   ([`MockServer::set_invoice_status`]), `void` when archived; archiving
//!   an archived invoice is a 400, and an archived invoice leaves the list;
//! - the payment link is `{base URL}/pay/{id}`, the PDF link
//!   `{base URL}/invoices/{id}.pdf?signature=…`.
//!
//! List filters: `customer_id` and `status` match exactly, `invoice_number`
//! too; `created_at_start`/`_end` are inclusive RFC 3339 bounds and
//! `due_date_start`/`_end` inclusive `YYYY-MM-DD` bounds (text that is not
//! one does not filter, unless the extra rules refuse it).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::webhooks::record_event;
use super::{
    AppState, bad_parameter, error, json_object, not_found, page_request, query_pairs, timestamp,
    validated, validation_error,
};
use crate::operations::invoices::Operation;
use crate::server::MockServer;
use crate::store::{Record, Store};

const INVOICES: &str = "invoices";
/// Customers, as the Customers resource stores them.
const CUSTOMERS: &str = "customers";
/// An invoice's flag: archived (voided, not in the list).
const ARCHIVED: &str = "archived";

/// The statuses the mock gives invoices (the provider's are not
/// documented).
pub const INVOICE_STATUSES: [&str; 3] = ["open", "paid", "void"];

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::ListInvoices => on(method, list_invoices),
        Operation::CreateInvoice => on(method, create_invoice),
        Operation::GetInvoice => on(method, get_invoice),
        Operation::ArchiveInvoice => on(method, archive_invoice),
        Operation::GetInvoicePaymentLink => on(method, payment_link),
        Operation::GetInvoicePdfLink => on(method, pdf_link),
    }
}

/// A JSON number's exact value as far as `serde_json` kept it: its shortest
/// text, as a decimal (every amount of 15 significant digits or fewer).
pub(crate) fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

/// A decimal as a JSON number: its text, parsed as serde_json parses a
/// number (so it is written back with the same digits).
pub(crate) fn number(d: Decimal) -> Value {
    d.normalize()
        .to_string()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The line items as stored (quantity 1 when absent), and their sum.
fn priced(lines: &[Value]) -> Result<(Vec<Value>, Decimal), Response> {
    let mut total = Decimal::ZERO;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut line = line.as_object().cloned().unwrap_or_default();
        let amount = line
            .get("amount")
            .and_then(decimal)
            .ok_or_else(|| validation_error(&format!("line_items[{i}].amount"), "is required"))?;
        let quantity = line.get("quantity").and_then(Value::as_i64).unwrap_or(1);
        if quantity < 1 {
            return Err(validation_error(
                &format!("line_items[{i}].quantity"),
                "must be at least 1",
            ));
        }
        let line_total = amount
            .checked_mul(Decimal::from(quantity))
            .and_then(|t| total.checked_add(t))
            .ok_or_else(|| validation_error(&format!("line_items[{i}]"), "amounts too large"))?;
        total = line_total;
        line.insert("amount".into(), number(amount));
        line.insert("quantity".into(), json!(quantity));
        out.push(Value::Object(line));
    }
    Ok((out, total))
}

pub(crate) fn invoice_json(invoice: &Record) -> Value {
    let mut out = invoice.to_json();
    // Not a field of the page's Invoice.
    out.remove("exclude_from_autopay");
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

async fn list_invoices(State(shared): State<AppState>, request: Request) -> Response {
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
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let date = |name: &str| -> Result<Option<String>, Response> {
        match get(name) {
            Some(d) if is_date(&d) => Ok(Some(d)),
            Some(_) if strict => Err(bad_parameter(name, "must be a date, YYYY-MM-DD")),
            _ => Ok(None),
        }
    };
    let (due_start, due_end) = match (date("due_date_start"), date("due_date_end")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let (customer, number, status) = (get("customer_id"), get("invoice_number"), get("status"));
    let field =
        |i: &Record, name: &str| i.fields.get(name).and_then(Value::as_str).map(String::from);
    let keep = |i: &Record| {
        !i.flag(ARCHIVED)
            && start.is_none_or(|s| i.created_at >= s)
            && end.is_none_or(|e| i.created_at <= e)
            && customer
                .as_ref()
                .is_none_or(|c| field(i, "customer_id").as_ref() == Some(c))
            && number
                .as_ref()
                .is_none_or(|n| field(i, "invoice_number").as_ref() == Some(n))
            && status
                .as_ref()
                .is_none_or(|s| field(i, "status").as_ref() == Some(s))
            && due_start
                .as_ref()
                .is_none_or(|d| field(i, "due_date").is_some_and(|v| v >= *d))
            && due_end
                .as_ref()
                .is_none_or(|d| field(i, "due_date").is_some_and(|v| v <= *d))
    };
    let state = shared.lock();
    let page = state.store.table(INVOICES).page(keep, invoice_json, page);
    axum::Json(page).into_response()
}

/// `YYYY-MM-DD`, a day of the calendar.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else { return false };
    let number = |t: &str, len: usize| {
        (t.len() == len && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<i32>().ok())
            .flatten()
    };
    match (number(y, 4), number(m, 2), number(d, 2)) {
        (Some(y), Some(m), Some(d)) => time::Month::try_from(m as u8)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(y, m, d as u8).ok())
            .is_some(),
        _ => false,
    }
}

/// A day as `YYYY-MM-DD`.
fn date_text(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

async fn create_invoice(State(shared): State<AppState>, body: Bytes) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreateInvoice,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    match insert(&mut state.store, fields) {
        Ok(id) => {
            let invoice = state.store.table(INVOICES).get(&id).expect("stored");
            (StatusCode::CREATED, axum::Json(invoice_json(invoice))).into_response()
        }
        Err(response) => response,
    }
}

/// Stores an invoice from a create's fields, after the mock's rules (see
/// the module docs); its id, or the 422 that refuses it.
fn insert(store: &mut Store, mut fields: Map<String, Value>) -> Result<String, Response> {
    let customer = fields
        .get("customer_id")
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| validation_error("customer_id", "is required"))?;
    if store.table(CUSTOMERS).get(&customer).is_none() {
        return Err(validation_error(
            "customer_id",
            &format!("no customer {customer}"),
        ));
    }
    let lines = fields
        .get("line_items")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .cloned()
        .ok_or_else(|| validation_error("line_items", "at least one line item is required"))?;
    let (lines, total) = priced(&lines)?;
    if let Some(due) = fields.get("due_date").and_then(Value::as_str)
        && !is_date(due)
    {
        return Err(validation_error("due_date", "must be a date, YYYY-MM-DD"));
    }
    fields.insert("line_items".into(), Value::Array(lines));
    fields.insert("sub_total".into(), number(total));
    fields.insert("total".into(), number(total));
    fields.insert("currency".into(), json!("USD"));
    fields.insert("status".into(), json!("open"));
    let record = store.insert(INVOICES, "inv", Some(&customer), fields);
    let number = format!("INV-{:06}", record.seq);
    record.fields.insert("invoice_number".into(), json!(number));
    if !record.fields.contains_key("due_date") {
        let due = date_text(record.created_at.date());
        record.fields.insert("due_date".into(), json!(due));
    }
    let (id, json) = (record.id.clone(), invoice_json(record));
    record_event(store, "invoice_created", json);
    Ok(id)
}

async fn get_invoice(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    match state.store.table(INVOICES).get(&id) {
        Some(invoice) => axum::Json(invoice_json(invoice)).into_response(),
        None => not_found("invoice", &id),
    }
}

async fn archive_invoice(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let mut state = shared.lock();
    let Some(invoice) = state.store.table_mut(INVOICES).get_mut(&id) else {
        return not_found("invoice", &id);
    };
    if invoice.flag(ARCHIVED) {
        return error(
            StatusCode::BAD_REQUEST,
            "already_archived",
            format!("invoice {id} is already archived"),
        );
    }
    invoice.set_flag(ARCHIVED, true);
    invoice.fields.insert("status".into(), json!("void"));
    let json = invoice_json(invoice);
    record_event(&mut state.store, "invoice_archived", json.clone());
    axum::Json(json).into_response()
}

/// An invoice's link (`{base}/{path}`), or its 404.
fn link(shared: &AppState, headers: &HeaderMap, id: &str, path: String) -> Response {
    if shared.lock().store.table(INVOICES).get(id).is_none() {
        return not_found("invoice", id);
    }
    axum::Json(json!({ "url": format!("{}/{path}", base_url(headers)) })).into_response()
}

async fn payment_link(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    link(&shared, &headers, &id, format!("pay/{id}"))
}

async fn pdf_link(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let signature = format!("{:016x}", fastrand::u64(..));
    link(
        &shared,
        &headers,
        &id,
        format!("invoices/{id}.pdf?signature={signature}"),
    )
}

impl MockServer {
    /// Creates an invoice directly, with the API's rules (an existing
    /// customer, line items priced exactly): `fields` as a create's body.
    /// Its id, or what the API would refuse.
    pub fn create_invoice(&self, fields: Value) -> Result<String, String> {
        let fields = fields.as_object().cloned().unwrap_or_default();
        insert(&mut self.shared.lock().store, fields)
            .map_err(|_| "not an invoice the API would create (customer, line items)".to_string())
    }

    /// Sets an invoice's status (one of [`INVOICE_STATUSES`], or any other
    /// text) and records `invoice_paid` for `paid`, `invoice_updated`
    /// otherwise. `false` for an unknown id.
    pub fn set_invoice_status(&self, id: &str, status: &str) -> bool {
        set_invoice_status(&mut self.shared.lock().store, id, status)
    }
}

pub(crate) fn set_invoice_status(store: &mut Store, id: &str, status: &str) -> bool {
    let topic = if status == "paid" {
        "invoice_paid"
    } else {
        "invoice_updated"
    };
    super::set_status(store, INVOICES, id, status, Some(topic), invoice_json)
}
