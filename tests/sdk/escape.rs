//! The escape hatches for tools driving every operation alike (the altpay
//! CLI): `Client::raw_call`, `json_pages`, `Client::check_credentials`.

use std::time::Duration;

use alternative_payments::{Client, Credentials, Cursor, Error, RetryPolicy, json_pages};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{TOKEN_MARK, builder, client, customer, requests_to, server};

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().base_delay(Duration::from_millis(1))
}

#[tokio::test]
async fn a_raw_call_has_the_clients_auth_and_retries_by_its_operations_class() {
    let (server, _) = server().await;
    for (verb, route) in [("GET", "/customers/cus_1"), ("POST", "/customers")] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry_policy(fast_retries())
        .build()
        .expect("client");

    // A read: retried after the 503, with a token.
    let got = client
        .raw_call(|raw| async move { raw.get_customer().id("cus_1").send().await })
        .await
        .expect("retried to success");
    assert_eq!(got.id, "cus_1");
    let sent = requests_to(&server, "/customers/cus_1").await;
    assert_eq!(sent.len(), 2);
    let auth = sent[1].headers.get("authorization").expect("authorised");
    assert!(
        auth.to_str()
            .expect("ascii")
            .starts_with(&format!("Bearer {TOKEN_MARK}"))
    );

    // A create: not resent after a 503, and reported as maybe done.
    let error = client
        .raw_call(|raw| async move { raw.create_customer().send().await })
        .await
        .expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.outcome_unknown(), "{error}");
    assert_eq!(
        requests_to(&server, "/customers").await.len(),
        1,
        "not resent"
    );
}

#[tokio::test]
async fn a_raw_call_makes_one_call_and_its_client_nothing_outside_it() {
    let (server, _) = server().await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(&server)
        .await;
    let client = client(&server);

    // A second, different call in the closure: refused before it is sent.
    let error = client
        .raw_call(|raw| async move {
            raw.get_customer()
                .id("cus_1")
                .send()
                .await
                .expect("first call");
            raw.create_customer().send().await
        })
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(
        error.to_string().contains("make one call per raw_call"),
        "{error}"
    );
    assert!(
        requests_to(&server, "/customers").await.is_empty(),
        "nothing sent"
    );

    // The generated client kept past its closure sends nothing.
    let kept = std::sync::Mutex::new(None);
    let _ = client
        .raw_call(|raw| {
            *kept.lock().expect("lock") = Some(raw.clone());
            async move { raw.get_customer().id("cus_1").send().await }
        })
        .await
        .expect("the call itself");
    let raw = kept.lock().expect("lock").take().expect("kept");
    let outside = raw.get_customer().id("cus_1").send().await;
    match outside {
        Err(alternative_payments_raw::Error::Custom(message)) => {
            assert!(
                message.contains("inside the Client::raw_call closure"),
                "{message}"
            )
        }
        other => panic!("sent outside raw_call: {other:?}"),
    }
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 2);
}

#[tokio::test]
async fn json_pages_follows_cursors_and_refuses_what_is_not_a_page() {
    let page = |ids: &[&str], next: Option<&str>| {
        json!({
            "data": ids.iter().map(|id| customer(id)).collect::<Vec<_>>(),
            "has_next_page": next.is_some(),
            "end_cursor": next,
        })
    };
    let answers = [page(&["a", "b"], Some("c1")), page(&["c"], None)];
    let items: Vec<Value> = json_pages("list_customers", move |cursor| {
        let answer = match cursor {
            Cursor::First => answers[0].clone(),
            Cursor::After(c) if c == "c1" => answers[1].clone(),
            other => panic!("unexpected {other:?}"),
        };
        async move { Ok(answer) }
    })
    .map_ok(|page| futures::stream::iter(page.into_items().into_iter().map(Ok::<Value, Error>)))
    .try_flatten()
    .try_collect()
    .await
    .expect("two pages");
    let ids: Vec<&str> = items.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);

    // Not a page: an error naming the operation, never a panic.
    for answer in [
        json!([1, 2]),
        json!({ "items": [] }),
        json!("page"),
        Value::Null,
    ] {
        let mut pages = json_pages("list_customers", move |_| {
            let answer = answer.clone();
            async move { Ok(answer) }
        });
        let error = pages.try_next().await.expect_err("not a page");
        assert_eq!(
            error.to_string(),
            "list_customers: pagination stopped: the answer has no `data` array"
        );
    }
    // A cursor repeated: stopped, as the wrapper's lists do.
    let mut pages = json_pages("list_customers", |_| async {
        Ok(json!({ "data": [1], "has_next_page": true, "end_cursor": "same" }))
    });
    let mut seen = 0;
    let error = loop {
        match pages.try_next().await {
            Ok(Some(_)) => seen += 1,
            Ok(None) => panic!("a repeated cursor must not end quietly"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, 2);
    assert!(
        error.to_string().contains("returned cursor \"same\" twice"),
        "{error}"
    );
}

#[tokio::test]
async fn check_credentials_reports_scopes_and_lifetime() {
    let (server, tokens) = server().await;
    let client = client(&server);
    let info = client
        .check_credentials()
        .await
        .expect("ok")
        .expect("a token");
    assert_eq!(
        info.scopes,
        Some(vec!["read".to_string(), "write".to_string()])
    );
    assert!(info.expires_in <= Duration::from_secs(3600));
    assert!(info.expires_in > Duration::from_secs(3500), "{info:?}");
    assert!(!format!("{info:?}").contains(TOKEN_MARK));
    // The token is cached for the calls that follow.
    client.check_credentials().await.expect("again");
    assert_eq!(tokens.count(), 1);

    let key = Client::builder()
        .credentials(Credentials::api_key("k"))
        .base_url(server.uri())
        .build()
        .expect("client");
    assert_eq!(key.check_credentials().await.expect("ok"), None);
}

/// Issue #28: `Client::request` reaches an endpoint the spec lacks with the
/// client's token, limiter, retries and error type; its retry safety is the
/// operation's when the path is one of the spec's, else the method's.
#[tokio::test]
async fn a_custom_request_has_the_clients_auth_and_retries_by_method_or_operation() {
    let (server, tokens) = server().await;
    for (verb, route) in [
        ("POST", "/webhooks/retry"),
        ("GET", "/webhooks/status"),
        ("PATCH", "/customers/cus_1"),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-request-id", "req-9")
                    .set_body_json(json!({ "ok": true, "route": route })),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path("/webhooks/old"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry_policy(fast_retries())
        .build()
        .expect("client");

    // A read the spec does not have: retried after the 503, authorised,
    // with the encoded query.
    let answer = client
        .request(alternative_payments::Method::GET, "/webhooks/status")
        .query("topic", "payment succeeded&more")
        .send_with_response::<Value>()
        .await
        .expect("retried to success");
    assert_eq!(answer.body()["route"], "/webhooks/status");
    assert_eq!(answer.request_id(), Some("req-9"));
    let sent = requests_to(&server, "/webhooks/status").await;
    assert_eq!(sent.len(), 2, "retried");
    assert_eq!(sent[1].url.query(), Some("topic=payment+succeeded%26more"));
    let auth = sent[1].headers.get("authorization").expect("authorised");
    assert!(
        auth.to_str()
            .expect("ascii")
            .starts_with(&format!("Bearer {TOKEN_MARK}"))
    );

    // A POST the spec does not have: not resent after the 503, maybe done.
    let error = client
        .request(alternative_payments::Method::POST, "/webhooks/retry")
        .json(&json!({ "event_id": "evt_1" }))
        .send::<Value>()
        .await
        .expect_err("503, not resent");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.outcome_unknown(), "{error:?}");
    let sent = requests_to(&server, "/webhooks/retry").await;
    assert_eq!(
        sent.len(),
        1,
        "a POST is not resent after an unknown outcome"
    );
    assert_eq!(sent[0].body, br#"{"event_id":"evt_1"}"#);
    assert_eq!(
        sent[0].headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );

    // A PATCH that is an operation of the spec (updateCustomer, idempotent
    // by the overlay): its class wins over the method's.
    client
        .request(alternative_payments::Method::PATCH, "/customers/cus_1")
        .json(&json!({ "city": "Oslo" }))
        .send::<Value>()
        .await
        .expect("retried as updateCustomer is");
    assert_eq!(requests_to(&server, "/customers/cus_1").await.len(), 2);

    // No body at all reads as null.
    let gone: Value = client
        .request(alternative_payments::Method::DELETE, "/webhooks/old")
        .send()
        .await
        .expect("204");
    assert_eq!(gone, Value::Null);
    assert_eq!(tokens.count(), 1, "one token for every call");
}

/// Bad input: a path that could send the token elsewhere, leave the path
/// it names, or carry an unencoded query is refused before anything is
/// sent (not even a token request), naming the argument.
#[tokio::test]
async fn a_custom_request_to_a_bad_path_is_refused_before_sending() {
    let (server, tokens) = server().await;
    let client = client(&server);
    for bad in [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/customers/../oauth/token",
        "/customers?email=a@b.test",
        "/customers/a b",
        "customers",
    ] {
        let error = client
            .request(alternative_payments::Method::GET, bad)
            .send::<Value>()
            .await
            .expect_err(bad);
        assert!(
            matches!(error, Error::InvalidArgument(_)),
            "{bad}: {error:?}"
        );
        assert!(error.to_string().contains("path "), "{bad}: {error}");
    }
    let error = client
        .request(alternative_payments::Method::POST, "/webhooks/retry")
        .json(&std::collections::HashMap::from([((1, 2), 3)]))
        .send::<Value>()
        .await
        .expect_err("a map keyed by pairs is not JSON");
    assert!(error.to_string().contains("body"), "{error}");
    assert!(
        server
            .received_requests()
            .await
            .expect("recording")
            .is_empty()
    );
    assert_eq!(tokens.count(), 0);
}
