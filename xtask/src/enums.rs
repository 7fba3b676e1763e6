//! Forward-compatible string enums.
//!
//! typify turns a string enum into a Rust enum whose `Deserialize` rejects
//! any other value, so one new value from the provider (say a payment method
//! type `"sepa"`) would make whole responses undecodable. Instead, every
//! string enum of the spec becomes an open enum: the known values as unit
//! variants plus a catch-all holding any other string verbatim, which
//! serialises back unchanged.
//!
//! typify only lets *named* types be replaced, so inline string enums are
//! first hoisted into `components/schemas` under a name derived from where
//! they sit; each named one is then replaced (`with_replacement`) by a type
//! this module writes.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Value, json};

use crate::convert::for_each_schema;
use crate::spec::{MovedSchema, add_component_schemas, escape_pointer};

/// A string enum of the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenEnum {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

fn string_enum_values(schema: &Value) -> Option<Vec<String>> {
    let obj = schema.as_object()?;
    if obj.get("type").is_some_and(|t| t != "string") {
        return None;
    }
    let values = obj.get("enum")?.as_array()?;
    let values: Option<Vec<String>> = values
        .iter()
        .map(|v| v.as_str().map(String::from))
        .collect();
    values.filter(|v| !v.is_empty())
}

/// Moves inline string enums of a 3.0 document into named component schemas
/// and returns every string enum component, sorted by name.
pub fn hoist_and_collect(doc: &mut Value) -> Result<Vec<OpenEnum>, String> {
    let mut hoisted: Vec<MovedSchema> = Vec::new();
    for_each_schema(doc, &mut |schema, site| {
        let is_component = site.pointer.starts_with("/components/schemas/");
        if is_component && string_enum_values(schema).is_some() {
            if schema.get("nullable") == Some(&Value::Bool(true)) {
                return Err(format!(
                    "{}: a nullable enum component is not supported; make the enum non-null and the places that use it nullable",
                    site.pointer
                ));
            }
            return Ok(());
        }
        hoist_in(
            schema,
            &site.pointer,
            &site.name_hint,
            !is_component,
            &mut hoisted,
        )
    })?;

    add_component_schemas(doc, hoisted, |clash| {
        format!(
            "{}: the inline enum would be named {name}, but /components/schemas/{name} is a different schema; name the enum in components",
            clash.from,
            name = clash.name
        )
    })?;

    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Ok(Vec::new());
    };
    let mut enums: Vec<OpenEnum> = schemas
        .iter()
        .filter_map(|(name, schema)| {
            Some(OpenEnum {
                name: name.clone(),
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(String::from),
                values: string_enum_values(schema)?,
            })
        })
        .collect();
    enums.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(enums)
}

/// Replaces `schema` (when `hoist_self`) or any string enum nested in it with
/// a reference to a component named after `hint`.
fn hoist_in(
    schema: &mut Value,
    pointer: &str,
    hint: &str,
    hoist_self: bool,
    hoisted: &mut Vec<MovedSchema>,
) -> Result<(), String> {
    if hoist_self && string_enum_values(schema).is_some() {
        let mut component = schema.as_object().cloned().unwrap_or_default();
        let nullable = component.remove("nullable") == Some(Value::Bool(true));
        component.insert("type".into(), "string".into());
        let name = hint.to_upper_camel_case();
        let reference =
            json!({ "$ref": format!("#/components/schemas/{}", escape_pointer(&name)) });
        *schema = if nullable {
            json!({ "allOf": [reference], "nullable": true })
        } else {
            reference
        };
        hoisted.push(MovedSchema {
            from: pointer.to_string(),
            name,
            schema: Value::Object(component),
        });
        return Ok(());
    }
    let Some(obj) = schema.as_object_mut() else {
        return Ok(());
    };
    for (key, child) in obj.iter_mut() {
        let child_pointer = format!("{pointer}/{}", escape_pointer(key));
        match key.as_str() {
            "properties" => {
                for (name, prop) in child.as_object_mut().into_iter().flatten() {
                    let p = format!("{child_pointer}/{}", escape_pointer(name));
                    hoist_in(prop, &p, &format!("{hint}_{name}"), true, hoisted)?;
                }
            }
            "items" => hoist_in(
                child,
                &child_pointer,
                &format!("{hint}_item"),
                true,
                hoisted,
            )?,
            "additionalProperties" => {
                hoist_in(
                    child,
                    &child_pointer,
                    &format!("{hint}_value"),
                    true,
                    hoisted,
                )?;
            }
            "allOf" | "anyOf" | "oneOf" => {
                for (i, branch) in child.as_array_mut().into_iter().flatten().enumerate() {
                    let p = format!("{child_pointer}/{i}");
                    hoist_in(branch, &p, &format!("{hint}_variant{i}"), true, hoisted)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The Rust type written for one open enum, as items for the generated
/// `types` module.
pub fn tokens(open: &OpenEnum) -> Result<TokenStream, String> {
    let mut variants = Vec::new();
    for value in &open.values {
        // Rust identifiers here are ASCII: heck keeps letters of any
        // script, and some (combining marks) cannot start or be an
        // identifier. Values that lose everything get their code points.
        let mut variant: String = value
            .to_upper_camel_case()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if variant.is_empty() && !value.is_empty() {
            let points: Vec<String> = value.chars().map(|c| format!("{:X}", c as u32)).collect();
            variant = format!("U{}", points.join("U"));
        }
        if variant.is_empty() {
            variant = "Empty".into();
        }
        if variant == "Self" {
            variant = "SelfValue".into();
        }
        if variant.starts_with(|c: char| c.is_ascii_digit()) {
            variant.insert(0, 'V');
        }
        if let Some((other, _)) = variants.iter().find(|(_, v)| *v == variant) {
            return Err(format!(
                "/components/schemas/{}: enum values {other:?} and {value:?} both map to the Rust variant {variant}",
                open.name
            ));
        }
        variants.push((value.clone(), variant));
    }
    // The catch-all takes the first name no known value uses: the usual
    // ones, then Unknown2, Unknown3, ... (n values take at most n names).
    let taken = |name: &str| variants.iter().any(|(_, v)| v == name);
    let catch_all = ["Unknown", "Other", "UnknownValue"]
        .into_iter()
        .map(String::from)
        .chain((2..).map(|n| format!("Unknown{n}")))
        .find(|name| !taken(name))
        .unwrap_or_default();

    let name = format_ident!("{}", open.name);
    let name_str = &open.name;
    let values: Vec<&String> = variants.iter().map(|(value, _)| value).collect();
    let idents: Vec<_> = variants.iter().map(|(_, v)| format_ident!("{v}")).collect();
    let value_docs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    let catch_all = format_ident!("{catch_all}");
    let doc = open
        .description
        .clone()
        .unwrap_or_else(|| format!("`{name_str}`"));
    let known = values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let open_doc = format!(
        "Open enum: besides the values known when this SDK was generated ({known}), any other string decodes into [`{name_str}::{catch_all}`] and is sent back unchanged."
    );
    let schema_doc = format!(
        "Known values: {}. Other values may appear.",
        values
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    Ok(quote! {
        #[doc = #doc]
        ///
        #[doc = #open_doc]
        // Non-exhaustive: a value the provider adds becomes a new variant in
        // a minor release (matches keep a `_` arm). No derived `Ord`: it
        // would order by variant position, which a new value changes.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #value_docs] #idents, )*
            /// A value this version of the SDK does not know, kept verbatim.
            #catch_all(::std::string::String),
        }

        impl #name {
            /// The values known when this SDK was generated.
            pub const KNOWN_VALUES: &'static [&'static str] = &[#(#values),*];

            /// The value as it is sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #values, )*
                    Self::#catch_all(value) => value.as_str(),
                }
            }

            /// Whether this is a value this SDK was generated without.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::#catch_all(_))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#idents, )*
                    other => Self::#catch_all(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #( #values => Self::#idents, )*
                    _ => Self::#catch_all(value),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <::std::string::String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #name_str.to_owned()
            }

            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                // Any string: the schema must accept the values the type does.
                ::schemars::schema::SchemaObject {
                    instance_type: Some(::schemars::schema::InstanceType::String.into()),
                    metadata: Some(::std::boxed::Box::new(::schemars::schema::Metadata {
                        description: Some(#schema_doc.to_owned()),
                        ..::std::default::Default::default()
                    })),
                    ..::std::default::Default::default()
                }
                .into()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{OpenEnum, hoist_and_collect, tokens};

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": { "title": "t", "version": "1" },
            "paths": { "/methods": { "get": {
                "operationId": "listMethods",
                "parameters": [{ "in": "query", "name": "sort_order", "schema": { "type": "string", "enum": ["asc", "desc"] } }],
                "responses": { "200": { "description": "ok" } }
            } } },
            "components": { "schemas": {
                "MethodType": { "type": "string", "enum": ["card", "ach"], "description": "How a customer pays" },
                "PaymentMethod": { "type": "object", "properties": {
                    "type": { "$ref": "#/components/schemas/MethodType" },
                    "status": { "type": "string", "enum": ["active", "expired"], "nullable": true },
                    "tags": { "type": "array", "items": { "type": "string", "enum": ["new"] } }
                } }
            } }
        })
    }

    #[test]
    fn every_string_enum_is_collected_and_inline_ones_are_named() {
        let mut doc = doc();
        let enums = hoist_and_collect(&mut doc).expect("hoists");
        let names: Vec<_> = enums.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ListMethodsSortOrder",
                "MethodType",
                "PaymentMethodStatus",
                "PaymentMethodTagsItem"
            ]
        );
        let schemas = &doc["components"]["schemas"];
        let props = &schemas["PaymentMethod"]["properties"];
        assert_eq!(
            props["status"],
            json!({ "allOf": [{ "$ref": "#/components/schemas/PaymentMethodStatus" }], "nullable": true })
        );
        assert_eq!(
            props["tags"]["items"],
            json!({ "$ref": "#/components/schemas/PaymentMethodTagsItem" })
        );
        assert_eq!(
            doc["paths"]["/methods"]["get"]["parameters"][0]["schema"],
            json!({ "$ref": "#/components/schemas/ListMethodsSortOrder" })
        );
        assert_eq!(
            schemas["PaymentMethodStatus"],
            json!({ "type": "string", "enum": ["active", "expired"] })
        );
        assert_eq!(enums[1].description.as_deref(), Some("How a customer pays"));
    }

    #[test]
    fn a_hoisted_name_taken_by_another_schema_is_an_error() {
        let mut doc = doc();
        doc["components"]["schemas"]["PaymentMethodStatus"] = json!({ "type": "integer" });
        let err = hoist_and_collect(&mut doc).expect_err("clash");
        assert!(
            err.starts_with("/components/schemas/PaymentMethod/properties/status: the inline enum would be named PaymentMethodStatus"),
            "{err}"
        );
    }

    #[test]
    fn a_nullable_enum_component_is_an_error() {
        let mut doc = doc();
        doc["components"]["schemas"]["MethodType"]["nullable"] = json!(true);
        let err = hoist_and_collect(&mut doc).expect_err("refused");
        assert!(
            err.starts_with("/components/schemas/MethodType: a nullable enum component"),
            "{err}"
        );
    }

    fn code(values: &[&str]) -> Result<String, String> {
        let open = OpenEnum {
            name: "E".into(),
            description: None,
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        tokens(&open).map(|t| t.to_string())
    }

    #[test]
    fn catch_all_variant_avoids_names_the_values_use() {
        assert!(
            code(&["card"])
                .expect("ok")
                .contains("Unknown (:: std :: string :: String)")
        );
        let with_unknown = code(&["unknown", "card"]).expect("ok");
        assert!(
            with_unknown.contains("Other (:: std :: string :: String)"),
            "{with_unknown}"
        );
    }

    #[test]
    fn values_taking_every_usual_catch_all_name_leave_one_free() {
        let code = code(&["unknown", "other", "unknown_value"]).expect("no panic");
        assert!(
            code.contains("Unknown2 (:: std :: string :: String)"),
            "{code}"
        );
    }

    #[test]
    fn values_that_are_not_identifiers_get_usable_variant_names() {
        let code = code(&["3ds", "sepa-debit", ""]).expect("ok");
        for variant in ["V3ds ,", "SepaDebit ,", "Empty ,"] {
            assert!(code.contains(variant), "{variant} missing in {code}");
        }
    }

    #[test]
    fn values_in_other_scripts_and_keywords_get_ascii_identifiers() {
        // Found by fuzz_conversion: a combining mark made quote panic.
        let values = ["\u{5b3}", "self", "café", "東京"];
        let open = OpenEnum {
            name: "E".into(),
            description: None,
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let tokens = tokens(&open).expect("no panic, no error");
        syn::parse2::<syn::File>(tokens.clone()).expect("the enum parses as Rust");
        let code = tokens.to_string();
        for variant in ["U5B3 ,", "SelfValue ,", "Caf ,", "U6771U4EAC ,"] {
            assert!(code.contains(variant), "{variant} missing in {code}");
        }
    }

    #[test]
    fn values_that_collide_as_variants_are_an_error() {
        assert_eq!(
            code(&["sepa_debit", "sepa-debit"]).expect_err("collide"),
            "/components/schemas/E: enum values \"sepa_debit\" and \"sepa-debit\" both map to the Rust variant SepaDebit"
        );
    }
}
