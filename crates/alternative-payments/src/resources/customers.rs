//! The Customers resource (the `Customers` tag): customers, their payment
//! methods and their users.

use std::fmt;

use alternative_payments_raw as raw;
use futures::TryStreamExt;
use raw::operations::customers as op;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Filters, List, Request, SetFilter, model, valid_id};
use std::sync::Arc;

use crate::client::Client;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::pagination;
use crate::types::{
    Customer, CustomerId, CustomerUpdate, CustomerUser, NewCustomer, NewCustomerUser,
    PaymentMethod, PaymentMethodId,
};

impl Client {
    /// Customers, their payment methods and users.
    pub fn customers(&self) -> Customers<'_> {
        Customers { client: self }
    }
}

/// Customers: `client.customers()`.
#[derive(Clone, Copy, Debug)]
pub struct Customers<'a> {
    pub(super) client: &'a Client,
}

impl<'a> Customers<'a> {
    /// Lists customers with the filters set on the returned builder, page
    /// by page or as a stream.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut customers = client.customers().list().company_name("acme").stream();
    /// while let Some(customer) = customers.try_next().await? {
    ///     println!("{} {:?}", customer.id(), customer.email());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListCustomers<'a> {
        List::new(self.client, Filters::<op::ListCustomers>::default())
    }

    /// Creates a customer. Never retried unless the request provably did not
    /// reach the server, so it cannot create two.
    ///
    /// `customer` is a [`NewCustomer`] or its builder. A create whose
    /// outcome is unknown ([`Error::outcome_unknown`]) may have happened:
    /// [`find_by_external_id`](Self::find_by_external_id) before trying
    /// again.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::types::NewCustomer;
    ///
    /// let new = NewCustomer::builder()
    ///     .name("Acme")
    ///     .email("billing@acme.test")
    ///     .external_id("crm-42");
    /// let customer = client.customers().create(new).send().await?;
    /// println!("created {}", customer.id());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, customer: B) -> Request<'a, Customer>
    where
        B: TryInto<NewCustomer>,
        B::Error: fmt::Display,
    {
        let body = model("new customer", customer);
        Request::new::<op::CreateCustomer, _>(self.client, body, |raw, body| {
            raw.create_customer().body(body)
        })
    }

    /// Gets a customer by id (archived ones too).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let customer = client.customers().get("cus_000001").send().await?;
    /// println!("{:?} since {:?}", customer.name(), customer.created_at()?);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: impl Into<CustomerId>) -> Request<'a, Customer> {
        let id = valid_id("customer id", id.into());
        Request::new::<op::GetCustomer, _>(self.client, id, |raw, id| raw.get_customer().id(id))
    }

    /// Changes the fields set in `update` (PATCH); others are kept.
    /// `update` is a [`CustomerUpdate`] or its builder.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::types::CustomerUpdate;
    ///
    /// let update = CustomerUpdate::builder().city("Lisbon").country("PT");
    /// let customer = client.customers().update("cus_000001", update).send().await?;
    /// assert_eq!(customer.city(), Some("Lisbon"));
    /// # Ok(()) }
    /// ```
    pub fn update<B>(&self, id: impl Into<CustomerId>, update: B) -> Request<'a, Customer>
    where
        B: TryInto<CustomerUpdate>,
        B::Error: fmt::Display,
    {
        let args = valid_id("customer id", id.into())
            .and_then(|id| Ok((id, model("customer update", update)?)));
        Request::new::<op::UpdateCustomer, _>(self.client, args, |raw, (id, body)| {
            raw.update_customer().id(id).body(body)
        })
    }

    /// Archives a customer: it leaves the list, and can be restored.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// client.customers().archive("cus_000001").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn archive(&self, id: impl Into<CustomerId>) -> Request<'a, Customer> {
        let id = valid_id("customer id", id.into());
        Request::new::<op::ArchiveCustomer, _>(self.client, id, |raw, id| {
            raw.archive_customer().id(id)
        })
    }

    /// Restores an archived customer.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// client.customers().restore("cus_000001").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn restore(&self, id: impl Into<CustomerId>) -> Request<'a, Customer> {
        let id = valid_id("customer id", id.into());
        Request::new::<op::RestoreCustomer, _>(self.client, id, |raw, id| {
            raw.restore_customer().id(id)
        })
    }

    /// Finds the customers whose `external_id` is exactly `external_id`:
    /// the way to look for a create whose outcome is unknown
    /// ([`Error::outcome_unknown`]) before creating it again.
    ///
    /// **A client-side scan.** The API has no filter on external ids, no
    /// idempotency key, and does not enforce that external ids are unique
    /// (a second create with the same one succeeds). So this pages through
    /// every listed customer, 100 a page (the largest page the API
    /// documents), each page under the client's rate limit, and compares
    /// here: for one lookup. For many (an import), a
    /// [`CustomerIndex`](crate::CustomerIndex) reads the list once and
    /// answers the rest from memory ([`upsert_by_external_id`](Self::upsert_by_external_id)
    /// imports through one). [`first`](Find::first) stops at the first match;
    /// [`all`](Find::all) reads to the end, to find duplicates. Archived
    /// customers are not listed, so not found. An empty `external_id` is
    /// refused with [`Error::InvalidArgument`].
    ///
    /// ```no_run
    /// use alternative_payments::types::NewCustomer;
    ///
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let customer = match client.customers().find_by_external_id("crm-42").first().await? {
    ///     Some(existing) => existing,
    ///     None => {
    ///         let new = NewCustomer::builder().name("Acme").external_id("crm-42");
    ///         client.customers().create(new).send().await?
    ///     }
    /// };
    /// println!("{}", customer.id());
    /// # Ok(()) }
    /// ```
    pub fn find_by_external_id(&self, external_id: impl Into<String>) -> Find<'a> {
        Find::new(self.client, Field::ExternalId, external_id.into())
    }

    /// Finds the customers whose `email` is `email`, ignoring ASCII case and
    /// surrounding space (as mail systems treat addresses in practice).
    ///
    /// A client-side scan, as [`find_by_external_id`](Self::find_by_external_id)
    /// describes: the API has no email filter and does not enforce unique
    /// emails.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// for customer in client.customers().find_by_email("billing@acme.test").all().await? {
    ///     println!("{} {:?}", customer.id(), customer.name());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn find_by_email(&self, email: impl Into<String>) -> Find<'a> {
        Find::new(self.client, Field::Email, email.into())
    }

    /// A customer's payment methods.
    pub fn payment_methods(&self, customer_id: impl Into<CustomerId>) -> PaymentMethods<'a> {
        PaymentMethods {
            client: self.client,
            customer_id: customer_id.into(),
        }
    }

    /// A customer's users.
    pub fn users(&self, customer_id: impl Into<CustomerId>) -> Users<'a> {
        Users {
            client: self.client,
            customer_id: customer_id.into(),
        }
    }
}

/// A customer's payment methods: `client.customers().payment_methods(id)`.
#[derive(Clone, Debug)]
pub struct PaymentMethods<'a> {
    // The PaymentMethods resource's file adds its operations to this handle.
    pub(super) client: &'a Client,
    pub(super) customer_id: CustomerId,
}

impl<'a> PaymentMethods<'a> {
    /// All payment methods of the customer (the API does not paginate them).
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let methods = client.customers().payment_methods("cus_000001").list().send().await?;
    /// for method in &methods {
    ///     println!("{} {:?} ending {:?}", method.id(), method.type_(), method.last4());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> Request<'a, Vec<PaymentMethod>> {
        let id = valid_id("customer id", self.customer_id.clone());
        Request::mapped::<op::ListPaymentMethods, _>(
            self.client,
            id,
            |raw, id| raw.list_payment_methods().id(id),
            |reply| reply.data,
        )
    }

    /// One payment method of the customer.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let customer = client.customers().get("cus_000001").send().await?;
    /// if let Some(default) = customer.default_payment_method_id() {
    ///     let method = client.customers().payment_methods(customer.id()).get(default).send().await?;
    ///     println!("default: {:?} {:?}", method.brand(), method.last4());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get(&self, method_id: impl Into<PaymentMethodId>) -> Request<'a, PaymentMethod> {
        let ids = valid_id("customer id", self.customer_id.clone())
            .and_then(|id| Ok((id, valid_id("payment method id", method_id.into())?)));
        Request::new::<op::GetPaymentMethod, _>(self.client, ids, |raw, (id, method_id)| {
            raw.get_payment_method().id(id).method_id(method_id)
        })
    }
}

/// A customer's users: `client.customers().users(id)`.
#[derive(Clone, Debug)]
pub struct Users<'a> {
    client: &'a Client,
    customer_id: CustomerId,
}

impl<'a> Users<'a> {
    /// Lists the customer's users.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let users: Vec<_> = client.customers().users("cus_000001").list().stream().try_collect().await?;
    /// println!("{} user(s)", users.len());
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListUsers<'a> {
        let id = valid_id("customer id", self.customer_id.clone());
        List::new(
            self.client,
            Filters::<op::ListCustomerUsers>::with(id.map(
                |id| -> SetFilter<op::ListCustomerUsers> {
                    Arc::new(move |_, builder| builder.id(id.clone()))
                },
            )),
        )
    }

    /// Creates a user. Never retried unless the request provably did not
    /// reach the server, so it cannot create two.
    ///
    /// `user` is a [`NewCustomerUser`] or its builder.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::types::NewCustomerUser;
    ///
    /// let user = NewCustomerUser::builder().first_name("Ada").email("ada@acme.test");
    /// let user = client.customers().users("cus_000001").create(user).send().await?;
    /// println!("added {}", user.id());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, user: B) -> Request<'a, CustomerUser>
    where
        B: TryInto<NewCustomerUser>,
        B::Error: fmt::Display,
    {
        let args = valid_id("customer id", self.customer_id.clone())
            .and_then(|id| Ok((id, model("new user", user)?)));
        Request::new::<op::CreateCustomerUser, _>(self.client, args, |raw, (id, body)| {
            raw.create_customer_user().id(id).body(body)
        })
    }
}

/// The page size of a [`Find`] scan: the spec's default, and the largest
/// page the provider documents.
pub(super) const SCAN_PAGE_SIZE: u32 = 100;

/// A client-side search through every listed customer:
/// [`Customers::find_by_external_id`], [`Customers::find_by_email`].
#[derive(Clone, Debug)]
#[must_use = "nothing is sent until .first() or .all() is awaited"]
pub struct Find<'a> {
    client: &'a Client,
    field: Field,
    value: String,
}

#[derive(Clone, Copy, Debug)]
enum Field {
    ExternalId,
    Email,
}

impl<'a> Find<'a> {
    fn new(client: &'a Client, field: Field, value: String) -> Self {
        Self {
            client,
            field,
            value,
        }
    }

    fn matches(&self, customer: &Customer) -> bool {
        match self.field {
            Field::ExternalId => customer.external_id() == Some(self.value.as_str()),
            Field::Email => customer
                .email()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(self.value.trim())),
        }
    }

    /// The first matching customer, reading no page after the one it is on.
    pub async fn first(self) -> Result<Option<Customer>> {
        let mut found = None;
        self.scan(|customer| {
            found = Some(customer);
            false
        })
        .await?;
        Ok(found)
    }

    /// Every matching customer, in list order (more than one means the
    /// value is not unique).
    pub async fn all(self) -> Result<Vec<Customer>> {
        let mut found = Vec::new();
        self.scan(|customer| {
            found.push(customer);
            true
        })
        .await?;
        Ok(found)
    }

    /// Pages one at a time (no prefetch: `first` must not read past its
    /// match), handing each match to `on_match` until it says stop.
    async fn scan(&self, mut on_match: impl FnMut(Customer) -> bool) -> Result<()> {
        let name = match self.field {
            Field::ExternalId => "external id",
            Field::Email => "email",
        };
        if self.value.trim().is_empty() {
            return Err(Error::InvalidArgument(format!("{name} to find is empty")));
        }
        let source = List::new(self.client, Filters::<op::ListCustomers>::default())
            .limit(SCAN_PAGE_SIZE)
            .source()?;
        // The lists' own page walk (its guards against a broken cursor
        // included), without the prefetch.
        let mut pages = pagination::pages_in_turn(source, Cursor::First);
        while let Some(page) = pages.try_next().await? {
            for customer in page.into_items() {
                if self.matches(&customer) && !on_match(customer) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// `client.customers().list()`: its filters are generated from the spec
/// (`company_name`, `created_at_start`, `created_at_end`), with the typed
/// date filters below.
pub type ListCustomers<'a> = List<'a, Filters<op::ListCustomers>>;
/// `client.customers().users(id).list()`.
pub type ListUsers<'a> = List<'a, Filters<op::ListCustomerUsers>>;

impl ListCustomers<'_> {
    /// Only customers created at or after this time (`created_at_start`).
    pub fn created_after(self, time: OffsetDateTime) -> Self {
        match rfc3339("created_after", time) {
            Ok(text) => self.created_at_start(text),
            Err(e) => self.refuse(e),
        }
    }

    /// Only customers created at or before this time (`created_at_end`).
    pub fn created_before(self, time: OffsetDateTime) -> Self {
        match rfc3339("created_before", time) {
            Ok(text) => self.created_at_end(text),
            Err(e) => self.refuse(e),
        }
    }
}

/// `time` as the API's RFC 3339 text; a time that has none (a year past
/// 9999) is refused, naming the argument.
fn rfc3339(name: &str, time: OffsetDateTime) -> Result<String> {
    time.format(&Rfc3339)
        .map_err(|e| Error::InvalidArgument(format!("{name} cannot be written as RFC 3339: {e}")))
}
