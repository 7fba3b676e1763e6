//! Quickstart: every Customers operation with the SDK.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With no credentials in the environment it starts the embedded mock server
//! (the `alternative-payments-mock` crate), seeds it and walks through every
//! operation. With `ALTERNATIVE_PAYMENTS_CLIENT_ID` and
//! `ALTERNATIVE_PAYMENTS_CLIENT_SECRET` set, it runs the read-only part
//! against the real API (or `ALTERNATIVE_PAYMENTS_BASE_URL`).

use alternative_payments::types::{CustomerUpdate, NewCustomer, NewCustomerUser};
use alternative_payments::{Client, Credentials, Error, env};
use alternative_payments_mock::{MockServer, PaymentMethodSeed};
use futures::TryStreamExt;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::var_os(env::CLIENT_ID).is_some() {
        let client = Client::from_env()?;
        println!("Using the API with your credentials (read-only tour).\n");
        return read_only(&client).await;
    }

    // The mock's extra rules (email syntax, a `limit` range) are stricter
    // than the spec, which allows any string as an email: they let step 11
    // show what a validation error looks like.
    let mock = MockServer::builder()
        .seed_demo(true)
        .extra_rules(true)
        .start()
        .await?;
    println!(
        "No {} set: using the embedded mock API at {}.\n",
        env::CLIENT_ID,
        mock.base_url()
    );
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .scopes(["read", "write"])
        .build()?;
    read_only(&client).await?;
    full_tour(&client, &mock).await
}

/// What any account can do: look around.
async fn read_only(client: &Client) -> Result<()> {
    let customers = client.customers();
    let first_page = customers.list().limit(5).send().await?;
    println!(
        "1. First page of customers ({} shown, more: {}):",
        first_page.items().len(),
        first_page.has_next_page()
    );
    for c in first_page.items() {
        println!(
            "   {:<12} {:<22} {}",
            c.id(),
            c.name().unwrap_or("-"),
            c.email().unwrap_or("-")
        );
    }

    let total = customers
        .list()
        .limit(5)
        .stream()
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    println!("2. Streamed every customer, 5 per page: {total} in all.");

    let Some(first) = first_page.items().first().map(|c| c.id.clone()) else {
        println!("   (no customers yet)");
        return Ok(());
    };
    let customer = customers.get(&first).send().await?;
    let created = customer
        .created_at()?
        .map(|t| t.date().to_string())
        .unwrap_or_else(|| "?".into());
    println!(
        "3. {} was created on {created}.",
        customer.name().unwrap_or(first.as_str())
    );

    let methods = customers.payment_methods(&first).list().send().await?;
    println!("4. Its payment methods:");
    for m in &methods {
        let kind = m.type_().map(|t| t.to_string()).unwrap_or_default();
        let default = if m.default() == Some(true) {
            " (default)"
        } else {
            ""
        };
        println!(
            "   {} {kind} {} ending {}{default}",
            m.id(),
            m.brand().unwrap_or(""),
            m.last4().unwrap_or("????")
        );
    }
    if let Some(method_id) = methods.first().map(|m| m.id.clone()) {
        let method = customers
            .payment_methods(&first)
            .get(&method_id)
            .send()
            .await?;
        println!("   fetched {} again by id.", method.id());
    }

    let users: Vec<_> = customers
        .users(&first)
        .list()
        .stream()
        .try_collect()
        .await?;
    println!(
        "5. Its users: {}",
        users
            .iter()
            .filter_map(|u| u.email())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Everything else, on the mock: create, update, archive, restore, users,
/// and a validation error.
async fn full_tour(client: &Client, mock: &MockServer) -> Result<()> {
    let customers = client.customers();
    let new = NewCustomer::builder()
        .name("Quickstart Ltd")
        .email("billing@quickstart.example")
        .external_id("qs-1");
    let created = customers.create(new).send().await?;
    let id = created.id;
    println!("6. Created {id} ({}).", created.name.unwrap_or_default());

    let update = CustomerUpdate::builder().city("Lisbon");
    let updated = customers.update(&id, update).send().await?;
    println!(
        "7. Patched its city to {}; its email is unchanged: {}.",
        updated.city().unwrap_or("?"),
        updated.email().unwrap_or("?")
    );

    let count = |client: Client| async move {
        client
            .customers()
            .list()
            .company_name("quickstart")
            .stream()
            .try_fold(0, |n, _| async move { Ok(n + 1) })
            .await
    };
    customers.archive(&id).send().await?;
    println!(
        "8. Archived it: listed {} time(s); still readable by id: {}.",
        count(client.clone()).await?,
        customers.get(&id).send().await.is_ok()
    );
    customers.restore(&id).send().await?;
    println!(
        "   Restored it: listed {} time(s).",
        count(client.clone()).await?
    );

    // The API has no endpoint to add payment methods; the mock can seed them.
    mock.add_payment_method(&id, PaymentMethodSeed::card("visa", "4242", "04", "2031"))?;
    let methods = customers.payment_methods(&id).list().send().await?;
    println!(
        "9. Seeded a card on the mock; the API now lists {} payment method(s).",
        methods.len()
    );

    let user = NewCustomerUser::builder()
        .first_name("Quinn")
        .last_name("Start")
        .email("quinn@quickstart.example");
    let user = customers.users(&id).create(user).send().await?;
    let users: Vec<_> = customers.users(&id).list().stream().try_collect().await?;
    println!(
        "10. Added user {}; the customer has {} user(s).",
        user.id(),
        users.len()
    );

    let invalid = NewCustomer::builder().email("not-an-email");
    match customers.create(invalid).send().await {
        Err(Error::Api(api)) if !api.validation_errors.is_empty() => {
            println!(
                "11. The mock's extra rules refuse a bad email with {}:",
                api.status
            );
            for (field, problem) in &api.validation_errors {
                println!("    {field}: {problem}");
            }
        }
        other => return Err(format!("11. expected a validation error, got {other:?}").into()),
    }
    match customers.get("cus_does_not_exist").send().await {
        Err(e) if e.is_not_found() => println!("12. An unknown id: {e}"),
        other => return Err(format!("12. expected a 404, got {other:?}").into()),
    }
    println!("\nDone. Next: the crate docs (cargo doc --open -p alternative-payments).");
    Ok(())
}
