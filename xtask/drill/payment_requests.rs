// The drill (`xtask/src/tests.rs`) appends this to a scratch copy of the
// SDK's `resources.rs` after importing `payment-requests-openapi.md`: the
// wrappers a person writes for that page, checked to compile, with the
// `status` filter (an enum query parameter) taken as an open enum value.

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
    pub fn get(&self, id: impl Into<String>) -> Request<'a, raw::types::PaymentRequest> {
        let id = non_empty("payment request id", id.into());
        Request::new(
            self.client,
            Operation::GetPaymentRequest,
            id,
            |raw, id| async move { raw.get_payment_request().id(id).send().await },
        )
    }

    /// Lists payment requests.
    pub fn list(&self) -> List<'a, PaymentRequestQuery> {
        List::new(self.client, PaymentRequestQuery::default())
    }
}

/// Filters of `client.payment_requests().list()`.
#[derive(Clone, Debug, Default)]
pub struct PaymentRequestQuery {
    status: Option<raw::types::ListPaymentRequestsStatus>,
}

impl List<'_, PaymentRequestQuery> {
    /// Only payment requests in this status: a known one
    /// (`ListPaymentRequestsStatus::Paid`) or any string (`"refunded"`).
    pub fn status(mut self, status: impl Into<raw::types::ListPaymentRequestsStatus>) -> Self {
        self.query.status = Some(status.into());
        self
    }
}

impl ListQuery for PaymentRequestQuery {}

raw_page!(raw::types::PaginatedResponsePaymentRequest => raw::types::PaymentRequest);

#[allow(private_interfaces)]
impl sealed::Query for PaymentRequestQuery {
    type Item = raw::types::PaymentRequest;

    fn source(
        &self,
        client: &Client,
        limit: Option<u32>,
        options: RequestOptions,
    ) -> Result<Arc<dyn PageSource<raw::types::PaymentRequest>>> {
        let status = self.status.clone();
        let fetch: FetchPage<raw::types::PaginatedResponsePaymentRequest, ()> =
            Box::new(move |raw, cursor| {
                let status = status.clone();
                Box::pin(async move {
                    let mut request = raw.list_payment_requests();
                    if let Some(limit) = limit {
                        request = request.limit(i64::from(limit));
                    }
                    if let Some(status) = status {
                        request = request.status(status);
                    }
                    request = match cursor {
                        Cursor::First => request,
                        Cursor::After(c) => request.after(c),
                        Cursor::Before(c) => request.before(c),
                    };
                    request.send().await
                })
            });
        Ok(list_source(
            client,
            Operation::ListPaymentRequests,
            options,
            fetch,
        ))
    }
}

/// Compiles only if an enum filter takes a known value and any string.
#[allow(dead_code)]
fn status_filters_take_known_and_unknown_values(client: &Client) {
    let _ = client
        .payment_requests()
        .list()
        .status(raw::types::ListPaymentRequestsStatus::Paid);
    let _ = client.payment_requests().list().status("refunded");
}
