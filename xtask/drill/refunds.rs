//! The Refunds resource, as a person writes it after importing
//! `refunds-openapi.md`: the drill (`xtask/src/tests.rs`) puts this
//! file at `crates/alternative-payments/src/resources/refunds.rs`
//! of a scratch copy, adds its `mod` line, and checks that it compiles. The
//! list's `status` filter (an enum query parameter) is generated
//! (`resources/filters.rs`) and takes an open enum value.

use alternative_payments_raw as raw;
use raw::operations::refunds as op;
use raw::types::{ListRefundsStatus, Refund, RefundId};

use super::{Filters, List, Request, valid_id};
use crate::client::Client;

impl Client {
    /// Refunds: `client.refunds()`.
    pub fn refunds(&self) -> Refunds<'_> {
        Refunds { client: self }
    }
}

/// Refunds: `client.refunds()`.
#[derive(Clone, Copy, Debug)]
pub struct Refunds<'a> {
    client: &'a Client,
}

impl<'a> Refunds<'a> {
    /// Gets a refund by id, to poll its status.
    pub fn get(&self, id: impl Into<RefundId>) -> Request<'a, Refund> {
        let id = valid_id("refund id", id.into());
        Request::new::<op::GetRefund, _>(self.client, id, |raw, id| {
            raw.get_refund().id(id)
        })
    }

    /// Lists refunds; its filters are generated from the spec.
    pub fn list(&self) -> List<'a, Filters<op::ListRefunds>> {
        List::new(self.client, Filters::<op::ListRefunds>::default())
    }
}

/// Compiles only if an enum filter takes a known value and any string.
#[allow(dead_code)]
fn status_filters_take_known_and_unknown_values(client: &Client) {
    let _ = client
        .refunds()
        .list()
        .status(ListRefundsStatus::Paid);
    let _ = client.refunds().list().status("refunded");
}
