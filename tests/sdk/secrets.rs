//! Neither the client secret nor any access token appears in Debug or
//! Display output, or in logs at TRACE level, through a full auth flow.

use alternative_payments::{Client, Credentials, RetryPolicy};
use alternative_payments_test_support::{Capture, capture_logs};
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{CLIENT_SECRET, TOKEN_MARK, builder, customer, server, token};

/// Logs of this whole test binary at TRACE level, spans included: every
/// test's logs thus go through the leak check.
fn captured_logs() -> &'static Capture {
    capture_logs(tracing::Level::TRACE)
}

#[tokio::test]
async fn secrets_never_reach_debug_display_or_logs() {
    let logs = captured_logs();

    let (server, _) = server().await;
    // Token 1 is refused once (401 replay), token 2 works.
    Mock::given(header(
        "authorization",
        format!("Bearer {}", token(1)).as_str(),
    ))
    .respond_with(ResponseTemplate::new(401))
    .with_priority(1)
    .mount(&server)
    .await;
    Mock::given(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(&server)
        .await;
    Mock::given(path("/customers/cus_gone"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&server)
        .await;

    let builder = builder(&server).scopes(["read"]);
    let mut printed = vec![format!("{builder:?}")];
    let client = builder.build().expect("client");
    printed.push(format!("{client:?}"));
    let got = client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect("replayed with token 2");
    printed.push(format!("{got:?}"));
    let err = client
        .customers()
        .get("cus_gone")
        .retry_policy(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
        .send()
        .await
        .expect_err("503");
    printed.push(format!("{err:?} / {err}"));

    // A token endpoint that refuses the client, echoing what it was sent.
    let refusing = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": "invalid_client" })),
        )
        .mount(&refusing)
        .await;
    let refused = super::client(&refusing);
    let err = refused
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect_err("refused");
    printed.push(format!("{err:?} / {err}"));

    for credentials in [
        Credentials::client_credentials("id", CLIENT_SECRET),
        Credentials::api_key(CLIENT_SECRET),
        Credentials::bearer_token(CLIENT_SECRET),
    ] {
        printed.push(format!("{credentials:?}"));
        let client = Client::builder()
            .credentials(credentials)
            .build()
            .expect("client");
        printed.push(format!("{client:?}"));
    }

    let logs = logs.text();
    // The capture works: the flow above was logged, attempts and all.
    for expected in [
        "alternative_payments.token",
        "alternative_payments.request",
        "attempt=2",
        "401: replaying once",
    ] {
        assert!(
            logs.contains(expected),
            "{expected} missing from the logs:\n{logs}"
        );
    }
    let everything = format!("{}\n{logs}", printed.join("\n"));
    assert!(
        !everything.contains(CLIENT_SECRET),
        "client secret leaked:\n{everything}"
    );
    assert!(
        !everything.contains(TOKEN_MARK),
        "access token leaked:\n{everything}"
    );
    assert!(everything.contains("[redacted]"));
}
