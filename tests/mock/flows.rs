//! The documented flows in the mock (issue #30): webhook deliveries with
//! their retries, the hosted payment page, payouts settling payments.

use std::time::Duration;

use alternative_payments::Decimal;
use alternative_payments_mock::resources::webhooks::TOPIC_TRIGGERS;
use alternative_payments_mock::{MockServer, PaymentMethodSeed};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer as Receiver, ResponseTemplate};

use super::{mock, sdk, token};

/// A mock whose deliveries retry fast: 3 attempts, 10 ms apart at first.
async fn fast_mock() -> MockServer {
    MockServer::builder()
        .webhook_retries(3, Duration::from_millis(10))
        .start()
        .await
        .expect("mock starts")
}

/// A receiver that answers `status` to every delivery at `/hooks`.
async fn receiver(status: u16) -> Receiver {
    let receiver = Receiver::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&receiver)
        .await;
    receiver
}

/// The deliveries `receiver` got: their JSON bodies.
async fn received(receiver: &Receiver) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON delivery"))
        .collect()
}

/// The mock's events, as `GET /webhooks/events` lists them.
async fn events(mock: &MockServer) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!("{}/webhooks/events?limit=1000", mock.base_url()))
        .bearer_auth(token(mock, &reqwest::Client::new()).await)
        .send()
        .await
        .expect("events");
    let page: Value = response.json().await.expect("a page");
    page["data"].as_array().cloned().unwrap_or_default()
}

fn open_invoice(mock: &MockServer, customer: &str, amount: &str) -> String {
    mock.create_invoice(json!({
        "customer_id": customer,
        "line_items": [{ "description": "work", "amount": amount.parse::<f64>().expect("amount"), "quantity": 1 }],
    }))
    .expect("invoice")
}

#[tokio::test]
async fn an_event_is_posted_to_its_subscription_with_the_bearer_secret() {
    let mock = mock().await;
    let hooks = receiver(200).await;
    let url = format!("{}/hooks", hooks.uri());
    mock.create_webhook_subscription(&url, "customer_created", Some("whsec_one"));
    // Another topic's subscription gets nothing.
    mock.create_webhook_subscription(&url, "invoice_paid", Some("whsec_two"));
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    mock.webhooks_settled().await;

    let requests = hooks.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1, "one delivery");
    let request = &requests[0];
    assert_eq!(
        request.headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer whsec_one"[..])
    );
    assert_eq!(
        request.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(body["topic"], "customer_created");
    assert_eq!(body["data"]["id"], customer.as_str());
    assert_eq!(body["data"]["name"], "Acme");
    assert!(
        body["id"].as_str().is_some_and(|id| id.starts_with("evt_")),
        "{body}"
    );
    assert!(body["created_at"].as_str().is_some(), "{body}");

    let events = events(&mock).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["status"], "delivered");
    assert_eq!(events[0]["deliveries"][0]["attempts"], 1);
    assert_eq!(events[0]["deliveries"][0]["response_status"], 200);
    // The list never shows the secret.
    assert!(!events[0].to_string().contains("whsec_"), "{}", events[0]);
}

#[tokio::test]
async fn a_subscription_without_a_secret_gets_no_authorization_header() {
    let mock = mock().await;
    let hooks = receiver(204).await;
    mock.create_webhook_subscription(&format!("{}/hooks", hooks.uri()), "customer_created", None);
    mock.create_customer(json!({ "name": "Acme" }));
    mock.webhooks_settled().await;
    let requests = hooks.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1);
    assert!(requests[0].headers.get("authorization").is_none());
    assert_eq!(
        mock.webhook_events(),
        [("customer_created".into(), "delivered".into())]
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_arrives() {
    let mock = fast_mock().await;
    let hooks = Receiver::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&hooks)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer s3cret"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hooks)
        .await;
    mock.create_webhook_subscription(
        &format!("{}/hooks", hooks.uri()),
        "customer_created",
        Some("s3cret"),
    );
    mock.create_customer(json!({ "name": "Acme" }));
    mock.webhooks_settled().await;

    let bodies = received(&hooks).await;
    assert_eq!(bodies.len(), 3, "two 503s, then the delivery");
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the same event each time"
    );
    let event = &events(&mock).await[0];
    assert_eq!(event["status"], "delivered", "{event}");
    assert_eq!(event["deliveries"][0]["attempts"], 3, "{event}");
}

#[tokio::test]
async fn a_delivery_that_never_arrives_fails_after_its_attempts_and_says_why() {
    let mock = fast_mock().await;
    let hooks = receiver(500).await;
    mock.create_webhook_subscription(&format!("{}/hooks", hooks.uri()), "customer_created", None);
    // A port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let closed_url = format!("http://{}/hooks", closed.local_addr().expect("addr"));
    drop(closed);
    mock.create_webhook_subscription(&closed_url, "customer_created", None);
    mock.create_customer(json!({ "name": "Acme" }));
    mock.webhooks_settled().await;

    assert_eq!(received(&hooks).await.len(), 3, "3 attempts in all");
    let event = &events(&mock).await[0];
    assert_eq!(event["status"], "failed", "{event}");
    let deliveries = event["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0]["status"], "failed");
    assert_eq!(deliveries[0]["response_status"], 500);
    assert_eq!(deliveries[0]["error"], "the endpoint answered 500");
    assert_eq!(deliveries[1]["attempts"], 3);
    assert!(deliveries[1]["response_status"].is_null());
    let error = deliveries[1]["error"].as_str().expect("why");
    assert!(error.contains("onnect"), "{error}");

    // The status filter sees the deliveries' outcome.
    let page: Value = reqwest::Client::new()
        .get(format!("{}/webhooks/events?status=failed", mock.base_url()))
        .bearer_auth(token(&mock, &reqwest::Client::new()).await)
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("page");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_event_nobody_subscribed_to_is_recorded_as_such() {
    let mock = mock().await;
    mock.create_customer(json!({ "name": "Acme" }));
    mock.webhooks_settled().await;
    assert_eq!(
        mock.webhook_events(),
        [("customer_created".into(), "no_subscribers".into())]
    );
}

#[tokio::test]
async fn every_one_of_the_18_topics_is_delivered_by_the_change_the_table_names() {
    let mock = mock().await;
    let hooks = receiver(200).await;
    let url = format!("{}/hooks", hooks.uri());
    for (topic, _) in TOPIC_TRIGGERS {
        mock.create_webhook_subscription(&url, topic, Some("whsec"));
    }
    let client = sdk(&mock);
    let http = reqwest::Client::new();
    let bearer = token(&mock, &reqwest::Client::new()).await;
    let api = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}{path}", mock.base_url()))
            .bearer_auth(&bearer)
    };

    // Customers and payment methods, through the API where it can.
    let customer = client
        .customers()
        .create(alternative_payments::types::NewCustomer::builder().name("Acme"))
        .send()
        .await
        .expect("created");
    let customer = customer.id().to_string();
    api(reqwest::Method::PATCH, &format!("/customers/{customer}"))
        .json(&json!({ "name": "Acme Corp" }))
        .send()
        .await
        .expect("updated");
    let first = mock
        .add_payment_method(
            &customer,
            PaymentMethodSeed::card("visa", "4242", "12", "2030"),
        )
        .expect("added");
    let second = mock
        .add_payment_method(&customer, PaymentMethodSeed::ach("6789"))
        .expect("added");
    api(
        reqwest::Method::PATCH,
        &format!("/customers/{customer}/payment-methods/{second}/default"),
    )
    .send()
    .await
    .expect("default changed");
    api(
        reqwest::Method::DELETE,
        &format!("/customers/{customer}/payment-methods/{first}"),
    )
    .send()
    .await
    .expect("deleted");

    // Invoices and payments.
    let invoice = open_invoice(&mock, &customer, "100");
    mock.set_invoice_status(&invoice, "open");
    let payment = mock
        .create_payment(json!({ "invoice_id": invoice }))
        .expect("charged");
    mock.set_payment_status(&payment, "refunded");
    mock.set_payment_status(&payment, "chargeback");
    let declined = open_invoice(&mock, &customer, "5");
    let html = reqwest::Client::new()
        .post(format!("{}/pay/{declined}", mock.base_url()))
        .form(&[("action", "fail")])
        .send()
        .await
        .expect("declined");
    assert_eq!(html.status(), 402);
    api(reqwest::Method::DELETE, &format!("/invoices/{declined}"))
        .send()
        .await
        .expect("archived");
    api(reqwest::Method::DELETE, &format!("/customers/{customer}"))
        .send()
        .await
        .expect("archived");

    // Payouts.
    let other = open_invoice(&mock, &customer, "7");
    mock.create_payment(json!({ "invoice_id": other, "payment_method": "ach" }))
        .expect("charged");
    let payout = mock.settle_payments().expect("settled");
    let failing = mock.create_payout(&[]).err();
    assert!(failing.is_some(), "a payout of nothing is refused");
    mock.set_payout_status(&payout, "failed");
    mock.webhooks_settled().await;

    let delivered: Vec<String> = received(&hooks)
        .await
        .iter()
        .map(|b| b["topic"].as_str().unwrap_or_default().to_string())
        .collect();
    for (topic, trigger) in TOPIC_TRIGGERS {
        assert!(
            delivered.iter().any(|t| t == topic),
            "no {topic} delivered (trigger: {trigger}); delivered: {delivered:?}"
        );
    }
    assert!(
        mock.webhook_events()
            .iter()
            .all(|(_, status)| status == "delivered"),
        "{:?}",
        mock.webhook_events()
    );
}

#[tokio::test]
async fn a_subscription_to_plain_http_off_loopback_is_refused() {
    let mock = mock().await;
    let http = reqwest::Client::new();
    let bearer = token(&mock, &http).await;
    let subscribe = |url: &'static str| {
        http.post(format!("{}/webhooks", mock.base_url()))
            .bearer_auth(&bearer)
            .json(&json!({ "endpoint_url": url, "topic": "invoice_paid" }))
            .send()
    };
    for refused in [
        "http://hooks.example/altpay",
        "http://127.0.0.1.hooks.example/altpay",
        "http://localhost.hooks.example/altpay",
        "ftp://127.0.0.1/altpay",
        "not a url",
    ] {
        let response = subscribe(refused).await.expect("answered");
        assert_eq!(response.status(), 422, "{refused}");
        let body: Value = response.json().await.expect("an error body");
        assert!(
            body["validation_errors"]["endpoint_url"].is_string(),
            "{body}"
        );
    }
    for accepted in [
        "https://hooks.example/altpay",
        "http://127.0.0.1:8080/altpay",
        "http://localhost/altpay",
        "http://[::1]:9/altpay",
    ] {
        let response = subscribe(accepted).await.expect("answered");
        assert_eq!(response.status(), 201, "{accepted}");
    }
}

#[tokio::test]
async fn the_hosted_page_shows_what_is_due_and_paying_by_card_pays_the_invoice() {
    let mock = mock().await;
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    let invoice = open_invoice(&mock, &customer, "120.50");
    let link: Value = reqwest::Client::new()
        .get(format!(
            "{}/invoices/{invoice}/payment-link",
            mock.base_url()
        ))
        .bearer_auth(token(&mock, &reqwest::Client::new()).await)
        .send()
        .await
        .expect("link")
        .json()
        .await
        .expect("json");
    let url = link["url"].as_str().expect("a url").to_string();

    // A payer has no credentials.
    let page = reqwest::get(&url).await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("120.50 USD"), "{html}");
    assert!(html.contains("id=\"pay-card\""), "{html}");

    let paid = reqwest::Client::new()
        .post(&url)
        .form(&[("action", "card")])
        .send()
        .await
        .expect("paid");
    assert_eq!(paid.status(), 200);
    let receipt = paid.text().await.expect("receipt");
    assert!(receipt.contains("Paid 120.50 USD by card"), "{receipt}");

    let client = sdk(&mock);
    let invoice = client
        .invoices()
        .get(invoice.as_str())
        .send()
        .await
        .expect("invoice");
    assert_eq!(invoice.status(), Some("paid"));
    let payments: Vec<_> = client
        .payments()
        .list()
        .invoice_id(invoice.id().to_string())
        .send()
        .await
        .expect("payments")
        .items()
        .to_vec();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status(), Some("succeeded"));
    assert_eq!(payments[0].payment_method(), Some("card"));

    // Paid: the page offers nothing more, and paying again is refused.
    let again = reqwest::Client::new()
        .post(&url)
        .form(&[("action", "ach")])
        .send()
        .await
        .expect("answered");
    assert_eq!(again.status(), 409);
    assert_eq!(mock.payment_count(), 1, "no second charge");
}

#[tokio::test]
async fn a_payment_request_paid_on_its_page_sends_the_payer_to_its_redirect_url() {
    let mock = mock().await;
    let request = mock.create_payment_request(json!({
        "amount": "49.99",
        "reference_id": "order-1042",
        "redirect_url": "https://shop.example/thanks?order=1042",
    }));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = format!("{}/pay/{request}", mock.base_url());
    let html = no_redirects
        .get(&url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("49.99 USD") && html.contains("order-1042"),
        "{html}"
    );

    let paid = no_redirects
        .post(&url)
        .form(&[("action", "ach")])
        .send()
        .await
        .expect("paid");
    assert_eq!(paid.status(), 303);
    assert_eq!(
        paid.headers()["location"],
        "https://shop.example/thanks?order=1042&status=paid"
    );
    let got = sdk(&mock)
        .payment_requests()
        .get(request.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(got.status(), Some("paid"));
    assert_eq!(mock.payment_count(), 1);
}

#[tokio::test]
async fn a_declined_payment_charges_nothing_and_cancel_ends_the_request() {
    let mock = mock().await;
    let request = mock.create_payment_request(json!({
        "amount": "10.00",
        "redirect_url": "https://shop.example/back",
    }));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = format!("{}/pay/{request}", mock.base_url());
    let declined = no_redirects
        .post(&url)
        .form(&[("action", "fail")])
        .send()
        .await
        .expect("declined");
    assert_eq!(declined.status(), 402);
    let html = declined.text().await.expect("html");
    assert!(html.contains("declined"), "{html}");
    assert!(
        html.contains("id=\"pay-card\""),
        "the payer may try again: {html}"
    );
    assert_eq!(
        mock.webhook_events().last().map(|e| e.0.as_str()),
        Some("payment_failed")
    );

    let canceled = no_redirects
        .post(&url)
        .form(&[("action", "cancel")])
        .send()
        .await
        .expect("canceled");
    assert_eq!(canceled.status(), 303);
    assert_eq!(
        canceled.headers()["location"],
        "https://shop.example/back?status=canceled"
    );
    let got = sdk(&mock)
        .payment_requests()
        .get(request.as_str())
        .send()
        .await
        .expect("got");
    assert_eq!(got.status(), Some("canceled"));

    // Bad input: an unknown action, an unknown id.
    let unknown = no_redirects
        .post(&url)
        .form(&[("action", "steal")])
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown.status(), 409, "a canceled request takes no action");
    let missing = no_redirects
        .get(format!("{}/pay/pr_999999", mock.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_payout_settles_succeeded_payments_through_the_documented_statuses() {
    let mock = mock().await;
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    let by_card = open_invoice(&mock, &customer, "100");
    let by_ach = open_invoice(&mock, &customer, "50");
    let card = mock
        .create_payment(json!({ "invoice_id": by_card }))
        .expect("card");
    let ach = mock
        .create_payment(json!({ "invoice_id": by_ach, "payment_method": "ach" }))
        .expect("ach");

    // Through the binary's action, as other languages would.
    let settled: Value = reqwest::Client::new()
        .post(format!("{}/_mock/payouts/settle", mock.base_url()))
        .send()
        .await
        .expect("settled")
        .json()
        .await
        .expect("json");
    let payout = settled["payout_id"].as_str().expect("a payout").to_string();

    let client = sdk(&mock);
    let got = client
        .payouts()
        .get(payout.as_str())
        .send()
        .await
        .expect("payout");
    assert_eq!(
        got.status().map(|s| s.to_string()).as_deref(),
        Some("succeeded")
    );
    // 150.00 less the card fee, 2.9 % of 100 + 0.30 = 3.20: exactly.
    assert_eq!(got.sub_total(), Some(Decimal::new(15000, 2)));
    assert_eq!(got.total(), Some(Decimal::new(14680, 2)));
    let paid: Vec<String> = client
        .payouts()
        .payments(payout.as_str())
        .send()
        .await
        .expect("transactions")
        .iter()
        .map(|p| p.id().to_string())
        .collect();
    assert_eq!(paid, [card, ach]);
    let topics: Vec<String> = mock
        .webhook_events()
        .into_iter()
        .map(|(topic, _)| topic)
        .filter(|t| t.starts_with("payout_"))
        .collect();
    assert_eq!(
        topics,
        ["payout_processing", "payout_scheduled", "payout_paid"]
    );

    // Nothing is left to settle; a settled payout cannot settle again.
    let again = reqwest::Client::new()
        .post(format!("{}/_mock/payouts/settle", mock.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(again.status(), 422);
    assert!(mock.settle_payout(&payout).is_err());
}

#[tokio::test]
async fn the_binary_sets_statuses_with_their_events_and_refuses_unknown_ones() {
    let mock = mock().await;
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    let invoice = open_invoice(&mock, &customer, "10");
    let payment = mock
        .create_payment(json!({ "invoice_id": invoice }))
        .expect("charged");
    let http = reqwest::Client::new();
    let set = |kind: &str, id: &str, status: &str| {
        http.post(format!("{}/_mock/{kind}/{id}/status", mock.base_url()))
            .json(&json!({ "status": status }))
            .send()
    };
    assert_eq!(
        set("payments", &payment, "refunded")
            .await
            .expect("set")
            .status(),
        200
    );
    assert_eq!(
        mock.webhook_events().last().map(|e| e.0.as_str()),
        Some("payment_refunded")
    );
    assert_eq!(
        set("payments", "pay_999999", "refunded")
            .await
            .expect("answered")
            .status(),
        404
    );
    assert_eq!(
        set("customers", &customer, "gone")
            .await
            .expect("answered")
            .status(),
        422
    );
}
