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

use std::collections::BTreeMap;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::{files, spec};

/// The extension `generate` writes on an operation of the merged spec from
/// `openapi/overlay.json`: its retry class.
pub const RETRY_EXTENSION: &str = "x-alternative-payments-retry";

/// The extension marking an operation that moves money (a charge), from
/// `openapi/overlay.json`: `altpay` asks before sending it.
pub const MOVES_MONEY_EXTENSION: &str = "x-alternative-payments-moves-money";
/// The overlay's `idempotency_key`: the request body field whose key makes
/// a resend act at most once.
pub const IDEMPOTENCY_KEY_EXTENSION: &str = "x-alternative-payments-idempotency-key";

/// Whether an operation may be sent again when an attempt's outcome is
/// unknown (a timeout, a 5xx, a connection lost mid-response).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    Idempotent,
    NotIdempotent,
}

/// RFC 9110 §9.2.1: only the safe methods leave the server's state alone.
fn method_changes_state(method: &str) -> bool {
    !matches!(method, "get" | "head" | "options" | "trace")
}

/// The methods the generated table classes for requests of no operation
/// (`Client::request`): the rules above, written out per method.
const METHODS: [&str; 8] = [
    "get", "head", "options", "trace", "put", "delete", "post", "patch",
];

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
    /// The resource it belongs to: the tag its docs page gives it (the
    /// first path segment when it has none), e.g. `Customers`.
    pub resource: String,
    /// The JSON request body's top-level fields, when the spec lists them.
    pub body_fields: Option<Vec<String>>,
    /// The JSON request body's schema, references resolved, reduced to what
    /// validates (types, properties, items, enums, required): the mock
    /// checks bodies with it.
    pub body_schema: Option<Value>,
    /// It moves money (the overlay says so): `altpay` asks first.
    pub moves_money: bool,
    /// The body field holding a key that makes a resend act at most once
    /// (the overlay says so): a request that carries one is retried like
    /// an idempotent one.
    pub idempotency_key: Option<String>,
    /// Each query parameter's schema, references resolved: the mock checks
    /// a request's query with it.
    pub query_schema: serde_json::Map<String, Value>,
}

impl Row {
    /// Whether it has the cursor parameters ([`PAGE_PARAMETERS`]): its
    /// marker implements `Paginated`, and the SDK's list core sets them.
    pub fn paginated(&self) -> bool {
        PAGE_PARAMETERS
            .iter()
            .all(|p| self.query.iter().any(|q| q == p))
    }

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
        let mut query_schema = serde_json::Map::new();
        for param in json["parameters"]
            .as_array()
            .into_iter()
            .chain(merged["paths"][&op.path]["parameters"].as_array())
            .flatten()
        {
            let param = spec::ref_target(merged, param).unwrap_or(param);
            if param["in"] == "query"
                && let Some(name) = param["name"].as_str()
            {
                query_schema.insert(name.into(), validation_schema(merged, &param["schema"], 0));
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
            .ok_or_else(|| {
                format!(
                    "{pointer}: no 2xx response is documented; say what it answers in openapi/overlay.json, with a reason:\n  \"operations\": {{ \"{}\": {{ \"responses\": {{ \"200\": {{ \"schema\": {{ \"$ref\": \"#/components/schemas/...\" }} }} }}, \"why\": \"...\" }} }}",
                    op.operation_id
                )
            })?;
        let resource = match json["tags"].get(0) {
            Some(Value::String(tag)) if !tag.trim().is_empty() => tag.clone(),
            Some(tag) => {
                return Err(format!(
                    "{pointer}/tags/0: expected a non-empty string, found {tag}"
                ));
            }
            None => op
                .path
                .split('/')
                .find(|s| !s.is_empty())
                .unwrap_or("root")
                .to_string(),
        };
        if resource.to_upper_camel_case().is_empty() {
            return Err(format!("{pointer}/tags/0: {resource:?} gives no Rust name"));
        }
        let body = spec::json_content_schema(merged, &json["requestBody"]);
        let body_fields = body["properties"]
            .as_object()
            .map(|fields| fields.keys().cloned().collect());
        let body_schema = body.is_object().then(|| validation_schema(merged, body, 0));
        let idempotency_key = json
            .get(IDEMPOTENCY_KEY_EXTENSION)
            .and_then(Value::as_str)
            .map(String::from);
        if let Some(field) = &idempotency_key
            && !body_fields.iter().flatten().any(|f| f == field)
        {
            return Err(format!(
                "{pointer}/{IDEMPOTENCY_KEY_EXTENSION}: names `{field}`, which the request body does not have (openapi/overlay.json, operation {})",
                op.operation_id
            ));
        }
        rows.push(Row {
            operation_id: op.operation_id,
            method: op.method,
            path: op.path,
            query,
            retry,
            success_status,
            resource,
            body_fields,
            body_schema,
            moves_money: json.get(MOVES_MONEY_EXTENSION) == Some(&Value::Bool(true)),
            idempotency_key,
            query_schema,
        });
    }
    rows.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(rows)
}

/// `schema` with every `$ref` resolved and only the keywords that say what
/// is valid kept. Nesting stops at a depth no body of this API reaches (a
/// schema that refers to itself).
fn validation_schema(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = spec::ref_target(doc, schema).unwrap_or(schema);
    let Some(object) = schema.as_object() else {
        return Value::Object(Default::default());
    };
    let mut out = serde_json::Map::new();
    if depth > 8 {
        return Value::Object(out);
    }
    for key in ["type", "enum", "required", "format"] {
        if let Some(value) = object.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        let properties = properties
            .iter()
            .map(|(name, property)| (name.clone(), validation_schema(doc, property, depth + 1)))
            .collect();
        out.insert("properties".into(), Value::Object(properties));
    }
    if let Some(items) = object.get("items") {
        out.insert("items".into(), validation_schema(doc, items, depth + 1));
    }
    Value::Object(out)
}

/// A resource's module name (`payment_requests`): of its module in the
/// operation table and of its cargo feature.
pub fn module_name(resource: &str) -> String {
    resource.to_snake_case()
}

const FEATURES_BEGIN: &str = "# @generated by cargo xtask generate: resources, begin\n";
const FEATURES_END: &str = "# @generated by cargo xtask generate: resources, end\n";

/// `manifest` (a crate's `Cargo.toml`, shown as `shown`) with its
/// generated features section rewritten: `resources`, all of them, and one
/// feature per resource, forwarded to `forward`'s feature of the same name
/// when given. The section must be inside `[features]`, between its two
/// marker lines.
pub fn with_resource_features(
    manifest: &str,
    shown: &str,
    rows: &[Row],
    forward: Option<&str>,
) -> Result<String, String> {
    let resources: std::collections::BTreeSet<String> =
        rows.iter().map(|r| module_name(&r.resource)).collect();
    let (Some(begin), Some(end)) = (manifest.find(FEATURES_BEGIN), manifest.find(FEATURES_END))
    else {
        return Err(format!(
            "{shown}: no generated features section: put the lines `{}` and `{}` in its [features]",
            FEATURES_BEGIN.trim_end(),
            FEATURES_END.trim_end()
        ));
    };
    let list = |items: Vec<String>| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut section = format!(
        "resources = [{}]\n",
        list(resources.iter().cloned().collect())
    );
    for resource in &resources {
        let forwarded = forward
            .map(|dep| format!("{dep}/{resource}"))
            .into_iter()
            .collect();
        section.push_str(&format!("{resource} = [{}]\n", list(forwarded)));
    }
    Ok(format!(
        "{}{FEATURES_BEGIN}{section}{}",
        &manifest[..begin],
        &manifest[end..]
    ))
}

/// The query parameters of a cursor-paginated list.
pub const PAGE_PARAMETERS: [&str; 3] = ["limit", "after", "before"];

/// What each generated builder's `send` answers, by builder name (the
/// operationId in UpperCamelCase): the success body type, the error body
/// type (as paths from the raw crate's root), and, when the success body is
/// a page (a `data` list), the type of its items.
pub type Sends = BTreeMap<String, Send>;

/// What one builder's `send` answers (see [`Sends`]).
#[derive(Clone)]
pub struct Send {
    pub output: syn::Type,
    pub error: syn::Type,
    pub item: Option<syn::Type>,
}

/// Where the table is written and how visible it is there.
#[derive(Clone, Copy)]
pub enum Audience<'a> {
    /// The raw crate: public, for the workspace's crates and tests, with an
    /// `Endpoint` marker per operation binding it to its generated builder.
    Raw(&'a Sends),
    /// The mock: crate-private, no markers (the mock depends on no client).
    Mock,
}

/// The table as a Rust module file.
pub fn code(rows: &[Row], audience: Audience<'_>) -> Result<String, String> {
    let vis = match audience {
        Audience::Raw(_) => quote!(pub),
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
    let moves_money: Vec<bool> = rows.iter().map(|r| r.moves_money).collect();
    let idempotency_keys: Vec<_> = rows
        .iter()
        .map(|r| match &r.idempotency_key {
            Some(field) => quote!(Some(#field)),
            None => quote!(None),
        })
        .collect();
    let retries: Vec<_> = rows
        .iter()
        .map(|r| match r.retry {
            RetryClass::Idempotent => quote!(RetryClass::Idempotent),
            RetryClass::NotIdempotent => quote!(RetryClass::NotIdempotent),
        })
        .collect();
    let changes_state: Vec<bool> = rows
        .iter()
        .map(|r| method_changes_state(&r.method))
        .collect();
    let queries: Vec<_> = rows
        .iter()
        .map(|r| {
            let q = &r.query;
            quote!(&[#(#q),*])
        })
        .collect();
    let body_fields: Vec<_> = rows
        .iter()
        .map(|r| match &r.body_fields {
            Some(fields) => quote!(Some(&[#(#fields),*])),
            None => quote!(None),
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

    // Resources, sorted by tag; each with its operations in table order.
    let mut by_resource: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by_resource.entry(&row.resource).or_default().push(row);
    }
    let mut resource_variants = Vec::new();
    let mut resource_items = Vec::new();
    for (tag, members) in &by_resource {
        let variant = format_ident!("{}", tag.to_upper_camel_case());
        let module = format_ident!("{}", module_name(tag));
        if resource_variants.iter().any(|(v, _, _)| *v == variant) {
            return Err(format!(
                "tags that differ only in case or spacing name one resource `{variant}`: rename one"
            ));
        }
        let ops: Vec<_> = members
            .iter()
            .map(|r| format_ident!("{}", r.variant()))
            .collect();
        let doc = format!(" The operations tagged `{tag}`.");
        let op_count = proc_macro2::Literal::usize_unsuffixed(ops.len());
        let markers = match audience {
            Audience::Raw(sends) => endpoint_markers(members, sends)?,
            Audience::Mock => quote!(),
        };
        resource_items.push(quote! {
            #[doc = #doc]
            #vis mod #module {
                #[doc = #doc]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #vis enum Operation {
                    #( #ops, )*
                }

                impl Operation {
                    /// Every operation of the resource, sorted by operationId.
                    #vis const ALL: [Operation; #op_count] = [#(Operation::#ops),*];
                }

                impl From<Operation> for super::Operation {
                    fn from(op: Operation) -> Self {
                        match op { #( Operation::#ops => super::Operation::#ops, )* }
                    }
                }

                #markers
            }
        });
        resource_variants.push((variant, module, tag.to_string()));
    }
    let rv: Vec<_> = resource_variants.iter().map(|(v, _, _)| v).collect();
    let rm: Vec<_> = resource_variants.iter().map(|(_, m, _)| m).collect();
    let tags: Vec<_> = resource_variants.iter().map(|(_, _, t)| t).collect();
    let resource_of: Vec<_> = rows
        .iter()
        .map(|r| {
            let v = format_ident!("{}", r.resource.to_upper_camel_case());
            let m = format_ident!("{}", module_name(&r.resource));
            let op = format_ident!("{}", r.variant());
            quote!(Resource::#v(#m::Operation::#op))
        })
        .collect();

    // The generated client's hooks, and progenitor's CLI, name operations
    // by method name; only the raw crate's users look them up that way.
    let upper: Vec<String> = METHODS.iter().map(|m| m.to_uppercase()).collect();
    let method_retry: Vec<_> = METHODS
        .iter()
        .map(|m| match RetryClass::of_method(m) {
            RetryClass::Idempotent => quote!(RetryClass::Idempotent),
            RetryClass::NotIdempotent => quote!(RetryClass::NotIdempotent),
        })
        .collect();
    let method_changes: Vec<bool> = METHODS.iter().map(|m| method_changes_state(m)).collect();
    let raw_only = match audience {
        Audience::Raw(_) => quote! {
            /// The operation with this generated method name, e.g.
            /// `get_customer`.
            #vis fn from_method_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|op| op.method_name() == name)
            }

            /// The operation a request with this method (upper case) and
            /// concrete path (`/customers/cus_1`, no query) is, if any: each
            /// `{parameter}` of a template matches one non-empty segment.
            #vis fn matching(method: &str, path: &str) -> Option<Self> {
                let segments: Vec<&str> = path.split('/').collect();
                Self::ALL.into_iter().find(|op| {
                    let template: Vec<&str> = op.path().split('/').collect();
                    op.http_method() == method
                        && template.len() == segments.len()
                        && template.iter().zip(&segments).all(|(t, s)| {
                            t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                        })
                })
            }

            /// The retry class and whether it may change state, of a request
            /// of no operation in the table, by its HTTP method (upper case):
            /// the rules the table applies to every operation before the
            /// overlay's corrections. A method the rules do not name is
            /// treated as the riskiest kind.
            #vis fn by_method(method: &str) -> (RetryClass, bool) {
                match method {
                    #( #upper => (#method_retry, #method_changes), )*
                    _ => (RetryClass::NotIdempotent, true),
                }
            }
        },
        Audience::Mock => {
            let schemas = rows.iter().map(|r| match &r.body_schema {
                Some(schema) => {
                    let text = serde_json::to_string(&files::sorted(schema))
                        .expect("a JSON value serializes");
                    quote!(Some(#text))
                }
                None => quote!(None),
            });
            let queries = rows.iter().map(|r| {
                serde_json::to_string(&files::sorted(&Value::Object(r.query_schema.clone())))
                    .expect("a JSON value serializes")
            });
            quote! {
                /// The JSON request body's schema (references resolved; the
                /// keywords that say what is valid), as JSON text.
                #vis const fn body_schema(self) -> Option<&'static str> {
                    match self { #( Operation::#variants => #schemas, )* }
                }

                /// Each query parameter's schema, as a JSON object by name.
                #vis const fn query_schema(self) -> &'static str {
                    match self { #( Operation::#variants => #queries, )* }
                }
            }
        }
    };
    let endpoint_trait = match audience {
        Audience::Raw(_) => quote! {
            /// An operation bound to its generated builder: code generic over
            /// the marker (`customers::GetCustomer`) takes and sends only that
            /// builder, so a wrapper naming one operation and building another's
            /// request does not compile.
            pub trait Endpoint: Send + Sync + 'static {
                /// The operation in the table.
                const OPERATION: Operation;
                /// The generated builder (`crate::builder::GetCustomer`).
                type Builder<'a>: Send;
                /// The success body.
                type Output;
                /// The documented error body (`()` when none is documented).
                type ErrorBody;
                /// The operation's builder on `client`, nothing set.
                fn builder(client: &crate::Client) -> Self::Builder<'_>;
                /// Sends the request the builder describes.
                fn send<'a>(
                    builder: Self::Builder<'a>,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        crate::ResponseValue<Self::Output>,
                        crate::Error<Self::ErrorBody>,
                    >,
                > + Send + 'a;
            }

            /// One page as the API answers it: the items, and the cursors
            /// and flags of the pages around it (a flag or cursor the
            /// server left out is `None`).
            #[derive(Clone, Debug)]
            pub struct PageParts<T> {
                /// The items of the page.
                pub data: Vec<T>,
                /// Whether a page follows.
                pub has_next_page: Option<bool>,
                /// Whether a page comes before.
                pub has_previous_page: Option<bool>,
                /// The cursor of the first item.
                pub start_cursor: Option<String>,
                /// The cursor of the last item.
                pub end_cursor: Option<String>,
            }

            /// A list operation with the cursor parameters (`limit`, `after`,
            /// `before`): how to ask its builder for a page, and how to read
            /// the page it answers.
            pub trait Paginated: Endpoint {
                /// The items of a page.
                type Item;
                /// A page's items and cursors.
                fn page(output: Self::Output) -> PageParts<Self::Item>;
                /// Items per page.
                fn limit(builder: Self::Builder<'_>, limit: u32) -> Self::Builder<'_>;
                /// The page after this cursor.
                fn after(builder: Self::Builder<'_>, cursor: String) -> Self::Builder<'_>;
                /// The page before this cursor.
                fn before(builder: Self::Builder<'_>, cursor: String) -> Self::Builder<'_>;
            }
        },
        Audience::Mock => {
            let constants = rows
                .iter()
                .map(|r| format_ident!("{}", r.operation_id.to_shouty_snake_case()));
            quote! {
                /// The spec's operationIds, one constant per operation: what
                /// [`MockServer::enqueue`](crate::MockServer::enqueue) and
                /// [`MockServer::requests_to`](crate::MockServer::requests_to)
                /// take (an id the spec does not have is refused).
                pub mod ids {
                    #(
                        #[doc = #docs]
                        pub const #constants: &str = #ids;
                    )*
                }
            }
        }
    };

    let tokens = quote! {
        //! Every operation of `openapi/openapi.json`, as one table, and by
        //! resource (the tag each docs page gives its operations).
        //!
        //! Not a stable API: the enums are exhaustive on purpose, so that code
        //! matching on them stops compiling when the spec gains an operation
        //! or a resource.

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

        /// An operation, by the resource it belongs to: a layer matches on
        /// this in one place and hands each resource's operations to that
        /// resource's file, which matches them exhaustively.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #vis enum Resource {
            #( #rv(#rm::Operation), )*
        }

        impl Resource {
            /// The tag of the resource's docs page, e.g. `Customers`.
            #vis const fn tag(self) -> &'static str {
                match self { #( Resource::#rv(_) => #tags, )* }
            }
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

            /// The JSON request body's top-level fields, when the spec lists them.
            #vis const fn body_fields(self) -> Option<&'static [&'static str]> {
                match self { #( Operation::#variants => #body_fields, )* }
            }

            /// Whether the operation moves money (a charge), as
            /// `openapi/overlay.json` says: `altpay` asks before sending it.
            #vis const fn moves_money(self) -> bool {
                match self { #( Operation::#variants => #moves_money, )* }
            }

            /// The request body field holding an idempotency key, as
            /// `openapi/overlay.json` says: a request whose body carries a
            /// non-empty key acts at most once however often it is sent,
            /// so it is retried like an idempotent one.
            #vis const fn idempotency_key(self) -> Option<&'static str> {
                match self { #( Operation::#variants => #idempotency_keys, )* }
            }

            /// Whether a request may be resent after an unknown outcome.
            #vis const fn retry_class(self) -> RetryClass {
                match self { #( Operation::#variants => #retries, )* }
            }

            /// Whether the operation may change the server's state: every
            /// method but the safe ones (GET, HEAD, OPTIONS, TRACE). Such an
            /// operation needs the `write` scope, and its outcome matters
            /// when an attempt's fate is unknown.
            #vis const fn changes_state(self) -> bool {
                match self { #( Operation::#variants => #changes_state, )* }
            }

            /// The first 2xx status the spec documents.
            #vis const fn success_status(self) -> u16 {
                match self { #( Operation::#variants => #statuses, )* }
            }

            /// The resource the operation belongs to, with its place there.
            #vis const fn resource(self) -> Resource {
                match self { #( Operation::#variants => #resource_of, )* }
            }

            /// The operation with this operationId.
            #vis fn from_operation_id(id: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|op| op.operation_id() == id)
            }

            #raw_only
        }

        #endpoint_trait

        #( #resource_items )*
    };
    files::rust_file(tokens, "the operation table")
}

/// One marker type per operation, implementing `Endpoint` with the builder
/// progenitor generated for it and the types its `send` answers.
fn endpoint_markers(rows: &[&Row], sends: &Sends) -> Result<proc_macro2::TokenStream, String> {
    let mut markers = Vec::new();
    for row in rows {
        let name = row.variant();
        let Send {
            output,
            error,
            item,
        } = sends.get(&name).ok_or_else(|| {
            format!(
                "progenitor generated no builder `{name}` with a `send` method for `{}`",
                row.operation_id
            )
        })?;
        let marker = format_ident!("{name}");
        let method = format_ident!("{}", row.operation_id.to_snake_case());
        let doc = format!(
            " `{}`: `{} {}`",
            row.operation_id,
            row.method.to_uppercase(),
            row.path
        );
        let gate = module_name(&row.resource);
        let paginated = match (row.paginated(), item) {
            (false, _) => None,
            (true, None) => {
                return Err(format!(
                    "`{}` takes the cursor parameters but answers no page (an object with a `data` list): the table cannot page it",
                    row.operation_id
                ));
            }
            (true, Some(item)) => Some(item),
        };
        let paginated = paginated.map(|item| {
            quote! {
                #[cfg(feature = #gate)]
                impl super::Paginated for #marker {
                    type Item = #item;
                    fn page(output: Self::Output) -> super::PageParts<Self::Item> {
                        super::PageParts {
                            data: output.data,
                            has_next_page: output.has_next_page,
                            has_previous_page: output.has_previous_page,
                            start_cursor: output.start_cursor,
                            end_cursor: output.end_cursor,
                        }
                    }
                    fn limit(builder: Self::Builder<'_>, limit: u32) -> Self::Builder<'_> {
                        builder.limit(limit)
                    }
                    fn after(builder: Self::Builder<'_>, cursor: String) -> Self::Builder<'_> {
                        builder.after(cursor)
                    }
                    fn before(builder: Self::Builder<'_>, cursor: String) -> Self::Builder<'_> {
                        builder.before(cursor)
                    }
                }
            }
        });
        markers.push(quote! {
            #paginated

            #[doc = #doc]
            #[derive(Clone, Copy, Debug)]
            #[cfg(feature = #gate)]
            pub struct #marker;

            #[cfg(feature = #gate)]
            impl super::Endpoint for #marker {
                const OPERATION: super::Operation = super::Operation::#marker;
                type Builder<'a> = crate::builder::#marker<'a>;
                type Output = #output;
                type ErrorBody = #error;
                fn builder(client: &crate::Client) -> Self::Builder<'_> {
                    client.#method()
                }
                fn send<'a>(
                    builder: Self::Builder<'a>,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        crate::ResponseValue<Self::Output>,
                        crate::Error<Self::ErrorBody>,
                    >,
                > + Send + 'a {
                    builder.send()
                }
            }
        });
    }
    Ok(quote!(#(#markers)*))
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
