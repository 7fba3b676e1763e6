//! A small billing integration, against the embedded mock (with the API's
//! rate limit on): import customers from a CSV without duplicating any,
//! export them as NDJSON, find one by email, and count payment methods by
//! type concurrently.
//!
//! ```sh
//! cargo run --example billing
//! ```

use std::collections::BTreeMap;

use alternative_payments::types::NewCustomer;
use alternative_payments::{Client, Credentials, CustomerIndex};
use alternative_payments_mock::{MockServer, PaymentMethodSeed};
use futures::{StreamExt, TryStreamExt};

const CSV: &str = "external_id,name,email
crm-1,Acme Corporation,billing@acme.test
crm-2,Globex,ap@globex.test
crm-1,Acme Corporation,billing@acme.test
,No Id Ltd,nobody@example.test";

/// Creates the customer of each row that no customer has the external id
/// of. The API enforces no uniqueness and has no filter on external ids, so
/// the index reads the customer list once (not once per row) and the
/// report says what became of every row. Running it again creates nothing.
async fn import(
    client: &Client,
    index: &mut CustomerIndex,
    csv: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    for line in csv.lines().skip(1) {
        let [external_id, name, email] = line.split(',').collect::<Vec<_>>()[..] else {
            continue;
        };
        let mut row = NewCustomer::builder().name(name).email(email);
        if !external_id.is_empty() {
            row = row.external_id(external_id);
        }
        rows.push(row.try_into()?);
    }
    let report = client
        .customers()
        .upsert_by_external_id(index, rows)
        .await?;
    for (row, customer) in &report.created {
        println!("row {row}: created {}", customer.id());
    }
    for (row, id) in &report.existing {
        println!("row {row}: exists as {id}");
    }
    for (row, first) in &report.duplicate_in_input {
        println!("row {row}: same external id as row {first}, skipped");
    }
    for (row, why) in &report.invalid {
        println!("row {row}: refused: {why}");
    }
    if let Some((row, error)) = &report.stopped {
        return Err(format!("stopped at row {row}: {error}").into());
    }
    println!("{} requests", report.requests);
    Ok(())
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

    let mut index = CustomerIndex::new();
    import(&client, &mut index, CSV).await?;
    println!("again, as tomorrow's run would:");
    import(&client, &mut index, CSV).await?;
    let imported: Vec<_> = ["crm-1", "crm-2"]
        .iter()
        .map(|id| index.by_external_id(id)[0].clone())
        .collect();
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

    // From memory: no request.
    if let Some(found) = index.by_email("AP@globex.test").first() {
        println!("ap@globex.test is {} ({:?})", found.id(), found.name());
    }

    // Payment methods of every customer, 4 requests in flight (the client
    // paces them under the limit).
    let mut by_type = BTreeMap::<String, usize>::new();
    let lists: Vec<_> = futures::stream::iter(&imported[..2])
        .map(|c| {
            client
                .customers()
                .payment_methods(c.id().clone())
                .list()
                .send()
        })
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
