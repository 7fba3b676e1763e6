//! Every operation's request as it goes on the wire, snapshotted.

use std::fmt::Write as _;

use alternative_payments_raw::operations::Operation;
use alternative_payments_test_support::Ids;
use serde_json::Value;

use super::{builder, server};

/// A request as a reviewer reads it: no host/port, secrets redacted.
fn render(request: &wiremock::Request) -> String {
    let mut out = format!("{} {}", request.method, request.url.path());
    if let Some(query) = request.url.query() {
        let _ = write!(out, "?{query}");
    }
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| *name != "host")
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("<binary>");
            let value = match (name.as_str(), value.split_once(' ')) {
                ("authorization", Some((scheme, _))) => format!("{scheme} [redacted]"),
                ("authorization", None) => "[redacted]".to_string(),
                _ => value.to_string(),
            };
            (name.to_string(), value)
        })
        .collect();
    headers.sort();
    for (name, value) in headers {
        let _ = write!(out, "\n  {name}: {value}");
    }
    if !request.body.is_empty() {
        let body = match serde_json::from_slice::<Value>(&request.body) {
            Ok(mut json) => {
                // A charge's generated key differs per run: its shape is
                // what is fixed (a random UUID).
                if let Some(key) = json.get_mut("idempotency_key")
                    && key.as_str().is_some_and(crate::common::is_uuid_v4)
                {
                    *key = Value::from("<generated UUID>");
                }
                serde_json::to_string(&json).expect("json")
            }
            Err(_) => String::from_utf8_lossy(&request.body).into_owned(),
        };
        let _ = write!(out, "\n  body: {body}");
    }
    out
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let (server, _) = server().await;
    crate::common::mount_every_operation(&server).await;
    let client = builder(&server)
        .scopes(["read", "write"])
        .user_agent_suffix("wire-test/1.0")
        .build()
        .expect("client");
    let ids = Ids::fixed();
    for operation in Operation::ALL {
        let result = alternative_payments_test_support::call(operation, &client, &ids);
        result.await.expect("answers its success status");
    }

    let requests = server.received_requests().await.expect("on");
    let (token, api): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| r.url.path() == "/oauth/token");
    assert_eq!(token.len(), 1, "one token for every call");
    assert_eq!(api.len(), Operation::ALL.len(), "one request per operation");
    let mut rendered = vec![render(token[0])];
    for (request, operation) in api.iter().zip(Operation::ALL) {
        assert_eq!(request.method.as_str(), operation.http_method());
        assert!(
            crate::common::matches_path(operation, request.url.path()),
            "{operation:?}: {}",
            request.url.path()
        );
        rendered.push(format!(
            "# {}\n{}",
            operation.operation_id(),
            render(request)
        ));
    }
    insta::assert_snapshot!(rendered.join("\n\n"));
}
