//! Reading inputs with precise error locations, and writing outputs so that
//! a failure never leaves a half-written file behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where the xtask reads and writes, relative to a workspace root (the real
/// one, or a temporary copy in tests).
#[derive(Clone, Debug)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    /// The workspace this run is for, found at run time: the compile-time
    /// path would point at whichever checkout last built the binary, which a
    /// shared `CARGO_TARGET_DIR` can reuse for another checkout.
    pub fn workspace() -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        Self::locate(manifest_dir, &cwd).unwrap_or_else(|| {
            Self::locate(None, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or(Self { root: cwd })
        })
    }

    /// `cargo run` sets `CARGO_MANIFEST_DIR` to this checkout's `xtask/`;
    /// otherwise the nearest ancestor of `start` holding `xtask/Cargo.toml`
    /// and `openapi/` is the root.
    pub fn locate(manifest_dir: Option<PathBuf>, start: &Path) -> Option<Self> {
        let is_root =
            |dir: &Path| dir.join("xtask/Cargo.toml").is_file() && dir.join("openapi").is_dir();
        if let Some(root) = manifest_dir
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| is_root(d))
        {
            return Some(Self {
                root: root.to_path_buf(),
            });
        }
        start.ancestors().find(|dir| is_root(dir)).map(|root| Self {
            root: root.to_path_buf(),
        })
    }

    pub fn fragments_dir(&self) -> PathBuf {
        self.root.join("openapi/fragments")
    }

    pub fn pages_dir(&self) -> PathBuf {
        self.root.join("openapi/pages")
    }

    pub fn merged_spec(&self) -> PathBuf {
        self.root.join("openapi/openapi.json")
    }

    pub fn generated_rs(&self) -> PathBuf {
        self.root
            .join("crates/alternative-payments-raw/src/generated.rs")
    }

    /// The SDK's list filters (generated into the hand-written crate).
    pub fn sdk_filters_rs(&self) -> PathBuf {
        self.root
            .join("crates/alternative-payments/src/resources/filters.rs")
    }

    /// The `altpay` command tree.
    pub fn cli_rs(&self) -> PathBuf {
        self.root
            .join("crates/alternative-payments-cli/src/generated.rs")
    }

    /// The manifests whose per-resource features `generate` writes: the
    /// raw crate's (`[]`: nothing to forward) and the SDK's (forwarding to
    /// the raw crate's).
    pub fn resource_manifests(&self) -> [(PathBuf, Option<&'static str>); 2] {
        [
            (
                self.root.join("crates/alternative-payments-raw/Cargo.toml"),
                None,
            ),
            (
                self.root.join("crates/alternative-payments/Cargo.toml"),
                Some("alternative-payments-raw"),
            ),
        ]
    }

    /// What the workspace adds to the provider's spec (retry classes).
    pub fn overlay(&self) -> PathBuf {
        self.root.join("openapi/overlay.json")
    }

    /// The workspace changelog; `generate` records API changes in it.
    pub fn changelog(&self) -> PathBuf {
        self.root.join("CHANGELOG.md")
    }

    /// The operation table, in the raw crate and in the mock.
    pub fn operation_tables(&self) -> [PathBuf; 2] {
        [
            self.root
                .join("crates/alternative-payments-raw/src/operations.rs"),
            self.root
                .join("crates/alternative-payments-mock/src/operations.rs"),
        ]
    }

    /// `path` as shown in messages: relative to the root when it is inside.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

pub fn read_to_string(path: &Path, shown: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))
}

/// Parses JSON text; a syntax error names `shown` with the line and column,
/// shifted by `line_offset` when the text starts further down a larger file.
pub fn parse_json(text: &str, shown: &str, line_offset: usize) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        let line = e.line() + line_offset;
        // serde_json reports its own position inside its message; keep only
        // the cause so the location is said once, in file:line:column form.
        let cause = e.to_string();
        let cause = cause.split(" at line ").next().unwrap_or(&cause);
        format!("{shown}:{line}:{}: invalid JSON: {cause}", e.column())
    })
}

/// `value` with every object's keys in sorted order, however serde_json's
/// map happens to be configured (its `preserve_order` feature is unified
/// across the build, so the default ordering cannot be relied on).
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Deterministic text for a JSON output: sorted keys, two-space indent,
/// trailing newline.
pub fn canonical_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(value))
        .expect("a serde_json::Value always serialises");
    text.push('\n');
    text
}

/// The first line of every generated Rust file; the coverage check skips
/// files that start with it.
pub const HEADER: &str = "// @generated by cargo xtask generate; do not edit\n";

/// The one way generated Rust is written: `tokens` parsed as a file,
/// printed by prettyplease (deterministic), under [`HEADER`]. `what` names
/// the code in the error when it does not parse.
pub fn rust_file(tokens: proc_macro2::TokenStream, what: &str) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("{what} does not parse: {e}"))?;
    Ok(unparse(&file))
}

/// [`rust_file`] for code already parsed (and changed) as a syntax tree.
pub fn unparse(file: &syn::File) -> String {
    format!("{HEADER}\n{}", prettyplease::unparse(file))
}

/// The type arguments of `ty` when it is `wrapper<...>`.
pub fn generic_arguments(ty: &syn::Type, wrapper: &str) -> Option<Vec<syn::Type>> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .map(|arg| match arg {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// An output the xtask produces: where it goes and what it should contain.
pub struct Output {
    pub path: PathBuf,
    pub contents: String,
}

impl Output {
    /// Whether the file on disk already has these contents (ignoring CRLF
    /// line endings a checkout may have introduced).
    pub fn is_current(&self) -> bool {
        fs::read_to_string(&self.path)
            .map(|on_disk| on_disk.replace("\r\n", "\n") == self.contents)
            .unwrap_or(false)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// The one place that decides "write or check". Every output is compared
/// first; in `Check` mode stale ones are an error naming each file and the
/// command that refreshes them, in `Write` mode only the stale ones are
/// (atomically) rewritten. Returns the stale outputs' displayed paths.
pub fn write_or_check(
    layout: &Layout,
    outputs: &[Output],
    mode: Mode,
    fix_command: &str,
) -> Result<Vec<String>, String> {
    let stale: Vec<&Output> = outputs.iter().filter(|o| !o.is_current()).collect();
    let names: Vec<String> = stale.iter().map(|o| layout.display(&o.path)).collect();
    match mode {
        Mode::Check if !stale.is_empty() => Err(format!(
            "{} out of date: {}\n  run `{fix_command}` and commit the result",
            if names.len() == 1 {
                "file is"
            } else {
                "files are"
            },
            names.join(", ")
        )),
        Mode::Check => Ok(names),
        Mode::Write => {
            for output in stale {
                write_atomic(&output.path, &output.contents)
                    .map_err(|e| format!("cannot write {}: {e}", layout.display(&output.path)))?;
            }
            Ok(names)
        }
    }
}

/// Writes through a temporary file in the same directory and renames it over
/// the target, so readers see the old contents or the new, never a mix.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()))?;
        } else {
            fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
