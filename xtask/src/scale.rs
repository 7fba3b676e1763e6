//! `cargo xtask scale [--build] [--write]`: what the pipeline and users pay
//! at the provider's size. The committed spec (one resource, 10
//! operations) is extended with 8 synthetic resources of 8 operations each
//! (list with filters and cursors, create, get, update, delete, an action, a
//! paginated sub-list and its item), 74 operations in all, and measured
//! against the committed spec in the same run:
//!
//! - `generate`'s in-memory work (merge result to every generated file),
//!   interleaved rounds, median;
//! - lines of the generated client per operation;
//! - with `--build`: the raw crate's own compile (`cargo build --release`
//!   with its dependencies built, alternating), and a minimal
//!   application's cold release build against the reqwest + serde_json
//!   floor (`scripts/user-build --time`, pointed at a scratch workspace
//!   holding the synthetic generated code), with all resources and with
//!   one. Minutes.
//!
//! `--write` puts the figures in `docs/scale.md`. Everything is built under
//! `target/scale/`, never in the workspace's own files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use heck::{ToKebabCase, ToUpperCamelCase};
use serde_json::{Map, Value, json};

use crate::files::{self, Layout};
use crate::{codegen, table};

/// The synthetic resources: tags as a provider's pages would give them,
/// none of the API's own (they would clash with its imported pages).
const RESOURCES: [&str; 8] = [
    "Quotes",
    "Credit Notes",
    "Disputes",
    "Subscriptions",
    "Coupons",
    "Tax Rates",
    "Shipments",
    "Statements",
];

/// Rounds of the in-memory generate, each of both specs.
const GENERATE_ROUNDS: usize = 5;

pub fn run(layout: &Layout, build: bool, write: bool) -> Result<(), String> {
    let committed = committed_spec(layout)?;
    let scaled = synthetic_spec(&committed);
    let specs = [("committed", &committed), ("synthetic", &scaled)];
    let mut report = Report::default();

    // Generate, interleaved.
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut outputs = Vec::new();
    for round in 0..GENERATE_ROUNDS {
        for (i, (_, spec)) in specs.iter().enumerate() {
            let started = Instant::now();
            let rows = table::rows(spec)?;
            let generated = codegen::outputs(layout, spec, &rows)?;
            times[i].push(started.elapsed());
            if round == 0 {
                outputs.push((rows.len(), generated));
            }
        }
    }
    for (i, (name, _)) in specs.iter().enumerate() {
        let (operations, generated) = &outputs[i];
        let code = generated
            .iter()
            .find(|o| o.path == layout.generated_rs())
            .ok_or("generate wrote no generated.rs")?;
        report.rows.push(Row {
            spec: name,
            operations: *operations,
            generate: median(&mut times[i]),
            lines: code.contents.lines().count(),
            raw_compile: Vec::new(),
        });
    }
    report.print_generate();

    if build {
        let scratch = target_dir(layout).join("scale");
        let workspace = scratch.join("workspace");
        write_scratch_workspace(layout, &workspace, &outputs[1].1)?;
        for round in 1..=2 {
            for (i, root) in [layout.root.as_path(), workspace.as_path()]
                .iter()
                .enumerate()
            {
                let time = raw_crate_compile(root, &scratch.join("target"))?;
                println!(
                    "round {round}: {} raw crate compile {:.1} s",
                    report.rows[i].spec,
                    time.as_secs_f64()
                );
                report.rows[i].raw_compile.push(time);
            }
        }
        report.user_build = Some(user_build(layout, &workspace)?);
    }
    if write {
        let path = layout.root.join("docs/scale.md");
        files::write_atomic(&path, &report.markdown(build))
            .map_err(|e| format!("cannot write {}: {e}", layout.display(&path)))?;
        println!("wrote {}", layout.display(&path));
    }
    Ok(())
}

fn committed_spec(layout: &Layout) -> Result<Value, String> {
    let path = layout.merged_spec();
    let shown = layout.display(&path);
    files::parse_json(&files::read_to_string(&path, &shown)?, &shown, 0)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// `committed` with the synthetic resources added.
pub fn synthetic_spec(committed: &Value) -> Value {
    let mut spec = committed.clone();
    for tag in RESOURCES {
        add_resource(&mut spec, tag);
    }
    files::sorted(&spec)
}

/// One synthetic resource of eight operations: `tag` "Credit Notes" gives `/credit-notes`,
/// `CreditNote`, `listCreditNotes`, ...
fn add_resource(spec: &mut Value, tag: &str) {
    let plural = tag.to_upper_camel_case();
    let singular = plural.strip_suffix('s').unwrap_or(&plural).to_string();
    let path = format!("/{}", tag.to_kebab_case());
    let status = format!("{singular}Status");
    let event = format!("{singular}Event");
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let error = || json!({ "description": "error", "content": { "application/json": { "schema": schema("HttpError") } } });
    let reply = |name: &str, code: &str| {
        let mut responses = Map::new();
        responses.insert(code.into(), json!({ "description": "ok", "content": { "application/json": { "schema": schema(name) } } }));
        for status in ["400", "404", "422"] {
            responses.insert(status.into(), error());
        }
        Value::Object(responses)
    };
    let query = |name: &str, kind: &str| json!({ "in": "query", "name": name, "required": false, "schema": { "type": kind } });
    let id = |name: &str| json!({ "in": "path", "name": name, "required": true, "schema": { "type": "string" } });
    let page_params = || {
        vec![
            query("limit", "integer"),
            query("after", "string"),
            query("before", "string"),
        ]
    };
    let body = |name: &str| json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } });
    let op = |id: String,
              summary: String,
              params: Vec<Value>,
              body: Option<Value>,
              responses: Value| {
        let mut op = json!({ "operationId": id, "summary": summary, "tags": [tag], "parameters": params, "responses": responses });
        if let Some(body) = body {
            op["requestBody"] = body;
        }
        op
    };
    let mut list_params = page_params();
    list_params.extend([
        query("created_at_start", "string"),
        query("created_at_end", "string"),
        json!({ "in": "query", "name": "status", "required": false, "schema": schema(&status) }),
    ]);
    let paths = spec["paths"].as_object_mut().expect("paths");
    paths.insert(path.clone(), json!({
        "get": op(format!("list{plural}"), format!("List {tag}"), list_params, None, reply(&format!("Paginated{plural}"), "200")),
        "post": op(format!("create{singular}"), format!("Create a {singular}"), vec![], Some(body(&format!("Create{singular}Input"))), reply(&singular, "201")),
    }));
    paths.insert(format!("{path}/{{id}}"), json!({
        "get": op(format!("get{singular}"), format!("Get a {singular}"), vec![id("id")], None, reply(&singular, "200")),
        "patch": op(format!("update{singular}"), format!("Update a {singular}"), vec![id("id")], Some(body(&format!("Patch{singular}Request"))), reply(&singular, "200")),
        "delete": op(format!("delete{singular}"), format!("Delete a {singular}"), vec![id("id")], None, reply(&singular, "200")),
    }));
    paths.insert(format!("{path}/{{id}}/cancel"), json!({
        "post": op(format!("cancel{singular}"), format!("Cancel a {singular}"), vec![id("id")], None, reply(&singular, "200")),
    }));
    let mut events_params = vec![id("id")];
    events_params.extend(page_params());
    paths.insert(format!("{path}/{{id}}/events"), json!({
        "get": op(format!("list{singular}Events"), format!("List a {singular}'s events"), events_params, None, reply(&format!("Paginated{event}s"), "200")),
    }));
    paths.insert(format!("{path}/{{id}}/events/{{event_id}}"), json!({
        "get": op(format!("get{singular}Event"), format!("Get a {singular}'s event"), vec![id("id"), id("event_id")], None, reply(&event, "200")),
    }));

    let string = || json!({ "type": "string" });
    let fields = |extra: &[(&str, Value)]| {
        let mut properties = Map::new();
        for name in [
            "description",
            "currency",
            "customer_id",
            "reference",
            "external_id",
            "memo",
        ] {
            properties.insert(name.into(), string());
        }
        properties.insert(
            "amount".into(),
            json!({ "type": "integer", "format": "int64", "minimum": 0 }),
        );
        properties.insert(
            "metadata".into(),
            json!({ "type": "object", "additionalProperties": { "type": "string" } }),
        );
        for (name, value) in extra {
            properties.insert((*name).into(), value.clone());
        }
        json!({ "type": "object", "properties": properties })
    };
    let page = |item: &str| {
        json!({ "type": "object", "properties": {
        "data": { "type": "array", "items": schema(item) },
        "has_next_page": { "type": "boolean" }, "has_previous_page": { "type": "boolean" },
        "start_cursor": { "type": "string" }, "end_cursor": { "type": "string" } } })
    };
    let schemas = spec["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    schemas.insert(status.clone(), json!({ "type": "string", "enum": ["pending", "active", "succeeded", "failed", "cancelled"] }));
    schemas.insert(
        singular.clone(),
        fields(&[
            ("id", string()),
            (
                "created_at",
                json!({ "type": "string", "format": "date-time" }),
            ),
            ("status", schema(&status)),
        ]),
    );
    let mut create = fields(&[]);
    create["required"] = json!(["amount", "currency"]);
    schemas.insert(format!("Create{singular}Input"), create);
    schemas.insert(format!("Patch{singular}Request"), fields(&[]));
    schemas.insert(
        event.clone(),
        json!({ "type": "object", "properties": {
        "id": string(), "type": string(), "created_at": string(), "data": { "type": "object" } } }),
    );
    schemas.insert(format!("Paginated{plural}"), page(&singular));
    schemas.insert(format!("Paginated{event}s"), page(&event));
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, or `target/`).
fn target_dir(layout: &Layout) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| layout.root.join("target"))
}

/// A workspace of the crates users build (SDK and raw crate, with the
/// workspace's manifest sections and lock) with the synthetic generated
/// client and table.
fn write_scratch_workspace(
    layout: &Layout,
    workspace: &Path,
    outputs: &[files::Output],
) -> Result<(), String> {
    if workspace.exists() {
        std::fs::remove_dir_all(workspace)
            .map_err(|e| format!("cannot clean {}: {e}", workspace.display()))?;
    }
    let copy = |from: &Path, to: &Path| -> Result<(), String> {
        files::copy_tree(from, to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
    };
    // Every crate, for the path dependencies the two manifests name (the
    // mock, a dev-dependency, is never built here).
    copy(&layout.root.join("crates"), &workspace.join("crates"))?;
    let manifest = format!(
        "[workspace]\nresolver = \"3\"\nmembers = [\"crates/alternative-payments\", \"crates/alternative-payments-raw\"]\n\n{}",
        workspace_sections(layout)?
    );
    std::fs::write(workspace.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::copy(layout.root.join("Cargo.lock"), workspace.join("Cargo.lock"))
        .map_err(|e| e.to_string())?;
    let scratch = Layout {
        root: workspace.to_path_buf(),
    };
    let [raw_table, _] = scratch.operation_tables();
    for output in outputs {
        let relative = output
            .path
            .strip_prefix(&layout.root)
            .map_err(|e| e.to_string())?;
        let to = workspace.join(relative);
        let manifest = scratch.resource_manifests().iter().any(|(m, _)| *m == to);
        if to == scratch.generated_rs() || to == raw_table || manifest {
            std::fs::write(&to, &output.contents).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The root manifest's `[workspace.*]` tables and profiles, which the
/// crates inherit from.
fn workspace_sections(layout: &Layout) -> Result<String, String> {
    let path = layout.root.join("Cargo.toml");
    let text = files::read_to_string(&path, "Cargo.toml")?;
    let start = text
        .find("[workspace.package]")
        .ok_or("Cargo.toml has no [workspace.package]")?;
    Ok(text[start..].to_string())
}

/// The raw crate's own release compile in the workspace at `root`, its
/// dependencies already built (the first call builds them, untimed).
fn raw_crate_compile(root: &Path, target: &Path) -> Result<Duration, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new(&cargo)
            .args(args)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", target)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "cargo {} in {} failed:\n{}",
                args.join(" "),
                root.display(),
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(4000)
                    .collect::<String>()
            ))
        }
    };
    run(&[
        "build",
        "-q",
        "--release",
        "--offline",
        "-p",
        "alternative-payments-raw",
    ])?;
    run(&["clean", "-q", "--release", "-p", "alternative-payments-raw"])?;
    let started = Instant::now();
    run(&[
        "build",
        "-q",
        "--release",
        "--offline",
        "-p",
        "alternative-payments-raw",
    ])?;
    Ok(started.elapsed())
}

/// `scripts/user-build --time` for the SDK of `workspace`: its output lines.
fn user_build(layout: &Layout, workspace: &Path) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(layout.root.join("scripts/user-build"))
        .arg("--time")
        .env(
            "USER_BUILD_SDK",
            workspace.join("crates/alternative-payments"),
        )
        // And with one resource of nine: what the per-resource features buy.
        .env("USER_BUILD_SDK_FEATURES", "\"rustls\", \"customers\"")
        .output()
        .map_err(|e| format!("cannot run scripts/user-build: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{text}");
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "scripts/user-build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    user_build: Option<String>,
}

struct Row {
    spec: &'static str,
    operations: usize,
    generate: Duration,
    lines: usize,
    raw_compile: Vec<Duration>,
}

impl Report {
    fn print_generate(&self) {
        for row in &self.rows {
            println!(
                "{}: {} operations, generate {:.0} ms (median of {GENERATE_ROUNDS}), generated.rs {} lines ({} per operation)",
                row.spec,
                row.operations,
                row.generate.as_secs_f64() * 1000.0,
                row.lines,
                row.lines / row.operations.max(1)
            );
        }
        if let [committed, synthetic] = &self.rows[..] {
            println!(
                "synthetic / committed: {:.2}x operations, {:.2}x generate time, {:.2}x lines",
                synthetic.operations as f64 / committed.operations as f64,
                synthetic.generate.as_secs_f64() / committed.generate.as_secs_f64(),
                synthetic.lines as f64 / committed.lines as f64
            );
        }
    }

    fn markdown(&self, build: bool) -> String {
        let mut out = String::from(
            "# Scale\n\nProduced by `cargo xtask scale --build --write` (see `xtask/src/scale.rs`): the\ncommitted spec against a synthetic one with 8 more resources of 8\noperations each, measured in the same run on this machine (2 cores).\nCI runs `cargo xtask scale` (the generate figures) on every push.\n\n| spec | operations | `generate` (median) | generated.rs lines | lines per operation | raw crate release compile |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for row in &self.rows {
            let compile: Vec<String> = row
                .raw_compile
                .iter()
                .map(|t| format!("{:.1} s", t.as_secs_f64()))
                .collect();
            out.push_str(&format!(
                "| {} | {} | {:.0} ms | {} | {} | {} |\n",
                row.spec,
                row.operations,
                row.generate.as_secs_f64() * 1000.0,
                row.lines,
                row.lines / row.operations.max(1),
                if compile.is_empty() {
                    "not measured".into()
                } else {
                    compile.join(", ")
                }
            ));
        }
        if build && let Some(user) = &self.user_build {
            out.push_str("\nA minimal application (`alternative-payments` + `tokio`) built against\nthe synthetic spec's SDK, against the floor (`reqwest` + `serde_json` +\n`tokio`): `scripts/user-build --time`, cold release builds, alternating:\n\n```\n");
            out.push_str(user);
            out.push_str("```\n");
            if let Some((sdk, floor)) = build_means(user, "sdk") {
                out.push_str(&format!(
                    "\nMean cold release build, all nine resources (the default): {sdk:.1} s against the floor's {floor:.1} s, **{:.2}×** (target ≤ 1.10×).\n",
                    sdk / floor
                ));
            }
            if let Some((one, floor)) = build_means(user, "sdk-features") {
                out.push_str(&format!(
                    "With one resource (`default-features = false, features = [\"rustls\", \"customers\"]`): {one:.1} s, **{:.2}×** the floor.\n",
                    one / floor
                ));
            }
        }
        out
    }
}

/// The mean cold build of the `sdk` and `floor` applications from
/// `scripts/user-build --time`'s lines (`round 1: sdk cold release build 83.3 s`).
fn build_means(output: &str, app: &str) -> Option<(f64, f64)> {
    let mean = |name: &str| {
        let times: Vec<f64> = output
            .lines()
            .filter_map(|line| {
                let rest = line.split_once(": ")?.1;
                let rest = rest
                    .strip_prefix(name)?
                    .strip_prefix(" cold release build ")?;
                rest.strip_suffix(" s")?.parse().ok()
            })
            .collect();
        (!times.is_empty()).then(|| times.iter().sum::<f64>() / times.len() as f64)
    };
    Some((mean(app)?, mean("floor")?))
}

#[cfg(test)]
mod tests {
    use super::{build_means, synthetic_spec};

    #[test]
    fn build_means_read_the_script_s_lines() {
        let out = "round 1: floor cold release build 82.2 s\nround 1: sdk cold release build 83.3 s\nround 2: floor cold release build 75.1 s\nround 2: sdk cold release build 85.2 s\n";
        let (sdk, floor) = build_means(out, "sdk").expect("both");
        assert!((sdk - 84.25).abs() < 1e-9 && (floor - 78.65).abs() < 1e-9);
        assert_eq!(build_means(out, "sdk-features"), None);
        assert_eq!(build_means("no builds", "sdk"), None);
    }
    use crate::{codegen, table};

    /// The synthetic spec goes through the whole pipeline: the committed
    /// operations and 8 resources of 8 more, every table row and generated
    /// file.
    #[test]
    fn the_synthetic_spec_generates_eight_resources_of_operations_more() {
        let layout = crate::files::Layout::workspace();
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(layout.merged_spec()).expect("spec"))
                .expect("json");
        let before = table::rows(&committed).expect("rows");
        let resources_before: std::collections::BTreeSet<_> =
            before.iter().map(|r| r.resource.clone()).collect();
        let paged_before = before.iter().filter(|r| r.paginated()).count();
        let spec = synthetic_spec(&committed);
        let rows = table::rows(&spec).expect("rows");
        assert_eq!(rows.len(), before.len() + 8 * 8);
        let resources: std::collections::BTreeSet<_> =
            rows.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources.len(), resources_before.len() + 8, "{resources:?}");
        assert_eq!(
            rows.iter().filter(|r| r.paginated()).count(),
            paged_before + 8 * 2
        );
        let outputs = codegen::outputs(&layout, &spec, &rows).expect("generates");
        let raw_table = &layout.operation_tables()[0];
        let table = outputs
            .iter()
            .find(|o| &o.path == raw_table)
            .expect("table");
        assert!(
            table.contents.contains("pub mod credit_notes"),
            "a module per resource"
        );
        assert!(
            table
                .contents
                .contains("impl super::Paginated for ListCreditNoteEvents")
        );
        let code = outputs
            .iter()
            .find(|o| o.path == layout.generated_rs())
            .expect("client");
        assert!(
            !code.contents.contains("chrono::"),
            "a date-time field is a string, not a type of a crate the raw crate lacks"
        );
    }
}
