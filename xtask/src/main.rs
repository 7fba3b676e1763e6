//! Maintainer tasks: `cargo xtask import <page.md>`, `cargo xtask generate
//! [--check]`. See README.md, "Maintaining the generated client".

mod breaking;
mod changelog;
mod cli;
mod codegen;
mod convert;
mod coverage;
mod docs;
mod enums;
mod files;
mod filters;
mod import;
mod merge;
mod models;
mod money;
mod overlay;
mod public_api;
mod readme;
mod scale;
mod spec;
mod table;

#[cfg(test)]
mod fuzz;
// A check of the sources, run by `cargo test` only.
#[cfg(test)]
mod layering;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::ExitCode;

use files::{Layout, Mode};
use import::Withdrawn;

const USAGE: &str = "usage:
  cargo xtask import <docs-page.md>   split a provider docs page into openapi/fragments/;
                                      deletes the fragments of operations the page withdrew
  cargo xtask import --keep-withdrawn <docs-page.md>
                                      the same, keeping those fragments
  cargo xtask generate                merge fragments, write openapi/openapi.json and the raw client
  cargo xtask generate --check        fail if a generated file is stale (writes nothing)
  cargo xtask public-api              list the public API of the crates users compile against
  cargo xtask public-api --check      fail if a listing differs from the code (CI)
  cargo xtask scale [--build] [--write]
                                      the pipeline at the provider's size: 8 synthetic resources
                                      of 8 operations more; --build also times the raw crate's
                                      compile and a user's cold build (minutes); --write: docs/scale.md
  cargo xtask breaking-check <rev>    fail if CHANGELOG.md lists a breaking change under Unreleased
                                      but the crates have no breaking version bump since <rev>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let layout = Layout::workspace();
    let result = match args.as_slice() {
        ["import", page] => run_import(&layout, Path::new(page), Withdrawn::Delete),
        ["import", "--keep-withdrawn", page] | ["import", page, "--keep-withdrawn"] => {
            run_import(&layout, Path::new(page), Withdrawn::Keep)
        }
        ["generate"] => run_generate(&layout, Mode::Write),
        ["generate", "--check"] => run_generate(&layout, Mode::Check),
        ["breaking-check", rev] => breaking::check(&layout, rev).map(|ok| println!("{ok}")),
        ["scale", flags @ ..] if flags.iter().all(|f| matches!(*f, "--build" | "--write")) => {
            scale::run(
                &layout,
                flags.contains(&"--build"),
                flags.contains(&"--write"),
            )
        }
        ["public-api"] => run_public_api(&layout, Mode::Write),
        ["public-api", "--check"] => run_public_api(&layout, Mode::Check),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unrecognised arguments: {args:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn run_import(layout: &Layout, page: &Path, withdrawn: Withdrawn) -> Result<(), String> {
    let report = import::import(layout, page, withdrawn)
        .map_err(|e| format!("{e}\n  nothing was written"))?;
    println!(
        "imported {} operations from {}: {} file(s) written, {} unchanged",
        report.operations,
        page.display(),
        report.written.len(),
        report.unchanged
    );
    for file in &report.written {
        println!("  wrote {file}");
    }
    if let Some(old) = &report.renamed_from {
        println!("  deleted {old} (the previous copy of this page, under another name)");
    }
    if !report.withdrawn.is_empty() {
        let done = if report.kept_withdrawn {
            "their fragments were kept (--keep-withdrawn); delete them to drop the operations"
        } else {
            "their fragments were deleted; the changelog will list them as removed"
        };
        eprintln!(
            "warning: {} operation(s) were withdrawn from {}: {done}:",
            report.withdrawn.len(),
            page.display(),
        );
        for file in &report.withdrawn {
            eprintln!("  {file}");
        }
        if !report.overlay_dropped.is_empty() {
            eprintln!(
                "  and their stale entries in openapi/overlay.json: {}",
                report.overlay_dropped.join(", ")
            );
        }
    }
    if !report.written.is_empty() || !report.withdrawn.is_empty() {
        println!("next: cargo xtask generate");
    }
    Ok(())
}

fn run_public_api(layout: &Layout, mode: Mode) -> Result<(), String> {
    let outputs = public_api::outputs(layout)?;
    let changed = files::write_or_check(layout, &outputs, mode, "cargo xtask public-api")
        .map_err(|e| {
            format!("{e}\n  the public API changed: review the listing's diff, and the version (cargo-semver-checks)")
        })?;
    for file in &changed {
        println!("wrote {file}");
    }
    if changed.is_empty() {
        println!("public API listings are up to date");
    }
    Ok(())
}

/// What changed between the committed merged spec and `merged`.
fn api_changes(
    layout: &Layout,
    merged: &serde_json::Value,
) -> Result<Vec<changelog::Change>, String> {
    let path = layout.merged_spec();
    if !path.exists() {
        return Ok(Vec::new());
    }
    let shown = layout.display(&path);
    let old = files::read_to_string(&path, &shown)?;
    let old = files::parse_json(&old, &shown, 0).map_err(|e| {
        format!("{e}\n  the changelog compares with the committed spec: restore it (git checkout {shown}) and run generate again")
    })?;
    Ok(changelog::diff(&old, merged))
}

/// Fragments whose operations no stored docs page has (withdrawn by the
/// provider, kept by `import --keep-withdrawn` or left behind), worded for
/// the maintainer; `None` when there are none or nothing can be said.
fn fragments_on_no_page(layout: &Layout, fragments: &[merge::Fragment]) -> Option<String> {
    let on_pages = import::operations_on_pages(layout);
    if on_pages.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    for fragment in fragments {
        for op in spec::operations(&fragment.doc, &fragment.shown).ok()? {
            if !on_pages.contains(&op.operation_id) {
                lines.push(format!(
                    "  {}: operation `{}` is on no page in openapi/pages/ (withdrawn by the provider?)",
                    fragment.shown, op.operation_id
                ));
            }
        }
    }
    (!lines.is_empty()).then(|| {
        format!(
            "  {} fragment(s) describe operations no imported page has:\n{}\n  delete them (or re-import the page: `cargo xtask import <page.md>` deletes withdrawn fragments)",
            lines.len(),
            lines.join("\n")
        )
    })
}

/// `error` with each fragment it lists followed by the docs page the
/// fragment came from, which is what the maintainer works with.
fn with_pages(layout: &Layout, fragments: &[merge::Fragment], error: String) -> String {
    let pages = import::pages_of_operations(layout);
    let page_of = |shown: &str| {
        let fragment = fragments.iter().find(|f| f.shown == shown)?;
        let ops = spec::operations(&fragment.doc, &fragment.shown).ok()?;
        let on: std::collections::BTreeSet<&str> = ops
            .iter()
            .filter_map(|op| pages.get(&op.operation_id).map(String::as_str))
            .collect();
        (!on.is_empty()).then(|| on.into_iter().collect::<Vec<_>>().join(", "))
    };
    error
        .lines()
        .map(|line| {
            let listed = line.strip_prefix("  ").and_then(|l| l.split(' ').next());
            match listed.and_then(page_of) {
                Some(page) => format!("{line} (from the docs page {page})"),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn run_generate(layout: &Layout, mode: Mode) -> Result<(), String> {
    let nothing_written = |e| format!("{e}\n  nothing was written");
    let fragments = merge::load_fragments(layout).map_err(nothing_written)?;
    let stale = fragments_on_no_page(layout, &fragments);
    let merged = codegen::merged_spec(layout, &fragments)
        .map_err(|e| with_pages(layout, &fragments, e))
        .map_err(|e| match &stale {
            // The likeliest cause of a conflict: a withdrawn operation's
            // fragment still describing the old version of a shared schema.
            Some(stale) => format!("{e}\n{stale}"),
            None => e,
        })
        .map_err(nothing_written)?;
    if let Some(stale) = &stale {
        eprintln!("warning: {}", stale.trim_start());
    }
    let rows = table::rows(&merged).map_err(nothing_written)?;
    let mut outputs = codegen::outputs(layout, &merged, &rows).map_err(nothing_written)?;
    let changes = match mode {
        Mode::Write => api_changes(layout, &merged).map_err(nothing_written)?,
        // A stale spec fails the check anyway; a fresh one has no changes.
        Mode::Check => Vec::new(),
    };
    if !changes.is_empty() {
        let path = layout.changelog();
        let shown = layout.display(&path);
        let current = path
            .exists()
            .then(|| files::read_to_string(&path, &shown))
            .transpose()
            .map_err(nothing_written)?;
        let contents =
            changelog::record(current.as_deref(), &changes, &shown).map_err(nothing_written)?;
        outputs.push(files::Output { path, contents });
    }
    let changed = files::write_or_check(layout, &outputs, mode, "cargo xtask generate")?;
    if !changes.is_empty() {
        let breaking = changes
            .iter()
            .filter(|c| c.class == changelog::Class::Breaking)
            .count();
        println!(
            "API changes ({} breaking, {} compatible), recorded in CHANGELOG.md under Unreleased:",
            breaking,
            changes.len() - breaking
        );
        for change in &changes {
            println!("  - {change}");
        }
        if breaking > 0 {
            println!(
                "  breaking changes need a major version bump (0.x: minor) of the crates users depend on: see README.md, \"Maintaining the generated client\""
            );
        }
    }
    let gaps = coverage::gaps(layout, &rows)?;
    if !gaps.is_empty() {
        eprintln!(
            "warning: {} place(s) to fill by hand (cargo test fails until they are; ARCHITECTURE.md, \"Adding an operation\"):",
            gaps.len()
        );
        for gap in &gaps {
            eprintln!("  - {gap}");
        }
    }
    match (mode, changed.is_empty()) {
        (Mode::Check, _) | (Mode::Write, true) => println!("generated files are up to date"),
        (Mode::Write, false) => {
            for file in changed {
                println!("wrote {file}");
            }
        }
    }
    Ok(())
}
