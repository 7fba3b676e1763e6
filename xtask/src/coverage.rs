//! What the spec has that the hand-written crates do not serve.
//!
//! The compiler already refuses a new operation in the tests' exhaustive
//! matches and in the mock's handler match. This check names the rest,
//! without compiling anything (so it also runs on a temporary workspace
//! after a scripted spec change):
//!
//! - an operation the ergonomic client has no wrapper for: no function of
//!   `crates/alternative-payments/src` names `Operation::<Variant>`;
//! - an operation the mock does not route: no `Operation::<Variant>` in
//!   `crates/alternative-payments-mock/src` (its generated table aside);
//! - a query parameter the wrapper does not expose: the function naming the
//!   operation never calls the generated builder's setter for it
//!   (`.company_name(..)` for `company_name`).
//!
//! Sources are parsed with syn, so comments and strings do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heck::ToSnakeCase;
use syn::visit::Visit;

use crate::files::{self, Layout};
use crate::table::Row;

/// One thing a person must add, worded for the maintainer.
pub type Gap = String;

/// Every gap, in table order; empty when everything is served.
pub fn gaps(layout: &Layout, rows: &[Row]) -> Result<Vec<Gap>, String> {
    let sdk_dir = layout.root.join("crates/alternative-payments/src");
    let mock_dir = layout.root.join("crates/alternative-payments-mock/src");
    let [_, mock_table] = layout.operation_tables();
    let sdk = scan(layout, &sdk_dir, &[])?;
    let mock = scan(layout, &mock_dir, &[mock_table])?;
    let sdk_shown = layout.display(&sdk_dir);
    let mock_shown = layout.display(&mock_dir);

    let mut gaps = Vec::new();
    for row in rows {
        let variant = row.variant();
        let what = format!(
            "operation `{}` ({} {})",
            row.operation_id,
            row.method.to_uppercase(),
            row.path
        );
        match sdk.get(&variant) {
            None => gaps.push(format!(
                "{what}: the client does not serve it: no wrapper in {sdk_shown} names `Operation::{variant}` (add a method in resources.rs)"
            )),
            Some(calls) => {
                for param in &row.query {
                    let setter = param.to_snake_case();
                    if !calls.contains(&setter) {
                        gaps.push(format!(
                            "query parameter `{param}` of `{}`: the client does not expose it: the wrapper naming `Operation::{variant}` never calls `.{setter}(..)`",
                            row.operation_id
                        ));
                    }
                }
            }
        }
        if !mock.contains_key(&variant) {
            gaps.push(format!(
                "{what}: the mock does not serve it: nothing in {mock_shown} names `Operation::{variant}` (add an arm to `handler` in api.rs)"
            ));
        }
    }
    Ok(gaps)
}

/// For each `Operation::<Variant>` named in the `.rs` files under `dir`:
/// the method names called by the functions that name it.
fn scan(
    layout: &Layout,
    dir: &Path,
    skip: &[PathBuf],
) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files(dir)? {
        if skip.contains(&path) {
            continue;
        }
        let shown = layout.display(&path);
        let text = files::read_to_string(&path, &shown)?;
        let file =
            syn::parse_file(&text).map_err(|e| format!("{shown}: cannot parse as Rust: {e}"))?;
        let mut visitor = Scan::default();
        visitor.visit_file(&file);
        for (variant, calls) in visitor.found {
            found.entry(variant).or_default().extend(calls);
        }
    }
    Ok(found)
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Collects, per function, the operations it names and the methods it calls.
#[derive(Default)]
struct Scan {
    /// Functions being visited, innermost last: (operations, method calls).
    stack: Vec<(BTreeSet<String>, BTreeSet<String>)>,
    found: BTreeMap<String, BTreeSet<String>>,
}

impl Scan {
    fn function(&mut self, visit: impl FnOnce(&mut Self)) {
        self.stack.push(Default::default());
        visit(self);
        let (operations, calls) = self.stack.pop().unwrap_or_default();
        for operation in operations {
            self.found
                .entry(operation)
                .or_default()
                .extend(calls.iter().cloned());
        }
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(|s| syn::visit::visit_item_fn(s, item));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(|s| syn::visit::visit_impl_item_fn(s, item));
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<_> = path.segments.iter().collect();
        if let [.., parent, variant] = segments.as_slice()
            && parent.ident == "Operation"
            && let Some((operations, _)) = self.stack.last_mut()
        {
            operations.insert(variant.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if let Some((_, calls)) = self.stack.last_mut() {
            calls.insert(call.method.to_string());
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}
