//! The Webhooks resource (the `Webhooks` tag): subscriptions, one topic
//! each, and the events the API records for them.
//!
//! What the mock decides where the provider's pages are silent:
//! - a subscription's `endpoint_url` must be `https://` (the guides say so;
//!   `http://127.0.0.1` and `http://localhost` are let through for tests),
//!   its `topic` one of the page's; a `secret_key` is kept and shown only as
//!   `secret_last_4_digits`; `partner_id` is the client's id;
//! - unsubscribing answers the subscription, inactive, and removes it: a
//!   second unsubscribe is a 404;
//! - events: the mock records one for every change of its state that has a
//!   topic (all 18 of `WebhookTopic`: [`TOPIC_TRIGGERS`] says what causes
//!   each), with the object in `data`, and delivers it to every active
//!   subscription of the topic (the crate's `deliveries` module: body,
//!   headers, retries). An event's `status` is the mock's own
//!   ([`WEBHOOK_EVENT_STATUSES`]), from its deliveries, which it lists in
//!   `deliveries` (subscription, endpoint, status, attempts, the last
//!   answer's status, the last error). The event list filters `topic` and
//!   `status` exactly, and `from_date`/`to_date` are inclusive bounds on
//!   the event's time (RFC 3339, or a `YYYY-MM-DD` day).

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    AppState, json_object, not_found, page_request, query_pairs, validated, validation_error,
};
use crate::operations::webhooks::Operation;
use crate::outbox::{Delivery, Stage};
use crate::server::MockServer;
use crate::store::{Record, Store, rfc3339};

const SUBSCRIPTIONS: &str = "webhook_subscriptions";
const EVENTS: &str = "webhook_events";
/// A subscription's flag: unsubscribed (gone).
const DELETED: &str = "deleted";

/// The statuses the mock gives webhook events (the provider's are not
/// documented): `pending` while a delivery is due, `delivered` when every
/// subscription of its topic answered 2xx, `failed` when a delivery gave up
/// after its retries, `no_subscribers` when no subscription had its topic.
pub const WEBHOOK_EVENT_STATUSES: [&str; 4] = ["pending", "delivered", "failed", "no_subscribers"];

/// What makes the mock record an event of each topic: the API's own
/// changes, and the mock's actions (on [`MockServer`] and its binary's
/// `/_mock` routes) for what only a payer, a bank or the provider does.
pub const TOPIC_TRIGGERS: [(&str, &str); 18] = [
    ("customer_created", "createCustomer"),
    ("customer_updated", "updateCustomer"),
    ("customer_archived", "archiveCustomer"),
    ("invoice_created", "createInvoice"),
    (
        "invoice_updated",
        "a status set by MockServer::set_invoice_status, other than paid",
    ),
    ("invoice_archived", "archiveInvoice"),
    (
        "invoice_paid",
        "a payment that pays the invoice in full (createPayment, the hosted page)",
    ),
    (
        "payment_succeeded",
        "createPayment; paying on the hosted page",
    ),
    (
        "payment_failed",
        "the hosted page's decline; MockServer::set_payment_status(.., \"failed\")",
    ),
    (
        "payment_refunded",
        "MockServer::set_payment_status(.., \"refunded\")",
    ),
    (
        "payment_chargeback",
        "MockServer::set_payment_status(.., \"chargeback\")",
    ),
    ("payment_method_added", "MockServer::add_payment_method"),
    ("payment_method_deleted", "deletePaymentMethod"),
    (
        "default_payment_method_changed",
        "changeDefaultPaymentMethod",
    ),
    (
        "payout_processing",
        "a payout reaching processing (MockServer::settle_payout)",
    ),
    ("payout_scheduled", "a payout reaching scheduled"),
    ("payout_paid", "a payout reaching succeeded"),
    (
        "payout_failed",
        "a payout set to failed (MockServer::set_payout_status)",
    ),
];

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::ListWebhookSubscriptions => on(method, list_subscriptions),
        Operation::CreateWebhookSubscription => on(method, create_subscription),
        Operation::DeleteWebhookSubscription => on(method, delete_subscription),
        Operation::ListWebhookEvents => on(method, list_events),
    }
}

fn subscription_json(subscription: &Record) -> Value {
    let mut out = subscription.to_json();
    let secret = out.remove("secret_key");
    if let Some(Value::String(secret)) = secret {
        let last: String = secret
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        out.insert("secret_last_4_digits".into(), json!(last));
    }
    out.insert("is_active".into(), json!(!subscription.flag(DELETED)));
    Value::Object(out)
}

fn event_json(store: &Store, event: &Record) -> Value {
    let mut out = event.to_json();
    out.insert("status".into(), json!(store.outbox.event_status(&event.id)));
    let deliveries: Vec<Value> = store
        .outbox
        .deliveries
        .iter()
        .filter(|d| d.event_id == event.id)
        .map(|d| d.to_json())
        .collect();
    out.insert("deliveries".into(), Value::Array(deliveries));
    Value::Object(out)
}

async fn list_subscriptions(State(shared): State<AppState>, request: Request) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let page = match page_request(&pairs, shared.config.extra_rules) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (topic, active) = (get("topic"), get("is_active"));
    let keep = |s: &Record| {
        !s.flag(DELETED)
            && topic.as_ref().is_none_or(|t| s.fields.get("topic").and_then(Value::as_str) == Some(t))
            // Every listed subscription is active.
            && active.as_deref().is_none_or(|a| a != "false")
    };
    let state = shared.lock();
    axum::Json(
        state
            .store
            .table(SUBSCRIPTIONS)
            .page(keep, subscription_json, page),
    )
    .into_response()
}

/// Whether the guides' rule lets `url` receive deliveries: HTTPS, or
/// loopback over HTTP for tests (`localhost`, `127.0.0.0/8`, `[::1]`: the
/// host itself, so `http://127.0.0.1.example.com` is not).
fn deliverable(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match url.scheme() {
        "https" => !host.is_empty(),
        "http" => {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

async fn create_subscription(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let mut fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreateWebhookSubscription,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    match fields.get("endpoint_url").and_then(Value::as_str) {
        None => return validation_error("endpoint_url", "is required"),
        Some(url) if !deliverable(url) => {
            return validation_error("endpoint_url", "must be an https:// URL");
        }
        Some(_) => {}
    }
    if !fields.contains_key("topic") {
        return validation_error("topic", "is required");
    }
    let partner = super::client_of(&shared, &headers).unwrap_or_else(|| "partner".into());
    fields.insert("partner_id".into(), json!(partner));
    let mut state = shared.lock();
    let subscription = state.store.insert(SUBSCRIPTIONS, "wh", None, fields);
    let now = rfc3339(subscription.created_at);
    subscription.fields.insert("updated_at".into(), json!(now));
    (
        StatusCode::CREATED,
        axum::Json(subscription_json(subscription)),
    )
        .into_response()
}

async fn delete_subscription(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let mut state = shared.lock();
    let Some(subscription) = state
        .store
        .table_mut(SUBSCRIPTIONS)
        .get_mut(&id)
        .filter(|s| !s.flag(DELETED))
    else {
        return not_found("webhook subscription", &id);
    };
    subscription.set_flag(DELETED, true);
    let now = rfc3339(OffsetDateTime::now_utc());
    subscription.fields.insert("updated_at".into(), json!(now));
    axum::Json(subscription_json(subscription)).into_response()
}

/// A `from_date`/`to_date` bound: RFC 3339, or a day (its start for
/// `from_date`, its end for `to_date`); other text does not filter.
fn bound(text: Option<String>, end: bool) -> Option<OffsetDateTime> {
    let text = text?;
    if let Ok(time) = OffsetDateTime::parse(&text, &Rfc3339) {
        return Some(time);
    }
    let day = if end {
        "T23:59:59.999999999Z"
    } else {
        "T00:00:00Z"
    };
    OffsetDateTime::parse(&format!("{text}{day}"), &Rfc3339).ok()
}

async fn list_events(State(shared): State<AppState>, request: Request) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let page = match page_request(&pairs, shared.config.extra_rules) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (topic, status) = (get("topic"), get("status"));
    let (from, to) = (bound(get("from_date"), false), bound(get("to_date"), true));
    let state = shared.lock();
    let keep = |e: &Record| {
        let field = |name: &str| e.fields.get(name).and_then(Value::as_str);
        topic.as_deref().is_none_or(|t| field("topic") == Some(t))
            && status
                .as_deref()
                .is_none_or(|s| state.store.outbox.event_status(&e.id) == s)
            && from.is_none_or(|f| e.created_at >= f)
            && to.is_none_or(|t| e.created_at <= t)
    };
    let store = &state.store;
    axum::Json(
        store
            .table(EVENTS)
            .page(keep, |e| event_json(store, e), page),
    )
    .into_response()
}

/// Records an event of `topic` about `data` and queues its delivery to
/// every active subscription of the topic (see the module docs). Every
/// change with a topic calls it.
pub(crate) fn record_event(store: &mut Store, topic: &str, data: Value) {
    let text =
        |s: &Record, name: &str| s.fields.get(name).and_then(Value::as_str).map(String::from);
    // The active subscriptions of the topic: (id, endpoint, secret).
    let subscribers: Vec<(String, String, Option<String>)> = store
        .table(SUBSCRIPTIONS)
        .rows()
        .filter(|s| !s.flag(DELETED) && text(s, "topic").as_deref() == Some(topic))
        .map(|s| {
            (
                s.id.clone(),
                text(s, "endpoint_url").unwrap_or_default(),
                text(s, "secret_key"),
            )
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("topic".into(), json!(topic));
    fields.insert("data".into(), data);
    let event = store.insert_aside(EVENTS, "evt", fields);
    if subscribers.is_empty() {
        return;
    }
    // The delivery body is the event as the list shows it (id, topic,
    // created_at, data), without its delivery status: this project's
    // assumption (docs/webhooks.md). Serialised once, only when sent.
    let body = std::sync::Arc::new(serde_json::to_vec(&event.to_json()).unwrap_or_default());
    let (event_id, now) = (event.id.clone(), tokio::time::Instant::now());
    store.outbox.deliveries.extend(subscribers.into_iter().map(
        |(subscription_id, endpoint_url, secret)| Delivery {
            event_id: event_id.clone(),
            subscription_id,
            endpoint_url,
            secret,
            body: body.clone(),
            attempts: 0,
            stage: Stage::Due(now),
            response_status: None,
            error: None,
        },
    ));
    store.outbox.wake.notify_one();
}

impl MockServer {
    /// Subscribes `endpoint_url` to `topic` directly (no HTTP, no
    /// validation); the subscription's id.
    pub fn create_webhook_subscription(
        &self,
        endpoint_url: &str,
        topic: &str,
        secret_key: Option<&str>,
    ) -> String {
        let mut fields = Map::new();
        fields.insert("endpoint_url".into(), json!(endpoint_url));
        fields.insert("topic".into(), json!(topic));
        fields.insert("partner_id".into(), json!(self.client_id()));
        if let Some(secret) = secret_key {
            fields.insert("secret_key".into(), json!(secret));
        }
        let mut state = self.shared.lock();
        let subscription = state.store.insert(SUBSCRIPTIONS, "wh", None, fields);
        let now = rfc3339(subscription.created_at);
        subscription.fields.insert("updated_at".into(), json!(now));
        subscription.id.clone()
    }

    /// The events the server recorded, oldest first: (topic, status).
    pub fn webhook_events(&self) -> Vec<(String, String)> {
        let state = self.shared.lock();
        let store = &state.store;
        store
            .table(EVENTS)
            .rows()
            .map(|e| {
                let topic = e
                    .fields
                    .get("topic")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (
                    topic.to_string(),
                    store.outbox.event_status(&e.id).to_string(),
                )
            })
            .collect()
    }

    /// Waits until no webhook delivery is due: each has arrived or given up
    /// after its retries (see [`MockServerBuilder::webhook_retries`](crate::MockServerBuilder::webhook_retries)).
    /// Returns at once when none is pending. With the default policy, a
    /// delivery to an endpoint that never answers takes about 15 s to give
    /// up (plus its attempts' timeouts).
    pub async fn webhooks_settled(&self) {
        // Polled: the sender's wake-ups are its own (deliveries.rs).
        while self.shared.lock().store.outbox.busy() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
