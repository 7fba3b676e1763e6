//! Every operation's request as it goes on the wire, snapshotted.

use std::fmt::Write as _;

use alternative_payments::types::{CustomerUpdate, NewCustomer, NewCustomerUser};
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{builder, customer, server};

/// A request as a reviewer reads it: no host/port, secrets redacted.
fn render(request: &wiremock::Request) -> String {
    let mut out = format!("{} {}", request.method, request.url.path());
    if let Some(query) = request.url.query() {
        let _ = write!(out, "?{query}");
    }
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| *name != "host")
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("<binary>");
            let value = match (name.as_str(), value.split_once(' ')) {
                ("authorization", Some((scheme, _))) => format!("{scheme} [redacted]"),
                ("authorization", None) => "[redacted]".to_string(),
                _ => value.to_string(),
            };
            (name.to_string(), value)
        })
        .collect();
    headers.sort();
    for (name, value) in headers {
        let _ = write!(out, "\n  {name}: {value}");
    }
    if !request.body.is_empty() {
        let body = match serde_json::from_slice::<Value>(&request.body) {
            Ok(json) => serde_json::to_string(&json).expect("json"),
            Err(_) => String::from_utf8_lossy(&request.body).into_owned(),
        };
        let _ = write!(out, "\n  body: {body}");
    }
    out
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let (server, _) = server().await;
    let page = json!({ "data": [], "has_next_page": false, "has_previous_page": false });
    for (verb, route, status, body) in [
        ("GET", "/customers", 200, page.clone()),
        ("POST", "/customers", 201, customer("cus_1")),
        ("GET", "/customers/cus_1", 200, customer("cus_1")),
        ("PATCH", "/customers/cus_1", 200, customer("cus_1")),
        ("DELETE", "/customers/cus_1", 200, customer("cus_1")),
        ("POST", "/customers/cus_1/restore", 200, customer("cus_1")),
        (
            "GET",
            "/customers/cus_1/payment-methods",
            200,
            json!({ "data": [] }),
        ),
        (
            "GET",
            "/customers/cus_1/payment-methods/pm_1",
            200,
            json!({ "id": "pm_1" }),
        ),
        ("GET", "/customers/cus_1/users", 200, page.clone()),
        (
            "POST",
            "/customers/cus_1/users",
            201,
            json!({ "id": "u_1" }),
        ),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
    }
    let client = builder(&server)
        .scopes(["read", "write"])
        .user_agent_suffix("wire-test/1.0")
        .build()
        .expect("client");
    let customers = client.customers();
    customers
        .list()
        .company_name("Acme")
        .created_after(datetime!(2026-01-01 0:00 UTC))
        .created_before(datetime!(2026-06-30 12:00 -05:00))
        .limit(25)
        .send()
        .await
        .expect("list");
    let new = NewCustomer {
        name: Some("Acme".into()),
        email: Some("billing@acme.test".into()),
        external_id: Some("ext-1".into()),
        ..Default::default()
    };
    customers.create(new).send().await.expect("create");
    customers.get("cus_1").send().await.expect("get");
    let update = CustomerUpdate {
        city: Some("Lyon".into()),
        ..Default::default()
    };
    customers
        .update("cus_1", update)
        .send()
        .await
        .expect("update");
    customers.archive("cus_1").send().await.expect("archive");
    customers.restore("cus_1").send().await.expect("restore");
    customers
        .payment_methods("cus_1")
        .list()
        .send()
        .await
        .expect("methods");
    customers
        .payment_methods("cus_1")
        .get("pm_1")
        .send()
        .await
        .expect("method");
    customers
        .users("cus_1")
        .list()
        .limit(10)
        .send()
        .await
        .expect("users");
    let user = NewCustomerUser {
        first_name: Some("Jo".into()),
        email: Some("jo@acme.test".into()),
        ..Default::default()
    };
    customers
        .users("cus_1")
        .create(user)
        .send()
        .await
        .expect("create user");

    let requests = server.received_requests().await.expect("on");
    let rendered: Vec<String> = requests.iter().map(render).collect();
    insta::assert_snapshot!(rendered.join("\n\n"));
}
