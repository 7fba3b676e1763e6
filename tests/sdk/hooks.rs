//! User hooks and `send_with_response`: what they see, in what order, and
//! that a failing hook fails only its call, never shows a secret.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alternative_payments::types::NewCustomer;
use alternative_payments::{Error, Hook, HookRequest, HookResponse, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{CLIENT_SECRET, TOKEN_MARK, builder, customer, requests_to, server};

/// Every header as `name=value`, values in clear (a HeaderMap's Debug
/// hides sensitive ones, a hook reading them would not be fooled).
fn clear(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Records everything it is shown, as text.
#[derive(Clone, Default)]
struct Recorder {
    tag: &'static str,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Hook for Recorder {
    fn name(&self) -> &str {
        self.tag
    }

    fn on_request(&self, request: &mut HookRequest<'_>) -> Result<(), String> {
        self.seen.lock().expect("not poisoned").push(format!(
            "{} request {} #{} {} {} {request:?}",
            self.tag,
            request.operation(),
            request.attempt(),
            request.method(),
            clear(request.headers())
        ));
        request
            .headers_mut()
            .insert("x-hooked", self.tag.parse().expect("a header value"));
        // Whatever a hook writes here is replaced by the SDK's credentials.
        request.headers_mut().insert(
            "authorization",
            "Bearer forged".parse().expect("a header value"),
        );
        Ok(())
    }

    fn on_response(&self, response: &HookResponse<'_>) -> Result<(), String> {
        self.seen.lock().expect("not poisoned").push(format!(
            "{} response {} #{} {:?} {}",
            self.tag,
            response.operation(),
            response.attempt(),
            response.status().map(|s| s.as_u16()),
            response.headers().map(clear).unwrap_or_default()
        ));
        Ok(())
    }
}

#[tokio::test]
async fn hooks_see_every_attempt_in_order_and_never_a_credential() {
    let (server, _) = server().await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-7")
                .set_body_json(customer("cus_1")),
        )
        .mount(&server)
        .await;
    let (first, second) = (
        Recorder {
            tag: "first",
            ..Default::default()
        },
        Recorder {
            tag: "second",
            ..Default::default()
        },
    );
    let seen = first.seen.clone();
    let second = Recorder {
        seen: seen.clone(),
        ..second
    };
    let client = builder(&server)
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .hook(first)
        .hook(second)
        .build()
        .expect("ok");

    let response = client
        .customers()
        .get("cus_1")
        .send_with_response()
        .await
        .expect("retried to success");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.request_id(), Some("req-7"));
    assert_eq!(response.body().id, "cus_1");

    let seen = seen.lock().expect("not poisoned").clone();
    let order: Vec<String> = seen
        .iter()
        .map(|line| {
            line.split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        order,
        [
            "first request get_customer #1",
            "second request get_customer #1",
            "first response get_customer #1",
            "second response get_customer #1",
            "first request get_customer #2",
            "second request get_customer #2",
            "first response get_customer #2",
            "second response get_customer #2",
        ]
    );
    assert!(seen[2].contains("Some(503)"), "{}", seen[2]);
    assert!(
        seen[6].contains("Some(200)") && seen[6].contains("req-7"),
        "{}",
        seen[6]
    );
    for line in &seen {
        assert!(!line.contains(TOKEN_MARK), "a token reached a hook: {line}");
        assert!(
            !line.contains(CLIENT_SECRET),
            "the secret reached a hook: {line}"
        );
        assert!(!line.to_lowercase().contains("bearer at-"), "{line}");
    }
    // On the wire: the hooks' header, and the SDK's credentials, not the
    // forged ones.
    let sent = requests_to(&server, "/customers/cus_1").await;
    for request in &sent {
        assert_eq!(request.headers.get("x-hooked").expect("hooked"), "second");
        let auth = request
            .headers
            .get("authorization")
            .expect("authorised")
            .to_str()
            .expect("ok");
        assert!(auth.starts_with(&format!("Bearer {TOKEN_MARK}")), "{auth}");
    }
}

struct Refuses;

impl Hook for Refuses {
    fn on_request(&self, request: &mut HookRequest<'_>) -> Result<(), String> {
        if request.operation() == "create_customer" {
            return Err("no creates today".into());
        }
        Ok(())
    }
}

struct Panics;

impl Hook for Panics {
    fn name(&self) -> &str {
        "metrics"
    }

    fn on_response(&self, _: &HookResponse<'_>) -> Result<(), String> {
        panic!("counter overflow");
    }
}

#[tokio::test]
async fn a_failing_or_panicking_hook_fails_its_call_by_name_and_the_client_lives_on() {
    let (server, _) = server().await;
    Mock::given(method("POST"))
        .and(path("/customers"))
        .respond_with(ResponseTemplate::new(201).set_body_json(customer("cus_9")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer("cus_1")))
        .mount(&server)
        .await;

    let client = builder(&server).hook(Refuses).build().expect("ok");
    let error = client
        .customers()
        .create(NewCustomer::builder().name("Acme"))
        .send()
        .await
        .expect_err("refused by the hook");
    assert!(
        matches!(&error, Error::Hook { hook, .. } if hook.ends_with("Refuses")),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "create_customer: hook `{}` failed: no creates today",
            std::any::type_name::<Refuses>()
        )
    );
    assert!(!error.outcome_unknown(), "nothing was sent");
    assert!(requests_to(&server, "/customers").await.is_empty());
    // The same client still works.
    client
        .customers()
        .get("cus_1")
        .send()
        .await
        .expect("other calls pass");

    let client = builder(&server).hook(Panics).build().expect("ok");
    let error = client
        .customers()
        .create(NewCustomer::builder().name("Acme"))
        .send()
        .await
        .expect_err("the hook panicked");
    assert_eq!(
        error.to_string(),
        "create_customer: hook `metrics` failed: panicked: counter overflow; an attempt may have taken effect (Error::outcome_unknown)"
    );
    assert!(error.outcome_unknown(), "the create was sent and answered");
    assert_eq!(
        requests_to(&server, "/customers").await.len(),
        1,
        "not retried"
    );
    let again = client.customers().get("cus_1").send().await;
    assert!(
        matches!(again, Err(Error::Hook { .. })),
        "every call meets the hook"
    );
}
