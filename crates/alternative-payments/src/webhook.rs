//! Receiving webhook deliveries: verify the bearer secret, then parse the
//! event.
//!
//! The provider documents one thing about a delivery: with a `secret_key`
//! on the subscription, "all webhook requests to your endpoint will include
//! it in the Authorization header as a Bearer token". There is no signature
//! and no timestamp, so a receiver must compare that secret in constant
//! time, accept the old and the new one while rotating, and parse nothing
//! before it matched. [`WebhookVerifier`] does those three things, like
//! Stripe's `Webhook::construct_event` or OpenAI's `webhooks.unwrap`.
//!
//! The body of a delivery is **not documented**. This SDK assumes the
//! event as `GET /webhooks/events` lists it: a JSON object with `topic`,
//! and usually `id`, `created_at` and `data` (the object as the API returns
//! it), which is what the mock sends (docs/webhooks.md). It is lenient: only
//! `topic` is required, an unknown topic is [`WebhookTopic::Unknown`], and
//! unknown fields are kept in [`WebhookEvent::raw`].
//!
//! ```
//! use alternative_payments::webhook::{WebhookError, WebhookVerifier};
//!
//! # fn main() -> Result<(), WebhookError> {
//! // The secrets the subscriptions were created with; two while rotating.
//! let verifier = WebhookVerifier::new(["whsec_old", "whsec_new"])?;
//!
//! // In your HTTP handler: the request's headers and its raw body.
//! let mut headers = http::HeaderMap::new();
//! headers.insert("authorization", "Bearer whsec_new".parse().unwrap());
//! let body = br#"{"id":"evt_1","topic":"invoice_paid","data":{"id":"inv_1"}}"#;
//!
//! let event = verifier.verify(&headers, body)?;
//! assert_eq!(event.topic().as_str(), "invoice_paid");
//! # Ok(()) }
//! ```

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::types::WebhookTopic;

/// The largest body [`WebhookVerifier`] parses unless told otherwise: 1 MiB.
/// An event is one object of the API; the largest the mock sends is a few
/// kilobytes.
pub const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;

/// Checks deliveries against the secrets your subscriptions were created
/// with, and parses the event of those that match.
///
/// Its `Debug` output shows how many secrets it holds, never one.
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Vec<Zeroizing<Vec<u8>>>,
    max_body_size: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier that accepts any of `secrets` (one, or the old and the
    /// new while you rotate). [`WebhookError::NoSecret`] when there is none
    /// or one is empty: an empty secret would accept `Bearer ` alone.
    pub fn new<I>(secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let secrets: Vec<Zeroizing<Vec<u8>>> = secrets
            .into_iter()
            .map(|s| Zeroizing::new(s.as_ref().as_bytes().to_vec()))
            .collect();
        if secrets.is_empty() || secrets.iter().any(|s| s.is_empty()) {
            return Err(WebhookError::NoSecret);
        }
        Ok(Self {
            secrets,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        })
    }

    /// The largest body it parses ([`DEFAULT_MAX_BODY_SIZE`] unless set);
    /// a larger one is [`WebhookError::BodyTooLarge`]. Limit the body in
    /// your HTTP server too, before it is read.
    #[must_use]
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Verifies a delivery from its request's headers and raw body (the
    /// bytes as received: parse nothing before this), and returns its
    /// event.
    pub fn verify(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let authorization = values.next();
        if values.next().is_some() {
            return Err(WebhookError::MalformedAuthorization);
        }
        self.verify_authorization(authorization.map(http::HeaderValue::as_bytes), body)
    }

    /// [`verify`](Self::verify) for servers whose headers are not `http`'s:
    /// the `Authorization` header's value, if the request had one.
    pub fn verify_authorization(
        &self,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        self.authenticate(authorization)?;
        if body.len() > self.max_body_size {
            return Err(WebhookError::BodyTooLarge {
                size: body.len(),
                limit: self.max_body_size,
            });
        }
        WebhookEvent::parse(body)
    }

    /// Whether `authorization` is `Bearer <one of the secrets>`, compared in
    /// constant time: every secret is compared, whichever matches.
    fn authenticate(&self, authorization: Option<&[u8]>) -> Result<(), WebhookError> {
        let value = authorization.ok_or(WebhookError::MissingAuthorization)?;
        // RFC 9110 §11.1: the scheme is case-insensitive; one space, then
        // the credentials.
        let (scheme, token) = match value.iter().position(|b| *b == b' ') {
            Some(space) => (&value[..space], &value[space + 1..]),
            None => (value, &[][..]),
        };
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return Err(WebhookError::NotBearer);
        }
        let token = token.trim_ascii();
        if token.is_empty() {
            return Err(WebhookError::MalformedAuthorization);
        }
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            matched |= secret.as_slice().ct_eq(token);
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(WebhookError::WrongSecret)
        }
    }
}

/// An event a delivery carried, after its secret matched.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    topic: WebhookTopic,
    id: Option<String>,
    created_at: Option<String>,
    data: Value,
    raw: Map<String, Value>,
}

impl WebhookEvent {
    /// Parses a delivery's body (see the module docs for what is assumed
    /// of it). [`WebhookVerifier::verify`] calls this once the secret
    /// matched; call it yourself only on a body you authenticated.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| WebhookError::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
        let Value::Object(raw) = value else {
            return Err(WebhookError::UnexpectedShape(
                "the body is not a JSON object".into(),
            ));
        };
        let topic = match raw.get("topic") {
            Some(Value::String(topic)) => WebhookTopic::from(topic.as_str()),
            Some(_) => {
                return Err(WebhookError::UnexpectedShape(
                    "`topic` is not a string".into(),
                ));
            }
            None => {
                return Err(WebhookError::UnexpectedShape(
                    "the event has no `topic`".into(),
                ));
            }
        };
        let text = |name: &str| raw.get(name).and_then(Value::as_str).map(String::from);
        Ok(Self {
            topic,
            id: text("id"),
            created_at: text("created_at"),
            data: raw.get("data").cloned().unwrap_or(Value::Null),
            raw,
        })
    }

    /// What happened: `invoice_paid`, ...; a topic this SDK does not know
    /// is [`WebhookTopic::Unknown`], not an error.
    pub fn topic(&self) -> &WebhookTopic {
        &self.topic
    }

    /// The event's id (`evt_...`), when the delivery has one: the key to
    /// deduplicate on, since a delivery can arrive more than once.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// When the event happened, as sent (RFC 3339).
    pub fn created_at(&self) -> Option<&str> {
        self.created_at.as_deref()
    }

    /// The object the event is about, as JSON (`null` when absent).
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The object the event is about, as a model of this SDK: a
    /// [`Customer`](crate::types::Customer) for `customer_*`, an
    /// [`Invoice`](crate::types::Invoice) for `invoice_*`, a
    /// [`Payment`](crate::types::Payment) for `payment_*`, a
    /// [`Payout`](crate::types::Payout) for `payout_*`.
    ///
    /// ```
    /// # fn run(event: alternative_payments::webhook::WebhookEvent) -> Result<(), Box<dyn std::error::Error>> {
    /// use alternative_payments::types::{Invoice, WebhookTopic};
    ///
    /// if *event.topic() == WebhookTopic::InvoicePaid {
    ///     let invoice: Invoice = event.data_as()?;
    ///     println!("{} is paid", invoice.id());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, WebhookError> {
        T::deserialize(&self.data).map_err(|e| {
            WebhookError::UnexpectedShape(format!("`data` is not a {}: {e}", short_name::<T>()))
        })
    }

    /// The whole body as received, unknown fields included.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }
}

/// `Invoice` for `alternative_payments_raw::types::Invoice`.
fn short_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

/// Why a delivery was not accepted. Never contains a secret, nor the
/// `Authorization` header it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The verifier was given no secret, or an empty one.
    NoSecret,
    /// The request has no `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header is not of the `Bearer` scheme.
    NotBearer,
    /// The `Authorization` header is there more than once, or has no
    /// credentials after `Bearer`.
    MalformedAuthorization,
    /// The bearer secret is none of the accepted ones.
    WrongSecret,
    /// The body is larger than the verifier's limit.
    BodyTooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON (where it stopped parsing).
    NotJson {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
    },
    /// The body is JSON, but not an event this SDK can read.
    UnexpectedShape(String),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSecret => f.write_str("a webhook verifier needs at least one secret, none empty"),
            Self::MissingAuthorization => f.write_str("the delivery has no Authorization header"),
            Self::NotBearer => f.write_str("the delivery's Authorization header is not a Bearer secret"),
            Self::MalformedAuthorization => f.write_str(
                "the delivery's Authorization header is malformed (repeated, or no secret after Bearer)",
            ),
            Self::WrongSecret => f.write_str("the delivery's bearer secret is not one of the accepted secrets"),
            Self::BodyTooLarge { size, limit } => {
                write!(f, "the delivery's body is {size} bytes, over the limit of {limit}")
            }
            Self::NotJson { line, column } => {
                write!(f, "the delivery's body is not JSON (line {line}, column {column})")
            }
            Self::UnexpectedShape(what) => write!(f, "the delivery is not a webhook event: {what}"),
        }
    }
}

impl std::error::Error for WebhookError {}
