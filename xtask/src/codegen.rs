//! `cargo xtask generate [--check]`: fragments → `openapi/openapi.json` →
//! progenitor → `crates/alternative-payments-raw/src/generated.rs`.
//!
//! Everything is computed in memory first; files are written (or compared,
//! with `--check`) only when every step succeeded.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;

use crate::enums::{self, OpenEnum};
use crate::files::{self, Layout, Output};
use crate::table::{self, Audience};
use crate::{cli, convert, coverage, filters, merge, models, money, overlay, readme};

/// The merged spec: the fragments, merged, with the overlay applied.
pub fn merged_spec(
    layout: &Layout,
    fragments: &[merge::Fragment],
) -> Result<serde_json::Value, String> {
    let mut merged = merge::merge(fragments)?;
    merge::name_request_bodies(&mut merged)?;
    overlay::apply(layout, &mut merged)?;
    Ok(files::sorted(&merged))
}

/// Every generated file, as it should be on disk.
pub fn outputs(
    layout: &Layout,
    merged: &serde_json::Value,
    rows: &[table::Row],
) -> Result<Vec<Output>, String> {
    let (code, sends, cli, params) = client_and_cli_code(merged, rows)?;
    let [raw_table, mock_table] = layout.operation_tables();
    let mut manifests = Vec::new();
    for (path, forward) in layout.resource_manifests() {
        let shown = layout.display(&path);
        let current = files::read_to_string(&path, &shown)?;
        manifests.push(Output {
            contents: table::with_resource_features(&current, &shown, rows, forward)?,
            path,
        });
    }
    let readme_path = layout.root.join("README.md");
    if readme_path.exists() {
        let shown = layout.display(&readme_path);
        let current = files::read_to_string(&readme_path, &shown)?;
        let commands = cli::commands(merged, rows)?;
        let wrappers = coverage::wrappers(layout)?;
        manifests.push(Output {
            contents: readme::with_coverage(&current, &shown, rows, &commands, &wrappers)?,
            path: readme_path,
        });
    }
    Ok(manifests
        .into_iter()
        .chain([
            Output {
                path: layout.merged_spec(),
                contents: files::canonical_json(merged),
            },
            Output {
                path: layout.generated_rs(),
                contents: code,
            },
            Output {
                path: raw_table,
                contents: table::code(rows, Audience::Raw(&sends))?,
            },
            Output {
                path: mock_table,
                contents: table::code(rows, Audience::Mock)?,
            },
            Output {
                path: layout.cli_rs(),
                contents: cli,
            },
            Output {
                path: layout.sdk_filters_rs(),
                contents: filters::code(merged, rows, &params)?,
            },
        ])
        .collect())
}

/// The generated client (with what each builder's `send` answers) and the
/// `altpay` CLI, from one conversion.
fn client_and_cli_code(
    merged: &serde_json::Value,
    rows: &[table::Row],
) -> Result<(String, table::Sends, String, filters::ParamTypes), String> {
    let (spec, shaped, settings) = prepare(merged, "crate::types")?;
    let (client, sends, params) = client_tokens(&spec, &shaped, &settings, rows)?;
    let commands = cli::commands(merged, rows)?;
    // A generator of its own (`cli` adds the spec's types to its type
    // space), whose open enums are named from the CLI's crate.
    let (_, _, settings) = prepare(merged, "::alternative_payments_raw::types")?;
    let mut generator = Generator::new(&settings);
    let cli = without_panics(|| cli::code(&mut generator, &spec, &commands))??;
    Ok((client, sends, cli, params))
}

/// What the xtask adds to progenitor's `types` module: the open enums, and
/// the id types and accessors of the models.
struct Shaped {
    open_enums: Vec<OpenEnum>,
    models: models::Models,
}

/// The 3.0 document progenitor reads, what the xtask adds to its types,
/// and the settings a generator uses, with the added types at `types_path`
/// (the raw crate's `types` module as the generated code's crate names it).
fn prepare(
    merged: &serde_json::Value,
    types_path: &str,
) -> Result<(openapiv3::OpenAPI, Shaped, GenerationSettings), String> {
    let mut shaped = merged.clone();
    let mut models = models::shape(&mut shaped)?;
    models.text_amounts = money::mark(&mut shaped)?;
    let mut doc = convert::to_openapi_30(&shaped)?;
    let open_enums = enums::hoist_and_collect(&mut doc)?;
    let spec = convert::parse_30(&doc)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The raw crate's hooks.rs implements ClientHooks; forgetting it
        // must fail to compile rather than silently skip auth.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::hooks::Hooks))
        // Sorted maps: stable Debug output and iteration (validation errors).
        .with_map_type("::std::collections::BTreeMap");
    for open in &open_enums {
        settings.with_replacement(
            &open.name,
            format!("{types_path}::{}", open.name),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }
    for id in models.ids.keys() {
        settings.with_replacement(
            id,
            format!("{types_path}::{id}"),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }
    if models.secrets {
        // No Display: a secret is never printed.
        settings.with_replacement(
            models::SECRET,
            format!("{types_path}::{}", models::SECRET),
            [TypeImpl::FromStr].into_iter(),
        );
    }
    let shaped = Shaped { open_enums, models };
    Ok((spec, shaped, settings))
}

fn client_tokens(
    spec: &openapiv3::OpenAPI,
    shaped: &Shaped,
    settings: &GenerationSettings,
    rows: &[table::Row],
) -> Result<(String, table::Sends, filters::ParamTypes), String> {
    let tokens = without_panics(|| Generator::new(settings).generate_tokens(spec))?
        .map_err(|e| format!("progenitor cannot generate a client: {e}"))?;
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    add_to_types_module(&mut file, shaped)?;
    money::retype(&mut file, "crate");
    gate_by_resource(&mut file, rows);
    let sends = sends(&file)?;
    let params = filters::param_types(&file);
    Ok((files::unparse(&file), sends, params))
}

/// Puts each operation's method on `Client` and its builder behind its
/// resource's cargo feature (`#[cfg(feature = "customers")]`), so an
/// application can build only the resources it uses. The models stay
/// (resources share them).
fn gate_by_resource(file: &mut syn::File, rows: &[table::Row]) {
    use heck::ToSnakeCase;
    let by_method: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r.operation_id.to_snake_case(),
                table::module_name(&r.resource),
            )
        })
        .collect();
    let by_builder: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r.variant(), table::module_name(&r.resource)))
        .collect();
    let gate = |feature: &str| -> syn::Attribute { syn::parse_quote!(#[cfg(feature = #feature)]) };
    let type_name = |ty: &syn::Type| match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    for item in &mut file.items {
        match item {
            syn::Item::Impl(block) if type_name(&block.self_ty).as_deref() == Some("Client") => {
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(f) = member
                        && let Some(feature) = by_method.get(&f.sig.ident.to_string())
                    {
                        f.attrs.push(gate(feature));
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.iter_mut().flat_map(|(_, items)| items) {
                    let (name, attrs) = match item {
                        syn::Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
                        syn::Item::Impl(i) => match type_name(&i.self_ty) {
                            Some(name) => (name, &mut i.attrs),
                            None => continue,
                        },
                        _ => continue,
                    };
                    if let Some(feature) = by_builder.get(&name) {
                        attrs.push(gate(feature));
                    }
                }
            }
            _ => {}
        }
    }
}

/// What each builder of progenitor's `builder` module sends and answers:
/// its `send` method returns `Result<ResponseValue<T>, Error<E>>`; `T` and
/// `E` are read from there (with the module's `types::` and `ByteStream`
/// made paths from the crate root), so the operation table's markers name
/// exactly the types the generated code uses.
fn sends(file: &syn::File) -> Result<table::Sends, String> {
    let builder = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or("progenitor's output has no `builder` module")?;
    let mut sends = table::Sends::new();
    for item in &builder.1 {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = &*block.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for member in &block.items {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            let syn::ReturnType::Type(_, returned) = &f.sig.output else {
                return Err(format!("builder `{name}`: `send` returns nothing"));
            };
            let [ok, err] = files::generic_arguments(returned, "Result")
                .and_then(|args| <[syn::Type; 2]>::try_from(args).ok())
                .ok_or_else(|| {
                    format!("builder `{name}`: `send` does not return `Result<_, _>`")
                })?;
            let inner = |ty: &syn::Type, wrapper: &str| {
                let mut args = files::generic_arguments(ty, wrapper)?;
                let mut ty = args.pop().filter(|_| args.is_empty())?;
                from_crate_root(&mut ty);
                Some(ty)
            };
            let (output, error) = inner(&ok, "ResponseValue")
                .zip(inner(&err, "Error"))
                .ok_or_else(|| format!("builder `{name}`: `send` does not return `Result<ResponseValue<_>, Error<_>>`"))?;
            let item = page_item(file, &output);
            sends.insert(
                name.clone(),
                table::Send {
                    output,
                    error,
                    item,
                },
            );
        }
    }
    Ok(sends)
}

/// When `output` is a model of the `types` module with a `data: Vec<T>`
/// field (a page), `T`, as a path from the crate root.
fn page_item(file: &syn::File, output: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = output else {
        return None;
    };
    let name = p.path.segments.last()?.ident.to_string();
    let types = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
        _ => None,
    })?;
    let model = types.1.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })?;
    let data = model
        .fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == "data"))?;
    let mut item = files::generic_arguments(&data.ty, "Vec")?.pop()?;
    // Items named from the types module (`Invoice`) or already rooted.
    if let syn::Type::Path(path) = &mut item
        && path.path.segments.len() == 1
        && path.path.segments[0]
            .ident
            .to_string()
            .starts_with(char::is_uppercase)
        && path.path.segments[0].ident != "Vec"
    {
        path.path.segments.insert(0, syn::parse_quote!(types));
    }
    from_crate_root(&mut item);
    Some(item)
}

/// Rewrites paths the `builder` module resolves through its imports
/// (`types::X`, `ByteStream`) as paths from the crate root.
fn from_crate_root(ty: &mut syn::Type) {
    use syn::visit_mut::VisitMut;
    struct Rooted;
    impl VisitMut for Rooted {
        fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
            let first = path.path.segments.first().map(|s| s.ident.to_string());
            if path.qself.is_none()
                && path.path.leading_colon.is_none()
                && matches!(first.as_deref(), Some("types" | "ByteStream"))
            {
                path.path.segments.insert(0, syn::parse_quote!(crate));
            }
            syn::visit_mut::visit_type_path_mut(self, path);
        }
    }
    Rooted.visit_type_mut(ty);
}

/// Puts the open enums into progenitor's `types` module, where the
/// replacements point and where users look for model types, and makes every
/// model struct `#[non_exhaustive]`: the provider adding a field must be a
/// compatible change for users, so they build models with the generated
/// builders (`NewCustomer::builder()`) or `Default`, never struct literals.
fn add_to_types_module(file: &mut syn::File, shaped: &Shaped) -> Result<(), String> {
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("progenitor's output has no `types` module")?;
    // JSON schemas of the types (for the CLI, and for users who want them)
    // cost every other user a proc-macro crate and its build: behind the
    // raw crate's `schemars` feature, off by default.
    let schema: syn::Attribute =
        syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]);
    for item in types.1.iter_mut() {
        match item {
            syn::Item::Struct(model) => {
                model.attrs.push(schema.clone());
                model.attrs.push(syn::parse_quote!(#[non_exhaustive]));
                money::wire_forms(model, &shaped.models.text_amounts)?;
            }
            syn::Item::Enum(closed) => closed.attrs.push(schema.clone()),
            _ => {}
        }
    }
    models::add_to_types(&mut types.1, &shaped.models)?;
    for open in &shaped.open_enums {
        let extra: syn::File = syn::parse2(enums::tokens(open)?)
            .map_err(|e| format!("open enum {} does not parse: {e}", open.name))?;
        types.1.extend(extra.items);
    }
    Ok(())
}

thread_local! {
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into an error. progenitor and typify panic on
/// some inputs they do not support; a maintainer should get a message, not a
/// backtrace. The panic hook stays quiet only on this thread while `f` runs,
/// so other threads (parallel tests) still report their panics.
fn without_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(false));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        format!("progenitor cannot generate a client for this document: it panicked: {message}")
    })
}

#[cfg(test)]
mod tests {
    use super::without_panics;

    #[test]
    fn a_panic_inside_the_generator_becomes_an_error() {
        let result: Result<(), String> = without_panics(|| panic!("unsupported thing at {}", 3));
        assert_eq!(
            result.expect_err("contained"),
            "progenitor cannot generate a client for this document: it panicked: unsupported thing at 3"
        );
        assert_eq!(without_panics(|| 7), Ok(7));
    }
}
