//! The Payments resource (the `Payments` tag): a payment charges an invoice.
//!
//! What the mock decides where the provider's pages are silent:
//! - a payment needs an existing, open invoice (`invoice_id`; 422
//!   otherwise, `already paid` for a paid one): a charge never happens
//!   twice for one invoice; `customer_id`, when given, must be the
//!   invoice's; `amount` defaults to the invoice's total and may not exceed
//!   it; `payment_method` is `card` unless given, and `payment_method_id`,
//!   when given, must be one of the customer's;
//! - `idempotency_key`: the same key with the same body answers the first
//!   payment again and charges nothing more; the same key with another body
//!   is refused (422, naming the key);
//! - a payment is `succeeded` at once (the mock's statuses: `succeeded`,
//!   `failed`; [`MockServer::set_payment_status`]), and marks its invoice
//!   `paid`; its `sub_total` and `total` are the amount, and a card payment
//!   carries the mock's method fee (2.9 % + 0.30, rounded to the cent, not
//!   covered by the customer) in `fees`;
//! - the list filters `status`, `customer_id`, `invoice_id`,
//!   `payment_method` and `type` (the method again) match exactly;
//!   `created_at_start`/`_end` are inclusive RFC 3339 bounds.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::invoices::{decimal, number};
use super::webhooks::record_event;
use super::{
    AppState, json_object, not_found, page_request, query_pairs, timestamp, validated,
    validation_error,
};
use crate::operations::payments::Operation;
use crate::server::MockServer;
use crate::store::{Record, Store};

const PAYMENTS: &str = "payments";
const INVOICES: &str = "invoices";
const PAYMENT_METHODS: &str = "payment_methods";

/// The statuses the mock gives payments (the provider's are not
/// documented): each has the webhook topic `payment_<status>`.
pub const PAYMENT_STATUSES: [&str; 4] = ["succeeded", "failed", "refunded", "chargeback"];

/// Fields a payment keeps that the page's `Payment` does not show.
const HIDDEN: [&str; 5] = [
    "invoice_id",
    "payment_request_id",
    "amount",
    "idempotency_key",
    "payment_method_id",
];

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::ListPayments => on(method, list_payments),
        Operation::CreatePayment => on(method, create_payment),
        Operation::GetPayment => on(method, get_payment),
    }
}

pub(crate) fn payment_json(payment: &Record) -> Value {
    let mut out = payment.to_json();
    for hidden in HIDDEN {
        out.remove(hidden);
    }
    Value::Object(out)
}

async fn list_payments(State(shared): State<AppState>, request: Request) -> Response {
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
    let exact: Vec<(&str, String)> = [
        ("status", "status"),
        ("customer_id", "customer_id"),
        ("invoice_id", "invoice_id"),
        ("payment_method", "payment_method"),
        ("type", "payment_method"),
    ]
    .into_iter()
    .filter_map(|(param, field)| get(param).map(|v| (field, v)))
    .collect();
    let keep = |p: &Record| {
        start.is_none_or(|s| p.created_at >= s)
            && end.is_none_or(|e| p.created_at <= e)
            && exact
                .iter()
                .all(|(field, v)| p.fields.get(*field).and_then(Value::as_str) == Some(v.as_str()))
    };
    let state = shared.lock();
    let page = state.store.table(PAYMENTS).page(keep, payment_json, page);
    axum::Json(page).into_response()
}

async fn create_payment(State(shared): State<AppState>, body: Bytes) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreatePayment,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    let state = &mut *state;
    if let Some(key) = fields.get("idempotency_key").and_then(Value::as_str)
        && let Some((first, id)) = state.payment_keys.0.get(key)
    {
        if *first != fields {
            return validation_error(
                "idempotency_key",
                &format!("{key} was used with another body"),
            );
        }
        let payment = state.store.table(PAYMENTS).get(id).expect("stored");
        return axum::Json(payment_json(payment)).into_response();
    }
    match charge(&mut state.store, fields.clone()) {
        Ok(id) => {
            if let Some(key) = fields.get("idempotency_key").and_then(Value::as_str) {
                state
                    .payment_keys
                    .0
                    .insert(key.to_string(), (fields, id.clone()));
            }
            let payment = state.store.table(PAYMENTS).get(&id).expect("stored");
            axum::Json(payment_json(payment)).into_response()
        }
        Err(response) => response,
    }
}

/// Charges an invoice as the module docs say; the payment's id, or the 422
/// that refuses it.
pub(crate) fn charge(
    store: &mut Store,
    mut fields: Map<String, Value>,
) -> Result<String, Response> {
    let invoice_id = fields
        .get("invoice_id")
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| validation_error("invoice_id", "is required"))?;
    let Some(invoice) = store.table(INVOICES).get(&invoice_id) else {
        return Err(validation_error(
            "invoice_id",
            &format!("no invoice {invoice_id}"),
        ));
    };
    let status = invoice
        .fields
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("open");
    if status != "open" {
        return Err(validation_error(
            "invoice_id",
            &format!(
                "invoice {invoice_id} is {}",
                if status == "paid" {
                    "already paid"
                } else {
                    status
                }
            ),
        ));
    }
    let customer = invoice.parent.clone().unwrap_or_default();
    if let Some(given) = fields.get("customer_id").and_then(Value::as_str)
        && given != customer
    {
        return Err(validation_error(
            "customer_id",
            &format!("invoice {invoice_id} is {customer}'s, not {given}'s"),
        ));
    }
    let due = invoice
        .fields
        .get("total")
        .and_then(decimal)
        .unwrap_or(Decimal::ZERO);
    let amount = match fields.get("amount").map(|a| (a, decimal(a))) {
        None => due,
        Some((_, Some(a))) if a > Decimal::ZERO && a <= due => a,
        Some((_, Some(_))) => {
            return Err(validation_error(
                "amount",
                &format!("must be more than 0 and at most the invoice's total, {due}"),
            ));
        }
        Some((_, None)) => return Err(validation_error("amount", "must be a decimal number")),
    };
    if let Some(method) = fields.get("payment_method_id").and_then(Value::as_str)
        && store
            .table(PAYMENT_METHODS)
            .get(method)
            .is_none_or(|m| m.parent.as_deref() != Some(customer.as_str()))
    {
        return Err(validation_error(
            "payment_method_id",
            &format!("no payment method {method} of {customer}"),
        ));
    }
    if let Some(due_date) = invoice.fields.get("due_date").cloned() {
        fields.insert("due_date".into(), due_date);
    }
    let id = insert_payment(store, Some(&customer), amount, "succeeded", fields);
    // Paid in full: the invoice is paid.
    let paid: Decimal = store
        .table(PAYMENTS)
        .rows()
        .filter(|p| p.fields.get("invoice_id").and_then(Value::as_str) == Some(invoice_id.as_str()))
        .filter(|p| p.fields.get("status").and_then(Value::as_str) == Some("succeeded"))
        .filter_map(|p| p.fields.get("total").and_then(decimal))
        .sum();
    if paid >= due
        && let Some(invoice) = store.table_mut(INVOICES).get_mut(&invoice_id)
    {
        invoice.fields.insert("status".into(), json!("paid"));
        let json = super::invoices::invoice_json(invoice);
        record_event(store, "invoice_paid", json);
    }
    Ok(id)
}

/// Stores a payment of `amount` with `status` (its `payment_method` from
/// `fields`, `card` unless given; a card pays the mock's method fee) and
/// records its event (`payment_<status>`): its id.
pub(crate) fn insert_payment(
    store: &mut Store,
    customer: Option<&str>,
    amount: Decimal,
    status: &str,
    mut fields: Map<String, Value>,
) -> String {
    let method = fields
        .get("payment_method")
        .and_then(Value::as_str)
        .unwrap_or("card")
        .to_string();
    let fees = if method == "card" {
        let fee = (amount * Decimal::new(29, 3) + Decimal::new(30, 2))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        json!([{ "name": "Card processing", "type": "FT_METHOD", "amount": number(fee), "covered_by_customer": false }])
    } else {
        json!([])
    };
    if let Some(customer) = customer {
        fields.insert("customer_id".into(), json!(customer));
    }
    fields.insert("payment_method".into(), json!(method));
    fields.insert("status".into(), json!(status));
    fields.insert("sub_total".into(), number(amount));
    fields.insert("total".into(), number(amount));
    fields.insert("fees".into(), fees);
    let payment = store.insert(PAYMENTS, "pay", customer, fields);
    let (id, json) = (payment.id.clone(), payment_json(payment));
    if PAYMENT_STATUSES.contains(&status) {
        record_event(store, &format!("payment_{status}"), json);
    }
    id
}

async fn get_payment(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    match state.store.table(PAYMENTS).get(&id) {
        Some(payment) => axum::Json(payment_json(payment)).into_response(),
        None => not_found("payment", &id),
    }
}

impl MockServer {
    /// Charges an invoice directly, with the API's rules (`fields` as a
    /// create's body: `invoice_id`, and optionally `amount`,
    /// `payment_method`): the payment's id, or why the API would refuse it.
    pub fn create_payment(&self, fields: Value) -> Result<String, String> {
        let fields = fields.as_object().cloned().unwrap_or_default();
        charge(&mut self.shared.lock().store, fields)
            .map_err(|_| "not a payment the API would make (an open invoice, its customer, an amount up to its total)".to_string())
    }

    /// Sets a payment's status (one of [`PAYMENT_STATUSES`], or any other
    /// text) and records the event of that status (`payment_failed`,
    /// `payment_refunded`, ...; none for other text). `false` for an
    /// unknown id.
    pub fn set_payment_status(&self, id: &str, status: &str) -> bool {
        set_payment_status(&mut self.shared.lock().store, id, status)
    }

    /// How many payments the server made: every charge, whatever asked.
    pub fn payment_count(&self) -> usize {
        self.shared.lock().store.table(PAYMENTS).len()
    }
}

pub(crate) fn set_payment_status(store: &mut Store, id: &str, status: &str) -> bool {
    let topic = PAYMENT_STATUSES
        .contains(&status)
        .then(|| format!("payment_{status}"));
    super::set_status(store, PAYMENTS, id, status, topic.as_deref(), payment_json)
}
