//! Every operation's request as it goes on the wire, snapshotted.

use std::fmt::Write as _;

use alternative_payments::Customers;
use alternative_payments::types::{CustomerUpdate, NewCustomer, NewCustomerUser};
use alternative_payments_raw::operations::Operation;
use serde_json::Value;
use time::macros::datetime;

use super::{builder, server};

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

/// One call of `operation` through the client, as a user writes it, with
/// every option it has set. Exhaustive: an operation the spec gains fails
/// to compile here until the wire snapshot shows it.
async fn call(customers: Customers<'_>, operation: Operation) {
    match operation {
        Operation::ListCustomers => drop(
            customers
                .list()
                .company_name("Acme")
                .created_after(datetime!(2026-01-01 0:00 UTC))
                .created_before(datetime!(2026-06-30 12:00 -05:00))
                .limit(25)
                .send()
                .await
                .expect("list"),
        ),
        Operation::CreateCustomer => {
            let new = NewCustomer::builder()
                .name("Acme".to_string())
                .email("billing@acme.test".to_string())
                .external_id("ext-1".to_string());
            customers.create(new).send().await.expect("create");
        }
        Operation::GetCustomer => drop(customers.get("cus_1").send().await.expect("get")),
        Operation::UpdateCustomer => {
            let update = CustomerUpdate::builder().city("Lyon".to_string());
            customers
                .update("cus_1", update)
                .send()
                .await
                .expect("update");
        }
        Operation::ArchiveCustomer => {
            drop(customers.archive("cus_1").send().await.expect("archive"))
        }
        Operation::RestoreCustomer => {
            drop(customers.restore("cus_1").send().await.expect("restore"))
        }
        Operation::ListPaymentMethods => drop(
            customers
                .payment_methods("cus_1")
                .list()
                .send()
                .await
                .expect("methods"),
        ),
        Operation::GetPaymentMethod => drop(
            customers
                .payment_methods("cus_1")
                .get("pm_1")
                .send()
                .await
                .expect("method"),
        ),
        Operation::ListCustomerUsers => drop(
            customers
                .users("cus_1")
                .list()
                .limit(10)
                .send()
                .await
                .expect("users"),
        ),
        Operation::CreateCustomerUser => {
            let user = NewCustomerUser::builder()
                .first_name("Jo".to_string())
                .email("jo@acme.test".to_string());
            customers
                .users("cus_1")
                .create(user)
                .send()
                .await
                .expect("create user");
        }
    }
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let (server, _) = server().await;
    crate::mount_every_operation(&server).await;
    let client = builder(&server)
        .scopes(["read", "write"])
        .user_agent_suffix("wire-test/1.0")
        .build()
        .expect("client");
    for operation in Operation::ALL {
        call(client.customers(), operation).await;
    }

    let requests = server.received_requests().await.expect("on");
    let (token, api): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| r.url.path() == "/oauth/token");
    assert_eq!(token.len(), 1, "one token for every call");
    assert_eq!(api.len(), Operation::ALL.len(), "one request per operation");
    let mut rendered = vec![render(token[0])];
    for (request, operation) in api.iter().zip(Operation::ALL) {
        assert_eq!(
            (request.method.as_str(), request.url.path()),
            (
                operation.http_method(),
                crate::concrete_path(operation).as_str()
            )
        );
        rendered.push(format!(
            "# {}\n{}",
            operation.operation_id(),
            render(request)
        ));
    }
    insta::assert_snapshot!(rendered.join("\n\n"));
}
