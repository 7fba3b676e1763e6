//! The mock's data: one generic table per kind of record (id sequence,
//! lookup by id, the record it belongs to, cursor pages), so a resource's
//! file says only what is particular to it.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("UTC times within years 0-9999 format as RFC 3339")
}

/// One record of any kind.
pub(crate) struct Record {
    /// Its position in creation order, across every table (the cursor).
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    /// The id of the record it belongs to (a payment method's customer).
    pub(crate) parent: Option<String>,
    /// Its API fields as stored, without `id` and `created_at`.
    pub(crate) fields: Map<String, Value>,
    /// State that is not a stored field (`archived`, `default`).
    flags: BTreeSet<&'static str>,
}

impl Record {
    pub(crate) fn flag(&self, name: &'static str) -> bool {
        self.flags.contains(name)
    }

    pub(crate) fn set_flag(&mut self, name: &'static str, on: bool) {
        if on {
            self.flags.insert(name);
        } else {
            self.flags.remove(name);
        }
    }

    /// Its fields with `id` and `created_at`: the body most resources send.
    pub(crate) fn to_json(&self) -> Map<String, Value> {
        let mut out = self.fields.clone();
        out.insert("id".into(), json!(self.id));
        out.insert("created_at".into(), json!(rfc3339(self.created_at)));
        out
    }
}

/// The records of one kind, in creation order.
#[derive(Default)]
pub(crate) struct Table {
    rows: Vec<Record>,
    by_id: BTreeMap<String, usize>,
}

static EMPTY: Table = Table {
    rows: Vec::new(),
    by_id: BTreeMap::new(),
};

impl Table {
    pub(crate) fn get(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id).map(|i| &self.rows[*i])
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        self.by_id.get(id).map(|i| &mut self.rows[*i])
    }

    /// Every record, in creation order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &Record> {
        self.rows.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The records that belong to `parent`, in creation order.
    pub(crate) fn children<'a>(&'a self, parent: &'a str) -> impl Iterator<Item = &'a Record> {
        self.rows
            .iter()
            .filter(move |r| r.parent.as_deref() == Some(parent))
    }

    pub(crate) fn children_mut<'a>(
        &'a mut self,
        parent: &'a str,
    ) -> impl Iterator<Item = &'a mut Record> {
        self.rows
            .iter_mut()
            .filter(move |r| r.parent.as_deref() == Some(parent))
    }

    /// One page of the records `keep` accepts, each as `json` writes it.
    pub(crate) fn page(
        &self,
        keep: impl Fn(&Record) -> bool,
        json: impl Fn(&Record) -> Value,
        request: PageRequest,
    ) -> Value {
        page(&self.rows, |r| r.seq, keep, json, request)
    }
}

/// Every table, by kind (`customers`), and what assigns ids and times.
#[derive(Default)]
pub(crate) struct Store {
    tables: BTreeMap<&'static str, Table>,
    /// The kinds kept with [`Store::insert_aside`].
    aside: BTreeSet<&'static str>,
    next_seq: u64,
    /// When set, the time given to the next record (then moved on by one
    /// second), so tests can create records at known times.
    pub(crate) clock: Option<OffsetDateTime>,
    /// Webhook deliveries of the events recorded here.
    pub(crate) outbox: crate::outbox::Outbox,
}

impl Store {
    /// How many records of each kind are stored; not those that record
    /// something else (events, [`Store::insert_aside`]).
    pub(crate) fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.tables
            .iter()
            .filter(|(kind, _)| !self.aside.contains(*kind))
            .map(|(kind, t)| (*kind, t.len()))
            .collect()
    }

    /// The records of `kind` (none yet: an empty table).
    pub(crate) fn table(&self, kind: &'static str) -> &Table {
        self.tables.get(kind).unwrap_or(&EMPTY)
    }

    pub(crate) fn table_mut(&mut self, kind: &'static str) -> &mut Table {
        self.tables.entry(kind).or_default()
    }

    /// Stores a new record of `kind` with the next sequence number, an id
    /// `<prefix>_<seq>` (six digits at least) and the clock's time.
    pub(crate) fn insert(
        &mut self,
        kind: &'static str,
        prefix: &str,
        parent: Option<&str>,
        fields: Map<String, Value>,
    ) -> &mut Record {
        self.next_seq += 1;
        let seq = self.next_seq;
        let created_at = match &mut self.clock {
            Some(t) => {
                let now = *t;
                *t += time::Duration::SECOND;
                now
            }
            None => OffsetDateTime::now_utc(),
        };
        let table = self.table_mut(kind);
        let record = Record {
            seq,
            id: format!("{prefix}_{seq:06}"),
            created_at,
            parent: parent.map(String::from),
            fields,
            flags: BTreeSet::new(),
        };
        table.by_id.insert(record.id.clone(), table.rows.len());
        table.rows.push(record);
        table.rows.last_mut().expect("just pushed")
    }
}

impl Store {
    /// Stores a record that records something else (an event): numbered in
    /// its own table (`<prefix>_000001`, ...) and stamped with the clock's
    /// current time without moving it, so that keeping such records changes
    /// no other record's id or time.
    pub(crate) fn insert_aside(
        &mut self,
        kind: &'static str,
        prefix: &str,
        fields: Map<String, Value>,
    ) -> &mut Record {
        let created_at = self.clock.unwrap_or_else(OffsetDateTime::now_utc);
        self.aside.insert(kind);
        let table = self.table_mut(kind);
        let seq = table.rows.len() as u64 + 1;
        let record = Record {
            seq,
            id: format!("{prefix}_{seq:06}"),
            created_at,
            parent: None,
            fields,
            flags: BTreeSet::new(),
        };
        table.by_id.insert(record.id.clone(), table.rows.len());
        table.rows.push(record);
        table.rows.last_mut().expect("just pushed")
    }
}

/// Where a list page starts, and how long it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageRequest {
    pub(crate) limit: usize,
    pub(crate) after: Option<u64>,
    pub(crate) before: Option<u64>,
}

/// Default and largest page size.
pub(crate) const DEFAULT_LIMIT: usize = 100;
pub(crate) const MAX_LIMIT: usize = 1000;

/// One page of the `items` that `keep` accepts, as the API's paginated
/// response. `items` are sorted by their position `seq`; the cursor is found
/// by binary search and only as many items are visited as the page needs
/// (plus one on each side to know whether more exist), so paging through a
/// large store costs the same per page from start to end.
pub(crate) fn page<T>(
    items: &[T],
    seq: impl Fn(&T) -> u64,
    keep: impl Fn(&T) -> bool,
    json: impl Fn(&T) -> Value,
    request: PageRequest,
) -> Value {
    let (window, has_previous_page, has_next_page): (Vec<&T>, bool, bool) =
        match (request.after, request.before) {
            (_, Some(before)) => {
                let end = items.partition_point(|i| seq(i) < before);
                let mut window: Vec<&T> = items[..end]
                    .iter()
                    .rev()
                    .filter(|i| keep(i))
                    .take(request.limit + 1)
                    .collect();
                let more_before = window.len() > request.limit;
                window.truncate(request.limit);
                window.reverse();
                (window, more_before, items[end..].iter().any(&keep))
            }
            (after, None) => {
                let start = after.map_or(0, |a| items.partition_point(|i| seq(i) <= a));
                let mut window: Vec<&T> = items[start..]
                    .iter()
                    .filter(|i| keep(i))
                    .take(request.limit + 1)
                    .collect();
                let more_after = window.len() > request.limit;
                window.truncate(request.limit);
                (window, items[..start].iter().rev().any(&keep), more_after)
            }
        };
    let mut out = json!({
        "data": window.iter().map(|i| json(i)).collect::<Vec<_>>(),
        "has_next_page": has_next_page,
        "has_previous_page": has_previous_page,
    });
    if let (Some(first), Some(last)) = (window.first(), window.last()) {
        out["start_cursor"] = json!(encode_cursor(seq(first)));
        out["end_cursor"] = json!(encode_cursor(seq(last)));
    }
    out
}

// Fixed bytes around the position make every cursor contain `+`, `/` and
// `=`, as the provider's do, so clients that mangle them fail in tests.
const CURSOR_PREFIX: [u8; 2] = [0xfb, 0xff];
const CURSOR_SUFFIX: u8 = 0xff;

pub(crate) fn encode_cursor(seq: u64) -> String {
    let mut bytes = Vec::with_capacity(11);
    bytes.extend_from_slice(&CURSOR_PREFIX);
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.push(CURSOR_SUFFIX);
    STANDARD.encode(bytes)
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = STANDARD.decode(cursor).ok()?;
    match bytes.as_slice() {
        [a, b, seq @ .., c]
            if [*a, *b] == CURSOR_PREFIX && *c == CURSOR_SUFFIX && seq.len() == 8 =>
        {
            Some(u64::from_be_bytes(seq.try_into().ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_carry_base64_specials() {
        for seq in [0, 1, 2, 3, 99, 1 << 40, u64::MAX] {
            let cursor = encode_cursor(seq);
            assert!(
                cursor.contains('+') && cursor.contains('/') && cursor.ends_with('='),
                "{cursor}"
            );
            assert_eq!(decode_cursor(&cursor), Some(seq));
        }
        assert_eq!(decode_cursor("gaFpxBACEaXBVABEYbHG+X9LyLnH"), None);
        assert_eq!(decode_cursor("not base64!"), None);
    }

    fn ids(page: &Value) -> Vec<u64> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|v| v.as_u64().expect("n"))
            .collect()
    }

    #[test]
    fn pages_at_both_ends_and_when_empty() {
        let items: Vec<u64> = (1..=5).collect();
        let get = |after, before, limit| {
            page(
                &items,
                |i| *i,
                |_| true,
                |i| json!(i),
                PageRequest {
                    limit,
                    after,
                    before,
                },
            )
        };

        let first = get(None, None, 2);
        assert_eq!(ids(&first), [1, 2]);
        assert_eq!(
            (
                first["has_previous_page"].clone(),
                first["has_next_page"].clone()
            ),
            (json!(false), json!(true))
        );
        let last = get(Some(4), None, 2);
        assert_eq!(ids(&last), [5]);
        assert_eq!(
            (
                last["has_previous_page"].clone(),
                last["has_next_page"].clone()
            ),
            (json!(true), json!(false))
        );
        let past_end = get(Some(5), None, 2);
        assert!(ids(&past_end).is_empty());
        assert_eq!(past_end["has_next_page"], json!(false));
        assert_eq!(past_end["has_previous_page"], json!(true));
        assert!(past_end.get("end_cursor").is_none());

        let back = get(None, Some(3), 5);
        assert_eq!(ids(&back), [1, 2]);
        assert_eq!(
            (
                back["has_previous_page"].clone(),
                back["has_next_page"].clone()
            ),
            (json!(false), json!(true))
        );
        let back = get(None, Some(5), 2);
        assert_eq!(ids(&back), [3, 4]);
        assert_eq!(back["has_previous_page"], json!(true));
        assert_eq!(back["start_cursor"], json!(encode_cursor(3)));

        // Filtered: only even numbers count, including for has_*_page.
        let evens = |after, before| {
            page(
                &items,
                |i| *i,
                |i| i % 2 == 0,
                |i| json!(i),
                PageRequest {
                    limit: 1,
                    after,
                    before,
                },
            )
        };
        let first_even = evens(None, None);
        assert_eq!(ids(&first_even), [2]);
        assert_eq!(
            (
                first_even["has_previous_page"].clone(),
                first_even["has_next_page"].clone()
            ),
            (json!(false), json!(true))
        );
        let last_even = evens(Some(2), None);
        assert_eq!(ids(&last_even), [4]);
        assert_eq!(
            last_even["has_next_page"],
            json!(false),
            "5 is odd: nothing follows"
        );
        let back = evens(None, Some(4));
        assert_eq!(ids(&back), [2]);
        assert_eq!(
            back["has_previous_page"],
            json!(false),
            "1 is odd: nothing precedes"
        );

        let empty: Vec<u64> = Vec::new();
        let none = page(
            &empty,
            |i| *i,
            |_| true,
            |i| json!(i),
            PageRequest {
                limit: 10,
                after: None,
                before: None,
            },
        );
        assert_eq!(
            none,
            json!({ "data": [], "has_next_page": false, "has_previous_page": false })
        );
    }
}
