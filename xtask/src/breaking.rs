//! `cargo xtask breaking-check <rev>`: CHANGELOG.md lists a **breaking**
//! change under Unreleased, so the crates users compile against must carry
//! a breaking version bump over the release at `rev` (0.x: the minor
//! number; from 1.0: the major).
//!
//! cargo-semver-checks (also run by CI) sees the Rust API, but not every
//! kind of change: 0.51 misses a field's type changing from `Option<T>` to
//! `T` and a removed derived `Default`, which is exactly what a request
//! field made required does. The changelog, classed from the spec, does.

use std::process::Command;

use crate::files::{self, Layout};

/// The crates whose version a breaking API change must bump.
const CRATES: [&str; 2] = ["alternative-payments", "alternative-payments-raw"];

pub fn check(layout: &Layout, rev: &str) -> Result<String, String> {
    let path = layout.changelog();
    let shown = layout.display(&path);
    let changelog = files::read_to_string(&path, &shown)?;
    let breaking = breaking_entries(&changelog);
    if breaking.is_empty() {
        return Ok("no breaking change under Unreleased".into());
    }
    let mut missing = Vec::new();
    for krate in CRATES {
        let manifest = format!("crates/{krate}/Cargo.toml");
        let now = package_version(
            &files::read_to_string(&layout.root.join(&manifest), &manifest)?,
            &manifest,
        )?;
        let output = Command::new("git")
            .current_dir(&layout.root)
            .args(["show", &format!("{rev}:{manifest}")])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "git show {rev}:{manifest} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let then = package_version(
            &String::from_utf8_lossy(&output.stdout),
            &format!("{manifest} at {rev}"),
        )?;
        if !is_breaking_bump(&then, &now)? {
            missing.push(format!("{krate} {now} (released: {then})"));
        }
    }
    if missing.is_empty() {
        return Ok(format!(
            "{} breaking change(s) under Unreleased, and the versions carry a breaking bump",
            breaking.len()
        ));
    }
    Err(format!(
        "{shown} lists breaking changes under Unreleased:\n  {}\nbut these crates have no breaking version bump since {rev}: {}\n  bump `version` (0.x: the minor number) and say in the entry what users must do",
        breaking.join("\n  "),
        missing.join(", ")
    ))
}

/// The `**breaking**` bullets of the Unreleased section.
fn breaking_entries(changelog: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut inside = false;
    for line in changelog.lines() {
        if line.starts_with("## ") {
            inside = line.to_ascii_lowercase().contains("unreleased");
        } else if inside && line.starts_with("- **breaking**") {
            entries.push(line.trim_start_matches("- ").to_string());
        }
    }
    entries
}

/// `version` of the `[package]` table of a manifest.
fn package_version(manifest: &str, shown: &str) -> Result<String, String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Ok(value.trim().trim_matches('"').to_string());
        }
    }
    Err(format!("{shown}: no version in [package]"))
}

fn is_breaking_bump(then: &str, now: &str) -> Result<bool, String> {
    let parse = |v: &str| -> Result<(u64, u64), String> {
        let mut parts = v.split(['.', '-', '+']);
        let mut next = || {
            parts
                .next()
                .and_then(|p| p.parse::<u64>().ok())
                .ok_or_else(|| format!("{v:?} is not a semver version"))
        };
        Ok((next()?, next()?))
    };
    let ((major_then, minor_then), (major_now, minor_now)) = (parse(then)?, parse(now)?);
    Ok(if major_then == 0 && major_now == 0 {
        minor_now > minor_then
    } else {
        major_now > major_then
    })
}

#[cfg(test)]
mod tests {
    use super::{breaking_entries, is_breaking_bump, package_version};

    #[test]
    fn breaking_entries_are_read_from_unreleased_only() {
        let changelog = "# C\n\n## [Unreleased]\n### Changed\n- **breaking**: a\n- compatible: b\n\n## [0.1.0]\n- **breaking**: old\n";
        assert_eq!(breaking_entries(changelog), ["**breaking**: a"]);
    }

    #[test]
    fn a_breaking_bump_is_the_minor_number_before_1_0_and_the_major_after() {
        let bump = |a, b| is_breaking_bump(a, b).expect("versions");
        assert!(bump("0.1.0", "0.2.0"));
        assert!(!bump("0.1.0", "0.1.1"));
        assert!(!bump("0.2.0", "0.2.0"));
        assert!(bump("1.4.2", "2.0.0"));
        assert!(!bump("1.4.2", "1.5.0"));
        assert!(is_breaking_bump("0.1", "x").is_err());
    }

    #[test]
    fn the_package_version_is_read_from_its_table() {
        let manifest = "[workspace]\nversion = \"9\"\n[package]\nname = \"a\"\nversion = \"0.2.0\"\n[dependencies]\nversion = \"1\"\n";
        assert_eq!(package_version(manifest, "m").expect("found"), "0.2.0");
        assert!(package_version("[package]\nname = \"a\"\n", "m").is_err());
    }
}
