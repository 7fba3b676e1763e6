//! The Payouts resource (the `Payouts` tag): payouts settle payments to the
//! partner; each lists the payments in it.

use alternative_payments_raw as raw;
use raw::operations::payouts as op;

use super::{Filters, List, Request, valid_id};
use crate::client::Client;
use crate::types::{Payment, Payout, PayoutId};

impl Client {
    /// Payouts: `client.payouts()`.
    pub fn payouts(&self) -> Payouts<'_> {
        Payouts { client: self }
    }
}

/// Payouts: `client.payouts()`.
#[derive(Clone, Copy, Debug)]
pub struct Payouts<'a> {
    client: &'a Client,
}

/// `client.payouts().list()`: its filters (`status`, `customer_id`,
/// `invoice_id`, `start_date`, `end_date`) are generated from the spec.
pub type ListPayouts<'a> = List<'a, Filters<op::ListPayouts>>;

impl<'a> Payouts<'a> {
    /// Lists payouts with the filters set on the returned builder.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut payouts = client.payouts().list().start_date("2026-11-01").end_date("2026-11-30").stream();
    /// while let Some(payout) = payouts.try_next().await? {
    ///     println!("{} {:?} {:?}", payout.id(), payout.status(), payout.total());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListPayouts<'a> {
        List::new(self.client, Filters::<op::ListPayouts>::default())
    }

    /// Gets a payout by id.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let payout = client.payouts().get("po_000001").send().await?;
    /// println!("{:?} arriving {:?}", payout.total(), payout.arrival_date());
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: impl Into<PayoutId>) -> Request<'a, Payout> {
        let id = valid_id("payout id", id.into());
        Request::new::<op::GetPayout, _>(self.client, id, |raw, id| raw.get_payout().id(id))
    }

    /// The payments a payout settled, all of them: the operation takes no
    /// cursor, so one answer holds them (`GET /payouts/{id}/transactions`).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// for payment in client.payouts().payments("po_000001").send().await? {
    ///     println!("{} {:?}", payment.id(), payment.total());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn payments(&self, id: impl Into<PayoutId>) -> Request<'a, Vec<Payment>> {
        let id = valid_id("payout id", id.into());
        Request::mapped::<op::ListPayoutTransactions, _>(
            self.client,
            id,
            |raw, id| raw.list_payout_transactions().id(id),
            |page| page.data,
        )
    }
}
