//! The Payouts resource (the `Payouts` tag): payouts settle payments to the
//! partner; each lists the payments in it.
//!
//! What the mock decides where the provider's pages are silent: a payout
//! groups succeeded payments ([`MockServer::create_payout`], or
//! [`MockServer::settle_payments`] for every one not paid out yet); its
//! `sub_total` is their totals' sum, its `fees` the payments' fees not
//! covered by the customer (as `method` fees), its `total` the sub total
//! less those fees, exactly; its `customer_id` is the payments' customer
//! when they share one; its `status` one of the page's
//! [`PAYOUT_STATUSES`] (`pending` when made; [`MockServer::set_payout_status`]),
//! its `arrival_date` two days after it was made. [`MockServer::settle_payout`]
//! takes it through the statuses in order to `succeeded`, recording
//! `payout_processing`, `payout_scheduled` and `payout_paid` on the way
//! ([`payout_topic`]). The list filters `status`,
//! `customer_id` and `invoice_id` (a payout holding a payment of that
//! invoice) match exactly; `start_date`/`end_date` are inclusive
//! `YYYY-MM-DD` bounds on `arrival_date`.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::invoices::{decimal, number};
use super::payments::payment_json;
use super::{AppState, not_found, page_request, query_pairs};
use crate::operations::payouts::Operation;
use crate::server::MockServer;
use crate::store::{Record, Store, page};

const PAYOUTS: &str = "payouts";
const PAYMENTS: &str = "payments";

/// The payout statuses the provider's page documents, in the order a
/// payout goes through them when it succeeds: `pending`, `creating`,
/// `processing`, `analyzing`, `approved`, `scheduled`, `succeeded`; or it
/// ends `canceled` or `failed` (`unspecified` is the page's default).
pub const PAYOUT_STATUSES: [&str; 10] = [
    "pending",
    "creating",
    "processing",
    "analyzing",
    "approved",
    "scheduled",
    "succeeded",
    "canceled",
    "failed",
    "unspecified",
];

/// The order a payout goes through [`PAYOUT_STATUSES`] when it succeeds:
/// their first seven, through `succeeded`.
const SUCCESS_ORDER: &[&str] = PAYOUT_STATUSES.split_at(7).0;

/// The webhook topic of a payout reaching `status`, if it has one.
pub fn payout_topic(status: &str) -> Option<&'static str> {
    match status {
        "processing" => Some("payout_processing"),
        "scheduled" => Some("payout_scheduled"),
        "succeeded" => Some("payout_paid"),
        "failed" => Some("payout_failed"),
        _ => None,
    }
}

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::ListPayouts => on(method, list_payouts),
        Operation::GetPayout => on(method, get_payout),
        Operation::ListPayoutTransactions => on(method, list_payout_payments),
    }
}

fn payout_json(payout: &Record) -> Value {
    let mut out = payout.to_json();
    out.remove("payment_ids");
    Value::Object(out)
}

fn payment_ids(payout: &Record) -> Vec<String> {
    payout.fields["payment_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(String::from))
        .collect()
}

async fn list_payouts(State(shared): State<AppState>, request: Request) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let strict = shared.config.extra_rules;
    let page_request = match page_request(&pairs, strict) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (status, customer, invoice) = (get("status"), get("customer_id"), get("invoice_id"));
    let (start, end) = (get("start_date"), get("end_date"));
    let state = shared.lock();
    let store = &state.store;
    let field =
        |r: &Record, name: &str| r.fields.get(name).and_then(Value::as_str).map(String::from);
    let keep = |p: &Record| {
        status
            .as_ref()
            .is_none_or(|s| field(p, "status").as_ref() == Some(s))
            && customer
                .as_ref()
                .is_none_or(|c| field(p, "customer_id").as_ref() == Some(c))
            && start
                .as_ref()
                .is_none_or(|d| field(p, "arrival_date").is_some_and(|a| a >= *d))
            && end
                .as_ref()
                .is_none_or(|d| field(p, "arrival_date").is_some_and(|a| a <= *d))
            && invoice.as_ref().is_none_or(|i| {
                payment_ids(p).iter().any(|id| {
                    store
                        .table(PAYMENTS)
                        .get(id)
                        .and_then(|pay| pay.fields.get("invoice_id"))
                        .and_then(Value::as_str)
                        == Some(i.as_str())
                })
            })
    };
    axum::Json(store.table(PAYOUTS).page(keep, payout_json, page_request)).into_response()
}

async fn get_payout(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    match state.store.table(PAYOUTS).get(&id) {
        Some(payout) => axum::Json(payout_json(payout)).into_response(),
        None => not_found("payout", &id),
    }
}

/// The payments of a payout, in one answer (the operation takes no cursor).
async fn list_payout_payments(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    let store = &state.store;
    let Some(payout) = store.table(PAYOUTS).get(&id) else {
        return not_found("payout", &id);
    };
    let payments: Vec<&Record> = payment_ids(payout)
        .iter()
        .filter_map(|id| store.table(PAYMENTS).get(id))
        .collect();
    let all = crate::store::PageRequest {
        limit: payments.len().max(1),
        after: None,
        before: None,
    };
    axum::Json(page(
        &payments,
        |p| p.seq,
        |_| true,
        |p| payment_json(p),
        all,
    ))
    .into_response()
}

/// Groups `payments` into a payout, as the module docs say.
fn settle(store: &mut Store, payments: &[String]) -> Result<String, String> {
    if payments.is_empty() {
        return Err("a payout needs at least one payment".into());
    }
    let (mut sub_total, mut fees, mut customers) = (Decimal::ZERO, Decimal::ZERO, Vec::new());
    for id in payments {
        let payment = store
            .table(PAYMENTS)
            .get(id)
            .ok_or_else(|| format!("no payment {id}"))?;
        if payment.fields.get("status").and_then(Value::as_str) != Some("succeeded") {
            return Err(format!("payment {id} has not succeeded"));
        }
        sub_total += payment
            .fields
            .get("total")
            .and_then(decimal)
            .unwrap_or_default();
        for fee in payment.fields["fees"].as_array().into_iter().flatten() {
            if fee["covered_by_customer"] != json!(true) {
                fees += decimal(&fee["amount"]).unwrap_or_default();
            }
        }
        if let Some(customer) = &payment.parent
            && !customers.contains(customer)
        {
            customers.push(customer.clone());
        }
    }
    let mut fields = serde_json::Map::new();
    fields.insert("payment_ids".into(), json!(payments));
    fields.insert("status".into(), json!("pending"));
    fields.insert("sub_total".into(), number(sub_total));
    fields.insert(
        "fees".into(),
        json!([{ "name": "Processing", "type": "method", "amount": number(fees), "covered_by_customer": false }]),
    );
    fields.insert("total".into(), number(sub_total - fees));
    if let [customer] = customers.as_slice() {
        fields.insert("customer_id".into(), json!(customer));
    }
    let payout = store.insert(PAYOUTS, "po", None, fields);
    let arrival = (payout.created_at + time::Duration::days(2)).date();
    let arrival = format!(
        "{:04}-{:02}-{:02}",
        arrival.year(),
        u8::from(arrival.month()),
        arrival.day()
    );
    payout.fields.insert("arrival_date".into(), json!(arrival));
    Ok(payout.id.clone())
}

impl MockServer {
    /// Settles succeeded payments into a payout (see the module docs): its
    /// id, or why it cannot.
    pub fn create_payout(&self, payments: &[&str]) -> Result<String, String> {
        let payments: Vec<String> = payments.iter().map(|p| p.to_string()).collect();
        settle(&mut self.shared.lock().store, &payments)
    }

    /// Sets a payout's status (one of [`PAYOUT_STATUSES`], or any other
    /// text), recording its topic's event ([`payout_topic`]). `false` for
    /// an unknown id.
    pub fn set_payout_status(&self, id: &str, status: &str) -> bool {
        set_payout_status(&mut self.shared.lock().store, id, status)
    }

    /// Takes a payout from its status through the rest of the documented
    /// order (`pending`, `creating`, `processing`, `analyzing`, `approved`,
    /// `scheduled`, `succeeded`), each with its event: the statuses it went
    /// through. An error for an unknown payout or one that has ended
    /// (`succeeded`, `canceled`, `failed`).
    pub fn settle_payout(&self, id: &str) -> Result<Vec<&'static str>, String> {
        settle_payout(&mut self.shared.lock().store, id)
    }

    /// Pays out every succeeded payment that no payout holds yet: one
    /// payout ([`MockServer::create_payout`]), settled to `succeeded`
    /// ([`MockServer::settle_payout`]). Its id, or why there is none.
    pub fn settle_payments(&self) -> Result<String, String> {
        settle_payments(&mut self.shared.lock().store)
    }
}

pub(crate) fn set_payout_status(store: &mut Store, id: &str, status: &str) -> bool {
    super::set_status(
        store,
        PAYOUTS,
        id,
        status,
        payout_topic(status),
        payout_json,
    )
}

pub(crate) fn settle_payout(store: &mut Store, id: &str) -> Result<Vec<&'static str>, String> {
    let status = store
        .table(PAYOUTS)
        .get(id)
        .ok_or_else(|| format!("no payout {id}"))?
        .fields
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("pending")
        .to_string();
    let Some(at) = SUCCESS_ORDER.iter().position(|s| *s == status) else {
        return Err(format!("payout {id} is {status}: it cannot settle"));
    };
    if status == "succeeded" {
        return Err(format!("payout {id} has succeeded already"));
    }
    let steps = &SUCCESS_ORDER[at + 1..];
    for step in steps {
        set_payout_status(store, id, step);
    }
    Ok(steps.to_vec())
}

pub(crate) fn settle_payments(store: &mut Store) -> Result<String, String> {
    let paid_out: Vec<String> = store.table(PAYOUTS).rows().flat_map(payment_ids).collect();
    let unpaid: Vec<String> = store
        .table(PAYMENTS)
        .rows()
        .filter(|p| p.fields.get("status").and_then(Value::as_str) == Some("succeeded"))
        .filter(|p| !paid_out.contains(&p.id))
        .map(|p| p.id.clone())
        .collect();
    if unpaid.is_empty() {
        return Err("no succeeded payment waits for a payout".into());
    }
    let id = settle(store, &unpaid)?;
    settle_payout(store, &id)?;
    Ok(id)
}
