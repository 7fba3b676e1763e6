//! The API changelog: what changed between the committed merged spec and
//! the new one, each change classed **breaking** or compatible for users of
//! `alternative-payments`, recorded under `## [Unreleased]` in CHANGELOG.md.
//!
//! Written here rather than with Oxide's `drift` (which compares the same
//! `openapiv3` documents) because drift answers another question: whether
//! an old client still works with a new server (wire compatibility). What
//! the changelog must say is what a Rust user's code sees, and the two
//! differ: a response field made required is harmless on the wire but turns
//! `Option<T>` into `T`; a new request field is harmless on the wire but was
//! breaking for struct literals. drift's changes are also worded per JSON
//! path without naming enum values or fields, so each would need re-reading
//! to become a changelog line. The comparison below is over the merged 3.1
//! JSON, and covers what the maintainer's changelog needs: operations,
//! parameters, request and response fields, types, enum values, statuses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::overlay::OVERLAY_EXTENSION;

use crate::spec;

/// What a change means for users of the crates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Breaking,
    Compatible,
}

impl Class {
    fn breaking_if(breaking: bool) -> Self {
        if breaking {
            Self::Breaking
        } else {
            Self::Compatible
        }
    }
}

/// The keep-a-changelog section a change goes under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Added,
    Changed,
    Removed,
}

impl Section {
    fn heading(self) -> &'static str {
        match self {
            Section::Added => "### Added",
            Section::Changed => "### Changed",
            Section::Removed => "### Removed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub section: Section,
    pub class: Class,
    pub text: String,
}

impl fmt::Display for Change {
    /// One changelog bullet (without the `- `).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            Class::Breaking => write!(f, "**breaking**: {}", self.text),
            Class::Compatible => write!(f, "compatible: {}", self.text),
        }
    }
}

/// Where a schema is used: what a user sends, receives, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Request,
    Response,
    Both,
}

impl Use {
    fn field(self) -> &'static str {
        match self {
            Use::Request => "request field",
            Use::Response => "response field",
            Use::Both => "field",
        }
    }

    fn sends(self) -> bool {
        self != Use::Response
    }

    fn receives(self) -> bool {
        self != Use::Request
    }
}

/// Every change from `old` to `new` (merged 3.1 documents), sorted and
/// without repeats.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Changes::default();
    let old_ops = operations(old);
    let new_ops = operations(new);
    for (id, (method, path, op)) in &new_ops {
        if !old_ops.contains_key(id) {
            out.push(
                Section::Added,
                Class::Compatible,
                format!(
                    "operation `{id}` (`{method} {path}`) added{}",
                    overlay_note(op)
                ),
            );
        }
    }
    for (id, (method, path, old_op)) in &old_ops {
        let Some((new_method, new_path, new_op)) = new_ops.get(id) else {
            out.push(
                Section::Removed,
                Class::Breaking,
                format!("operation `{id}` (`{method} {path}`) removed"),
            );
            continue;
        };
        if (method, path) != (new_method, new_path) {
            out.push(
                Section::Changed,
                Class::Breaking,
                format!(
                    "operation `{id}` moved from `{method} {path}` to `{new_method} {new_path}`"
                ),
            );
        }
        let cx = Cx { old, new };
        cx.parameters(id, old_op, new_op, &mut out);
        cx.request_body(id, old_op, new_op, &mut out);
        cx.responses(id, old_op, new_op, &mut out);
    }
    let cx = Cx { old, new };
    let uses = usage(old, new);
    let old_schemas = schemas(old);
    for (name, new_schema) in schemas(new) {
        if let (Some(old_schema), Some(usage)) = (old_schemas.get(&name), uses.get(&name)) {
            cx.schema(
                old_schema,
                new_schema,
                &format!("`{name}`"),
                *usage,
                &mut out,
            );
        }
    }
    let mut changes: Vec<Change> = out.0.into_iter().collect();
    changes.sort();
    changes
}

#[derive(Default)]
struct Changes(BTreeSet<Change>);

impl Changes {
    fn push(&mut self, section: Section, class: Class, text: String) {
        self.0.insert(Change {
            section,
            class,
            text,
        });
    }
}

type Operations<'a> = BTreeMap<String, (String, String, &'a Value)>;

/// ` (its 200 response given by openapi/overlay.json)` for an operation
/// whose responses the overlay supplied, else nothing.
fn overlay_note(op: &Value) -> String {
    let ours: Vec<&String> = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get(OVERLAY_EXTENSION) == Some(&Value::Bool(true)))
        .map(|(status, _)| status)
        .collect();
    match ours.as_slice() {
        [] => String::new(),
        statuses => format!(
            " (its {} response given by openapi/overlay.json, not the provider's page)",
            statuses
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn operations(doc: &Value) -> Operations<'_> {
    spec::operations(doc, "spec")
        .unwrap_or_default()
        .into_iter()
        .map(|op| {
            let json = &doc["paths"][&op.path][&op.method];
            (
                op.operation_id,
                (op.method.to_uppercase(), op.path.clone(), json),
            )
        })
        .collect()
}

fn schemas(doc: &Value) -> BTreeMap<String, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// For each component schema, whether requests, responses or both use it
/// (directly or through other components), in either document.
fn usage(old: &Value, new: &Value) -> BTreeMap<String, Use> {
    let mut uses: BTreeMap<String, Use> = BTreeMap::new();
    for doc in [old, new] {
        for (_, (_, _, op)) in operations(doc) {
            let mut sent = Vec::new();
            for param in op["parameters"].as_array().into_iter().flatten() {
                sent.push(&param["schema"]);
            }
            sent.push(json_schema(&op["requestBody"]));
            let received: Vec<&Value> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, r)| json_schema(r))
                .collect();
            for (roots, usage) in [(sent, Use::Request), (received, Use::Response)] {
                let mut seen = BTreeSet::new();
                for root in roots {
                    collect_refs(doc, root, &mut seen);
                }
                for name in seen {
                    let entry = uses.entry(name).or_insert(usage);
                    if *entry != usage {
                        *entry = Use::Both;
                    }
                }
            }
        }
    }
    uses
}

fn collect_refs(doc: &Value, schema: &Value, seen: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = ref_name(schema)
                && seen.insert(name.to_string())
                && let Some(target) = doc.pointer(&format!(
                    "/components/schemas/{}",
                    spec::escape_pointer(name)
                ))
            {
                collect_refs(doc, target, seen);
            }
            for value in map.values() {
                collect_refs(doc, value, seen);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(doc, v, seen)),
        _ => {}
    }
}

/// The `application/json` schema of a request body or response.
fn json_schema(holder: &Value) -> &Value {
    &holder["content"]["application/json"]["schema"]
}

/// The non-null types a schema allows (3.1 `type` is a string or a list),
/// and whether it allows null.
fn types(schema: &Value) -> (BTreeSet<String>, bool) {
    let mut types: BTreeSet<String> = match &schema["type"] {
        Value::String(t) => [t.clone()].into(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => BTreeSet::new(),
    };
    let nullable = types.remove("null");
    (types, nullable)
}

fn type_name(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return format!("`{name}`");
    }
    let (types, _) = types(schema);
    let mut text = if types.is_empty() {
        "any".to_string()
    } else {
        types.into_iter().collect::<Vec<_>>().join(" | ")
    };
    if let Some(format) = schema["format"].as_str() {
        text = format!("{text} ({format})");
    }
    text
}

struct Cx<'a> {
    old: &'a Value,
    new: &'a Value,
}

impl Cx<'_> {
    fn parameters(&self, id: &str, old_op: &Value, new_op: &Value, out: &mut Changes) {
        let params = |op: &Value, doc: &Value| -> BTreeMap<(String, String), Value> {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| spec::ref_target(doc, p).unwrap_or(p).clone())
                .filter_map(|p| {
                    let key = (
                        p["in"].as_str()?.to_string(),
                        p["name"].as_str()?.to_string(),
                    );
                    Some((key, p))
                })
                .collect()
        };
        let old = params(old_op, self.old);
        let new = params(new_op, self.new);
        let required = |p: &Value| p["required"] == Value::Bool(true);
        for ((place, name), param) in &new {
            let what = format!("{place} parameter `{name}` of `{id}`");
            match old.get(&(place.clone(), name.clone())) {
                None if required(param) => out.push(
                    Section::Added,
                    Class::Breaking,
                    format!("{what} added, required"),
                ),
                None => out.push(
                    Section::Added,
                    Class::Compatible,
                    format!("{what} added (optional)"),
                ),
                Some(before) => {
                    match (required(before), required(param)) {
                        (false, true) => out.push(
                            Section::Changed,
                            Class::Breaking,
                            format!("{what} made required"),
                        ),
                        (true, false) => out.push(
                            Section::Changed,
                            Class::Compatible,
                            format!("{what} made optional"),
                        ),
                        _ => {}
                    }
                    self.schema(
                        &before["schema"],
                        &param["schema"],
                        &what,
                        Use::Request,
                        out,
                    );
                }
            }
        }
        for (place, name) in old.keys() {
            if !new.contains_key(&(place.clone(), name.clone())) {
                out.push(
                    Section::Removed,
                    Class::Breaking,
                    format!("{place} parameter `{name}` of `{id}` removed"),
                );
            }
        }
    }

    fn request_body(&self, id: &str, old_op: &Value, new_op: &Value, out: &mut Changes) {
        let (before, after) = (&old_op["requestBody"], &new_op["requestBody"]);
        let what = format!("request body of `{id}`");
        match (before.is_null(), after.is_null()) {
            (true, false) => {
                let class = Class::breaking_if(after["required"] == Value::Bool(true));
                out.push(Section::Added, class, format!("{what} added"));
            }
            (false, true) => out.push(Section::Removed, Class::Breaking, format!("{what} removed")),
            (false, false) => self.schema(
                json_schema(before),
                json_schema(after),
                &what,
                Use::Request,
                out,
            ),
            (true, true) => {}
        }
    }

    fn responses(&self, id: &str, old_op: &Value, new_op: &Value, out: &mut Changes) {
        let statuses = |op: &Value| -> BTreeMap<String, Value> {
            op["responses"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let (old, new) = (statuses(old_op), statuses(new_op));
        for (status, response) in &new {
            let ours = |r: &Value| r.get(OVERLAY_EXTENSION) == Some(&Value::Bool(true));
            match old.get(status) {
                None => out.push(
                    Section::Added,
                    Class::Compatible,
                    format!(
                        "response status {status} of `{id}` added{}",
                        if ours(response) {
                            " (by openapi/overlay.json, not the provider's page)"
                        } else {
                            ""
                        }
                    ),
                ),
                Some(before) => {
                    if ours(before) != ours(response) {
                        let now = if ours(response) {
                            "now given by openapi/overlay.json (the provider's page no longer says)"
                        } else {
                            "now documented by the provider's page (it was openapi/overlay.json's; what changed follows)"
                        };
                        out.push(
                            Section::Changed,
                            Class::Compatible,
                            format!("the {status} response of `{id}`: {now}"),
                        );
                    }
                    self.schema(
                        json_schema(before),
                        json_schema(response),
                        &format!("the {status} response of `{id}`"),
                        Use::Response,
                        out,
                    )
                }
            }
        }
        for status in old.keys().filter(|s| !new.contains_key(*s)) {
            out.push(
                Section::Removed,
                Class::Breaking,
                format!("response status {status} of `{id}` removed"),
            );
        }
    }

    /// Compares two schemas found at the same place. Named components are
    /// compared once on their own (see [`diff`]), so a `$ref` to the same
    /// name is not followed here.
    fn schema(&self, old: &Value, new: &Value, what: &str, usage: Use, out: &mut Changes) {
        if old.is_null() && new.is_null() {
            return;
        }
        let (old_ref, new_ref) = (ref_name(old), ref_name(new));
        let ((old_types, old_null), (new_types, new_null)) = (types(old), types(new));
        let named = old_ref.is_some() || new_ref.is_some();
        let retyped = if named {
            old_ref != new_ref
        } else {
            old_types != new_types || old["format"] != new["format"]
        };
        if retyped {
            out.push(
                Section::Changed,
                Class::Breaking,
                format!(
                    "type of {what} changed from {} to {}",
                    type_name(old),
                    type_name(new)
                ),
            );
        }
        if retyped || named {
            return;
        }
        match (old_null, new_null) {
            // Sent: accepting null is looser. Received: null may now arrive.
            (false, true) => out.push(
                Section::Changed,
                Class::breaking_if(usage.receives()),
                format!("{what} may now be null"),
            ),
            (true, false) => out.push(
                Section::Changed,
                Class::breaking_if(usage.sends()),
                format!("{what} may no longer be null"),
            ),
            _ => {}
        }
        self.enum_values(old, new, what, out);
        self.properties(old, new, what, usage, out);
        if !old["items"].is_null() || !new["items"].is_null() {
            self.schema(
                &old["items"],
                &new["items"],
                &format!("{what} items"),
                usage,
                out,
            );
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            let (a, b) = (old[key].as_array(), new[key].as_array());
            match (a, b) {
                (Some(a), Some(b)) if a.len() == b.len() => {
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        self.schema(x, y, &format!("{what} ({key} {i})"), usage, out);
                    }
                }
                (None, None) => {}
                _ => out.push(
                    Section::Changed,
                    Class::Breaking,
                    format!("the `{key}` composition of {what} changed"),
                ),
            }
        }
    }

    fn enum_values(&self, old: &Value, new: &Value, what: &str, out: &mut Changes) {
        let values = |s: &Value| -> Vec<String> {
            s["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect()
        };
        let (old_values, new_values) = (values(old), values(new));
        if old_values.is_empty() && new_values.is_empty() {
            return;
        }
        for value in new_values.iter().filter(|v| !old_values.contains(v)) {
            // String enums are open enums: an unknown value already decoded.
            out.push(
                Section::Added,
                Class::Compatible,
                format!("enum {what}: value `{value}` added"),
            );
        }
        for value in old_values.iter().filter(|v| !new_values.contains(v)) {
            out.push(
                Section::Removed,
                Class::Breaking,
                format!("enum {what}: value `{value}` removed"),
            );
        }
    }

    fn properties(&self, old: &Value, new: &Value, what: &str, usage: Use, out: &mut Changes) {
        let props = |s: &Value| -> BTreeMap<String, Value> {
            s["properties"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let required = |s: &Value| -> BTreeSet<String> {
            s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        };
        let (old_props, new_props) = (props(old), props(new));
        let (old_req, new_req) = (required(old), required(new));
        let field = usage.field();
        // The dotted name inside the first backticks: `CustomerReply`, or
        // `CustomerReply.address` for a nested object.
        let name = what.split('`').nth(1).unwrap_or(what);
        for (prop, schema) in &new_props {
            let label = format!("{field} `{name}.{prop}`");
            match old_props.get(prop) {
                None => {
                    let breaking = new_req.contains(prop) && usage.sends();
                    out.push(
                        Section::Added,
                        Class::breaking_if(breaking),
                        if new_req.contains(prop) {
                            format!("{label} added, required")
                        } else {
                            format!("{label} added")
                        },
                    );
                }
                Some(before) => {
                    match (old_req.contains(prop), new_req.contains(prop)) {
                        // Sent: a value must now be given. Received: the
                        // field's type goes from Option<T> to T.
                        (false, true) => out.push(
                            Section::Changed,
                            Class::Breaking,
                            format!("{label} made required"),
                        ),
                        (true, false) => out.push(
                            Section::Changed,
                            Class::breaking_if(usage.receives()),
                            format!("{label} made optional"),
                        ),
                        _ => {}
                    }
                    self.schema(before, schema, &label, usage, out);
                }
            }
        }
        for prop in old_props.keys().filter(|p| !new_props.contains_key(*p)) {
            out.push(
                Section::Removed,
                Class::Breaking,
                format!("{field} `{name}.{prop}` removed"),
            );
        }
    }
}

/// The changelog file with `changes` added under `## [Unreleased]`: each
/// bullet under its section heading (created when missing), once. `shown`
/// names the file in errors; `None` for the text creates a new changelog.
pub fn record(text: Option<&str>, changes: &[Change], shown: &str) -> Result<String, String> {
    let text = text
        .map(|t| t.replace("\r\n", "\n"))
        .unwrap_or_else(|| NEW.to_string());
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let unreleased: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_end().eq_ignore_ascii_case("## [unreleased]")
                || l.trim_end().eq_ignore_ascii_case("## unreleased")
        })
        .map(|(i, _)| i)
        .collect();
    let start = match unreleased.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "{shown}: no `## [Unreleased]` section (keep-a-changelog): add one above the first release, then run `cargo xtask generate` again"
            ));
        }
        [first, second, ..] => {
            return Err(format!(
                "{shown}:{}: a second `## [Unreleased]` section (the first is at line {}): merge them",
                second + 1,
                first + 1
            ));
        }
    };
    let section_end = |lines: &[String]| {
        lines[start + 1..]
            .iter()
            .position(|l| l.starts_with("## "))
            .map_or(lines.len(), |p| start + 1 + p)
    };
    for section in [Section::Added, Section::Changed, Section::Removed] {
        let bullets: Vec<String> = changes
            .iter()
            .filter(|c| c.section == section)
            .map(|c| format!("- {c}"))
            .filter(|b| !lines.contains(b))
            .collect();
        if bullets.is_empty() {
            continue;
        }
        let end = section_end(&lines);
        let heading = lines[start + 1..end]
            .iter()
            .position(|l| l.trim_end() == section.heading())
            .map(|p| start + 1 + p);
        let at = match heading {
            Some(h) => {
                // After the last bullet of this subsection.
                let sub_end = lines[h + 1..end]
                    .iter()
                    .position(|l| l.starts_with('#'))
                    .map_or(end, |p| h + 1 + p);
                let mut at = sub_end;
                while at > h + 1 && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                at
            }
            None => {
                // A new subsection, after those that come before it.
                let mut at = end;
                while at > start + 1 && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                lines.insert(at, String::new());
                lines.insert(at + 1, section.heading().to_string());
                at + 2
            }
        };
        for (i, bullet) in bullets.into_iter().enumerate() {
            lines.insert(at + i, bullet);
        }
    }
    // Keep one blank line before the next release heading.
    let end = section_end(&lines);
    if end < lines.len() && !lines[end - 1].trim().is_empty() {
        lines.insert(end, String::new());
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

const NEW: &str = "# Changelog

All notable changes to the crates of this workspace. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/), and versions follow
[Semantic Versioning](https://semver.org/).

## [Unreleased]
";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Change, Class, Section, diff, record};

    fn change(section: Section, class: Class, text: &str) -> Change {
        Change {
            section,
            class,
            text: text.into(),
        }
    }

    #[test]
    fn record_adds_each_bullet_once_under_its_heading() {
        let existing = "# Changelog\n\n## [Unreleased]\n\n### Added\n- by hand\n\n## [0.1.0] - 2026-01-01\n- first\n";
        let changes = [
            change(Section::Added, Class::Compatible, "operation `a` added"),
            change(Section::Removed, Class::Breaking, "operation `b` removed"),
        ];
        let once = record(Some(existing), &changes, "CHANGELOG.md").expect("records");
        assert_eq!(
            once,
            "# Changelog\n\n## [Unreleased]\n\n### Added\n- by hand\n- compatible: operation `a` added\n\n### Removed\n- **breaking**: operation `b` removed\n\n## [0.1.0] - 2026-01-01\n- first\n"
        );
        let twice = record(Some(&once), &changes, "CHANGELOG.md").expect("records");
        assert_eq!(twice, once, "recording the same changes again adds nothing");
        let new = record(None, &changes[..1], "CHANGELOG.md").expect("creates");
        assert!(
            new.ends_with("## [Unreleased]\n\n### Added\n- compatible: operation `a` added\n"),
            "{new}"
        );
    }

    #[test]
    fn a_changelog_without_one_unreleased_section_is_refused_with_its_place() {
        let changes = [change(Section::Added, Class::Compatible, "x")];
        assert_eq!(
            record(
                Some("# Changelog\n\n## [0.1.0]\n"),
                &changes,
                "CHANGELOG.md"
            )
            .expect_err("no section"),
            "CHANGELOG.md: no `## [Unreleased]` section (keep-a-changelog): add one above the first release, then run `cargo xtask generate` again"
        );
        assert_eq!(
            record(
                Some("# C\n## [Unreleased]\n- a\n## [Unreleased]\n"),
                &changes,
                "CHANGELOG.md"
            )
            .expect_err("two sections"),
            "CHANGELOG.md:4: a second `## [Unreleased]` section (the first is at line 2): merge them"
        );
    }

    #[test]
    fn a_component_used_in_requests_and_responses_is_classed_for_both() {
        let doc = |customer: serde_json::Value| {
            json!({
                "openapi": "3.1.1",
                "paths": { "/c": {
                    "post": { "operationId": "createC",
                        "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/C" } } } },
                        "responses": { "201": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/C" } } } } } }
                } },
                "components": { "schemas": { "C": customer } }
            })
        };
        let old = doc(
            json!({ "type": "object", "properties": { "a": { "type": "string" }, "b": { "type": "string" } } }),
        );
        let new = doc(json!({ "type": "object", "required": ["a"], "properties": {
            "a": { "type": "string" }, "b": { "type": ["string", "null"] }, "c": { "type": "integer" } } }));
        let lines: Vec<String> = diff(&old, &new).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            [
                "compatible: field `C.c` added",
                "**breaking**: field `C.a` made required",
                "**breaking**: field `C.b` may now be null",
            ]
        );
        assert!(diff(&new, &new).is_empty());

        let retyped = doc(json!({ "type": "object", "properties": {
            "a": { "type": "integer" }, "b": { "$ref": "#/components/schemas/Other" } } }));
        let lines: Vec<String> = diff(&old, &retyped).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            [
                "**breaking**: type of field `C.a` changed from string to integer",
                "**breaking**: type of field `C.b` changed from string to `Other`",
            ]
        );
    }
}
