//! Rust SDK for the Alternative Payments API.
//!
//! The ergonomic client (OAuth2, pagination, retries, typed errors) is not
//! written yet; until it is, the generated low-level client lives in
//! [`alternative_payments_raw`].
#![warn(missing_docs, unreachable_pub)]

pub use alternative_payments_raw as raw;
