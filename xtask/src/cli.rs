//! The `altpay` command tree: progenitor's clap CLI for every operation
//! (`Generator::cli`), plus the table that gives each operation the command
//! users type, derived from the spec rather than kept by hand:
//!
//! - the words are the path's fixed segments and the operationId's verb:
//!   `listCustomerUsers` on `GET /customers/{id}/users` is
//!   `customers users list`; a last segment that repeats the verb is
//!   dropped (`restoreCustomer` on `/customers/{id}/restore` is
//!   `customers restore`);
//! - path parameters become positional arguments, in path order;
//! - an operation taking an `after` cursor and answering
//!   `has_next_page`/`end_cursor` can be paged with `--all`.
//!
//! Two operations landing on the same words is a generate error naming
//! both, not a silently shadowed command.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::table::Row;
use crate::{files, spec};

/// The query parameter that asks for the page after a cursor.
const CURSOR_PARAMETER: &str = "after";

/// What the CLI needs to know about one operation beyond progenitor's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub operation_id: String,
    /// `["customers", "users", "list"]`.
    pub words: Vec<String>,
    /// Path parameters as progenitor names their flags (kebab case), in
    /// path order.
    pub positional: Vec<String>,
    /// Whether `--all` can follow its cursor.
    pub paginated: bool,
    /// The request body's top-level fields, when the spec lists them: the
    /// CLI refuses a `--json-body` with any other (a typo would otherwise
    /// be dropped without a word).
    pub body_fields: Option<Vec<String>>,
    /// Help for flags, by flag id, where the spec says more than
    /// progenitor's help shows: body fields (which progenitor leaves
    /// without help) and enum values (open enums: others are sent as given).
    pub flag_help: Vec<(String, String)>,
    /// What `--json-body-template` prints: the request body with a
    /// placeholder for each field.
    pub body_template: Option<String>,
}

/// The command of every operation, in table order; an error when two
/// operations would share words, or one's words prefix another's (a command
/// cannot also be a group).
pub fn commands(merged: &Value, rows: &[Row]) -> Result<Vec<Command>, String> {
    let mut commands: Vec<Command> = Vec::new();
    for row in rows {
        let verb = row
            .operation_id
            .to_snake_case()
            .split('_')
            .next()
            .unwrap_or_default()
            .to_kebab_case();
        let mut words = Vec::new();
        let mut positional = Vec::new();
        for segment in row.path.split('/').filter(|s| !s.is_empty()) {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => positional.push(param.to_kebab_case()),
                None => words.push(segment.to_kebab_case()),
            }
        }
        if words.last() == Some(&verb) {
            words.pop();
        }
        words.push(verb);
        let operation = &merged["paths"][&row.path][&row.method];
        let paginated = row.query.iter().any(|q| q == CURSOR_PARAMETER)
            && answers_pages(
                merged,
                &operation["responses"][row.success_status.to_string()],
            );
        let body = spec::json_content_schema(merged, &operation["requestBody"]);
        let command = Command {
            operation_id: row.operation_id.clone(),
            words,
            positional,
            paginated,
            body_fields: row.body_fields.clone(),
            flag_help: flag_help(merged, operation, body),
            body_template: body["properties"]
                .is_object()
                .then(|| template_text(merged, body)),
        };
        if let Some(other) = commands.iter().find(|c| {
            let shorter = c.words.len().min(command.words.len());
            c.words[..shorter] == command.words[..shorter]
        }) {
            return Err(format!(
                "operations `{}` and `{}` clash as altpay commands (`{}`, `{}`); \
                 rename one operationId or change its path",
                other.operation_id,
                command.operation_id,
                other.words.join(" "),
                command.words.join(" ")
            ));
        }
        commands.push(command);
    }
    Ok(commands)
}

/// The schema `schema` stands for, with a local `$ref` resolved.
fn resolved<'a>(merged: &'a Value, schema: &'a Value) -> &'a Value {
    spec::ref_target(merged, schema).unwrap_or(schema)
}

/// The known values of a string enum schema.
fn enum_values(merged: &Value, schema: &Value) -> Vec<String> {
    resolved(merged, schema)["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

/// `string`, `integer`, ...: what a flag's value is, in its help.
fn type_word(merged: &Value, schema: &Value) -> String {
    match &resolved(merged, schema)["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "value".into(),
    }
}

/// Help for query parameters with enum values and for every body field.
fn flag_help(merged: &Value, operation: &Value, body: &Value) -> Vec<(String, String)> {
    let known = |values: Vec<String>| {
        format!(
            "Known values: {}; any other is sent as given",
            values.join(", ")
        )
    };
    let mut help = Vec::new();
    for param in operation["parameters"].as_array().into_iter().flatten() {
        let param = resolved(merged, param);
        let values = enum_values(merged, &param["schema"]);
        if param["in"] == "query"
            && !values.is_empty()
            && let Some(name) = param["name"].as_str()
        {
            let text = match param["description"].as_str() {
                Some(d) => format!("{d}. {}", known(values)),
                None => known(values),
            };
            help.push((name.to_kebab_case(), text));
        }
    }
    for (field, schema) in body["properties"].as_object().into_iter().flatten() {
        let schema = resolved(merged, schema);
        let mut text = match schema["description"].as_str() {
            Some(d) => d.to_string(),
            None => format!(
                "The request body's `{field}` ({})",
                type_word(merged, schema)
            ),
        };
        let values = enum_values(merged, schema);
        if !values.is_empty() {
            text = format!("{text}. {}", known(values));
        }
        help.push((field.replace('_', "-"), text));
    }
    help
}

/// The request body as JSON with a placeholder for every field: its type
/// (`"string"`, `0`, `false`), or its known values (`"a|b"`).
fn template_text(merged: &Value, body: &Value) -> String {
    fn placeholder(merged: &Value, schema: &Value, depth: usize) -> Value {
        let schema = resolved(merged, schema);
        let values = enum_values(merged, schema);
        if !values.is_empty() {
            return Value::String(values.join("|"));
        }
        match type_word(merged, schema).as_str() {
            "integer" => Value::from(0),
            "number" => Value::from(0.0),
            "boolean" => Value::Bool(false),
            "array" if depth < 4 => {
                Value::Array(vec![placeholder(merged, &schema["items"], depth + 1)])
            }
            "object" if depth < 4 => Value::Object(
                schema["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), placeholder(merged, v, depth + 1)))
                    .collect(),
            ),
            "array" => Value::Array(Vec::new()),
            "object" => Value::Object(Default::default()),
            other => Value::String(other.to_string()),
        }
    }
    let value = files::sorted(&placeholder(merged, body, 0));
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Whether the success response is a cursor page (`has_next_page` and
/// `end_cursor` properties).
fn answers_pages(merged: &Value, success: &Value) -> bool {
    let properties = &spec::json_content_schema(merged, success)["properties"];
    properties.get("has_next_page").is_some() && properties.get("end_cursor").is_some()
}

/// The CLI's generated file: progenitor's command tree and the table above.
pub fn code(
    generator: &mut progenitor::Generator,
    spec: &openapiv3::OpenAPI,
    commands: &[Command],
) -> Result<String, String> {
    let tree = generator
        .cli(spec, "alternative_payments_raw")
        .map_err(|e| format!("progenitor cannot generate the CLI: {e}"))?;
    let variants: Vec<_> = commands
        .iter()
        // progenitor names CliCommand variants sanitize(operationId, Pascal).
        .map(|c| format_ident!("{}", c.operation_id.to_upper_camel_case()))
        .collect();
    let words = commands.iter().map(|c| {
        let w = &c.words;
        quote!(&[#(#w),*])
    });
    let positional = commands.iter().map(|c| {
        let p = &c.positional;
        quote!(&[#(#p),*])
    });
    let paginated = commands.iter().map(|c| c.paginated);
    let body_fields = commands.iter().map(|c| match &c.body_fields {
        Some(fields) => quote!(Some(&[#(#fields),*])),
        None => quote!(None),
    });
    let flag_help = commands.iter().map(|c| {
        let (flags, help): (Vec<_>, Vec<_>) = c.flag_help.iter().cloned().unzip();
        quote!(&[#((#flags, #help)),*])
    });
    let body_template = commands.iter().map(|c| match &c.body_template {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    });
    let by_words: BTreeMap<String, &str> = commands
        .iter()
        .map(|c| (c.words.join(" "), c.operation_id.as_str()))
        .collect();
    let doc = [
        " The command users type for each operation:".to_string(),
        String::new(),
    ]
    .into_iter()
    .chain(
        by_words
            .iter()
            .map(|(words, id)| format!(" - `altpay {words}`: `{id}`")),
    );
    let tokens = quote! {
        #tree

        impl CliCommand {
            #( #[doc = #doc] )*
            pub const fn words(self) -> &'static [&'static str] {
                match self { #( CliCommand::#variants => #words, )* }
            }

            /// Path parameters, taken as positional arguments in this order.
            pub const fn positional(self) -> &'static [&'static str] {
                match self { #( CliCommand::#variants => #positional, )* }
            }

            /// Whether `--all` can page through it with its `after` cursor.
            pub const fn paginated(self) -> bool {
                match self { #( CliCommand::#variants => #paginated, )* }
            }

            /// The request body's top-level fields, when the spec lists them.
            pub const fn body_fields(self) -> Option<&'static [&'static str]> {
                match self { #( CliCommand::#variants => #body_fields, )* }
            }

            /// Help for flags (by id) beyond progenitor's: body fields, enum values.
            pub const fn flag_help(self) -> &'static [(&'static str, &'static str)] {
                match self { #( CliCommand::#variants => #flag_help, )* }
            }

            /// What `--json-body-template` prints.
            pub const fn body_template(self) -> Option<&'static str> {
                match self { #( CliCommand::#variants => #body_template, )* }
            }
        }
    };
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("progenitor's CLI code does not parse: {e}"))?;
    // Amounts are decimals in the raw crate's models: so are their flags.
    crate::money::retype(&mut file, "::alternative_payments_raw");
    Ok(files::unparse(&file))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::commands;
    use crate::table;

    type Summary = (String, String, Vec<String>, bool);

    fn words(spec: &serde_json::Value) -> Result<Vec<Summary>, String> {
        let rows = table::rows(spec)?;
        Ok(commands(spec, &rows)?
            .into_iter()
            .map(|c| (c.operation_id, c.words.join(" "), c.positional, c.paginated))
            .collect())
    }

    fn op(id: &str) -> serde_json::Value {
        json!({ "operationId": id, "responses": { "200": { "description": "ok" } } })
    }

    #[test]
    fn command_words_come_from_the_path_and_the_verb() {
        let page = json!({ "type": "object", "properties": {
            "data": { "type": "array" }, "has_next_page": { "type": "boolean" },
            "end_cursor": { "type": "string" } } });
        let mut list = op("listCustomerUsers");
        list["parameters"] = json!([{ "in": "query", "name": "after" }]);
        list["responses"]["200"]["content"] =
            json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } });
        let spec = json!({
            "openapi": "3.1.1",
            "components": { "schemas": { "Page": page } },
            "paths": {
                "/customers/{id}/users": { "get": list, "post": op("createCustomerUser") },
                "/customers/{id}/restore": { "post": op("restoreCustomer") },
                "/customers/{id}/payment-methods/{method_id}": { "get": op("getPaymentMethod") },
            }
        });
        let pos = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            words(&spec).expect("commands"),
            [
                (
                    "createCustomerUser".into(),
                    "customers users create".into(),
                    pos(&["id"]),
                    false
                ),
                (
                    "getPaymentMethod".into(),
                    "customers payment-methods get".into(),
                    pos(&["id", "method-id"]),
                    false
                ),
                (
                    "listCustomerUsers".into(),
                    "customers users list".into(),
                    pos(&["id"]),
                    true
                ),
                (
                    "restoreCustomer".into(),
                    "customers restore".into(),
                    pos(&["id"]),
                    false
                ),
            ]
        );
    }

    #[test]
    fn two_operations_on_one_command_are_an_error_naming_both() {
        let spec = json!({ "openapi": "3.1.1", "paths": {
            "/things": { "get": op("listThings") },
            "/things/{id}/list": { "get": op("listThingsAgain") },
        } });
        assert_eq!(
            words(&spec).expect_err("a clash"),
            "operations `listThings` and `listThingsAgain` clash as altpay commands (`things list`, `things list`); \
             rename one operationId or change its path"
        );
        // A command that would also be a group of commands.
        let spec = json!({ "openapi": "3.1.1", "paths": {
            "/things": { "get": op("things") },
            "/things/{id}/things": { "post": op("thingsCreate") },
        } });
        assert!(
            words(&spec)
                .expect_err("a prefix")
                .contains("(`things`, `things things`)")
        );
    }
}
