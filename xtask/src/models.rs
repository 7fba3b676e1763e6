//! The model types as users meet them, derived from the merged spec before
//! progenitor sees it:
//!
//! - **SDK names.** A schema the overlay names (`"models": {"CustomerReply":
//!   {"name": "Customer"}}`, applied as `x-sdk-name`) is renamed, and every
//!   `$ref` to it follows, so rustdoc, `Debug` and the builders all say
//!   `Customer`.
//! - **Typed ids.** A model returned by an operation that has a string `id`
//!   gets an id type (`Customer` → `CustomerId`). That type replaces the
//!   string of the model's `id`, of every property named after it
//!   (`customer_id`, `default_payment_method_id`) and of every path
//!   parameter whose path, up to the parameter, is where an operation
//!   answers that model (`/customers/{id}` answers `Customer`, so `{id}` in
//!   `/customers/{id}/users` is a `CustomerId` too). No list is kept by hand.
//! - **Ids are required in responses.** A returned model without its id is
//!   refused when decoded: an object nobody can address is a server fault,
//!   and an empty id made up by the client would be a lie.
//! - **Timestamps.** String properties in `date-time` format, or named
//!   `*_at` (the provider's convention; its spec gives no format), stay text
//!   (so a malformed one loses nothing) and get a parsing accessor.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Value, json};

use crate::spec::{self, escape_pointer};

/// The type of every secret property (`secret_key`): its `Debug` redacts.
pub const SECRET: &str = "Secret";

/// Whether a property of this name holds a secret the API takes (a
/// webhook's `secret_key`): never shown in `Debug`, logs or errors.
fn is_secret(name: &str) -> bool {
    name == "secret"
        || name == "password"
        || name.ends_with("secret_key")
        || name.ends_with("_secret")
}

/// Types every plain string property named as a secret ([`is_secret`]) as
/// [`SECRET`]; whether there was one.
fn type_secrets(doc: &mut Value) -> bool {
    let mut found = false;
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    for schema in schemas.values_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (property, value) in properties.iter_mut() {
            if is_secret(property) && is_plain_string(value) {
                let description = value.get("description").cloned();
                *value = id_ref(SECRET);
                if let Some(d) = description {
                    value["description"] = d;
                }
                found = true;
            }
        }
    }
    found
}

/// The vendor extension that carries a schema's SDK name.
pub const SDK_NAME: &str = "x-sdk-name";

const SCHEMAS: &str = "#/components/schemas/";

/// What [`shape`] decided, for the code generator.
#[derive(Debug, Default)]
pub struct Models {
    /// Id type → the model it identifies (`CustomerId` → `Customer`).
    pub ids: BTreeMap<String, String>,
    /// `(model, property)` pairs holding RFC 3339 timestamps, by Rust name.
    pub timestamps: BTreeSet<(String, String)>,
    /// Each property's description, by (model, wire name), from before ids
    /// were typed (a `$ref` carries no description).
    pub field_docs: crate::docs::FieldDocs,
    /// Whether any property is a secret (then the `Secret` type exists).
    pub secrets: bool,
    /// Amounts the spec types as strings, by (model, wire name): sent and
    /// read as JSON strings (`money.rs` finds them; `codegen.rs` puts them
    /// here).
    pub text_amounts: BTreeSet<(String, String)>,
}

impl Models {
    /// Model → its id type (`Customer` → `CustomerId`).
    fn by_model(&self) -> BTreeMap<&String, &String> {
        self.ids.iter().map(|(id, model)| (model, id)).collect()
    }
}

/// Renames, types ids and finds timestamps in `doc` (the merged 3.1 spec),
/// in place.
pub fn shape(doc: &mut Value) -> Result<Models, String> {
    rename(doc)?;
    let returned = returned_models(doc)?;
    let field_docs = crate::docs::describe(doc, &returned)?;
    let mut models = Models::default();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for name in &returned {
        let Some(schema) = schemas.get(name) else {
            return Err(format!(
                "/components/schemas/{}: an operation answers it, but the spec does not define it",
                escape_pointer(name)
            ));
        };
        if schema["properties"]["id"].get("type") != Some(&json!("string")) {
            continue;
        }
        let id = format!("{}Id", name.to_pascal_case());
        if schemas.contains_key(&id) {
            return Err(format!(
                "/components/schemas/{}: the id type of `{name}` would be `{id}`, which the spec already defines; rename one in openapi/overlay.json (\"models\")",
                escape_pointer(&id)
            ));
        }
        models.ids.insert(id, name.clone());
    }
    type_properties(doc, &models)?;
    type_path_parameters(doc, &models)?;
    models.secrets = type_secrets(doc);
    if models.secrets {
        doc["components"]["schemas"][SECRET] = json!({
            "type": "string",
            "description": "A secret the API takes: sent as its text, never shown.",
        });
    }
    for id in models.ids.keys() {
        let model = &models.ids[id];
        doc["components"]["schemas"][id] = json!({
            "type": "string",
            "description": format!("The id of a `{model}`."),
        });
    }
    models.timestamps = timestamps(doc);
    models.field_docs = field_docs;
    Ok(models)
}

/// Applies `x-sdk-name`: moves each such schema to its new name and points
/// every `$ref` there.
fn rename(doc: &mut Value) -> Result<(), String> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let mut moves = BTreeMap::new();
    for (old, schema) in schemas.iter() {
        let Some(new) = schema.get(SDK_NAME) else {
            continue;
        };
        let at = format!("/components/schemas/{}/{SDK_NAME}", escape_pointer(old));
        let new = new
            .as_str()
            .filter(|n| is_type_name(n))
            .ok_or_else(|| format!("{at}: expected a Rust type name in PascalCase, found {new}"))?;
        if schemas.contains_key(new) {
            return Err(format!(
                "{at}: `{new}` is already the name of another schema"
            ));
        }
        if let Some(first) = moves.insert(new.to_string(), old.clone()) {
            return Err(format!("{at}: `{first}` is renamed `{new}` too"));
        }
    }
    let mut refs = BTreeMap::new();
    for (new, old) in &moves {
        let mut schema = schemas.remove(old).expect("listed above");
        schema.as_object_mut().map(|s| s.remove(SDK_NAME));
        schemas.insert(new.clone(), schema);
        refs.insert(
            format!("{SCHEMAS}{}", escape_pointer(old)),
            format!("{SCHEMAS}{}", escape_pointer(new)),
        );
    }
    rewrite_refs(doc, &refs);
    Ok(())
}

fn is_type_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.to_pascal_case() == name
}

fn rewrite_refs(value: &mut Value, refs: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(target) if key == "$ref" => {
                        if let Some(new) = refs.get(target.as_str()) {
                            *target = new.clone();
                        }
                    }
                    _ => rewrite_refs(v, refs),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, refs)),
        _ => {}
    }
}

/// The schemas an operation answers with (2xx), and every schema those
/// refer to: the models a client receives.
fn returned_models(doc: &Value) -> Result<BTreeSet<String>, String> {
    let mut found = BTreeSet::new();
    let mut todo = Vec::new();
    for op in spec::operations(doc, "the merged spec")? {
        let responses = &doc.pointer(&op.pointer()).expect("listed")["responses"];
        for (status, response) in responses.as_object().into_iter().flatten() {
            if status.starts_with('2') {
                collect_refs(
                    &response["content"]["application/json"]["schema"],
                    &mut todo,
                );
            }
        }
    }
    while let Some(name) = todo.pop() {
        if found.insert(name.clone()) {
            let schema = doc
                .pointer(&format!("/components/schemas/{}", escape_pointer(&name)))
                .unwrap_or(&Value::Null);
            collect_refs(schema, &mut todo);
        }
    }
    Ok(found)
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(schema_name)
            {
                into.push(name);
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

fn schema_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix(SCHEMAS)
        .map(|n| n.replace("~1", "/").replace("~0", "~"))
}

fn id_ref(id: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{}", escape_pointer(id)) })
}

/// A plain string schema, one an id type may replace without losing a
/// constraint.
fn is_plain_string(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("string"))
        && ["enum", "const", "format", "pattern"]
            .iter()
            .all(|k| schema.get(k).is_none())
}

/// The model's own `id` (made required), and properties named after a
/// model's id anywhere (`customer_id`, `default_payment_method_id`).
fn type_properties(doc: &mut Value, models: &Models) -> Result<(), String> {
    // Longest first: `customer_user_id` is a CustomerUser's, not a User's.
    let mut by_suffix: Vec<(String, &String)> = models
        .ids
        .iter()
        .map(|(id, model)| (format!("{}_id", model.to_snake_case()), id))
        .collect();
    by_suffix.sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
    let own = models.by_model();
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    for (name, schema) in schemas.iter_mut() {
        if let Some(id) = own.get(name) {
            schema["properties"]["id"] = id_ref(id);
            let required = schema
                .as_object_mut()
                .expect("has properties")
                .entry("required")
                .or_insert_with(|| json!([]));
            match required.as_array_mut() {
                Some(list) if !list.contains(&json!("id")) => list.push(json!("id")),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "/components/schemas/{}/required: expected an array",
                        escape_pointer(name)
                    ));
                }
            }
        }
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (property, value) in properties.iter_mut() {
            if property == "id" || !is_plain_string(value) {
                continue;
            }
            let named = by_suffix.iter().find(|(suffix, _)| {
                property == suffix || property.ends_with(&format!("_{suffix}"))
            });
            if let Some((_, id)) = named {
                *value = id_ref(id);
            }
        }
    }
    Ok(())
}

/// Path parameters: `{p}` takes the id type of the model that an operation
/// on the path up to `{p}` answers with.
fn type_path_parameters(doc: &mut Value, models: &Models) -> Result<(), String> {
    let by_model = models.by_model();
    let answered = |doc: &Value, path: &str| -> Option<String> {
        let item = doc["paths"].get(path)?;
        ["get", "put", "patch", "post", "delete"]
            .iter()
            .find_map(|m| {
                let responses = item.get(*m)?["responses"].as_object()?;
                responses.iter().find_map(|(status, r)| {
                    let reference = r["content"]["application/json"]["schema"]["$ref"].as_str()?;
                    status.starts_with('2').then(|| schema_name(reference))?
                })
            })
    };
    let mut typed = Vec::new();
    for op in spec::operations(doc, "the merged spec")? {
        let segments: Vec<&str> = op.path.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                continue;
            };
            let prefix = segments[..=i].join("/");
            if let Some(id) = answered(doc, &prefix).and_then(|m| by_model.get(&m).copied()) {
                typed.push((op.pointer(), param.to_string(), id.clone()));
            }
        }
    }
    for (pointer, param, id) in typed {
        let params = doc
            .pointer_mut(&format!("{pointer}/parameters"))
            .and_then(Value::as_array_mut);
        for p in params.into_iter().flatten() {
            if p["in"] == "path" && p["name"] == param.as_str() && is_plain_string(&p["schema"]) {
                p["schema"] = id_ref(&id);
            }
        }
    }
    Ok(())
}

fn timestamps(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for (property, value) in properties.into_iter().flatten() {
            let string = value.get("type") == Some(&json!("string"));
            let dated = value.get("format") == Some(&json!("date-time"))
                || (value.get("format").is_none() && property.ends_with("_at"));
            if string && dated {
                found.insert((name.to_pascal_case(), property.clone()));
            }
        }
    }
    found
}

/// Adds to progenitor's `types` module what [`shape`] decided: the id
/// types, an accessor per model field (timestamps parsed), and builder
/// setters that take `impl Into<_>` (`.name("Acme")`) instead of
/// typify's `TryInto<Option<_>>`, which `&str` does not implement.
pub fn add_to_types(items: &mut Vec<syn::Item>, models: &Models) -> Result<(), String> {
    let mut extra: Vec<syn::Item> = Vec::new();
    for (id, model) in &models.ids {
        extra.extend(id_type(id, model)?);
    }
    if models.secrets {
        extra.extend(secret_type()?);
    }
    if !models.timestamps.is_empty() {
        extra.extend(parse_items(timestamp_error())?);
    }
    // Field docs by (model, field ident), for the builders' setters.
    let mut docs: BTreeMap<(String, String), Vec<syn::Attribute>> = BTreeMap::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(model) => {
                document_fields(model, models);
                for field in model.fields.iter() {
                    if let Some(ident) = &field.ident {
                        let key = (model.ident.to_string(), ident.to_string());
                        docs.insert(key, doc_attrs(&field.attrs));
                    }
                }
                if let Some(accessors) = accessors(model, models) {
                    extra.extend(parse_items(accessors)?);
                }
            }
            syn::Item::Impl(block) => document_builder_fn(block),
            _ => {}
        }
    }
    for item in items.iter_mut() {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        for item in m.content.iter_mut().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Impl(block) => {
                    let model = type_name(&block.self_ty);
                    for member in &mut block.items {
                        into_setter(member, &model, &docs);
                    }
                }
                syn::Item::Struct(builder) => {
                    let doc = format!(
                        " Builds a [`{0}`](super::{0}) field by field (`{0}::builder()`); \
                         a method may take it where it takes a `{0}`, or convert it with \
                         `try_into()`, which names any required field left unset.",
                        builder.ident
                    );
                    builder.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                }
                _ => {}
            }
        }
    }
    items.extend(extra);
    Ok(())
}

fn parse_items(tokens: proc_macro2::TokenStream) -> Result<Vec<syn::Item>, String> {
    syn::parse2::<syn::File>(tokens)
        .map(|f| f.items)
        .map_err(|e| format!("generated model code does not parse: {e}"))
}

fn id_type(id: &str, model: &str) -> Result<Vec<syn::Item>, String> {
    let name = quote::format_ident!("{id}");
    let doc = format!(
        " The id of a [`{model}`]: displays and serializes as the bare string.\n\n \
         Made from a `&str` or `String` (`\"cus_1\".into()`); the SDK refuses an \
         empty id, or one holding `/` or a control character, before sending."
    );
    parse_items(quote::quote! {
        #[doc = #doc]
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[serde(transparent)]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        pub struct #name(::std::string::String);
        impl #name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The id as an owned `String`.
            pub fn into_string(self) -> ::std::string::String {
                self.0
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(s: ::std::string::String) -> Self {
                Self(s)
            }
        }
        impl ::std::convert::From<&::std::string::String> for #name {
            fn from(s: &::std::string::String) -> Self {
                Self(s.clone())
            }
        }
        impl ::std::convert::From<&#name> for #name {
            fn from(id: &#name) -> Self {
                id.clone()
            }
        }
        impl ::std::convert::From<#name> for ::std::string::String {
            fn from(id: #name) -> Self {
                id.0
            }
        }
        impl ::std::ops::Deref for #name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl ::std::cmp::PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl ::std::cmp::PartialEq<::std::string::String> for #name {
            fn eq(&self, other: &::std::string::String) -> bool {
                self.0 == *other
            }
        }
        impl ::std::cmp::PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    })
}

/// The [`SECRET`] type.
fn secret_type() -> Result<Vec<syn::Item>, String> {
    let name = quote::format_ident!("{SECRET}");
    parse_items(quote::quote! {
        /// A secret the API takes (a webhook subscription's `secret_key`):
        /// serialized as its text, never shown. Its `Debug` prints
        /// `[redacted]` and it has no `Display`, so a model holding one can
        /// be logged; [`expose`](Self::expose) gives the text.
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, PartialEq, Eq)]
        #[serde(transparent)]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        pub struct #name(::std::string::String);
        impl #name {
            /// The secret's text, to give it where it belongs.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("Secret([redacted])")
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(s: ::std::string::String) -> Self {
                Self(s)
            }
        }
    })
}

fn timestamp_error() -> proc_macro2::TokenStream {
    quote::quote! {
        /// A timestamp field whose text is not RFC 3339. The text stays in
        /// the field; this error says which one, and what it held.
        #[derive(Clone, Debug)]
        pub struct TimestampError {
            model: &'static str,
            field: &'static str,
            value: ::std::string::String,
            source: ::time::error::Parse,
        }
        impl TimestampError {
            /// The model, e.g. `Customer`.
            pub fn model(&self) -> &'static str {
                self.model
            }
            /// The field, e.g. `created_at`.
            pub fn field(&self) -> &'static str {
                self.field
            }
            /// The text the API sent.
            pub fn value(&self) -> &str {
                &self.value
            }
        }
        impl ::std::fmt::Display for TimestampError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // A server can send anything: show enough to recognise it.
                let shown: ::std::string::String = self.value.chars().take(64).collect();
                let more = if shown.len() < self.value.len() { "..." } else { "" };
                write!(
                    f,
                    "`{}.{}` is not an RFC 3339 timestamp: {:?}{}",
                    self.model, self.field, shown, more
                )
            }
        }
        impl ::std::error::Error for TimestampError {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                Some(&self.source)
            }
        }
        fn parse_timestamp(
            model: &'static str,
            field: &'static str,
            value: &str,
        ) -> ::std::result::Result<::time::OffsetDateTime, TimestampError> {
            ::time::OffsetDateTime::parse(value, &::time::format_description::well_known::Rfc3339)
                .map_err(|source| TimestampError {
                    model,
                    field,
                    value: value.to_owned(),
                    source,
                })
        }
    }
}

/// The last segment of a type path and its single type argument, if any.
fn path_parts(ty: &syn::Type) -> Option<(String, Option<&syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let arg = match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((last.ident.to_string(), arg))
}

const COPY: [&str; 14] = [
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "isize", "usize",
    "Decimal",
];

/// The `#[doc]` attributes among `attrs`.
fn doc_attrs(attrs: &[syn::Attribute]) -> Vec<syn::Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect()
}

/// The last segment of a type's path (`builder::Customer` → `Customer`).
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A doc on every field that has none: the description `docs.rs` gave its
/// property, lost where an id type replaced the property's schema.
fn document_fields(model: &mut syn::ItemStruct, models: &Models) {
    let name = model.ident.to_string();
    let syn::Fields::Named(fields) = &mut model.fields else {
        return;
    };
    for field in &mut fields.named {
        if !doc_attrs(&field.attrs).is_empty() {
            continue;
        }
        let Some(ident) = &field.ident else { continue };
        let wire = serde_name(field).unwrap_or_else(|| ident.to_string());
        if let Some(text) = models.field_docs.get(&(name.clone(), wire)) {
            let doc = text.to_string();
            field.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        }
    }
}

/// typify's `impl Model { pub fn builder() -> builder::Model }`, said
/// for what it is: it returns a builder, not the model.
fn document_builder_fn(block: &mut syn::ItemImpl) {
    let model = type_name(&block.self_ty);
    for member in &mut block.items {
        if let syn::ImplItem::Fn(f) = member
            && f.sig.ident == "builder"
            && f.sig.inputs.is_empty()
            && doc_attrs(&f.attrs).is_empty()
        {
            let doc = format!(
                " A builder of a [`{model}`], every field unset: set them with its \
                 methods, one a field."
            );
            f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        }
    }
}

/// `impl Model { pub fn field(&self) -> ... }` for every named field:
/// `Option<&str>` for optional text, the value for optional numbers and
/// booleans, a reference otherwise, and the parsed time for timestamps.
fn accessors(model: &syn::ItemStruct, models: &Models) -> Option<proc_macro2::TokenStream> {
    let syn::Fields::Named(fields) = &model.fields else {
        return None;
    };
    let name = &model.ident;
    let model_name = name.to_string();
    let methods = fields.named.iter().filter_map(|field| {
        let ident = field.ident.as_ref()?;
        if ident == "builder" {
            return None; // the associated function of that name
        }
        let ty = &field.ty;
        let wire = serde_name(field).unwrap_or_else(|| ident.to_string());
        let field_docs = doc_attrs(&field.attrs);
        if models.timestamps.contains(&(model_name.clone(), wire.clone())) {
            let doc = format!(
                "\n\n `{wire}` as a time: `Ok(None)` when absent, an error naming the field \
                 when the text is not RFC 3339 (the text stays in the field)."
            );
            let body = match path_parts(ty) {
                Some((outer, Some(_))) if outer == "Option" => quote::quote! {
                    self.#ident.as_deref().map(|v| parse_timestamp(#model_name, #wire, v)).transpose()
                },
                _ => quote::quote! { parse_timestamp(#model_name, #wire, &self.#ident).map(Some) },
            };
            return Some(quote::quote! {
                #(#field_docs)*
                #[doc = #doc]
                pub fn #ident(&self) -> ::std::result::Result<::std::option::Option<::time::OffsetDateTime>, TimestampError> {
                    #body
                }
            });
        }
        let (returns, body) = match path_parts(ty) {
            Some((outer, Some(inner))) if outer == "Option" => match path_parts(inner) {
                Some((s, None)) if s == "String" => (
                    quote::quote!(::std::option::Option<&str>),
                    quote::quote!(self.#ident.as_deref()),
                ),
                Some((p, None)) if COPY.contains(&p.as_str()) => {
                    (quote::quote!(::std::option::Option<#inner>), quote::quote!(self.#ident))
                }
                _ => (
                    quote::quote!(::std::option::Option<&#inner>),
                    quote::quote!(self.#ident.as_ref()),
                ),
            },
            Some((outer, Some(inner))) if outer == "Vec" => {
                (quote::quote!(&[#inner]), quote::quote!(&self.#ident))
            }
            Some((s, None)) if s == "String" => (quote::quote!(&str), quote::quote!(&self.#ident)),
            Some((p, None)) if COPY.contains(&p.as_str()) => {
                (quote::quote!(#ty), quote::quote!(self.#ident))
            }
            _ => (quote::quote!(&#ty), quote::quote!(&self.#ident)),
        };
        Some(quote::quote! {
            #(#field_docs)*
            pub fn #ident(&self) -> #returns {
                #body
            }
        })
    });
    let methods: Vec<_> = methods.collect();
    (!methods.is_empty()).then(|| quote::quote! { impl #name { #(#methods)* } })
}

/// The wire name of a field renamed with `#[serde(rename = "...")]`.
pub fn serde_name(field: &syn::Field) -> Option<String> {
    field.attrs.iter().find_map(|attr| {
        if !attr.path().is_ident("serde") {
            return None;
        }
        let mut renamed = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                renamed = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
        renamed
    })
}

/// Turns typify's setter of an optional field,
/// `fn f<T>(self, value: T) where T: TryInto<Option<X>>`, into
/// `fn f<T>(self, value: T) where T: Into<X>`: `&str` is `Into<String>`
/// and `Into<CustomerId>` but not `TryInto<Option<String>>`. Other setters
/// (required fields, which already accept `&str` through `TryFrom`) stay.
fn into_setter(
    member: &mut syn::ImplItem,
    model: &str,
    docs: &BTreeMap<(String, String), Vec<syn::Attribute>>,
) {
    let syn::ImplItem::Fn(f) = member else {
        return;
    };
    let field_docs = docs
        .get(&(model.to_string(), f.sig.ident.to_string()))
        .cloned()
        .unwrap_or_default();
    // A required field's setter keeps typify's signature; it gets the
    // field's doc all the same.
    if doc_attrs(&f.attrs).is_empty() && !field_docs.is_empty() {
        let doc = format!(" Sets `{}`:", f.sig.ident);
        f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        for (i, attr) in field_docs.iter().enumerate() {
            f.attrs.insert(i + 1, attr.clone());
        }
    }
    let Some(clause) = &f.sig.generics.where_clause else {
        return;
    };
    let inner = clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(p) = p else {
            return None;
        };
        p.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            let Some(syn::GenericArgument::Type(target)) = args.args.first() else {
                return None;
            };
            match path_parts(target) {
                Some((outer, Some(inner))) if outer == "Option" => Some(inner.clone()),
                _ => None,
            }
        })
    });
    let Some(inner) = inner else {
        return;
    };
    let ident = &f.sig.ident;
    let doc = format!(" Sets `{ident}`:");
    *member = syn::parse_quote! {
        #[doc = #doc]
        #(#field_docs)*
        pub fn #ident<T>(mut self, value: T) -> Self
        where
            T: ::std::convert::Into<#inner>,
        {
            self.#ident = Ok(Some(value.into()));
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.1",
            "paths": {
                "/things/{id}": { "get": { "operationId": "getThing",
                    "parameters": [{ "in": "path", "name": "id", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ThingReply" } } } } } } },
                "/things/{id}/parts": { "post": { "operationId": "addPart",
                    "parameters": [{ "in": "path", "name": "id", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewPart" } } } },
                    "responses": { "201": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Part" } } } } } } }
            },
            "components": { "schemas": {
                "ThingReply": { "x-sdk-name": "Thing", "type": "object", "properties": {
                    "id": { "type": "string" }, "created_at": { "type": "string" },
                    "main_part_id": { "type": "string" }, "code_id": { "type": "string", "format": "uuid" } } },
                "Part": { "type": "object", "properties": { "id": { "type": "string" }, "thing_id": { "type": "string" } } },
                "NewPart": { "type": "object", "properties": { "thing_id": { "type": "string" } } }
            } }
        })
    }

    #[test]
    fn ids_names_and_timestamps_follow_from_the_spec() {
        let mut doc = doc();
        let models = shape(&mut doc).expect("shapes");
        assert_eq!(
            models.ids,
            BTreeMap::from([
                ("PartId".to_string(), "Part".to_string()),
                ("ThingId".to_string(), "Thing".to_string())
            ])
        );
        let schemas = &doc["components"]["schemas"];
        assert!(schemas.get("ThingReply").is_none());
        assert_eq!(
            schemas["Thing"]["properties"]["id"]["$ref"],
            "#/components/schemas/ThingId"
        );
        assert_eq!(schemas["Thing"]["required"], json!(["id"]));
        assert_eq!(
            schemas["Thing"]["properties"]["main_part_id"]["$ref"],
            "#/components/schemas/PartId"
        );
        // A constrained string keeps its constraint.
        assert_eq!(schemas["Thing"]["properties"]["code_id"]["format"], "uuid");
        // Inputs are not required to carry ids, but name them by type.
        assert_eq!(
            schemas["NewPart"]["properties"]["thing_id"]["$ref"],
            "#/components/schemas/ThingId"
        );
        assert!(schemas["NewPart"].get("required").is_none());
        let get = &doc["paths"]["/things/{id}"]["get"];
        assert_eq!(
            get["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/ThingId"
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
        let add = &doc["paths"]["/things/{id}/parts"]["post"];
        assert_eq!(
            add["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/ThingId"
        );
        assert_eq!(
            models.timestamps,
            BTreeSet::from([("Thing".to_string(), "created_at".to_string())])
        );
    }

    #[test]
    fn a_bad_or_clashing_name_is_refused_with_its_place() {
        let mut bad = doc();
        bad["components"]["schemas"]["ThingReply"]["x-sdk-name"] = json!("thing");
        let err = shape(&mut bad).expect_err("refused");
        assert!(
            err.starts_with("/components/schemas/ThingReply/x-sdk-name: expected a Rust type name"),
            "{err}"
        );

        let mut clash = doc();
        clash["components"]["schemas"]["ThingReply"]["x-sdk-name"] = json!("Part");
        let err = shape(&mut clash).expect_err("refused");
        assert!(
            err.contains("`Part` is already the name of another schema"),
            "{err}"
        );

        let mut taken = doc();
        taken["components"]["schemas"]["PartId"] = json!({ "type": "integer" });
        let err = shape(&mut taken).expect_err("refused");
        assert!(
            err.contains("would be `PartId`, which the spec already defines"),
            "{err}"
        );
    }
}
