//! The SDK's list filters, generated: for every cursor-paged operation, one
//! setter per query parameter (the cursor ones aside) on its
//! `List<'_, Filters<marker>>`, taking what the generated builder's setter
//! takes and putting it on every page's request. Written into the SDK as
//! `resources/filters.rs`, so that a list of a new operation needs no
//! hand-written filter code (issue #29: a list cost about 60 lines).

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::files;
use crate::spec;
use crate::table::{self, PAGE_PARAMETERS, Row};

/// Names a filter setter cannot take: `List`'s own methods.
const LIST_METHODS: [&str; 9] = [
    "after",
    "before",
    "limit",
    "max_items",
    "timeout",
    "retry_policy",
    "deadline",
    "send",
    "stream",
];

/// Each builder's query-parameter setters' value types, by (builder name,
/// parameter): `T` of its `Result<Option<T>, String>` field, as a path
/// from the raw crate's root.
pub type ParamTypes = BTreeMap<(String, String), syn::Type>;

/// The value types of every builder field of `file` (the generated client).
pub fn param_types(file: &syn::File) -> ParamTypes {
    let mut out = ParamTypes::new();
    let builder = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
        _ => None,
    });
    for item in builder.into_iter().flat_map(|(_, items)| items) {
        let syn::Item::Struct(s) = item else { continue };
        for field in &s.fields {
            let Some(ident) = &field.ident else { continue };
            // Result<Option<T>, String>
            let inner = files::generic_arguments(&field.ty, "Result")
                .and_then(|mut args| {
                    args.truncate(1);
                    args.pop()
                })
                .and_then(|option| files::generic_arguments(&option, "Option"))
                .and_then(|mut args| args.pop());
            if let Some(ty) = inner {
                out.insert((s.ident.to_string(), ident.to_string()), ty);
            }
        }
    }
    out
}

/// `resources/filters.rs` of the SDK.
pub fn code(merged: &Value, rows: &[Row], types: &ParamTypes) -> Result<String, String> {
    let mut impls = Vec::new();
    for row in rows.iter().filter(|r| r.paginated()) {
        let marker = format_ident!("{}", row.variant());
        let module = format_ident!("{}", table::module_name(&row.resource));
        let gate = table::module_name(&row.resource);
        let mut setters = Vec::new();
        for param in row
            .query
            .iter()
            .filter(|p| !PAGE_PARAMETERS.contains(&p.as_str()))
        {
            let name = rust_name(param);
            if LIST_METHODS.contains(&name.as_str()) {
                return Err(format!(
                    "query parameter `{param}` of `{}`: a list already has a method `{name}`; name its SDK setter by hand",
                    row.operation_id
                ));
            }
            let mut ty = types
                .get(&(row.variant(), name.clone()))
                .cloned()
                .ok_or_else(|| {
                    let fields: Vec<&String> = types
                        .keys()
                        .filter(|(b, _)| *b == row.variant())
                        .map(|(_, f)| f)
                        .collect();
                    format!(
                        "query parameter `{param}` of `{}`: the generated builder has no field `{name}` for it (it has {fields:?})",
                        row.operation_id
                    )
                })?;
            from_raw_crate(&mut ty);
            let described = description(merged, row, param);
            let doc = match described {
                Some(text) => format!(" {text} (the `{param}` query parameter)."),
                None => format!(
                    " Only the items whose `{param}` is this, as the API matches it (the `{param}` query parameter)."
                ),
            };
            let setter = format_ident!("{name}");
            setters.push(quote! {
                #[doc = #doc]
                pub fn #setter(self, value: impl Into<#ty>) -> Self {
                    let value: #ty = value.into();
                    self.filter(move |_, builder| builder.#setter(value.clone()))
                }
            });
        }
        if setters.is_empty() {
            continue;
        }
        impls.push(quote! {
            #[cfg(feature = #gate)]
            impl List<'_, Filters<op::#module::#marker>> {
                #(#setters)*
            }
        });
    }
    let tokens = quote! {
        //! The filters of every list, one setter per query parameter the spec
        //! documents (the cursor ones aside), generated from the spec: each
        //! puts its value on every page's request.

        // The same clone for every value type, Copy ones (`bool`) included.
        #![allow(clippy::clone_on_copy)]

        #[allow(unused_imports)]
        use alternative_payments_raw::operations as op;

        #[allow(unused_imports)]
        use super::{Filters, List};

        #(#impls)*
    };
    files::rust_file(tokens, "the SDK's list filters")
}

/// The Rust name progenitor gives a parameter: snake case, and a keyword
/// with `_` after it (`type` is `type_`).
fn rust_name(param: &str) -> String {
    // Rust's strict and reserved keywords.
    const KEYWORDS: [&str; 51] = [
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    let name = param.to_snake_case();
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// A parameter's description in the spec, trimmed of its final stop.
fn description(merged: &Value, row: &Row, param: &str) -> Option<String> {
    let op = &merged["paths"][&row.path][&row.method];
    op["parameters"]
        .as_array()?
        .iter()
        .map(|p| spec::ref_target(merged, p).unwrap_or(p))
        .find(|p| p["name"] == param && p["in"] == "query")?["description"]
        .as_str()
        .map(|d| d.trim().trim_end_matches('.').to_string())
        .filter(|d| !d.is_empty())
}

/// `crate::types::X` → `alternative_payments_raw::types::X`.
fn from_raw_crate(ty: &mut syn::Type) {
    use syn::visit_mut::VisitMut;
    struct Root;
    impl VisitMut for Root {
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            if path.segments.first().is_some_and(|s| s.ident == "crate") {
                path.segments[0] = syn::parse_quote!(alternative_payments_raw);
                path.leading_colon = Some(Default::default());
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    Root.visit_type_mut(ty);
}
