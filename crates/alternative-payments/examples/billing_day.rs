//! A billing platform's day, end to end, against the embedded mock: a
//! customer, an invoice, its hosted payment link, the payer paying on that
//! page, the webhook received and verified, the payment listed, a payout
//! settling it, and the payout reconciled to the cent.
//!
//! ```sh
//! cargo run --example billing_day
//! ```
//!
//! The mock plays the payer and the provider (it serves the hosted page and
//! settles payouts); everything else is what an integration does with the
//! real API. No account, no money.

use std::time::Duration;

use alternative_payments::types::{
    Invoice, InvoiceLineItem, NewCustomer, NewInvoice, NewWebhookSubscription, WebhookTopic,
};
use alternative_payments::webhook::WebhookVerifier;
use alternative_payments::{Client, Credentials, Decimal};
use alternative_payments_mock::MockServer;
use tokio::sync::mpsc;

// The receiver of examples/webhook_receiver.rs, as an application would
// have it; that example's own `main` is not used here.
#[allow(dead_code)]
#[path = "webhook_receiver.rs"]
mod receiver;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    // The API's rate limit on, as in production.
    let mock = MockServer::builder().rate_limit(5.0).start().await?;
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .build()?;

    // Webhooks first: a receiver, and a subscription with a secret.
    let secret = "whsec-billing-day-7c1d";
    let (events, mut received) = mpsc::unbounded_channel();
    let receiver_url = receiver::serve(
        "127.0.0.1:0",
        receiver::router(WebhookVerifier::new([secret])?, events),
    )
    .await?;
    let subscription = client
        .webhooks()
        .create(
            NewWebhookSubscription::builder()
                .endpoint_url(format!("{receiver_url}{}", receiver::PATH))
                .topic(WebhookTopic::InvoicePaid)
                .secret_key(secret),
        )
        .send()
        .await?;
    println!("1. subscribed {} to invoice_paid", subscription.id());

    // The morning: a customer and its invoice.
    let customer = client
        .customers()
        .create(
            NewCustomer::builder()
                .name("Northwind Traders")
                .email("ap@northwind.test"),
        )
        .send()
        .await?;
    let invoice = client
        .invoices()
        .create(
            NewInvoice::builder()
                .customer_id(customer.id().clone())
                .line_items(vec![
                    line("Managed services, December", Decimal::new(9900, 2), 1)?,
                    line("Backup storage (TB)", Decimal::new(1075, 2), 2)?,
                ]),
        )
        .send()
        .await?;
    let total = invoice.total().ok_or("the invoice has no total")?;
    println!(
        "2. invoice {} for {}: {total:.2} USD, {}",
        invoice.id(),
        customer.id(),
        invoice.status().unwrap_or("?")
    );

    // Send the payer its hosted payment link.
    let link = client
        .invoices()
        .payment_link(invoice.id().clone())
        .send()
        .await?;
    let url = link.url().ok_or("no payment link")?.to_string();
    println!("3. payment link: {url}");

    // The payer opens the page and pays by card (here, as a browser would
    // submit the page's form).
    let page = reqwest::get(&url).await?.text().await?;
    assert!(
        page.contains(&format!("{total:.2} USD")),
        "the page shows what is due"
    );
    let paid = reqwest::Client::new()
        .post(&url)
        .form(&[("action", "card")])
        .send()
        .await?;
    println!(
        "4. the payer paid by card on the hosted page ({})",
        paid.status()
    );

    // The integration learns it twice over: a verified webhook, and a
    // waiter polling the invoice (either alone would do).
    let event = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await?
        .ok_or("the receiver stopped")?;
    let paid_invoice: Invoice = event.data_as()?;
    println!(
        "5. webhook {} verified: {} {} is {}",
        event.id().unwrap_or("?"),
        event.topic().as_str(),
        paid_invoice.id(),
        paid_invoice.status().unwrap_or("?")
    );
    let invoice = client
        .invoices()
        .wait_until_paid(invoice.id().clone())
        .min_delay(Duration::from_millis(200))
        .max_wait(Duration::from_secs(30))
        .await?;
    println!(
        "6. waiter: invoice {} is {}",
        invoice.id(),
        invoice.status().unwrap_or("?")
    );

    // The payment, with its fees.
    let payments = client
        .payments()
        .list()
        .invoice_id(invoice.id().to_string())
        .send()
        .await?;
    let payment = payments
        .items()
        .first()
        .ok_or("no payment for the invoice")?;
    let fees: Decimal = payment.fees().iter().filter_map(|f| f.amount()).sum();
    println!(
        "7. payment {} ({}, {}): {:.2} USD, fees {fees:.2} USD",
        payment.id(),
        payment.payment_method().unwrap_or("?"),
        payment.status().unwrap_or("?"),
        payment.total().unwrap_or_default()
    );

    // The provider settles the day's payments into a payout.
    let payout_id = mock.settle_payments()?;
    let payout = client.payouts().get(payout_id.as_str()).send().await?;
    let status = payout.status().map(|s| s.to_string()).unwrap_or_default();
    println!(
        "8. payout {} {status}, arriving {}: {:.2} USD",
        payout.id(),
        payout.arrival_date().unwrap_or("?"),
        payout.total().unwrap_or_default()
    );

    // Reconciliation: the payout is its payments less their fees, exactly.
    let settled = client
        .payouts()
        .payments(payout.id().clone())
        .send()
        .await?;
    let gross: Decimal = settled.iter().filter_map(|p| p.total()).sum();
    let payout_fees: Decimal = payout.fees().iter().filter_map(|f| f.amount()).sum();
    let net = payout.total().ok_or("the payout has no total")?;
    if gross - payout_fees != net || !settled.iter().any(|p| p.id() == payment.id()) {
        return Err(format!(
            "payout {} does not reconcile: {gross} - {payout_fees} != {net}",
            payout.id()
        )
        .into());
    }
    println!(
        "9. reconciled: {} payment(s), {gross:.2} USD - fees {payout_fees:.2} USD = payout {net:.2} USD",
        settled.len()
    );
    Ok(())
}

/// An invoice line: what, unit amount, quantity.
fn line(description: &str, amount: Decimal, quantity: i64) -> Result<InvoiceLineItem> {
    Ok(InvoiceLineItem::builder()
        .description(description)
        .amount(amount)
        .quantity(quantity)
        .try_into()?)
}
