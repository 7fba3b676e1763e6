//! `openapi/overlay.json`: what this workspace knows about operations that
//! the provider's spec does not say, applied by `generate` to the merged
//! spec as vendor extensions. The fragments stay exactly as imported.
//!
//! Today it holds one fact, the retry class, where the HTTP method alone
//! would be wrong:
//!
//! ```json
//! { "operations": { "updateCustomer": {
//!     "retry": "idempotent",
//!     "why": "PATCH with absolute values: a second send leaves the same state"
//! } } }
//! ```

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::files::{self, Layout};
use crate::spec::{self, escape_pointer};
use crate::table::{IDEMPOTENCY_KEY_EXTENSION, MOVES_MONEY_EXTENSION, RETRY_EXTENSION, RetryClass};

/// Applies the overlay (if the file exists) to `merged`. Every problem names
/// the file and the JSON pointer inside it.
pub fn apply(layout: &Layout, merged: &mut Value) -> Result<(), String> {
    let path = layout.overlay();
    if !path.exists() {
        return Ok(());
    }
    let shown = layout.display(&path);
    let text = files::read_to_string(&path, &shown)?;
    let overlay = files::parse_json(&text, &shown, 0)?;
    apply_value(&overlay, &shown, merged)
}

pub fn apply_value(overlay: &Value, shown: &str, merged: &mut Value) -> Result<(), String> {
    let top = overlay
        .as_object()
        .ok_or_else(|| format!("{shown}: expected a JSON object"))?;
    if let Some(key) = top
        .keys()
        .find(|k| !matches!(k.as_str(), "operations" | "models" | "schemas" | "$comment"))
    {
        return Err(format!(
            "{shown}: /{}: unknown key (expected \"operations\", \"models\" or \"schemas\")",
            escape_pointer(key)
        ));
    }
    if let Some(schemas) = top.get("schemas") {
        add_schemas(schemas, shown, merged)?;
    }
    if let Some(models) = top.get("models") {
        apply_models(models, shown, merged)?;
    }
    let Some(operations) = top.get("operations") else {
        return Ok(());
    };
    let operations = operations
        .as_object()
        .ok_or_else(|| format!("{shown}: /operations: expected an object keyed by operationId"))?;
    let known = spec::operations(merged, "the merged spec")?;
    for (id, entry) in operations {
        let at = format!("{shown}: /operations/{}", escape_pointer(id));
        let Some(op) = known.iter().find(|op| op.operation_id == *id) else {
            let ids: BTreeSet<&str> = known.iter().map(|op| op.operation_id.as_str()).collect();
            return Err(format!(
                "{at}: no operation {id:?} in the spec (withdrawn, or a typo?)\n  operations: {}",
                ids.into_iter().collect::<Vec<_>>().join(", ")
            ));
        };
        let entry = entry
            .as_object()
            .ok_or_else(|| format!("{at}: expected an object"))?;
        let (extensions, responses) = overlay_entry(entry, &at)?;
        let target = merged
            .pointer_mut(&op.pointer())
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{at}: the operation is not an object in the spec"))?;
        target.extend(extensions);
        if let Some(responses) = responses {
            add_responses(target, responses, &format!("{at}/responses"))?;
        }
    }
    Ok(())
}

/// The extension marking a response (or a schema) as the overlay's, not the
/// provider's: the changelog says so, and says when a page documents it.
pub const OVERLAY_EXTENSION: &str = "x-alternative-payments-overlay";

/// `"schemas": {"Name": {"schema": {..}, "why": ".."}}`: component schemas
/// the pages do not define (the body of a response they leave untyped). A
/// name the provider now defines is refused: its page took over.
fn add_schemas(schemas: &Value, shown: &str, merged: &mut Value) -> Result<(), String> {
    let schemas = schemas
        .as_object()
        .ok_or_else(|| format!("{shown}: /schemas: expected an object keyed by schema name"))?;
    for (name, entry) in schemas {
        let at = format!("{shown}: /schemas/{}", escape_pointer(name));
        let schema = schema_with_reason(entry, &at)?;
        let components = merged
            .pointer_mut("/components")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{at}: the spec has no components"))?
            .entry("schemas")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("{at}: the spec's schemas are not an object"))?;
        if components.contains_key(name) {
            return Err(format!(
                "{at}: the provider's pages now define {name:?}: remove this overlay entry (and check what refers to it)"
            ));
        }
        let mut schema = schema.clone();
        if let Some(object) = schema.as_object_mut() {
            object.insert(OVERLAY_EXTENSION.into(), Value::Bool(true));
        }
        components.insert(name.clone(), schema);
    }
    Ok(())
}

/// An overlay entry `{"schema": {..}, "why": ".."}`: its schema, once its
/// reason is there.
fn schema_with_reason<'a>(entry: &'a Value, at: &str) -> Result<&'a Value, String> {
    let (schema, why) = match entry.as_object() {
        Some(e) if e.len() == 2 => (e.get("schema"), e.get("why")),
        _ => (None, None),
    };
    let (Some(schema @ Value::Object(_)), Some(Value::String(why))) = (schema, why) else {
        return Err(format!(
            "{at}: expected {{\"schema\": {{..}}, \"why\": \"..\"}}"
        ));
    };
    if why.trim().is_empty() {
        return Err(format!("{at}/why: expected a non-empty string"));
    }
    Ok(schema)
}

/// An operation's `"responses": {"200": {"schema": {..}}}`: a JSON body
/// for a response the page documents without a schema, or a response the
/// page does not document at all. A response whose schema the page gives
/// is refused: the page now says it, and the overlay entry should go.
fn add_responses(
    operation: &mut Map<String, Value>,
    responses: &Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for (status, entry) in responses {
        let at = format!("{at}/{}", escape_pointer(status));
        if !(status.len() == 3
            && status.starts_with(['1', '2', '3', '4', '5'])
            && status.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("{at}: expected an HTTP status such as \"200\""));
        }
        let schema = match entry.as_object() {
            Some(e) if e.len() == 1 => e.get("schema").filter(|s| s.is_object()),
            _ => None,
        }
        .ok_or_else(|| format!("{at}: expected {{\"schema\": {{..}}}}"))?;
        let existing = operation
            .entry("responses")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("{at}: the operation's responses are not an object"))?
            .entry(status.clone())
            .or_insert_with(
                || serde_json::json!({ "description": "(given by openapi/overlay.json)" }),
            );
        if existing
            .pointer("/content/application~1json/schema")
            .is_some()
        {
            return Err(format!(
                "{at}: the provider's page now gives this response a schema: remove this overlay entry"
            ));
        }
        let response = existing
            .as_object_mut()
            .ok_or_else(|| format!("{at}: the response is not an object in the spec"))?;
        response.insert(
            "content".into(),
            serde_json::json!({ "application/json": { "schema": schema } }),
        );
        response.insert(OVERLAY_EXTENSION.into(), Value::Bool(true));
    }
    Ok(())
}

/// `"models": {"CustomerReply": {"name": "Customer"}}`: the name users see
/// for a schema, as `x-sdk-name` (see `models.rs`); and `"properties":
/// {"request_id": {"schema": {..}, "why": ".."}}`, optional fields the
/// provider's page does not show, each with its reason. A property the
/// provider's schema already has is refused: the page now documents it,
/// and the overlay entry should go.
fn apply_models(models: &Value, shown: &str, merged: &mut Value) -> Result<(), String> {
    let models = models
        .as_object()
        .ok_or_else(|| format!("{shown}: /models: expected an object keyed by schema name"))?;
    for (schema, entry) in models {
        let at = format!("{shown}: /models/{}", escape_pointer(schema));
        let expected = || {
            format!(
                "{at}: expected {{\"name\": \"SdkName\"}} and/or {{\"properties\": {{\"field\": {{\"schema\": {{..}}, \"why\": \"..\"}}}}}}"
            )
        };
        let entry = entry.as_object().ok_or_else(expected)?;
        if entry.is_empty() || entry.keys().any(|k| k != "name" && k != "properties") {
            return Err(expected());
        }
        let name = match entry.get("name") {
            None => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(expected()),
        };
        let target = merged
            .pointer_mut(&format!("/components/schemas/{}", escape_pointer(schema)))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                format!(
                    "{at}: no schema {schema:?} in the spec (renamed by the provider, or a typo?)"
                )
            })?;
        if let Some(name) = name {
            target.insert(crate::models::SDK_NAME.into(), Value::String(name.clone()));
        }
        if let Some(added) = entry.get("properties") {
            add_properties(target, added, &format!("{at}/properties"))?;
        }
    }
    Ok(())
}

/// The overlay's `properties` of one model, added to its schema.
fn add_properties(target: &mut Map<String, Value>, added: &Value, at: &str) -> Result<(), String> {
    let added = added
        .as_object()
        .ok_or_else(|| format!("{at}: expected an object keyed by property name"))?;
    let properties = target
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| format!("{at}: the schema's properties are not an object"))?;
    for (field, entry) in added {
        let at = format!("{at}/{}", escape_pointer(field));
        let schema = schema_with_reason(entry, &at)?;
        if properties.contains_key(field) {
            return Err(format!(
                "{at}: the provider's schema now has {field:?}: remove this overlay entry"
            ));
        }
        properties.insert(field.clone(), schema.clone());
    }
    Ok(())
}

/// The overlay without the entries of `withdrawn` operations, and which
/// were dropped; `None` when the overlay names none of them (or there is
/// no overlay).
pub fn without(
    layout: &Layout,
    withdrawn: &[String],
) -> Result<Option<(files::Output, Vec<String>)>, String> {
    let path = layout.overlay();
    if withdrawn.is_empty() || !path.exists() {
        return Ok(None);
    }
    let shown = layout.display(&path);
    let mut overlay = files::parse_json(&files::read_to_string(&path, &shown)?, &shown, 0)?;
    let Some(operations) = overlay.get_mut("operations").and_then(Value::as_object_mut) else {
        return Ok(None);
    };
    let dropped: Vec<String> = withdrawn
        .iter()
        .filter(|id| operations.remove(id.as_str()).is_some())
        .cloned()
        .collect();
    Ok((!dropped.is_empty()).then(|| {
        let contents = files::canonical_json(&overlay);
        (files::Output { path, contents }, dropped)
    }))
}

/// What one operation's entry adds: extensions, and responses.
type EntryParts<'a> = (Map<String, Value>, Option<&'a Map<String, Value>>);

/// One operation's entry, as the extensions and responses it adds.
fn overlay_entry<'a>(entry: &'a Map<String, Value>, at: &str) -> Result<EntryParts<'a>, String> {
    let mut extensions = Map::new();
    let mut responses = None;
    for (key, value) in entry {
        match key.as_str() {
            "responses" => {
                responses = Some(value.as_object().ok_or_else(|| {
                    format!("{at}/responses: expected an object keyed by HTTP status")
                })?);
            }
            "retry" => {
                let class = value.as_str().and_then(RetryClass::parse);
                if class.is_none() {
                    return Err(format!(
                        "{at}/retry: expected \"idempotent\" or \"not-idempotent\", found {value}"
                    ));
                }
                extensions.insert(RETRY_EXTENSION.into(), value.clone());
            }
            "moves_money" => {
                if value != &Value::Bool(true) {
                    return Err(format!(
                        "{at}/moves_money: expected true (or no entry), found {value}"
                    ));
                }
                extensions.insert(MOVES_MONEY_EXTENSION.into(), value.clone());
            }
            "idempotency_key" => {
                if value.as_str().is_none_or(|field| field.trim().is_empty()) {
                    return Err(format!(
                        "{at}/idempotency_key: expected the name of the request body's key field, found {value}"
                    ));
                }
                extensions.insert(IDEMPOTENCY_KEY_EXTENSION.into(), value.clone());
            }
            "why" if value.as_str().is_some_and(|s| !s.trim().is_empty()) => {}
            "why" => return Err(format!("{at}/why: expected a non-empty string")),
            other => {
                return Err(format!(
                    "{at}/{}: unknown key (expected \"retry\", \"responses\", \"moves_money\", \"idempotency_key\" and \"why\")",
                    escape_pointer(other)
                ));
            }
        }
    }
    if !entry.contains_key("why") {
        return Err(format!(
            "{at}: says what to change but not why (add \"why\": a reviewer must be able to check it)"
        ));
    }
    Ok((extensions, responses))
}
