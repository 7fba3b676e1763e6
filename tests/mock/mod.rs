//! The SDK against the mock server, and the mock against the spec.

mod charges;
mod flows;
mod index;
mod server;
mod spec;
mod waiters;
mod with_sdk;

use alternative_payments::Client;
use alternative_payments_mock::MockServer;

pub(crate) async fn mock() -> MockServer {
    MockServer::start().await.expect("mock starts")
}

pub(crate) fn sdk(mock: &MockServer) -> Client {
    alternative_payments_test_support::sdk_builder(mock)
        .build()
        .expect("client")
}

pub(crate) use alternative_payments_test_support::token;
