//! Facts about OpenAPI documents that import and merge both need.

use serde_json::{Map, Value, json};

/// The HTTP methods an OpenAPI path item can hold operations for.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document, located.
#[derive(Clone, Debug)]
pub struct OperationRef {
    pub path: String,
    pub method: String,
    pub operation_id: String,
}

impl OperationRef {
    pub fn pointer(&self) -> String {
        format!("/paths/{}/{}", escape_pointer(&self.path), self.method)
    }
}

/// What a local `$ref` (`#/components/...`) in `value` points to in `doc`.
pub fn ref_target<'a>(doc: &'a Value, value: &Value) -> Option<&'a Value> {
    let reference = value.get("$ref")?.as_str()?.strip_prefix('#')?;
    doc.pointer(reference)
}

/// RFC 6901 escaping of one JSON pointer segment.
/// The `application/json` schema of a request body or response (either
/// may be a `$ref`), with a `$ref` schema resolved one level.
pub fn json_content_schema<'a>(doc: &'a Value, holder: &'a Value) -> &'a Value {
    let holder = ref_target(doc, holder).unwrap_or(holder);
    let schema = &holder["content"]["application/json"]["schema"];
    ref_target(doc, schema).unwrap_or(schema)
}

pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Checks that `doc` is an OpenAPI 3.1 document and lists its operations.
/// `shown` names the document in errors.
pub fn operations(doc: &Value, shown: &str) -> Result<Vec<OperationRef>, String> {
    let obj = doc
        .as_object()
        .ok_or_else(|| format!("{shown}: not an OpenAPI document: expected a JSON object"))?;
    match obj.get("openapi") {
        Some(Value::String(v)) if is_supported_version(v) => {}
        Some(Value::String(v)) => {
            return Err(format!(
                "{shown}: unsupported OpenAPI version {v:?} at /openapi (expected 3.1.x)"
            ));
        }
        Some(_) => return Err(format!("{shown}: /openapi is not a string")),
        None => {
            return Err(format!(
                "{shown}: not an OpenAPI document: no \"openapi\" version field"
            ));
        }
    }
    let paths = match obj.get("paths") {
        Some(Value::Object(paths)) => paths,
        Some(_) => return Err(format!("{shown}: /paths is not an object")),
        None => return Err(format!("{shown}: not an OpenAPI document: no \"paths\"")),
    };
    let mut ops = Vec::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("{shown}: /paths/{} is not an object", escape_pointer(path)))?;
        for (method, op) in item.iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
            let pointer = format!("/paths/{}/{method}", escape_pointer(path));
            let operation_id = match op.get("operationId") {
                Some(Value::String(id)) if is_valid_operation_id(id) => id.clone(),
                Some(Value::String(id)) => {
                    return Err(format!(
                        "{shown}: operationId {id:?} at {pointer} must be letters, digits and _ only"
                    ));
                }
                _ => return Err(format!("{shown}: missing operationId at {pointer}")),
            };
            ops.push(OperationRef {
                path: path.clone(),
                method: method.clone(),
                operation_id,
            });
        }
    }
    Ok(ops)
}

fn is_supported_version(version: &str) -> bool {
    version
        .strip_prefix("3.1.")
        .is_some_and(|patch| !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()))
}

// operationIds become file names and Rust identifiers: keep them plain.
fn is_valid_operation_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !id.starts_with(|c: char| c.is_ascii_digit())
}

/// A copy of `doc` whose `paths` hold only `op`: one fragment.
pub fn single_operation(doc: &Value, op: &OperationRef) -> Value {
    let mut fragment = doc.clone();
    let item = &doc["paths"][&op.path];
    let mut only: Map<String, Value> = item
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !METHODS.contains(&k.as_str()) || **k == op.method)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    only.retain(|_, v| !v.is_null());
    let mut paths = Map::new();
    paths.insert(op.path.clone(), Value::Object(only));
    fragment["paths"] = Value::Object(paths);
    fragment
}

/// A schema moved out of where it was written, into `components/schemas`.
pub struct MovedSchema {
    /// Where it was written (JSON pointer).
    pub from: String,
    pub name: String,
    pub schema: Value,
}

/// Adds moved schemas to `components/schemas`. A name that already holds
/// the same schema is reused; one holding a different schema is an error,
/// worded by `clash(moved)`.
pub fn add_component_schemas(
    doc: &mut Value,
    moved: Vec<MovedSchema>,
    clash: impl Fn(&MovedSchema) -> String,
) -> Result<(), String> {
    if moved.is_empty() {
        return Ok(());
    }
    let schemas = doc
        .as_object_mut()
        .ok_or("not an OpenAPI document: expected a JSON object")?
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("/components is not an object")?
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("/components/schemas is not an object")?;
    for entry in moved {
        match schemas.get(&entry.name) {
            Some(existing) if *existing != entry.schema => return Err(clash(&entry)),
            _ => {
                schemas.insert(entry.name, entry.schema);
            }
        }
    }
    Ok(())
}
