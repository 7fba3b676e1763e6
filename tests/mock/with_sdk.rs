//! Every operation through the SDK against the stateful mock.

use std::time::Duration;

use alternative_payments::types::{CustomerUpdate, MethodType, NewCustomer, NewCustomerUser};
use alternative_payments::{AuthError, Client, Credentials, Error, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer, PaymentMethodSeed};
use futures::TryStreamExt;
use time::macros::datetime;

use super::{mock, sdk};

fn named(name: &str) -> NewCustomer {
    let email = format!("{}@example.test", name.to_lowercase().replace(' ', "."));
    NewCustomer::builder()
        .name(name)
        .email(email)
        .try_into()
        .expect("every field is optional")
}

#[tokio::test]
async fn customers_lifecycle() {
    let mock = mock().await;
    let client = sdk(&mock);
    let customers = client.customers();

    let created = customers
        .create(named("Acme"))
        .send()
        .await
        .expect("create");
    let id = created.id.clone();
    assert!(created.created_at.is_some());
    assert_eq!(created.email.as_deref(), Some("acme@example.test"));

    let patched = customers
        .update(&id, CustomerUpdate::builder().city("Paris"))
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.city.as_deref(), Some("Paris"));
    assert_eq!(
        patched.name.as_deref(),
        Some("Acme"),
        "fields not sent are kept"
    );
    assert_eq!(patched.email.as_deref(), Some("acme@example.test"));

    let listed = |client: Client| async move {
        let all: Vec<_> = client
            .customers()
            .list()
            .stream()
            .try_collect()
            .await
            .expect("list");
        all.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(listed(client.clone()).await, vec![id.clone()]);
    customers.archive(&id).send().await.expect("archive");
    assert!(
        listed(client.clone()).await.is_empty(),
        "archived customers leave the list"
    );
    assert_eq!(
        customers.get(&id).send().await.expect("still readable").id,
        id
    );
    let again = customers
        .archive(&id)
        .send()
        .await
        .expect_err("already archived");
    assert_eq!(
        again.api().and_then(|a| a.code.as_deref()),
        Some("already_archived")
    );
    customers.restore(&id).send().await.expect("restore");
    assert_eq!(listed(client.clone()).await, vec![id.clone()]);
    let again = customers
        .restore(&id)
        .send()
        .await
        .expect_err("not archived");
    assert_eq!(again.status().map(|s| s.as_u16()), Some(400));

    for err in [
        customers.get("cus_nope").send().await.expect_err("404"),
        customers
            .update("cus_nope", CustomerUpdate::default())
            .send()
            .await
            .expect_err("404"),
        customers.archive("cus_nope").send().await.expect_err("404"),
        customers.restore("cus_nope").send().await.expect_err("404"),
        customers
            .payment_methods("cus_nope")
            .list()
            .send()
            .await
            .expect_err("404"),
        customers
            .payment_methods(&id)
            .get("pm_nope")
            .send()
            .await
            .expect_err("404"),
        customers
            .users("cus_nope")
            .list()
            .send()
            .await
            .expect_err("404"),
        customers
            .users("cus_nope")
            .create(NewCustomerUser::default())
            .send()
            .await
            .expect_err("404"),
    ] {
        assert!(err.is_not_found(), "{err}");
    }
}

#[tokio::test]
async fn payment_methods_keep_the_default_consistent() {
    let mock = mock().await;
    let client = sdk(&mock);
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    let card = mock
        .add_payment_method(&id, PaymentMethodSeed::card("visa", "4242", "12", "2030"))
        .expect("seed");
    let bank = mock
        .add_payment_method(&id, PaymentMethodSeed::ach("6789"))
        .expect("seed");
    let customer = client.customers().get(&id).send().await.expect("get");
    assert_eq!(
        customer.default_payment_method_id.as_deref(),
        Some(card.as_str()),
        "the first method is the default"
    );

    let sepa = mock
        .add_payment_method(&id, PaymentMethodSeed::of_type("sepa_debit").default())
        .expect("seed");
    let methods = client
        .customers()
        .payment_methods(&id)
        .list()
        .send()
        .await
        .expect("list");
    let defaults: Vec<_> = methods
        .iter()
        .filter(|m| m.default == Some(true))
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(defaults, vec![sepa.clone()], "exactly one default");
    assert_eq!(
        methods[2].type_,
        Some(MethodType::Unknown("sepa_debit".into()))
    );
    let customer = client.customers().get(&id).send().await.expect("get");
    assert_eq!(
        customer.default_payment_method_id.as_deref(),
        Some(sepa.as_str())
    );

    let fetched = client
        .customers()
        .payment_methods(&id)
        .get(&bank)
        .send()
        .await
        .expect("get");
    assert_eq!(
        (fetched.type_, fetched.last4.as_deref()),
        (Some(MethodType::Ach), Some("6789"))
    );
}

#[tokio::test]
async fn users_are_created_and_paginated() {
    let mock = mock().await;
    let client = sdk(&mock);
    let id = client
        .customers()
        .create(named("Acme"))
        .send()
        .await
        .expect("create")
        .id;
    for i in 0..7 {
        let user = NewCustomerUser::builder()
            .first_name(format!("U{i}"))
            .email(format!("u{i}@acme.test"));
        client
            .customers()
            .users(&id)
            .create(user)
            .send()
            .await
            .expect("create user");
    }
    let users: Vec<_> = client
        .customers()
        .users(&id)
        .list()
        .limit(3)
        .stream()
        .try_collect()
        .await
        .expect("users");
    let names: Vec<_> = users.iter().filter_map(|u| u.first_name.clone()).collect();
    assert_eq!(names, ["U0", "U1", "U2", "U3", "U4", "U5", "U6"]);
    assert_eq!(mock.requests_to("listCustomerUsers").len(), 3);

    client
        .customers()
        .archive(&id)
        .send()
        .await
        .expect("archive");
    let err = client
        .customers()
        .users(&id)
        .create(NewCustomerUser::default())
        .send()
        .await
        .expect_err("archived");
    assert_eq!(
        err.api().and_then(|a| a.code.as_deref()),
        Some("customer_archived")
    );
}

#[tokio::test]
async fn pagination_over_many_pages_both_ways_with_filters() {
    let mock = mock().await;
    let client = sdk(&mock);
    mock.set_clock(datetime!(2026-01-01 00:00 UTC));
    for i in 0..40 {
        // One per second from midnight; every other one an "Acme".
        let name = if i % 2 == 0 {
            format!("Acme {i:02}")
        } else {
            format!("Other {i:02}")
        };
        mock.create_customer(serde_json::json!({ "name": name }));
    }
    // Acme 04 .. Acme 34 were created from 00:00:04 to 00:00:34.
    let list = || {
        client
            .customers()
            .list()
            .company_name("acme")
            .created_after(datetime!(2026-01-01 00:00:04 UTC))
            .created_before(datetime!(2026-01-01 00:00:34 UTC))
            .limit(3)
    };
    let all: Vec<_> = list().stream().try_collect().await.expect("stream");
    let names: Vec<_> = all.iter().filter_map(|c| c.name.clone()).collect();
    let expected: Vec<_> = (4..=34)
        .step_by(2)
        .map(|i| format!("Acme {i:02}"))
        .collect();
    assert_eq!(names, expected);

    // Forward page by page to the end, then all the way back.
    let mut pages = vec![list().send().await.expect("page 1")];
    while let Some(next) = pages
        .last()
        .expect("a page")
        .next_page()
        .await
        .expect("next")
    {
        pages.push(next);
    }
    assert_eq!(pages.len(), 6, "16 customers, 3 per page");
    assert!(!pages[0].has_previous_page() && !pages[5].has_next_page());
    let mut back = pages.pop().expect("last");
    let mut seen_back = vec![
        back.items()
            .iter()
            .filter_map(|c| c.name.clone())
            .collect::<Vec<_>>(),
    ];
    while let Some(previous) = back.previous_page().await.expect("previous") {
        seen_back.push(
            previous
                .items()
                .iter()
                .filter_map(|c| c.name.clone())
                .collect(),
        );
        back = previous;
    }
    let backwards: Vec<String> = seen_back.into_iter().rev().flatten().collect();
    assert_eq!(backwards, expected, "paging back visits the same customers");
    for request in mock.requests_to("listCustomers") {
        let query = request.query.expect("query");
        assert!(
            query.contains("company_name=acme")
                && query.contains("limit=3")
                && query.contains("created_at_end="),
            "{query}"
        );
    }
}

#[tokio::test]
async fn wrong_secret_and_missing_scope() {
    let mock = MockServer::builder()
        .client("full", "full-secret", &["read", "write"])
        .client("reader", "reader-secret", &["read"])
        .start()
        .await
        .expect("mock");
    let client = |id: &str, secret: &str| {
        Client::builder()
            .credentials(Credentials::client_credentials(id, secret))
            .base_url(mock.base_url())
            .build()
            .expect("client")
    };
    let err = client("full", "wrong")
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("refused");
    match &err {
        Error::Auth(AuthError::Rejected {
            status: 401, error, ..
        }) => assert_eq!(error, "invalid_client"),
        other => panic!("{other:?}"),
    }

    let reader = client("reader", "reader-secret");
    reader
        .customers()
        .list()
        .send()
        .await
        .expect("read is allowed");
    let err = reader
        .customers()
        .create(named("Acme"))
        .send()
        .await
        .expect_err("write is not");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(
        err.api().and_then(|a| a.code.as_deref()),
        Some("insufficient_scope")
    );
    assert_eq!(mock.customer_count(), 0);

    let greedy = Client::builder()
        .credentials(Credentials::client_credentials("reader", "reader-secret"))
        .base_url(mock.base_url())
        .scopes(["read", "write"])
        .build()
        .expect("client");
    let err = greedy
        .customers()
        .list()
        .send()
        .await
        .expect_err("scope refused");
    let report = crate::common::report(&err);
    assert!(report.contains("invalid_scope"), "{report}");
}

#[tokio::test]
async fn token_expiry_mid_pagination_is_recovered_transparently() {
    let mock = mock().await;
    for i in 0..9 {
        mock.create_customer(serde_json::json!({ "name": format!("C{i}") }));
    }
    let client = sdk(&mock);
    let mut pages = client.customers().list().limit(3).pages();
    let first = pages.try_next().await.expect("page").expect("some");
    assert_eq!(first.items().len(), 3);
    // Tokens die while the caller works on page 1 (page 2 may already be
    // prefetched with the old token; page 3 is not).
    mock.expire_tokens();
    let rest: Vec<_> = pages
        .try_collect()
        .await
        .expect("the SDK gets a new token and goes on");
    assert_eq!(rest.iter().map(|p| p.items().len()).sum::<usize>(), 6);
    assert_eq!(mock.requests_to("token").len(), 2);
    // Three pages and one replay of the page refused with the dead token
    // (page 2 or page 3, depending on when the prefetch ran).
    assert_eq!(mock.requests_to("listCustomers").len(), 4);
}

#[tokio::test]
async fn injected_faults_are_retried_and_creates_are_never_duplicated() {
    let mock = mock().await;
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .expect("client");
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));

    mock.enqueue(
        "getCustomer",
        [MockResponse::status(503), MockResponse::status(503)],
    )
    .expect("the mock knows the operation");
    client
        .customers()
        .get(&id)
        .send()
        .await
        .expect("third attempt succeeds");
    assert_eq!(mock.requests_to("getCustomer").len(), 3);

    mock.enqueue(
        "getCustomer",
        [MockResponse::status(429).header("retry-after", "1")],
    )
    .expect("the mock knows the operation");
    let started = std::time::Instant::now();
    client
        .customers()
        .get(&id)
        .send()
        .await
        .expect("after Retry-After");
    assert!(started.elapsed() >= Duration::from_secs(1));

    // A connection broken mid-body: a read is simply tried again.
    let before = mock.requests_to("getCustomer").len();
    mock.enqueue("getCustomer", [MockResponse::drop_connection()])
        .expect("the mock knows the operation");
    client
        .customers()
        .get(&id)
        .send()
        .await
        .expect("retried after the reset");
    assert_eq!(mock.requests_to("getCustomer").len(), before + 2);

    for fault in [
        MockResponse::status(503),
        MockResponse::status(500),
        MockResponse::drop_connection(),
    ] {
        mock.enqueue("createCustomer", [fault])
            .expect("the mock knows the operation");
        let err = client
            .customers()
            .create(named("Dup"))
            .send()
            .await
            .expect_err("not retried");
        assert!(err.is_retryable(), "the caller may decide to retry: {err}");
    }
    assert_eq!(
        mock.requests_to("createCustomer").len(),
        3,
        "one attempt each"
    );
    assert_eq!(
        mock.customer_count(),
        1,
        "no customer was created by the failed attempts"
    );

    mock.enqueue("createCustomerUser", [MockResponse::status(502)])
        .expect("the mock knows the operation");
    client
        .customers()
        .users(&id)
        .create(NewCustomerUser::default())
        .send()
        .await
        .expect_err("not retried");
    assert_eq!(mock.requests_to("createCustomerUser").len(), 1);
}

#[tokio::test]
async fn validation_errors_name_their_fields() {
    // Email syntax is one of the mock's extra rules (the spec says "string").
    let mock = MockServer::builder()
        .extra_rules(true)
        .start()
        .await
        .expect("mock");
    let client = sdk(&mock);
    let bad = NewCustomer::builder().email("not an email").name("Acme");
    let err = client
        .customers()
        .create(bad)
        .send()
        .await
        .expect_err("422");
    let api = err.api().expect("api error");
    assert_eq!(api.status.as_u16(), 422);
    assert_eq!(api.code.as_deref(), Some("validation_failed"));
    assert_eq!(api.validation_errors.keys().collect::<Vec<_>>(), ["email"]);
    let user = NewCustomerUser::builder().email("@acme");
    let id = mock.create_customer(serde_json::json!({}));
    let err = client
        .customers()
        .users(&id)
        .create(user)
        .send()
        .await
        .expect_err("422");
    assert!(
        err.api()
            .expect("api")
            .validation_errors
            .contains_key("email")
    );
    assert_eq!(
        mock.customer_count(),
        1,
        "nothing stored from a rejected request"
    );
}

/// An export whose later page keeps failing stops with the cursor to resume
/// from; resumed there, it loses nothing and repeats nothing.
#[tokio::test]
async fn a_failed_export_resumes_where_it_stopped() {
    let mock = mock().await;
    for i in 0..10 {
        mock.create_customer(serde_json::json!({ "name": format!("Customer {i}") }));
    }
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .expect("client");
    // Pages 1 and 2 go through; page 3 fails its three attempts.
    mock.enqueue(
        "listCustomers",
        [
            MockResponse::stall(Duration::ZERO),
            MockResponse::stall(Duration::ZERO),
            MockResponse::status(503),
            MockResponse::status(503),
            MockResponse::status(503),
        ],
    )
    .expect("known operation");
    let mut seen = Vec::new();
    let mut stream = client.customers().list().limit(2).stream();
    let error = loop {
        match stream.try_next().await {
            Ok(Some(customer)) => seen.push(customer.name.expect("name")),
            Ok(None) => panic!("the third page should have failed"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen.len(), 4, "two pages of two");
    assert!(matches!(error, Error::PageFailed { .. }), "{error:?}");
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(503),
        "the page's own error"
    );
    assert!(error.is_retryable());
    let Some(alternative_payments::Cursor::After(cursor)) = error.resume_cursor() else {
        panic!("a cursor to resume from: {error:?}");
    };
    let rest: Vec<_> = client
        .customers()
        .list()
        .limit(2)
        .after(cursor.clone())
        .stream()
        .try_collect()
        .await
        .expect("the rest");
    seen.extend(rest.into_iter().map(|c| c.name.expect("name")));
    let expected: Vec<String> = (0..10).map(|i| format!("Customer {i}")).collect();
    assert_eq!(seen, expected, "nothing lost, nothing repeated");
}

/// The scan behind `find_by_external_id` and `find_by_email`: 100 a page,
/// stopping at the first match for `first`, reading to the end for `all`,
/// and the API's missing uniqueness shows as two results.
#[tokio::test]
async fn find_by_scans_pages_and_stops_at_the_first_match() {
    let mock = mock().await;
    let mut wanted = Vec::new();
    for i in 0..230 {
        let external = if i == 120 || i == 220 {
            "crm-42".to_string()
        } else {
            format!("crm-{}", 1000 + i)
        };
        let email = if i == 150 {
            "Billing@Acme.test".to_string()
        } else {
            format!("c{i}@example.test")
        };
        let id =
            mock.create_customer(serde_json::json!({ "external_id": external, "email": email }));
        if external == "crm-42" {
            wanted.push(id);
        }
    }
    let client = sdk(&mock);
    let customers = client.customers();
    mock.clear_requests();

    let first = customers
        .find_by_external_id("crm-42")
        .first()
        .await
        .expect("scan");
    assert_eq!(first.map(|c| c.id.to_string()).as_ref(), Some(&wanted[0]));
    let pages = mock.requests_to("listCustomers");
    assert_eq!(pages.len(), 2, "stops on the page of the match: {pages:?}");
    assert!(
        pages
            .iter()
            .all(|r| r.query.as_deref().is_some_and(|q| q.contains("limit=100")))
    );

    mock.clear_requests();
    let all = customers
        .find_by_external_id("crm-42")
        .all()
        .await
        .expect("scan");
    let ids: Vec<String> = all.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, wanted, "not unique: both are found");
    assert_eq!(mock.requests_to("listCustomers").len(), 3, "every page");

    let by_email = customers
        .find_by_email(" billing@acme.TEST ")
        .all()
        .await
        .expect("scan");
    assert_eq!(by_email.len(), 1);
    assert!(
        customers
            .find_by_email("nobody@acme.test")
            .first()
            .await
            .expect("scan")
            .is_none()
    );

    mock.clear_requests();
    let error = customers
        .find_by_external_id(" ")
        .first()
        .await
        .expect_err("empty");
    assert_eq!(
        error.to_string(),
        "invalid argument: external id to find is empty"
    );
    assert!(mock.requests().is_empty(), "refused before sending");
}

/// `pass` lets requests through until the fault's turn; `validation_error`
/// answers as the mock's own validation does, and stores nothing.
#[tokio::test]
async fn queued_passes_then_a_validation_error_reach_the_sdk_as_the_api_would() {
    use alternative_payments_mock::operation_ids;

    let mock = mock().await;
    let client = sdk(&mock);
    mock.enqueue(
        operation_ids::CREATE_CUSTOMER,
        [
            MockResponse::pass(),
            MockResponse::pass(),
            MockResponse::validation_error("email", "is already used"),
        ],
    )
    .expect("a known operation");
    for name in ["One", "Two"] {
        client
            .customers()
            .create(named(name))
            .send()
            .await
            .expect("passed");
    }
    let error = client
        .customers()
        .create(named("Three"))
        .send()
        .await
        .expect_err("the queued validation error");
    let api = error.api().expect("an API error");
    assert_eq!(api.status.as_u16(), 422);
    assert_eq!(api.code.as_deref(), Some("validation_failed"));
    assert_eq!(
        api.validation_errors.get("email").map(String::as_str),
        Some("is already used")
    );
    assert!(error.is_invalid_request());
    let listed: Vec<_> = client
        .customers()
        .list()
        .stream()
        .try_collect()
        .await
        .expect("ok");
    assert_eq!(listed.len(), 2, "the refused create stored nothing");
    // Then normal handling resumes.
    client
        .customers()
        .create(named("Four"))
        .send()
        .await
        .expect("no fault left");
}

/// Issue #28: every answer of the mock carries a request id, in the header
/// the SDK reads and in its error bodies; hooks, successes and errors all
/// name it.
#[tokio::test]
async fn every_answer_names_its_request_id_to_hooks_successes_and_errors() {
    #[derive(Clone, Default)]
    struct Ids(std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>);
    impl alternative_payments::Hook for Ids {
        fn on_response(
            &self,
            response: &alternative_payments::HookResponse<'_>,
        ) -> Result<(), String> {
            let id = response.request_id().map(String::from);
            self.0.lock().expect("lock").push(id);
            Ok(())
        }
    }
    let mock = mock().await;
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    let ids = Ids::default();
    let client = alternative_payments_test_support::sdk_builder(&mock)
        .hook(ids.clone())
        .build()
        .expect("client");

    let found = client
        .customers()
        .get(&id)
        .send_with_response()
        .await
        .expect("found");
    let success_id = found
        .request_id()
        .expect("a success names its request")
        .to_string();
    let missing = client
        .customers()
        .get("cus_missing")
        .send()
        .await
        .expect_err("not found");
    let error_id = missing
        .request_id()
        .expect("an error names its request")
        .to_string();
    assert!(missing.to_string().contains(&error_id), "{missing}");
    assert_ne!(success_id, error_id);
    assert_eq!(
        *ids.0.lock().expect("lock"),
        [Some(success_id), Some(error_id)],
        "the hook saw each attempt's id"
    );

    // Without credentials: the error body carries the same id as the header.
    let refused = reqwest::get(format!("{}/customers", mock.base_url()))
        .await
        .expect("answered");
    let header = refused.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_string();
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["request_id"], header.as_str(), "{body}");
    assert!(header.starts_with("req_"), "{header}");
}

/// Issue #29: invoices against the mock: a customer must exist, totals
/// follow exactly from line items and quantities, archive as for
/// customers, links to the hosted page and the PDF.
#[tokio::test]
async fn invoices_lifecycle_with_exact_totals() {
    use alternative_payments::Decimal;
    use alternative_payments::types::{InvoiceLineItem, NewInvoice};
    let mock = mock().await;
    let client = sdk(&mock);
    let customer = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    let line = |amount: Decimal, quantity: i64| -> InvoiceLineItem {
        InvoiceLineItem::builder()
            .description("work")
            .amount(amount)
            .quantity(quantity)
            .try_into()
            .expect("line")
    };
    let new = || {
        NewInvoice::builder()
            .customer_id(customer.as_str())
            .line_items(vec![
                line(Decimal::new(1999, 2), 3),
                line(Decimal::new(1, 2), 1),
                line(Decimal::new(1990, 2), 1),
            ])
    };
    let invoice = client
        .invoices()
        .create(new())
        .send()
        .await
        .expect("created");
    // 3 × 19.99 + 0.01 + 19.90, exactly: never 79.87999….
    assert_eq!(invoice.total(), Some(Decimal::new(7988, 2)));
    assert_eq!(invoice.sub_total(), invoice.total());
    assert_eq!(
        invoice.customer_id().map(|c| c.as_str()),
        Some(customer.as_str())
    );
    assert_eq!(
        invoice.line_items()[0].amount(),
        Some(Decimal::new(1999, 2))
    );
    assert_eq!(invoice.currency(), Some("USD"));

    let unknown = NewInvoice::builder()
        .customer_id("cus_nope")
        .line_items(vec![line(Decimal::ONE, 1)]);
    let error = client
        .invoices()
        .create(unknown)
        .send()
        .await
        .expect_err("no such customer");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
    assert!(
        error
            .api()
            .is_some_and(|a| a.validation_errors.contains_key("customer_id")),
        "{error:?}"
    );

    let listed: Vec<_> = client
        .invoices()
        .list()
        .customer_id(customer.as_str())
        .stream()
        .try_collect()
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    let link = client
        .invoices()
        .payment_link(invoice.id())
        .send()
        .await
        .expect("link");
    assert!(
        link.url()
            .is_some_and(|u| u.ends_with(&format!("/pay/{}", invoice.id()))),
        "{link:?}"
    );

    let archived = client
        .invoices()
        .archive(invoice.id())
        .send()
        .await
        .expect("archived");
    assert_eq!(archived.status(), Some("void"));
    let again = client
        .invoices()
        .archive(invoice.id())
        .send()
        .await
        .expect_err("twice");
    assert_eq!(again.status().map(|s| s.as_u16()), Some(400));
    let listed = client
        .invoices()
        .list()
        .customer_id(customer.as_str())
        .send()
        .await
        .expect("list");
    assert!(
        listed.items().is_empty(),
        "an archived invoice leaves the list"
    );
}

/// Issue #29: webhook subscriptions keep their secret out of sight: the
/// SDK's types never print it, the API shows its last 4 characters; events
/// are recorded for changes; unsubscribing twice is a 404.
#[tokio::test]
async fn webhook_subscriptions_never_show_their_secret_and_events_are_recorded() {
    use alternative_payments::types::{NewWebhookSubscription, WebhookTopic};
    let mock = mock().await;
    let client = sdk(&mock);
    let secret = "whsec-Zq8Wv1-do-not-print";
    let new: NewWebhookSubscription = NewWebhookSubscription::builder()
        .endpoint_url("https://hooks.example/altpay")
        .topic(WebhookTopic::CustomerCreated)
        .secret_key(secret)
        .try_into()
        .expect("fields");
    assert!(!format!("{new:?}").contains(secret), "{new:?}");
    assert_eq!(new.secret_key.as_ref().map(|s| s.expose()), Some(secret));
    let subscription = client
        .webhooks()
        .create(new)
        .send()
        .await
        .expect("subscribed");
    assert_eq!(subscription.secret_last_4_digits(), Some("rint"));
    assert_eq!(subscription.is_active(), Some(true));

    let plain = NewWebhookSubscription::builder()
        .endpoint_url("http://hooks.example/plain")
        .topic(WebhookTopic::CustomerCreated);
    let refused = client
        .webhooks()
        .create(plain)
        .send()
        .await
        .expect_err("http");
    assert!(
        refused
            .api()
            .is_some_and(|a| a.validation_errors.contains_key("endpoint_url")),
        "{refused:?}"
    );

    client
        .customers()
        .create(named("Evented"))
        .send()
        .await
        .expect("customer");
    let events: Vec<_> = client
        .webhooks()
        .events()
        .topic(WebhookTopic::CustomerCreated)
        .stream()
        .try_collect()
        .await
        .expect("events");
    assert!(
        events.iter().any(|e| e["data"]["name"] == "Evented"),
        "{events:?}"
    );

    let gone = client
        .webhooks()
        .delete(subscription.id())
        .send()
        .await
        .expect("unsubscribed");
    assert_eq!(gone.is_active(), Some(false));
    let again = client
        .webhooks()
        .delete(subscription.id())
        .send()
        .await
        .expect_err("gone");
    assert!(again.is_not_found(), "{again:?}");
}

/// Issue #29: `--seed demo` seeds every resource, related by id: invoices
/// of the customers, payments of the invoices, a payout of the payments.
#[tokio::test]
async fn the_demo_data_set_holds_every_resource_related_by_id() {
    let mock = MockServer::builder()
        .seed_demo(true)
        .start()
        .await
        .expect("mock");
    let client = sdk(&mock);
    let invoices = client.invoices().list().send().await.expect("invoices");
    let invoice = &invoices.items()[0];
    assert!(invoice.customer_id().is_some());
    let payments = client.payments().list().send().await.expect("payments");
    assert!(!payments.items().is_empty());
    let payouts = client.payouts().list().send().await.expect("payouts");
    let payout = &payouts.items()[0];
    let settled = client
        .payouts()
        .payments(payout.id())
        .send()
        .await
        .expect("settled");
    assert_eq!(settled.len(), payments.items().len());
    let subscriptions = client.webhooks().list().send().await.expect("webhooks");
    assert_eq!(subscriptions.items().len(), 1);
    let kinds = mock.record_counts();
    for kind in [
        "customers",
        "invoices",
        "payments",
        "payouts",
        "payment_requests",
        "webhook_subscriptions",
    ] {
        assert!(kinds.get(kind).is_some_and(|n| *n > 0), "{kind}: {kinds:?}");
    }
}
