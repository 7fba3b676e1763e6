//! Each resource method returns what the API sent, and errors carry what a
//! person needs to act on them.

use alternative_payments::Error;
use alternative_payments::types::{MethodType, NewCustomer};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{client, customer, server};

#[tokio::test]
async fn payment_methods_decode_unknown_types_and_ignore_unknown_fields() {
    let (server, _) = server().await;
    Mock::given(path("/customers/cus_1/payment-methods"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [
            { "id": "pm_1", "type": "card", "brand": "visa", "last4": "4242", "default": true, "wallet": "apple_pay" },
            { "id": "pm_2", "type": "sepa_debit", "iban_last4": "1234", "created_at": "2026-11-20T08:30:00+01:00" }
        ], "total": 2 })))
        .mount(&server)
        .await;
    let methods = client(&server)
        .customers()
        .payment_methods("cus_1")
        .list()
        .send()
        .await
        .expect("list");
    assert_eq!(methods.len(), 2);
    assert_eq!(methods[0].type_, Some(MethodType::Card));
    assert_eq!(
        methods[1].type_,
        Some(MethodType::Unknown("sepa_debit".into()))
    );
    let created = methods[1].created_at().expect("RFC 3339").expect("present");
    assert_eq!(created, time::macros::datetime!(2026-11-20 08:30 +01:00));
}

#[tokio::test]
async fn created_at_that_is_not_rfc3339_is_reported_and_kept() {
    let (server, _) = server().await;
    let mut body = customer("cus_1");
    body["created_at"] = json!("yesterday");
    Mock::given(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let c = client(&server)
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect("get");
    let err = alternative_payments::Error::from(c.created_at().expect_err("not RFC 3339"));
    assert_eq!(
        err.to_string(),
        r#"`Customer.created_at` is not an RFC 3339 timestamp: "yesterday""#
    );
    assert!(std::error::Error::source(&err).is_some(), "the parse error");
    assert_eq!(
        c.created_at.as_deref(),
        Some("yesterday"),
        "the text is kept"
    );
}

/// Statuses where the spec documents `HttpError` (422 for a create) and
/// one where it does not (400 for a list): a body holding only
/// `validation_errors` keeps them.
#[tokio::test]
async fn a_body_with_only_validation_errors_keeps_them() {
    let (server, _) = server().await;
    let body = json!({ "validation_errors": { "name": "is required" } });
    for (verb, route, status) in [("POST", "/customers", 422), ("GET", "/customers", 400)] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).set_body_json(body.clone()))
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let create = client
        .customers()
        .create(NewCustomer::default())
        .send()
        .await;
    let list = client.customers().list().send().await.map(drop);
    for err in [create.map(drop).expect_err("422"), list.expect_err("400")] {
        let api = err.api().expect("api error");
        assert_eq!(
            api.validation_errors.get("name").map(String::as_str),
            Some("is required"),
            "{err:?}"
        );
        assert_eq!(api.body_snippet, None, "the body was understood: {err:?}");
    }
}

#[tokio::test]
async fn validation_errors_are_typed_with_their_fields() {
    let (server, _) = server().await;
    Mock::given(method("POST"))
        .and(path("/customers"))
        .respond_with(
            ResponseTemplate::new(422)
                .insert_header("x-request-id", "req_7f3")
                .set_body_json(json!({ "code": "validation_failed", "message": "invalid input",
                    "validation_errors": { "email": "must be a valid email address", "name": "is required" } })),
        )
        .mount(&server)
        .await;
    let input = NewCustomer::builder().email("nope");
    let err = client(&server)
        .customers()
        .create(input)
        .send()
        .await
        .expect_err("422");
    assert!(err.is_invalid_request() && !err.is_retryable() && !err.is_not_found());
    assert_eq!(err.request_id(), Some("req_7f3"));
    let api = err.api().expect("api error");
    assert_eq!(
        api.validation_errors["email"],
        "must be a valid email address"
    );
    assert_eq!(
        err.to_string(),
        "create_customer: API returned 422 Unprocessable Entity (validation_failed): invalid input \
         [email: must be a valid email address; name: is required] (request id req_7f3)"
    );
}

#[tokio::test]
async fn not_found_on_nested_resources() {
    let (server, _) = server().await;
    Mock::given(path("/customers/cus_x/payment-methods/pm_1"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({ "code": "not_found", "message": "no such customer" })),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .customers()
        .payment_methods("cus_x")
        .get("pm_1")
        .send()
        .await
        .expect_err("404");
    assert!(err.is_not_found());
}

#[tokio::test]
async fn undocumented_error_statuses_and_non_json_bodies_are_api_errors_with_a_snippet() {
    let (server, _) = server().await;
    // listPaymentMethods documents no error response at all.
    Mock::given(path("/customers/cus_1/payment-methods"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html><body>upstream down</body></html>"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/customers/cus_2/payment-methods"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({ "code": "forbidden", "message": "missing scope read" })),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .customers()
        .payment_methods("cus_1")
        .list()
        .retry_policy(alternative_payments::RetryPolicy::none())
        .send()
        .await
        .expect_err("503");
    assert_eq!(
        err.to_string(),
        "list_payment_methods: API returned 503 Service Unavailable; body starts with \"<html><body>upstream down</body></html>\""
    );
    assert!(err.is_retryable());
    let err = client
        .customers()
        .payment_methods("cus_2")
        .list()
        .send()
        .await
        .expect_err("403");
    assert_eq!(
        err.to_string(),
        "list_payment_methods: API returned 403 Forbidden (forbidden): missing scope read"
    );
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_is_a_decode_error_with_status_and_snippet() {
    let (server, _) = server().await;
    Mock::given(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance page</html>"))
        .mount(&server)
        .await;
    let err = client(&server)
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("decode");
    match &err {
        Error::Decode {
            status, snippet, ..
        } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(snippet, "<html>maintenance page</html>");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn empty_ids_are_refused_before_sending() {
    let (server, _) = server().await;
    let client = client(&server);
    let customers = client.customers();
    for err in [
        customers.get("").send().await.expect_err("empty"),
        customers.archive("").send().await.expect_err("empty"),
        customers
            .payment_methods("cus_1")
            .get("")
            .send()
            .await
            .expect_err("empty"),
        customers
            .users("")
            .create(alternative_payments::types::NewCustomerUser::default())
            .send()
            .await
            .expect_err("empty"),
    ] {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    assert!(server.received_requests().await.expect("on").is_empty());
}

#[tokio::test]
async fn an_undocumented_success_status_is_still_a_success() {
    let (server, _) = server().await;
    // The spec documents 201 for creates; a server answering 200 has still
    // created the customer, and reporting an error would invite a duplicate.
    Mock::given(method("POST"))
        .and(path("/customers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_9")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/customers/cus_9/users"))
        .respond_with(ResponseTemplate::new(202).set_body_string("accepted"))
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .customers()
        .create(NewCustomer::default())
        .send()
        .await
        .expect("200 is a success");
    assert_eq!(created.id, "cus_9");
    let err = client
        .customers()
        .users("cus_9")
        .create(alternative_payments::types::NewCustomerUser::default())
        .send()
        .await
        .expect_err("not JSON");
    match err {
        Error::Decode {
            status, snippet, ..
        } => assert_eq!((status.as_u16(), snippet.as_str()), (202, "accepted")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_success_body_over_the_size_limit_is_refused_not_buffered() {
    let (server, _) = server().await;
    let mut big = customer("cus_1");
    big["name"] = json!("x".repeat(2 * 1024 * 1024));
    Mock::given(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    let client = super::builder(&server)
        .max_response_size(1024 * 1024)
        .build()
        .expect("client");
    let err = client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("too large");
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                operation: "get_customer",
                limit: 1_048_576
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        super::requests_to(&server, "/customers/cus_1").await.len(),
        1,
        "not retried"
    );
    // Under the limit, the same body is fine.
    let roomy = super::builder(&server)
        .max_response_size(4 * 1024 * 1024)
        .build()
        .expect("client");
    roomy.customers().get("cus_1").send().await.expect("fits");
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that streams chunks with no Content-Length, forever.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {}
    });
    let client = alternative_payments::Client::builder()
        .credentials(alternative_payments::Credentials::api_key("k"))
        .base_url(base_url)
        .max_response_size(256 * 1024)
        .build()
        .expect("client");
    let err = client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("too large");
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 262_144, .. }),
        "{err:?}"
    );
}

/// reqwest's rule: `Display` describes this layer only; the cause is
/// `source()`. Otherwise a report prints each cause twice.
#[tokio::test]
async fn error_chains_print_each_layer_once() {
    let (server, _) = server().await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\": 7"))
        .mount(&server)
        .await;
    let decode = client(&server).customers().get("cus_1").send().await;

    let refused = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": "invalid_client" })),
        )
        .mount(&refused)
        .await;
    let auth = client(&refused).customers().get("cus_1").send().await;

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        url
    };
    let transport = alternative_payments::Client::builder()
        .credentials(alternative_payments::Credentials::api_key("k"))
        .base_url(dead)
        .retry_policy(alternative_payments::RetryPolicy::none())
        .build()
        .expect("client")
        .customers()
        .get("cus_1")
        .send()
        .await;

    for (kind, result) in [("decode", decode), ("auth", auth), ("transport", transport)] {
        let err = result.expect_err(kind);
        let layers = crate::common::layers(&err);
        assert!(
            layers.len() >= 2,
            "{kind}: the cause is reachable: {layers:?}"
        );
        for pair in layers.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "{kind}: {:?} repeats its cause {:?}",
                pair[0],
                pair[1]
            );
        }
    }
}

/// An id that no id is (empty, a path, a line break) is refused before
/// anything is sent, naming the argument.
#[tokio::test]
async fn malformed_ids_are_refused_before_sending_naming_the_argument() {
    let (server, _) = server().await;
    let client = client(&server);
    let customers = client.customers();
    let cases = [
        (
            customers.get("").send().await,
            "invalid argument: customer id is empty",
        ),
        (
            customers.get("cus_1/users").send().await,
            r#"invalid argument: customer id "cus_1/users" holds '/', which no id contains"#,
        ),
        (
            customers.archive("cus_1\n").send().await,
            r#"invalid argument: customer id "cus_1\n" holds '\n', which no id contains"#,
        ),
    ];
    for (result, expected) in cases {
        let error = result.expect_err("refused");
        assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
        assert_eq!(error.to_string(), expected);
    }
    let error = customers
        .payment_methods("cus_1")
        .get("pm\u{7f}")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        r#"invalid argument: payment method id "pm\u{7f}" holds '\u{7f}', which no id contains"#
    );
    let received = server.received_requests().await.expect("recording on");
    assert!(
        received.iter().all(|r| r.url.path() == "/oauth/token"),
        "no API request: {received:?}"
    );
}
