//! The Invoices resource (the `Invoices` tag): invoices with line items, a
//! hosted payment link for the payer, and a signed PDF link.

use std::fmt;

use alternative_payments_raw as raw;
use raw::operations::invoices as op;

use super::{Filters, List, Request, Waiter, model, valid_id};
use crate::client::Client;
use crate::types::{Invoice, InvoiceId, InvoiceLink, NewInvoice};

impl Client {
    /// Invoices: `client.invoices()`.
    pub fn invoices(&self) -> Invoices<'_> {
        Invoices { client: self }
    }
}

/// Invoices: `client.invoices()`.
#[derive(Clone, Copy, Debug)]
pub struct Invoices<'a> {
    client: &'a Client,
}

/// `client.invoices().list()`: its filters (`customer_id`, `status`,
/// `invoice_number`, `created_at_start`/`_end`, `due_date_start`/`_end`)
/// are generated from the spec.
pub type ListInvoices<'a> = List<'a, Filters<op::ListInvoices>>;

impl<'a> Invoices<'a> {
    /// Lists invoices with the filters set on the returned builder, page by
    /// page or as a stream.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut open = client.invoices().list().customer_id("cus_000001").status("open").stream();
    /// while let Some(invoice) = open.try_next().await? {
    ///     println!("{} {:?} due {:?}", invoice.id(), invoice.total(), invoice.due_date());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListInvoices<'a> {
        List::new(self.client, Filters::<op::ListInvoices>::default())
    }

    /// Creates an invoice for a customer, with line items. Never retried
    /// unless the request provably did not reach the server, so it cannot
    /// create two; after an error whose outcome is unknown
    /// ([`Error::outcome_unknown`](crate::Error::outcome_unknown)), list
    /// the customer's invoices before creating it again.
    ///
    /// `invoice` is a [`NewInvoice`] or its builder; amounts are exact
    /// [`Decimal`](crate::Decimal)s.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::Decimal;
    /// use alternative_payments::types::{InvoiceLineItem, NewInvoice};
    ///
    /// let line: InvoiceLineItem = InvoiceLineItem::builder()
    ///     .description("Managed backup, November")
    ///     .amount(Decimal::new(19999, 2)) // 199.99
    ///     .quantity(3)
    ///     .try_into()
    ///     .expect("every field is optional");
    /// let new = NewInvoice::builder()
    ///     .customer_id("cus_000001")
    ///     .due_date("2026-12-31")
    ///     .line_items(vec![line]);
    /// let invoice = client.invoices().create(new).send().await?;
    /// println!("{} for {:?}", invoice.id(), invoice.total());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, invoice: B) -> Request<'a, Invoice>
    where
        B: TryInto<NewInvoice>,
        B::Error: fmt::Display,
    {
        let body = model("new invoice", invoice);
        Request::new::<op::CreateInvoice, _>(self.client, body, |raw, body| {
            raw.create_invoice().body(body)
        })
    }

    /// Gets an invoice by id.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let invoice = client.invoices().get("inv_000001").send().await?;
    /// println!("{:?} of {:?}", invoice.status(), invoice.customer_id());
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: impl Into<InvoiceId>) -> Request<'a, Invoice> {
        let id = valid_id("invoice id", id.into());
        Request::new::<op::GetInvoice, _>(self.client, id, |raw, id| raw.get_invoice().id(id))
    }

    /// Waits until the invoice is `paid`, or `void` (archived: it never
    /// will be), compared ignoring case: check its status. Polls with
    /// [`get`](Self::get), 2 s to 30 s apart with jitter, for up to 15
    /// minutes (see [`Waiter`] to change them); an id that does not exist
    /// is the 404 at once. A webhook subscription to `invoice_paid` tells
    /// you without polling.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let invoice = client.invoices().wait_until_paid("inv_000001").await?;
    /// println!("{} is {:?}", invoice.id(), invoice.status());
    /// # Ok(()) }
    /// ```
    pub fn wait_until_paid(&self, id: impl Into<InvoiceId>) -> Waiter<'a, Invoice> {
        let (invoices, id) = (*self, id.into());
        Waiter::new(
            self.client,
            "invoice",
            id.to_string(),
            move || invoices.get(id.clone()),
            Invoice::status,
            &["paid", "void"],
        )
    }

    /// Archives an invoice (`DELETE`). Archiving an archived invoice is
    /// refused by the API (a 400), so a retry after a lost answer may end
    /// in an error although the invoice is archived
    /// ([`Error::outcome_unknown`](crate::Error::outcome_unknown)).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let archived = client.invoices().archive("inv_000001").send().await?;
    /// println!("{:?}", archived.status());
    /// # Ok(()) }
    /// ```
    pub fn archive(&self, id: impl Into<InvoiceId>) -> Request<'a, Invoice> {
        let id = valid_id("invoice id", id.into());
        Request::new::<op::ArchiveInvoice, _>(self.client, id, |raw, id| {
            raw.archive_invoice().id(id)
        })
    }

    /// The invoice's hosted payment page, to send the payer.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let link = client.invoices().payment_link("inv_000001").send().await?;
    /// println!("pay at {:?}", link.url());
    /// # Ok(()) }
    /// ```
    pub fn payment_link(&self, id: impl Into<InvoiceId>) -> Request<'a, InvoiceLink> {
        let id = valid_id("invoice id", id.into());
        Request::new::<op::GetInvoicePaymentLink, _>(self.client, id, |raw, id| {
            raw.get_invoice_payment_link().id(id)
        })
    }

    /// A signed link to the invoice as a PDF.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let pdf = client.invoices().pdf_link("inv_000001").send().await?;
    /// println!("download {:?}", pdf.url());
    /// # Ok(()) }
    /// ```
    pub fn pdf_link(&self, id: impl Into<InvoiceId>) -> Request<'a, InvoiceLink> {
        let id = valid_id("invoice id", id.into());
        Request::new::<op::GetInvoicePdfLink, _>(self.client, id, |raw, id| {
            raw.get_invoice_pdf_link().id(id)
        })
    }
}
