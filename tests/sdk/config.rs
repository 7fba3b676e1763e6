//! Building a client: defaults, refusals, the environment.

use alternative_payments::{Client, Credentials, DEFAULT_BASE_URL, Error};

fn with(credentials: Credentials) -> alternative_payments::ClientBuilder {
    Client::builder().credentials(credentials)
}

#[test]
fn defaults() {
    let client = with(Credentials::api_key("k")).build().expect("client");
    let debug = format!("{client:?}");
    assert!(
        debug.contains(&format!("base_url: {DEFAULT_BASE_URL:?}")),
        "{debug}"
    );
    assert!(debug.contains("timeout: Some(60s)"), "{debug}");
    assert!(debug.contains("max_retries: 2"), "{debug}");
    assert_eq!(
        DEFAULT_BASE_URL,
        "https://public-api.alternativepayments.io"
    );
}

#[test]
fn credentials_are_required() {
    let err = Client::builder().build().expect_err("no credentials");
    assert_eq!(
        err.to_string(),
        "configuration error: no credentials: call .credentials(..) on the builder, or use Client::from_env()"
    );
}

#[test]
fn plain_http_is_refused_except_to_loopback_or_when_allowed() {
    let err = with(Credentials::api_key("k"))
        .base_url("http://public-api.alternativepayments.io")
        .build()
        .expect_err("http");
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("uses plain http"), "{err}");
    for loopback in [
        "http://localhost:4010",
        "http://127.0.0.1:4010/",
        "http://127.8.9.1",
        "http://[::1]:4010",
    ] {
        with(Credentials::api_key("k"))
            .base_url(loopback)
            .build()
            .unwrap_or_else(|e| panic!("{loopback}: {e}"));
    }
    with(Credentials::api_key("k"))
        .base_url("http://mock.internal:4010")
        .allow_insecure_http(true)
        .build()
        .expect("explicitly allowed");
}

#[test]
fn malformed_settings_are_named() {
    let cases = [
        (
            with(Credentials::api_key("k")).base_url("not a url"),
            "base URL: \"not a url\" is not a URL",
        ),
        (
            with(Credentials::api_key("k")).base_url("ftp://x.test"),
            "base URL: \"ftp://x.test\" must start with https://",
        ),
        (
            with(Credentials::api_key("k")).base_url("https://x.test/?a=b"),
            "must not have a query",
        ),
        (
            with(Credentials::api_key("k")).scopes(["read", "wr ite"]),
            "scopes: \"wr ite\" is not a valid OAuth2 scope",
        ),
        (
            with(Credentials::api_key("bad\nkey")),
            "API key or token contains characters not allowed",
        ),
        (
            with(Credentials::client_credentials("", "s")),
            "client id is empty",
        ),
        (
            with(Credentials::api_key("k")).user_agent_suffix("a\u{7f}b"),
            "user agent suffix",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().expect_err(expected);
        assert!(matches!(err, Error::Config(_)));
        assert!(
            err.to_string().contains(expected),
            "{err} does not contain {expected}"
        );
    }
}

#[test]
fn client_is_cheap_to_share_across_tasks() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Client>();
    fn sendable<T: Send + 'static>(_: &T) {}
    let client = with(Credentials::api_key("k")).build().expect("client");
    // Streams can be moved to spawned tasks. (That clones share the token
    // cache is tested in auth.rs.)
    sendable(&client.customers().list().stream());
}
