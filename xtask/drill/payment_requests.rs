//! The Payment Requests resource, as a person writes it after importing
//! `payment-requests-openapi.md`: the drill (`xtask/src/tests.rs`) puts this
//! file at `crates/alternative-payments/src/resources/payment_requests.rs`
//! of a scratch copy, adds its `mod` line, and checks that it compiles. The
//! `status` filter (an enum query parameter) is taken as an open enum value.

use std::sync::Arc;

use alternative_payments_raw as raw;
use raw::operations::payment_requests as op;
use raw::types::{ListPaymentRequestsStatus, PaymentRequest, PaymentRequestId};

use super::{List, ListQuery, Request, list_source, sealed, valid_id};
use crate::client::{Client, RequestOptions};
use crate::error::Result;
use crate::pagination::{PageSource, RawPage};

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

    /// Lists payment requests.
    pub fn list(&self) -> List<'a, PaymentRequestQuery> {
        List::new(self.client, PaymentRequestQuery::default())
    }
}

/// Filters of `client.payment_requests().list()`.
#[derive(Clone, Debug, Default)]
pub struct PaymentRequestQuery {
    status: Option<ListPaymentRequestsStatus>,
}

impl List<'_, PaymentRequestQuery> {
    /// Only payment requests in this status: a known one
    /// (`ListPaymentRequestsStatus::Paid`) or any string (`"refunded"`).
    pub fn status(mut self, status: impl Into<ListPaymentRequestsStatus>) -> Self {
        self.query.status = Some(status.into());
        self
    }
}

impl ListQuery for PaymentRequestQuery {}

impl From<raw::types::PaginatedResponsePaymentRequest> for RawPage<PaymentRequest> {
    fn from(p: raw::types::PaginatedResponsePaymentRequest) -> Self {
        RawPage {
            items: p.data,
            has_next_page: p.has_next_page,
            has_previous_page: p.has_previous_page,
            start_cursor: p.start_cursor,
            end_cursor: p.end_cursor,
        }
    }
}

#[allow(private_interfaces)]
impl sealed::Query for PaymentRequestQuery {
    type Item = PaymentRequest;

    fn source(
        &self,
        client: &Client,
        limit: Option<u32>,
        options: RequestOptions,
    ) -> Result<Arc<dyn PageSource<PaymentRequest>>> {
        let status = self.status.clone();
        Ok(list_source::<op::ListPaymentRequests, _, _>(
            client,
            options,
            limit,
            status,
            |raw, status| {
                let request = raw.list_payment_requests();
                match status {
                    Some(status) => request.status(status),
                    None => request,
                }
            },
        ))
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
