//! Rust SDK for the Alternative Payments API.
//!
//! The ergonomic client (OAuth2, pagination, retries, typed errors) is being
//! built; until it lands, the generated low-level client is re-exported as
//! [`raw`]:
//!
//! ```no_run
//! use alternative_payments::raw::{Client, Hooks};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("https://public-api.alternativepayments.io", Hooks::default());
//! let customer = client.get_customer().id("cus_123").send().await?;
//! println!("{:?}", customer.name);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs, unreachable_pub)]

pub use alternative_payments_raw as raw;
