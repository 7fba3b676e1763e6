//! The SDK against the mock server, and the mock against the spec.

mod server;
mod spec;
mod with_sdk;

use alternative_payments::{Client, Credentials};
use alternative_payments_mock::MockServer;

pub(crate) async fn mock() -> MockServer {
    MockServer::start().await.expect("mock starts")
}

pub(crate) fn sdk(mock: &MockServer) -> Client {
    Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .scopes(["read", "write"])
        // Many calls in a row; the limiter's own tests pace.
        .rate_limit(None)
        .build()
        .expect("client")
}

/// A token for raw HTTP requests to the mock.
pub(crate) async fn token(mock: &MockServer, http: &reqwest::Client) -> String {
    let response = http
        .post(format!("{}/oauth/token", mock.base_url()))
        .basic_auth(mock.client_id(), Some(mock.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    let body: serde_json::Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_string()
}
