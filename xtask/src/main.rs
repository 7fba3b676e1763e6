//! Maintainer tasks: `cargo xtask import <page.md>`, `cargo xtask generate
//! [--check]`. See README.md, "Maintaining the generated client".

mod codegen;
mod convert;
mod coverage;
mod enums;
mod files;
mod import;
mod merge;
mod overlay;
mod spec;
mod table;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::ExitCode;

use files::{Layout, Mode};

const USAGE: &str = "usage:
  cargo xtask import <docs-page.md>   split a provider docs page into openapi/fragments/
  cargo xtask generate                merge fragments, write openapi/openapi.json and the raw client
  cargo xtask generate --check        fail if either generated file is stale (writes nothing)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let layout = Layout::workspace();
    let result = match args.as_slice() {
        ["import", page] => run_import(&layout, Path::new(page)),
        ["generate"] => run_generate(&layout, Mode::Write),
        ["generate", "--check"] => run_generate(&layout, Mode::Check),
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

pub(crate) fn run_import(layout: &Layout, page: &Path) -> Result<(), String> {
    let report = import::import(layout, page).map_err(|e| format!("{e}\n  nothing was written"))?;
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
    if !report.no_longer_on_page.is_empty() {
        eprintln!(
            "warning: {} operation(s) are no longer on {} but their fragments were kept; delete them to drop the operations:",
            report.no_longer_on_page.len(),
            page.display()
        );
        for file in &report.no_longer_on_page {
            eprintln!("  {file}");
        }
    }
    if !report.written.is_empty() {
        println!("next: cargo xtask generate");
    }
    Ok(())
}

pub(crate) fn run_generate(layout: &Layout, mode: Mode) -> Result<(), String> {
    let nothing_written = |e| format!("{e}\n  nothing was written");
    let merged = codegen::merged_spec(layout).map_err(nothing_written)?;
    let outputs = codegen::outputs(layout, &merged).map_err(nothing_written)?;
    let changed = files::write_or_check(layout, &outputs, mode, "cargo xtask generate")?;
    let gaps = table::rows(&merged).and_then(|rows| coverage::gaps(layout, &rows))?;
    if !gaps.is_empty() {
        eprintln!(
            "warning: {} thing(s) in the spec are not served yet (cargo test fails until they are):",
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
