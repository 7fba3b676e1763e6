//! The mock's data: customers with their payment methods and users, and
//! cursor pagination over them.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Customer fields a create may set, as the spec names them.
pub(crate) const CREATE_FIELDS: [&str; 11] = [
    "city",
    "country",
    "ein",
    "email",
    "external_id",
    "legal_name",
    "name",
    "postal_code",
    "state",
    "street_address",
    "sub_premise",
];
/// Customer fields a PATCH may change (the spec's PatchCustomerRequest).
pub(crate) const PATCH_FIELDS: [&str; 9] = [
    "city",
    "country",
    "ein",
    "legal_name",
    "name",
    "postal_code",
    "state",
    "street_address",
    "sub_premise",
];
/// Fields of a new customer user.
pub(crate) const USER_FIELDS: [&str; 3] = ["email", "first_name", "last_name"];

pub(crate) struct Customer {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) fields: Map<String, Value>,
    pub(crate) archived: bool,
    pub(crate) payment_methods: Vec<PaymentMethod>,
    pub(crate) users: Vec<User>,
}

pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) default: bool,
    /// `type`, `brand`, `last4`, `exp_month`, `exp_year` as seeded.
    pub(crate) fields: Map<String, Value>,
}

pub(crate) struct User {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) fields: Map<String, Value>,
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("UTC times within years 0-9999 format as RFC 3339")
}

impl Customer {
    pub(crate) fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("id".into(), json!(self.id));
        out.insert("created_at".into(), json!(rfc3339(self.created_at)));
        if let Some(default) = self.payment_methods.iter().find(|m| m.default) {
            out.insert("default_payment_method_id".into(), json!(default.id));
        }
        Value::Object(out)
    }
}

impl PaymentMethod {
    pub(crate) fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("id".into(), json!(self.id));
        out.insert("created_at".into(), json!(rfc3339(self.created_at)));
        out.insert("default".into(), json!(self.default));
        Value::Object(out)
    }
}

impl User {
    pub(crate) fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("id".into(), json!(self.id));
        out.insert("created_at".into(), json!(rfc3339(self.created_at)));
        Value::Object(out)
    }
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) customers: Vec<Customer>,
    by_id: HashMap<String, usize>,
    next_seq: u64,
    /// When set, the time given to the next record (then moved on by one
    /// second), so tests can create customers at known times.
    pub(crate) clock: Option<OffsetDateTime>,
}

impl Store {
    fn tick(&mut self) -> (u64, OffsetDateTime) {
        self.next_seq += 1;
        let now = match &mut self.clock {
            Some(t) => {
                let now = *t;
                *t += time::Duration::SECOND;
                now
            }
            None => OffsetDateTime::now_utc(),
        };
        (self.next_seq, now)
    }

    pub(crate) fn create_customer(&mut self, fields: Map<String, Value>) -> &Customer {
        let (seq, created_at) = self.tick();
        let customer = Customer {
            seq,
            id: format!("cus_{seq:06}"),
            created_at,
            fields,
            archived: false,
            payment_methods: Vec::new(),
            users: Vec::new(),
        };
        self.by_id.insert(customer.id.clone(), self.customers.len());
        self.customers.push(customer);
        self.customers.last().expect("just pushed")
    }

    pub(crate) fn customer(&self, id: &str) -> Option<&Customer> {
        self.by_id.get(id).map(|i| &self.customers[*i])
    }

    pub(crate) fn customer_mut(&mut self, id: &str) -> Option<&mut Customer> {
        self.by_id.get(id).map(|i| &mut self.customers[*i])
    }

    pub(crate) fn add_user(
        &mut self,
        customer_id: &str,
        fields: Map<String, Value>,
    ) -> Option<Value> {
        let (seq, created_at) = self.tick();
        let customer = self.customer_mut(customer_id)?;
        let user = User {
            seq,
            id: format!("usr_{seq:06}"),
            created_at,
            fields,
        };
        let json = user.to_json();
        customer.users.push(user);
        Some(json)
    }

    /// Adds a payment method; the first one, or one marked default, becomes
    /// the default (and the customer's `default_payment_method_id`).
    pub(crate) fn add_payment_method(
        &mut self,
        customer_id: &str,
        fields: Map<String, Value>,
        default: bool,
    ) -> Option<String> {
        let (seq, created_at) = self.tick();
        let customer = self.customer_mut(customer_id)?;
        let default = default || customer.payment_methods.is_empty();
        if default {
            customer
                .payment_methods
                .iter_mut()
                .for_each(|m| m.default = false);
        }
        let id = format!("pm_{seq:06}");
        customer.payment_methods.push(PaymentMethod {
            id: id.clone(),
            created_at,
            default,
            fields,
        });
        Some(id)
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
