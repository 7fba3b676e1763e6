//! Charging exactly once (issue #30): every charge carries an idempotency
//! key, is resent with it after a lost answer, and the mock charges once
//! per key.

use std::time::Duration;

use alternative_payments::types::NewPayment;
use alternative_payments::{Decimal, Error, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer};
use serde_json::{Value, json};

use super::{mock, sdk};

const CREATE: &str = "createPayment";

/// An open invoice of 100.00 for a new customer.
fn open_invoice(mock: &MockServer) -> String {
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    mock.create_invoice(json!({
        "customer_id": customer,
        "line_items": [{ "description": "work", "amount": 100, "quantity": 1 }],
    }))
    .expect("invoice")
}

fn charge(invoice: &str) -> alternative_payments::types::builder::NewPayment {
    NewPayment::builder()
        .invoice_id(invoice)
        .amount(Decimal::new(10000, 2))
        .payment_method("card")
}

/// The idempotency key of each createPayment request the mock saw.
fn keys_sent(mock: &MockServer) -> Vec<String> {
    mock.requests_to(CREATE)
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            body["idempotency_key"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().base_delay(Duration::from_millis(5))
}

#[tokio::test]
async fn a_charge_whose_answers_are_lost_is_resent_with_its_key_and_charges_once() {
    let mock = mock().await;
    let client = sdk(&mock);
    let invoice = open_invoice(&mock);
    // The server charges, then its answer is lost twice (a 500, a dropped
    // connection); the third attempt gets the first charge back.
    mock.enqueue(
        CREATE,
        [
            MockResponse::status(500).after_handling(),
            MockResponse::drop_connection().after_handling(),
        ],
    )
    .expect("known operation");
    let request = client
        .payments()
        .create(charge(&invoice))
        .retry_policy(fast_retries());
    let key = request
        .idempotency_key()
        .expect("every charge has a key")
        .to_string();
    assert!(crate::common::is_uuid_v4(&key), "a random UUID: {key}");
    let payment = request.send().await.expect("charged");

    assert_eq!(
        keys_sent(&mock),
        vec![key.clone(); 3],
        "one key for every attempt"
    );
    let payments = client
        .payments()
        .list()
        .invoice_id(invoice.as_str())
        .send()
        .await
        .expect("list");
    assert_eq!(
        payments.items().len(),
        1,
        "charged once: {:?}",
        payments.items()
    );
    assert_eq!(payments.items()[0].id(), payment.id());

    // Each charge gets its own key.
    let other = client.payments().create(charge(&invoice));
    assert_ne!(other.idempotency_key(), Some(key.as_str()));
}

#[tokio::test]
async fn a_charge_that_failed_carries_its_key_and_can_be_sent_again_later() {
    let mock = mock().await;
    let client = sdk(&mock);
    let invoice = open_invoice(&mock);
    mock.enqueue(
        CREATE,
        [
            MockResponse::status(503).after_handling(),
            MockResponse::status(503),
        ],
    )
    .expect("known operation");
    let error = client
        .payments()
        .create(charge(&invoice))
        .retry_policy(fast_retries().max_retries(1))
        .send()
        .await
        .expect_err("both attempts answered 503");
    let Error::Keyed {
        idempotency_key, ..
    } = &error
    else {
        panic!("a charge's error carries its key: {error:?}");
    };
    assert_eq!(error.idempotency_key(), Some(idempotency_key.as_str()));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(
        error.outcome_unknown(),
        "the first 503 came after the charge"
    );
    assert!(error.to_string().contains(idempotency_key), "{error}");

    // Later (another process, after a restart): the same payment with the
    // same key is the first charge, not a second one.
    let payment = client
        .payments()
        .create(charge(&invoice).idempotency_key(idempotency_key.as_str()))
        .send()
        .await
        .expect("the first charge, again");
    let all = client
        .payments()
        .list()
        .invoice_id(invoice.as_str())
        .send()
        .await
        .expect("list");
    assert_eq!(all.items().len(), 1);
    assert_eq!(all.items()[0].id(), payment.id());
}

#[tokio::test]
async fn a_key_reused_for_another_payment_is_refused_by_name_and_charges_nothing() {
    let mock = mock().await;
    let client = sdk(&mock);
    let invoice = open_invoice(&mock);
    let key = "order-4711";
    client
        .payments()
        .create(
            charge(&invoice)
                .amount(Decimal::new(4000, 2))
                .idempotency_key(key),
        )
        .send()
        .await
        .expect("first charge");
    let error = client
        .payments()
        .create(
            charge(&invoice)
                .amount(Decimal::new(6000, 2))
                .idempotency_key(key),
        )
        .send()
        .await
        .expect_err("another payment under the same key");
    assert!(error.is_idempotency_key_reused(), "{error:?}");
    assert_eq!(error.idempotency_key(), Some(key));
    assert!(error.to_string().contains(key), "{error}");
    assert!(!error.outcome_unknown());
    let all = client
        .payments()
        .list()
        .invoice_id(invoice.as_str())
        .send()
        .await
        .expect("list");
    assert_eq!(all.items().len(), 1, "nothing more charged");

    // Other refusals are not a reused key.
    let refused = client
        .payments()
        .create(charge("inv_nope"))
        .send()
        .await
        .expect_err("no such invoice");
    assert!(!refused.is_idempotency_key_reused(), "{refused:?}");
    assert!(refused.idempotency_key().is_some());
}

#[tokio::test]
async fn an_empty_key_is_refused_before_anything_is_sent() {
    let mock = mock().await;
    let client = sdk(&mock);
    let error = client
        .payments()
        .create(charge("inv_1").idempotency_key("  "))
        .send()
        .await
        .expect_err("an empty key is no key");
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(error.to_string().contains("idempotency_key"), "{error}");
    assert!(mock.requests_to(CREATE).is_empty());
}

/// The rule is the operation table's, not the wrapper's: a raw call that
/// carries the key is resent; one that does not is never resent.
#[tokio::test]
async fn a_raw_charge_is_resent_only_when_it_carries_a_key() {
    for keyed in [true, false] {
        let mock = mock().await;
        let client = sdk(&mock);
        let invoice = open_invoice(&mock);
        mock.enqueue(CREATE, [MockResponse::status(500).after_handling()])
            .expect("known operation");
        let result = client
            .raw_call(|raw| {
                let invoice = invoice.clone();
                async move {
                    raw.create_payment()
                        .body_map(|b| {
                            let b = b.invoice_id(invoice).amount(Decimal::new(10000, 2));
                            if keyed {
                                b.idempotency_key("raw-key-1")
                            } else {
                                b
                            }
                        })
                        .send()
                        .await
                }
            })
            .await;
        let attempts = mock.requests_to(CREATE).len();
        if keyed {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(attempts, 2);
        } else {
            let error = result.expect_err("not resent");
            assert!(error.outcome_unknown());
            assert_eq!(attempts, 1);
        }
        assert_eq!(
            mock.record_counts().get("payments"),
            Some(&1),
            "keyed: {keyed}"
        );
    }
}
