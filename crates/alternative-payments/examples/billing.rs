//! A small billing integration, against the embedded mock (with the API's
//! rate limit on): import customers from a CSV without duplicating any,
//! export them as NDJSON, find one by email, and count payment methods by
//! type concurrently.
//!
//! ```sh
//! cargo run --example billing
//! ```

use std::collections::BTreeMap;

use alternative_payments::types::{Customer, NewCustomer};
use alternative_payments::{Client, Credentials, Result};
use alternative_payments_mock::{MockServer, PaymentMethodSeed};
use futures::{StreamExt, TryStreamExt};

const CSV: &str = "external_id,name,email
crm-1,Acme Corporation,billing@acme.test
crm-2,Globex,ap@globex.test
crm-1,Acme Corporation,billing@acme.test";

/// Creates the customer of each row unless one with its external id
/// exists (the API enforces no uniqueness, so the client looks first).
async fn import(client: &Client, csv: &str) -> Result<Vec<Customer>> {
    let mut imported = Vec::new();
    for row in csv.lines().skip(1) {
        let [external_id, name, email] = row.split(',').collect::<Vec<_>>()[..] else {
            continue;
        };
        let customers = client.customers();
        let customer = match customers.find_by_external_id(external_id).first().await? {
            Some(existing) => existing,
            None => {
                let new = NewCustomer::builder()
                    .name(name)
                    .email(email)
                    .external_id(external_id);
                customers.create(new).send().await?
            }
        };
        println!("{external_id} -> {}", customer.id());
        imported.push(customer);
    }
    Ok(imported)
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder().rate_limit(5.0).start().await?;
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .build()?;

    let imported = import(&client, CSV).await?;
    assert_eq!(
        imported[0].id, imported[2].id,
        "the repeated row found its customer"
    );
    mock.add_payment_method(
        &imported[0].id,
        PaymentMethodSeed::card("visa", "4242", "04", "2031"),
    )?;
    mock.add_payment_method(&imported[0].id, PaymentMethodSeed::ach("6789"))?;

    // Export: one JSON object per line, every page.
    let mut export = client.customers().list().stream();
    while let Some(customer) = export.try_next().await? {
        println!("{}", serde_json::to_string(&customer)?);
    }

    if let Some(found) = client
        .customers()
        .find_by_email("AP@globex.test")
        .first()
        .await?
    {
        println!("ap@globex.test is {} ({:?})", found.id(), found.name());
    }

    // Payment methods of every customer, 4 requests in flight (the client
    // paces them under the limit).
    let mut by_type = BTreeMap::<String, usize>::new();
    let lists: Vec<_> = futures::stream::iter(&imported[..2])
        .map(|c| client.customers().payment_methods(c.id()).list().send())
        .buffer_unordered(4)
        .try_collect()
        .await?;
    for method in lists.iter().flatten() {
        let kind = method.type_().map_or("unknown".into(), |t| t.to_string());
        *by_type.entry(kind).or_default() += 1;
    }
    println!("payment methods by type: {by_type:?}");
    Ok(())
}
