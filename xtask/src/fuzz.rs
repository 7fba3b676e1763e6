//! Fuzzing on stable, inside `cargo test`: the pipeline's parsers get
//! mutated and random input, and must return `Ok` or an error, never panic
//! or recurse without end.
//!
//! Each target first replays its committed corpus (`xtask/fuzz-corpus/
//! <target>/`, one input per file), then searches for 500 ms with
//! [arbtest](https://docs.rs/arbtest). Longer runs, on demand:
//! `ARBTEST_BUDGET_MS=60000 cargo test -p xtask fuzz_` (a minute each). A
//! failure prints a seed; `ARBTEST_SEED=0x... cargo test -p xtask fuzz_<target>`
//! replays it. Once fixed, save the input that broke it into the corpus so
//! it stays fixed. arbtest rather than `cargo fuzz`: it runs on stable in
//! the ordinary test run, where CI sees it.

use std::path::Path;

use alternative_payments_test_support::fuzz;
use arbitrary::{Result, Unstructured};
use serde_json::{Map, Value, json};

use crate::merge::Fragment;
use crate::{changelog, convert, enums, import, merge, table};

/// The committed inputs of `target`.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    fuzz::corpus(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus"),
        target,
    )
}

// Sized so each target tries at least as many inputs as 500 ms did when
// dependencies were built with opt-level 1 (issue #11 builds them at 0).
const DEFAULT_BUDGET_MS: u64 = 1000;

/// Searches with `property` for the time budget after the corpus.
fn search(target: &str, property: impl FnMut(&mut Unstructured<'_>) -> Result<()>) {
    fuzz::search(target, DEFAULT_BUDGET_MS, property)
}

fn committed_spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    serde_json::from_slice(&std::fs::read(path).expect("committed spec")).expect("json")
}

/// Everything `generate` does with a merged spec before progenitor (which
/// runs under a panic guard of its own).
fn check_merged(merged: &Value, committed: &Value) {
    let _ = table::rows(merged);
    let _ = changelog::diff(committed, merged);
    let _ = changelog::diff(merged, committed);
    check_conversion(merged);
}

fn check_conversion(doc: &Value) {
    if let Ok(mut converted) = convert::to_openapi_30(doc)
        && let Ok(open_enums) = enums::hoist_and_collect(&mut converted)
    {
        for open in &open_enums {
            let _ = enums::tokens(open);
        }
        let _ = convert::parse_30(&converted);
    }
}

/// A docs page, through import and merge.
fn check_page(text: &str, committed: &Value) {
    let Ok(fragments) = import::fragments_of_page(text, "fuzz.md") else {
        return;
    };
    let fragments: Vec<Fragment> = fragments
        .into_iter()
        .map(|(id, text)| Fragment {
            doc: serde_json::from_str(&text).expect("the importer writes JSON"),
            shown: id,
        })
        .collect();
    for fragment in &fragments {
        check_conversion(&fragment.doc);
    }
    if let Ok(merged) = merge::merge(&fragments) {
        check_merged(&merged, committed);
    }
}

/// `text` with up to eight edits: cuts, duplicated spans, inserted
/// Markdown and JSON punctuation or random text, truncation.
fn mutate_text(u: &mut Unstructured<'_>, text: &str) -> Result<String> {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..u.int_in_range(0..=8)? {
        let len = bytes.len();
        let at = u.int_in_range(0..=len)?;
        let end = u.int_in_range(at..=len.min(at + 200))?;
        match u.int_in_range(0..=4)? {
            0 => {
                bytes.drain(at..end);
            }
            1 => {
                let span = bytes[at..end].to_vec();
                bytes.splice(at..at, span);
            }
            2 => {
                let piece: &str = u.choose(&[
                    "```",
                    "```json\n",
                    "\n```\n",
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"",
                    ",",
                    ":",
                    "#",
                    "\n",
                    "null",
                    "1e999",
                    "\"$ref\"",
                    "\"operationId\": \"x\"",
                ])?;
                bytes.splice(at..at, piece.bytes());
            }
            3 => {
                let random: String = u.arbitrary()?;
                bytes.splice(at..at, random.into_bytes());
            }
            _ => bytes.truncate(at),
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Component schemas every generated document defines, and `$defs` names
/// (kept apart from them: a clash is refused, which convert.rs tests).
const NAMES: [&str; 3] = ["A", "B", "Customer"];
const DEFS: [&str; 2] = ["D1", "D2"];
const TYPES: [&str; 7] = [
    "string", "integer", "number", "boolean", "object", "array", "null",
];

/// A JSON Schema (3.1 flavoured) with the constructs the conversion handles
/// and references that may form cycles: mostly valid, one node in forty
/// hostile (two `$defs` of one name, (wrong types, absurd bounds, enum values that take every usual
/// catch-all name).
fn schema(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    if u.ratio(1, 40)? {
        return Ok(match u.int_in_range(0..=6)? {
            0 => json!({ "type": "strin" }),
            1 => json!({ "$ref": "#/components/schemas/Nowhere" }),
            2 => value(u)?,
            3 => json!({ "type": "integer", "exclusiveMinimum": value(u)?, "minimum": value(u)? }),
            4 => json!({ "type": "null" }),
            5 => {
                json!({ "$defs": { *u.choose(&DEFS)?: schema(u, 1)? }, "$ref": format!("#/$defs/{}", u.choose(&DEFS)?) })
            }
            _ => {
                json!({ "type": "string", "enum": ["a", "Unknown", "Other", "UnknownValue", "1"] })
            }
        });
    }
    if depth == 0 || u.ratio(1, 3)? {
        return Ok(match u.int_in_range(0..=8)? {
            0 | 1 => json!({ "type": *u.choose(&TYPES[..6])? }),
            2 => json!({ "$ref": format!("#/components/schemas/{}", u.choose(&NAMES)?) }),
            3 | 4 => json!({ "const": value(u)? }),
            5 => {
                json!({ "type": "string", "enum": [u.arbitrary::<String>()?, u.arbitrary::<String>()?] })
            }
            6 => Value::Bool(u.arbitrary()?),
            7 => {
                json!({ "type": [*u.choose(&TYPES[..6])?, "null"], "format": *u.choose(&["date-time", "email", "int64"])? })
            }
            _ => {
                json!({ "type": "number", "exclusiveMinimum": u.arbitrary::<f64>()?, "maximum": u.arbitrary::<i64>()? })
            }
        });
    }
    let mut object = Map::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let key: &str = u.choose(&[
            "type",
            "properties",
            "items",
            "anyOf",
            "oneOf",
            "allOf",
            "nullable",
            "required",
            "additionalProperties",
            "description",
            "examples",
        ])?;
        let entry = match key {
            "properties" => {
                let mut map = Map::new();
                for _ in 0..u.int_in_range(0..=3)? {
                    map.insert(u.choose(&NAMES)?.to_string(), schema(u, depth - 1)?);
                }
                Value::Object(map)
            }
            "items" | "additionalProperties" => schema(u, depth - 1)?,
            "anyOf" | "oneOf" | "allOf" => {
                let mut branches = Vec::new();
                for _ in 0..u.int_in_range(1..=3)? {
                    branches.push(schema(u, depth - 1)?);
                }
                Value::Array(branches)
            }
            "type" => json!(u.choose(&TYPES)?),
            "required" => json!([u.choose(&NAMES)?]),
            "nullable" => json!(u.arbitrary::<bool>()?),
            _ => value(u)?,
        };
        object.insert(key.to_string(), entry);
    }
    Ok(Value::Object(object))
}

/// A small JSON value of any type, absurd numbers included.
fn value(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=6)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<i64>()?),
        3 => json!(u.arbitrary::<f64>()?),
        4 => json!(u.arbitrary::<u64>()?),
        5 => json!([]),
        _ => Value::String(u.arbitrary()?),
    })
}

/// A 3.1 document with random schemas at every place the conversion looks.
fn document(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut schemas = Map::new();
    for name in NAMES {
        schemas.insert(name.to_string(), schema(u, 4)?);
    }
    Ok(json!({
        "openapi": "3.1.1",
        "info": { "title": "fuzz", "version": "1" },
        "paths": { "/x/{id}": { "post": {
            "operationId": *u.choose(&["createX", "listCustomers", "get-x", ""])?,
            "parameters": [
                { "name": "id", "in": "path", "required": true, "schema": schema(u, 2)? },
                { "name": "q", "in": "query", "schema": schema(u, 2)? }
            ],
            "requestBody": { "content": { "application/json": { "schema": schema(u, 3)? } } },
            "responses": {
                "201": { "description": "ok", "content": { "application/json": { "schema": schema(u, 3)? } } },
                "422": { "description": "bad", "content": { "application/json": { "schema": schema(u, 2)? } } }
            }
        } } },
        "components": { "schemas": schemas }
    }))
}

/// Replaces or deletes a node somewhere in `node`, at most `depth` down.
fn mutate_json(u: &mut Unstructured<'_>, node: &mut Value, depth: u32) -> Result<()> {
    let children = match node {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if depth > 0 && children > 0 && u.ratio(4, 5)? {
        let index = u.choose_index(children)?;
        let child = match node {
            Value::Object(map) => map.values_mut().nth(index),
            Value::Array(items) => items.get_mut(index),
            _ => None,
        };
        if let Some(child) = child {
            return mutate_json(u, child, depth - 1);
        }
    }
    match u.int_in_range(0..=2)? {
        0 => *node = schema(u, 2)?,
        1 => *node = value(u)?,
        _ => {
            if let Value::Object(map) = node
                && !map.is_empty()
            {
                let index = u.choose_index(map.len())?;
                let key = map.keys().nth(index).cloned().unwrap_or_default();
                map.remove(&key);
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_importer() {
    let committed = committed_spec();
    // The committed provider page, then the corpus.
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/pages/customers-openapi.md");
    let mut pages = vec![(
        page.display().to_string(),
        std::fs::read(&page).expect("page"),
    )];
    pages.extend(corpus("importer"));
    for (name, page) in &pages {
        eprintln!("corpus: {name}");
        check_page(&String::from_utf8_lossy(page), &committed);
    }
    search("importer", |u| {
        let (_, page) = u.choose(&pages)?;
        let text = mutate_text(u, &String::from_utf8_lossy(page))?;
        check_page(&text, &committed);
        Ok(())
    });
}

#[test]
fn fuzz_conversion() {
    let committed = committed_spec();
    for (name, doc) in corpus("conversion") {
        eprintln!("corpus: {name}");
        let doc: Value = serde_json::from_slice(&doc).expect("corpus documents are JSON");
        check_conversion(&doc);
        check_merged(&doc, &committed);
    }
    search("conversion", |u| {
        let doc = document(u)?;
        check_conversion(&doc);
        check_merged(&doc, &committed);
        Ok(())
    });
}

#[test]
fn fuzz_merge() {
    let committed = committed_spec();
    // Each corpus file is a JSON array of fragments, merged together.
    for (name, bytes) in corpus("merge") {
        eprintln!("corpus: {name}");
        let docs: Vec<Value> = serde_json::from_slice(&bytes).expect("a JSON array");
        let fragments: Vec<Fragment> = docs
            .into_iter()
            .map(|doc| Fragment {
                shown: name.clone(),
                doc,
            })
            .collect();
        if let Ok(merged) = merge::merge(&fragments) {
            check_merged(&merged, &committed);
        }
    }
    // Mutations start from the committed fragments.
    let real = merge::load_fragments(&crate::files::Layout::workspace()).expect("fragments");
    search("merge", |u| {
        let mut fragments = Vec::new();
        for _ in 0..u.int_in_range(1..=real.len() + 2)? {
            let base = u.choose(&real)?;
            let mut doc = base.doc.clone();
            for _ in 0..u.int_in_range(0..=3)? {
                mutate_json(u, &mut doc, 8)?;
            }
            fragments.push(Fragment {
                shown: base.shown.clone(),
                doc,
            });
        }
        if let Ok(merged) = merge::merge(&fragments) {
            // Every operation of the inputs is in the output.
            for fragment in &fragments {
                for path in fragment.doc["paths"].as_object().into_iter().flatten() {
                    for (method, operation) in path.1.as_object().into_iter().flatten() {
                        if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                            let kept = &merged["paths"][path.0][method]["operationId"];
                            assert_eq!(kept.as_str(), Some(id), "{} {method}", path.0);
                        }
                    }
                }
            }
            check_merged(&merged, &committed);
        }
        Ok(())
    });
}
