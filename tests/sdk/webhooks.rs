//! Receiving webhook deliveries (issue #30): the bearer secret verified in
//! constant time before anything is parsed, typed errors that never echo a
//! secret, a lenient event.

use alternative_payments::types::{Invoice, WebhookTopic};
use alternative_payments::webhook::{WebhookError, WebhookEvent, WebhookVerifier};
use http::{HeaderMap, HeaderValue};

/// Distinctive enough that finding it anywhere in output is a leak.
const OLD: &str = "whsec-old-Kd81Lw-never-print-me";
const NEW: &str = "whsec-new-Pq27Xz-never-print-me";
const EVENT: &[u8] =
    br#"{"id":"evt_000001","topic":"invoice_paid","created_at":"2026-12-06T10:00:00Z","data":{"id":"inv_000001","status":"paid","total":120.5},"extra":1}"#;

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new([OLD, NEW]).expect("two secrets")
}

fn headers(authorization: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for value in authorization {
        headers.append(
            "authorization",
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    headers
}

/// `error`, shown every way a program might log it, contains no secret.
fn assert_no_secret(error: &WebhookError) {
    let shown = format!("{error} {error:?}");
    for secret in [OLD, NEW] {
        assert!(!shown.contains(secret), "secret in {shown}");
    }
}

#[test]
fn the_new_and_the_old_secret_are_accepted_during_a_rotation() {
    for secret in [OLD, NEW] {
        let event = verifier()
            .verify(&headers(&[&format!("Bearer {secret}")]), EVENT)
            .expect("accepted");
        assert_eq!(*event.topic(), WebhookTopic::InvoicePaid);
        assert_eq!(event.id(), Some("evt_000001"));
        assert_eq!(event.created_at(), Some("2026-12-06T10:00:00Z"));
        assert_eq!(event.data()["id"], "inv_000001");
        assert_eq!(event.raw()["extra"], 1, "unknown fields are kept");
        let invoice: Invoice = event.data_as().expect("an invoice");
        assert_eq!(invoice.id().to_string(), "inv_000001");
        assert_eq!(
            invoice.total(),
            Some(alternative_payments::Decimal::new(1205, 1))
        );
    }
    // The scheme is case-insensitive (RFC 9110).
    assert!(
        verifier()
            .verify(&headers(&[&format!("bearer {NEW}")]), EVENT)
            .is_ok()
    );
}

#[test]
fn a_delivery_that_is_not_authenticated_is_refused_before_its_body_is_read() {
    let not_json = b"this is not JSON at all";
    let truncated = &NEW[..NEW.len() - 1];
    let cases: [(&[&str], WebhookError); 8] = [
        (&[], WebhookError::MissingAuthorization),
        (&["Bearer wrong-secret"], WebhookError::WrongSecret),
        (&[&format!("Bearer {truncated}")], WebhookError::WrongSecret),
        (&[&format!("Bearer {NEW}x")], WebhookError::WrongSecret),
        (&[&format!("Basic {NEW}")], WebhookError::NotBearer),
        (&[NEW], WebhookError::NotBearer),
        (&["Bearer "], WebhookError::MalformedAuthorization),
        (
            &[&format!("Bearer {NEW}"), "Bearer other"],
            WebhookError::MalformedAuthorization,
        ),
    ];
    for (authorization, expected) in cases {
        // A body that would not parse: the refusal comes first.
        let error = verifier()
            .verify(&headers(authorization), not_json)
            .expect_err("refused");
        assert_eq!(error, expected, "{authorization:?}");
        assert_no_secret(&error);
    }
}

#[test]
fn an_authenticated_body_that_is_not_an_event_is_a_typed_error() {
    let auth = headers(&[&format!("Bearer {NEW}")]);
    let small = verifier().max_body_size(64);
    let cases: [(&WebhookVerifier, &[u8], &str); 6] = [
        (&small, EVENT, "body is 145 bytes, over the limit of 64"),
        (
            &verifier(),
            b"{\"topic\": \"invoice_paid\",",
            "not JSON (line 1, column 25)",
        ),
        (&verifier(), b"", "not JSON (line 1, column 0)"),
        (&verifier(), b"[1, 2]", "not a JSON object"),
        (&verifier(), b"{\"id\": \"evt_1\"}", "has no `topic`"),
        (&verifier(), b"{\"topic\": 7}", "`topic` is not a string"),
    ];
    for (verifier, body, expected) in cases {
        let error = verifier.verify(&auth, body).expect_err("refused");
        assert!(
            error.to_string().contains(expected),
            "{error} (expected {expected:?})"
        );
        assert_no_secret(&error);
    }
}

#[test]
fn an_unknown_topic_and_a_minimal_event_are_accepted() {
    let event = WebhookEvent::parse(br#"{"topic":"invoice_disputed"}"#).expect("lenient");
    assert_eq!(
        *event.topic(),
        WebhookTopic::Unknown("invoice_disputed".into())
    );
    assert_eq!(event.id(), None);
    assert!(event.data().is_null());
    let error = event.data_as::<Invoice>().expect_err("no invoice in null");
    assert!(
        error.to_string().contains("`data` is not a Invoice"),
        "{error}"
    );
}

#[test]
fn a_verifier_needs_a_secret_and_never_shows_one() {
    assert_eq!(
        WebhookVerifier::new(Vec::<String>::new()).err(),
        Some(WebhookError::NoSecret)
    );
    assert_eq!(
        WebhookVerifier::new([NEW, ""]).err(),
        Some(WebhookError::NoSecret)
    );
    let shown = format!("{:?}", verifier());
    assert!(shown.contains("2 redacted"), "{shown}");
    assert!(!shown.contains(OLD) && !shown.contains(NEW), "{shown}");
}

#[test]
fn fuzz_webhook_deliveries_never_panic_nor_show_the_secret() {
    let verifier = verifier();
    alternative_payments_test_support::fuzz::search("webhook_deliveries", 1000, |u| {
        let choice: u8 = u.arbitrary()?;
        let authorization: Vec<u8> = match choice % 4 {
            // Random bytes, a near miss of the secret, the secret itself.
            0 => u.arbitrary()?,
            1 => {
                let mut near = format!("Bearer {NEW}").into_bytes();
                let at = u.choose_index(near.len())?;
                near[at] = u.arbitrary()?;
                near
            }
            _ => format!("Bearer {NEW}").into_bytes(),
        };
        let body: Vec<u8> = if u.arbitrary()? {
            u.arbitrary()?
        } else {
            // JSON-ish: an event with arbitrary text spliced in.
            let text: String = u.arbitrary()?;
            format!(r#"{{"topic":{text:?},"data":{text}}}"#).into_bytes()
        };
        match verifier.verify_authorization(Some(&authorization), &body) {
            Ok(event) => {
                assert!(
                    authorization.ends_with(NEW.as_bytes()),
                    "accepted without the secret"
                );
                let _ = event.data_as::<Invoice>();
            }
            Err(error) => assert_no_secret(&error),
        }
        Ok(())
    });
}
