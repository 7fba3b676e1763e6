//! The API's resources as handles that borrow the client:
//! `client.customers().get("cus_1").send().await?`.
//!
//! One file per resource (the tag its docs page gives its operations)
//! holds that resource's handles, request and list builders and its
//! accessor on [`Client`]: `customers.rs`. This module is the generic core
//! they share: [`Request`] and [`List`], bound to a generated builder by
//! the operation's marker type (`raw::operations::customers::GetCustomer`),
//! so a wrapper cannot name one operation and call another.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use alternative_payments_raw as raw;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use raw::operations::{Endpoint, Operation, Paginated};
use serde::de::DeserializeOwned;

use crate::client::{Client, ErrorBody, RequestOptions};
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::pagination::{self, Page, PageSource, RawPage};
use crate::response::Response;
use crate::retry::RetryPolicy;

// Each resource behind its cargo feature (all on by default).
#[cfg(feature = "customers")]
mod customers;

mod filters;

#[cfg(feature = "customers")]
pub use customers::{Customers, Find, ListCustomers, ListUsers, PaymentMethods, Users};

/// How a wrapper builds its request: the generated method of operation `E`
/// with the checked arguments `A` set (`|raw, id| raw.get_customer().id(id)`).
/// Runs again for each attempt. The result must be `E`'s builder, so a
/// wrapper that names one operation and calls another's method does not
/// compile.
type Configure<E, A> = for<'b> fn(&'b raw::Client, A) -> <E as Endpoint>::Builder<'b>;

/// One API request, ready to send; per-request settings can be changed first.
#[must_use = "nothing is sent until .send() is awaited"]
pub struct Request<'a, T> {
    client: &'a Client,
    operation: Operation,
    options: RequestOptions,
    send: std::result::Result<SendFn<'a, T>, Error>,
}

/// Runs a request's generated call and turns its response into `T`
/// (keeping the response's headers when asked).
type SendFn<'a, T> = Box<
    dyn FnOnce(&'a Client, RequestOptions, bool) -> BoxFuture<'a, Result<Response<T>>> + Send + 'a,
>;

impl<T> fmt::Debug for Request<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation.method_name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Send + 'a> Request<'a, T> {
    /// The one helper behind every wrapper method: `E` is the operation's
    /// marker (its table row, hence its retry class, and its generated
    /// builder), `args` are the checked arguments (an `Err` fails `send`
    /// before anything is sent), `configure` puts them on the builder, `map`
    /// shapes its reply.
    fn mapped<E, A>(
        client: &'a Client,
        args: Result<A>,
        configure: Configure<E, A>,
        map: fn(E::Output) -> T,
    ) -> Self
    where
        E: Endpoint,
        E::Output: DeserializeOwned + Send + 'a,
        E::ErrorBody: ErrorBody + Send + 'a,
        A: Clone + Send + Sync + 'a,
    {
        let send = args.map(|args| -> SendFn<'a, T> {
            Box::new(move |client, options, keep_headers| {
                Box::pin(async move {
                    let reply = client
                        .call_with_response(E::OPERATION, &options, keep_headers, move |raw| {
                            let args = args.clone();
                            async move { E::send(configure(&raw, args)).await }
                        })
                        .await?;
                    Ok(reply.map(map))
                })
            })
        });
        Self {
            client,
            operation: E::OPERATION,
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
        send(self.client, self.options, false)
            .await
            .map(Response::into_body)
    }

    /// Sends the request like [`send`](Self::send), and returns the body
    /// with the status, headers and request id of the response.
    pub async fn send_with_response(self) -> Result<Response<T>> {
        let send = self.send?;
        send(self.client, self.options, true).await
    }
}

impl<'a, T: DeserializeOwned + Send + 'a> Request<'a, T> {
    /// [`Request::mapped`] for a reply handed over as it is.
    fn new<E, A>(client: &'a Client, args: Result<A>, configure: Configure<E, A>) -> Self
    where
        E: Endpoint<Output = T>,
        E::ErrorBody: ErrorBody + Send + 'a,
        A: Clone + Send + Sync + 'a,
    {
        Self::mapped::<E, A>(client, args, configure, std::convert::identity)
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

/// An id argument, refused before anything is sent when it is empty or
/// holds a `/` or a control character: no id the API hands out does, and
/// such text is a bug upstream (a whole row pasted, a path, a newline from a
/// file) that percent-encoding would only hide.
fn valid_id<I: AsRef<str>>(what: &str, id: I) -> Result<I> {
    let text = id.as_ref();
    if text.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} is empty")));
    }
    if let Some(c) = text.chars().find(|c| *c == '/' || c.is_control()) {
        let shown: String = text.chars().take(64).collect();
        return Err(Error::InvalidArgument(format!(
            "{what} {shown:?} holds {c:?}, which no id contains"
        )));
    }
    Ok(id)
}

/// A list operation with its filters fixed: fetches any page of it.
struct ListSource<E: Paginated, A, T> {
    client: Client,
    options: RequestOptions,
    limit: Option<u32>,
    args: A,
    configure: Configure<E, A>,
    item: PhantomData<fn() -> T>,
}

impl<E, A, T> PageSource<T> for ListSource<E, A, T>
where
    E: Paginated<Item = T>,
    E::Output: DeserializeOwned + Send + 'static,
    E::ErrorBody: ErrorBody + Send + 'static,
    A: Clone + Send + Sync + 'static,
    T: Send + 'static,
{
    fn operation(&self) -> &'static str {
        E::OPERATION.method_name()
    }

    fn fetch(self: Arc<Self>, cursor: Cursor) -> BoxFuture<'static, Result<Page<T>>> {
        Box::pin(async move {
            let reply = self
                .client
                .call(E::OPERATION, &self.options, |raw| {
                    let (args, cursor) = (self.args.clone(), cursor.clone());
                    let (limit, configure) = (self.limit, self.configure);
                    async move {
                        let mut builder = configure(&raw, args);
                        if let Some(limit) = limit {
                            builder = E::limit(builder, limit);
                        }
                        builder = match cursor {
                            Cursor::First => builder,
                            Cursor::After(c) => E::after(builder, c),
                            Cursor::Before(c) => E::before(builder, c),
                        };
                        E::send(builder).await
                    }
                })
                .await?;
            Ok(RawPage::from(E::page(reply)).into_page(self))
        })
    }
}

/// The pages of list operation `E` with its filters `args` (put on each
/// page's builder by `configure`), `limit` items each.
fn list_source<E, A, T>(
    client: &Client,
    options: RequestOptions,
    limit: Option<u32>,
    args: A,
    configure: Configure<E, A>,
) -> Arc<dyn PageSource<T>>
where
    E: Paginated<Item = T>,
    E::Output: DeserializeOwned + Send + 'static,
    E::ErrorBody: ErrorBody + Send + 'static,
    A: Clone + Send + Sync + 'static,
    T: Send + 'static,
{
    Arc::new(ListSource::<E, A, T> {
        client: client.clone(),
        options,
        limit,
        args,
        configure,
        item: PhantomData,
    })
}

/// What makes one list different from another: its filters, and how they
/// become pages. Implemented by [`Filters`].
pub trait ListQuery: sealed::Query {}

/// One setting of a list operation's generated builder (a filter, or the
/// path's id), put on the builder of every page's request. (It is given
/// the generated client too: a builder's lifetime must appear among the
/// arguments for the signature to hold for every lifetime.)
type SetFilter<E> = Arc<
    dyn for<'b> Fn(&'b raw::Client, <E as Endpoint>::Builder<'b>) -> <E as Endpoint>::Builder<'b>
        + Send
        + Sync,
>;

/// The filters of a list of operation `E` (its marker, e.g.
/// `raw::operations::invoices::ListInvoices`): settings of its generated
/// builder, put on every page's request. The list's setters (`.status(..)`)
/// are generated from the spec (`filters.rs`); a list of a new operation
/// needs no hand-written filter code.
pub struct Filters<E: Endpoint> {
    set: Vec<SetFilter<E>>,
    /// An argument checked when the list was made (an id) was refused:
    /// sending fails with this.
    refused: Option<String>,
}

impl<E: Endpoint> Clone for Filters<E> {
    fn clone(&self) -> Self {
        Self {
            set: self.set.clone(),
            refused: self.refused.clone(),
        }
    }
}

impl<E: Endpoint> Default for Filters<E> {
    fn default() -> Self {
        Self {
            set: Vec::new(),
            refused: None,
        }
    }
}

impl<E: Endpoint> fmt::Debug for Filters<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filters")
            .field("operation", &E::OPERATION.method_name())
            .field("set", &self.set.len())
            .finish()
    }
}

impl<E: Endpoint> Filters<E> {
    /// Filters whose every request sets `set` (a path id, say), or that
    /// fail with `refused`'s error when it is one.
    fn with(set: Result<SetFilter<E>>) -> Self {
        match set {
            Ok(set) => Self {
                set: vec![set],
                refused: None,
            },
            Err(error) => Self {
                set: Vec::new(),
                refused: Some(error.to_string()),
            },
        }
    }
}

impl<'a, E: Paginated> List<'a, Filters<E>>
where
    Filters<E>: ListQuery,
{
    /// Makes sending fail with `error` (an argument refused before anything
    /// was sent).
    fn refuse(mut self, error: Error) -> Self {
        self.query.refused = Some(error.to_string());
        self
    }

    /// Adds a setting of the generated builder to every page's request.
    fn filter(
        mut self,
        set: impl for<'b> Fn(&'b raw::Client, E::Builder<'b>) -> E::Builder<'b> + Send + Sync + 'static,
    ) -> Self {
        self.query.set.push(Arc::new(set));
        self
    }
}

impl<E> ListQuery for Filters<E>
where
    E: Paginated,
    E::Item: Send + 'static,
    E::Output: DeserializeOwned + Send + 'static,
    E::ErrorBody: ErrorBody + Send + 'static,
{
}

#[allow(private_interfaces)]
impl<E> sealed::Query for Filters<E>
where
    E: Paginated,
    E::Item: Send + 'static,
    E::Output: DeserializeOwned + Send + 'static,
    E::ErrorBody: ErrorBody + Send + 'static,
{
    type Item = E::Item;

    fn source(
        &self,
        client: &Client,
        limit: Option<u32>,
        options: RequestOptions,
    ) -> Result<Arc<dyn PageSource<E::Item>>> {
        if let Some(refused) = &self.refused {
            return Err(Error::InvalidArgument(refused.clone()));
        }
        Ok(list_source::<E, _, _>(
            client,
            options,
            limit,
            self.clone(),
            |raw, filters| {
                filters
                    .set
                    .iter()
                    .fold(E::builder(raw), |builder, set| set(raw, builder))
            },
        ))
    }
}

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
