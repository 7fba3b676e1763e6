//! The mock over raw HTTP: what no well-behaved SDK sends, and load.

use alternative_payments_mock::{MockResponse, MockServer};
use alternative_payments_raw::operations::Operation;
use serde_json::{Value, json};

use super::{mock, token};

async fn http_call(
    http: &reqwest::Client,
    mock: &MockServer,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let token = token(mock, http).await;
    let mut request = http
        .request(method, format!("{}{path}", mock.base_url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("response");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

type Case = (
    reqwest::Method,
    &'static str,
    Option<&'static str>,
    u16,
    Value,
);

/// Sends each case; asserts its status and its error code or fields.
async fn expect_statuses(mock: &MockServer, cases: Vec<Case>) {
    let http = reqwest::Client::new();
    for (method, path, body, status, expected) in cases {
        let (got, response) = http_call(&http, mock, method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path} {body:?}: {response}");
        match expected {
            Value::String(code) => assert_eq!(response["code"], code.as_str()),
            Value::Null => {}
            fields => assert_eq!(response["validation_errors"], fields, "{path}"),
        }
    }
}

#[tokio::test]
async fn what_the_spec_allows_is_accepted_and_extra_rules_are_opt_in() {
    use reqwest::Method;
    // Valid by the spec: any string for email and the created_at filters,
    // any integer for limit (clamped), after and before together.
    let spec_allows: Vec<Case> = vec![
        (
            Method::POST,
            "/customers",
            Some("{\"email\": \"no-at-sign\"}"),
            201,
            Value::Null,
        ),
        (Method::GET, "/customers?limit=0", None, 200, Value::Null),
        (
            Method::GET,
            "/customers?limit=-91377",
            None,
            200,
            Value::Null,
        ),
        (Method::GET, "/customers?limit=1001", None, 200, Value::Null),
        (
            Method::GET,
            "/customers?created_at_start=2026-13-01",
            None,
            200,
            Value::Null,
        ),
        (
            Method::GET,
            "/customers?after=&before=&created_at_start=&created_at_end=&company_name=",
            None,
            200,
            Value::Null,
        ),
    ];
    let mock = mock().await;
    expect_statuses(&mock, spec_allows).await;
    let (http, id) = (reqwest::Client::new(), mock.create_customer(json!({})));
    let (_, page) = http_call(&http, &mock, Method::GET, "/customers?limit=0", None).await;
    assert_eq!(
        page["data"].as_array().map(Vec::len),
        Some(1),
        "limit 0 serves 1: {page}"
    );
    let (_, page) = http_call(
        &http,
        &mock,
        Method::GET,
        "/customers?created_at_start=2026-13-01",
        None,
    )
    .await;
    assert_eq!(
        page["data"].as_array().map(Vec::len),
        Some(2),
        "not a timestamp: no filter"
    );
    drop(id);

    let strict = MockServer::builder()
        .extra_rules(true)
        .start()
        .await
        .expect("mock");
    let extra_rules: Vec<Case> = vec![
        (
            Method::POST,
            "/customers",
            Some("{\"email\": \"no-at-sign\"}"),
            422,
            json!({ "email": "must be a valid email address" }),
        ),
        (
            Method::GET,
            "/customers?limit=0",
            None,
            400,
            json!({ "limit": "must be an integer from 1 to 1000" }),
        ),
        (
            Method::GET,
            "/customers?limit=1001",
            None,
            400,
            json!({ "limit": "must be an integer from 1 to 1000" }),
        ),
        (
            Method::GET,
            "/customers?created_at_start=2026-13-01",
            None,
            400,
            json!({ "created_at_start": "must be an RFC 3339 timestamp" }),
        ),
        (
            Method::GET,
            "/customers?created_at_end=yesterday",
            None,
            400,
            json!({ "created_at_end": "must be an RFC 3339 timestamp" }),
        ),
    ];
    expect_statuses(&strict, extra_rules).await;
    assert_eq!(strict.customer_count(), 0);
}

#[tokio::test]
async fn malformed_bodies_and_parameters_are_refused_and_nothing_is_stored() {
    use reqwest::Method;
    let mock = mock().await;
    let http = reqwest::Client::new();
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/customers",
            Some("{\"name\": "),
            400,
            json!("invalid_json"),
        ),
        (
            Method::POST,
            "/customers",
            Some("[1, 2]"),
            400,
            json!("invalid_json"),
        ),
        (
            Method::POST,
            "/customers",
            Some("{\"name\": 42, \"email\": \"x@y.z\"}"),
            422,
            json!({ "name": "must be a string" }),
        ),
        // The spec's fields are strings, not nullable.
        (
            Method::POST,
            "/customers",
            Some("{\"name\": \"A\", \"email\": null}"),
            422,
            json!({ "email": "must be a string, not null" }),
        ),
        (
            Method::GET,
            "/customers?limit=ten",
            None,
            400,
            json!({ "limit": "must be an integer" }),
        ),
        (
            Method::GET,
            "/customers?after=abc",
            None,
            400,
            json!({ "after": "is not a valid cursor" }),
        ),
    ];
    expect_statuses(&mock, cases).await;
    assert_eq!(mock.customer_count(), 0);

    let id = mock.create_customer(json!({ "name": "Acme" }));
    for bad in ["{\"city\": false}", "{\"city\": null}"] {
        let (status, response) = http_call(
            &http,
            &mock,
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            Some(bad),
        )
        .await;
        assert_eq!(status, 400, "PATCH documents 400, not 422");
        assert!(
            response["validation_errors"]["city"].is_string(),
            "{response}"
        );
    }
    let (status, customer) = http_call(
        &http,
        &mock,
        reqwest::Method::GET,
        &format!("/customers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        customer.get("city").is_none(),
        "the refused PATCH changed nothing"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let mock = MockServer::builder()
        .body_limit(1024)
        .start()
        .await
        .expect("mock");
    let http = reqwest::Client::new();
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2000));
    let (status, body) = http_call(
        &http,
        &mock,
        reqwest::Method::POST,
        "/customers",
        Some(&big),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(mock.customer_count(), 0);
}

#[tokio::test]
async fn oauth_errors_follow_rfc_6749() {
    let mock = mock().await;
    let http = reqwest::Client::new();
    let url = format!("{}/oauth/token", mock.base_url());
    let (id, secret) = (mock.client_id(), mock.client_secret());
    let cases = [
        (
            http.post(&url)
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            http.post(&url)
                .basic_auth(id, Some("wrong"))
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            http.post(&url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
        ),
        (
            http.post(&url)
                .basic_auth(id, Some(secret))
                .form(&[("scope", "read")]),
            400,
            "invalid_request",
        ),
        (
            http.post(&url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "admin")]),
            400,
            "invalid_scope",
        ),
        (
            http.post(&url).basic_auth(id, Some(secret)).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ]),
            400,
            "invalid_request",
        ),
    ];
    for (request, status, error) in cases {
        let response = request.send().await.expect("response");
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], error, "{body}");
    }
    let ok: Value = http
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "read"),
        ])
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            ok["token_type"].clone(),
            ok["expires_in"].clone(),
            ok["scope"].clone()
        ),
        (json!("Bearer"), json!(3600), json!("read"))
    );
}

#[tokio::test]
async fn bearer_tokens_unknown_expired_and_api_keys() {
    let mock = MockServer::builder()
        .api_key("ak_test_1", &["read"])
        .start()
        .await
        .expect("mock");
    let http = reqwest::Client::new();
    let get = |auth: Option<String>| {
        let mut request = http.get(format!("{}/customers", mock.base_url()));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    assert_eq!(get(None).await.expect("r").status(), 401);
    assert_eq!(
        get(Some("Bearer nope".into())).await.expect("r").status(),
        401
    );
    assert_eq!(
        get(Some("ak_test_1".into())).await.expect("r").status(),
        200
    );
    let token = token(&mock, &http).await;
    assert_eq!(
        get(Some(format!("Bearer {token}")))
            .await
            .expect("r")
            .status(),
        200
    );
    mock.expire_tokens();
    let expired = get(Some(format!("Bearer {token}"))).await.expect("r");
    assert_eq!(expired.status(), 401);
    assert_eq!(expired.headers()["www-authenticate"], "Bearer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_creates_lose_nothing() {
    let mock = mock().await;
    let client = super::sdk(&mock);
    let creates = (0..200).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            let new = alternative_payments::types::NewCustomer::builder().name(format!("C{i}"));
            client
                .customers()
                .create(new)
                .send()
                .await
                .expect("create")
                .id
        })
    });
    let mut ids: Vec<_> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(|r| r.expect("joined"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert_eq!(mock.customer_count(), 200);
    use futures::TryStreamExt;
    let listed: Vec<_> = client
        .customers()
        .list()
        .limit(1000)
        .stream()
        .try_collect()
        .await
        .expect("list");
    assert_eq!(listed.len(), 200);
}

#[tokio::test]
async fn archived_customers_are_marked_by_a_header() {
    let mock = mock().await;
    let http = reqwest::Client::new();
    let id = mock.create_customer(json!({ "name": "Acme" }));
    let token = token(&mock, &http).await;
    let get = || {
        http.get(format!("{}/customers/{id}", mock.base_url()))
            .bearer_auth(&token)
            .send()
    };
    assert!(
        get()
            .await
            .expect("r")
            .headers()
            .get("x-mock-archived")
            .is_none()
    );
    http.delete(format!("{}/customers/{id}", mock.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("archive");
    assert_eq!(get().await.expect("r").headers()["x-mock-archived"], "true");
}

#[tokio::test]
async fn enqueue_refuses_an_operation_the_api_does_not_have() {
    let mock = MockServer::start().await.expect("mock");
    let err = mock
        .enqueue("getCustomers", [MockResponse::status(503)])
        .expect_err("a typo is refused");
    let message = err.to_string();
    assert!(
        message.starts_with("no operation \"getCustomers\": expected one of "),
        "{message}"
    );
    for operation in Operation::ALL {
        assert!(message.contains(operation.operation_id()), "{message}");
        mock.enqueue(operation.operation_id(), [])
            .expect("every operation of the spec is accepted");
    }
    mock.enqueue(alternative_payments_mock::TOKEN, [])
        .expect("the token endpoint too");
}

/// The mock routes every operation of the spec's table to a handler: none
/// falls through to the "no such route" fallback.
#[tokio::test]
async fn every_operation_of_the_spec_is_routed() {
    let mock = MockServer::start().await.expect("mock");
    let http = reqwest::Client::new();
    for operation in Operation::ALL {
        // Any value for each path parameter: the route must match.
        let path = crate::common::path_regex(operation)
            .replace("[^/]+", "x")
            .replace(['^', '$'], "");
        let url = format!("{}{path}", mock.base_url());
        let method = operation.http_method().parse().expect("method");
        let response = http.request(method, url).send().await.expect("sent");
        let body = response.text().await.expect("body");
        assert!(
            !body.contains("no such route"),
            "{operation:?} is not routed"
        );
    }
    let routed: Vec<_> = mock.requests().iter().map(|r| r.operation_id).collect();
    let expected: Vec<_> = Operation::ALL
        .iter()
        .map(|op| Some(op.operation_id()))
        .collect();
    assert_eq!(
        routed, expected,
        "each request logged under its operationId"
    );
}

/// A test client built from the mock's limit is paced only when the mock
/// limits (issue #31): 30 calls against a mock without a limit take no
/// paced time, with the limit on they take the API's pace.
#[test]
fn a_client_given_the_mocks_limit_runs_unpaced_against_a_mock_without_one() {
    use alternative_payments::RateLimit;
    let servers = tokio::runtime::Runtime::new().expect("runtime");
    let mock = servers.block_on(MockServer::start()).expect("mock");
    assert_eq!(mock.rate_limit(), None);
    let client_of = |mock: &MockServer| {
        alternative_payments::Client::builder()
            .credentials(alternative_payments::Credentials::client_credentials(
                mock.client_id(),
                mock.client_secret(),
            ))
            .base_url(mock.base_url())
            .http_client(crate::sdk::timerless_http())
            .timeout(None)
            .deadline(None)
            .rate_limit(mock.rate_limit().map(RateLimit::per_second))
            .build()
            .expect("client")
    };
    let elapsed = |client: alternative_payments::Client| {
        let paused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        paused.block_on(async {
            let started = tokio::time::Instant::now();
            for _ in 0..30 {
                client
                    .customers()
                    .list()
                    .limit(1)
                    .send()
                    .await
                    .expect("listed");
            }
            started.elapsed()
        })
    };
    assert_eq!(elapsed(client_of(&mock)), std::time::Duration::ZERO);
    mock.set_rate_limit(Some(5.0));
    assert_eq!(mock.rate_limit(), Some(5.0));
    let paced = client_of(&mock);
    // The server's own bucket runs on the real clock, the client's on the
    // paused one: lift the server's so only the client's pacing shows.
    mock.set_rate_limit(None);
    assert!(
        elapsed(paced) >= std::time::Duration::from_secs(5),
        "paced at 5/s"
    );
}
