//! The API's resources as handles that borrow the client:
//! `client.customers().get("cus_1").send().await?`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use alternative_payments_raw as raw;
use futures::Future;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use raw::operations::Operation;
use raw::types::HttpError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::{Client, ErrorBody};
use crate::error::{Error, Result};
use crate::pagination::{self, Cursor, Page, PageSource, RawPage};
use crate::retry::RetryPolicy;
use crate::transport::RequestOptions;
use crate::types::{
    Customer, CustomerUpdate, CustomerUser, NewCustomer, NewCustomerUser, PaymentMethod,
};

type RawResult<R, E = HttpError> = std::result::Result<raw::ResponseValue<R>, raw::Error<E>>;

/// One API request, ready to send; per-request settings can be changed first.
#[must_use = "nothing is sent until .send() is awaited"]
pub struct Request<'a, T> {
    client: &'a Client,
    operation: Operation,
    options: RequestOptions,
    send: std::result::Result<SendFn<'a, T>, Error>,
}

/// Runs a request's generated call and turns its response into `T`.
type SendFn<'a, T> =
    Box<dyn FnOnce(&'a Client, RequestOptions) -> BoxFuture<'a, Result<T>> + Send + 'a>;

impl<T> fmt::Debug for Request<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation.method_name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Send + 'a> Request<'a, T> {
    /// The one helper behind every wrapper method: `operation` is what the
    /// transport's policy (retry class) and errors go by, `args` are the
    /// checked arguments (an `Err` fails `send` before anything is sent),
    /// `call` runs the generated method, `map` shapes its reply.
    fn mapped<A, R, E, Fut>(
        client: &'a Client,
        operation: Operation,
        args: Result<A>,
        call: impl Fn(Arc<raw::Client>, A) -> Fut + Send + 'a,
        map: fn(R) -> T,
    ) -> Self
    where
        A: Clone + Send + 'a,
        R: serde::de::DeserializeOwned + Send + 'a,
        E: ErrorBody + Send + 'a,
        Fut: Future<Output = RawResult<R, E>> + Send + 'a,
    {
        let send = args.map(|args| -> SendFn<'a, T> {
            Box::new(move |client, options| {
                Box::pin(async move {
                    let reply = client
                        .call(operation, &options, move |raw| call(raw, args.clone()))
                        .await?;
                    Ok(map(reply))
                })
            })
        });
        Self {
            client,
            operation,
            options: RequestOptions::default(),
            send,
        }
    }

    /// Time allowed for each attempt of this request (`None`: no limit).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.timeout = Some(timeout.into());
        self
    }

    /// Retry policy for this request.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// The longest this request may take, waits and retries included
    /// (`None`: no deadline); see [`ClientBuilder::deadline`](crate::ClientBuilder::deadline).
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.options.deadline = Some(deadline.into());
        self
    }

    /// Sends the request (retrying as the policy allows).
    pub async fn send(self) -> Result<T> {
        let send = self.send?;
        send(self.client, self.options).await
    }
}

impl<'a, T: serde::de::DeserializeOwned + Send + 'a> Request<'a, T> {
    /// [`Request::mapped`] for a reply handed over as it is.
    fn new<A, E, Fut>(
        client: &'a Client,
        operation: Operation,
        args: Result<A>,
        call: impl Fn(Arc<raw::Client>, A) -> Fut + Send + 'a,
    ) -> Self
    where
        A: Clone + Send + 'a,
        E: ErrorBody + Send + 'a,
        Fut: Future<Output = RawResult<T, E>> + Send + 'a,
    {
        Self::mapped(client, operation, args, call, std::convert::identity)
    }
}

/// A model from what the caller passed: the model itself, or its builder
/// (`NewCustomer::builder().name(..)`), whose missing required fields are an
/// `InvalidArgument` naming them.
fn model<T, B>(what: &str, value: B) -> Result<T>
where
    B: TryInto<T>,
    B::Error: fmt::Display,
{
    value
        .try_into()
        .map_err(|e| Error::InvalidArgument(format!("{what}: {e}")))
}

fn non_empty(what: &str, id: String) -> Result<String> {
    if id.is_empty() {
        Err(Error::InvalidArgument(format!("{what} is empty")))
    } else {
        Ok(id)
    }
}

/// Customers: `client.customers()`.
#[derive(Clone, Copy, Debug)]
pub struct Customers<'a> {
    client: &'a Client,
}

impl<'a> Customers<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Lists customers with the filters set on the returned builder, page
    /// by page or as a stream.
    pub fn list(&self) -> ListCustomers<'a> {
        List::new(self.client, CustomerQuery::default())
    }

    /// Creates a customer. Never retried unless the request provably did not
    /// reach the server, so it cannot create two.
    ///
    /// `customer` is a [`NewCustomer`] or its builder:
    /// `NewCustomer::builder().name("Acme".to_string())`.
    pub fn create<B>(&self, customer: B) -> Request<'a, Customer>
    where
        B: TryInto<NewCustomer>,
        B::Error: fmt::Display,
    {
        Request::new(
            self.client,
            Operation::CreateCustomer,
            model("new customer", customer),
            |raw, body| async move { raw.create_customer().body(body).send().await },
        )
    }

    /// Gets a customer by id (archived ones too).
    pub fn get(&self, id: impl Into<String>) -> Request<'a, Customer> {
        let id = non_empty("customer id", id.into());
        Request::new(
            self.client,
            Operation::GetCustomer,
            id,
            |raw, id| async move { raw.get_customer().id(id).send().await },
        )
    }

    /// Changes the fields set in `update` (PATCH); others are kept.
    /// `update` is a [`CustomerUpdate`] or its builder.
    pub fn update<B>(&self, id: impl Into<String>, update: B) -> Request<'a, Customer>
    where
        B: TryInto<CustomerUpdate>,
        B::Error: fmt::Display,
    {
        let args = non_empty("customer id", id.into())
            .and_then(|id| Ok((id, model("customer update", update)?)));
        Request::new(
            self.client,
            Operation::UpdateCustomer,
            args,
            |raw, (id, body)| async move { raw.update_customer().id(id).body(body).send().await },
        )
    }

    /// Archives a customer: it leaves the list, and can be restored.
    pub fn archive(&self, id: impl Into<String>) -> Request<'a, Customer> {
        let id = non_empty("customer id", id.into());
        Request::new(
            self.client,
            Operation::ArchiveCustomer,
            id,
            |raw, id| async move { raw.archive_customer().id(id).send().await },
        )
    }

    /// Restores an archived customer.
    pub fn restore(&self, id: impl Into<String>) -> Request<'a, Customer> {
        let id = non_empty("customer id", id.into());
        Request::new(
            self.client,
            Operation::RestoreCustomer,
            id,
            |raw, id| async move { raw.restore_customer().id(id).send().await },
        )
    }

    /// A customer's payment methods.
    pub fn payment_methods(&self, customer_id: impl Into<String>) -> PaymentMethods<'a> {
        PaymentMethods {
            client: self.client,
            customer_id: customer_id.into(),
        }
    }

    /// A customer's users.
    pub fn users(&self, customer_id: impl Into<String>) -> Users<'a> {
        Users {
            client: self.client,
            customer_id: customer_id.into(),
        }
    }
}

/// A customer's payment methods: `client.customers().payment_methods(id)`.
#[derive(Clone, Debug)]
pub struct PaymentMethods<'a> {
    client: &'a Client,
    customer_id: String,
}

impl<'a> PaymentMethods<'a> {
    /// All payment methods of the customer (the API does not paginate them).
    pub fn list(&self) -> Request<'a, Vec<PaymentMethod>> {
        let id = non_empty("customer id", self.customer_id.clone());
        let call = |raw: Arc<raw::Client>, id| async move {
            raw.list_payment_methods().id(id).send().await
        };
        Request::mapped(
            self.client,
            Operation::ListPaymentMethods,
            id,
            call,
            |reply| reply.data,
        )
    }

    /// One payment method of the customer.
    pub fn get(&self, method_id: impl Into<String>) -> Request<'a, PaymentMethod> {
        let ids = non_empty("customer id", self.customer_id.clone())
            .and_then(|id| Ok((id, non_empty("payment method id", method_id.into())?)));
        Request::new(
            self.client,
            Operation::GetPaymentMethod,
            ids,
            |raw, (id, method_id)| async move {
                raw.get_payment_method()
                    .id(id)
                    .method_id(method_id)
                    .send()
                    .await
            },
        )
    }
}

/// A customer's users: `client.customers().users(id)`.
#[derive(Clone, Debug)]
pub struct Users<'a> {
    client: &'a Client,
    customer_id: String,
}

impl<'a> Users<'a> {
    /// Lists the customer's users.
    pub fn list(&self) -> ListUsers<'a> {
        List::new(
            self.client,
            UserQuery {
                customer_id: self.customer_id.clone(),
            },
        )
    }

    /// Creates a user. Never retried unless the request provably did not
    /// reach the server, so it cannot create two.
    ///
    /// `user` is a [`NewCustomerUser`] or its builder.
    pub fn create<B>(&self, user: B) -> Request<'a, CustomerUser>
    where
        B: TryInto<NewCustomerUser>,
        B::Error: fmt::Display,
    {
        let args = non_empty("customer id", self.customer_id.clone())
            .and_then(|id| Ok((id, model("new user", user)?)));
        Request::new(
            self.client,
            Operation::CreateCustomerUser,
            args,
            |raw, (id, body)| async move { raw.create_customer_user().id(id).body(body).send().await },
        )
    }
}

macro_rules! raw_page {
    ($raw:ty => $item:ty) => {
        impl From<$raw> for RawPage<$item> {
            fn from(p: $raw) -> Self {
                RawPage {
                    items: p.data,
                    has_next_page: p.has_next_page,
                    has_previous_page: p.has_previous_page,
                    start_cursor: p.start_cursor,
                    end_cursor: p.end_cursor,
                }
            }
        }
    };
}
raw_page!(raw::types::PaginatedResponseCustomerReply => Customer);
raw_page!(raw::types::PaginatedResponseCustomerUser => CustomerUser);

type FetchPage<R, E> =
    Box<dyn Fn(Arc<raw::Client>, Cursor) -> BoxFuture<'static, RawResult<R, E>> + Send + Sync>;

/// A list operation with its filters fixed: fetches any page of it.
struct ListSource<T, R, E> {
    client: Client,
    operation: Operation,
    options: RequestOptions,
    fetch: FetchPage<R, E>,
    item: PhantomData<fn() -> T>,
}

impl<T, R, E> PageSource<T> for ListSource<T, R, E>
where
    T: Send + 'static,
    R: Into<RawPage<T>> + serde::de::DeserializeOwned + Send + 'static,
    E: ErrorBody + Send + 'static,
{
    fn operation(&self) -> &'static str {
        self.operation.method_name()
    }

    fn fetch(self: Arc<Self>, cursor: Cursor) -> BoxFuture<'static, Result<Page<T>>> {
        Box::pin(async move {
            let raw = self
                .client
                .call(self.operation, &self.options, |client| {
                    (self.fetch)(client, cursor.clone())
                })
                .await?;
            let page: RawPage<T> = raw.into();
            Ok(page.into_page(self))
        })
    }
}

/// What makes one list different from another: its filters, and how they
/// become pages. Implemented by [`CustomerQuery`] and [`UserQuery`] only.
pub trait ListQuery: sealed::Query {}

mod sealed {
    use super::*;

    // Sealed: nobody outside can name this trait, so its crate-private
    // types never become part of the public API.
    #[allow(private_interfaces)]
    pub trait Query: Clone + fmt::Debug {
        type Item: Send + 'static;

        fn source(
            &self,
            client: &Client,
            limit: Option<u32>,
            options: RequestOptions,
        ) -> Result<Arc<dyn PageSource<Self::Item>>>;
    }
}

impl ListQuery for CustomerQuery {}
impl ListQuery for UserQuery {}

/// A list request: filters (on [`ListCustomers`]), page size, then
/// [`send`](List::send) for one page, [`stream`](List::stream) for every
/// item or [`pages`](List::pages) for every page.
#[derive(Clone, Debug)]
#[must_use = "nothing is sent until .send(), .stream() or .pages() is used"]
pub struct List<'a, Q> {
    client: &'a Client,
    query: Q,
    limit: Option<u32>,
    options: RequestOptions,
    max_items: Option<usize>,
    start: Cursor,
}

/// `client.customers().list()`.
pub type ListCustomers<'a> = List<'a, CustomerQuery>;
/// `client.customers().users(id).list()`.
pub type ListUsers<'a> = List<'a, UserQuery>;

impl<'a, Q: ListQuery> List<'a, Q> {
    fn new(client: &'a Client, query: Q) -> Self {
        Self {
            client,
            query,
            limit: None,
            options: RequestOptions::default(),
            max_items: None,
            start: Cursor::First,
        }
    }

    /// Start after this cursor (a page's `end_cursor`) instead of at the
    /// first page: to resume an export where it stopped, with the cursor of
    /// [`Error::resume_cursor`].
    ///
    /// ```no_run
    /// # use alternative_payments::{Cursor, Error};
    /// # use futures::TryStreamExt;
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let mut list = client.customers().list();
    /// loop {
    ///     let mut stream = list.clone().stream();
    ///     match stream.try_for_each(|c| async move { println!("{:?}", c.id); Ok(()) }).await {
    ///         Ok(()) => break,
    ///         Err(e) => match e.resume_cursor() {
    ///             Some(Cursor::After(cursor)) => list = client.customers().list().after(cursor.clone()),
    ///             _ => return Err(e),
    ///         },
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.start = Cursor::After(cursor.into());
        self
    }

    /// Start before this cursor (a page's `start_cursor`): the page that
    /// precedes it, then onwards from there.
    pub fn before(mut self, cursor: impl Into<String>) -> Self {
        self.start = Cursor::Before(cursor.into());
        self
    }

    /// Items per page (at least 1; the server's default is 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Stop [`stream`](Self::stream) and [`pages`](Self::pages) after this
    /// many items.
    pub fn max_items(mut self, max: usize) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Time allowed for each attempt of each page request.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.timeout = Some(timeout.into());
        self
    }

    /// Retry policy for each page request.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// The longest each page request may take, waits and retries included.
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.options.deadline = Some(deadline.into());
        self
    }

    fn source(self) -> Result<Arc<dyn PageSource<Q::Item>>> {
        if self.limit == Some(0) {
            return Err(Error::InvalidArgument(
                "limit (page size) must be at least 1".into(),
            ));
        }
        self.query.source(self.client, self.limit, self.options)
    }

    /// The first page (or the one at [`after`](Self::after) /
    /// [`before`](Self::before)).
    pub async fn send(self) -> Result<Page<Q::Item>> {
        let start = self.start.clone();
        self.source()?.fetch(start).await
    }

    /// Every item across all pages, fetching one page ahead while the
    /// current one is consumed. Ends after the first error.
    pub fn stream(self) -> BoxStream<'static, Result<Q::Item>> {
        let (max, start) = (self.max_items, self.start.clone());
        match self.source() {
            Ok(source) => pagination::items(source, max, start),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    /// Every page, fetching one page ahead. Ends after the first error.
    pub fn pages(self) -> BoxStream<'static, Result<Page<Q::Item>>> {
        let (max, start) = (self.max_items, self.start.clone());
        match self.source() {
            Ok(source) => pagination::pages(source, max, start),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }
}

fn list_source<T, R, E>(
    client: &Client,
    operation: Operation,
    options: RequestOptions,
    fetch: FetchPage<R, E>,
) -> Arc<dyn PageSource<T>>
where
    T: Send + 'static,
    R: Into<RawPage<T>> + serde::de::DeserializeOwned + Send + 'static,
    E: ErrorBody + Send + 'static,
{
    Arc::new(ListSource {
        client: client.clone(),
        operation,
        options,
        fetch,
        item: PhantomData,
    })
}

/// Filters of [`ListCustomers`].
#[derive(Clone, Debug, Default)]
pub struct CustomerQuery {
    company_name: Option<String>,
    created_after: Option<OffsetDateTime>,
    created_before: Option<OffsetDateTime>,
}

impl ListCustomers<'_> {
    /// Only customers whose name contains `name`, ignoring case
    /// (`company_name`). The provider documents only "Filter by customer
    /// name"; this is how the mock matches, and what this example checks
    /// against it:
    ///
    /// ```
    /// # use alternative_payments::{Client, Credentials};
    /// # use alternative_payments_mock::MockServer;
    /// # use futures::TryStreamExt;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = MockServer::start().await?;
    /// # for name in ["Acme Corporation", "ACME Ltd", "Big Co"] {
    /// #     mock.create_customer(serde_json::json!({ "name": name }));
    /// # }
    /// # let client = Client::builder()
    /// #     .credentials(Credentials::client_credentials(mock.client_id(), mock.client_secret()))
    /// #     .base_url(mock.base_url())
    /// #     .build()?;
    /// let found: Vec<_> = client.customers().list().company_name("acme").stream().try_collect().await?;
    /// let names: Vec<_> = found.iter().filter_map(|c| c.name.as_deref()).collect();
    /// assert_eq!(names, ["Acme Corporation", "ACME Ltd"]);
    /// # Ok(()) }
    /// ```
    pub fn company_name(mut self, name: impl Into<String>) -> Self {
        self.query.company_name = Some(name.into());
        self
    }

    /// Only customers created at or after this time (`created_at_start`).
    pub fn created_after(mut self, time: OffsetDateTime) -> Self {
        self.query.created_after = Some(time);
        self
    }

    /// Only customers created at or before this time (`created_at_end`).
    pub fn created_before(mut self, time: OffsetDateTime) -> Self {
        self.query.created_before = Some(time);
        self
    }
}

#[allow(private_interfaces)]
impl sealed::Query for CustomerQuery {
    type Item = Customer;

    fn source(
        &self,
        client: &Client,
        limit: Option<u32>,
        options: RequestOptions,
    ) -> Result<Arc<dyn PageSource<Customer>>> {
        let format = |name: &str, t: Option<OffsetDateTime>| {
            t.map(|t| t.format(&Rfc3339)).transpose().map_err(|e| {
                Error::InvalidArgument(format!("{name} cannot be written as RFC 3339: {e}"))
            })
        };
        let start = format("created_after", self.created_after)?;
        let end = format("created_before", self.created_before)?;
        let company_name = self.company_name.clone();
        let fetch: FetchPage<raw::types::PaginatedResponseCustomerReply, ()> =
            Box::new(move |raw, cursor| {
                let (start, end, company_name) = (start.clone(), end.clone(), company_name.clone());
                Box::pin(async move {
                    let mut request = raw.list_customers();
                    if let Some(limit) = limit {
                        request = request.limit(i64::from(limit));
                    }
                    if let Some(start) = start {
                        request = request.created_at_start(start);
                    }
                    if let Some(end) = end {
                        request = request.created_at_end(end);
                    }
                    if let Some(name) = company_name {
                        request = request.company_name(name);
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
            Operation::ListCustomers,
            options,
            fetch,
        ))
    }
}

/// The customer whose users [`ListUsers`] lists.
#[derive(Clone, Debug)]
pub struct UserQuery {
    customer_id: String,
}

#[allow(private_interfaces)]
impl sealed::Query for UserQuery {
    type Item = CustomerUser;

    fn source(
        &self,
        client: &Client,
        limit: Option<u32>,
        options: RequestOptions,
    ) -> Result<Arc<dyn PageSource<CustomerUser>>> {
        let id = non_empty("customer id", self.customer_id.clone())?;
        let fetch: FetchPage<raw::types::PaginatedResponseCustomerUser, ()> =
            Box::new(move |raw, cursor| {
                let id = id.clone();
                Box::pin(async move {
                    let mut request = raw.list_customer_users().id(id);
                    if let Some(limit) = limit {
                        request = request.limit(i64::from(limit));
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
            Operation::ListCustomerUsers,
            options,
            fetch,
        ))
    }
}
