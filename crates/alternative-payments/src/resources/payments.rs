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

    /// Charges an invoice: **money moves**, exactly once.
    ///
    /// Every charge carries an idempotency key: the `idempotency_key` you
    /// set (keep one per order, e.g. a UUID stored with it), or a random
    /// UUID the SDK generates. A charge sent again with the same key is the
    /// same charge, so unlike the other creates this one *is* retried after
    /// a timeout, a lost connection or a 5xx, with the same key, and a
    /// retry whose first attempt did charge gets that charge back. The key
    /// is on the request ([`Request::idempotency_key`]) and on its error
    /// ([`Error::Keyed`](crate::Error::Keyed),
    /// [`Error::idempotency_key`](crate::Error::idempotency_key)): after an
    /// error whose outcome is unknown, send the same payment again with it,
    /// now or later. The same key with a different payment is refused
    /// ([`Error::is_idempotency_key_reused`](crate::Error::is_idempotency_key_reused)).
    /// An empty key is refused before sending.
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
    /// match client.payments().create(new).send().await {
    ///     Ok(payment) => println!("{} {:?}", payment.id(), payment.status()),
    ///     Err(e) if e.outcome_unknown() => {
    ///         // Send the same payment with this key again later: it charges at most once.
    ///         println!("unknown outcome; retry with key {:?}", e.idempotency_key());
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, payment: B) -> Request<'a, Payment>
    where
        B: TryInto<NewPayment>,
        B::Error: fmt::Display,
    {
        let body = model("new payment", payment).and_then(with_idempotency_key);
        let key = body.as_ref().ok().and_then(|p| p.idempotency_key.clone());
        let mut request = Request::new::<op::CreatePayment, _>(self.client, body, |raw, body| {
            raw.create_payment().body(body)
        });
        request.idempotency_key = key;
        request
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

/// The payment with its idempotency key: the caller's, or a new random
/// UUID; an empty one is refused (it would be no key at all).
fn with_idempotency_key(mut payment: NewPayment) -> crate::Result<NewPayment> {
    match payment.idempotency_key.as_deref() {
        Some(key) if key.trim().is_empty() => Err(crate::Error::InvalidArgument(
            "new payment: idempotency_key is empty (leave it unset and the SDK generates one)"
                .into(),
        )),
        Some(_) => Ok(payment),
        None => {
            payment.idempotency_key = Some(uuid::Uuid::new_v4().to_string());
            Ok(payment)
        }
    }
}
