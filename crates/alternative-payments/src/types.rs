//! Model types of the API.
//!
//! Generated from the spec, under the names this SDK gives them
//! (`openapi/overlay.json`). Every model is `#[non_exhaustive]`: build one
//! with its builder, whose setters take anything that converts
//! (`&str`, `String`, an id):
//!
//! ```
//! use alternative_payments::types::NewCustomer;
//!
//! let new: NewCustomer = NewCustomer::builder()
//!     .name("Acme")
//!     .email("billing@acme.test")
//!     .external_id(String::from("crm-42"))
//!     .try_into()
//!     .expect("every field is optional");
//! assert_eq!(new.name.as_deref(), Some("Acme"));
//! ```
//!
//! Reading a model needs no unwrapping for what is always there, and says
//! what it got for the rest:
//!
//! - **Ids are typed** ([`CustomerId`], [`PaymentMethodId`],
//!   [`CustomerUserId`]): a payment method's id does not pass where a
//!   customer's is expected. Each is serde-transparent, displays as the bare
//!   string and converts from `&str` and `String`.
//!
//!   ```compile_fail
//!   # async fn run(client: alternative_payments::Client, method: alternative_payments::types::PaymentMethod) {
//!   // error[E0277]: the trait bound `CustomerId: From<PaymentMethodId>` is not satisfied
//!   client.customers().get(method.id).send().await;
//!   # }
//!   ```
//! - **A returned model always has its id** (`customer.id()`): a response
//!   without one is refused as [`Error::Decode`](crate::Error::Decode), since
//!   an object that cannot be addressed is the server's fault and an empty id
//!   made up here would be a lie. Every other field is optional, as the API
//!   describes it: `customer.name()` is an `Option<&str>`.
//! - **Timestamps** stay text in their field (nothing is lost when the API
//!   sends a malformed one), and their accessor parses them:
//!   `customer.created_at()?` is an `Option<`[`OffsetDateTime`](time::OffsetDateTime)`>`,
//!   and its [`TimestampError`] converts into [`Error`](crate::Error).
//! - String enums are open: see [`MethodType`].
//! - **Amounts** are exact [`Decimal`](crate::Decimal)s, never floats, in
//!   the wire form each page gives (a JSON number or a string).
//! - Each model's builder is in [`builder`]: `NewCustomer::builder()`
//!   returns a [`builder::NewCustomer`].
//!
//! ```
//! use alternative_payments::types::{Customer, CustomerId};
//!
//! # fn main() -> alternative_payments::Result<()> {
//! let customer: Customer = serde_json::from_value(serde_json::json!({
//!     "id": "cus_1", "name": "Acme", "created_at": "2026-01-02T03:04:05Z"
//! })).unwrap();
//! assert_eq!(customer.id(), &CustomerId::from("cus_1"));
//! assert_eq!(customer.name(), Some("Acme"));
//! assert_eq!(customer.created_at()?.map(|t| t.year()), Some(2026));
//! assert_eq!(customer.email(), None);
//! # Ok(()) }
//! ```

// Every model of the spec, re-exported whole from the generated client: no
// list kept by hand, so a new resource's models (and their builders, in
// `builder`) appear by themselves.
pub use alternative_payments_raw::types::*;
