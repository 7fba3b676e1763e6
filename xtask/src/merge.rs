//! Fragments → one OpenAPI 3.1 document (`openapi/openapi.json`).
//!
//! The merge is a union: paths and operations from every fragment, and
//! components of every kind, where identical duplicates collapse to one.
//! Anything that would need a choice between two fragments is an error that
//! names both files and the JSON pointer of the disagreement.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::files::{self, Layout};
use crate::spec::{self, escape_pointer};

/// A parsed fragment and the name it is shown by in messages.
pub struct Fragment {
    pub shown: String,
    pub doc: Value,
}

/// Reads every `*.json` in the fragments folder, in file-name order.
pub fn load_fragments(layout: &Layout) -> Result<Vec<Fragment>, String> {
    let dir = layout.fragments_dir();
    let shown_dir = layout.display(&dir);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "cannot read {shown_dir}: {e}\n  import a docs page first: cargo xtask import <page.md>"
        )
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {shown_dir}: {e}"))?
            .path();
        if path.extension().is_some_and(|ext| ext == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(format!(
            "no fragments in {shown_dir}\n  import a docs page first: cargo xtask import <page.md>"
        ));
    }
    paths
        .iter()
        .map(|path| {
            let shown = layout.display(path);
            let text = files::read_to_string(path, &shown)?;
            let doc = files::parse_json(&text, &shown, 0)?;
            Ok(Fragment { shown, doc })
        })
        .collect()
}

pub fn merge(fragments: &[Fragment]) -> Result<Value, String> {
    let mut merged = Map::new();
    // JSON pointer → the fragment that first put something there.
    let mut origin: BTreeMap<String, &str> = BTreeMap::new();
    let mut operation_ids: BTreeMap<String, (&str, String)> = BTreeMap::new();

    for fragment in fragments {
        let file = fragment.shown.as_str();
        for op in spec::operations(&fragment.doc, file)? {
            let pointer = op.pointer();
            if let Some((other, other_pointer)) =
                operation_ids.insert(op.operation_id.clone(), (file, pointer.clone()))
            {
                return Err(format!(
                    "conflicting fragments: duplicate operationId {:?}\n  {other} at {other_pointer}\n  {file} at {pointer}",
                    op.operation_id
                ));
            }
        }
        let doc = fragment
            .doc
            .as_object()
            .expect("checked by spec::operations");
        for (key, value) in doc {
            match key.as_str() {
                "paths" => merge_paths(&mut merged, value, file, &mut origin)?,
                "components" => merge_components(&mut merged, value, file, &mut origin)?,
                "tags" => merge_tags(&mut merged, value, file, &mut origin)?,
                _ => {}
            }
        }
    }

    // Document-level fields (openapi, info, servers, security, ...) describe
    // the whole API, so every fragment must say the same, absence included.
    let shared_keys: BTreeSet<&String> = fragments
        .iter()
        .flat_map(|f| f.doc.as_object().into_iter().flat_map(|o| o.keys()))
        .filter(|k| !matches!(k.as_str(), "paths" | "components" | "tags"))
        .collect();
    let first = &fragments[0];
    for key in shared_keys {
        let expected = first.doc.get(key.as_str());
        for fragment in &fragments[1..] {
            if fragment.doc.get(key.as_str()) != expected {
                return Err(conflict(
                    &format!("/{}", escape_pointer(key)),
                    "differs",
                    &first.shown,
                    &fragment.shown,
                ));
            }
        }
        if let Some(value) = expected {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(files::sorted(&Value::Object(merged)))
}

fn conflict(pointer: &str, what: &str, first: &str, second: &str) -> String {
    format!("conflicting fragments: {pointer} {what}\n  {first}\n  {second}")
}

/// Inserts `value` at `container[key]`, or checks it equals what is there.
fn union_insert<'a>(
    container: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    pointer: String,
    duplicate_error: Option<&str>,
    file: &'a str,
    origin: &mut BTreeMap<String, &'a str>,
) -> Result<(), String> {
    match container.get(key) {
        None => {
            container.insert(key.to_string(), value.clone());
            origin.insert(pointer, file);
            Ok(())
        }
        Some(existing) => {
            let first = origin.get(&pointer).copied().unwrap_or("?");
            if let Some(what) = duplicate_error {
                Err(conflict(&pointer, what, first, file))
            } else if existing != value {
                Err(conflict(&pointer, "differs", first, file))
            } else {
                Ok(())
            }
        }
    }
}

fn object_at<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}

fn merge_paths<'a>(
    merged: &mut Map<String, Value>,
    paths: &Value,
    file: &'a str,
    origin: &mut BTreeMap<String, &'a str>,
) -> Result<(), String> {
    let paths = paths.as_object().expect("checked by spec::operations");
    for (path, item) in paths {
        let item = item.as_object().expect("checked by spec::operations");
        let target = object_at(object_at(merged, "paths"), path);
        for (key, value) in item {
            let pointer = format!("/paths/{}/{}", escape_pointer(path), escape_pointer(key));
            let is_operation = spec::METHODS.contains(&key.as_str());
            let twice = is_operation.then_some("is defined twice");
            union_insert(target, key, value, pointer, twice, file, origin)?;
        }
    }
    Ok(())
}

fn merge_components<'a>(
    merged: &mut Map<String, Value>,
    components: &Value,
    file: &'a str,
    origin: &mut BTreeMap<String, &'a str>,
) -> Result<(), String> {
    let components = components
        .as_object()
        .ok_or_else(|| format!("{file}: /components is not an object"))?;
    for (kind, entries) in components {
        let entries = entries
            .as_object()
            .ok_or_else(|| format!("{file}: /components/{kind} is not an object"))?;
        let target = object_at(object_at(merged, "components"), kind);
        for (name, value) in entries {
            let pointer = format!(
                "/components/{}/{}",
                escape_pointer(kind),
                escape_pointer(name)
            );
            union_insert(target, name, value, pointer, None, file, origin)?;
        }
    }
    Ok(())
}

fn merge_tags<'a>(
    merged: &mut Map<String, Value>,
    tags: &Value,
    file: &'a str,
    origin: &mut BTreeMap<String, &'a str>,
) -> Result<(), String> {
    let tags = tags
        .as_array()
        .ok_or_else(|| format!("{file}: /tags is not an array"))?;
    // Tags are a list keyed by name; merge them as a map, write them sorted.
    let mut by_name: Map<String, Value> = merged
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t.get("name")?.as_str()?.to_string(), t.clone())))
        .collect();
    for (index, tag) in tags.iter().enumerate() {
        let name = tag
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{file}: /tags/{index} has no name"))?;
        let pointer = format!("/tags/{}", escape_pointer(name));
        union_insert(&mut by_name, name, tag, pointer, None, file, origin)?;
    }
    let mut sorted: Vec<_> = by_name.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    merged.insert(
        "tags".into(),
        Value::Array(sorted.into_iter().map(|(_, v)| v).collect()),
    );
    Ok(())
}

/// Every inline JSON request body becomes a named component schema,
/// `{OperationId}Body` (the name progenitor would give it), and every
/// inline success body with properties `{OperationId}Response`, so that
/// `openapi/overlay.json` can give it an SDK name (`NewPayment`) and the
/// models code treats it like any model. A name already taken by a
/// different schema is an error naming both places.
pub fn name_request_bodies(merged: &mut Value) -> Result<(), String> {
    use heck::ToUpperCamelCase;
    let mut moved = Vec::new();
    let mut sites = Vec::new();
    for op in spec::operations(merged, "the merged spec")? {
        let operation = op.operation_id.to_upper_camel_case();
        sites.push((
            format!(
                "{}/requestBody/content/application~1json/schema",
                op.pointer()
            ),
            format!("{operation}Body"),
        ));
        // A success's inline body too (listWebhookEvents' page).
        let statuses: Vec<String> = merged
            .pointer(&format!("{}/responses", op.pointer()))
            .and_then(Value::as_object)
            .map(|r| r.keys().filter(|s| s.starts_with('2')).cloned().collect())
            .unwrap_or_default();
        for status in statuses {
            sites.push((
                format!(
                    "{}/responses/{status}/content/application~1json/schema",
                    op.pointer()
                ),
                format!("{operation}Response"),
            ));
        }
    }
    for (pointer, name) in sites {
        let Some(schema) = merged.pointer_mut(&pointer) else {
            continue;
        };
        if schema.get("$ref").is_some()
            || schema.get("type").and_then(Value::as_str) != Some("object")
            || schema.get("properties").is_none()
        {
            continue;
        }
        let inline = std::mem::replace(
            schema,
            serde_json::json!({ "$ref": format!("#/components/schemas/{}", spec::escape_pointer(&name)) }),
        );
        moved.push(spec::MovedSchema {
            from: pointer,
            name,
            schema: inline,
        });
    }
    // An inline schema inside a body that is a component's, word for word
    // (a new invoice's line items are `InvoiceLineItem`s), is that
    // component: one type for users instead of two of the same shape.
    let components = merged
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for body in &mut moved {
        reuse_components(&mut body.schema, &components, true);
    }
    spec::add_component_schemas(merged, moved, |m| {
        format!(
            "{}: the request body would be named {:?}, which another schema of the spec already is",
            m.from, m.name
        )
    })
}

/// Replaces each inline object schema under `schema` (not `schema` itself
/// when `top`) that equals a component schema with a `$ref` to it.
fn reuse_components(schema: &mut Value, components: &Map<String, Value>, top: bool) {
    if !top
        && schema.get("type").and_then(Value::as_str) == Some("object")
        && let Some((name, _)) = components.iter().find(|(_, c)| *c == schema)
    {
        *schema = serde_json::json!({ "$ref": format!("#/components/schemas/{}", spec::escape_pointer(name)) });
        return;
    }
    match schema {
        Value::Object(map) => {
            for value in map.values_mut() {
                reuse_components(value, components, false);
            }
        }
        Value::Array(items) => {
            for value in items {
                reuse_components(value, components, false);
            }
        }
        _ => {}
    }
}
