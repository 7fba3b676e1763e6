//! The webhook receiver example, end to end: the mock delivers real events
//! to it over HTTP, and only verified ones reach the application, once each.

use std::time::Duration;

use alternative_payments::types::{NewWebhookSubscription, WebhookTopic};
use alternative_payments::webhook::WebhookVerifier;
use alternative_payments_mock::MockServer;
use serde_json::json;
use tokio::sync::mpsc;

// The example's code, as users copy it; its `main` is not called here.
#[allow(dead_code)]
#[path = "../crates/alternative-payments/examples/webhook_receiver.rs"]
mod example;

#[tokio::test]
async fn the_example_receiver_gets_each_verified_event_once_and_refuses_a_stale_secret() {
    let mock = MockServer::builder()
        .webhook_retries(2, Duration::from_millis(10))
        .start()
        .await
        .expect("mock");
    let client = crate::mock::sdk(&mock);
    let (events, mut received) = mpsc::unbounded_channel();
    let verifier = WebhookVerifier::new(["whsec-current"]).expect("a secret");
    let url = example::serve("127.0.0.1:0", example::router(verifier, events))
        .await
        .expect("serving");
    let endpoint = format!("{url}{}", example::PATH);
    for (topic, secret) in [
        (WebhookTopic::PaymentSucceeded, "whsec-current"),
        (WebhookTopic::InvoicePaid, "whsec-current"),
        // A subscription made with a secret the receiver no longer accepts.
        (WebhookTopic::InvoiceCreated, "whsec-retired"),
    ] {
        let new = NewWebhookSubscription::builder()
            .endpoint_url(endpoint.clone())
            .topic(topic)
            .secret_key(secret);
        client
            .webhooks()
            .create(new)
            .send()
            .await
            .expect("subscribed");
    }

    let customer = mock.create_customer(json!({ "name": "Acme" }));
    let invoice = mock
        .create_invoice(json!({
            "customer_id": customer,
            "line_items": [{ "description": "work", "amount": 10, "quantity": 1 }],
        }))
        .expect("invoice");
    mock.create_payment(json!({ "invoice_id": invoice }))
        .expect("paid");
    mock.webhooks_settled().await;

    let mut topics = Vec::new();
    while let Ok(event) = received.try_recv() {
        topics.push(event.topic().as_str().to_string());
    }
    topics.sort();
    assert_eq!(topics, ["invoice_paid", "payment_succeeded"]);
    let statuses = mock.webhook_events();
    assert_eq!(
        statuses,
        [
            ("customer_created".to_string(), "no_subscribers".to_string()),
            ("invoice_created".to_string(), "failed".to_string()),
            ("payment_succeeded".to_string(), "delivered".to_string()),
            ("invoice_paid".to_string(), "delivered".to_string()),
        ]
    );
}
