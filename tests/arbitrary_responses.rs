//! Property tests: whatever a server answers, the SDK returns a value or a
//! typed error and never panics. Arbitrary statuses and bodies (bytes, or
//! JSON of the wrong shape) are served over real HTTP by the mock, for API
//! operations and for the token endpoint. Case counts are kept small for
//! CI; `cargo fuzz` (see fuzz/README.md) runs the decoders for longer.

use std::sync::OnceLock;

use alternative_payments::{Client, Credentials, Error, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer};
use alternative_payments_raw::operations::Operation;
use proptest::prelude::*;

type Served = (tokio::runtime::Runtime, MockServer, String);

/// A mock on its own runtime, one per property (they run in parallel and
/// queue faults on the same operations).
fn start_mock(slot: &'static OnceLock<Served>) -> &'static Served {
    slot.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mock = runtime.block_on(MockServer::start()).expect("mock");
        let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
        (runtime, mock, id)
    })
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(201),
        Just(204),
        Just(400),
        Just(404),
        Just(422),
        Just(429),
        Just(500),
        Just(503),
        200u16..600
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        // JSON of the right family but wrong shapes and types.
        proptest::string::string_regex(r#"\{("(id|name|data|code|message|validation_errors|has_next_page|end_cursor|type)": ?(null|true|1|-1\.5|"x"|\[\]|\{\}|\[\{"id": 1\}\]),? ?){0,4}\}"#)
            .expect("regex")
            .prop_map(String::into_bytes),
    ]
}

static API_MOCK: OnceLock<Served> = OnceLock::new();
static TOKEN_MOCK: OnceLock<Served> = OnceLock::new();

fn run(operation: &str, response: MockResponse) -> Result<(), Error> {
    let slot = if operation == "token" {
        &TOKEN_MOCK
    } else {
        &API_MOCK
    };
    let (runtime, mock, id) = start_mock(slot);
    mock.enqueue(operation, [response])
        .expect("the mock knows the operation");
    let client = client(mock);
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _ = runtime; // the mock keeps serving on its own runtime
    let ids = crate::Ids {
        customer: id.clone(),
        archived: id.clone(),
        // The queued response answers before any handler looks it up.
        method: "pm_1".into(),
    };
    // The token endpoint's response is tried through any call.
    let operation = Operation::from_operation_id(operation).unwrap_or(Operation::GetCustomer);
    local.block_on(crate::call(operation, &client, &ids))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_api_response_is_a_value_or_a_typed_error(
        status in status(),
        body in body(),
        operation in proptest::sample::select(Operation::ALL.map(Operation::operation_id).to_vec()),
    ) {
        let result = run(operation, MockResponse::raw(status, "application/json", body.clone()));
        match &result {
            // A 401 is answered by replaying with a new token, which succeeds.
            Ok(()) => prop_assert!((200..300).contains(&status) || status == 401),
            Err(Error::Api(api)) => {
                prop_assert!(!(200..300).contains(&status), "an API error is any non-2xx status");
                prop_assert_eq!(api.status.as_u16(), status);
                if let Some(snippet) = &api.body_snippet {
                    prop_assert!(snippet.chars().count() <= 257, "snippet bounded");
                }
            }
            Err(Error::Decode { status: s, snippet, .. }) => {
                prop_assert_eq!(s.as_u16(), status);
                prop_assert!(snippet.chars().count() <= 257, "snippet bounded");
            }
            Err(other) => prop_assert!(false, "unexpected error kind for {} {:?}: {}", status, String::from_utf8_lossy(&body), other),
        }
        // Every error can be displayed and debugged.
        if let Err(e) = &result {
            let _ = (e.to_string(), format!("{e:?}"), e.is_retryable(), e.status());
        }
    }

    #[test]
    fn any_token_endpoint_response_is_a_token_or_an_auth_error(status in status(), body in body()) {
        let result = run("token", MockResponse::raw(status, "application/json", body.clone()));
        // A 2xx that happens to parse as a token gets through to the API,
        // which refuses the unknown token: a 401 API error. Anything else
        // is an auth error.
        match &result {
            Err(Error::Auth(e)) => prop_assert!(!e.to_string().is_empty()),
            Err(Error::Api(api)) => prop_assert_eq!(api.status.as_u16(), 401),
            Ok(()) => prop_assert!(false, "no token was issued, yet the call succeeded"),
            Err(other) => prop_assert!(false, "unexpected error for {} {:?}: {}", status, String::from_utf8_lossy(&body), other),
        }
    }
}
