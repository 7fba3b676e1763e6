//! An invoice and a payment request, end to end, against the embedded mock:
//! invoice a customer (exact totals), send the payer its payment link,
//! charge it once (an idempotency key makes a resend harmless), see it
//! paid; ask for a one-off amount with a payment request and poll it; find
//! the payout that settled the payments.
//!
//! ```sh
//! cargo run --example invoicing
//! ```

use alternative_payments::types::{InvoiceLineItem, NewInvoice, NewPayment, NewPaymentRequest};
use alternative_payments::{Client, Credentials, Decimal, Result};
use alternative_payments_mock::MockServer;

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .build()?;
    let customer =
        mock.create_customer(serde_json::json!({ "name": "Acme", "email": "ap@acme.test" }));

    let invoice = invoice(&client, &customer).await?;
    // The payer pays through the link; this integration charges the card
    // on file instead, once, whatever happens to the answer.
    let key = format!("charge-{}", invoice);
    let charge = || {
        NewPayment::builder()
            .invoice_id(invoice.as_str())
            .payment_method("card")
            .idempotency_key(key.as_str())
    };
    let payment = client.payments().create(charge()).send().await?;
    // A resend with the same key (say the first answer was lost) is the
    // same payment: nothing more is charged.
    let again = client.payments().create(charge()).send().await?;
    assert_eq!(again.id(), payment.id());
    println!(
        "payment {} {:?} of {:?}",
        payment.id(),
        payment.status(),
        payment.total()
    );
    let paid = client.invoices().get(invoice.as_str()).send().await?;
    println!("invoice {} is now {:?}", paid.id(), paid.status());

    // A one-off amount: a payment request, polled for its status.
    let request = NewPaymentRequest::builder()
        .amount(Decimal::new(7500, 2))
        .reference_id("order-1042")
        .redirect_url("https://shop.example/thanks");
    let request = client.payment_requests().create(request).send().await?;
    println!("send the payer to {:?}", request.url());
    // (The mock stands in for the payer.)
    mock.set_payment_request_status(request.id(), "paid");
    let polled = client.payment_requests().get(request.id()).send().await?;
    println!("payment request {} is {:?}", polled.id(), polled.status());

    // Reconcile: the payout that settled the payment, and what it holds.
    let payout = mock.create_payout(&[payment.id().as_str()])?;
    let settled = client.payouts().payments(payout.as_str()).send().await?;
    let payout = client.payouts().get(payout.as_str()).send().await?;
    println!(
        "payout {} ({:?}) settled {} payment(s): {:?} less fees is {:?}",
        payout.id(),
        payout.status(),
        settled.len(),
        payout.sub_total(),
        payout.total()
    );
    Ok(())
}

/// Invoices `customer` for three lines; the total is exact. Returns the
/// invoice's id, after printing the payer's link.
async fn invoice(client: &Client, customer: &str) -> Result<String> {
    let line = |description: &str, cents: i64, quantity: i64| -> InvoiceLineItem {
        InvoiceLineItem::builder()
            .description(description)
            .amount(Decimal::new(cents, 2))
            .quantity(quantity)
            .try_into()
            .expect("every field of a line item is optional")
    };
    let new = NewInvoice::builder()
        .customer_id(customer)
        .due_date("2026-12-31")
        .line_items(vec![
            line("Managed backup", 1999, 3),
            line("Setup", 4990, 1),
            line("Rounding check", 1, 1),
        ]);
    let invoice = client.invoices().create(new).send().await?;
    // 3 × 19.99 + 49.90 + 0.01, to the cent: 109.88.
    assert_eq!(invoice.total(), Some(Decimal::new(10988, 2)));
    let link = client.invoices().payment_link(invoice.id()).send().await?;
    println!(
        "invoice {} for {:?}: pay at {:?}",
        invoice.id(),
        invoice.total(),
        link.url()
    );
    Ok(invoice.id().to_string())
}
