//! The docs of models and fields, where the provider's pages give none:
//! a sentence that says what the thing is, derived from the spec (the
//! model's SDK name, whether an operation answers it, takes it as a body
//! or answers errors with it, and the property's name and type), so that
//! no doc line only repeats a name (issue #28). A description the spec has
//! is kept as it is; a later page that adds one replaces ours.
//!
//! Written into the document progenitor reads (not `openapi.json`): typify
//! puts a schema's `description` on its struct and a property's on its
//! field, and `models.rs` copies a field's onto its accessor and setter.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToSnakeCase;
use serde_json::{Value, json};

use crate::spec;

/// Words written in capitals when they stand alone in a name.
const ACRONYMS: [&str; 9] = [
    "id", "ein", "url", "pdf", "ach", "api", "uuid", "usd", "ssn",
];

/// Every property's description, by (schema, property): what a field
/// typed later (an id type replaces its schema) still needs for its doc.
pub type FieldDocs = BTreeMap<(String, String), String>;

/// Sets a `description` on every component schema and property that has
/// none. `returned` are the models operations answer (`models.rs`).
pub fn describe(doc: &mut Value, returned: &BTreeSet<String>) -> Result<FieldDocs, String> {
    let roles = roles(doc)?;
    let mut docs = FieldDocs::new();
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(docs);
    };
    let models: BTreeSet<String> = schemas.keys().map(|name| name.to_snake_case()).collect();
    for (name, schema) in schemas.iter_mut() {
        let items = item_noun(schema).unwrap_or_else(|| "items".into());
        let Some(object) = schema.as_object_mut() else {
            continue;
        };
        let noun = noun(name);
        let is_page = is_page(object);
        if !object.contains_key("description") {
            let what = if is_page {
                format!("One page of {items}, with the cursors of the pages around it.")
            } else if object.contains_key("enum") {
                format!(
                    "A {noun} value, as the API spells it; values it adds later are kept as `Unknown`."
                )
            } else if let Some(role) = roles.get(name) {
                role.sentence(&noun)
            } else if returned.contains(name) {
                format!("A {noun}, as the API returns it.")
            } else {
                format!("A {noun}, as the API's pages describe it.")
            };
            object.insert("description".into(), json!(what));
        }
        let answered = returned.contains(name);
        let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            let Some(property) = property.as_object_mut() else {
                continue;
            };
            let text = match property.get("description").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => {
                    let text = field_sentence(&noun, field, property, is_page, answered, &models);
                    property.insert("description".into(), json!(text));
                    text
                }
            };
            docs.insert((name.clone(), field.clone()), text);
        }
    }
    Ok(docs)
}

/// What operations do with a schema that is not answered as a model: the
/// body of a request, or of error answers.
enum Role {
    Body(String),
    Error,
}

impl Role {
    fn sentence(&self, noun: &str) -> String {
        match self {
            Role::Body(operation) => {
                format!("The fields of a {noun}: the request body of `{operation}`.")
            }
            Role::Error => {
                "The body of the API's error answers: a code, a message, and what is wrong with each field."
                    .into()
            }
        }
    }
}

fn roles(doc: &Value) -> Result<BTreeMap<String, Role>, String> {
    let mut roles = BTreeMap::new();
    for op in spec::operations(doc, "the merged spec")? {
        let operation = doc.pointer(&op.pointer()).unwrap_or(&Value::Null);
        if let Some(name) =
            referenced(&operation["requestBody"]["content"]["application/json"]["schema"])
        {
            roles
                .entry(name)
                .or_insert(Role::Body(op.operation_id.clone()));
        }
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            if (status.starts_with('4') || status.starts_with('5'))
                && let Some(name) = referenced(&response["content"]["application/json"]["schema"])
            {
                roles.entry(name).or_insert(Role::Error);
            }
        }
    }
    Ok(roles)
}

fn referenced(schema: &Value) -> Option<String> {
    schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(|n| n.replace("~1", "/").replace("~0", "~"))
}

/// A cursor page: the provider's envelope (`data` and `end_cursor`).
fn is_page(schema: &serde_json::Map<String, Value>) -> bool {
    let properties = &schema.get("properties");
    ["data", "end_cursor"]
        .iter()
        .all(|p| properties.and_then(|ps| ps.get(*p)).is_some())
}

/// The noun of a list's items: `customers` for a page of `Customer`.
fn item_noun(schema: &Value) -> Option<String> {
    referenced(&schema["properties"]["data"]["items"]).map(|item| plural(&noun(&item)))
}

fn plural(noun: &str) -> String {
    if noun.ends_with('s') {
        format!("{noun}es")
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    }
}

/// `CustomerUser` → `customer user`; `PaymentRequestURL` → `payment request URL`.
pub fn noun(name: &str) -> String {
    words(&name.to_snake_case())
}

/// `default_payment_method_id` → `default payment method ID`.
fn words(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            if ACRONYMS.contains(&w) {
                w.to_uppercase()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a property is, from its name and type.
fn field_sentence(
    noun: &str,
    field: &str,
    property: &serde_json::Map<String, Value>,
    page: bool,
    answered: bool,
    models: &BTreeSet<String>,
) -> String {
    if page {
        let envelope = match field {
            "data" => Some("The items of this page."),
            "end_cursor" => {
                Some("The cursor of this page's last item: give it as `after` for the next page.")
            }
            "start_cursor" => Some(
                "The cursor of this page's first item: give it as `before` for the previous page.",
            ),
            "has_next_page" => Some("Whether a page follows this one."),
            "has_previous_page" => Some("Whether a page comes before this one."),
            _ => None,
        };
        if let Some(text) = envelope {
            return text.into();
        }
    }
    let as_returned = if answered {
        ", as the API returns it"
    } else {
        ""
    };
    if field == "id" {
        return format!("The {noun}'s ID: what every operation on it takes.");
    }
    // A reference to another model (`default_payment_method_id`: a
    // `PaymentMethod`'s); any other `_id` is a name (`external_id`).
    if let Some(of) = field.strip_suffix("_id")
        && models
            .iter()
            .any(|model| of == model || of.ends_with(&format!("_{model}")))
    {
        return format!("The ID of the {noun}'s {}.", words(of));
    }
    if let Some(event) = field.strip_suffix("_at") {
        let event = words(event);
        let when = if event.ends_with("ed") {
            format!("When the {noun} was {event}")
        } else {
            format!("The {noun}'s {event} time")
        };
        return format!("{when}, as RFC 3339 text (its accessor parses it).");
    }
    let kind = property.get("type").and_then(Value::as_str);
    if kind == Some("boolean") {
        if let Some(rest) = field.strip_prefix("is_") {
            return format!("Whether the {noun} is {}.", words(rest));
        }
        if let Some(rest) = field.strip_prefix("has_") {
            return format!("Whether the {noun} has {}.", words(rest));
        }
        return format!("Whether the {noun} is {}.", words(field));
    }
    format!("The {noun}'s {}{as_returned}.", words(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_and_field_gets_a_sentence_that_is_not_its_name() {
        let mut doc = json!({
            "openapi": "3.1.1",
            "paths": {
                "/customers": {
                    "post": {
                        "operationId": "createCustomer",
                        "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewCustomer" } } } },
                        "responses": {
                            "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Customer" } } } },
                            "400": { "description": "Bad", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HttpError" } } } }
                        }
                    },
                    "get": {
                        "operationId": "listCustomers",
                        "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CustomerPage" } } } } }
                    }
                }
            },
            "components": { "schemas": {
                "Customer": { "type": "object", "properties": {
                    "id": { "type": "string" }, "ein": { "type": "string" },
                    "sub_premise": { "type": "string" }, "created_at": { "type": "string" },
                    "default_payment_method_id": { "type": "string" },
                    "external_id": { "type": "string" },
                    "is_archived": { "type": "boolean" },
                    "name": { "type": "string", "description": "The provider's own words." }
                } },
                "NewCustomer": { "type": "object", "properties": { "ein": { "type": "string" } } },
                "PaymentMethod": { "type": "object", "properties": { "id": { "type": "string" } } },
                "HttpError": { "type": "object", "properties": { "code": { "type": "string" } } },
                "CustomerPage": { "type": "object", "properties": {
                    "data": { "type": "array", "items": { "$ref": "#/components/schemas/Customer" } },
                    "end_cursor": { "type": "string" }
                } }
            } }
        });
        let returned = BTreeSet::from(["Customer".to_string(), "CustomerPage".to_string()]);
        let docs = describe(&mut doc, &returned).expect("described");
        assert_eq!(
            docs[&("Customer".to_string(), "ein".to_string())],
            "The customer's EIN, as the API returns it."
        );
        let s = &doc["components"]["schemas"];
        let d = |model: &str, field: &str| {
            s[model]["properties"][field]["description"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            s["Customer"]["description"],
            "A customer, as the API returns it."
        );
        assert_eq!(
            s["NewCustomer"]["description"],
            "The fields of a new customer: the request body of `createCustomer`."
        );
        assert!(
            s["HttpError"]["description"]
                .as_str()
                .unwrap_or_default()
                .contains("error answers")
        );
        assert_eq!(
            s["CustomerPage"]["description"],
            "One page of customers, with the cursors of the pages around it."
        );
        assert_eq!(
            d("Customer", "ein"),
            "The customer's EIN, as the API returns it."
        );
        assert_eq!(
            d("Customer", "sub_premise"),
            "The customer's sub premise, as the API returns it."
        );
        assert_eq!(d("NewCustomer", "ein"), "The new customer's EIN.");
        assert_eq!(
            d("Customer", "created_at"),
            "When the customer was created, as RFC 3339 text (its accessor parses it)."
        );
        assert_eq!(
            d("Customer", "default_payment_method_id"),
            "The ID of the customer's default payment method."
        );
        assert_eq!(
            d("Customer", "external_id"),
            "The customer's external ID, as the API returns it."
        );
        assert_eq!(
            d("Customer", "is_archived"),
            "Whether the customer is archived."
        );
        assert_eq!(d("Customer", "name"), "The provider's own words.", "kept");
        assert!(d("CustomerPage", "end_cursor").contains("`after`"));
        // No sentence only repeats the name.
        for (model, schema) in s.as_object().expect("schemas") {
            let text = schema["description"].as_str().expect("described");
            assert_ne!(
                text.trim_end_matches('.').to_lowercase(),
                noun(model),
                "{model}"
            );
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                let text = property["description"].as_str().expect("described");
                assert!(
                    text.split_whitespace().count() >= 3,
                    "{model}.{field}: {text}"
                );
            }
        }
    }
}
