//! The blocking client (issue #32): every operation's fixture run from
//! plain threads on the client's own runtime, requests, lists and waiters
//! without `async`, and a clear error instead of a deadlock inside an async
//! runtime.

use std::time::Duration;

use alternative_payments::{Client, Error};
use alternative_payments_mock::MockServer;
use alternative_payments_raw::operations::Operation;
use serde_json::json;

/// A mock serving from its own runtime, for a test that has none.
fn served() -> (tokio::runtime::Runtime, MockServer) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mock = runtime.block_on(MockServer::start()).expect("mock");
    (runtime, mock)
}

fn client(mock: &MockServer) -> Client {
    alternative_payments_test_support::sdk_builder(mock)
        .build()
        .expect("client")
}

#[test]
fn every_operation_runs_from_code_that_is_not_async() {
    let (_servers, _) = served();
    for op in Operation::ALL {
        // A fresh account each, as the fault matrix has.
        let mock = _servers.block_on(MockServer::start()).expect("mock");
        let ids = alternative_payments_test_support::seed(&mock);
        let client = client(&mock);
        let result = client.block_on(alternative_payments_test_support::call(op, &client, &ids));
        assert!(result.is_ok(), "{}: {result:?}", op.operation_id());
        assert_eq!(
            mock.requests_to(op.operation_id()).len(),
            1,
            "{}",
            op.operation_id()
        );
    }
}

#[test]
fn requests_lists_and_waiters_have_blocking_forms() {
    let (_servers, mock) = served();
    for i in 0..250 {
        mock.create_customer(json!({ "name": format!("Customer {i}") }));
    }
    let client = client(&mock);
    let one = client
        .customers()
        .get("cus_000001")
        .send_blocking()
        .expect("got");
    assert_eq!(one.name(), Some("Customer 0"));
    let page = client
        .customers()
        .list()
        .limit(100)
        .send_blocking()
        .expect("a page");
    assert_eq!(page.items().len(), 100);
    let all: Vec<_> = client
        .customers()
        .list()
        .limit(100)
        .iter_blocking()
        .collect::<Result<_, _>>()
        .expect("every customer");
    assert_eq!(all.len(), 250);
    assert_eq!(mock.requests_to("listCustomers").len(), 1 + 3);

    // From several threads at once, one client.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                client
                    .customers()
                    .get("cus_000002")
                    .send_blocking()
                    .expect("got");
            });
        }
    });

    // A waiter: the payer pays from another thread meanwhile.
    let request = mock.create_payment_request(json!({ "amount": "10.00" }));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            mock.set_payment_request_status(&request, "paid");
        });
        let paid = client
            .payment_requests()
            .wait_until_final(request.as_str())
            .min_delay(Duration::from_millis(20))
            .max_delay(Duration::from_millis(50))
            .max_wait(Duration::from_secs(60))
            .wait_blocking()
            .expect("paid");
        assert_eq!(paid.status(), Some("paid"));
    });
}

#[tokio::test]
async fn a_blocking_call_inside_an_async_runtime_is_an_error_not_a_deadlock() {
    let mock = MockServer::start().await.expect("mock");
    let client = client(&mock);
    let error = client
        .customers()
        .get("cus_000001")
        .send_blocking()
        .expect_err("refused");
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(error.to_string().contains(".send().await"), "{error}");
    let mut items = client.customers().list().iter_blocking();
    assert!(matches!(items.next(), Some(Err(Error::Config(_)))));
    assert!(items.next().is_none(), "the iterator stops after saying so");
    assert!(mock.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_client_that_made_blocking_calls_can_be_dropped_inside_async_code() {
    let (servers, mock) = served();
    mock.create_customer(json!({ "name": "Acme" }));
    let client = client(&mock);
    client
        .customers()
        .get("cus_000001")
        .send_blocking()
        .expect("got");
    // Dropping a runtime inside async code panics; the client's does not.
    servers.block_on(async move { drop(client) });
}
