//! Looking customers up without rescanning (issue #31): the index reads the
//! list once, survives a list that changes under it and a failed page, and
//! catches up; an upsert reports every row and creates nothing twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use alternative_payments::types::NewCustomer;
use alternative_payments::{CustomerIndex, Hook, HookResponse, RetryPolicy};
use alternative_payments_mock::{MockResponse, MockServer};
use serde_json::json;

use super::{mock, sdk};

const LIST: &str = "listCustomers";

/// `n` customers `crm-0`, `crm-1`, ... with emails `C<i>@Example.test`.
fn seed(mock: &MockServer, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            mock.create_customer(json!({
                "name": format!("Customer {i}"),
                "external_id": format!("crm-{i}"),
                "email": format!("C{i}@Example.test"),
            }))
        })
        .collect()
}

fn row(name: &str, external_id: Option<&str>) -> NewCustomer {
    let mut builder = NewCustomer::builder().name(name);
    if let Some(external_id) = external_id {
        builder = builder.external_id(external_id);
    }
    builder.try_into().expect("a valid row")
}

#[tokio::test]
async fn the_index_reads_the_list_once_and_answers_from_memory() {
    let mock = mock().await;
    seed(&mock, 250);
    let client = sdk(&mock);
    let mut index = CustomerIndex::new();
    index.load(&client).await.expect("loaded");
    assert_eq!(index.len(), 250);
    assert_eq!(
        mock.requests_to(LIST).len(),
        3,
        "250 customers in pages of 100"
    );
    assert_eq!(index.requests(), 3);
    assert_eq!(client.requests_sent(), 3, "the client counts what it sent");
    for i in [0, 99, 100, 249] {
        let found = index.by_external_id(&format!("crm-{i}"));
        assert_eq!(found.len(), 1, "crm-{i}");
        assert_eq!(found[0].name(), Some(format!("Customer {i}").as_str()));
    }
    // Emails compare trimmed and ignoring case.
    assert_eq!(index.by_email("  c42@example.TEST ").len(), 1);
    assert!(index.by_external_id("crm-250").is_empty());
    assert_eq!(mock.requests_to(LIST).len(), 3, "lookups send nothing");
}

/// Changes the account after the first page of the list arrives.
struct ChangeAfterFirstPage {
    mock: Arc<MockServer>,
    done: AtomicBool,
    archive: String,
}

impl Hook for ChangeAfterFirstPage {
    fn on_response(&self, response: &HookResponse<'_>) -> Result<(), String> {
        if response.operation() == "list_customers" && !self.done.swap(true, Ordering::SeqCst) {
            for i in 0..5 {
                self.mock
                    .create_customer(json!({ "name": "new", "external_id": format!("late-{i}") }));
            }
            self.mock
                .set_archived(&self.archive, true)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_list_that_changes_during_the_scan_misses_no_customer_and_doubles_none() {
    let mock = Arc::new(mock().await);
    let ids = seed(&mock, 250);
    let hook = ChangeAfterFirstPage {
        mock: mock.clone(),
        done: AtomicBool::new(false),
        archive: ids[150].clone(),
    };
    let client = alternative_payments_test_support::sdk_builder(&mock)
        .hook(hook)
        .build()
        .expect("client");
    let mut index = CustomerIndex::new();
    index.load(&client).await.expect("loaded");
    // 250 + 5 created during the scan - 1 archived before its page.
    assert_eq!(index.len(), 254);
    assert!(
        index.by_external_id("crm-150").is_empty(),
        "archived before read"
    );
    for i in 0..5 {
        assert_eq!(index.by_external_id(&format!("late-{i}")).len(), 1);
    }
    let mut seen: Vec<String> = index
        .customers()
        .iter()
        .map(|c| c.id().to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 254, "no customer held twice");
}

#[tokio::test]
async fn a_scan_cut_by_an_error_resumes_where_it_stopped_and_catches_up_later() {
    let mock = mock().await;
    seed(&mock, 250);
    let client = alternative_payments_test_support::sdk_builder(&mock)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    // The second page fails.
    mock.enqueue(LIST, [MockResponse::pass(), MockResponse::status(503)])
        .expect("queued");
    let mut index = CustomerIndex::new();
    let error = index
        .load(&client)
        .await
        .expect_err("the second page failed");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(index.len(), 100, "the first page is kept");
    index.load(&client).await.expect("resumed");
    assert_eq!(index.len(), 250);
    let firsts = mock
        .requests_to(LIST)
        .iter()
        .filter(|r| !r.query.as_deref().unwrap_or_default().contains("after="))
        .count();
    assert_eq!(firsts, 1, "the first page was not read again");
    assert_eq!(
        mock.requests_to(LIST).len(),
        4,
        "2 pages, 1 failure, 1 page resumed"
    );
    assert_eq!(
        client.requests_sent(),
        4,
        "a failed attempt is a request too"
    );

    // Later: one created elsewhere is found by one catch-up request.
    mock.create_customer(json!({ "name": "elsewhere", "external_id": "crm-new" }));
    index.load(&client).await.expect("caught up");
    assert_eq!(index.by_external_id("crm-new").len(), 1);
    assert_eq!(index.len(), 251);
    assert_eq!(mock.requests_to(LIST).len(), 5);
}

#[tokio::test]
async fn an_upsert_reports_every_row_and_creates_nothing_twice() {
    let mock = MockServer::builder()
        .extra_rules(true)
        .start()
        .await
        .expect("mock");
    seed(&mock, 120);
    // The account has crm-7 twice already.
    mock.create_customer(json!({ "name": "Customer 7 again", "external_id": "crm-7" }));
    let client = sdk(&mock);
    let bad_email: NewCustomer = NewCustomer::builder()
        .name("Bad")
        .external_id("new-3")
        .email("not an email")
        .try_into()
        .expect("a row");
    let rows = vec![
        row("Existing", Some("crm-1")),
        row("New one", Some("new-1")),
        row("New one again", Some("new-1")),
        row("Ambiguous", Some("crm-7")),
        row("No id", None),
        row("New two", Some("new-2")),
        bad_email,
    ];
    let mut index = CustomerIndex::new();
    let report = client
        .customers()
        .upsert_by_external_id(&mut index, rows.clone())
        .await
        .expect("imported");
    let created: Vec<usize> = report.created.iter().map(|(row, _)| *row).collect();
    assert_eq!(created, [1, 5]);
    assert_eq!(report.existing.len(), 1);
    assert_eq!(report.existing[0].0, 0);
    assert_eq!(report.duplicate_in_input, [(2, 1)]);
    assert_eq!(report.ambiguous.len(), 1);
    assert_eq!((report.ambiguous[0].0, report.ambiguous[0].1.len()), (3, 2));
    let invalid: Vec<usize> = report.invalid.iter().map(|(row, _)| *row).collect();
    assert_eq!(invalid, [4, 6]);
    assert!(
        report.invalid[1].1.contains("email"),
        "{:?}",
        report.invalid
    );
    assert!(report.stopped.is_none());
    // 2 pages, then 3 creates (one refused): the minimum.
    assert_eq!(mock.requests_to("createCustomer").len(), 3);
    assert_eq!(report.requests, 5);

    // The same import again creates nothing: one catch-up read.
    let again = client
        .customers()
        .upsert_by_external_id(&mut index, rows)
        .await
        .expect("imported");
    assert!(again.created.is_empty());
    assert_eq!(again.existing.len(), 3);
    assert_eq!(
        mock.requests_to("createCustomer").len(),
        4,
        "only the refused row is sent again"
    );
    assert_eq!(again.requests, 2);
}

#[tokio::test]
async fn an_upsert_stops_at_a_failure_that_is_not_the_rows_and_says_where() {
    let mock = mock().await;
    let client = alternative_payments_test_support::sdk_builder(&mock)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    mock.enqueue(
        "createCustomer",
        [MockResponse::pass(), MockResponse::status(503)],
    )
    .expect("queued");
    let rows = vec![
        row("a", Some("a")),
        row("b", Some("b")),
        row("c", Some("c")),
    ];
    let mut index = CustomerIndex::new();
    let report = client
        .customers()
        .upsert_by_external_id(&mut index, rows)
        .await
        .expect("a report");
    assert_eq!(report.created.len(), 1);
    let (row, error) = report.stopped.as_ref().expect("stopped");
    assert_eq!(*row, 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        mock.requests_to("createCustomer").len(),
        2,
        "row c not attempted"
    );
}
