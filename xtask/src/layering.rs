//! No import circles between the modules of a crate: each crate's modules
//! form layers, so a reader knows what a file may touch.
//!
//! Read from the sources with syn (no compilation): every `use` and every
//! path starting with `crate::`, `super::` or `self::` is an edge from the
//! file's module to the module it names (through the crate root's
//! re-exports: `crate::Error` is `crate::error::Error` when the root says
//! `pub use error::Error`). Two kinds of edge are fine and left out:
//!
//! - a child using its parent (not the crate root): a parent module holds
//!   what its children share, as `client/mod.rs` holds the client's state
//!   for `client/call.rs`;
//! - anything inside `#[cfg(test)]`: tests may reach anywhere;
//! - anything in a generated file (`@generated` header).
//!
//! What remains must have no cycle, and must not point at the crate root
//! itself: the root declares modules and re-exports, and defines nothing its
//! modules use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::files::{self, Layout};

/// Each crate's source root (a `lib.rs` or `main.rs`), relative to the
/// workspace root.
pub fn crate_roots(layout: &Layout) -> Result<Vec<PathBuf>, String> {
    let mut roots = Vec::new();
    let crates = layout.root.join("crates");
    let entries =
        std::fs::read_dir(&crates).map_err(|e| format!("cannot read {}: {e}", crates.display()))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    dirs.push(layout.root.join("xtask"));
    dirs.push(layout.root.join("tests"));
    dirs.sort();
    for dir in dirs {
        for root in ["src/lib.rs", "src/main.rs", "lib.rs"] {
            if dir.join(root).is_file() {
                roots.push(dir.join(root));
            }
        }
    }
    Ok(roots)
}

/// The import circles and uses of the crate root in every crate, each
/// worded for the maintainer; empty when the modules form layers.
pub fn problems(layout: &Layout) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    for root in crate_roots(layout)? {
        problems.extend(crate_problems(layout, &root)?);
    }
    Ok(problems)
}

/// A module of a crate: `[]` for the root, `["client", "call"]` for
/// `client/call.rs`.
type Module = Vec<String>;

fn crate_problems(layout: &Layout, root: &Path) -> Result<Vec<String>, String> {
    let modules = module_files(layout, root)?;
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let exports = root_exports(&modules[&Vec::new()].parsed);
    let mut edges: BTreeMap<Module, BTreeMap<Module, (String, usize)>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (module, file) in &modules {
        if file.generated {
            // Generated: progenitor's client names the raw crate's hooks by
            // design (the one seam), and the tables import nothing.
            continue;
        }
        let shown = &file.shown;
        let mut visitor = Paths::default();
        visitor.visit_file(&file.parsed);
        for (path, line) in visitor.paths {
            let Some(target) = resolve(module, &path, &known, &exports) else {
                continue;
            };
            let own_ancestor = target.len() < module.len() && module.starts_with(&target);
            if target == *module || target.starts_with(module) {
                continue; // itself, or its own children
            }
            if target.is_empty() {
                problems.push(format!(
                    "{shown}:{line}: `{}` names an item the crate root defines: the root should only declare modules and re-export; move it into a module",
                    path.join("::")
                ));
                continue;
            }
            if own_ancestor {
                continue; // a parent holds what its children share
            }
            // Between the two subtrees that hold them, under their common
            // ancestor: `a::b` using `c` is `a` using `c`.
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let (from, to) = (module[..=common].to_vec(), target[..=common].to_vec());
            edges
                .entry(from)
                .or_default()
                .entry(to)
                .or_insert((shown.clone(), line));
        }
    }
    let graph: BTreeMap<&Module, BTreeSet<&Module>> = edges
        .iter()
        .map(|(from, to)| (from, to.keys().collect()))
        .collect();
    if let Some(cycle) = find_cycle(&graph) {
        let mut text = String::from("import circle:");
        for pair in cycle.windows(2) {
            let (file, line) = &edges[pair[0]][pair[1]];
            text.push_str(&format!(
                "\n    {} uses {} ({file}:{line})",
                name(pair[0]),
                name(pair[1])
            ));
        }
        problems.push(text);
    }
    Ok(problems)
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "the crate root".into()
    } else {
        format!("`{}`", module.join("::"))
    }
}

/// The module an edge from `from` along `path` lands in, if it names one of
/// this crate's modules (or an item of the root).
fn resolve(
    from: &Module,
    path: &[String],
    known: &BTreeSet<Module>,
    exports: &BTreeMap<String, Module>,
) -> Option<Module> {
    let (mut at, rest): (Module, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("super") => {
            let mut at = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                at.pop();
                rest = &rest[1..];
            }
            (at, rest)
        }
        Some("self") => (from.clone(), &path[1..]),
        // A child module named from its parent (`use call::Call;`).
        Some(first) => {
            let mut child = from.clone();
            child.push(first.to_string());
            if !known.contains(&child) {
                return None;
            }
            (from.clone(), path)
        }
        None => return None,
    };
    for segment in rest {
        let mut next = at.clone();
        next.push(segment.clone());
        if known.contains(&next) {
            at = next;
        } else if at.is_empty() {
            // An item of the root: a re-export lands where it comes from.
            // A name no re-export lists comes from a glob re-export, if any.
            let from = exports.get(segment).or_else(|| exports.get("*"));
            return Some(from.cloned().unwrap_or_default());
        } else {
            break;
        }
    }
    // `crate::{a, b}` lists: the group itself names nothing.
    (!(at.is_empty() && rest.is_empty())).then_some(at)
}

/// The first cycle found, as modules with the first repeated at the end.
fn find_cycle<'a>(graph: &BTreeMap<&'a Module, BTreeSet<&'a Module>>) -> Option<Vec<&'a Module>> {
    fn visit<'a>(
        node: &'a Module,
        graph: &BTreeMap<&'a Module, BTreeSet<&'a Module>>,
        stack: &mut Vec<&'a Module>,
        done: &mut BTreeSet<&'a Module>,
    ) -> Option<Vec<&'a Module>> {
        if let Some(at) = stack.iter().position(|m| *m == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every file module of the crate whose root is `root`, by module path
/// (inline modules belong to their file; `#[path]` modules are not
/// followed).
fn module_files(layout: &Layout, root: &Path) -> Result<BTreeMap<Module, ModuleFile>, String> {
    let mut out = BTreeMap::new();
    let dir = root.parent().unwrap_or(Path::new("."));
    let mut queue = vec![(Vec::new(), root.to_path_buf(), dir.to_path_buf())];
    while let Some((module, file, children_dir)) = queue.pop() {
        let shown = layout.display(&file);
        let text = files::read_to_string(&file, &shown)?;
        let parsed =
            syn::parse_file(&text).map_err(|e| format!("{shown}: cannot parse as Rust: {e}"))?;
        for item in &parsed.items {
            let syn::Item::Mod(m) = item else { continue };
            if m.content.is_some() || is_test(&m.attrs) || has_path_attribute(&m.attrs) {
                continue;
            }
            let name = m.ident.to_string();
            let mut child = module.clone();
            child.push(name.clone());
            let flat = children_dir.join(format!("{name}.rs"));
            let nested = children_dir.join(&name).join("mod.rs");
            let child_file = if flat.is_file() { flat } else { nested };
            if child_file.is_file() {
                queue.push((child, child_file, children_dir.join(&name)));
            }
        }
        let generated = text.starts_with(files::HEADER);
        out.insert(
            module,
            ModuleFile {
                shown,
                generated,
                parsed,
            },
        );
    }
    Ok(out)
}

/// A module's file, read and parsed once.
struct ModuleFile {
    shown: String,
    /// Written by `cargo xtask generate` (its header).
    generated: bool,
    parsed: syn::File,
}

/// One leaf of a `use` tree: the path before it, the item it names with
/// the name it binds (`None` for a glob), and its line.
struct UseLeaf {
    prefix: Vec<String>,
    item: Option<(String, String)>,
    line: usize,
}

fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    let mut leaf = |item: Option<(String, String)>, line: usize| {
        out.push(UseLeaf {
            prefix: prefix.clone(),
            item,
            line,
        })
    };
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => leaf(
            Some((n.ident.to_string(), n.ident.to_string())),
            n.ident.span().start().line,
        ),
        syn::UseTree::Rename(r) => leaf(
            Some((r.ident.to_string(), r.rename.to_string())),
            r.ident.span().start().line,
        ),
        syn::UseTree::Glob(g) => leaf(None, g.star_token.span.start().line),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, prefix, out)),
    }
}

/// What the root re-exports (`pub use error::{Error, Result};`), by the
/// name it binds (`*` for the first glob).
fn root_exports(root: &syn::File) -> BTreeMap<String, Module> {
    let mut out = BTreeMap::new();
    for item in &root.items {
        let syn::Item::Use(u) = item else { continue };
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
        for UseLeaf {
            mut prefix, item, ..
        } in leaves
        {
            // `crate::` is implied in a re-export's path.
            if prefix.first().map(String::as_str) == Some("crate") {
                prefix.remove(0);
            }
            let name = item.map_or_else(|| "*".to_string(), |(_, bound)| bound);
            out.entry(name).or_insert(prefix);
        }
    }
    out
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

fn has_path_attribute(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("path"))
}

/// Every path a file names outside `#[cfg(test)]`, with its line, as seen
/// from the file's module (`super::` out of an inline module stays in the
/// file, and is left out).
#[derive(Default)]
struct Paths {
    paths: Vec<(Vec<String>, usize)>,
    /// How many inline modules deep the visit is.
    depth: usize,
}

impl Paths {
    fn push(&mut self, mut path: Vec<String>, line: usize) {
        if self.depth > 0 {
            let supers = path.iter().take_while(|s| *s == "super").count();
            if supers <= self.depth
                && matches!(path.first().map(String::as_str), Some("super" | "self"))
            {
                return; // within this file
            }
            path.drain(..self.depth);
        }
        self.paths.push((path, line));
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test(attrs) {
            return;
        }
        let inline = matches!(item, syn::Item::Mod(m) if m.content.is_some());
        self.depth += usize::from(inline);
        syn::visit::visit_item(self, item);
        self.depth -= usize::from(inline);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&item.tree, &mut Vec::new(), &mut leaves);
        let paths = leaves.into_iter().map(|leaf| {
            let mut path = leaf.prefix;
            if let Some((name, _)) = leaf.item.filter(|(name, _)| name != "self") {
                path.push(name);
            }
            (path, leaf.line)
        });
        for (path, line) in paths {
            // `use x::..` at depth > 0 may name an inline sibling: only
            // crate/super/self paths are followed from inline modules.
            if self.depth == 0
                || matches!(
                    path.first().map(String::as_str),
                    Some("crate" | "super" | "self")
                )
            {
                self.push(path, line);
            }
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_none()
            && matches!(
                segments.first().map(String::as_str),
                Some("crate" | "super" | "self")
            )
        {
            let line = path
                .segments
                .first()
                .map_or(0, |s| s.ident.span().start().line);
            self.push(segments, line);
        }
        syn::visit::visit_path(self, path);
    }
}

#[cfg(test)]
mod tests {
    use super::crate_problems;
    use crate::files::Layout;

    /// A scratch crate: `files` as (path under `src/`, text).
    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join("src").join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let layout = Layout {
            root: dir.path().to_path_buf(),
        };
        let root = dir.path().join("src/lib.rs");
        let mut found = crate_problems(&layout, &root).expect("reads");
        for problem in &mut found {
            *problem = problem.replace(&dir.path().display().to_string(), "");
        }
        found
    }

    #[test]
    fn a_circle_between_siblings_or_through_the_root_is_named_with_its_edges() {
        let lib = "mod a;\nmod b;\npub use a::Thing;\npub struct Root;\n";
        assert_eq!(
            problems(&[
                ("lib.rs", lib),
                ("a.rs", "use crate::b::Other;\npub struct Thing;\n"),
                (
                    "b.rs",
                    "pub struct Other;\nfn f() -> crate::Thing { todo!() }\n"
                ),
            ]),
            ["import circle:\n    `a` uses `b` (src/a.rs:1)\n    `b` uses `a` (src/b.rs:2)"]
        );
        let found = problems(&[
            ("lib.rs", lib),
            ("a.rs", "pub struct Thing;\n"),
            ("b.rs", "use crate::Root;\n"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("src/b.rs:1: `crate::Root` names an item the crate root defines"),
            "{found:?}"
        );
    }

    #[test]
    fn children_may_use_their_parent_and_tests_may_use_anything() {
        assert_eq!(
            problems(&[
                ("lib.rs", "mod a;\nmod b;\n"),
                (
                    "a/mod.rs",
                    "mod x;\nmod y;\npub(crate) struct Shared;\nuse crate::b::B;\n"
                ),
                ("a/x.rs", "use super::Shared;\nuse super::y::Y;\n"),
                ("a/y.rs", "pub(crate) struct Y;\n"),
                (
                    "b.rs",
                    "pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::Shared; }\n"
                ),
            ]),
            Vec::<String>::new()
        );
    }
}
