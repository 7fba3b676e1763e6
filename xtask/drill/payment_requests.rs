//! The Payment Requests resource, as a person writes it after importing
//! `payment-requests-openapi.md`: the drill (`xtask/src/tests.rs`) puts this
//! file at `crates/alternative-payments/src/resources/payment_requests.rs`
//! of a scratch copy, adds its `mod` line, and checks that it compiles. The
//! list's `status` filter (an enum query parameter) is generated
//! (`resources/filters.rs`) and takes an open enum value.

use alternative_payments_raw as raw;
use raw::operations::payment_requests as op;
use raw::types::{ListPaymentRequestsStatus, PaymentRequest, PaymentRequestId};

use super::{Filters, List, Request, valid_id};
use crate::client::Client;

impl Client {
    /// Payment requests: `client.payment_requests()`.
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
    /// Gets a payment request by id, to poll its status.
    pub fn get(&self, id: impl Into<PaymentRequestId>) -> Request<'a, PaymentRequest> {
        let id = valid_id("payment request id", id.into());
        Request::new::<op::GetPaymentRequest, _>(self.client, id, |raw, id| {
            raw.get_payment_request().id(id)
        })
    }

    /// Lists payment requests; its filters are generated from the spec.
    pub fn list(&self) -> List<'a, Filters<op::ListPaymentRequests>> {
        List::new(self.client, Filters::<op::ListPaymentRequests>::default())
    }
}

/// Compiles only if an enum filter takes a known value and any string.
#[allow(dead_code)]
fn status_filters_take_known_and_unknown_values(client: &Client) {
    let _ = client
        .payment_requests()
        .list()
        .status(ListPaymentRequestsStatus::Paid);
    let _ = client.payment_requests().list().status("refunded");
}
