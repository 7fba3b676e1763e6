//! What the mock serves beside the API: the hosted payment page a payer
//! opens (an invoice's payment link, a payment request's `url`), and the
//! `/_mock` actions that stand in for what only a payer, a bank or the
//! provider does, for the mock binary's users (the `MockServer` methods
//! are the same actions in-process).
//!
//! The page, `GET /pay/{id}`, shows what is due and four buttons that POST
//! to the same path (`action=card|ach|fail|cancel`):
//!
//! - `card` or `ach` pays: a `succeeded` payment of the amount due (a card
//!   pays the mock's method fee), the invoice or payment request `paid`,
//!   and the payer sent to `redirect_url` (303, with `status=paid` added to
//!   its query) when the payment request has one, or shown a receipt;
//! - `fail` declines: a `failed` payment (`payment_failed`), nothing paid,
//!   and the page again, saying so (402): the payer may try again;
//! - `cancel`: a payment request becomes `canceled` and the payer goes to
//!   `redirect_url` with `status=canceled`; an invoice stays open.
//!
//! Neither page nor actions need credentials: a payer has none.

use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::resources::invoices::{decimal, set_invoice_status};
use crate::resources::payment_request::set_payment_request_status;
use crate::resources::payments::{charge, insert_payment, set_payment_status};
use crate::resources::payouts::{set_payout_status, settle_payments, settle_payout};
use crate::state::AppState;
use crate::store::{Record, Store};

/// What a hosted page is for.
enum Payable {
    Invoice,
    PaymentRequest,
}

impl Payable {
    fn table(&self) -> &'static str {
        match self {
            Self::Invoice => "invoices",
            Self::PaymentRequest => "payment_requests",
        }
    }

    fn noun(&self) -> &'static str {
        match self {
            Self::Invoice => "Invoice",
            Self::PaymentRequest => "Payment request",
        }
    }
}

/// The record `id` names (an invoice or a payment request).
fn find<'s>(store: &'s Store, id: &str) -> Option<(Payable, &'s Record)> {
    [Payable::Invoice, Payable::PaymentRequest]
        .into_iter()
        .find_map(|kind| store.table(kind.table()).get(id).map(|r| (kind, r)))
}

fn field<'r>(record: &'r Record, name: &str) -> &'r str {
    record
        .fields
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// What is due: an invoice's total, a payment request's amount.
fn due(kind: &Payable, record: &Record) -> Decimal {
    let name = match kind {
        Payable::Invoice => "total",
        Payable::PaymentRequest => "amount",
    };
    record
        .fields
        .get(name)
        .and_then(decimal)
        .unwrap_or_default()
}

/// An amount as a payer reads it: `120.50`.
fn cents(amount: Decimal) -> String {
    format!("{amount:.2}")
}

/// Text made safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}\n\
         <p><small>Alternative Payments mock: no money moves.</small></p>\n</main>\n</body></html>\n",
        title = escape(title)
    );
    (status, Html(html)).into_response()
}

fn not_found(id: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("<p>Nothing to pay at {}.</p>", escape(id)),
    )
}

/// The page of `id`, with `notice` above it (a decline, say).
fn render(store: &Store, id: &str, status: StatusCode, notice: &str) -> Response {
    let Some((kind, record)) = find(store, id) else {
        return not_found(id);
    };
    let state = match field(record, "status") {
        "" => "open",
        s => s,
    };
    let mut body = format!(
        "<dl>\n<dt>{noun}</dt><dd id=\"id\">{id}</dd>\n<dt>Amount due</dt>\
         <dd id=\"amount\">{amount} USD</dd>\n<dt>Status</dt><dd id=\"status\">{state}</dd>\n",
        noun = kind.noun(),
        id = escape(id),
        amount = cents(due(&kind, record)),
        state = escape(state),
    );
    for (label, name) in [
        ("Invoice number", "invoice_number"),
        ("Memo", "memo"),
        ("Reference", "reference_id"),
    ] {
        if !field(record, name).is_empty() {
            body += &format!("<dt>{label}</dt><dd>{}</dd>\n", escape(field(record, name)));
        }
    }
    body += "</dl>\n";
    if !notice.is_empty() {
        body += &format!("<p id=\"notice\" role=\"alert\">{}</p>\n", escape(notice));
    }
    if matches!(state, "open" | "pending") {
        body += &format!(
            "<form method=\"post\" action=\"/pay/{id}\">\n\
             <button type=\"submit\" name=\"action\" value=\"card\" id=\"pay-card\">Pay by card (test card 4242)</button>\n\
             <button type=\"submit\" name=\"action\" value=\"ach\" id=\"pay-ach\">Pay by bank transfer (ACH)</button>\n\
             <button type=\"submit\" name=\"action\" value=\"fail\" id=\"decline\">Simulate a declined payment</button>\n\
             <button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button>\n\
             </form>",
            id = escape(id)
        );
    } else {
        body += "<p>Nothing is due.</p>";
    }
    page(status, &format!("{} {}", kind.noun(), id), &body)
}

pub(crate) async fn show(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    render(&shared.lock().store, &id, StatusCode::OK, "")
}

#[derive(Deserialize)]
pub(crate) struct Action {
    action: String,
}

/// `redirect_url` with `status=<status>` added to its query.
fn redirect(url: &str, status: &str) -> Response {
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut location = format!("{base}{separator}status={status}");
    if let Some(fragment) = fragment {
        location = format!("{location}#{fragment}");
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

pub(crate) async fn act(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Form(action): Form<Action>,
) -> Response {
    let mut state = shared.lock();
    let store = &mut state.store;
    let Some((kind, record)) = find(store, &id) else {
        return not_found(&id);
    };
    let status = field(record, "status").to_string();
    if !matches!(status.as_str(), "" | "open" | "pending") {
        let notice = format!(
            "This {} is {status}: nothing is due.",
            kind.noun().to_lowercase()
        );
        return render(store, &id, StatusCode::CONFLICT, &notice);
    }
    let (amount, redirect_url) = (
        due(&kind, record),
        field(record, "redirect_url").to_string(),
    );
    let customer = record.parent.clone();
    let method = match action.action.as_str() {
        "card" => "card",
        "ach" => "ach",
        "fail" => {
            let mut fields = Map::new();
            fields.insert("payment_method".into(), json!("card"));
            let link = match kind {
                Payable::Invoice => "invoice_id",
                Payable::PaymentRequest => "payment_request_id",
            };
            fields.insert(link.into(), json!(id));
            insert_payment(store, customer.as_deref(), amount, "failed", fields);
            return render(
                store,
                &id,
                StatusCode::PAYMENT_REQUIRED,
                "Your card was declined. Nothing was charged; try again.",
            );
        }
        "cancel" => {
            if let Payable::PaymentRequest = kind {
                set_payment_request_status(store, &id, "canceled");
                if !redirect_url.is_empty() {
                    return redirect(&redirect_url, "canceled");
                }
            }
            return render(store, &id, StatusCode::OK, "You left without paying.");
        }
        other => {
            let notice = format!("Unknown action {other:?}: card, ach, fail or cancel.");
            return render(store, &id, StatusCode::BAD_REQUEST, &notice);
        }
    };
    let mut fields = Map::new();
    fields.insert("payment_method".into(), json!(method));
    let payment = match kind {
        Payable::Invoice => {
            fields.insert("invoice_id".into(), json!(id));
            match charge(store, fields) {
                Ok(payment) => payment,
                Err(_) => {
                    return render(
                        store,
                        &id,
                        StatusCode::CONFLICT,
                        "This invoice cannot be paid.",
                    );
                }
            }
        }
        Payable::PaymentRequest => {
            fields.insert("payment_request_id".into(), json!(id));
            let payment = insert_payment(store, customer.as_deref(), amount, "succeeded", fields);
            set_payment_request_status(store, &id, "paid");
            payment
        }
    };
    if !redirect_url.is_empty() {
        return redirect(&redirect_url, "paid");
    }
    page(
        StatusCode::OK,
        "Paid",
        &format!(
            "<p id=\"receipt\">Paid {} USD by {method}: payment <span id=\"payment\">{}</span>.</p>",
            cents(amount),
            escape(&payment)
        ),
    )
}

/// `POST /_mock/payouts/settle`: [`MockServer::settle_payments`](crate::MockServer::settle_payments).
pub(crate) async fn settle_all(State(shared): State<AppState>) -> Response {
    match settle_payments(&mut shared.lock().store) {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "payout_id": id }))).into_response(),
        Err(why) => refused(&why),
    }
}

/// `POST /_mock/payouts/{id}/settle`: [`MockServer::settle_payout`](crate::MockServer::settle_payout).
pub(crate) async fn settle_one(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    match settle_payout(&mut shared.lock().store, &id) {
        Ok(steps) => Json(json!({ "payout_id": id, "statuses": steps })).into_response(),
        Err(why) => refused(&why),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewStatus {
    status: String,
}

/// `POST /_mock/{kind}/{id}/status` with `{"status": ...}`: the
/// `MockServer::set_*_status` of `kind` (`invoices`, `payments`,
/// `payment-requests`, `payouts`), with the event it records.
pub(crate) async fn set_status(
    State(shared): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    Json(new): Json<NewStatus>,
) -> Response {
    let setter = match kind.as_str() {
        "invoices" => set_invoice_status,
        "payments" => set_payment_status,
        "payment-requests" => set_payment_request_status,
        "payouts" => set_payout_status,
        _ => {
            return refused(&format!(
                "{kind}: statuses are set on invoices, payments, payment-requests or payouts"
            ));
        }
    };
    if setter(&mut shared.lock().store, &id, &new.status) {
        Json(json!({ "id": id, "status": new.status })).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({ "code": "not_found", "message": format!("no {kind} record {id}") })),
        )
            .into_response()
    }
}

fn refused(why: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "code": "refused", "message": why })),
    )
        .into_response()
}
