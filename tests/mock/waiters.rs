//! Waiting for an outcome (issue #30): waiters poll through the client (its
//! rate limiter included), back off with jitter, stop at their maximum
//! wait, end at once on a 404, and stop when dropped. The client runs on a
//! paused clock, the mock on a runtime of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alternative_payments::{Client, Error, Hook, HookRequest, RateLimit};
use alternative_payments_mock::MockServer;
use serde_json::json;
use tokio::time::Instant;

const GET_REQUEST: &str = "getPaymentRequest";

/// A mock on its own runtime, and a paused runtime with a client of it
/// (no timeout or deadline: a timer would fire whenever the test waits on
/// the server).
struct Setup {
    _servers: tokio::runtime::Runtime,
    mock: Arc<MockServer>,
    runtime: tokio::runtime::Runtime,
    client: Client,
}

/// When each look was sent, on the paused clock; at the `at`-th, `then`
/// runs (a payer paying, say) before it is sent.
#[derive(Clone, Default)]
struct Looks {
    times: Arc<Mutex<Vec<Instant>>>,
    at: usize,
    then: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Hook for Looks {
    fn on_request(&self, _: &mut HookRequest<'_>) -> Result<(), String> {
        let mut times = self.times.lock().expect("lock");
        times.push(Instant::now());
        if times.len() == self.at
            && let Some(then) = &self.then
        {
            then();
        }
        Ok(())
    }
}

impl Looks {
    /// The waits between looks.
    fn gaps(&self) -> Vec<Duration> {
        let times = self.times.lock().expect("lock");
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

fn setup(limit: Option<RateLimit>) -> Setup {
    setup_with(limit, |_| Looks::default())
}

/// `looks` is given the mock, so that what it runs can change it.
fn setup_with(limit: Option<RateLimit>, looks: impl FnOnce(&Arc<MockServer>) -> Looks) -> Setup {
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = Arc::new(servers.block_on(MockServer::start()).expect("mock"));
    let client = alternative_payments_test_support::sdk_builder(&mock)
        .hook(looks(&mock))
        .http_client(crate::sdk::timerless_http())
        .timeout(None)
        .deadline(None)
        .rate_limit(limit)
        .build()
        .expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    Setup {
        _servers: servers,
        mock,
        runtime,
        client,
    }
}

fn pending_request(mock: &MockServer) -> String {
    mock.create_payment_request(json!({ "amount": "25.00", "reference_id": "order-7" }))
}

#[test]
fn a_waiter_returns_once_the_payer_has_paid_polling_with_growing_jittered_delays() {
    // The payer pays just before the 6th look.
    let looks = Looks {
        at: 6,
        ..Looks::default()
    };
    let s = setup_with(None, |mock| {
        let mock = mock.clone();
        Looks {
            then: Some(Arc::new(move || {
                mock.set_payment_request_status("pr_000001", "paid");
            })),
            ..looks.clone()
        }
    });
    let id = pending_request(&s.mock);
    assert_eq!(id, "pr_000001");
    let request = s
        .runtime
        .block_on(
            s.client
                .payment_requests()
                .wait_until_final(id.as_str())
                .into_future(),
        )
        .expect("paid");
    assert_eq!(request.status(), Some("paid"));
    // Nothing else runs on the clock: the gaps are the waiter's delays,
    // each from 2 s up to a ceiling that doubles (2, 4, 8, 16, 30).
    let gaps = looks.gaps();
    assert_eq!(gaps.len(), 5, "{gaps:?}");
    for (gap, ceiling) in gaps.iter().zip([2, 4, 8, 16, 30]) {
        assert!(
            *gap >= Duration::from_secs(2) && *gap <= Duration::from_secs(ceiling),
            "{gaps:?}"
        );
    }
    assert!(
        gaps[1..].windows(2).any(|w| w[0] != w[1]),
        "jittered: {gaps:?}"
    );
}

#[test]
fn a_waiter_gives_up_at_its_maximum_wait_with_the_last_status() {
    let s = setup(None);
    let id = pending_request(&s.mock);
    let (result, elapsed) = s.runtime.block_on(async {
        let started = Instant::now();
        let result = s
            .client
            .payment_requests()
            .wait_until_final(id.as_str())
            .min_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(4))
            .max_wait(Duration::from_secs(30))
            .await;
        (result, started.elapsed())
    });
    match result {
        Err(Error::WaitTimedOut {
            what,
            id: waited_for,
            waited,
            last_status,
        }) => {
            assert_eq!(
                (what, waited_for.as_str()),
                ("payment request", id.as_str())
            );
            assert_eq!(waited, Duration::from_secs(30));
            assert_eq!(last_status.as_deref(), Some("pending"));
        }
        other => panic!("expected WaitTimedOut, got {other:?}"),
    }
    // The last look is at the maximum wait exactly, never after it.
    assert_eq!(elapsed, Duration::from_secs(30));
    let looks = s.mock.requests_to(GET_REQUEST).len();
    // 1 s to 4 s apart over 30 s: at least 30 / 4 + 1 looks, at most 30 + 1.
    assert!((8..=31).contains(&looks), "{looks} looks");
}

#[test]
fn a_waiter_on_an_id_that_does_not_exist_returns_the_404_at_once() {
    let s = setup(None);
    let (result, elapsed) = s.runtime.block_on(async {
        let started = Instant::now();
        let result = s.client.invoices().wait_until_paid("inv_999999").await;
        (result, started.elapsed())
    });
    let error = result.expect_err("no such invoice");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(elapsed, Duration::ZERO);
    assert_eq!(s.mock.requests_to("getInvoice").len(), 1);
}

#[test]
fn a_dropped_waiter_looks_no_more() {
    let s = setup(None);
    let id = pending_request(&s.mock);
    s.runtime.block_on(async {
        let wait = s.client.payment_requests().wait_until_final(id.as_str());
        let stopped = tokio::time::timeout(Duration::from_secs(20), wait.into_future()).await;
        assert!(stopped.is_err(), "still waiting when dropped");
    });
    let looks = s.mock.requests_to(GET_REQUEST).len();
    s.runtime
        .block_on(async { tokio::time::sleep(Duration::from_secs(600)).await });
    assert_eq!(
        s.mock.requests_to(GET_REQUEST).len(),
        looks,
        "a look after the drop"
    );
}

#[test]
fn a_waiter_polls_through_the_clients_rate_limiter() {
    // No delay of its own: only the limiter (1 request/s) spaces its looks.
    let s = setup(Some(RateLimit::per_second(1.0)));
    let id = pending_request(&s.mock);
    let result = s.runtime.block_on(
        s.client
            .payment_requests()
            .wait_until_final(id.as_str())
            .min_delay(Duration::ZERO)
            .max_delay(Duration::ZERO)
            .max_wait(Duration::from_secs(10))
            .into_future(),
    );
    assert!(
        matches!(result, Err(Error::WaitTimedOut { .. })),
        "{result:?}"
    );
    let looks = s.mock.requests_to(GET_REQUEST).len();
    assert!((9..=12).contains(&looks), "{looks} looks in 10 s at 1/s");
}

#[test]
fn an_invoice_waiter_returns_when_the_payer_pays_on_the_hosted_page() {
    let s = setup(None);
    let customer = s.mock.create_customer(json!({ "name": "Acme" }));
    let invoice = s
        .mock
        .create_invoice(json!({
            "customer_id": customer,
            "line_items": [{ "description": "work", "amount": 80, "quantity": 1 }],
        }))
        .expect("invoice");
    let page = format!("{}/pay/{invoice}", s.mock.base_url());
    let paid = s.runtime.block_on(async {
        let payer = async {
            tokio::time::sleep(Duration::from_secs(45)).await;
            crate::sdk::timerless_http()
                .post(&page)
                .form(&[("action", "card")])
                .send()
                .await
                .expect("paid on the page");
        };
        let wait = s.client.invoices().wait_until_paid(invoice.as_str());
        futures::future::join(wait.into_future(), payer).await.0
    });
    assert_eq!(paid.expect("paid").status(), Some("paid"));
}
