//! What the server keeps of webhook deliveries: each event's deliveries, where
//! each stands, and the retry policy. The sender that makes them is
//! `deliveries.rs`; the assumptions are in its docs.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

/// How deliveries are retried.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub(crate) attempts: u32,
    /// The wait before the second attempt; doubled before each next one.
    pub(crate) first_delay: Duration,
    /// How long an attempt waits for its answer.
    pub(crate) timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Its next attempt is due at this instant.
    Due(Instant),
    /// An attempt is on the wire.
    Sending,
    /// An endpoint answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// One event on its way to one subscription. Not `Debug`: it holds the
/// subscription's secret.
#[derive(Clone)]
pub(crate) struct Delivery {
    pub(crate) event_id: String,
    pub(crate) subscription_id: String,
    pub(crate) endpoint_url: String,
    pub(crate) secret: Option<String>,
    pub(crate) body: Arc<Vec<u8>>,
    pub(crate) attempts: u32,
    pub(crate) stage: Stage,
    /// The last attempt's HTTP status, if it got an answer.
    pub(crate) response_status: Option<u16>,
    /// Why the last attempt failed, if it did.
    pub(crate) error: Option<String>,
}

impl Delivery {
    pub(crate) fn finished(&self) -> bool {
        matches!(self.stage, Stage::Delivered | Stage::Failed)
    }

    /// What `GET /webhooks/events` shows of it (never the secret).
    pub(crate) fn to_json(&self) -> Value {
        let status = match self.stage {
            Stage::Due(_) | Stage::Sending => "pending",
            Stage::Delivered => "delivered",
            Stage::Failed => "failed",
        };
        json!({
            "subscription_id": self.subscription_id,
            "endpoint_url": self.endpoint_url,
            "status": status,
            "attempts": self.attempts,
            "response_status": self.response_status,
            "error": self.error,
        })
    }
}

/// The deliveries the server holds, and what wakes its sender.
#[derive(Default)]
pub(crate) struct Outbox {
    pub(crate) deliveries: Vec<Delivery>,
    /// Wakes the sender (only it waits on this: `notify_one` keeps the
    /// wake-up for it when it is busy) when a delivery is added or an
    /// attempt ends.
    pub(crate) wake: Arc<Notify>,
}

impl Outbox {
    /// An event's status from its deliveries: `pending` while one is due,
    /// `failed` when one gave up, `delivered` when all arrived, and
    /// `no_subscribers` when there was none to send it to.
    pub(crate) fn event_status(&self, event_id: &str) -> &'static str {
        let mut of_event = self
            .deliveries
            .iter()
            .filter(|d| d.event_id == event_id)
            .peekable();
        if of_event.peek().is_none() {
            return "no_subscribers";
        }
        let (mut pending, mut failed) = (false, false);
        for delivery in of_event {
            pending |= !delivery.finished();
            failed |= delivery.stage == Stage::Failed;
        }
        match (pending, failed) {
            (true, _) => "pending",
            (false, true) => "failed",
            (false, false) => "delivered",
        }
    }

    /// Whether any delivery is still to be made.
    pub(crate) fn busy(&self) -> bool {
        self.deliveries.iter().any(|d| !d.finished())
    }
}
