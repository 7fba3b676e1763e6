//! `cargo xtask import <page.md>`: a provider documentation page, with one
//! fenced `json` block per operation, becomes one fragment per operation in
//! `openapi/fragments/<operationId>.json`.
//!
//! A copy of the page is kept in `openapi/pages/`: it records where the
//! fragments came from, and lets the next import of the same page say which
//! operations it no longer has (their fragments are kept, never deleted
//! silently).

use std::collections::BTreeMap;
use std::path::Path;

use crate::files::{self, Layout, Mode, Output};
use crate::spec;

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
    /// one has not.
    pub no_longer_on_page: Vec<String>,
}

pub fn import(layout: &Layout, page: &Path) -> Result<ImportReport, String> {
    let page_name = page
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: not a file", page.display()))?;
    let text = files::read_to_string(page, &page.display().to_string())?;
    let fragments = fragments_of_page(&text, &page_name)?;

    let page_copy = layout.pages_dir().join(&page_name);
    let mut no_longer_on_page = Vec::new();
    if let Ok(previous) = std::fs::read_to_string(&page_copy) {
        // The previous copy was imported before, so it parses; if it was
        // hand-edited into something that does not, nothing can be said
        // about removed operations, which is no reason to refuse the import.
        if let Ok(previous) = fragments_of_page(&previous, &page_name) {
            for id in previous.keys().filter(|id| !fragments.contains_key(*id)) {
                let path = layout.fragments_dir().join(format!("{id}.json"));
                if path.exists() {
                    no_longer_on_page.push(layout.display(&path));
                }
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
        path: page_copy,
        contents: text.replace("\r\n", "\n"),
    });
    let written = files::write_or_check(layout, &outputs, Mode::Write, "")?;
    Ok(ImportReport {
        operations: fragments.len(),
        unchanged: outputs.len() - written.len(),
        written,
        no_longer_on_page,
    })
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
