//! The Webhooks resource (the `Webhooks` tag): subscriptions (one topic
//! each) and the events the API records for them.

use std::fmt;

use alternative_payments_raw as raw;
use raw::operations::webhooks as op;

use super::{Filters, List, Request, model, valid_id};
use crate::client::Client;
use crate::types::{NewWebhookSubscription, WebhookSubscription, WebhookSubscriptionId};

impl Client {
    /// Webhook subscriptions and events: `client.webhooks()`.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { client: self }
    }
}

/// Webhooks: `client.webhooks()`.
#[derive(Clone, Copy, Debug)]
pub struct Webhooks<'a> {
    client: &'a Client,
}

/// `client.webhooks().list()`: its filters (`topic`, `is_active`) are
/// generated from the spec.
pub type ListWebhookSubscriptions<'a> = List<'a, Filters<op::ListWebhookSubscriptions>>;
/// `client.webhooks().events()`: its filters (`topic`, `status`,
/// `from_date`, `to_date`) are generated from the spec. The provider's page
/// does not document an event's fields: each is the JSON object the API
/// sent.
pub type ListWebhookEvents<'a> = List<'a, Filters<op::ListWebhookEvents>>;

impl<'a> Webhooks<'a> {
    /// Lists the subscriptions.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let page = client.webhooks().list().topic("invoice_paid").send().await?;
    /// for subscription in page.items() {
    ///     println!("{} → {:?}", subscription.id(), subscription.endpoint_url());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListWebhookSubscriptions<'a> {
        List::new(
            self.client,
            Filters::<op::ListWebhookSubscriptions>::default(),
        )
    }

    /// Subscribes an HTTPS endpoint to one topic. With a `secret_key`, every
    /// delivery carries it as `Authorization: Bearer <secret_key>`; the
    /// key is a [`Secret`](crate::types::Secret), never shown in `Debug`,
    /// and the API shows only its last 4 characters afterwards. Never
    /// retried unless the request provably did not reach the server.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::types::{NewWebhookSubscription, WebhookTopic};
    ///
    /// let new = NewWebhookSubscription::builder()
    ///     .endpoint_url("https://billing.example/hooks/altpay")
    ///     .topic(WebhookTopic::InvoicePaid)
    ///     .secret_key("whsec-from-your-vault");
    /// let subscription = client.webhooks().create(new).send().await?;
    /// println!("{} ends in {:?}", subscription.id(), subscription.secret_last_4_digits());
    /// # Ok(()) }
    /// ```
    pub fn create<B>(&self, subscription: B) -> Request<'a, WebhookSubscription>
    where
        B: TryInto<NewWebhookSubscription>,
        B::Error: fmt::Display,
    {
        let body = model("new webhook subscription", subscription);
        Request::new::<op::CreateWebhookSubscription, _>(self.client, body, |raw, body| {
            raw.create_webhook_subscription().body(body)
        })
    }

    /// Unsubscribes: answers the subscription, inactive. Unsubscribing
    /// twice is refused (a 404), so a retry after a lost answer may end in
    /// that error although the subscription is gone.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let gone = client.webhooks().delete("wh_000001").send().await?;
    /// assert_eq!(gone.is_active(), Some(false));
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, id: impl Into<WebhookSubscriptionId>) -> Request<'a, WebhookSubscription> {
        let id = valid_id("webhook subscription id", id.into());
        Request::new::<op::DeleteWebhookSubscription, _>(self.client, id, |raw, id| {
            raw.delete_webhook_subscription().subscription_id(id)
        })
    }

    /// Lists the events the API recorded (each a JSON object: the page
    /// documents no fields), page by page or as a stream.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut events = client.webhooks().events().topic("payment_succeeded").stream();
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{:?} {:?}", event.get("id"), event.get("status"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> ListWebhookEvents<'a> {
        List::new(self.client, Filters::<op::ListWebhookEvents>::default())
    }
}
