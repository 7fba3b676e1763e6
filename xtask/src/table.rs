//! The operation table: one Rust enum listing every operation of the merged
//! spec with the facts the hand-written crates need about it (operationId,
//! HTTP method, path template, query parameters, retry class, success
//! status).
//!
//! It is written twice from this one function: into the raw crate (for the
//! client and the tests) and into the mock (which must not depend on another
//! workspace crate). Everything that used to list operations by hand reads
//! it, and matches on it exhaustively, so a new operation in the spec fails
//! to compile at every place a person must look at.

use heck::{ToSnakeCase, ToUpperCamelCase};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::codegen::HEADER;
use crate::overlay::RETRY_EXTENSION;
use crate::spec;

/// Whether an operation may be sent again when an attempt's outcome is
/// unknown (a timeout, a 5xx, a connection lost mid-response).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    Idempotent,
    NotIdempotent,
}

impl RetryClass {
    /// RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE are
    /// idempotent; POST and PATCH are not, unless the overlay says so.
    fn of_method(method: &str) -> Self {
        match method {
            "post" | "patch" => Self::NotIdempotent,
            _ => Self::Idempotent,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "idempotent" => Some(Self::Idempotent),
            "not-idempotent" => Some(Self::NotIdempotent),
            _ => None,
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub query: Vec<String>,
    pub retry: RetryClass,
    pub success_status: u16,
}

impl Row {
    /// The enum variant: the operationId in UpperCamelCase.
    pub fn variant(&self) -> String {
        self.operation_id.to_upper_camel_case()
    }
}

/// Every operation of a merged 3.1 document, sorted by operationId.
pub fn rows(merged: &Value) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for op in spec::operations(merged, "the merged spec")? {
        let pointer = op.pointer();
        let json = &merged["paths"][&op.path][&op.method];
        let mut query = Vec::new();
        let path_level = merged["paths"][&op.path]["parameters"].as_array();
        for param in json["parameters"]
            .as_array()
            .into_iter()
            .chain(path_level)
            .flatten()
        {
            // Parameters may be shared components.
            let param = spec::ref_target(merged, param).unwrap_or(param);
            if param["in"] == "query"
                && let Some(name) = param["name"].as_str()
                && !query.iter().any(|q| q == name)
            {
                query.push(name.to_string());
            }
        }
        let retry = match json.get(RETRY_EXTENSION) {
            None => RetryClass::of_method(&op.method),
            Some(value) => value.as_str().and_then(RetryClass::parse).ok_or_else(|| {
                format!("{pointer}/{RETRY_EXTENSION}: expected \"idempotent\" or \"not-idempotent\", found {value}")
            })?,
        };
        let success_status = json["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(status, _)| status.parse::<u16>().ok())
            .find(|s| (200..300).contains(s))
            .ok_or_else(|| format!("{pointer}: no 2xx response is documented"))?;
        rows.push(Row {
            operation_id: op.operation_id,
            method: op.method,
            path: op.path,
            query,
            retry,
            success_status,
        });
    }
    rows.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(rows)
}

/// Where the table is written and how visible it is there.
#[derive(Clone, Copy)]
pub enum Audience {
    /// The raw crate: public, for the workspace's crates and tests.
    Raw,
    /// The mock: crate-private.
    Mock,
}

/// The table as a Rust module file.
pub fn code(rows: &[Row], audience: Audience) -> Result<String, String> {
    let vis = match audience {
        Audience::Raw => quote!(pub),
        Audience::Mock => quote!(pub(crate)),
    };
    let variants: Vec<_> = rows
        .iter()
        .map(|r| format_ident!("{}", r.variant()))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.operation_id.as_str()).collect();
    // progenitor names methods with sanitize(operationId, Case::Snake); its
    // hooks see that name too.
    let method_names: Vec<String> = rows
        .iter()
        .map(|r| r.operation_id.to_snake_case())
        .collect();
    let methods: Vec<String> = rows.iter().map(|r| r.method.to_uppercase()).collect();
    let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    let statuses: Vec<u16> = rows.iter().map(|r| r.success_status).collect();
    let retries: Vec<_> = rows
        .iter()
        .map(|r| match r.retry {
            RetryClass::Idempotent => quote!(RetryClass::Idempotent),
            RetryClass::NotIdempotent => quote!(RetryClass::NotIdempotent),
        })
        .collect();
    let queries: Vec<_> = rows
        .iter()
        .map(|r| {
            let q = &r.query;
            quote!(&[#(#q),*])
        })
        .collect();
    let docs: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                " `{}`: `{} {}`",
                r.operation_id,
                r.method.to_uppercase(),
                r.path
            )
        })
        .collect();
    let count = proc_macro2::Literal::usize_unsuffixed(rows.len());
    // The generated client's hooks, and progenitor's CLI, name operations
    // by method name; only the raw crate's users look them up that way.
    let from_method_name = match audience {
        Audience::Raw => quote! {
            /// The operation with this generated method name, e.g.
            /// `get_customer`.
            #vis fn from_method_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|op| op.method_name() == name)
            }
        },
        Audience::Mock => quote!(),
    };

    let tokens = quote! {
        //! Every operation of `openapi/openapi.json`, as one table.
        //!
        //! Not a stable API: the enum is exhaustive on purpose, so that code
        //! matching on it stops compiling when the spec gains an operation.

        /// Whether a request may be sent again when an attempt's outcome is
        /// unknown. Derived from the HTTP method (POST and PATCH are not
        /// idempotent) unless `openapi/overlay.json` says otherwise.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #vis enum RetryClass {
            /// Sending it twice has the effect of sending it once.
            Idempotent,
            /// Sending it twice may act twice (create two records).
            NotIdempotent,
        }

        /// An operation of the API.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #vis enum Operation {
            #( #[doc = #docs] #variants, )*
        }

        impl Operation {
            /// Every operation, sorted by operationId.
            #vis const ALL: [Operation; #count] = [#(Operation::#variants),*];

            /// The spec's operationId, e.g. `getCustomer`.
            #vis const fn operation_id(self) -> &'static str {
                match self { #( Operation::#variants => #ids, )* }
            }

            /// The generated client's method name, e.g. `get_customer`.
            #vis const fn method_name(self) -> &'static str {
                match self { #( Operation::#variants => #method_names, )* }
            }

            /// The HTTP method, upper case.
            #vis const fn http_method(self) -> &'static str {
                match self { #( Operation::#variants => #methods, )* }
            }

            /// The path template, e.g. `/customers/{id}`.
            #vis const fn path(self) -> &'static str {
                match self { #( Operation::#variants => #paths, )* }
            }

            /// The query parameters the spec documents.
            #vis const fn query_parameters(self) -> &'static [&'static str] {
                match self { #( Operation::#variants => #queries, )* }
            }

            /// Whether a request may be resent after an unknown outcome.
            #vis const fn retry_class(self) -> RetryClass {
                match self { #( Operation::#variants => #retries, )* }
            }

            /// The first 2xx status the spec documents.
            #vis const fn success_status(self) -> u16 {
                match self { #( Operation::#variants => #statuses, )* }
            }

            /// The operation with this operationId.
            #vis fn from_operation_id(id: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|op| op.operation_id() == id)
            }

            #from_method_name
        }
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("the operation table does not parse: {e}"))?;
    Ok(format!("{HEADER}\n{}", prettyplease::unparse(&file)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{RetryClass, rows};
    use crate::overlay;

    fn spec() -> serde_json::Value {
        let op = |id: &str, status: &str| json!({ "operationId": id, "responses": { "400": {}, status: { "description": "ok" } } });
        json!({
            "openapi": "3.1.1",
            "paths": {
                "/things": { "get": op("listThings", "200"), "post": op("createThing", "201") },
                "/things/{id}": {
                    "put": op("replaceThing", "200"), "patch": op("updateThing", "200"),
                    "delete": op("deleteThing", "204"),
                    "parameters": [{ "in": "query", "name": "expand" }]
                }
            }
        })
    }

    #[test]
    fn retry_class_follows_the_http_method_unless_the_overlay_says_otherwise() {
        let classes = |spec: &serde_json::Value| -> Vec<(String, RetryClass, u16)> {
            let rows = rows(spec).expect("rows");
            rows.into_iter()
                .map(|r| (r.operation_id, r.retry, r.success_status))
                .collect()
        };
        let mut spec = spec();
        use RetryClass::*;
        assert_eq!(
            classes(&spec),
            [
                ("createThing".into(), NotIdempotent, 201),
                ("deleteThing".into(), Idempotent, 204),
                ("listThings".into(), Idempotent, 200),
                ("replaceThing".into(), Idempotent, 200),
                ("updateThing".into(), NotIdempotent, 200),
            ]
        );
        let overlay = json!({ "operations": {
            "updateThing": { "retry": "idempotent", "why": "absolute values" },
            "deleteThing": { "retry": "not-idempotent", "why": "deletes the newest" }
        } });
        overlay::apply_value(&overlay, "overlay.json", &mut spec).expect("applies");
        let after = classes(&spec);
        assert_eq!(after[1].1, NotIdempotent);
        assert_eq!(after[4].1, Idempotent);
    }

    #[test]
    fn query_parameters_include_path_level_ones() {
        let rows = rows(&spec()).expect("rows");
        let delete = rows.iter().find(|r| r.operation_id == "deleteThing");
        assert_eq!(delete.expect("row").query, ["expand"]);
    }
}
