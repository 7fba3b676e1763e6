//! What altpay writes: JSON (pretty on a terminal), NDJSON, or a table;
//! progress on stderr; errors in words.
//!
//! The table is a dozen lines of column alignment: a table crate would bring
//! terminal handling this needs none of.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};

use clap::ArgMatches;
use serde_json::Value;

use crate::failure::{Exit, Failure};

/// Widest a table cell gets; longer values end in `…`.
const MAX_CELL: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
    Ndjson,
}

/// The output settings of a command line.
pub struct Options {
    /// As asked with `--output`, if it was.
    format: Option<Format>,
    columns: Option<Vec<String>>,
    pretty: bool,
}

impl From<&ArgMatches> for Options {
    fn from(matches: &ArgMatches) -> Self {
        let format = matches
            .get_one::<String>("output")
            .map(|f| match f.as_str() {
                "table" => Format::Table,
                "ndjson" => Format::Ndjson,
                _ => Format::Json,
            });
        let columns = matches
            .get_many::<String>("columns")
            .map(|c| c.cloned().collect());
        Self {
            format,
            columns,
            pretty: std::io::stdout().is_terminal(),
        }
    }
}

impl Options {
    /// Writes one answer.
    pub fn write_one(&self, value: &Value) -> Result<(), Failure> {
        let text = match (self.format.unwrap_or(Format::Json), items_of(value)) {
            (Format::Json, _) => self.json(value),
            (Format::Table, Some(items)) => table(items, self.columns.as_deref()),
            (Format::Table, None) => fields_table(value),
            (Format::Ndjson, Some(items)) => items.iter().map(ndjson_line).collect(),
            (Format::Ndjson, None) => ndjson_line(value),
        };
        write_out(text.as_bytes())
    }

    fn json(&self, value: &Value) -> String {
        let mut text = if self.pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .unwrap_or_default();
        text.push('\n');
        text
    }

    /// A writer for `--all`: NDJSON unless `--output` said otherwise.
    pub fn list_writer(&self) -> ListWriter<'_> {
        ListWriter {
            options: self,
            format: self.format.unwrap_or(Format::Ndjson),
            kept: Vec::new(),
        }
    }
}

/// Writes the items of many pages.
pub struct ListWriter<'a> {
    options: &'a Options,
    format: Format,
    /// Items held for a format that needs them all (a JSON array, a table).
    kept: Vec<Value>,
}

impl ListWriter<'_> {
    /// One page's items: written at once as NDJSON, kept otherwise.
    pub fn items(&mut self, items: Vec<Value>) -> Result<(), Failure> {
        if self.format == Format::Ndjson {
            let text: String = items.iter().map(ndjson_line).collect();
            write_out(text.as_bytes())
        } else {
            self.kept.extend(items);
            Ok(())
        }
    }

    pub fn finish(self) -> Result<(), Failure> {
        let text = match self.format {
            Format::Ndjson => return Ok(()),
            Format::Json => self.options.json(&Value::Array(self.kept)),
            Format::Table => table(&self.kept, self.options.columns.as_deref()),
        };
        write_out(text.as_bytes())
    }
}

/// Writes to stdout. A closed pipe (`altpay ... | head`) ends quietly.
fn write_out(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            Exit::Internal,
            format!("error: cannot write the output: {e}"),
        )),
        _ => Ok(()),
    }
}

fn ndjson_line(value: &Value) -> String {
    let mut line = serde_json::to_string(value).unwrap_or_default();
    line.push('\n');
    line
}

/// The items of a list answer: its `data` array (or the answer itself when
/// it is an array).
fn items_of(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) => Some(items),
        _ => value.get("data")?.as_array().map(Vec::as_slice),
    }
}

/// Rows as aligned columns: `columns`, or every field holding a scalar in
/// some row (`id` first, then by name).
fn table(rows: &[Value], columns: Option<&[String]>) -> String {
    let columns: Vec<String> = match columns {
        Some(columns) => columns.to_vec(),
        None => {
            let scalar: BTreeSet<&String> = rows
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|row| row.iter())
                .filter(|(_, v)| !v.is_object() && !v.is_array())
                .map(|(k, _)| k)
                .collect();
            let id = scalar.iter().find(|k| k.as_str() == "id");
            id.into_iter()
                .chain(scalar.iter().filter(|k| k.as_str() != "id"))
                .map(|k| k.to_string())
                .collect()
        }
    };
    if columns.is_empty() {
        return String::new();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|c| cell(&row[c.as_str()])).collect())
        .collect();
    let header: Vec<String> = columns.iter().map(|c| printable(c)).collect();
    aligned(std::iter::once(header).chain(cells).collect())
}

/// One object as `field  value` lines.
fn fields_table(value: &Value) -> String {
    match value.as_object() {
        Some(fields) => aligned(
            fields
                .iter()
                .map(|(k, v)| vec![printable(k), cell(v)])
                .collect(),
        ),
        None => cell(value) + "\n",
    }
}

fn aligned(rows: Vec<Vec<String>>) -> String {
    let count = |s: &String| s.chars().count();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(count(c));
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, w) in row.iter().zip(&widths) {
            line.push_str(c);
            line.extend(std::iter::repeat_n(' ', w - count(c) + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A value as a table cell: strings bare, other scalars as JSON, nested
/// values as compact JSON; made printable and cut to [`MAX_CELL`].
fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = printable(&text);
    if text.chars().count() > MAX_CELL {
        text.chars().take(MAX_CELL - 1).chain(['…']).collect()
    } else {
        text
    }
}

/// `text` with control characters (a server's `\x1b[2J`, a newline inside
/// a table cell) shown escaped instead of acting on the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| -> Box<dyn Iterator<Item = char>> {
            if c.is_control() {
                Box::new(c.escape_default())
            } else {
                Box::new(std::iter::once(c))
            }
        })
        .collect()
}

/// `--all`'s progress line on stderr, when stderr is a terminal: what the
/// export has cost so far in requests and time, and its pace. Under the
/// key's limit requests are the time: the API gives no list's total, so
/// the pace is what tells a user how long the rest takes.
pub struct Progress {
    enabled: bool,
    pages: usize,
    items: usize,
    started: std::time::Instant,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            pages: 0,
            items: 0,
            started: std::time::Instant::now(),
        }
    }

    pub fn page(&mut self, items: usize) {
        self.pages += 1;
        self.items += items;
        if self.enabled {
            eprint!(
                "\r{}",
                progress_line(self.items, self.pages, self.started.elapsed())
            );
        }
    }

    pub fn done(&self) {
        if self.enabled && self.pages > 0 {
            eprintln!();
        }
    }
}

/// `1200 items, 12 requests in 2.4 s (5.0 requests/s, 500 items/s)`.
fn progress_line(items: usize, requests: usize, elapsed: std::time::Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let mut line = format!("{items} items, {requests} requests in {seconds:.1} s");
    if seconds >= 0.1 {
        line += &format!(
            " ({:.1} requests/s, {:.0} items/s)",
            requests as f64 / seconds,
            items as f64 / seconds
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_progress_line_says_what_the_export_cost_and_its_pace() {
        use std::time::Duration;
        assert_eq!(
            progress_line(1200, 12, Duration::from_millis(2400)),
            "1200 items, 12 requests in 2.4 s (5.0 requests/s, 500 items/s)"
        );
        assert_eq!(
            progress_line(3, 1, Duration::ZERO),
            "3 items, 1 requests in 0.0 s"
        );
    }

    #[test]
    fn a_table_has_id_first_aligned_columns_and_tamed_cells() {
        let rows = [
            json!({ "name": "Acme", "id": "cus_1", "tags": ["a"], "email": null }),
            json!({ "id": "cus_22", "name": "Evil\u{1b}[2J", "email": "x".repeat(50) }),
        ];
        assert_eq!(
            table(&rows, None),
            format!(
                "id      email                                     name\n\
                 cus_1                                             Acme\n\
                 cus_22  {}…  Evil\\u{{1b}}[2J\n",
                "x".repeat(39)
            )
        );
        let columns = ["name".to_string()];
        assert_eq!(table(&rows, Some(&columns)), "name\nAcme\nEvil\\u{1b}[2J\n");
    }
}
