//! `cargo xtask import <page.md>`: a provider documentation page, with one
//! fenced `json` block per operation, becomes one fragment per operation in
//! `openapi/fragments/<operationId>.json`.
//!
//! A copy of the page is kept in `openapi/pages/`: it records where the
//! fragments came from, and lets the next import of the same page, whatever
//! its file is called then, say which operations it no longer has. Their
//! fragments are deleted (and reported), or kept with `--keep-withdrawn`;
//! deleted ones take their entries in `openapi/overlay.json` with them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::files::{self, Layout, Mode, Output};
use crate::{overlay, spec};

/// A fenced ```json block of a docs page.
struct Block {
    /// 1-based line of the opening fence.
    fence_line: usize,
    heading: Option<String>,
    text: String,
}

/// What an import did, for the report.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub operations: usize,
    pub written: Vec<String>,
    pub unchanged: usize,
    /// Fragments of operations the previous copy of the page had and this
    /// one has not: deleted, unless the import was asked to keep them.
    pub withdrawn: Vec<String>,
    /// Whether `withdrawn` fragments were kept.
    pub kept_withdrawn: bool,
    /// The previous copy of the page, when it was stored under another
    /// name (deleted: the new copy replaces it).
    pub renamed_from: Option<String>,
    /// Withdrawn operations whose entries were dropped from
    /// `openapi/overlay.json` with their fragments (stale: nothing to apply
    /// them to).
    pub overlay_dropped: Vec<String>,
}

/// What to do with the fragments of operations a page no longer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawn {
    Delete,
    Keep,
}

pub fn import(layout: &Layout, page: &Path, withdrawn: Withdrawn) -> Result<ImportReport, String> {
    let page_name = page
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: not a file", page.display()))?;
    let text = files::read_to_string(page, &page.display().to_string())?;
    let fragments = fragments_of_page(&text, &page_name)?;

    let page_copy = layout.pages_dir().join(&page_name);
    let previous = previous_copy(layout, &page_name, &fragments);
    let mut withdrawn_files = Vec::new();
    let mut withdrawn_ids = Vec::new();
    if let Some((_, previous_ids)) = &previous {
        for id in previous_ids
            .iter()
            .filter(|id| !fragments.contains_key(*id))
        {
            let path = layout.fragments_dir().join(format!("{id}.json"));
            if path.exists() {
                withdrawn_files.push(path);
                withdrawn_ids.push(id.clone());
            }
        }
    }

    let mut outputs: Vec<Output> = fragments
        .iter()
        .map(|(id, contents)| Output {
            path: layout.fragments_dir().join(format!("{id}.json")),
            contents: contents.clone(),
        })
        .collect();
    outputs.push(Output {
        path: page_copy.clone(),
        contents: text.replace("\r\n", "\n"),
    });
    let mut overlay_dropped = Vec::new();
    if withdrawn == Withdrawn::Delete
        && let Some((overlay, dropped)) = overlay::without(layout, &withdrawn_ids)?
    {
        outputs.push(overlay);
        overlay_dropped = dropped;
    }
    let written = files::write_or_check(layout, &outputs, Mode::Write, "")?;
    // Deletions come last, once everything new is in place.
    let renamed_from = previous
        .map(|(path, _)| path)
        .filter(|path| *path != page_copy);
    let mut to_delete: Vec<&PathBuf> = renamed_from.iter().collect();
    if withdrawn == Withdrawn::Delete {
        to_delete.extend(&withdrawn_files);
    }
    for path in to_delete {
        std::fs::remove_file(path)
            .map_err(|e| format!("cannot delete {}: {e}", layout.display(path)))?;
    }
    Ok(ImportReport {
        operations: fragments.len(),
        unchanged: outputs.len() - written.len(),
        written,
        withdrawn: withdrawn_files.iter().map(|p| layout.display(p)).collect(),
        kept_withdrawn: withdrawn == Withdrawn::Keep,
        renamed_from: renamed_from.map(|p| layout.display(&p)),
        overlay_dropped,
    })
}

/// Every stored page copy with its operationIds. A copy was imported
/// before, so it parses; one hand-edited into something that does not says
/// nothing about withdrawals and is passed over rather than refuse the import.
fn stored_pages(layout: &Layout) -> Vec<(PathBuf, BTreeSet<String>)> {
    let Ok(entries) = std::fs::read_dir(layout.pages_dir()) else {
        return Vec::new();
    };
    let mut pages: Vec<(PathBuf, BTreeSet<String>)> = entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).ok()?;
            let ops = fragments_of_page(&text, &name).ok()?;
            Some((path, ops.into_keys().collect()))
        })
        .collect();
    pages.sort();
    pages
}

/// The stored copy of the page being imported, with its operationIds: the
/// copy of the same name, or else (the page was saved under another name)
/// the copy sharing the most operations with it.
fn previous_copy(
    layout: &Layout,
    page_name: &str,
    fragments: &BTreeMap<String, String>,
) -> Option<(PathBuf, BTreeSet<String>)> {
    let pages = stored_pages(layout);
    if let Some(same) = pages.iter().find(|(path, _)| {
        path.file_name()
            .is_some_and(|n| n.to_string_lossy() == page_name)
    }) {
        return Some(same.clone());
    }
    let shared =
        |ids: &BTreeSet<String>| ids.iter().filter(|id| fragments.contains_key(*id)).count();
    pages
        .into_iter()
        .filter(|(_, ids)| shared(ids) > 0)
        // Of equals, the first by file name wins (max_by_key takes the last).
        .rev()
        .max_by_key(|(_, ids)| shared(ids))
}

/// The operationIds of every stored page copy.
pub fn operations_on_pages(layout: &Layout) -> BTreeSet<String> {
    pages_of_operations(layout).into_keys().collect()
}

/// The stored page copy each operationId came from, as shown to the user.
pub fn pages_of_operations(layout: &Layout) -> BTreeMap<String, String> {
    stored_pages(layout)
        .into_iter()
        .flat_map(|(path, ids)| {
            let shown = layout.display(&path);
            ids.into_iter().map(move |id| (id, shown.clone()))
        })
        .collect()
}

/// Every operation on the page, as `operationId` → canonical fragment text.
/// Fails, naming the page, line and block, on the first bad block.
pub fn fragments_of_page(text: &str, page_name: &str) -> Result<BTreeMap<String, String>, String> {
    let blocks = json_blocks(text, page_name)?;
    if blocks.is_empty() {
        return Err(format!(
            "{page_name}: no ```json blocks found\n  expected a provider docs page with one fenced json block (an OpenAPI document) per operation"
        ));
    }
    let mut fragments = BTreeMap::new();
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for block in &blocks {
        let context = || match &block.heading {
            Some(h) => format!(
                "  in the json block at line {} under {h:?}",
                block.fence_line
            ),
            None => format!("  in the json block at line {}", block.fence_line),
        };
        let shown = format!("{page_name}:{}", block.fence_line);
        let doc = files::parse_json(&block.text, page_name, block.fence_line)
            .map_err(|e| format!("{e}\n{}", context()))?;
        let ops = spec::operations(&doc, &shown).map_err(|e| format!("{e}\n{}", context()))?;
        if ops.is_empty() {
            return Err(format!(
                "{shown}: the block has no operations\n{}",
                context()
            ));
        }
        for op in ops {
            if let Some(line) = first_seen.insert(op.operation_id.clone(), block.fence_line) {
                return Err(format!(
                    "{page_name}: duplicate operationId {:?} in the blocks at lines {line} and {}",
                    op.operation_id, block.fence_line
                ));
            }
            let fragment = spec::single_operation(&doc, &op);
            fragments.insert(op.operation_id, files::canonical_json(&fragment));
        }
    }
    Ok(fragments)
}

fn json_blocks(text: &str, page_name: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut heading = None;
    let mut open: Option<Block> = None;
    // Inside a fenced block of another language (its lines are not headings).
    let mut in_other_fence = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if in_other_fence {
            in_other_fence = trimmed != "```";
        } else if let Some(block) = &mut open {
            if trimmed == "```" {
                blocks.extend(open.take());
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
        } else if let Some(info) = trimmed.strip_prefix("```") {
            if info.trim().eq_ignore_ascii_case("json") {
                open = Some(Block {
                    fence_line: index + 1,
                    heading: heading.clone(),
                    text: String::new(),
                });
            } else {
                in_other_fence = true;
            }
        } else if trimmed.starts_with('#') {
            heading = Some(trimmed.to_string());
        }
    }
    match open {
        Some(block) => Err(format!(
            "{page_name}:{}: the ```json block opened here is never closed",
            block.fence_line
        )),
        None => Ok(blocks),
    }
}
