//! The Payment request resource (the `Payment request` tag): a one-off
//! request for an amount, whose hosted `url` the payer opens; the
//! integration then polls it for its status.

use std::fmt;

use alternative_payments_raw as raw;
use raw::operations::payment_request as op;

use super::{Request, Waiter, model, valid_id};
use crate::client::Client;
use crate::types::{NewPaymentRequest, PaymentRequest, PaymentRequestId};

impl Client {
    /// One-off payment requests: `client.payment_requests()`.
    pub fn payment_requests(&self) -> PaymentRequests<'_> {
        PaymentRequests { client: self }
    }
}

/// Payment requests: `client.payment_requests()`.
#[derive(Clone, Copy, Debug)]
pub struct PaymentRequests<'a> {
    client: &'a Client,
}

impl<'a> PaymentRequests<'a> {
    /// Creates a payment request for an amount; send the payer to its
    /// `url`. Never retried unless the request provably did not reach the
    /// server, so it cannot create two: after an error whose outcome is
    /// unknown ([`Error::outcome_unknown`](crate::Error::outcome_unknown)),
    /// look for it by its `reference_id` on your side before asking again.
    ///
    /// `request` is a [`NewPaymentRequest`] or its builder; the amount is
    /// an exact decimal (the API takes it as a string).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::Decimal;
    /// use alternative_payments::types::NewPaymentRequest;
    ///
    /// let new = NewPaymentRequest::builder()
    ///     .amount(Decimal::new(4999, 2)) // 49.99
    ///     .reference_id("order-1042")
    ///     .redirect_url("https://shop.example/thanks");
    /// let request = client.payment_requests().create(new).send().await?;
    /// println!("send the payer to {:?}", request.url());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, request: B) -> Request<'a, PaymentRequest>
    where
        B: TryInto<NewPaymentRequest>,
        B::Error: fmt::Display,
    {
        let body = model("new payment request", request);
        Request::new::<op::CreatePaymentRequest, _>(self.client, body, |raw, body| {
            raw.create_payment_request().body(body)
        })
    }

    /// Gets a payment request with its current status.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let request = client.payment_requests().get("pr_000001").send().await?;
    /// println!("{:?}", request.status());
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: impl Into<PaymentRequestId>) -> Request<'a, PaymentRequest> {
        let id = valid_id("payment request id", id.into());
        Request::new::<op::GetPaymentRequest, _>(self.client, id, |raw, id| {
            raw.get_payment_request().id(id)
        })
    }

    /// Waits until the payment request has an outcome: its status is
    /// `paid`, `expired` or `canceled` (or `cancelled`), compared ignoring
    /// case; the provider documents no statuses, so any other one, known or
    /// not, keeps it waiting. Polls with [`get`](Self::get), as the guides
    /// say to, 2 s to 30 s apart with jitter, for up to 15 minutes (see
    /// [`Waiter`] to change them); an id that does not exist is the 404 at
    /// once.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use std::time::Duration;
    ///
    /// let request = client
    ///     .payment_requests()
    ///     .wait_until_final("pr_000001")
    ///     .max_wait(Duration::from_secs(600))
    ///     .await?;
    /// match request.status() {
    ///     Some("paid") => println!("paid"),
    ///     other => println!("ended without payment: {other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn wait_until_final(&self, id: impl Into<PaymentRequestId>) -> Waiter<'a, PaymentRequest> {
        let (requests, id) = (*self, id.into());
        Waiter::new(
            self.client,
            "payment request",
            id.to_string(),
            move || requests.get(id.clone()),
            PaymentRequest::status,
            &["paid", "expired", "canceled", "cancelled"],
        )
    }
}
