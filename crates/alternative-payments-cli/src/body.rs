//! `--json-body FILE|-`: read, checked, and handed to the generated code.
//!
//! The generated code reads the body from a path itself, so stdin is copied
//! to a temporary file first; that file is removed when altpay ends
//! ([`clean_up`]). Reading and checking happen in clap's value parser, so a
//! bad body is a usage error (exit 2) before anything is sent.

use std::ffi::OsStr;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use serde_json::Value;

use crate::generated::CliCommand;

/// The temporary copy of stdin, and its path, while altpay runs.
static STDIN_COPY: Mutex<Option<tempfile::TempPath>> = Mutex::new(None);

/// Removes the temporary copy of stdin, if one was made.
pub fn clean_up() {
    STDIN_COPY.lock().unwrap_or_else(|e| e.into_inner()).take();
}

/// The value parser of `--json-body` for one command.
#[derive(Clone)]
pub struct JsonBody(pub CliCommand);

impl TypedValueParser for JsonBody {
    type Value = PathBuf;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<PathBuf, clap::Error> {
        let fail = |message: String| {
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("--json-body {message}\n"),
            )
            .with_cmd(cmd)
        };
        let stdin = value == "-";
        let shown = if stdin {
            "stdin".to_string()
        } else {
            PathBuf::from(value).display().to_string()
        };
        let mut text = String::new();
        let read = if stdin {
            std::io::stdin().read_to_string(&mut text).map(|_| ())
        } else {
            std::fs::read_to_string(value).map(|t| text = t)
        };
        read.map_err(|e| fail(format!("{shown}: cannot read it: {e}")))?;
        check(self.0, &text).map_err(|problem| fail(format!("{shown}: {problem}")))?;
        if !stdin {
            return Ok(PathBuf::from(value));
        }
        let copy = tempfile::NamedTempFile::new()
            .and_then(|mut file| {
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                Ok(file.into_temp_path())
            })
            .map_err(|e| fail(format!("stdin: cannot keep a copy: {e}")))?;
        let path = copy.to_path_buf();
        *STDIN_COPY.lock().unwrap_or_else(|e| e.into_inner()) = Some(copy);
        Ok(path)
    }
}

/// Whether `text` is a JSON object with only fields the operation takes.
fn check(cmd: CliCommand, text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("must be a JSON object".into());
    };
    if let Some(known) = cmd.body_fields()
        && let Some(unknown) = fields.keys().find(|k| !known.contains(&k.as_str()))
    {
        return Err(format!(
            "has a field `{unknown}` that {} does not take (it takes: {})",
            cmd.operation_id(),
            known.join(", ")
        ));
    }
    Ok(())
}

/// An error of the generated code before any request (the body did not fit
/// the operation's type), on one line, with the temporary path of a stdin
/// copy shown as `stdin`.
pub fn describe(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    match STDIN_COPY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        Some(copy) => text.replace(&copy.display().to_string(), "stdin"),
        None => text,
    }
}

/// The value parser of `altpay request --json-body`: any JSON document,
/// from a file or `-` for stdin (the endpoint is not in the spec, so there
/// are no fields to check).
pub fn any_json(value: &str) -> Result<Value, String> {
    let (text, shown) = if value == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("stdin: cannot read it: {e}"))?;
        (text, "stdin".to_string())
    } else {
        let text =
            std::fs::read_to_string(value).map_err(|e| format!("{value}: cannot read it: {e}"))?;
        (text, value.to_string())
    };
    serde_json::from_str(&text).map_err(|e| format!("{shown}: is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_checked_for_syntax_shape_and_fields() {
        let create = CliCommand::CreateCustomer;
        assert_eq!(check(create, r#"{"name": "Acme"}"#), Ok(()));
        assert_eq!(
            check(create, "{\"name\": \"Acme\",\n \"email\" 5}"),
            Err("is not valid JSON: expected `:` at line 2 column 10".into())
        );
        assert_eq!(check(create, "[]"), Err("must be a JSON object".into()));
        let unknown = check(create, r#"{"emial": "a@b.test"}"#).expect_err("a typo");
        assert!(
            unknown.starts_with(
                "has a field `emial` that create_customer does not take (it takes: city, country,"
            ),
            "{unknown}"
        );
    }
}
