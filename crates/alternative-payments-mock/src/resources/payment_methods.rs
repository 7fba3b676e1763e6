//! The PaymentMethods resource (the `PaymentMethods` tag): what can be done
//! to a customer's stored payment method (the Customers resource lists and
//! gets them).
//!
//! What the mock decides where the provider's pages are silent:
//! - a CVV check succeeds for a card of the customer when `cvv_secret` is
//!   given (`{"success": true}`) and is registered for the card (the secret
//!   is not kept); any other method is a 422;
//! - the fee calculation (the page shows no answer) answers the mock's own
//!   object: `{"amount", "fee", "total", "currency"}`, with the card fee of
//!   payments (2.9 % + 0.30), amounts as strings;
//! - deleting answers `{"response": "deleted"}` and removes the method (a
//!   second delete, like any unknown method, is a 404); the customer's next
//!   method becomes its default if it was;
//! - making a method the default answers `{"response": "ok"}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::invoices::decimal;
use super::webhooks::record_event;
use super::{
    AppState, DEFAULT, PAYMENT_METHODS, REMOVED, json_object, not_found, validated,
    validation_error,
};
use crate::operations::payment_methods::Operation;
use crate::store::Store;

/// CVV registrations, one a check.
const CVV_REGISTRATIONS: &str = "cvv_registrations";

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::VerifyCardCvv => on(method, verify_cvv),
        Operation::CalculateCardPaymentFees => on(method, card_fees),
        Operation::DeletePaymentMethod => on(method, delete_method),
        Operation::ChangeDefaultPaymentMethod => on(method, make_default),
    }
}

/// Whether `method` is a live payment method of `customer`, and a card.
fn find(store: &Store, customer: &str, method: &str) -> Option<bool> {
    let record = store.table(PAYMENT_METHODS).get(method)?;
    (record.parent.as_deref() == Some(customer) && !record.flag(REMOVED))
        .then(|| record.fields.get("type").and_then(Value::as_str) == Some("card"))
}

async fn verify_cvv(
    State(shared): State<AppState>,
    Path((customer, card)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::VerifyCardCvv,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    match find(&shared.lock().store, &customer, &card) {
        None => return not_found("payment method", &card),
        Some(false) => return validation_error("card_id", "is not a card"),
        Some(true) => {}
    }
    if !fields.contains_key("cvv_secret") {
        return validation_error("cvv_secret", "is required");
    }
    // Registered for the card (the page: "Register CVV for a card
    // payment"); the secret is not kept.
    let mut registration = serde_json::Map::new();
    registration.insert("card_id".into(), json!(card));
    shared
        .lock()
        .store
        .insert(CVV_REGISTRATIONS, "cvv", Some(&customer), registration);
    (StatusCode::CREATED, axum::Json(json!({ "success": true }))).into_response()
}

async fn card_fees(
    State(shared): State<AppState>,
    Path((customer, card)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        // The page documents 400 for this one, not 422.
        validated(
            Operation::CalculateCardPaymentFees,
            o,
            StatusCode::BAD_REQUEST,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    if find(&shared.lock().store, &customer, &card).is_none() {
        return not_found("payment method", &card);
    }
    let Some(amount) = fields.get("amount").and_then(decimal) else {
        return super::bad_parameter("amount", "is required, as a decimal");
    };
    let fee = (amount * Decimal::new(29, 3) + Decimal::new(30, 2))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let currency = fields
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("USD");
    axum::Json(json!({
        "amount": amount.to_string(),
        "fee": fee.to_string(),
        "total": (amount + fee).to_string(),
        "currency": currency,
    }))
    .into_response()
}

async fn delete_method(
    State(shared): State<AppState>,
    Path((customer, method)): Path<(String, String)>,
) -> Response {
    let mut state = shared.lock();
    let store = &mut state.store;
    if find(store, &customer, &method).is_none() {
        return not_found("payment method", &method);
    }
    let methods = store.table_mut(PAYMENT_METHODS);
    let record = methods.get_mut(&method).expect("found");
    let was_default = record.flag(DEFAULT);
    record.set_flag(REMOVED, true);
    record.set_flag(DEFAULT, false);
    if was_default && let Some(next) = methods.children_mut(&customer).find(|m| !m.flag(REMOVED)) {
        next.set_flag(DEFAULT, true);
    }
    record_event(
        store,
        "payment_method_deleted",
        json!({ "id": method, "customer_id": customer }),
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({ "response": "deleted" })),
    )
        .into_response()
}

async fn make_default(
    State(shared): State<AppState>,
    Path((customer, method)): Path<(String, String)>,
) -> Response {
    let mut state = shared.lock();
    let store = &mut state.store;
    if find(store, &customer, &method).is_none() {
        return not_found("payment method", &method);
    }
    for m in store.table_mut(PAYMENT_METHODS).children_mut(&customer) {
        let is = m.id == method;
        m.set_flag(DEFAULT, is);
    }
    record_event(
        store,
        "default_payment_method_changed",
        json!({ "id": method, "customer_id": customer }),
    );
    (StatusCode::CREATED, axum::Json(json!({ "response": "ok" }))).into_response()
}
