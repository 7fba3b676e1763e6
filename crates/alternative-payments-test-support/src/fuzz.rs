//! Fuzzing on stable inside `cargo test` (arbtest): a target replays its
//! committed corpus, then searches for a time budget.

use std::path::Path;

use arbitrary::{Result, Unstructured};

/// The committed inputs of `target` under `dir` (`<dir>/<target>/`, one
/// input per file), in file-name order, each with its path.
pub fn corpus(dir: &Path, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = dir.join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("corpus file");
            (path.display().to_string(), bytes)
        })
        .collect()
}

/// Searches with `property` for `budget_ms` (or `ARBTEST_BUDGET_MS` when
/// set); prints how many inputs it tried (the figure `cargo test --
/// --nocapture` shows).
pub fn search(
    target: &str,
    budget_ms: u64,
    mut property: impl FnMut(&mut Unstructured<'_>) -> Result<()>,
) {
    let mut inputs = 0u64;
    let search = arbtest::arbtest(|u| {
        inputs += 1;
        property(u)
    });
    // An explicit budget would override ARBTEST_BUDGET_MS.
    match std::env::var_os("ARBTEST_BUDGET_MS") {
        Some(_) => search.run(),
        None => search.budget_ms(budget_ms).run(),
    }
    eprintln!("fuzz {target}: {inputs} generated inputs");
}
