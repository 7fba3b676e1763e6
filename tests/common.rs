//! What the test modules share; the rest is in `alternative-payments-test-support`.

use alternative_payments_raw::operations::Operation;
use serde_json::{Value, json};

/// A regex matching the concrete paths of `operation`'s path template.
pub(crate) fn path_regex(operation: Operation) -> String {
    let mut regex = String::from("^");
    for (i, part) in operation.path().split(['{', '}']).enumerate() {
        // Odd parts are the names between braces.
        regex.push_str(if i % 2 == 1 { "[^/]+" } else { part });
    }
    regex.push('$');
    regex
}

/// Whether `path` is one of `operation`'s concrete paths.
pub(crate) fn matches_path(operation: Operation, path: &str) -> bool {
    regex::Regex::new(&path_regex(operation))
        .expect("the path regex compiles")
        .is_match(path)
}

/// One body every operation's success response decodes from: the API's
/// fields are all optional and unknown ones are ignored, so a customer, a
/// user, a payment method, a page and a payment-method list all fit.
pub(crate) fn any_reply() -> Value {
    let item = json!({
        "id": "cus_1", "name": "Acme", "email": "ap@acme.test",
        "created_at": "2026-11-21T10:00:00Z",
        "type": "card", "brand": "visa", "last4": "4242", "default": true,
    });
    let mut reply = item.clone();
    reply["data"] = json!([item]);
    reply["has_next_page"] = json!(false);
    reply["has_previous_page"] = json!(false);
    reply["start_cursor"] = json!("c1");
    reply["end_cursor"] = json!("c1");
    reply
}

/// Mounts a route per operation of the table on a wiremock server, each
/// answering its success status with [`any_reply`].
pub(crate) async fn mount_every_operation(server: &wiremock::MockServer) {
    use wiremock::matchers::{method, path_regex as path_matching};
    for operation in Operation::ALL {
        wiremock::Mock::given(method(operation.http_method()))
            .and(path_matching(path_regex(operation)))
            .respond_with(
                wiremock::ResponseTemplate::new(operation.success_status())
                    .set_body_json(any_reply()),
            )
            .mount(server)
            .await;
    }
}

/// An HTTP date (whole seconds) at least `seconds` ahead: the next whole
/// second after now + `seconds`. Rounding down instead could leave less than
/// `seconds - 1` once the real time before the client reads it has passed.
pub(crate) fn http_date_in(seconds: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    let at = time::OffsetDateTime::from_unix_timestamp((now.as_secs() + seconds + 1) as i64)
        .expect("a valid time");
    let format = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .expect("format");
    at.format(&format).expect("formats")
}

/// Each layer of an error chain: the error, then its sources.
pub(crate) fn layers(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        out.push(e.to_string());
        source = e.source();
    }
    out
}

/// An error as `anyhow` prints it with `{:#}`: every layer, once.
pub(crate) fn report(err: &(dyn std::error::Error + 'static)) -> String {
    layers(err).join(": ")
}

/// Whether `text` is a random (version 4) UUID as the SDK generates them
/// for a charge's idempotency key: 8-4-4-4-12 hex digits, version digit 4.
pub(crate) fn is_uuid_v4(text: &str) -> bool {
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12]
        && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && text.as_bytes()[14] == b'4'
}
