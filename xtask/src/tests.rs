//! Pipeline tests: what `cargo xtask import` and `generate` do to a
//! workspace tree, run on temporary copies of this one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::files::{self, Layout, Mode};
use crate::import::Withdrawn;
use crate::{codegen, coverage, import, merge, run_generate, run_import, table};

/// The operationIds of the committed spec, sorted (the table's order).
fn committed_operation_ids() -> Vec<String> {
    let text = fs::read_to_string(real().merged_spec()).expect("committed spec");
    let spec: Value = serde_json::from_str(&text).expect("json");
    let rows = table::rows(&spec).expect("rows");
    rows.into_iter().map(|r| r.operation_id).collect()
}

fn real() -> Layout {
    Layout::workspace()
}

fn committed_page() -> PathBuf {
    real().pages_dir().join("customers-openapi.md")
}

/// A temporary workspace holding a copy of this one's openapi/ folder and
/// generated client.
fn temp_workspace() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = workspace_copy(dir.path());
    (dir, layout)
}

/// [`temp_workspace`] at `root`.
fn workspace_copy(root: &Path) -> Layout {
    let layout = Layout {
        root: root.to_path_buf(),
    };
    let real = real();
    for (from, to) in [
        (real.fragments_dir(), layout.fragments_dir()),
        (real.pages_dir(), layout.pages_dir()),
    ] {
        fs::create_dir_all(&to).expect("mkdir");
        for entry in fs::read_dir(from).expect("read dir") {
            let path = entry.expect("entry").path();
            fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let [raw_table, mock_table] = real.operation_tables();
    for path in [
        real.merged_spec(),
        real.generated_rs(),
        real.overlay(),
        real.cli_rs(),
        raw_table,
        mock_table,
    ] {
        let to = layout
            .root
            .join(path.strip_prefix(&real.root).expect("inside"));
        fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        fs::copy(&path, to).expect("copy");
    }
    copy_sources(&layout);
    layout
}

/// Every file under `root` with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, &mut out);
    out
}

fn read_fragment(layout: &Layout, operation_id: &str) -> Value {
    let path = layout.fragments_dir().join(format!("{operation_id}.json"));
    serde_json::from_str(&fs::read_to_string(path).expect("read")).expect("json")
}

fn write_fragment(layout: &Layout, file: &str, value: &Value) {
    let path = layout.fragments_dir().join(file);
    fs::write(path, files::canonical_json(value)).expect("write");
}

#[test]
fn committed_generated_files_are_fresh() {
    // The check CI runs as `cargo xtask generate --check`, as a plain test so
    // `cargo test` catches a forgotten regeneration too.
    if let Err(e) = run_generate(&real(), Mode::Check) {
        panic!("{e}");
    }
}

/// Issue #28: every model, field, accessor and builder setter of the
/// generated client says what it is: no item without a doc, and no doc
/// that only repeats its name ("ein.", "Customer").
#[test]
fn every_model_and_field_of_the_generated_client_has_a_doc_that_is_more_than_its_name() {
    use syn::visit::Visit;
    struct Docs(Vec<String>);
    fn text(attrs: &[syn::Attribute]) -> String {
        attrs
            .iter()
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
    impl Docs {
        fn check(&mut self, what: String, name: &str, attrs: &[syn::Attribute]) {
            let doc = text(attrs);
            let words: Vec<&str> = doc
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .filter(|w| !w.is_empty())
                .collect();
            let only_the_name = words.iter().all(|w| {
                w.eq_ignore_ascii_case(name) || name.to_lowercase().contains(&w.to_lowercase())
            });
            // Two words at least: the provider's own ("Customer information") count.
            if words.len() < 2 || only_the_name {
                self.0.push(format!("{what}: {doc:?}"));
            }
        }
    }
    impl<'ast> Visit<'ast> for Docs {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            let name = s.ident.to_string();
            if matches!(s.vis, syn::Visibility::Public(_)) {
                self.check(format!("struct {name}"), &name, &s.attrs);
                for field in &s.fields {
                    if let (Some(ident), syn::Visibility::Public(_)) = (&field.ident, &field.vis) {
                        self.check(
                            format!("field {name}.{ident}"),
                            &ident.to_string(),
                            &field.attrs,
                        );
                    }
                }
            }
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            if matches!(f.vis, syn::Visibility::Public(_)) {
                let name = f.sig.ident.to_string();
                self.check(format!("fn {name}"), &name, &f.attrs);
            }
        }
    }
    let text = std::fs::read_to_string(real().generated_rs()).expect("generated.rs");
    let file = syn::parse_file(&text).expect("parses");
    let types = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .expect("a types module");
    let mut docs = Docs(Vec::new());
    for item in &types.1 {
        match item {
            // Open enums and id types have their own docs; models and their
            // builders are what a user reads field by field.
            syn::Item::Struct(_) | syn::Item::Impl(_) | syn::Item::Mod(_) => docs.visit_item(item),
            _ => {}
        }
    }
    // typify's own conversions and the open enums' plumbing are not ours to
    // document; what remains must be.
    docs.0.retain(|gap| {
        !gap.starts_with("fn fmt") && !gap.starts_with("fn from") && !gap.starts_with("fn try_from")
    });
    assert!(
        docs.0.is_empty(),
        "{} undocumented or name-only:\n{}",
        docs.0.len(),
        docs.0.join("\n")
    );
}

#[test]
fn importing_the_committed_page_reproduces_the_committed_fragments_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = Layout {
        root: dir.path().to_path_buf(),
    };
    let report = import::import(&layout, &committed_page(), Withdrawn::Delete).expect("imports");
    assert_eq!(report.operations, 10);
    let produced = tree(&layout.fragments_dir());
    let names: Vec<String> = produced
        .keys()
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    // The Customers page's operations: every one of them committed.
    assert_eq!(names.len(), 10);
    let committed = committed_operation_ids();
    assert!(names.iter().all(|n| committed.contains(n)), "{names:?}");
    for (path, bytes) in produced {
        let committed = real().fragments_dir().join(path.file_name().expect("name"));
        assert!(
            fs::read(&committed).expect("committed fragment") == bytes,
            "{} differs from a fresh import",
            committed.display()
        );
    }
}

#[test]
fn reimporting_the_same_page_writes_nothing() {
    let (_dir, layout) = temp_workspace();
    let before = tree(&layout.root);
    let report = import::import(&layout, &committed_page(), Withdrawn::Delete).expect("imports");
    assert!(report.written.is_empty(), "{:?}", report.written);
    assert_eq!(report.unchanged, 11, "10 fragments and the page copy");
    assert!(report.withdrawn.is_empty());
    assert_eq!(tree(&layout.root), before);
}

/// The committed page with `getCustomer`'s description changed and the
/// restore section (heading, quote and json block) dropped.
fn page_without_restore() -> String {
    let page = fs::read_to_string(committed_page()).expect("page");
    let changed = page.replace("Get customer details by ID", "Get one customer by its ID");
    let start = changed.find("## Restore a customer").expect("section");
    let end = start
        + changed[start..]
            .find("## List customer users")
            .expect("next");
    format!("{}{}", &changed[..start], &changed[end..])
}

#[test]
fn import_updates_changed_operations_and_deletes_withdrawn_ones() {
    let (dir, layout) = temp_workspace();
    let page_path = dir.path().join("customers-openapi.md");
    fs::write(&page_path, page_without_restore()).expect("write page");

    let report = import::import(&layout, &page_path, Withdrawn::Delete).expect("imports");
    assert_eq!(report.operations, 9);
    assert_eq!(
        report.written,
        [
            "openapi/fragments/getCustomer.json",
            "openapi/pages/customers-openapi.md",
            "openapi/overlay.json"
        ]
    );
    assert_eq!(report.withdrawn, ["openapi/fragments/restoreCustomer.json"]);
    assert!(!layout.fragments_dir().join("restoreCustomer.json").exists());
    assert_eq!(report.renamed_from, None);
    let get = read_fragment(&layout, "getCustomer");
    assert_eq!(
        get["paths"]["/customers/{id}"]["get"]["description"],
        "Get one customer by its ID"
    );
    // Its overlay entry went with it; the others stay.
    assert_eq!(report.overlay_dropped, ["restoreCustomer"]);
    let overlay = fs::read_to_string(layout.overlay()).expect("overlay");
    let overlay: Value = serde_json::from_str(&overlay).expect("json");
    let entries: Vec<_> = overlay["operations"]
        .as_object()
        .expect("operations")
        .keys()
        .collect();
    assert!(
        entries.contains(&&"updateCustomer".to_string()),
        "{entries:?}"
    );
    assert!(
        !entries.contains(&&"restoreCustomer".to_string()),
        "{entries:?}"
    );
    run_generate(&layout, Mode::Write).expect("generates without the withdrawn operation");
}

#[test]
fn a_kept_withdrawn_operation_keeps_its_overlay_entry() {
    let (dir, layout) = temp_workspace();
    let page_path = dir.path().join("customers-openapi.md");
    fs::write(&page_path, page_without_restore()).expect("write page");
    let before = fs::read_to_string(layout.overlay()).expect("overlay");
    let report = import::import(&layout, &page_path, Withdrawn::Keep).expect("imports");
    assert!(report.overlay_dropped.is_empty());
    assert_eq!(
        fs::read_to_string(layout.overlay()).expect("overlay"),
        before
    );
    run_generate(&layout, Mode::Write).expect("the kept fragment still has its entry");
}

#[test]
fn a_withdrawal_is_found_when_the_page_is_saved_under_another_name() {
    let (dir, layout) = temp_workspace();
    let page_path = dir.path().join("Customers API - v2.md");
    fs::write(&page_path, page_without_restore()).expect("write page");

    let report = import::import(&layout, &page_path, Withdrawn::Delete).expect("imports");
    assert_eq!(report.withdrawn, ["openapi/fragments/restoreCustomer.json"]);
    assert_eq!(
        report.renamed_from.as_deref(),
        Some("openapi/pages/customers-openapi.md")
    );
    let pages: Vec<_> = tree(&layout.pages_dir()).into_keys().collect();
    assert!(
        pages.contains(&layout.pages_dir().join("Customers API - v2.md")),
        "{pages:?}"
    );
    assert!(
        !pages.contains(&layout.pages_dir().join("customers-openapi.md")),
        "{pages:?}"
    );
    assert!(!layout.fragments_dir().join("restoreCustomer.json").exists());
}

#[test]
fn a_kept_withdrawn_fragment_is_named_when_it_breaks_the_merge() {
    let (dir, layout) = temp_workspace();
    // The provider withdraws restore and, on the same page, adds a field to
    // the customer schema every operation shares.
    let page = page_without_restore().replace(
        "\"city\":{\"type\":\"string\"}",
        "\"city\":{\"type\":\"string\"},\"region\":{\"type\":\"string\"}",
    );
    assert_ne!(page, page_without_restore(), "the page has a city field");
    let page_path = dir.path().join("customers-openapi.md");
    fs::write(&page_path, page).expect("write page");
    let report = import::import(&layout, &page_path, Withdrawn::Keep).expect("imports");
    assert!(report.kept_withdrawn);
    assert!(layout.fragments_dir().join("restoreCustomer.json").exists());

    let before = tree(&layout.root);
    let err = run_generate(&layout, Mode::Write).expect_err("the stale fragment conflicts");
    assert!(err.starts_with("conflicting fragments: "), "{err}");
    assert!(
        err.contains("  1 fragment(s) describe operations no imported page has:\n  openapi/fragments/restoreCustomer.json: operation `restoreCustomer` is on no page in openapi/pages/ (withdrawn by the provider?)\n  delete them"),
        "{err}"
    );
    assert!(err.ends_with("nothing was written"), "{err}");
    assert_eq!(tree(&layout.root), before);
}

#[test]
fn check_fails_after_a_hand_edit_of_either_output_and_generate_repairs_it() {
    let (_dir, layout) = temp_workspace();
    run_generate(&layout, Mode::Check).expect("fresh copy");
    for (path, shown) in [
        (
            layout.generated_rs(),
            "crates/alternative-payments-raw/src/generated.rs",
        ),
        (layout.merged_spec(), "openapi/openapi.json"),
        (
            layout.operation_tables()[0].clone(),
            "crates/alternative-payments-raw/src/operations.rs",
        ),
        (
            layout.operation_tables()[1].clone(),
            "crates/alternative-payments-mock/src/operations.rs",
        ),
        (
            layout.cli_rs(),
            "crates/alternative-payments-cli/src/generated.rs",
        ),
    ] {
        let original = fs::read_to_string(&path).expect("read");
        // A checkout with CRLF line endings is not stale.
        fs::write(&path, original.replace('\n', "\r\n")).expect("write");
        run_generate(&layout, Mode::Check).expect("CRLF is not a change");

        fs::write(&path, original.replacen("Customer", "Client", 1)).expect("edit");
        let err = run_generate(&layout, Mode::Check).expect_err("stale");
        assert_eq!(
            err,
            format!(
                "file is out of date: {shown}\n  run `cargo xtask generate` and commit the result"
            )
        );
        run_generate(&layout, Mode::Write).expect("regenerates");
        assert_eq!(fs::read_to_string(&path).expect("read"), original);
    }
}

#[test]
fn check_names_every_stale_file() {
    let (_dir, layout) = temp_workspace();
    fs::remove_file(layout.merged_spec()).expect("rm");
    fs::write(layout.generated_rs(), "").expect("truncate");
    for table in layout.operation_tables() {
        fs::write(table, "").expect("truncate");
    }
    fs::write(layout.cli_rs(), "").expect("truncate");
    let err = run_generate(&layout, Mode::Check).expect_err("stale");
    assert!(
        err.starts_with("files are out of date: openapi/openapi.json, crates/alternative-payments-raw/src/generated.rs, crates/alternative-payments-raw/src/operations.rs, crates/alternative-payments-mock/src/operations.rs, crates/alternative-payments-cli/src/generated.rs\n"),
        "{err}"
    );
    assert!(!layout.merged_spec().exists(), "--check writes nothing");
}

#[test]
fn generated_client_has_every_operation_as_a_builder_method() {
    let code = fs::read_to_string(real().generated_rs()).expect("read");
    assert!(code.starts_with(files::HEADER));
    // (Long signatures are wrapped: compare without whitespace.)
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace(",)", ")");
    for op in committed_operation_ids() {
        let method = heck::ToSnakeCase::to_snake_case(op.as_str());
        assert!(
            code.contains(&format!("pubfn{method}(&self)->builder::")),
            "no builder method for {op}"
        );
    }
}

/// Everything a reviewer wants to see of the merged spec, one line a fact.
fn summary(spec: &Value) -> String {
    let mut out = String::new();
    let info = &spec["info"];
    let _ = writeln!(
        out,
        "openapi {} | {} {}",
        spec["openapi"], info["title"], info["version"]
    );
    let _ = writeln!(out, "servers: {}", spec["servers"]);
    let _ = writeln!(out, "security: {}", spec["security"]);
    for (name, scheme) in spec["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "security scheme {name}: {scheme}");
    }
    let _ = writeln!(out, "\noperations:");
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {} {path}  {}",
                method.to_uppercase(),
                op["operationId"].as_str().unwrap_or("?")
            );
            for p in op["parameters"].as_array().into_iter().flatten() {
                let required = if p["required"] == true {
                    ", required"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    param {} ({}{required}): {}",
                    p["name"], p["in"], p["schema"]
                );
            }
            if let Some(body) = op.get("requestBody") {
                let _ = writeln!(
                    out,
                    "    body: {}",
                    body["content"]["application/json"]["schema"]["$ref"]
                );
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                let _ = writeln!(out, "    {status}: {schema}");
            }
        }
    }
    let _ = writeln!(out, "\nschemas:");
    for (name, schema) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let mut line = format!("  {name}: {}", schema["type"]);
        if let Some(values) = schema.get("enum") {
            let _ = write!(line, " enum {values}");
        }
        for (prop, s) in schema["properties"].as_object().into_iter().flatten() {
            let ty = s.get("$ref").or(s.get("type")).unwrap_or(&Value::Null);
            let _ = write!(line, "\n    {prop}: {ty}");
            if let Some(items) = s.get("items") {
                let _ = write!(line, " of {}", items["$ref"]);
            }
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

#[test]
fn merged_spec_summary() {
    let merged = merge::merge(&merge::load_fragments(&real()).expect("loads")).expect("merges");
    insta::assert_snapshot!(summary(&merged));
}

/// Runs `f` on a temporary workspace prepared by `setup`; it must fail and
/// leave every file as it was. Returns the error.
fn failure(setup: impl FnOnce(&Layout), f: impl FnOnce(&Layout) -> Result<(), String>) -> String {
    let (_dir, layout) = temp_workspace();
    setup(&layout);
    let before = tree(&layout.root);
    let err = f(&layout).expect_err("must fail");
    assert_eq!(
        tree(&layout.root),
        before,
        "a failed run changed files:\n{err}"
    );
    err
}

fn generate_failure(setup: impl FnOnce(&Layout)) -> String {
    failure(setup, |layout| run_generate(layout, Mode::Write))
}

fn import_failure(page: &str) -> String {
    failure(
        |_| {},
        |layout| {
            let path = layout.root.join("page.md");
            fs::write(&path, page).expect("write page");
            let result = run_import(layout, &path, Withdrawn::Delete);
            fs::remove_file(path).expect("rm page");
            result
        },
    )
}

fn with_overlay(text: &'static str) -> impl FnOnce(&Layout) {
    move |layout: &Layout| fs::write(layout.overlay(), text).expect("write overlay")
}

fn with_fragment(operation_id: &str, edit: impl FnOnce(&mut Value)) -> impl FnOnce(&Layout) {
    let operation_id = operation_id.to_string();
    move |layout: &Layout| {
        let mut fragment = read_fragment(layout, &operation_id);
        edit(&mut fragment);
        write_fragment(layout, &format!("{operation_id}.json"), &fragment);
    }
}

fn with_extra_fragment(
    file: &str,
    from: &str,
    edit: impl FnOnce(&mut Value),
) -> impl FnOnce(&Layout) {
    let (file, from) = (file.to_string(), from.to_string());
    move |layout: &Layout| {
        let mut fragment = read_fragment(layout, &from);
        edit(&mut fragment);
        write_fragment(layout, &file, &fragment);
    }
}

fn rename_path(fragment: &mut Value, from: &str, to: &str) {
    let paths = fragment["paths"].as_object_mut().expect("paths");
    let item = paths.remove(from).expect("path");
    paths.insert(to.to_string(), item);
}

#[test]
fn bad_inputs_fail_with_a_located_cause_and_leave_the_tree_untouched() {
    let page = fs::read_to_string(committed_page()).expect("page");
    let get = "/customers/{id}";
    let cases: Vec<(&str, String)> = vec![
        (
            "fragment with invalid JSON",
            generate_failure(|layout| {
                let path = layout.fragments_dir().join("getCustomer.json");
                let text = fs::read_to_string(&path).expect("read");
                fs::write(&path, text.replacen("\"schemas\": {", "\"schemas\" {", 1))
                    .expect("write");
            }),
        ),
        (
            "fragment that is not OpenAPI",
            generate_failure(|layout| {
                write_fragment(layout, "notes.json", &json!({ "hello": "world" }));
            }),
        ),
        (
            "fragment with an unknown openapi version",
            generate_failure(with_fragment("getCustomer", |f| {
                f["openapi"] = json!("2.0");
            })),
        ),
        (
            "no fragments",
            generate_failure(|layout| {
                for entry in fs::read_dir(layout.fragments_dir()).expect("dir") {
                    fs::remove_file(entry.expect("entry").path()).expect("rm");
                }
            }),
        ),
        (
            "same component name, different content",
            generate_failure(with_fragment("getCustomer", |f| {
                f["components"]["schemas"]["CustomerReply"]["properties"]["nickname"] =
                    json!({ "type": "string" });
            })),
        ),
        (
            "same path and method twice",
            generate_failure(with_extra_fragment(
                "getCustomerAgain.json",
                "getCustomer",
                |f| {
                    f["paths"][get]["get"]["operationId"] = json!("getCustomerAgain");
                },
            )),
        ),
        (
            "duplicate operationId",
            generate_failure(with_extra_fragment(
                "getCustomerCopy.json",
                "getCustomer",
                |f| {
                    rename_path(f, get, "/customers/{id}/copy");
                },
            )),
        ),
        (
            "missing operationId",
            generate_failure(with_fragment("getCustomer", |f| {
                f["paths"][get]["get"]
                    .as_object_mut()
                    .expect("op")
                    .remove("operationId");
            })),
        ),
        (
            "differing info",
            generate_failure(with_fragment("getCustomer", |f| {
                f["info"]["version"] = json!("1.2.0");
            })),
        ),
        (
            "differing servers",
            generate_failure(with_fragment("getCustomer", |f| {
                f["servers"][0]["url"] = json!("https://public-api.alternativepayments.io");
            })),
        ),
        (
            "differing security",
            generate_failure(with_fragment("getCustomer", |f| {
                f["security"] = json!([]);
            })),
        ),
        (
            "differing securitySchemes",
            generate_failure(with_fragment("getCustomer", |f| {
                f["components"]["securitySchemes"]["OAuth2ClientCredentials"]["flows"]["clientCredentials"]
                    ["tokenUrl"] = json!("/token");
            })),
        ),
        (
            "a 3.1 construct with no 3.0 equivalent",
            generate_failure(with_fragment("getCustomer", |f| {
                f["components"]["schemas"]["Extra"] =
                    json!({ "type": "array", "prefixItems": [{ "type": "string" }] });
            })),
        ),
        (
            "overlay with invalid JSON",
            generate_failure(with_overlay(
                "{\n  \"operations\": {\n    \"getCustomer\": { \"retry\" \"idempotent\" }\n  }\n}\n",
            )),
        ),
        (
            "overlay naming an unknown operation",
            generate_failure(with_overlay(
                r#"{ "operations": { "getCustomers": { "retry": "idempotent", "why": "typo" } } }"#,
            )),
        ),
        (
            "overlay with an unknown retry class",
            generate_failure(with_overlay(
                r#"{ "operations": { "createCustomer": { "retry": "sometimes", "why": "?" } } }"#,
            )),
        ),
        (
            "overlay entry without a reason",
            generate_failure(with_overlay(
                r#"{ "operations": { "createCustomer": { "retry": "idempotent" } } }"#,
            )),
        ),
        (
            "overlay with an empty idempotency key field",
            generate_failure(with_overlay(
                r#"{ "operations": { "createCustomer": { "idempotency_key": "", "why": "?" } } }"#,
            )),
        ),
        (
            "overlay naming an idempotency key field the body does not have",
            generate_failure(with_overlay(
                r#"{ "operations": { "createCustomer": { "idempotency_key": "request_key", "why": "?" } } }"#,
            )),
        ),
        (
            "overlay with an unknown key",
            generate_failure(with_overlay(
                r#"{ "operations": { "createCustomer": { "retries": 3, "why": "?" } } }"#,
            )),
        ),
        (
            "overlay adding a property the provider's schema has",
            generate_failure(with_overlay(
                r#"{ "models": { "CustomerReply": { "properties": { "email": { "schema": { "type": "string" }, "why": "?" } } } } }"#,
            )),
        ),
        (
            "overlay adding a property without a reason",
            generate_failure(with_overlay(
                r#"{ "models": { "HttpError": { "properties": { "request_id": { "schema": { "type": "string" } } } } } }"#,
            )),
        ),
        (
            "overlay response under a key that is no HTTP status",
            generate_failure(with_overlay(
                r#"{ "operations": { "getCustomer": { "responses": { "ok": { "schema": {} } }, "why": "?" } } }"#,
            )),
        ),
        (
            "overlay response that the provider's page already gives",
            generate_failure(with_overlay(
                r#"{ "operations": { "getCustomer": { "responses": { "200": { "schema": { "type": "object" } } }, "why": "?" } } }"#,
            )),
        ),
        (
            "overlay schema without a reason",
            generate_failure(with_overlay(
                r#"{ "schemas": { "Link": { "schema": { "type": "object" } } } }"#,
            )),
        ),
        (
            "overlay schema the provider's pages define",
            generate_failure(with_overlay(
                r#"{ "schemas": { "HttpError": { "schema": { "type": "object" }, "why": "?" } } }"#,
            )),
        ),
        (
            "a spec change, and a changelog with no Unreleased section",
            generate_failure(|layout| {
                // Every fragment carries the schema: change them all alike.
                for entry in fs::read_dir(layout.fragments_dir()).expect("dir") {
                    let path = entry.expect("entry").path();
                    let mut f: Value =
                        serde_json::from_str(&fs::read_to_string(&path).expect("read"))
                            .expect("json");
                    if let Some(reply) = f.pointer_mut("/components/schemas/CustomerReply") {
                        reply["properties"]["nickname"] = json!({ "type": "string" });
                        fs::write(&path, files::canonical_json(&f)).expect("write");
                    }
                }
                fs::write(
                    layout.changelog(),
                    "# Changelog\n\n## [0.1.0] - 2026-01-01\n- first\n",
                )
                .expect("write changelog");
            }),
        ),
        (
            "docs page with no json blocks",
            import_failure("# Customers\n\nNothing here yet.\n```bash\ncurl ...\n```\n"),
        ),
        (
            "docs page with invalid JSON",
            import_failure(&page.replacen(
                "\"operationId\":\"getCustomer\",",
                "\"operationId\":\"getCustomer\" ",
                1,
            )),
        ),
        (
            "docs page with an unclosed block",
            import_failure("## List\n\n```json\n{\"openapi\": \"3.1.1\"}\n"),
        ),
        (
            "docs page block that is not OpenAPI",
            import_failure("## List\n\n```json\n{\"swagger\": \"2.0\", \"paths\": {}}\n```\n"),
        ),
        (
            "docs page with an unknown openapi version",
            import_failure(&page.replacen("\"openapi\":\"3.1.1\"", "\"openapi\":\"3.2\"", 1)),
        ),
        (
            "docs page with the same operation twice",
            import_failure(&format!(
                "{page}\n## Again\n\n```json\n{}\n```\n",
                page.lines()
                    .find(|l| l.contains("\"operationId\":\"getCustomer\""))
                    .expect("block")
            )),
        ),
    ];
    let mut report = String::new();
    for (name, err) in cases {
        let _ = writeln!(report, "## {name}\n{err}\n");
    }
    insta::assert_snapshot!(report);
}

/// Copies the crates and the tests (what the coverage check reads) into a
/// temporary workspace.
fn copy_sources(layout: &Layout) {
    for dir in ["crates", "tests"] {
        files::copy_tree(&real().root.join(dir), &layout.root.join(dir)).expect("copy");
    }
}

/// `gaps`, one a line, with `file.rs:12` as `file.rs:N`: editing a source
/// file must not break a snapshot of what is missing from it.
fn without_line_numbers(gaps: &[String]) -> String {
    let lines: Vec<String> = gaps
        .iter()
        .map(|g| {
            let mut parts = g.split(".rs:");
            let mut out = parts.next().unwrap_or_default().to_string();
            for part in parts {
                out.push_str(".rs:N");
                out.push_str(part.trim_start_matches(|c: char| c.is_ascii_digit()));
            }
            out
        })
        .collect();
    lines.join("\n")
}

fn gaps(layout: &Layout) -> Vec<String> {
    let fragments = merge::load_fragments(layout).expect("loads");
    let merged = codegen::merged_spec(layout, &fragments).expect("merges");
    coverage::gaps(layout, &table::rows(&merged).expect("rows")).expect("scans")
}

#[test]
fn the_client_and_the_mock_serve_every_operation_and_query_parameter_of_the_spec() {
    let gaps = gaps(&real());
    assert!(
        gaps.is_empty(),
        "the spec has what the hand-written crates do not serve:\n  - {}\n(see ARCHITECTURE.md, \"Adding an operation\")",
        gaps.join("\n  - ")
    );
}

#[test]
fn the_modules_of_every_crate_form_layers_without_import_circles() {
    let problems = crate::layering::problems(&real()).expect("reads the sources");
    assert!(
        problems.is_empty(),
        "see xtask/src/layering.rs:\n  - {}",
        problems.join("\n  - ")
    );
}

#[test]
fn coverage_names_a_missing_wrapper_handler_and_filter() {
    let (_dir, layout) = temp_workspace();
    let resources = layout
        .root
        .join("crates/alternative-payments/src/resources/customers.rs");
    let text = fs::read_to_string(&resources).expect("read");
    // (A paged list's filters are generated, `filters.rs`: no filter of
    // one can go missing.)
    let text = text.replace("op::RestoreCustomer", "op::ArchiveCustomer");
    fs::write(&resources, text).expect("write");
    let api = layout
        .root
        .join("crates/alternative-payments-mock/src/resources/customers.rs");
    let text = fs::read_to_string(&api).expect("read");
    fs::write(
        &api,
        text.replace(
            "Operation::GetPaymentMethod => on(method, get_payment_method),",
            "",
        ),
    )
    .expect("write");
    insta::assert_snapshot!(without_line_numbers(&gaps(&layout)));
}

/// The committed docs page as the provider might publish it next: one new
/// operation, one new list filter, a new response field, a new enum value,
/// a request field made required, and one operation withdrawn.
fn provider_next_page() -> String {
    let page = fs::read_to_string(committed_page()).expect("page");
    let mut out = String::new();
    let mut skip_section = false;
    let mut balance = None;
    for line in page.lines() {
        if line.starts_with("## ") {
            skip_section = line == "## Restore a customer";
        }
        if skip_section {
            continue;
        }
        if !line.starts_with("{\"openapi\"") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut doc: Value = serde_json::from_str(line).expect("block");
        let schemas = &mut doc["components"]["schemas"];
        if let Some(reply) = schemas.get_mut("CustomerReply") {
            reply["properties"]["tax_id"] = json!({ "type": "string" });
        }
        if let Some(kind) = schemas.get_mut("MethodType") {
            kind["enum"]
                .as_array_mut()
                .expect("values")
                .push(json!("sepa"));
        }
        if let Some(patch) = schemas.get_mut("PatchCustomerRequest") {
            patch["required"] = json!(["name"]);
        }
        if let Some(list) = doc.pointer_mut("/paths/~1customers/get/parameters") {
            list.as_array_mut().expect("params").push(json!({
                "in": "query", "name": "status", "description": "Only customers in this state",
                "schema": { "type": "string" }
            }));
        }
        if doc.pointer("/paths/~1customers~1{id}/get").is_some() {
            let mut new = doc.clone();
            let mut item = new["paths"]["/customers/{id}"].take();
            item["get"]["operationId"] = json!("getCustomerBalance");
            item["get"]["summary"] = json!("Get a customer's balance");
            item["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
                json!({ "$ref": "#/components/schemas/CustomerBalance" });
            new["paths"] = json!({ "/customers/{id}/balance": item });
            new["components"]["schemas"] = json!({
                "HttpError": new["components"]["schemas"]["HttpError"].take(),
                "CustomerBalance": { "type": "object", "properties": {
                    "amount": { "type": "integer" }, "currency": { "type": "string" } } }
            });
            balance = Some(new);
        }
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    let balance = balance.expect("built from getCustomer");
    out.push_str(&format!(
        "\n## Get a customer's balance\n\n```json\n{balance}\n```\n"
    ));
    out
}

/// The drill's fixtures: a second docs page and what a person would write
/// for it.
fn drill_dir() -> PathBuf {
    real().root.join("xtask/drill")
}

/// A maintainer's round on changed provider pages, in the workspace at
/// `layout`: the customers page changed as [`provider_next_page`] says (one
/// operation withdrawn that the overlay mentions), and a second page whose
/// list takes an enum query parameter; then generate, once.
fn drill(dir: &Path, layout: &Layout) {
    let page = dir.join("customers-openapi.md");
    fs::write(&page, provider_next_page()).expect("write page");
    run_import(layout, &page, Withdrawn::Delete).expect("imports");
    run_import(
        layout,
        &drill_dir().join("refunds-openapi.md"),
        Withdrawn::Delete,
    )
    .expect("imports the second page");
    // The withdrawn operation's overlay entry went with its fragment.
    run_generate(layout, Mode::Write).expect("generates");
    run_generate(layout, Mode::Check).expect("and is then fresh");
}

/// A maintainer's round on a changed provider page, on a scratch copy of
/// this workspace: import, generate, and what the changelog and the
/// coverage check say.
#[test]
fn drill_a_provider_change_yields_a_classified_changelog_and_names_every_gap() {
    let (dir, layout) = temp_workspace();
    drill(dir.path(), &layout);
    assert!(!layout.fragments_dir().join("restoreCustomer.json").exists());
    for added in ["getCustomerBalance", "listRefunds", "getRefund"] {
        let fragment = layout.fragments_dir().join(format!("{added}.json"));
        assert!(fragment.exists(), "{added}");
    }

    let changelog = fs::read_to_string(layout.changelog()).expect("changelog written");
    let unreleased = changelog
        .split_once("## [Unreleased]\n")
        .expect("section")
        .1;
    for expected in [
        "- compatible: operation `getCustomerBalance` (`GET /customers/{id}/balance`) added",
        "- compatible: operation `listRefunds` (`GET /refunds`) added",
        "- compatible: query parameter `status` of `listCustomers` added (optional)",
        "- compatible: response field `CustomerReply.tax_id` added",
        "- compatible: enum `MethodType`: value `sepa` added",
        "- **breaking**: request field `PatchCustomerRequest.name` made required",
        "- **breaking**: operation `restoreCustomer` (`POST /customers/{id}/restore`) removed",
    ] {
        assert!(
            unreleased.contains(expected),
            "{expected} missing:\n{unreleased}"
        );
    }
    insta::assert_snapshot!(unreleased);

    // What `cargo xtask generate` prints, and `cargo test` then refuses:
    // every place a person must fill, in one list.
    let gaps = gaps(&layout);
    let named = |needle: &str| gaps.iter().any(|g| g.starts_with(needle));
    for expected in [
        "operation `getCustomerBalance` (GET /customers/{id}/balance): the client does not serve it",
        "operation `getCustomerBalance` (GET /customers/{id}/balance): no arm in the `match` on `Operation` at crates/alternative-payments-mock/src/resources/customers.rs:",
        "resource `Refunds`: nothing matches its operations as `handler` at crates/alternative-payments-mock/src/resources/customers.rs:",
        "operation `getCustomerBalance` (GET /customers/{id}/balance): no arm in the `match` on `Operation` at crates/alternative-payments-test-support/src/fixtures/customers.rs:",
        "resource `Refunds`: nothing matches its operations as `fixture` at crates/alternative-payments-test-support/src/fixtures/customers.rs:",
    ] {
        assert!(named(expected), "{expected}\n{gaps:#?}");
    }
    insta::assert_snapshot!("drill_gaps", without_line_numbers(&gaps));

    // The new operations are in the generated client and both tables.
    let code = fs::read_to_string(layout.generated_rs()).expect("code");
    assert!(code.contains("pub fn get_customer_balance(&self)"));
    assert!(code.contains("pub enum ListRefundsStatus"));
    for table in layout.operation_tables() {
        let table = fs::read_to_string(table).expect("table");
        assert!(table.contains("GetCustomerBalance =>"), "{table}");
        assert!(!table.contains("RestoreCustomer"), "{table}");
    }
    // ...and in the CLI, under the words derived from its path and verb.
    let cli = fs::read_to_string(layout.cli_rs()).expect("cli");
    for expected in [
        "CliCommand::GetCustomerBalance => Self::cli_get_customer_balance()",
        r#"CliCommand::GetCustomerBalance => &["customers", "balance", "get"]"#,
        "/// - `altpay customers balance get`: `getCustomerBalance`",
        "/// - `altpay refunds list`: `listRefunds`",
    ] {
        assert!(cli.contains(expected), "{expected} missing from the CLI");
    }
    assert!(!cli.contains("RestoreCustomer"), "withdrawn from the CLI");
}

/// Serves `answers` on loopback, one per connection (each answered with
/// `Connection: close`), and hands over each request's head.
fn loopback_server(answers: Vec<String>) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = sent.send(head);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    (url, received)
}

/// After the drill, the generated CLI builds (with the enum query
/// parameter as a flag that passes unknown values through), and so does
/// the SDK with a wrapper whose list filter takes that enum as an open
/// value. Compiles a scratch copy of the workspace: the first run builds
/// the CLI's dependencies into `target/drill`, later ones only its crates.
#[test]
fn after_the_drill_the_cli_and_an_sdk_wrapper_with_an_enum_filter_build() {
    let exe = std::env::current_exe().expect("test binary");
    // target/debug/deps/xtask-… → target/drill: its own target dir, so the
    // scratch build never replaces this workspace's binaries.
    let target = exe
        .ancestors()
        .nth(3)
        .expect("inside the target dir")
        .join("drill");
    let root = target.join("workspace");
    if root.exists() {
        fs::remove_dir_all(&root).expect("clean the previous scratch copy");
    }
    let layout = workspace_copy(&root);
    // The workspace's manifests; the xtask is a member, but not built.
    fs::create_dir_all(root.join("xtask/src")).expect("mkdir");
    for file in ["Cargo.toml", "Cargo.lock", "xtask/Cargo.toml"] {
        fs::copy(real().root.join(file), root.join(file)).expect("copy manifest");
    }
    fs::write(root.join("xtask/src/main.rs"), "fn main() {}\n").expect("stub");
    drill(&target, &layout);

    // What a person does in the SDK: drop the withdrawn operation's
    // wrapper, add the new resource's file and its `mod` line.
    let sdk_dir = root.join("crates/alternative-payments/src/resources");
    let customers = sdk_dir.join("customers.rs");
    let text = fs::read_to_string(&customers).expect("read");
    let start = text
        .find("    /// Restores an archived customer.\n")
        .expect("the restore wrapper");
    let end = start + text[start..].find("\n    }\n").expect("its end") + "\n    }\n".len();
    fs::write(&customers, format!("{}{}", &text[..start], &text[end..])).expect("edit the SDK");
    fs::copy(drill_dir().join("refunds.rs"), sdk_dir.join("refunds.rs")).expect("add the resource");
    let core = sdk_dir.join("mod.rs");
    let text = fs::read_to_string(&core).expect("read");
    let text = text.replacen("mod customers;\n", "mod customers;\nmod refunds;\n", 1);
    fs::write(&core, text).expect("declare the resource");
    let gaps = gaps(&layout);
    let sdk = "crates/alternative-payments/src/";
    assert!(
        !gaps
            .iter()
            .any(|g| (g.contains("Refund") && g.contains("the client")) || g.contains(sdk)),
        "the SDK serves the new operations and the status filter, and not the withdrawn one: {gaps:#?}"
    );

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = std::process::Command::new(cargo)
        .args([
            "build",
            "--offline",
            "--locked",
            "-p",
            "alternative-payments-cli",
        ])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "the generated CLI or the SDK does not build after the drill:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let altpay = target.join("debug/altpay");
    let help = std::process::Command::new(&altpay)
        .args(["refunds", "list", "--help"])
        .output()
        .expect("altpay runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Only refunds in this status. Known values: pending, paid, expired, cancelled; any other is sent as given"),
        "{help}"
    );

    let token = r#"{"access_token":"drill-token","token_type":"Bearer","expires_in":3600}"#;
    let page = r#"{"data":[{"id":"pr_1","status":"refunded"}],"has_next_page":false,"has_previous_page":false}"#;
    let (url, requests) = loopback_server(vec![token.into(), page.into()]);
    let run = std::process::Command::new(&altpay)
        .args(["refunds", "list", "--status", "refunded"])
        .env_clear()
        .env("ALTERNATIVE_PAYMENTS_BASE_URL", &url)
        .env("ALTERNATIVE_PAYMENTS_CLIENT_ID", "drill")
        .env("ALTERNATIVE_PAYMENTS_CLIENT_SECRET", "drill-secret")
        .output()
        .expect("altpay runs");
    assert!(run.status.success(), "{run:?}");
    let heads: Vec<String> = requests.try_iter().collect();
    assert!(heads[0].starts_with("POST /oauth/token "), "{heads:#?}");
    assert!(
        heads[1].starts_with("GET /refunds?status=refunded "),
        "an unknown value is sent as given: {heads:#?}"
    );
    let out: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(
        out["data"][0]["status"], "refunded",
        "and read back as given"
    );
}

#[test]
fn the_workspace_is_found_at_run_time_not_where_the_binary_was_built() {
    let (dir, layout) = temp_workspace();
    fs::create_dir_all(layout.root.join("xtask")).expect("mkdir");
    fs::write(layout.root.join("xtask/Cargo.toml"), "[package]\n").expect("write");
    let nested = layout.root.join("crates/alternative-payments/src");
    // From inside the other checkout, with no help from cargo.
    let found = Layout::locate(None, &nested).expect("found");
    assert_eq!(found.root, dir.path());
    // cargo run's CARGO_MANIFEST_DIR wins over the current directory.
    let found = Layout::locate(Some(layout.root.join("xtask")), &real().root).expect("found");
    assert_eq!(found.root, dir.path());
    assert!(Layout::locate(None, Path::new("/")).is_none());
}

/// Issue #29: the pipeline copes with incomplete provider docs, generally.
/// A response documented as JSON without a schema generates as untyped
/// JSON; an operation without any 2xx is an error naming the overlay entry
/// to add; the overlay can give a response (and a schema the pages lack),
/// each with a reason, and the changelog tells them from the provider's,
/// and says so when a later page documents them.
#[test]
fn incomplete_docs_generate_with_untyped_json_or_the_overlays_responses() {
    let (_dir, layout) = temp_workspace();
    // getCustomer documents its 200 as JSON with no schema.
    with_fragment("getCustomer", |f| {
        let content = f
            .pointer_mut("/paths/~1customers~1{id}/get/responses/200/content/application~1json")
            .expect("200 json");
        content.as_object_mut().expect("object").remove("schema");
    })(&layout);
    run_generate(&layout, Mode::Write).expect("generates");
    let code = fs::read_to_string(layout.generated_rs()).expect("generated.rs");
    let get = code
        .split("pub struct GetCustomer<'a>")
        .nth(1)
        .and_then(|rest| rest.split("pub async fn send(").nth(1))
        .expect("GetCustomer::send");
    assert!(
        get.trim_start()
            .starts_with("self,\n        ) -> Result<ResponseValue<::serde_json::Value>"),
        "untyped JSON: {}",
        &get[..200.min(get.len())]
    );

    // No 2xx at all: the error says which overlay entry to add.
    with_fragment("getCustomer", |f| {
        f.pointer_mut("/paths/~1customers~1{id}/get/responses")
            .and_then(Value::as_object_mut)
            .expect("responses")
            .remove("200");
    })(&layout);
    let error = run_generate(&layout, Mode::Write).expect_err("no 2xx");
    assert!(error.contains("no 2xx response is documented"), "{error}");
    assert!(
        error.contains(r#""operations": { "getCustomer": { "responses": { "200": { "schema""#),
        "{error}"
    );

    // The overlay answers it, with a schema of its own; the changelog says
    // whose the response is.
    let overlay: Value =
        serde_json::from_str(&fs::read_to_string(layout.overlay()).expect("overlay"))
            .expect("json");
    let mut overlay = overlay;
    overlay["operations"]["getCustomer"] = json!({
        "responses": { "200": { "schema": { "$ref": "#/components/schemas/CustomerLink" } } },
        "why": "the page shows no body"
    });
    overlay["schemas"]["CustomerLink"] = json!({
        "schema": { "type": "object", "properties": { "url": { "type": "string" } } },
        "why": "peers read url"
    });
    fs::write(layout.overlay(), files::canonical_json(&overlay)).expect("overlay");
    fs::write(layout.changelog(), "# Changelog\n\n## [Unreleased]\n").expect("changelog");
    run_generate(&layout, Mode::Write).expect("generates with the overlay's response");
    let code = fs::read_to_string(layout.generated_rs()).expect("generated.rs");
    assert!(
        code.contains("pub struct CustomerLink"),
        "the overlay's schema is a model"
    );
    let changelog = fs::read_to_string(layout.changelog()).expect("changelog");
    assert!(
        changelog.contains("the 200 response of `getCustomer`: now given by openapi/overlay.json"),
        "{changelog}"
    );

    // A later page documents it: the overlay entry is refused, naming it...
    with_fragment("getCustomer", |f| {
        f.pointer_mut("/paths/~1customers~1{id}/get/responses")
            .and_then(Value::as_object_mut)
            .expect("responses")
            .insert(
                "200".into(),
                json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CustomerReply" } } } }),
            );
    })(&layout);
    let error = run_generate(&layout, Mode::Write).expect_err("the overlay now says too much");
    assert!(
        error.contains("/operations/getCustomer/responses/200: the provider's page now gives this response a schema"),
        "{error}"
    );
    // ...and once it is gone, the changelog says the provider took over.
    overlay["operations"]
        .as_object_mut()
        .expect("operations")
        .remove("getCustomer");
    fs::write(layout.overlay(), files::canonical_json(&overlay)).expect("overlay");
    run_generate(&layout, Mode::Write).expect("generates");
    let changelog = fs::read_to_string(layout.changelog()).expect("changelog");
    assert!(
        changelog
            .contains("the 200 response of `getCustomer`: now documented by the provider's page"),
        "{changelog}"
    );
}

/// Issue #29: money is exact, by a rule over the spec: every `number`
/// property is a decimal sent as a JSON number, every string `amount` a
/// decimal sent as a string; no `f64` is left in the client or the CLI.
#[test]
fn every_amount_generates_as_a_decimal_in_its_wire_form() {
    let (_dir, layout) = temp_workspace();
    for id in committed_operation_ids() {
        let path = layout.fragments_dir().join(format!("{id}.json"));
        let mut f: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
        let mut changed = false;
        if let Some(reply) = f.pointer_mut("/components/schemas/CustomerReply/properties") {
            reply["balance"] = json!({ "type": "number" });
            changed = true;
        }
        if let Some(input) = f.pointer_mut("/components/schemas/CreateCustomerInput/properties") {
            input["credit_amount"] = json!({ "type": "string" });
            changed = true;
        }
        if changed {
            fs::write(&path, files::canonical_json(&f)).expect("write");
        }
    }
    run_generate(&layout, Mode::Write).expect("generates");
    let code = fs::read_to_string(layout.generated_rs()).expect("generated.rs");
    let cli = fs::read_to_string(layout.cli_rs()).expect("cli");
    // A field's lines: its attributes and its declaration.
    let field = |model: &str, name: &str| -> String {
        let body = code
            .split(&format!("pub struct {model} {{"))
            .nth(1)
            .and_then(|rest| rest.split("\n    }").next())
            .expect("model");
        let lines: Vec<&str> = body.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("pub {name}:")))
            .expect("field");
        lines[at.saturating_sub(3)..=at].join("\n")
    };
    let balance = field("Customer", "balance");
    assert!(balance.contains("crate::money::number_opt"), "{balance}");
    assert!(
        balance.contains("Option<crate::money::Decimal>"),
        "{balance}"
    );
    let credit = field("NewCustomer", "credit_amount");
    assert!(credit.contains("crate::money::text_opt"), "{credit}");
    for (what, text) in [("client", &code), ("CLI", &cli)] {
        let f64s: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("f64") && !l.contains("schemars(with = \"f64\")"))
            .collect();
        assert!(f64s.is_empty(), "an f64 in the {what}: {f64s:?}");
    }
}

/// Issue #29: no amount is an `f64` in the public API users compile
/// against: the only floats are the rate limit's requests per second.
#[test]
fn no_float_in_the_public_api_but_the_rate_limits() {
    for listing in [
        "crates/alternative-payments/public-api.txt",
        "crates/alternative-payments-raw/public-api.txt",
    ] {
        let text = fs::read_to_string(real().root.join(listing)).expect("listing");
        let floats: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("f64") || l.contains("f32"))
            .filter(|l| !l.contains("alternative_payments::RateLimit::"))
            .collect();
        assert!(floats.is_empty(), "{listing}: {floats:#?}");
    }
}
