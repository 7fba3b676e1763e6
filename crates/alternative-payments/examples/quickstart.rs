//! Quickstart (placeholder).
//!
//! The walk-through of every Customers operation against the embedded mock
//! server arrives with the ergonomic client and the mock crate. Until then
//! this prints where things stand, so the README's command always runs.

fn main() {
    println!(
        "alternative-payments {}: the quickstart walk-through is not written yet.\n\
         The generated low-level client is available as `alternative_payments::raw`.",
        env!("CARGO_PKG_VERSION")
    );
}
