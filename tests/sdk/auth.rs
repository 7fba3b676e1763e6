//! OAuth2 client credentials and static credentials, on the wire.

use std::time::Duration;

use alternative_payments::{AuthError, ClientAuthMethod, Credentials, Error};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{
    CLIENT_ID, CLIENT_SECRET, TokenEndpoint, builder, client, customer, requests_to, server, token,
};

async fn mount_customer(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(server)
        .await;
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded_pairs(std::str::from_utf8(body).expect("utf-8"))
}

fn form_urlencoded_pairs(text: &str) -> Vec<(String, String)> {
    // Tests decode with the URL parser reqwest itself uses.
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn token_request_uses_basic_auth_and_the_configured_scopes() {
    let (server, tokens) = server().await;
    mount_customer(&server).await;
    let client = builder(&server)
        .scopes(["read", "write"])
        .build()
        .expect("client");
    client.customers().get("cus_1").send().await.expect("get");

    let token_requests = requests_to(&server, "/oauth/token").await;
    assert_eq!(tokens.count(), 1);
    let request = &token_requests[0];
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let basic = request.headers["authorization"].to_str().expect("ascii");
    let decoded = decode_basic(basic);
    assert_eq!(decoded, expected);
    assert_eq!(
        form(&request.body),
        [
            ("grant_type".into(), "client_credentials".into()),
            ("scope".into(), "read write".into())
        ]
    );
    let api = requests_to(&server, "/customers/cus_1").await;
    assert_eq!(
        api[0].headers["authorization"],
        format!("Bearer {}", token(1)).as_str()
    );
}

/// Decodes `Basic <base64>` (test-only, via the standard alphabet).
fn decode_basic(value: &str) -> String {
    let encoded = value.strip_prefix("Basic ").expect("Basic scheme");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in encoded.bytes().filter(|c| *c != b'=') {
        bits = bits << 6 | alphabet.iter().position(|a| *a == c).expect("base64") as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).expect("utf-8")
}

#[tokio::test]
async fn client_secret_can_go_in_the_body_instead() {
    let (server, _) = server().await;
    mount_customer(&server).await;
    let client = builder(&server)
        .client_auth(ClientAuthMethod::RequestBody)
        .build()
        .expect("client");
    client.customers().get("cus_1").send().await.expect("get");
    let request = &requests_to(&server, "/oauth/token").await[0];
    assert!(!request.headers.contains_key("authorization"));
    assert_eq!(
        form(&request.body),
        [
            ("grant_type".into(), "client_credentials".into()),
            ("client_id".into(), CLIENT_ID.into()),
            ("client_secret".into(), CLIENT_SECRET.into())
        ]
    );
}

#[tokio::test]
async fn the_token_is_cached_and_shared_by_clones() {
    let (server, tokens) = server().await;
    mount_customer(&server).await;
    let client = client(&server);
    let clone = client.clone();
    client.customers().get("cus_1").send().await.expect("get");
    clone.customers().get("cus_1").send().await.expect("get");
    assert_eq!(tokens.count(), 1);
}

#[tokio::test]
async fn a_thousand_concurrent_cold_calls_make_one_token_request() {
    let server = MockServer::start().await;
    let tokens = TokenEndpoint::new(Some(3600)).delay(Duration::from_millis(200));
    tokens.mount(&server).await;
    mount_customer(&server).await;
    let client = client(&server);
    let calls = (0..1000).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.customers().get("cus_1").send().await })
    });
    for call in futures::future::join_all(calls).await {
        call.expect("joined").expect("get");
    }
    assert_eq!(tokens.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_ahead_of_expiry_without_blocking_callers() {
    let (server, tokens) = server().await;
    mount_customer(&server).await;
    let client = client(&server);
    let sent_token = || async {
        let requests = requests_to(&server, "/customers/cus_1").await;
        requests.last().expect("a request").headers["authorization"]
            .to_str()
            .expect("ascii")
            .to_string()
    };

    client.customers().get("cus_1").send().await.expect("get");
    // 54 minutes in: before any refresh margin (at most 5 minutes).
    tokio::time::advance(Duration::from_secs(54 * 60)).await;
    client.customers().get("cus_1").send().await.expect("get");
    assert_eq!(tokens.count(), 1);

    // 56 minutes in: inside the margin (4 to 5 minutes). This call still
    // uses the valid token while a refresh runs beside it.
    tokio::time::advance(Duration::from_secs(2 * 60)).await;
    client.customers().get("cus_1").send().await.expect("get");
    assert_eq!(sent_token().await, format!("Bearer {}", token(1)));
    // The refresh completes in the background; calls switch to token 2
    // without another token request.
    let mut switched = false;
    for _ in 0..100 {
        client.customers().get("cus_1").send().await.expect("get");
        if sent_token().await == format!("Bearer {}", token(2)) {
            switched = true;
            break;
        }
    }
    assert!(switched, "calls never switched to the refreshed token");
    assert_eq!(tokens.count(), 2);

    // Long after token 2 expired: the call waits for token 3.
    tokio::time::advance(Duration::from_secs(3 * 3600)).await;
    client.customers().get("cus_1").send().await.expect("get");
    assert_eq!(sent_token().await, format!("Bearer {}", token(3)));
    assert_eq!(tokens.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_token_without_expires_in_is_short_lived() {
    let server = MockServer::start().await;
    let tokens = TokenEndpoint::new(None);
    tokens.mount(&server).await;
    mount_customer(&server).await;
    let client = client(&server);
    client.customers().get("cus_1").send().await.expect("get");
    tokio::time::advance(Duration::from_secs(61)).await;
    client.customers().get("cus_1").send().await.expect("get");
    assert_eq!(
        tokens.count(),
        2,
        "a token of unknown lifetime is not used for over a minute"
    );
}

#[tokio::test]
async fn a_refused_token_is_replaced_and_the_request_replayed_once() {
    let (server, tokens) = server().await;
    Mock::given(header(
        "authorization",
        format!("Bearer {}", token(1)).as_str(),
    ))
    .respond_with(
        ResponseTemplate::new(401)
            .set_body_json(json!({ "code": "unauthorized", "message": "token revoked" })),
    )
    .with_priority(1)
    .mount(&server)
    .await;
    Mock::given(method("POST"))
        .and(path("/customers"))
        .respond_with(ResponseTemplate::new(201).set_body_json(customer("cus_new")))
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .customers()
        .create(alternative_payments::types::NewCustomer::default())
        .send()
        .await
        .expect("replayed");
    assert_eq!(created.id, "cus_new");
    assert_eq!(tokens.count(), 2);
    let creates = requests_to(&server, "/customers").await;
    assert_eq!(
        creates.len(),
        2,
        "the create was refused once, then sent once more"
    );
}

#[tokio::test]
async fn a_second_401_is_returned_not_replayed_again() {
    let (server, tokens) = server().await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({ "code": "unauthorized", "message": "no access" })),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("401");
    assert_eq!(err.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(
        err.api().and_then(|a| a.code.as_deref()),
        Some("unauthorized")
    );
    assert_eq!(tokens.count(), 2);
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 2);
}

#[tokio::test]
async fn a_401_only_invalidates_the_token_if_it_is_still_the_cached_one() {
    let (server, tokens) = server().await;
    let stale = format!("Bearer {}", token(1));
    // Two requests sent with token 1 are refused; the second refusal
    // arrives after the first has already been replaced by token 2.
    for (id, delay) in [("cus_fast", 0), ("cus_slow", 300)] {
        Mock::given(path(format!("/customers/{id}")))
            .and(header("authorization", stale.as_str()))
            .respond_with(ResponseTemplate::new(401).set_delay(Duration::from_millis(delay)))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path(format!("/customers/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(customer(id)))
            .mount(&server)
            .await;
    }
    let client = client(&server);
    client
        .customers()
        .get("cus_warm")
        .send()
        .await
        .expect_err("404 warms the token cache");
    let (fast, slow) = tokio::join!(
        client.customers().get("cus_fast").send(),
        client.customers().get("cus_slow").send()
    );
    fast.expect("fast");
    slow.expect("slow");
    assert_eq!(
        tokens.count(),
        2,
        "the late 401 reuses token 2 instead of throwing it away"
    );
}

#[tokio::test]
async fn token_endpoint_errors_say_what_the_server_said() {
    // (response, message, token requests made: transient failures are retried)
    let cases = [
        (
            ResponseTemplate::new(401).set_body_json(json!({ "error": "invalid_client", "error_description": "Client authentication failed" })),
            "authentication failed: token endpoint answered 401: invalid_client: Client authentication failed",
            1,
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_scope" })),
            "authentication failed: token endpoint answered 400: invalid_scope",
            1,
        ),
        (
            ResponseTemplate::new(503).set_body_string("<html>maintenance</html>"),
            "authentication failed: token endpoint answered 503 with a body that is not an OAuth2 error: \"<html>maintenance</html>\"",
            3,
        ),
        (
            ResponseTemplate::new(200).set_body_string("{\"access_token\": 42}"),
            "authentication failed: token endpoint answered 200 with a body that is not a token response (missing or mistyped fields)",
            1,
        ),
    ];
    for (response, expected, attempts) in cases {
        let server = MockServer::start().await;
        Mock::given(path("/oauth/token"))
            .respond_with(response)
            .mount(&server)
            .await;
        let client = builder(&server)
            .retry_policy(
                alternative_payments::RetryPolicy::default().base_delay(Duration::from_millis(1)),
            )
            .build()
            .expect("client");
        let err = client
            .customers()
            .get("cus_1")
            .send()
            .await
            .expect_err("auth fails");
        assert!(matches!(err, Error::Auth(_)), "{err:?}");
        assert_eq!(crate::common::report(&err), expected);
        assert_eq!(
            requests_to(&server, "/oauth/token").await.len(),
            attempts,
            "{expected}"
        );
        assert!(
            requests_to(&server, "/customers/cus_1").await.is_empty(),
            "no API call without a token"
        );
    }
}

#[tokio::test]
async fn a_token_endpoint_that_does_not_answer_in_time_is_an_auth_timeout() {
    let server = MockServer::start().await;
    TokenEndpoint::new(Some(3600))
        .delay(Duration::from_secs(5))
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(100))
        .retry_policy(
            alternative_payments::RetryPolicy::default().base_delay(Duration::from_millis(1)),
        )
        .build()
        .expect("client");
    let err = client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("timeout");
    assert!(matches!(err, Error::Auth(AuthError::Timeout)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(
        requests_to(&server, "/oauth/token").await.len(),
        3,
        "timeouts are retried"
    );
}

#[tokio::test]
async fn static_credentials_are_sent_as_given() {
    for (credentials, expected) in [
        (Credentials::api_key("ak_live_123"), "ak_live_123"),
        (Credentials::bearer_token("tok_abc"), "Bearer tok_abc"),
    ] {
        let server = MockServer::start().await;
        mount_customer(&server).await;
        let client = builder(&server)
            .credentials(credentials)
            .build()
            .expect("client");
        client.customers().get("cus_1").send().await.expect("get");
        let requests = server.received_requests().await.expect("on");
        assert_eq!(requests.len(), 1, "no token request");
        assert_eq!(requests[0].headers["authorization"], expected);
    }
}
