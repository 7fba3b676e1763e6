//! Customers looked up by external id or email without rescanning the list:
//! the API has no filter on either and no idempotency on creates, so an
//! import that looks each row up with `find_by_external_id` reads the whole
//! list per row (10,000 customers, 1,000 rows: about 100,000 requests). An
//! index reads it once (100 pages), answers from memory, learns the
//! customers created through it, and catches up with the others by
//! `created_at`.

use std::collections::HashMap;

use futures::TryStreamExt;

use super::customers::SCAN_PAGE_SIZE;
use crate::client::Client;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::pagination;
use crate::types::{Customer, CustomerId, NewCustomer};

/// Every listed customer, read once, looked up by external id and email.
///
/// [`load`](CustomerIndex::load) reads the list page by page; a failed page
/// leaves what was read, and the next `load` resumes after the last page
/// that arrived. Once the list has been read to its end, `load` catches up:
/// it reads only the customers created since the newest one it holds
/// (`created_at_start`, inclusive), so a customer created meanwhile by
/// someone else is found. A customer is held once, whatever the list did
/// during the scan. Archived customers are not listed, so not held.
///
/// ```no_run
/// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
/// use alternative_payments::CustomerIndex;
///
/// let mut index = CustomerIndex::new();
/// index.load(&client).await?; // ceil(customers / 100) requests
/// for customer in index.by_external_id("crm-42") {
///     println!("{} {:?}", customer.id(), customer.email());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct CustomerIndex {
    customers: Vec<Customer>,
    by_id: HashMap<CustomerId, usize>,
    by_external_id: HashMap<String, Vec<usize>>,
    by_email: HashMap<String, Vec<usize>>,
    /// Where the first read of the list stopped; `None` before it started.
    cursor: Option<String>,
    /// The list has been read to its end once.
    complete: bool,
    /// Requests made by `load`.
    requests: u64,
}

/// An email as the index compares it: trimmed, ignoring case.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl CustomerIndex {
    /// An empty index; [`load`](Self::load) fills it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the list: the first time to its end (resuming where a failed
    /// read stopped), afterwards only the customers created since the
    /// newest held. Every page is a request under the client's rate limit;
    /// pages are walked by the lists' own walk (its guards against a cursor
    /// that is missing or repeats included), one at a time.
    pub async fn load(&mut self, client: &Client) -> Result<()> {
        let mut list = client.customers().list().limit(SCAN_PAGE_SIZE);
        let start = if self.complete {
            // Caught up from the newest held (inclusive: the id dedups).
            let newest = self
                .customers
                .iter()
                .filter_map(|c| c.created_at().ok().flatten())
                .max();
            if let Some(newest) = newest {
                list = list.created_after(newest);
            }
            Cursor::First
        } else {
            self.cursor.clone().map_or(Cursor::First, Cursor::After)
        };
        let mut pages = pagination::pages_in_turn(list.source()?, start);
        while let Some(page) = pages.try_next().await? {
            self.requests += 1;
            let end = page.end_cursor().map(String::from);
            for customer in page.into_items() {
                self.insert(customer);
            }
            // Where a failed read resumes (the first read only).
            if !self.complete && end.is_some() {
                self.cursor = end;
            }
        }
        self.complete = true;
        Ok(())
    }

    /// Holds `customer` (one created or read elsewhere); one already held,
    /// by id, is replaced, not doubled.
    pub fn insert(&mut self, customer: Customer) {
        if let Some(&at) = self.by_id.get(customer.id()) {
            self.unlink(at);
            self.customers[at] = customer;
            self.link(at);
            return;
        }
        let at = self.customers.len();
        self.by_id.insert(customer.id().clone(), at);
        self.customers.push(customer);
        self.link(at);
    }

    fn link(&mut self, at: usize) {
        let customer = &self.customers[at];
        if let Some(external_id) = customer.external_id().filter(|e| !e.is_empty()) {
            self.by_external_id
                .entry(external_id.to_string())
                .or_default()
                .push(at);
        }
        if let Some(email) = customer.email().filter(|e| !e.trim().is_empty()) {
            self.by_email.entry(email_key(email)).or_default().push(at);
        }
    }

    fn unlink(&mut self, at: usize) {
        let customer = &self.customers[at];
        if let Some(list) = customer
            .external_id()
            .and_then(|e| self.by_external_id.get_mut(e))
        {
            list.retain(|i| *i != at);
        }
        if let Some(list) = customer
            .email()
            .and_then(|e| self.by_email.get_mut(&email_key(e)))
        {
            list.retain(|i| *i != at);
        }
    }

    /// The customers whose external id is exactly `external_id` (more than
    /// one: the API does not keep them unique).
    pub fn by_external_id(&self, external_id: &str) -> Vec<&Customer> {
        self.lookup(self.by_external_id.get(external_id))
    }

    /// The customers whose email is `email`, trimmed and ignoring case.
    pub fn by_email(&self, email: &str) -> Vec<&Customer> {
        self.lookup(self.by_email.get(&email_key(email)))
    }

    fn lookup(&self, at: Option<&Vec<usize>>) -> Vec<&Customer> {
        at.into_iter()
            .flatten()
            .map(|i| &self.customers[*i])
            .collect()
    }

    /// External ids held by more than one customer, with them.
    pub fn duplicate_external_ids(&self) -> Vec<(&str, Vec<&Customer>)> {
        let mut duplicates: Vec<(&str, Vec<&Customer>)> = self
            .by_external_id
            .iter()
            .filter(|(_, at)| at.len() > 1)
            .map(|(id, at)| (id.as_str(), self.lookup(Some(at))))
            .collect();
        duplicates.sort_by_key(|(id, _)| *id);
        duplicates
    }

    /// Every customer held, in the order first seen.
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// How many customers it holds.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Whether the list has been read to its end.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The requests [`load`](Self::load) has made.
    pub fn requests(&self) -> u64 {
        self.requests
    }
}

/// What [`Customers::upsert_by_external_id`](crate::Customers::upsert_by_external_id)
/// did with each row (rows by their position in the input, from 0).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct UpsertReport {
    /// Rows created, with the customer.
    pub created: Vec<(usize, Customer)>,
    /// Rows whose external id one customer already has: nothing sent.
    pub existing: Vec<(usize, CustomerId)>,
    /// Rows whose external id an earlier row has: (row, that earlier row).
    pub duplicate_in_input: Vec<(usize, usize)>,
    /// Rows whose external id several customers have already (the API
    /// allows it): nothing created; the customers' ids.
    pub ambiguous: Vec<(usize, Vec<CustomerId>)>,
    /// Rows refused: without an external id (nothing sent), or refused by
    /// the API (a 400 or 422; its message).
    pub invalid: Vec<(usize, String)>,
    /// The row whose create failed for another reason (the API unreachable,
    /// credentials refused, ...), with the error; the rows after it were not
    /// attempted. When the error's outcome is unknown the customer may
    /// exist: running the same import again finds it (the index catches up)
    /// rather than creating it twice.
    pub stopped: Option<(usize, Error)>,
    /// Requests made: the index's reads and the creates.
    pub requests: u64,
}

impl super::Customers<'_> {
    /// Creates the customers of `rows` that no customer has the external id
    /// of, reading the list once through `index` (loaded, resumed or caught
    /// up first) instead of once per row: an import of 1,000 rows into
    /// 10,000 customers costs 100 reads and its creates, not 100,000
    /// requests. Every row is reported ([`UpsertReport`]): created, existing,
    /// repeated in the input, ambiguous in the account, or refused; nothing
    /// is created twice. The index learns the customers created, so the
    /// same index serves the next import.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::CustomerIndex;
    /// use alternative_payments::types::NewCustomer;
    ///
    /// let rows = vec![
    ///     NewCustomer::builder().name("Acme").external_id("crm-1").try_into().expect("valid"),
    ///     NewCustomer::builder().name("Globex").external_id("crm-2").try_into().expect("valid"),
    /// ];
    /// let mut index = CustomerIndex::new();
    /// let report = client.customers().upsert_by_external_id(&mut index, rows).await?;
    /// println!("{} created, {} there already", report.created.len(), report.existing.len());
    /// # Ok(()) }
    /// ```
    pub async fn upsert_by_external_id(
        &self,
        index: &mut CustomerIndex,
        rows: impl IntoIterator<Item = NewCustomer>,
    ) -> Result<UpsertReport> {
        let before = index.requests();
        index.load(self.client).await?;
        let mut report = UpsertReport::default();
        let mut first_row: HashMap<String, usize> = HashMap::new();
        for (row, new) in rows.into_iter().enumerate() {
            if report.stopped.is_some() {
                break;
            }
            let Some(external_id) = new.external_id.clone().filter(|e| !e.trim().is_empty()) else {
                report.invalid.push((row, "no external id".into()));
                continue;
            };
            if let Some(&first) = first_row.get(&external_id) {
                report.duplicate_in_input.push((row, first));
                continue;
            }
            first_row.insert(external_id.clone(), row);
            match index.by_external_id(&external_id).as_slice() {
                [] => {}
                [one] => {
                    report.existing.push((row, one.id().clone()));
                    continue;
                }
                many => {
                    report
                        .ambiguous
                        .push((row, many.iter().map(|c| c.id().clone()).collect()));
                    continue;
                }
            }
            report.requests += 1;
            match self.create(new).send().await {
                Ok(customer) => {
                    index.insert(customer.clone());
                    report.created.push((row, customer));
                }
                Err(e) if matches!(e.status().map(|s| s.as_u16()), Some(400 | 422)) => {
                    report.invalid.push((row, e.to_string()));
                }
                Err(e) => report.stopped = Some((row, e)),
            }
        }
        report.requests += index.requests() - before;
        Ok(report)
    }
}
