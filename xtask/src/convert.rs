//! OpenAPI 3.1 → 3.0, in memory, for progenitor 0.15 (which reads 3.0.x only).
//!
//! Not just the version string: every 3.1 construct a provider page may
//! bring is rewritten to its 3.0 equivalent, and anything without one is an
//! error naming its JSON pointer, so progenitor never sees (or panics on) a
//! document it does not understand.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::spec::{METHODS, MovedSchema, add_component_schemas, escape_pointer};

/// The version progenitor is given.
pub const OPENAPI_30: &str = "3.0.3";

/// JSON Schema 2020-12 keywords with no OpenAPI 3.0 counterpart. Dropping
/// them would silently change what the generated types accept.
const UNSUPPORTED: [&str; 14] = [
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
];

/// Annotations 3.0 does not know and code generation does not need.
const DROPPED: [&str; 6] = [
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "contentMediaType",
    "contentEncoding",
];

/// Keywords that may sit beside a `$ref` and be dropped (3.0 ignores
/// siblings of `$ref`; these do not change what is valid).
const REF_ANNOTATIONS: [&str; 7] = [
    "description",
    "summary",
    "title",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Converts a 3.1 document to 3.0.
pub fn to_openapi_30(doc: &Value) -> Result<Value, String> {
    let mut doc = doc.clone();
    let obj = doc
        .as_object_mut()
        .ok_or("not an OpenAPI document: expected a JSON object")?;
    obj.insert("openapi".into(), OPENAPI_30.into());
    // Neither affects a client: webhooks are requests the API makes, and the
    // dialect is the 3.1 default (anything else is refused by a schema check).
    obj.remove("webhooks");
    obj.remove("jsonSchemaDialect");
    if let Some(info) = obj.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }

    untyped_bodies(&mut doc);
    let defs = hoist_defs(&mut doc)?;
    let schema_names = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    let ctx = Ctx { defs, schema_names };
    for_each_schema(&mut doc, &mut |schema, site| {
        convert_schema(schema, &site.pointer, &ctx)
    })?;
    Ok(doc)
}

/// A response the page documents as JSON without a schema (the provider
/// shows none) answers any JSON: the empty schema, which the generated
/// client decodes as `serde_json::Value`. progenitor would panic on the
/// media type alone. `openapi/overlay.json` can give such a response its
/// schema, with a reason.
fn untyped_bodies(doc: &mut Value) {
    let mut responses: Vec<&mut Value> = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                if METHODS.contains(&method.as_str())
                    && let Some(r) = operation.get_mut("responses")
                {
                    responses.push(r);
                }
            }
        }
    }
    for group in responses {
        for response in group
            .as_object_mut()
            .into_iter()
            .flat_map(|r| r.values_mut())
        {
            let media = response
                .get_mut("content")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|c| c.values_mut());
            for media in media {
                if let Some(media) = media.as_object_mut() {
                    media.entry("schema").or_insert_with(|| json!({}));
                }
            }
        }
    }
}

/// Where a schema sits in a document, for messages and for naming.
pub struct Site {
    pub pointer: String,
    /// A PascalCase-able name for a type made from this schema:
    /// the component name, or operationId plus parameter name.
    pub name_hint: String,
}

/// Calls `f` on every schema a document holds at its top level: component
/// schemas, and the schemas of parameters, headers, request and response
/// bodies (in components and in operations). `f` handles nesting.
pub fn for_each_schema(
    doc: &mut Value,
    f: &mut dyn FnMut(&mut Value, Site) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        for (kind, entries) in components.iter_mut() {
            let Some(entries) = entries.as_object_mut() else {
                continue;
            };
            for (name, entry) in entries.iter_mut() {
                let pointer = format!("/components/{kind}/{}", escape_pointer(name));
                match kind.as_str() {
                    "schemas" => f(
                        entry,
                        Site {
                            pointer,
                            name_hint: name.clone(),
                        },
                    )?,
                    "parameters" | "headers" => holder_schemas(entry, &pointer, name, f)?,
                    "requestBodies" | "responses" => body_schemas(entry, &pointer, name, f)?,
                    _ => {}
                }
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let item_pointer = format!("/paths/{}", escape_pointer(path));
        parameter_schemas(item.get_mut("parameters"), &item_pointer, "", f)?;
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let pointer = format!("{item_pointer}/{method}");
            let op_id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            parameter_schemas(op.get_mut("parameters"), &pointer, &op_id, f)?;
            if let Some(body) = op.get_mut("requestBody") {
                body_schemas(
                    body,
                    &format!("{pointer}/requestBody"),
                    &format!("{op_id}Body"),
                    f,
                )?;
            }
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                for (status, response) in responses.iter_mut() {
                    let pointer = format!("{pointer}/responses/{status}");
                    body_schemas(response, &pointer, &format!("{op_id}Response{status}"), f)?;
                }
            }
        }
    }
    Ok(())
}

fn parameter_schemas(
    params: Option<&mut Value>,
    pointer: &str,
    op_id: &str,
    f: &mut dyn FnMut(&mut Value, Site) -> Result<(), String>,
) -> Result<(), String> {
    let Some(params) = params.and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (index, param) in params.iter_mut().enumerate() {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let hint = format!("{op_id}_{name}");
        holder_schemas(param, &format!("{pointer}/parameters/{index}"), &hint, f)?;
    }
    Ok(())
}

/// A parameter or header: a `schema`, or `content` with schemas.
fn holder_schemas(
    holder: &mut Value,
    pointer: &str,
    hint: &str,
    f: &mut dyn FnMut(&mut Value, Site) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(schema) = holder.get_mut("schema") {
        let site = Site {
            pointer: format!("{pointer}/schema"),
            name_hint: hint.to_string(),
        };
        f(schema, site)?;
    }
    content_schemas(holder, pointer, hint, f)
}

/// A request body or response: `content` and, for responses, `headers`.
fn body_schemas(
    body: &mut Value,
    pointer: &str,
    hint: &str,
    f: &mut dyn FnMut(&mut Value, Site) -> Result<(), String>,
) -> Result<(), String> {
    content_schemas(body, pointer, hint, f)?;
    if let Some(headers) = body.get_mut("headers").and_then(Value::as_object_mut) {
        for (name, header) in headers.iter_mut() {
            let pointer = format!("{pointer}/headers/{}", escape_pointer(name));
            holder_schemas(header, &pointer, &format!("{hint}_{name}"), f)?;
        }
    }
    Ok(())
}

fn content_schemas(
    holder: &mut Value,
    pointer: &str,
    hint: &str,
    f: &mut dyn FnMut(&mut Value, Site) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for (media, entry) in content.iter_mut() {
            if let Some(schema) = entry.get_mut("schema") {
                let pointer = format!("{pointer}/content/{}/schema", escape_pointer(media));
                f(
                    schema,
                    Site {
                        pointer,
                        name_hint: hint.to_string(),
                    },
                )?;
            }
        }
    }
    Ok(())
}

struct Ctx {
    /// `$ref` targets inside `$defs` → the component they were moved to.
    defs: BTreeMap<String, String>,
    /// Names in `components/schemas`, for checking references (progenitor
    /// panics on a dangling one).
    schema_names: BTreeSet<String>,
}

/// Moves every `$defs` entry (3.1) into `components/schemas` (3.0 has no
/// `$defs`) and returns how references to them must be rewritten.
fn hoist_defs(doc: &mut Value) -> Result<BTreeMap<String, String>, String> {
    let mut found: Vec<MovedSchema> = Vec::new();
    for_each_schema(doc, &mut |schema, site| {
        collect_defs(schema, &site.pointer, &mut found);
        Ok(())
    })?;
    let mut renames = BTreeMap::new();
    for entry in &found {
        let target = format!("#/components/schemas/{}", escape_pointer(&entry.name));
        renames.insert(format!("#{}", entry.from), target.clone());
        renames.insert(format!("#/$defs/{}", escape_pointer(&entry.name)), target);
    }
    add_component_schemas(doc, found, |clash| {
        format!(
            "{}: cannot move $defs/{name} to /components/schemas/{name}: a different schema has that name",
            clash.from,
            name = clash.name
        )
    })?;
    Ok(renames)
}

fn collect_defs(schema: &mut Value, pointer: &str, found: &mut Vec<MovedSchema>) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(defs)) = obj.remove("$defs") {
        for (name, mut def) in defs {
            let def_pointer = format!("{pointer}/$defs/{}", escape_pointer(&name));
            collect_defs(&mut def, &def_pointer, found);
            found.push(MovedSchema {
                from: def_pointer,
                name,
                schema: def,
            });
        }
    }
    for (key, child) in obj.iter_mut() {
        let child_pointer = format!("{pointer}/{}", escape_pointer(key));
        match key.as_str() {
            "properties" => {
                for (name, prop) in child.as_object_mut().into_iter().flatten() {
                    collect_defs(
                        prop,
                        &format!("{child_pointer}/{}", escape_pointer(name)),
                        found,
                    );
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                for (i, branch) in child.as_array_mut().into_iter().flatten().enumerate() {
                    collect_defs(branch, &format!("{child_pointer}/{i}"), found);
                }
            }
            "items" | "additionalProperties" | "not" => collect_defs(child, &child_pointer, found),
            _ => {}
        }
    }
}

/// Whether a (3.1) schema accepts only `null`.
fn is_null_schema(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        return false;
    };
    let only_null_type = match obj.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t == "null"),
        _ => false,
    };
    only_null_type
        || obj.get("const") == Some(&Value::Null)
        || obj.get("enum") == Some(&json!([null]))
}

/// String formats generated as `String` (see `convert_schema`).
const STRING_FORMATS: [&str; 4] = ["date-time", "date", "time", "uuid"];

fn convert_schema(schema: &mut Value, pointer: &str, ctx: &Ctx) -> Result<(), String> {
    match schema {
        Value::Bool(true) => {
            *schema = json!({});
            return Ok(());
        }
        Value::Bool(false) => {
            *schema = json!({ "not": {} });
            return Ok(());
        }
        Value::Object(_) => {}
        _ => {
            return Err(format!(
                "{pointer}: a schema must be an object or a boolean"
            ));
        }
    }
    let obj = schema.as_object_mut().expect("matched above");

    if let Some(keyword) = UNSUPPORTED.iter().find(|k| obj.contains_key(**k)) {
        return Err(format!(
            "{pointer}/{keyword}: JSON Schema keyword `{keyword}` has no OpenAPI 3.0 equivalent; cannot generate a client for it"
        ));
    }
    for keyword in DROPPED {
        obj.remove(keyword);
    }
    // typify maps these formats to types of crates the raw crate does not
    // depend on (chrono, uuid): a provider adding one would break its build.
    // The value is read as the string it is on the wire.
    if obj
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| STRING_FORMATS.contains(&f))
    {
        obj.remove("format");
    }
    if let Some(examples) = obj.remove("examples")
        && let Some(first) = examples.as_array().and_then(|e| e.first())
    {
        obj.entry("example").or_insert_with(|| first.clone());
    }
    if let Some(reference) = obj.get_mut("$ref") {
        let Value::String(reference) = reference else {
            return Err(format!("{pointer}/$ref: must be a string"));
        };
        if let Some(target) = ctx.defs.get(reference.as_str()) {
            *reference = target.clone();
        }
        let name = reference
            .strip_prefix("#/components/schemas/")
            .map(|n| n.replace("~1", "/").replace("~0", "~"));
        if !name.is_some_and(|n| ctx.schema_names.contains(&n)) {
            return Err(format!(
                "{pointer}/$ref: {reference:?} does not name a schema in /components/schemas of the merged document"
            ));
        }
    }

    let mut nullable = false;

    // `type: ["string", "null"]` → `type: string, nullable: true`.
    if let Some(Value::Array(types)) = obj.get("type") {
        let mut others: Vec<Value> = Vec::new();
        for t in types {
            match t.as_str() {
                Some("null") => nullable = true,
                Some(_) => others.push(t.clone()),
                None => return Err(format!("{pointer}/type: type names must be strings")),
            }
        }
        match others.len() {
            0 => return Err(only_null(pointer)),
            1 => {
                obj.insert("type".into(), others.remove(0));
            }
            _ => {
                if obj.contains_key("anyOf") {
                    return Err(format!(
                        "{pointer}/type: several types beside anyOf cannot be expressed in OpenAPI 3.0"
                    ));
                }
                obj.remove("type");
                let branches = others.into_iter().map(|t| json!({ "type": t })).collect();
                obj.insert("anyOf".into(), Value::Array(branches));
            }
        }
    } else if obj.get("type").is_some_and(|t| t == "null") {
        return Err(only_null(pointer));
    }

    // `const: x` → `enum: [x]`.
    if let Some(value) = obj.remove("const") {
        if obj.contains_key("enum") {
            return Err(format!("{pointer}: both const and enum; use one"));
        }
        obj.insert("enum".into(), json!([value]));
    }
    // A null among enum values is 3.0's `nullable`.
    if let Some(Value::Array(values)) = obj.get_mut("enum")
        && values.contains(&Value::Null)
    {
        values.retain(|v| !v.is_null());
        nullable = true;
        if values.is_empty() {
            return Err(only_null(pointer));
        }
    }

    // Numeric `exclusiveMinimum: 5` → `minimum: 5, exclusiveMinimum: true`.
    for (exclusive, inclusive, stricter) in [
        ("exclusiveMinimum", "minimum", std::cmp::Ordering::Greater),
        ("exclusiveMaximum", "maximum", std::cmp::Ordering::Less),
    ] {
        match obj.remove(exclusive) {
            None => {}
            Some(Value::Number(bound)) => {
                // With both bounds, 3.1 applies both: keep the stricter.
                let inclusive_wins = obj.get(inclusive).and_then(Value::as_f64).is_some_and(|i| {
                    i.partial_cmp(&bound.as_f64().unwrap_or(f64::NAN)) == Some(stricter)
                });
                if !inclusive_wins {
                    obj.insert(inclusive.into(), Value::Number(bound));
                    obj.insert(exclusive.into(), Value::Bool(true));
                }
            }
            Some(_) => {
                return Err(format!(
                    "{pointer}/{exclusive}: must be a number in OpenAPI 3.1"
                ));
            }
        }
    }

    // Forward compatibility: an object the provider closes today may gain
    // fields tomorrow, and old clients must still decode it.
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
    }

    // `anyOf: [X, {type: null}]` → X made nullable.
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.get_mut(keyword) else {
            continue;
        };
        let before = branches.len();
        branches.retain(|b| !is_null_schema(b));
        if branches.len() == before {
            continue;
        }
        nullable = true;
        match branches.len() {
            0 => return Err(only_null(pointer)),
            1 => {
                let only = branches.remove(0);
                obj.remove(keyword);
                match only {
                    // 3.0 ignores keywords beside `$ref`; allOf carries them.
                    Value::Object(o) if o.contains_key("$ref") => {
                        obj.insert("allOf".into(), json!([o]));
                    }
                    Value::Object(o) => {
                        for (k, v) in o {
                            if obj.contains_key(&k) {
                                return Err(format!(
                                    "{pointer}/{keyword}: `{k}` both in the schema and in its only non-null branch"
                                ));
                            }
                            obj.insert(k, v);
                        }
                    }
                    other => {
                        obj.insert("allOf".into(), json!([other]));
                    }
                }
            }
            _ => {}
        }
    }

    for (key, child) in obj.iter_mut() {
        let child_pointer = format!("{pointer}/{}", escape_pointer(key));
        match key.as_str() {
            "properties" => {
                let props = child
                    .as_object_mut()
                    .ok_or_else(|| format!("{child_pointer}: must be an object"))?;
                for (name, prop) in props.iter_mut() {
                    convert_schema(
                        prop,
                        &format!("{child_pointer}/{}", escape_pointer(name)),
                        ctx,
                    )?;
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                let branches = child
                    .as_array_mut()
                    .ok_or_else(|| format!("{child_pointer}: must be an array"))?;
                for (i, branch) in branches.iter_mut().enumerate() {
                    convert_schema(branch, &format!("{child_pointer}/{i}"), ctx)?;
                }
            }
            "items" if child.is_array() => {
                return Err(format!(
                    "{child_pointer}: tuple-style items have no OpenAPI 3.0 equivalent"
                ));
            }
            "items" | "additionalProperties" | "not" => {
                convert_schema(child, &child_pointer, ctx)?;
            }
            _ => {}
        }
    }

    if nullable {
        obj.insert("nullable".into(), Value::Bool(true));
    }

    // 3.1 allows keywords beside `$ref`; 3.0 ignores them. Annotations can
    // go; anything that constrains or marks nullability moves the reference
    // into an allOf so it still applies.
    if obj.contains_key("$ref") && obj.len() > 1 {
        for keyword in REF_ANNOTATIONS {
            obj.remove(keyword);
        }
        if obj.len() > 1 {
            let reference = obj.remove("$ref").expect("checked above");
            obj.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
    }
    Ok(())
}

fn only_null(pointer: &str) -> String {
    format!("{pointer}: a schema that only allows null cannot be expressed in OpenAPI 3.0")
}

/// Sanity check used before generation: the converted document must parse
/// as a 3.0 document.
pub fn parse_30(doc: &Value) -> Result<openapiv3::OpenAPI, String> {
    serde_json::from_value(doc.clone())
        .map_err(|e| format!("the converted document is not valid OpenAPI 3.0: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::to_openapi_30;

    fn doc_with(schemas: Value) -> Value {
        json!({
            "openapi": "3.1.1",
            "info": { "title": "t", "version": "1", "summary": "3.1 only" },
            "paths": {},
            "components": { "schemas": schemas }
        })
    }

    /// Converts a document whose only component schema is `X`; returns it.
    fn convert(schema: Value) -> Value {
        let schemas = json!({ "X": schema, "Y": { "type": "object" } });
        let out = to_openapi_30(&doc_with(schemas)).expect("converts");
        out["components"]["schemas"]["X"].clone()
    }

    fn convert_err(schema: Value) -> String {
        to_openapi_30(&doc_with(json!({ "X": schema }))).expect_err("must be refused")
    }

    #[test]
    fn formats_needing_crates_the_raw_crate_lacks_are_read_as_strings() {
        for format in ["date-time", "date", "time", "uuid"] {
            let out = convert(json!({ "type": "string", "format": format }));
            assert_eq!(out, json!({ "type": "string" }), "{format}");
        }
        let kept = convert(json!({ "type": "integer", "format": "int64" }));
        assert_eq!(kept["format"], "int64");
    }

    #[test]
    fn version_and_document_level_31_fields() {
        let mut doc = doc_with(json!({}));
        doc["webhooks"] = json!({ "ping": {} });
        doc["jsonSchemaDialect"] = json!("https://spec.openapis.org/oas/3.1/dialect/base");
        let out = to_openapi_30(&doc).expect("converts");
        assert_eq!(out["openapi"], "3.0.3");
        assert!(out.get("webhooks").is_none());
        assert!(out.get("jsonSchemaDialect").is_none());
        assert!(out["info"].get("summary").is_none());
        super::parse_30(&out).expect("progenitor's parser accepts it");
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        assert_eq!(
            convert(json!({ "type": ["integer", "null"], "format": "int64" })),
            json!({ "type": "integer", "format": "int64", "nullable": true })
        );
    }

    #[test]
    fn type_array_with_several_types_becomes_any_of() {
        assert_eq!(
            convert(json!({ "type": ["string", "integer", "null"] })),
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }], "nullable": true })
        );
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_flags() {
        assert_eq!(
            convert(json!({ "type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10 })),
            json!({
                "type": "integer",
                "minimum": 0, "exclusiveMinimum": true,
                "maximum": 10, "exclusiveMaximum": true
            })
        );
    }

    #[test]
    fn exclusive_bound_beside_a_stricter_inclusive_one_is_dropped() {
        assert_eq!(
            convert(json!({ "type": "number", "minimum": 5, "exclusiveMinimum": 1 })),
            json!({ "type": "number", "minimum": 5 })
        );
        assert_eq!(
            convert(json!({ "type": "number", "minimum": 1, "exclusiveMinimum": 5 })),
            json!({ "type": "number", "minimum": 5, "exclusiveMinimum": true })
        );
    }

    #[test]
    fn const_becomes_single_value_enum() {
        assert_eq!(
            convert(json!({ "type": "string", "const": "customer" })),
            json!({ "type": "string", "enum": ["customer"] })
        );
    }

    #[test]
    fn null_in_enum_becomes_nullable() {
        assert_eq!(
            convert(json!({ "type": ["string", "null"], "enum": ["a", "b", null] })),
            json!({ "type": "string", "enum": ["a", "b"], "nullable": true })
        );
    }

    #[test]
    fn boolean_schemas_become_objects() {
        let out = convert(json!({
            "type": "object",
            "properties": { "anything": true, "nothing": false }
        }));
        assert_eq!(out["properties"]["anything"], json!({}));
        assert_eq!(out["properties"]["nothing"], json!({ "not": {} }));
    }

    #[test]
    fn defs_move_to_components_and_references_follow() {
        let out = to_openapi_30(&doc_with(json!({
            "Customer": {
                "type": "object",
                "properties": {
                    "address": { "$ref": "#/components/schemas/Customer/$defs/Address" },
                    "billing": { "$ref": "#/$defs/Address" }
                },
                "$defs": { "Address": { "type": "object", "properties": { "city": { "type": "string" } } } }
            }
        })))
        .expect("converts");
        let schemas = &out["components"]["schemas"];
        assert!(schemas["Customer"].get("$defs").is_none());
        assert_eq!(schemas["Address"]["properties"]["city"]["type"], "string");
        for prop in ["address", "billing"] {
            assert_eq!(
                schemas["Customer"]["properties"][prop],
                json!({ "$ref": "#/components/schemas/Address" })
            );
        }
    }

    #[test]
    fn defs_that_clash_with_a_component_are_refused() {
        let err = to_openapi_30(&doc_with(json!({
            "Address": { "type": "string" },
            "Customer": { "$defs": { "Address": { "type": "integer" } } }
        })))
        .expect_err("clash");
        assert!(
            err.contains("/components/schemas/Customer/$defs/Address"),
            "{err}"
        );
    }

    #[test]
    fn any_of_reference_or_null_becomes_nullable_all_of() {
        assert_eq!(
            convert(json!({ "anyOf": [{ "$ref": "#/components/schemas/Y" }, { "type": "null" }] })),
            json!({ "allOf": [{ "$ref": "#/components/schemas/Y" }], "nullable": true })
        );
    }

    #[test]
    fn one_of_inline_or_null_becomes_the_inline_schema_nullable() {
        assert_eq!(
            convert(
                json!({ "description": "d", "oneOf": [{ "type": "string" }, { "const": null }] })
            ),
            json!({ "description": "d", "type": "string", "nullable": true })
        );
    }

    #[test]
    fn any_of_several_branches_and_null_keeps_the_branches() {
        assert_eq!(
            convert(
                json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }, { "type": "null" }] })
            ),
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }], "nullable": true })
        );
    }

    #[test]
    fn closed_objects_are_opened_for_forward_compatibility() {
        let out = convert(json!({ "type": "object", "additionalProperties": false }));
        assert_eq!(out, json!({ "type": "object" }));
    }

    #[test]
    fn reference_siblings() {
        // Annotations go; constraints keep applying through allOf.
        assert_eq!(
            convert(json!({ "$ref": "#/components/schemas/Y", "description": "why" })),
            json!({ "$ref": "#/components/schemas/Y" })
        );
        assert_eq!(
            convert(json!({ "$ref": "#/components/schemas/Y", "type": ["object", "null"] })),
            json!({ "allOf": [{ "$ref": "#/components/schemas/Y" }], "type": "object", "nullable": true })
        );
    }

    #[test]
    fn references_must_name_an_existing_component_schema() {
        for reference in ["#/components/schemas/Missing", "other.json#/X", "#/paths"] {
            assert_eq!(
                convert_err(
                    json!({ "type": "object", "properties": { "a": { "$ref": reference } } })
                ),
                format!(
                    "/components/schemas/X/properties/a/$ref: {reference:?} does not name a schema in /components/schemas of the merged document"
                )
            );
        }
    }

    #[test]
    fn examples_become_example() {
        assert_eq!(
            convert(json!({ "type": "string", "examples": ["a", "b"], "$comment": "x" })),
            json!({ "type": "string", "example": "a" })
        );
    }

    #[test]
    fn nested_schemas_are_converted() {
        let out = convert(json!({
            "type": "object",
            "properties": {
                "tags": { "type": "array", "items": { "type": ["string", "null"] } },
                "extra": { "type": "object", "additionalProperties": { "const": 1 } }
            }
        }));
        assert_eq!(
            out["properties"]["tags"]["items"],
            json!({ "type": "string", "nullable": true })
        );
        assert_eq!(
            out["properties"]["extra"]["additionalProperties"],
            json!({ "enum": [1] })
        );
    }

    #[test]
    fn schemas_outside_components_are_converted() {
        let doc = json!({
            "openapi": "3.1.1",
            "info": { "title": "t", "version": "1" },
            "paths": { "/x": { "get": {
                "operationId": "getX",
                "parameters": [{ "in": "query", "name": "n", "schema": { "type": ["integer", "null"] } }],
                "responses": { "200": { "description": "ok", "content": { "application/json": {
                    "schema": { "type": "object", "properties": { "v": { "exclusiveMaximum": 3 } } }
                } } } }
            } } }
        });
        let out = to_openapi_30(&doc).expect("converts");
        let op = &out["paths"]["/x"]["get"];
        assert_eq!(
            op["parameters"][0]["schema"],
            json!({ "type": "integer", "nullable": true })
        );
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["v"],
            json!({ "maximum": 3, "exclusiveMaximum": true })
        );
    }

    #[test]
    fn inexpressible_constructs_are_errors_naming_the_pointer() {
        assert_eq!(
            convert_err(json!({ "type": "object", "properties": { "p": { "prefixItems": [] } } })),
            "/components/schemas/X/properties/p/prefixItems: JSON Schema keyword `prefixItems` has no OpenAPI 3.0 equivalent; cannot generate a client for it"
        );
        assert_eq!(
            convert_err(json!({ "type": "null" })),
            "/components/schemas/X: a schema that only allows null cannot be expressed in OpenAPI 3.0"
        );
        assert_eq!(
            convert_err(json!({ "anyOf": [{ "type": "null" }] })),
            "/components/schemas/X: a schema that only allows null cannot be expressed in OpenAPI 3.0"
        );
        assert_eq!(
            convert_err(json!({ "type": "array", "items": [{ "type": "string" }] })),
            "/components/schemas/X/items: tuple-style items have no OpenAPI 3.0 equivalent"
        );
        assert_eq!(
            convert_err(json!({ "exclusiveMinimum": true })),
            "/components/schemas/X/exclusiveMinimum: must be a number in OpenAPI 3.1"
        );
        assert_eq!(
            convert_err(json!(42)),
            "/components/schemas/X: a schema must be an object or a boolean"
        );
    }
}
