//! The PaymentMethods resource (the `PaymentMethods` tag): what can be done
//! to one of a customer's stored payment methods, on the handle the
//! Customers resource gives: `client.customers().payment_methods(id)`.

use std::fmt;

use alternative_payments_raw as raw;
use raw::operations::payment_methods as op;

use super::{PaymentMethods, Request, model, valid_id};
use crate::types::{
    CardCvv, CardCvvResult, CardFeesRequest, DefaultPaymentMethodChange, PaymentMethodDeletion,
    PaymentMethodId,
};

impl<'a> PaymentMethods<'a> {
    /// The customer id and a method id, both checked before sending.
    fn ids(
        &self,
        method: impl Into<PaymentMethodId>,
    ) -> crate::Result<(crate::types::CustomerId, PaymentMethodId)> {
        Ok((
            valid_id("customer id", self.customer_id.clone())?,
            valid_id("payment method id", method.into())?,
        ))
    }

    /// Checks a card's CVV (`cvv_secret`, a [`Secret`](crate::types::Secret)
    /// never shown in `Debug`). Never retried unless the request provably
    /// did not reach the server.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::types::CardCvv;
    ///
    /// let check = CardCvv::builder().cvv_secret("encrypted-cvv-from-the-form");
    /// let result = client.customers().payment_methods("cus_000001").verify_cvv("pm_000002", check).send().await?;
    /// println!("{:?}", result.success());
    /// # Ok(()) }
    /// ```
    pub fn verify_cvv<B>(
        &self,
        card: impl Into<PaymentMethodId>,
        cvv: B,
    ) -> Request<'a, CardCvvResult>
    where
        B: TryInto<CardCvv>,
        B::Error: fmt::Display,
    {
        let args = self
            .ids(card)
            .and_then(|ids| Ok((ids, model("card CVV", cvv)?)));
        Request::new::<op::VerifyCardCvv, _>(self.client, args, |raw, ((id, card), body)| {
            raw.verify_card_cvv()
                .id(id)
                .card_id(card.as_str())
                .body(body)
        })
    }

    /// What paying `amount` by this card would cost in fees. The provider's
    /// page documents no answer: it is the JSON the API sent.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::Decimal;
    /// use alternative_payments::types::CardFeesRequest;
    ///
    /// let request = CardFeesRequest::builder().amount(Decimal::new(10000, 2)).currency("USD");
    /// let fees = client.customers().payment_methods("cus_000001").card_fees("pm_000002", request).send().await?;
    /// println!("{fees}");
    /// # Ok(()) }
    /// ```
    pub fn card_fees<B>(
        &self,
        card: impl Into<PaymentMethodId>,
        request: B,
    ) -> Request<'a, serde_json::Value>
    where
        B: TryInto<CardFeesRequest>,
        B::Error: fmt::Display,
    {
        let args = self
            .ids(card)
            .and_then(|ids| Ok((ids, model("card fees request", request)?)));
        Request::new::<op::CalculateCardPaymentFees, _>(
            self.client,
            args,
            |raw, ((id, card), body)| {
                raw.calculate_card_payment_fees()
                    .id(id)
                    .card_id(card.as_str())
                    .body(body)
            },
        )
    }

    /// Deletes a payment method.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// client.customers().payment_methods("cus_000001").delete("pm_000003").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, method: impl Into<PaymentMethodId>) -> Request<'a, PaymentMethodDeletion> {
        let args = self.ids(method);
        Request::new::<op::DeletePaymentMethod, _>(self.client, args, |raw, (id, method)| {
            raw.delete_payment_method().id(id).method_id(method)
        })
    }

    /// Makes a payment method the customer's default.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// client.customers().payment_methods("cus_000001").make_default("pm_000003").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn make_default(
        &self,
        method: impl Into<PaymentMethodId>,
    ) -> Request<'a, DefaultPaymentMethodChange> {
        let args = self.ids(method);
        Request::new::<op::ChangeDefaultPaymentMethod, _>(self.client, args, |raw, (id, method)| {
            raw.change_default_payment_method().id(id).method_id(method)
        })
    }
}
