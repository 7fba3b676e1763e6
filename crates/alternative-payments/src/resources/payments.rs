//! The Payments resource (the `Payments` tag): payments charge invoices, by
//! card or ACH.

use std::fmt;

use alternative_payments_raw as raw;
use raw::operations::payments as op;

use super::{Filters, List, Request, model, valid_id};
use crate::client::Client;
use crate::types::{NewPayment, Payment, PaymentId};

impl Client {
    /// Payments: `client.payments()`.
    pub fn payments(&self) -> Payments<'_> {
        Payments { client: self }
    }
}

/// Payments: `client.payments()`.
#[derive(Clone, Copy, Debug)]
pub struct Payments<'a> {
    client: &'a Client,
}

/// `client.payments().list()`: its filters (`customer_id`, `invoice_id`,
/// `status`, `payment_method`, `type_`, `created_at_start`/`_end`) are
/// generated from the spec.
pub type ListPayments<'a> = List<'a, Filters<op::ListPayments>>;

impl<'a> Payments<'a> {
    /// Lists payments with the filters set on the returned builder.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let paid: Vec<_> = client.payments().list().invoice_id("inv_000001").stream().try_collect().await?;
    /// println!("{} payment(s) of the invoice", paid.len());
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListPayments<'a> {
        List::new(self.client, Filters::<op::ListPayments>::default())
    }

    /// Charges an invoice: **money moves**. Never sent twice unless the
    /// request provably did not reach the server; give it an
    /// `idempotency_key` (a UUID of yours, kept with the order) so that
    /// sending it again after a lost answer charges nothing more.
    ///
    /// `payment` is a [`NewPayment`] or its builder; the amount is an exact
    /// [`Decimal`](crate::Decimal) (the API takes it as a string).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::Decimal;
    /// use alternative_payments::types::NewPayment;
    ///
    /// let new = NewPayment::builder()
    ///     .invoice_id("inv_000001")
    ///     .amount(Decimal::new(59997, 2)) // 599.97
    ///     .payment_method("card")
    ///     .idempotency_key("3f1c6a2e-0d4b-4b8e-9d5a-1c2f0e7b9a11");
    /// let payment = client.payments().create(new).send().await?;
    /// println!("{} {:?}", payment.id(), payment.status());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, payment: B) -> Request<'a, Payment>
    where
        B: TryInto<NewPayment>,
        B::Error: fmt::Display,
    {
        let body = model("new payment", payment);
        Request::new::<op::CreatePayment, _>(self.client, body, |raw, body| {
            raw.create_payment().body(body)
        })
    }

    /// Gets a payment by id.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let payment = client.payments().get("pay_000001").send().await?;
    /// println!("{:?} {:?}", payment.status(), payment.total());
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: impl Into<PaymentId>) -> Request<'a, Payment> {
        let id = valid_id("payment id", id.into());
        Request::new::<op::GetPayment, _>(self.client, id, |raw, id| raw.get_payment().id(id))
    }
}
