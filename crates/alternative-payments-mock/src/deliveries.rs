//! Webhook deliveries: every recorded event is POSTed to each active
//! subscription of its topic, retried with backoff, and its outcome kept
//! for `GET /webhooks/events`.
//!
//! What the provider documents is one sentence: with a `secret_key`, "all
//! webhook requests to your endpoint will include it in the Authorization
//! header as a Bearer token". The body, the other headers and the retry
//! policy are not documented; this project assumes them (docs/webhooks.md):
//!
//! - `POST <endpoint_url>` with `content-type: application/json` and, when
//!   the subscription has a secret, `authorization: Bearer <secret_key>`;
//! - the body is the event: `{"id", "topic", "created_at", "data"}`, `data`
//!   the object as the API returns it;
//! - a 2xx answer delivers it; anything else (another status, a refused or
//!   broken connection, no answer within the timeout) is retried after 1 s,
//!   2 s, 4 s, ... (the builder's `webhook_retries`), then `failed`.
//!
//! Deliveries go out over plain HTTP: the mock builds its HTTP client with
//! no TLS, so an `https://` endpoint fails each attempt with that reason
//! (tests subscribe loopback endpoints, which the mock accepts over HTTP).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::outbox::{Delivery, Stage};
use crate::state::Shared;

/// Sends due deliveries until `stop` fires: each attempt on its own task,
/// so a slow endpoint holds up no other.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    // Built at the first delivery: building one costs milliseconds of CPU
    // (TLS roots, when the workspace turns TLS on), which a server that
    // delivers nothing should not spend, nor block its runtime with.
    let mut http: Option<reqwest::Client> = None;
    let policy = shared.config.webhook_retries;
    let wake = shared.lock().store.outbox.wake.clone();
    loop {
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        let mut due = Vec::new();
        {
            let mut state = shared.lock();
            for (index, delivery) in state.store.outbox.deliveries.iter_mut().enumerate() {
                match delivery.stage {
                    Stage::Due(at) if at <= now => {
                        delivery.stage = Stage::Sending;
                        delivery.attempts += 1;
                        due.push((index, delivery.clone()));
                    }
                    Stage::Due(at) => next = Some(next.map_or(at, |n| n.min(at))),
                    _ => {}
                }
            }
        }
        if !due.is_empty() && http.is_none() {
            // No proxy: deliveries go to loopback endpoints (module docs).
            match reqwest::Client::builder().no_proxy().build() {
                Ok(client) => http = Some(client),
                Err(e) => {
                    eprintln!("alternative-payments-mock: webhook deliveries are off: {e}");
                    return;
                }
            }
        }
        for (index, delivery) in due {
            let (shared, http) = (shared.clone(), http.clone().expect("built above"));
            tokio::spawn(async move {
                let outcome = attempt(&http, &delivery, policy.timeout).await;
                let mut state = shared.lock();
                let outbox = &mut state.store.outbox;
                let Some(stored) = outbox.deliveries.get_mut(index) else {
                    return;
                };
                match outcome {
                    Ok(status) => {
                        stored.response_status = Some(status);
                        stored.error = None;
                        stored.stage = Stage::Delivered;
                    }
                    Err((status, error)) => {
                        stored.response_status = status;
                        stored.error = Some(error);
                        stored.stage = if stored.attempts >= policy.attempts.max(1) {
                            Stage::Failed
                        } else {
                            // 1 s, 2 s, 4 s, ...: the exponent is capped so
                            // a long policy cannot overflow.
                            let factor = 1u32 << (stored.attempts - 1).min(16);
                            Stage::Due(Instant::now() + policy.first_delay * factor)
                        };
                    }
                }
                outbox.wake.notify_one();
            });
        }
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            () = wake.notified() => {}
            () = sleep => {}
        }
    }
}

/// One attempt: the status of a 2xx answer, or the status (if any) and
/// why it failed.
async fn attempt(
    http: &reqwest::Client,
    delivery: &Delivery,
    timeout: Duration,
) -> Result<u16, (Option<u16>, String)> {
    let mut request = http
        .post(&delivery.endpoint_url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("alternative-payments-mock/", env!("CARGO_PKG_VERSION")),
        )
        .body(delivery.body.as_ref().clone());
    if let Some(secret) = &delivery.secret {
        request = request.header("authorization", format!("Bearer {secret}"));
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(response) => {
            let status = response.status().as_u16();
            Err((Some(status), format!("the endpoint answered {status}")))
        }
        Err(e) if e.is_timeout() => Err((None, format!("no answer within {timeout:?}"))),
        Err(e) => Err((None, with_sources(&e))),
    }
}

/// An error's text with its sources' ("connection refused" is a source).
fn with_sources(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
