//! Money is exact: no amount is an `f64` in the generated code. The rule,
//! derived from the spec rather than a list of fields:
//!
//! - every `number` property is an amount, sent and read as a JSON number
//!   (`sub_total`, `total`, a line item's and a fee's `amount`);
//! - every `string` property named `amount` or `…_amount` is an amount,
//!   sent and read as a JSON string (the `amount` of a payment request, of
//!   a payment, of a fee calculation: the pages type those as strings).
//!
//! Both become `rust_decimal::Decimal` (re-exported by the raw crate's
//! hand-written `money` module), with serde functions that keep the wire
//! form byte for byte and read the other form too. The spec's string
//! amounts are typed `number` in the document progenitor reads, so that
//! progenitor and typify treat every amount alike (an `f64`), and every
//! `f64` of the generated code (models, builders, the CLI's flags) is then
//! replaced by the decimal; the struct fields of string amounts get the
//! string form's serde functions.

use std::collections::BTreeSet;

use serde_json::Value;
use syn::visit_mut::VisitMut;

/// Whether a string property of this name is an amount.
fn is_amount_name(name: &str) -> bool {
    name == "amount" || name.ends_with("_amount")
}

/// Types the spec's string amounts as numbers (see the module docs), and
/// says which they were, by (component schema, property). An amount in an
/// inline object that is no component (its Rust name is progenitor's) is an
/// error: the code generator could not tell its wire form.
pub fn mark(doc: &mut Value) -> Result<BTreeSet<(String, String)>, String> {
    let mut text = BTreeSet::new();
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(text);
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            if is_amount_name(field) && property.get("type") == Some(&Value::from("string")) {
                property["type"] = Value::from("number");
                text.insert((name.clone(), field.clone()));
            }
            if let Some(nested) = nested_text_amount(property) {
                return Err(format!(
                    "/components/schemas/{name}/properties/{field}: holds an inline object with a string amount `{nested}`; name that object in the spec (a component schema) so its wire form can be kept"
                ));
            }
        }
    }
    Ok(text)
}

/// A string amount inside an inline object of `schema` (its items or
/// properties), if any.
fn nested_text_amount(schema: &Value) -> Option<String> {
    let inner = [schema.get("items"), schema.get("additionalProperties")];
    for inner in inner.into_iter().flatten() {
        if let Some(found) = nested_text_amount(inner) {
            return Some(found);
        }
        for (field, property) in inner["properties"].as_object().into_iter().flatten() {
            if is_amount_name(field) && property.get("type") == Some(&Value::from("string")) {
                return Some(field.clone());
            }
        }
    }
    None
}

/// The decimal type, as the generated code names it from the raw crate.
fn decimal(root: &str) -> syn::Type {
    syn::parse_str(&format!("{root}::money::Decimal")).expect("a type path")
}

/// Replaces every `f64` in `file` (the whole client, the CLI) with the
/// decimal type at `root` (`crate` in the raw crate,
/// `::alternative_payments_raw` in the CLI).
pub fn retype(file: &mut syn::File, root: &str) {
    struct Replace(syn::Type);
    impl VisitMut for Replace {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if let syn::Type::Path(p) = ty
                && p.qself.is_none()
                && p.path.is_ident("f64")
            {
                *ty = self.0.clone();
                return;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            // `clap::value_parser!(f64)` in the CLI: the decimal parses
            // from text (FromStr) the same way.
            if mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "value_parser")
                && mac.tokens.to_string() == "f64"
            {
                let ty = &self.0;
                mac.tokens = quote::quote!(#ty);
            }
        }
    }
    Replace(decimal(root)).visit_file_mut(file);
}

/// The serde functions of each amount field of the models (`f64` or
/// `Option<f64>` before [`retype`]): the number form, or the string form
/// for the fields [`mark`] found. A field of another shape holding an
/// amount (a list of amounts, say) is an error: no serde functions cover it.
pub fn wire_forms(
    model: &mut syn::ItemStruct,
    text: &BTreeSet<(String, String)>,
) -> Result<(), String> {
    let name = model.ident.to_string();
    let syn::Fields::Named(fields) = &mut model.fields else {
        return Ok(());
    };
    for field in &mut fields.named {
        let Some(ident) = &field.ident else { continue };
        let wire = crate::models::serde_name(field).unwrap_or_else(|| ident.to_string());
        let shape = shape(&field.ty);
        let Some(optional) = shape else {
            let ty = &field.ty;
            let shown = quote::quote!(#ty).to_string();
            if shown.contains("f64") {
                return Err(format!(
                    "`{name}.{wire}`: an amount in a shape the money rule does not cover ({shown}); only a plain or optional amount is"
                ));
            }
            continue;
        };
        let form = if text.contains(&(name.clone(), wire.clone())) {
            "text"
        } else {
            "number"
        };
        let with = format!("crate::money::{form}{}", if optional { "_opt" } else { "" });
        let described = if form == "text" { "String" } else { "f64" };
        field.attrs.push(if optional {
            syn::parse_quote!(#[serde(default, with = #with)])
        } else {
            syn::parse_quote!(#[serde(with = #with)])
        });
        field.attrs.push(syn::parse_quote!(
            #[cfg_attr(feature = "schemars", schemars(with = #described))]
        ));
    }
    Ok(())
}

/// `Some(false)` for `f64`, `Some(true)` for `Option<f64>`, else `None`.
fn shape(ty: &syn::Type) -> Option<bool> {
    let syn::Type::Path(p) = ty else { return None };
    if p.path.is_ident("f64") {
        return Some(false);
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(syn::Type::Path(inner))) if inner.path.is_ident("f64") => {
            Some(true)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_and_string_amounts_are_money_and_nothing_else() {
        let mut doc = json!({ "components": { "schemas": {
            "NewPayment": { "properties": {
                "amount": { "type": "string" },
                "reference_id": { "type": "string" },
                "fee_amount": { "type": "string" }
            } },
            "Invoice": { "properties": { "total": { "type": "number" }, "quantity": { "type": "integer" } } }
        } } });
        let text = mark(&mut doc).expect("marked");
        assert_eq!(
            text,
            BTreeSet::from([
                ("NewPayment".into(), "amount".into()),
                ("NewPayment".into(), "fee_amount".into())
            ])
        );
        let s = &doc["components"]["schemas"];
        assert_eq!(s["NewPayment"]["properties"]["amount"]["type"], "number");
        assert_eq!(
            s["NewPayment"]["properties"]["reference_id"]["type"],
            "string"
        );
        assert_eq!(s["Invoice"]["properties"]["quantity"]["type"], "integer");

        let mut nested = json!({ "components": { "schemas": { "NewInvoice": { "properties": {
            "line_items": { "type": "array", "items": { "type": "object", "properties": { "amount": { "type": "string" } } } }
        } } } } });
        let error = mark(&mut nested).expect_err("an inline object's string amount");
        assert!(
            error.contains("/components/schemas/NewInvoice/properties/line_items"),
            "{error}"
        );

        let mut model: syn::ItemStruct = syn::parse_quote! {
            pub struct NewPayment { pub amount: Option<f64>, pub total: f64, pub name: Option<String> }
        };
        wire_forms(&mut model, &text).expect("plain and optional amounts");
        let printed = quote::quote!(#model).to_string();
        assert!(printed.contains("\"crate::money::text_opt\""), "{printed}");
        assert!(printed.contains("\"crate::money::number\""), "{printed}");
        let mut listed: syn::ItemStruct =
            syn::parse_quote! { pub struct Odd { pub amounts: Vec<f64> } };
        assert!(
            wire_forms(&mut listed, &text)
                .expect_err("a list")
                .contains("`Odd.amounts`")
        );
    }
}
