//! The mock cannot drift from the spec: every response body it produces is
//! validated against `openapi/openapi.json`'s schema for that operation and
//! status, strictly (no field the schema does not declare).

use std::fmt::Write as _;

use alternative_payments_mock::MockServer;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::token;
use alternative_payments_raw::operations::Operation;
use alternative_payments_test_support::{Caller, Record, SpecCase, fixture, seed, token_for};

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("spec")).expect("json")
}

/// Every object schema closed (`additionalProperties: false` unless said
/// otherwise): the mock must not invent fields.
fn strict(schema: &mut Value) {
    if let Some(obj) = schema.as_object_mut() {
        if obj.get("type") == Some(&json!("object")) && obj.contains_key("properties") {
            obj.entry("additionalProperties").or_insert(json!(false));
        }
        for value in obj.values_mut() {
            strict(value);
        }
    } else if let Some(items) = schema.as_array_mut() {
        items.iter_mut().for_each(strict);
    }
}

/// A validator for `schema` with the spec's components available as `$defs`.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut defs = spec["components"]["schemas"].clone();
    strict(&mut defs);
    let mut root = schema.clone();
    root["$defs"] = defs;
    let text = root
        .to_string()
        .replace("#/components/schemas/", "#/$defs/");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("json")).expect("valid schema")
}

/// operationId → (method, path template).
fn operations(spec: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            out.insert(
                op["operationId"].as_str().expect("id").into(),
                json!([method, path]),
            );
        }
    }
    out
}

#[tokio::test]
async fn every_response_the_mock_produces_matches_the_spec() {
    let spec = spec();
    let ops = operations(&spec);
    let mock = MockServer::builder()
        .client("full", "full-secret", &["read", "write"])
        .client("reader", "reader-secret", &["read"])
        .body_limit(4096)
        .start()
        .await
        .expect("mock");
    let http = reqwest::Client::new();
    let full = token(&mock, &http).await;
    let reader = token_for(&mock, &http, "reader", "reader-secret").await;

    // Every resource's records, from its fixtures' file.
    let ids = seed(&mock);
    let seeded = |record: Record| ids.get(record).to_string();

    // Every operation's cases, from its fixture; each operation has some.
    let mut cases = Vec::new();
    for op in Operation::ALL {
        let op_cases = (fixture(op).spec)();
        assert!(!op_cases.is_empty(), "{op:?}: its fixture has no spec case");
        cases.extend(op_cases.into_iter().map(|case| (op.operation_id(), case)));
    }

    let mut failures = Vec::new();
    let mut seen = String::new();
    for (operation, case) in cases {
        let SpecCase {
            ids,
            query,
            body,
            body_ids,
            caller,
            fault,
        } = case;
        let ids: Vec<String> = ids.into_iter().map(seeded).collect();
        let body = body.map(|mut body| {
            for (i, record) in body_ids.into_iter().enumerate() {
                body = body.replace(&format!("{{{i}}}"), &seeded(record));
            }
            body
        });
        let bearer = match caller {
            Caller::Full => Some(&full),
            Caller::Reader => Some(&reader),
            Caller::Anonymous => None,
        };
        let [method, template] = ops[operation].as_array().expect("op").as_slice() else {
            panic!("op")
        };
        let (method, template) = (method.as_str().expect("m"), template.as_str().expect("t"));
        // Each `{parameter}` of the template, in order, gets the next id.
        let mut path = String::new();
        let mut values = ids.iter();
        for segment in template.split('/').skip(1) {
            path.push('/');
            if segment.starts_with('{') {
                path.push_str(values.next().map(String::as_str).unwrap_or(segment));
            } else {
                path.push_str(segment);
            }
        }
        if let Some(fault) = fault {
            mock.enqueue(operation, [fault])
                .expect("the mock knows the operation");
        }
        let mut request = http.request(
            method.to_uppercase().parse::<Method>().expect("method"),
            format!("{}{path}{query}", mock.base_url()),
        );
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("response");
        let status = response.status().as_u16();
        let json: Value = response.json().await.unwrap_or(Value::Null);
        let response = &spec["paths"][template][method]["responses"][status.to_string()];
        let documented = &response["content"]["application/json"]["schema"];
        // A status the page documents as JSON without a schema: any JSON.
        let untyped = response["content"]["application/json"].is_object() && documented.is_null();
        let (schema, note) = if untyped {
            (json!({}), "documented without a schema: any JSON")
        } else if documented.is_null() {
            (
                json!({ "$ref": "#/components/schemas/HttpError" }),
                "not in the spec: checked as HttpError",
            )
        } else {
            (documented.clone(), "")
        };
        let _ = writeln!(seen, "{operation} {status} {note}");
        let validator = validator(&spec, &schema);
        for error in validator.iter_errors(&json) {
            failures.push(format!(
                "{operation} {status}: {error} at {} in {json}",
                error.instance_path()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "responses that do not match the spec:\n{}",
        failures.join("\n")
    );
    insta::assert_snapshot!(seen);
}
