//! What a user's task costs in requests, counted by the server: under the
//! API's 5 requests per second, a task's time is its requests ÷ 5. Each task
//! runs the SDK's way and the way a user would write it without the SDK's
//! helpers, beside the minimum the API allows, derived from the data.
//!
//! ```sh
//! cargo bench -p alternative-payments --bench tasks             # 10,000 customers; prints the table
//! cargo bench -p alternative-payments --bench tasks -- --write  # ... and writes it into docs/benchmarks.md
//! cargo bench -p alternative-payments --bench tasks -- --smoke  # 300 customers (CI)
//! ```
//!
//! The mock's rate limit is off and the client's limiter too: the count does
//! not depend on the rate. The run fails when the SDK's way of a task costs
//! more than 1.02× its minimum.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use alternative_payments::types::{Invoice, NewCustomer, Payment};
use alternative_payments::{Client, Credentials, CustomerIndex, RateLimit};
use alternative_payments_mock::{MockServer, PaymentMethodSeed};
use futures::TryStreamExt;
use serde_json::json;

/// The largest page the API documents.
const PAGE: usize = 100;
/// The goal: no task above this multiple of its minimum.
const GOAL: f64 = 1.02;

struct Sizes {
    customers: usize,
    rows: usize,
    payouts: usize,
    payments_per_payout: usize,
}

const FULL: Sizes = Sizes {
    customers: 10_000,
    rows: 1_000,
    payouts: 30,
    payments_per_payout: 10,
};
const SMOKE: Sizes = Sizes {
    customers: 300,
    rows: 40,
    payouts: 3,
    payments_per_payout: 4,
};

fn pages(items: usize) -> u64 {
    items.div_ceil(PAGE).max(1) as u64
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .rate_limit(None::<RateLimit>)
        .build()
        .expect("client")
}

/// A mock holding `n` customers `acc-<i>`, a few of whose external ids the
/// account holds twice (the API allows it).
async fn account(n: usize) -> MockServer {
    let mock = MockServer::start().await.expect("mock");
    for i in 0..n {
        mock.create_customer(
            json!({ "name": format!("Account {i}"), "external_id": format!("acc-{i}") }),
        );
    }
    for i in 0..n.min(5) {
        mock.create_customer(
            json!({ "name": format!("Account {i} again"), "external_id": format!("acc-{i}") }),
        );
    }
    mock
}

/// The import's rows: half the account's customers, half new; some new
/// ones repeated, some rows without an external id, some whose external id
/// the account holds twice.
fn rows(sizes: &Sizes) -> Vec<NewCustomer> {
    let n = sizes.rows;
    let (repeated, no_id, ambiguous) = (n / 20, n / 40, 5.min(sizes.customers));
    let existing = n / 2 - ambiguous;
    let new = n - existing - ambiguous - repeated - no_id;
    let mut rows = Vec::with_capacity(n);
    let row = |name: String, external_id: Option<String>| -> NewCustomer {
        let mut builder = NewCustomer::builder().name(name);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        builder.try_into().expect("a row")
    };
    for i in 0..ambiguous {
        rows.push(row(format!("Ambiguous {i}"), Some(format!("acc-{i}"))));
    }
    for i in 0..existing {
        // Spread over the whole list, so a scan for one stops anywhere.
        let at = ambiguous + (i * 7919) % (sizes.customers - ambiguous);
        rows.push(row(format!("Existing {at}"), Some(format!("acc-{at}"))));
    }
    for i in 0..new {
        rows.push(row(format!("New {i}"), Some(format!("new-{i}"))));
    }
    for i in 0..repeated {
        rows.push(row(format!("New {i}"), Some(format!("new-{i}"))));
    }
    for i in 0..no_id {
        rows.push(row(format!("No id {i}"), None));
    }
    // Deterministic shuffle: rows arrive in no useful order.
    let len = rows.len();
    for i in 0..len {
        rows.swap(i, (i * 104_729 + 17) % len);
    }
    rows
}

/// The minimum an idempotent import needs: one read of the list, and a
/// create for each distinct external id the account does not hold.
fn import_minimum(mock_customers: usize, rows: &[NewCustomer], held: &BTreeSet<String>) -> u64 {
    let new: BTreeSet<&String> = rows
        .iter()
        .filter_map(|r| r.external_id.as_ref())
        .filter(|id| !held.contains(*id))
        .collect();
    pages(mock_customers) + new.len() as u64
}

/// The import as a user writes it without the index: look each row up
/// (a scan), create it when not found.
async fn import_naive(client: &Client, rows: &[NewCustomer]) {
    for row in rows {
        let Some(external_id) = row.external_id.clone() else {
            continue;
        };
        let found = client
            .customers()
            .find_by_external_id(external_id)
            .first()
            .await
            .expect("scan");
        if found.is_none() {
            client
                .customers()
                .create(row.clone())
                .send()
                .await
                .expect("created");
        }
    }
}

struct Row {
    task: String,
    way: &'static str,
    requests: u64,
    minimum: u64,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.requests as f64 / self.minimum as f64
    }
}

async fn import(sizes: &Sizes, out: &mut Vec<Row>) {
    let rows = rows(sizes);
    let task = format!(
        "(a) import {} rows (half new, repeats, rows without an id, ids the account holds twice) into {} customers",
        rows.len(),
        sizes.customers
    );
    for naive in [false, true] {
        let mock = account(sizes.customers).await;
        let held: BTreeSet<String> = (0..sizes.customers).map(|i| format!("acc-{i}")).collect();
        let listed = mock.customer_count();
        let minimum = import_minimum(listed, &rows, &held);
        let client = client(&mock);
        mock.reset_stats();
        if naive {
            import_naive(&client, &rows).await;
        } else {
            let mut index = CustomerIndex::new();
            let report = client
                .customers()
                .upsert_by_external_id(&mut index, rows.clone())
                .await
                .expect("imported");
            assert!(report.stopped.is_none());
            assert_eq!(
                report.requests,
                mock.stats().requests,
                "the report counts what the server saw"
            );
        }
        out.push(Row {
            task: task.clone(),
            way: if naive {
                "find_by_external_id then create, per row"
            } else {
                "CustomerIndex + upsert_by_external_id"
            },
            requests: mock.stats().requests,
            minimum,
        });
    }
}

async fn export(sizes: &Sizes, out: &mut Vec<Row>) {
    let mock = account(sizes.customers).await;
    for (i, id) in mock_customer_ids(&mock).iter().enumerate().step_by(3) {
        let seed = if i % 2 == 0 {
            PaymentMethodSeed::card("visa", "4242", "04", "2031")
        } else {
            PaymentMethodSeed::ach("6789")
        };
        mock.add_payment_method(id, seed).expect("added");
    }
    let listed = mock.customer_count();
    let client = client(&mock);
    mock.reset_stats();
    let mut customers = client.customers().list().limit(PAGE as u32).stream();
    let mut methods = 0usize;
    while let Some(customer) = customers.try_next().await.expect("page") {
        methods += client
            .customers()
            .payment_methods(customer.id().clone())
            .list()
            .send()
            .await
            .expect("methods")
            .len();
    }
    assert!(methods > 0);
    out.push(Row {
        task: format!("(b) export {listed} customers with their payment methods"),
        way: "list stream + payment_methods(id).list() each (the API has no expand: the SDK adds nothing)",
        requests: mock.stats().requests,
        minimum: pages(listed) + listed as u64,
    });
}

fn mock_customer_ids(mock: &MockServer) -> Vec<String> {
    (1..=mock.customer_count())
        .map(|i| format!("cus_{i:06}"))
        .collect()
}

/// A month of payouts, each of `payments_per_payout` card payments of as
/// many invoices.
async fn month(sizes: &Sizes) -> (MockServer, usize, usize) {
    let mock = MockServer::start().await.expect("mock");
    let customers: Vec<String> = (0..20)
        .map(|i| mock.create_customer(json!({ "name": format!("Customer {i}") })))
        .collect();
    let mut invoices = 0;
    for payout in 0..sizes.payouts {
        let mut payments = Vec::new();
        for p in 0..sizes.payments_per_payout {
            let customer = &customers[(payout * 7 + p) % customers.len()];
            let invoice = mock
                .create_invoice(json!({
                    "customer_id": customer,
                    "line_items": [{ "description": "work", "amount": 100 + p, "quantity": 1 }],
                }))
                .expect("invoice");
            invoices += 1;
            payments.push(
                mock.create_payment(json!({ "invoice_id": invoice }))
                    .expect("paid"),
            );
        }
        let ids: Vec<&str> = payments.iter().map(String::as_str).collect();
        let id = mock.create_payout(&ids).expect("payout");
        mock.settle_payout(&id).expect("settled");
    }
    (mock, sizes.payouts, invoices)
}

/// The payments of `invoice`: one request (the API filters by invoice).
async fn payments_of(client: &Client, invoice: &Invoice) -> Vec<Payment> {
    client
        .payments()
        .list()
        .invoice_id(invoice.id().to_string())
        .send()
        .await
        .expect("payments")
        .into_items()
}

/// Payouts → their payments → the invoices those paid. A payment does not
/// name its invoice: the payments of an invoice are listed by its id.
async fn reconcile(sizes: &Sizes, out: &mut Vec<Row>) {
    let task = format!(
        "(c) reconcile {} payouts of {} payments each to their payments and invoices",
        sizes.payouts, sizes.payments_per_payout
    );
    for naive in [false, true] {
        let (mock, payouts, invoices) = month(sizes).await;
        let client = client(&mock);
        mock.reset_stats();
        let mut payout_ids = Vec::new();
        let mut all = client.payouts().list().limit(PAGE as u32).stream();
        while let Some(payout) = all.try_next().await.expect("payouts") {
            payout_ids.push(payout.id().clone());
        }
        let mut paid_by: HashMap<String, String> = HashMap::new();
        let mut settled = Vec::new();
        for payout in &payout_ids {
            for payment in client
                .payouts()
                .payments(payout.clone())
                .send()
                .await
                .expect("payments")
            {
                settled.push((
                    payout.clone(),
                    payment.id().to_string(),
                    payment.customer_id().cloned(),
                ));
            }
        }
        if naive {
            // Per payment: its customer's invoices, and each one's payments
            // until the payment shows up.
            for (_, payment, customer) in &settled {
                let customer = customer.clone().expect("a customer");
                let mut invoices = client
                    .invoices()
                    .list()
                    .customer_id(customer)
                    .limit(PAGE as u32)
                    .stream();
                while let Some(invoice) = invoices.try_next().await.expect("invoices") {
                    if payments_of(&client, &invoice)
                        .await
                        .iter()
                        .any(|p| p.id().as_str() == payment)
                    {
                        paid_by.insert(payment.clone(), invoice.id().to_string());
                        break;
                    }
                }
            }
        } else {
            // Once: every paid invoice, and each one's payments.
            let mut paid = client
                .invoices()
                .list()
                .status("paid")
                .limit(PAGE as u32)
                .stream();
            while let Some(invoice) = paid.try_next().await.expect("invoices") {
                for payment in &payments_of(&client, &invoice).await {
                    paid_by.insert(payment.id().to_string(), invoice.id().to_string());
                }
            }
        }
        assert!(
            settled.iter().all(|(_, p, _)| paid_by.contains_key(p)),
            "every payment reconciled"
        );
        out.push(Row {
            task: task.clone(),
            way: if naive {
                "per payment: its customer's invoices, each one's payments until found"
            } else {
                "payouts, their payments, then paid invoices once with payments?invoice_id"
            },
            requests: mock.stats().requests,
            // The payout list, one transaction list per payout, the paid
            // invoices' list, one payment list per invoice.
            minimum: pages(payouts) + payouts as u64 + pages(invoices) + invoices as u64,
        });
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| task | way | requests | minimum | ratio | at 5 requests/s |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        let seconds = row.requests as f64 / 5.0;
        let time = if seconds >= 3600.0 {
            format!("{:.1} h", seconds / 3600.0)
        } else if seconds >= 60.0 {
            format!("{:.1} min", seconds / 60.0)
        } else {
            format!("{seconds:.0} s")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {time} |",
            row.task,
            row.way,
            row.requests,
            row.minimum,
            row.ratio()
        );
    }
    out
}

const BEGIN: &str =
    "<!-- tasks: begin (cargo bench -p alternative-payments --bench tasks -- --write) -->\n";
const END: &str = "<!-- tasks: end -->\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let write = args.iter().any(|a| a == "--write");
    let sizes = if smoke { &SMOKE } else { &FULL };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut rows = Vec::new();
    runtime.block_on(async {
        import(sizes, &mut rows).await;
        export(sizes, &mut rows).await;
        reconcile(sizes, &mut rows).await;
    });
    let table = table(&rows);
    print!("{table}");
    let sdk_ways = [
        "CustomerIndex + upsert_by_external_id",
        "list stream + payment_methods(id).list() each (the API has no expand: the SDK adds nothing)",
        "payouts, their payments, then paid invoices once with payments?invoice_id",
    ];
    let over: Vec<&Row> = rows
        .iter()
        .filter(|r| sdk_ways.contains(&r.way) && r.ratio() > GOAL)
        .collect();
    if write {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/benchmarks.md");
        let doc = std::fs::read_to_string(path).expect("docs/benchmarks.md");
        let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
            panic!("docs/benchmarks.md has no tasks section markers");
        };
        let section = format!("{BEGIN}\n{table}\n{END}");
        let new = format!("{}{section}{}", &doc[..begin], &doc[end + END.len()..]);
        // Written whole, then renamed: never half a file.
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, new).expect("write");
        std::fs::rename(&tmp, path).expect("rename");
        println!("wrote docs/benchmarks.md");
    }
    if !over.is_empty() {
        for row in over {
            eprintln!(
                "over the goal of {GOAL}x: {} ({:.3}x)",
                row.task,
                row.ratio()
            );
        }
        std::process::exit(1);
    }
}
