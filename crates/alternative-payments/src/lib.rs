//! Rust SDK for the [Alternative Payments](https://alternativepayments.io) API.
//!
//! One [`Client`], configured once, handles OAuth2 client credentials (tokens
//! are fetched, cached, refreshed ahead of expiry and replaced on a 401),
//! retries with backoff, timeouts, cursor pagination as streams, and turns
//! every failure into one [`Error`] type.
//!
//! # Authenticate
//!
//! ```no_run
//! use alternative_payments::{Client, Credentials, Environment};
//!
//! # fn main() -> alternative_payments::Result<()> {
//! // From ALTERNATIVE_PAYMENTS_CLIENT_ID / _CLIENT_SECRET (and optionally
//! // _ENVIRONMENT, _SCOPES, _RATE_LIMIT):
//! let client = Client::from_env()?;
//!
//! // Or explicitly:
//! let client = Client::builder()
//!     .credentials(Credentials::client_credentials("client-id", "client-secret"))
//!     .environment(Environment::Demo) // the sandbox; production by default
//!     .scopes(["read", "write"])
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! # Page through customers
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use alternative_payments::OffsetDateTime;
//! use alternative_payments::time::Duration;
//!
//! # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
//! let mut customers = client
//!     .customers()
//!     .list()
//!     .created_after(OffsetDateTime::now_utc() - Duration::days(30))
//!     .limit(50)
//!     .stream();
//! while let Some(customer) = customers.try_next().await? {
//!     println!("{} {:?} created {:?}", customer.id(), customer.name(), customer.created_at()?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Handle errors
//!
//! ```no_run
//! use alternative_payments::types::NewCustomer;
//! use alternative_payments::Error;
//!
//! # async fn run(client: alternative_payments::Client) {
//! let new = NewCustomer::builder().name("Acme").email("billing@acme.test");
//! match client.customers().create(new).send().await {
//!     Ok(customer) => println!("created {}", customer.id()),
//!     // A 400 or 422 names each field the API refused.
//!     Err(Error::Api(api)) if !api.validation_errors.is_empty() => {
//!         for (field, problem) in &api.validation_errors {
//!             eprintln!("{field}: {problem}");
//!         }
//!     }
//!     Err(e) if e.is_not_found() => eprintln!("no such customer"),
//!     Err(e) => eprintln!("failed: {e} (retryable: {})", e.is_retryable()),
//! }
//! # }
//! ```
//!
//! # Security
//!
//! Secrets are held in a type that is zeroed when dropped and never appears
//! in `Debug` output, error messages or logs. Credentials are never sent
//! over plain `http://` except to loopback, unless
//! [`ClientBuilder::allow_insecure_http`] says so.
#![warn(missing_docs, unreachable_pub)]
// docs.rs: each item shows the cargo feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Built without every resource (`default-features = false`), parts of the
// generic core may go unused; the default build, where the lint matters,
// has them all.
#![cfg_attr(not(feature = "resources"), allow(dead_code, unused_imports))]

mod auth;
mod client;
mod cursor;
mod error;
mod hook;
mod pagination;
mod rate_limit;
mod resources;
mod response;
mod retry;
pub mod types;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use auth::{ClientAuthMethod, Credentials};
pub use client::{
    Client, ClientBuilder, CustomRequest, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, Environment, ErrorBody,
    TokenInfo, env,
};
pub use cursor::Cursor;
pub use error::{ApiError, AuthError, Error, Result};
pub use hook::{Hook, HookRequest, HookResponse};
pub use pagination::{Page, json_pages};
pub use rate_limit::{LimiterScope, LocalLimiter, RateLimit, RateLimiter};
// Each resource's handles and builders, and the generic `Request` and `List`
// (a new resource is re-exported by `resources/mod.rs` alone).
/// The exact decimal every amount is (`rust_decimal`'s): never a float.
pub use alternative_payments_raw::money::Decimal;
/// The HTTP method [`Client::request`] takes (`http`'s, as reqwest uses).
pub use reqwest::Method;
pub use resources::*;
pub use response::Response;
pub use retry::RetryPolicy;
/// The `time` crate, whose [`OffsetDateTime`] timestamps take and return.
pub use time;
pub use time::OffsetDateTime;

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
