//! The running server: its address, its clients, and what tests change or
//! read while it runs (faults, latency, the rate limit, the request log).
//! Resources add their seeding methods in their own files.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::operations::Operation;
use crate::state::{Bucket, ClientSpec, Fault, MockStats, RecordedRequest, Shared, TOKEN};

/// A running mock server. Stops when dropped.
pub struct MockServer {
    pub(crate) base_url: String,
    pub(crate) shared: Arc<Shared>,
    pub(crate) shutdown: Option<oneshot::Sender<()>>,
    pub(crate) stop_deliveries: Option<oneshot::Sender<()>>,
    pub(crate) client: ClientSpec,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        for stop in [self.shutdown.take(), self.stop_deliveries.take()]
            .into_iter()
            .flatten()
        {
            let _ = stop.send(());
        }
    }
}

/// A response to send instead of the real one, queued with
/// [`MockServer::enqueue`].
#[derive(Clone, Debug)]
pub struct MockResponse(pub(crate) Fault);

impl MockResponse {
    /// A response with this status and an API error body
    /// (`{"code": "injected_<status>", "message": ...}`).
    pub fn status(status: u16) -> Self {
        let body = serde_json::json!({ "code": format!("injected_{status}"), "message": format!("injected response {status}") });
        Self(Fault::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        })
    }

    /// No fault: the request is handled normally. Queued before a fault, it
    /// lets requests through until the fault's turn.
    pub fn pass() -> Self {
        Self(Fault::Stall(Duration::ZERO))
    }

    /// A validation error for one field, as the mock's own validation
    /// answers: a 422 whose body is the spec's `HttpError`,
    /// `{"code": "validation_failed", "message": "the request has invalid
    /// fields", "validation_errors": {field: message}}`. Nothing is stored.
    pub fn validation_error(field: &str, message: &str) -> Self {
        let body = serde_json::json!({
            "code": "validation_failed",
            "message": "the request has invalid fields",
            "validation_errors": { field: message },
        });
        Self::raw(422, "application/json", body.to_string())
    }

    /// A response with this status, content type and body, verbatim.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self(Fault::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        })
    }

    /// Adds a header (for instance `Retry-After`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Fault::Respond { headers, .. } = &mut self.0 {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Sends the status line, headers and part of a body, then drops the
    /// connection.
    pub fn drop_connection() -> Self {
        Self(Fault::Drop)
    }

    /// Delays the request by `delay`, then handles it normally.
    pub fn stall(delay: Duration) -> Self {
        Self(Fault::Stall(delay))
    }

    /// Handles the request first, so its effect happens (a customer is
    /// created, archived, ...), and only then applies this fault to the
    /// answer: the client sees a 500, a dropped connection or a stall for a
    /// request the server carried out. The case that duplicates records
    /// when a client resends a create.
    ///
    /// ```
    /// # use alternative_payments_mock::MockResponse;
    /// let lost = MockResponse::drop_connection().after_handling();
    /// ```
    pub fn after_handling(self) -> Self {
        match self.0 {
            after @ Fault::AfterHandling(_) => Self(after),
            fault => Self(Fault::AfterHandling(Box::new(fault))),
        }
    }
}

/// [`MockServer::enqueue`] was given an operationId the API does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl std::fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known: Vec<&str> = Operation::ALL.iter().map(|op| op.operation_id()).collect();
        write!(
            f,
            "no operation {:?}: expected one of {}, or {TOKEN:?} for the token endpoint",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownOperation {}

impl MockServer {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Id of the first configured client (the demo client by default).
    pub fn client_id(&self) -> &str {
        &self.client.id
    }

    /// Secret of the first configured client.
    pub fn client_secret(&self) -> &str {
        &self.client.secret
    }

    /// From now on, records get `created_at` = `time`, then one second later
    /// for each further record.
    pub fn set_clock(&self, time: OffsetDateTime) {
        self.shared.lock().store.clock = Some(time);
    }

    /// Adds `latency` before every response (zero to remove).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// The next requests routed to `operation_id` (an operationId of the
    /// spec, listed in [`operation_ids`](crate::operation_ids), or [`TOKEN`]
    /// for the token endpoint) get these responses, in order; then normal
    /// handling resumes.
    ///
    /// An id the API does not have is refused, so a typo cannot leave a
    /// fault that never fires. To let the first two creates through and
    /// fail the third:
    ///
    /// ```
    /// # use alternative_payments_mock::{MockResponse, MockServer, operation_ids};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mock = MockServer::start().await?;
    /// mock.enqueue(
    ///     operation_ids::CREATE_CUSTOMER,
    ///     [
    ///         MockResponse::pass(),
    ///         MockResponse::pass(),
    ///         MockResponse::validation_error("email", "is already used by another customer"),
    ///     ],
    /// )?;
    /// assert!(mock.enqueue("createCustomers", [MockResponse::pass()]).is_err(), "a typo");
    /// # Ok(()) }
    /// ```
    pub fn enqueue(
        &self,
        operation_id: &str,
        responses: impl IntoIterator<Item = MockResponse>,
    ) -> Result<(), UnknownOperation> {
        if operation_id != TOKEN && Operation::from_operation_id(operation_id).is_none() {
            return Err(UnknownOperation(operation_id.to_string()));
        }
        self.shared
            .lock()
            .faults
            .entry(operation_id.to_string())
            .or_default()
            .extend(responses.into_iter().map(|r| r.0));
        Ok(())
    }

    /// Makes every token issued so far expired (they get 401).
    pub fn expire_tokens(&self) {
        let now = tokio::time::Instant::now();
        self.shared
            .lock()
            .tokens
            .values_mut()
            .for_each(|t| t.expires_at = now);
    }

    /// The requests received so far, oldest first (at most the log limit).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// Requests routed to `operation_id` so far.
    pub fn requests_to(&self, operation_id: &str) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|r| r.operation_id == Some(operation_id))
            .cloned()
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Seeds the demo data set, every resource of it: a dozen customers
    /// with cards, bank accounts and users; two invoices for each of the
    /// first six, the first one paid by card; a payout of those payments; a
    /// pending payment request; a webhook subscription. Returns the
    /// customer ids.
    pub fn seed_demo(&self) -> Vec<String> {
        let customers = self.seed_demo_customers();
        let mut payments = Vec::new();
        for (i, customer) in customers.iter().take(6).enumerate() {
            let lines = |amount: &str, quantity: u32| serde_json::json!([{ "description": "Managed services", "amount": amount.parse::<serde_json::Number>().ok(), "quantity": quantity }]);
            let first = self.create_invoice(serde_json::json!({
                "customer_id": customer, "line_items": lines("199.99", (i % 3 + 1) as u32), "due_date": "2026-12-31"
            }));
            let _ = self.create_invoice(serde_json::json!({
                "customer_id": customer, "line_items": lines("49.90", 2), "due_date": "2027-01-31"
            }));
            if let Ok(invoice) = first
                && let Ok(payment) = self.create_payment(
                    serde_json::json!({ "invoice_id": invoice, "payment_method": "card" }),
                )
            {
                payments.push(payment);
            }
        }
        let paid: Vec<&str> = payments.iter().map(String::as_str).collect();
        let _ = self.create_payout(&paid);
        self.create_payment_request(serde_json::json!({
            "amount": "75.00", "reference_id": "demo-order-1", "redirect_url": "https://shop.example/thanks"
        }));
        self.create_webhook_subscription("https://hooks.example/altpay", "invoice_paid", None);
        customers
    }

    /// How many records of each kind the server holds (`customers`,
    /// `payment_requests`, ...: every resource's, archived ones included;
    /// not the events it records about them),
    /// whatever created them: what a test compares before and after a call
    /// to know how many records it created.
    pub fn record_counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        self.shared.lock().store.counts()
    }

    /// What the server counted since it started (or [`reset_stats`](Self::reset_stats)).
    pub fn stats(&self) -> MockStats {
        self.shared.lock().stats
    }

    /// Starts the counts of [`stats`](Self::stats) again from zero.
    pub fn reset_stats(&self) {
        self.shared.lock().stats = MockStats::default();
    }

    /// The rate limit in requests per second per client, `None` when off
    /// (the default in-process). Give it to the client of your tests, so
    /// that it paces only when the mock limits: against a mock without a
    /// limit, pacing at the API's 5 per second would make a test suite as
    /// slow as production and test nothing.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use alternative_payments::{Client, Credentials, RateLimit};
    /// use alternative_payments_mock::MockServer;
    ///
    /// let mock = MockServer::start().await?;
    /// let client = Client::builder()
    ///     .credentials(Credentials::client_credentials(mock.client_id(), mock.client_secret()))
    ///     .base_url(mock.base_url())
    ///     .rate_limit(mock.rate_limit().map(RateLimit::per_second)) // unpaced: the mock has no limit
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn rate_limit(&self) -> Option<f64> {
        self.shared.lock().rate_limit
    }

    /// Turns the rate limit on (requests per second per client) or off,
    /// as [`MockServerBuilder::rate_limit`](crate::MockServerBuilder::rate_limit); every client starts with a
    /// full burst.
    pub fn set_rate_limit(&self, requests_per_second: Option<f64>) {
        let mut state = self.shared.lock();
        state.rate_limit = requests_per_second.filter(|r| r.is_finite() && *r > 0.0);
        state.buckets.clear();
    }

    /// Empties `client_id`'s bucket, as if it had just used its burst: its
    /// next request is refused with 429 (when the limit is on). For testing
    /// how a client handles the limit.
    pub fn drain_rate_limit(&self, client_id: &str) {
        let mut state = self.shared.lock();
        let now = tokio::time::Instant::now();
        let since = state.buckets.get(client_id).map_or(now, |b| b.since);
        state.buckets.insert(
            client_id.to_string(),
            Bucket {
                tokens: 0.0,
                updated: now,
                since,
            },
        );
    }
}
