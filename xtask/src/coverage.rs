//! What the spec has that the hand-written code does not serve: every
//! place a person must fill after a provider change, named at once.
//!
//! The compiler refuses a new operation in each exhaustive `match` on
//! `Operation`, but it stops at the first crate that fails and lists three
//! variants "and N more". This check names every gap without compiling
//! anything (so it also runs on a temporary workspace after a scripted spec
//! change, and `cargo xtask generate` prints it):
//!
//! - an operation the ergonomic client has no wrapper for: no function of
//!   `crates/alternative-payments/src` names `Operation::<Variant>` or its
//!   marker `op::<Variant>` (`use raw::operations::<resource> as op`);
//! - a query parameter the wrapper does not expose: the function naming the
//!   operation never calls the generated builder's setter for it
//!   (`.company_name(..)` for `company_name`);
//! - each `match` on `Operation` without a catch-all arm, in any
//!   hand-written file under `crates/` or `tests/` (the mock's `handler`,
//!   the tests' tables), that has no arm for the operation;
//! - each `Operation::<Variant>` still named there after the spec lost it
//!   (a withdrawn operation's wrapper, handler and test arms).
//!
//! Sources are parsed with syn, so comments and strings do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heck::ToSnakeCase;
use syn::visit::Visit;

use crate::files::{self, Layout};
use crate::table::Row;

/// What the SDK names a resource's marker types through:
/// `use raw::operations::customers as op;` then `op::GetCustomer`.
const MARKERS: &str = "op";

/// One thing a person must add, worded for the maintainer.
pub type Gap = String;

/// Per operation (its variant), the SDK functions that serve it, as
/// `Type::function` (`Customers::get`). A list names its operation in its
/// query type's `source` (`CustomerQuery::source`); the public functions
/// that hand out that query (`Customers::list`) stand for it.
pub fn wrappers(layout: &Layout) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let sdk_dir = layout.root.join("crates/alternative-payments/src");
    let scanned = scan(layout, &sdk_dir)?;
    let mut out = BTreeMap::new();
    for (variant, functions) in scanned.wrappers {
        let mut shown = BTreeSet::new();
        for function in functions {
            let query = function
                .strip_suffix("::source")
                .and_then(|ty| scanned.mentions.get(ty));
            match query {
                Some(public) => shown.extend(public.iter().cloned()),
                None => {
                    shown.insert(function);
                }
            }
        }
        out.insert(variant, shown);
    }
    Ok(out)
}

/// Every gap, in table order; empty when everything is served.
pub fn gaps(layout: &Layout, rows: &[Row]) -> Result<Vec<Gap>, String> {
    let sdk_dir = layout.root.join("crates/alternative-payments/src");
    let sdk = scan(layout, &sdk_dir)?.found;
    let sdk_shown = layout.display(&sdk_dir);
    let mut matches = Vec::new();
    let mut named = BTreeMap::new();
    for dir in ["crates", "tests"] {
        let scanned = scan(layout, &layout.root.join(dir))?;
        matches.extend(scanned.matches);
        named.extend(scanned.named);
    }

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
                "{what}: the client does not serve it: no wrapper in {sdk_shown} names `op::{variant}` (add a method in resources/{}.rs)", row.resource.to_snake_case()
            )),
            // A paged list's filters are generated (`filters.rs`).
            Some(_) if row.paginated() => {}
            Some(calls) => {
                for param in &row.query {
                    let setter = param.to_snake_case();
                    if !calls.contains(&setter) {
                        gaps.push(format!(
                            "query parameter `{param}` of `{}`: the client does not expose it: the wrapper naming `op::{variant}` never calls `.{setter}(..)`",
                            row.operation_id
                        ));
                    }
                }
            }
        }
        // A match covers the resources its arms belong to: a resource's
        // own file (its fixtures, its handlers) is not asked for another's.
        for m in matches.iter().filter(|m| {
            !m.arms.contains(&variant) && m.resources(rows).contains(row.resource.as_str())
        }) {
            gaps.push(format!(
                "{what}: no arm in the `match` on `Operation` at {}:{} (in `{}`)",
                m.file, m.line, m.function
            ));
        }
    }
    // A resource no match covers yet: a file of its own next to each
    // resource file that matches another resource's operations.
    let resources: BTreeSet<&str> = rows.iter().map(|r| r.resource.as_str()).collect();
    for resource in resources {
        if matches.iter().any(|m| m.resources(rows).contains(resource)) {
            continue;
        }
        let file = format!("{}.rs", resource.to_snake_case());
        // One line per directory: the first resource file there shows how.
        let mut asked = BTreeSet::new();
        for m in &matches {
            let covered = m.resources(rows);
            let [other] = covered.iter().collect::<Vec<_>>()[..] else {
                continue;
            };
            let Some((dir, stem)) = m.file.rsplit_once('/') else {
                continue;
            };
            if stem == format!("{}.rs", other.to_snake_case()) && asked.insert(dir.to_string()) {
                gaps.push(format!(
                    "resource `{resource}`: nothing matches its operations as `{}` at {}:{} does for `{other}`: add {dir}/{file}",
                    m.function, m.file, m.line
                ));
            }
        }
    }
    let variants: BTreeSet<String> = rows.iter().map(Row::variant).collect();
    for ((variant, file), line) in named {
        if !variants.contains(&variant) {
            gaps.push(format!(
                "`Operation::{variant}` at {file}:{line}: the spec has no such operation (withdrawn by the provider?): remove what serves it"
            ));
        }
    }
    Ok(gaps)
}

/// What the hand-written `.rs` files under `dir` say about operations
/// (generated files, which start with the generator's header, aside).
#[derive(Default)]
struct Scanned {
    /// For each `Operation::<Variant>` named: the method names called by
    /// the functions that name it.
    found: BTreeMap<String, BTreeSet<String>>,
    /// Per operation, the functions naming it (`Customers::get`).
    wrappers: BTreeMap<String, BTreeSet<String>>,
    /// Per type, the public functions naming it.
    mentions: BTreeMap<String, BTreeSet<String>>,
    /// The `match`es on `Operation` that list variants (no catch-all).
    matches: Vec<OperationMatch>,
    /// Each variant named, by file: the first line naming it.
    named: BTreeMap<(String, String), usize>,
}

/// A `match` whose arms list `Operation` variants, with no catch-all.
struct OperationMatch {
    file: String,
    line: usize,
    function: String,
    arms: BTreeSet<String>,
}

impl OperationMatch {
    /// The resources (tags) of the operations its arms name.
    fn resources<'a>(&self, rows: &'a [Row]) -> BTreeSet<&'a str> {
        rows.iter()
            .filter(|r| self.arms.contains(&r.variant()))
            .map(|r| r.resource.as_str())
            .collect()
    }
}

fn scan(layout: &Layout, dir: &Path) -> Result<Scanned, String> {
    let mut scanned = Scanned::default();
    for path in rust_files(dir)? {
        let shown = layout.display(&path);
        let text = files::read_to_string(&path, &shown)?;
        if text.starts_with(crate::files::HEADER) {
            continue;
        }
        let file =
            syn::parse_file(&text).map_err(|e| format!("{shown}: cannot parse as Rust: {e}"))?;
        let mut visitor = Scan::default();
        visitor.visit_file(&file);
        for (variant, calls) in visitor.found {
            scanned.found.entry(variant).or_default().extend(calls);
        }
        for (variant, wrappers) in visitor.wrappers {
            scanned
                .wrappers
                .entry(variant)
                .or_default()
                .extend(wrappers);
        }
        for (ty, functions) in visitor.mentions {
            scanned.mentions.entry(ty).or_default().extend(functions);
        }
        for (variant, line) in visitor.named {
            scanned
                .named
                .entry((variant, shown.clone()))
                .or_insert(line);
        }
        scanned
            .matches
            .extend(
                visitor
                    .matches
                    .into_iter()
                    .map(|(line, function, arms)| OperationMatch {
                        file: shown.clone(),
                        line,
                        function,
                        arms,
                    }),
            );
    }
    Ok(scanned)
}

/// The `Operation` variants a match arm's pattern lists; `None` for a
/// catch-all (`_`, a binding) or a pattern that is not about `Operation`.
fn arm_variants(pat: &syn::Pat) -> Option<BTreeSet<String>> {
    match pat {
        syn::Pat::Path(p) => {
            let segments: Vec<_> = p.path.segments.iter().collect();
            match segments.as_slice() {
                [.., parent, variant] if parent.ident == "Operation" => {
                    Some(BTreeSet::from([variant.ident.to_string()]))
                }
                _ => None,
            }
        }
        syn::Pat::Or(or) => or.cases.iter().try_fold(BTreeSet::new(), |mut all, case| {
            all.extend(arm_variants(case)?);
            Some(all)
        }),
        _ => None,
    }
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
    /// The `impl` blocks being visited, innermost last: their type's name.
    impls: Vec<String>,
    /// Per operation, the wrapper functions naming it, as `Type::function`.
    wrappers: BTreeMap<String, BTreeSet<String>>,
    /// Per type name, the public functions naming it (`CustomerQuery` →
    /// `Customers::list`): who hands out a query whose `source` names the
    /// operation.
    mentions: BTreeMap<String, BTreeSet<String>>,
    /// Whether each function being visited is public, innermost last.
    public: Vec<bool>,
    /// Functions being visited, innermost last: (operations, method calls).
    stack: Vec<(BTreeSet<String>, BTreeSet<String>)>,
    /// Names of the functions being visited, innermost last.
    names: Vec<String>,
    found: BTreeMap<String, BTreeSet<String>>,
    /// (line, function, variants) of each match on `Operation`.
    matches: Vec<(usize, String, BTreeSet<String>)>,
    /// Every variant named anywhere in the file, with its first line.
    named: BTreeMap<String, usize>,
}

impl Scan {
    fn function(&mut self, name: &syn::Ident, public: bool, visit: impl FnOnce(&mut Self)) {
        self.stack.push(Default::default());
        self.names.push(name.to_string());
        self.public.push(public);
        visit(self);
        self.public.pop();
        self.names.pop();
        let (operations, calls) = self.stack.pop().unwrap_or_default();
        let wrapper = match self.impls.last() {
            Some(ty) => format!("{ty}::{name}"),
            None => name.to_string(),
        };
        for operation in &operations {
            self.wrappers
                .entry(operation.clone())
                .or_default()
                .insert(wrapper.clone());
        }
        for operation in operations {
            self.found
                .entry(operation)
                .or_default()
                .extend(calls.iter().cloned());
        }
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let name = match &*item.self_ty {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.impls.push(name);
        syn::visit::visit_item_impl(self, item);
        self.impls.pop();
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        let public = matches!(item.vis, syn::Visibility::Public(_));
        self.function(&item.sig.ident, public, |s| {
            syn::visit::visit_item_fn(s, item)
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        let public = matches!(item.vis, syn::Visibility::Public(_));
        self.function(&item.sig.ident, public, |s| {
            syn::visit::visit_impl_item_fn(s, item)
        });
    }

    fn visit_expr_match(&mut self, expr: &'ast syn::ExprMatch) {
        let arms: Option<BTreeSet<String>> =
            expr.arms.iter().try_fold(BTreeSet::new(), |mut all, arm| {
                all.extend(arm_variants(&arm.pat)?);
                Some(all)
            });
        if let Some(arms) = arms.filter(|a| !a.is_empty()) {
            let line = expr.match_token.span.start().line;
            let function = self.names.last().cloned().unwrap_or_default();
            self.matches.push((line, function, arms));
        }
        syn::visit::visit_expr_match(self, expr);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<_> = path.segments.iter().collect();
        if let (Some(first), Some(true), Some(function)) =
            (segments.first(), self.public.last(), self.names.last())
        {
            let function = match self.impls.last() {
                Some(ty) => format!("{ty}::{function}"),
                None => function.clone(),
            };
            self.mentions
                .entry(first.ident.to_string())
                .or_default()
                .insert(function);
        }
        if let [.., parent, variant] = segments.as_slice()
            && (parent.ident == "Operation" || parent.ident == MARKERS)
        {
            let name = variant.ident.to_string();
            // `Operation::ALL` and the table's methods are not variants.
            if name.starts_with(|c: char| c.is_ascii_uppercase()) && name != "ALL" {
                let line = variant.ident.span().start().line;
                self.named.entry(name.clone()).or_insert(line);
            }
            if let Some((operations, _)) = self.stack.last_mut() {
                operations.insert(name);
            }
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
