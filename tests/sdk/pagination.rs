//! Cursor pagination: pages both ways, streams, prefetch, loop guards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alternative_payments::Error;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{client, customer, requests_to, server};

/// Serves `total` customers with real cursor pagination. Cursors look like
/// the provider's (`+`, `/` and `=` included) and encode the position.
#[derive(Clone)]
struct Customers {
    total: usize,
    served: Arc<AtomicUsize>,
}

fn cursor(index: usize) -> String {
    format!("gaFp+{index}/x=")
}

fn index(cursor: &str) -> usize {
    cursor
        .strip_prefix("gaFp+")
        .and_then(|c| c.strip_suffix("/x="))
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| panic!("cursor {cursor:?} arrived altered"))
}

impl Respond for Customers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::SeqCst);
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let limit: usize = get("limit").map_or(100, |l| l.parse().expect("limit"));
        let (start, end) = match (get("after"), get("before")) {
            (Some(after), _) => (
                index(&after) + 1,
                (index(&after) + 1 + limit).min(self.total),
            ),
            (None, Some(before)) => (index(&before).saturating_sub(limit), index(&before)),
            (None, None) => (0, limit.min(self.total)),
        };
        let data: Vec<Value> = (start..end)
            .map(|i| customer(&format!("cus_{i:03}")))
            .collect();
        let body = json!({
            "data": data,
            "has_next_page": end < self.total,
            "has_previous_page": start > 0,
            "start_cursor": (start < end).then(|| cursor(start)),
            "end_cursor": (start < end).then(|| cursor(end - 1)),
        });
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn paginated(total: usize) -> (MockServer, Arc<AtomicUsize>) {
    let (server, _) = server().await;
    let served = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/customers"))
        .respond_with(Customers {
            total,
            served: served.clone(),
        })
        .mount(&server)
        .await;
    (server, served)
}

fn ids(items: &[alternative_payments::types::Customer]) -> Vec<String> {
    items.iter().map(|c| c.id.to_string()).collect()
}

#[tokio::test]
async fn pages_forward_and_backward_keep_filters_and_page_size() {
    let (server, _) = paginated(10).await;
    let client = client(&server);
    let first = client
        .customers()
        .list()
        .company_name("Acme & Sons")
        .created_after(datetime!(2026-01-01 0:00 UTC))
        .created_before(datetime!(2026-12-31 23:59:59.5 +01:00))
        .limit(4)
        .send()
        .await
        .expect("page 1");
    assert_eq!(
        ids(first.items()),
        ["cus_000", "cus_001", "cus_002", "cus_003"]
    );
    assert!(first.has_next_page() && !first.has_previous_page());
    assert_eq!(first.end_cursor(), Some("gaFp+3/x="));

    let second = first.next_page().await.expect("page 2").expect("exists");
    let third = second.next_page().await.expect("page 3").expect("exists");
    assert_eq!(ids(third.items()), ["cus_008", "cus_009"]);
    assert!(!third.has_next_page());
    assert!(third.next_page().await.expect("no page 4").is_none());

    let back = third.previous_page().await.expect("back").expect("exists");
    assert_eq!(ids(back.items()), ids(second.items()));
    let front = back.previous_page().await.expect("front").expect("exists");
    assert_eq!(ids(front.items()), ids(first.items()));
    assert!(front.previous_page().await.expect("none").is_none());

    let requests = requests_to(&server, "/customers").await;
    assert_eq!(requests.len(), 5);
    for request in &requests {
        let query = request.url.query().expect("query");
        for expected in [
            "company_name=Acme+%26+Sons",
            "created_at_start=2026-01-01T00%3A00%3A00Z",
            "created_at_end=2026-12-31T23%3A59%3A59.5%2B01%3A00",
            "limit=4",
        ] {
            assert!(query.contains(expected), "{expected} missing from {query}");
        }
    }
    // Opaque cursors travel escaped and arrive intact (index() checks).
    assert!(
        requests[1]
            .url
            .query()
            .expect("q")
            .contains("after=gaFp%2B3%2Fx%3D")
    );
    assert!(
        requests[3]
            .url
            .query()
            .expect("q")
            .contains("before=gaFp%2B8%2Fx%3D")
    );
}

#[tokio::test]
async fn stream_yields_every_item_across_pages_in_order() {
    let (server, served) = paginated(23).await;
    let all: Vec<_> = client(&server)
        .customers()
        .list()
        .limit(5)
        .stream()
        .try_collect()
        .await
        .expect("all");
    let expected: Vec<String> = (0..23).map(|i| format!("cus_{i:03}")).collect();
    assert_eq!(ids(&all), expected);
    assert_eq!(served.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn pages_stream_and_max_items() {
    let (server, served) = paginated(50).await;
    let client = client(&server);
    let pages: Vec<_> = client
        .customers()
        .list()
        .limit(10)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 5);
    assert!(pages.iter().all(|p| p.items().len() == 10));

    served.store(0, Ordering::SeqCst);
    let some: Vec<_> = client
        .customers()
        .list()
        .limit(10)
        .max_items(15)
        .stream()
        .try_collect()
        .await
        .expect("15");
    assert_eq!(some.len(), 15);
    assert_eq!(
        served.load(Ordering::SeqCst),
        2,
        "no page fetched beyond the 15 items wanted"
    );
}

#[tokio::test]
async fn the_stream_prefetches_at_most_one_page_ahead() {
    let (server, served) = paginated(100).await;
    let mut stream = client(&server).customers().list().limit(10).stream();
    let first = stream.next().await.expect("item").expect("ok");
    assert_eq!(first.id, "cus_000");
    // While the caller holds item 1 of page 1, page 2 is fetched, page 3 not.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(served.load(Ordering::SeqCst), 2);
    for _ in 0..10 {
        stream.next().await.expect("item").expect("ok");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        served.load(Ordering::SeqCst),
        3,
        "now on page 2: page 3 is prefetched"
    );
    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        served.load(Ordering::SeqCst),
        3,
        "dropping the stream stops fetching"
    );
}

#[tokio::test]
async fn users_are_paginated_too() {
    let (server, _) = server().await;
    for (after, users, next) in [
        (None, ["u1", "u2"], Some("c+2=")),
        (Some("c+2="), ["u3", "u4"], None),
    ] {
        let mut mock = Mock::given(method("GET")).and(path("/customers/cus_1/users"));
        if let Some(after) = after {
            mock = mock.and(wiremock::matchers::query_param("after", after));
        } else {
            mock = mock.and(wiremock::matchers::query_param_is_missing("after"));
        }
        let data: Vec<Value> = users
            .iter()
            .map(|u| json!({ "id": u, "email": format!("{u}@x.test") }))
            .collect();
        mock.respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": data, "has_next_page": next.is_some(), "has_previous_page": after.is_some(),
            "start_cursor": "s", "end_cursor": next.unwrap_or("c+4="),
        })))
        .mount(&server)
        .await;
    }
    let users: Vec<_> = client(&server)
        .customers()
        .users("cus_1")
        .list()
        .limit(2)
        .stream()
        .try_collect()
        .await
        .expect("users");
    let ids: Vec<_> = users.iter().map(|u| u.id.clone()).collect();
    assert_eq!(ids, ["u1", "u2", "u3", "u4"]);
}

async fn server_returning(pages: Vec<Value>) -> MockServer {
    let (server, _) = server().await;
    let pages = Arc::new(pages);
    let n = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/customers"))
        .respond_with(move |_: &Request| {
            let i = n.fetch_add(1, Ordering::SeqCst).min(pages.len() - 1);
            ResponseTemplate::new(200).set_body_json(pages[i].clone())
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_an_error() {
    let page = json!({ "data": [customer("cus_1")], "has_next_page": true, "end_cursor": "same" });
    let server = server_returning(vec![page]).await;
    let results: Vec<_> = client(&server).customers().list().stream().collect().await;
    assert_eq!(results.len(), 3, "two items, then the error, then the end");
    let err = results[2].as_ref().expect_err("loop detected");
    assert!(
        matches!(
            err,
            Error::Pagination {
                operation: "list_customers",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "list_customers: pagination stopped: the server returned cursor \"same\" twice; stopping instead of looping"
    );
    assert_eq!(requests_to(&server, "/customers").await.len(), 2);
}

#[tokio::test]
async fn a_next_page_without_a_cursor_ends_the_stream_with_an_error() {
    let page = json!({ "data": [customer("cus_1")], "has_next_page": true });
    let server = server_returning(vec![page]).await;
    let results: Vec<_> = client(&server).customers().list().stream().collect().await;
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[1].as_ref().expect_err("no cursor").to_string(),
        "list_customers: pagination stopped: the server set has_next_page but sent no end_cursor"
    );
    let first = client(&server)
        .customers()
        .list()
        .send()
        .await
        .expect("page");
    let err = first.next_page().await.expect_err("no cursor");
    assert!(matches!(err, Error::Pagination { .. }));
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_after_the_items_before_it() {
    let (server, _) = server().await;
    Mock::given(path("/customers"))
        .and(wiremock::matchers::query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [customer("cus_1")], "has_next_page": true, "end_cursor": "c1" })))
        .mount(&server)
        .await;
    Mock::given(path("/customers"))
        .and(wiremock::matchers::query_param("after", "c1"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({ "code": "bad_cursor", "message": "cursor expired" })),
        )
        .mount(&server)
        .await;
    let results: Vec<_> = client(&server).customers().list().stream().collect().await;
    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().expect_err("400");
    assert_eq!(
        err.api().and_then(|a| a.code.as_deref()),
        Some("bad_cursor")
    );
}

#[tokio::test]
async fn a_page_size_below_one_is_refused_before_sending() {
    let (server, _) = server().await;
    let client = client(&server);
    let err = client
        .customers()
        .list()
        .limit(0)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "invalid argument: limit (page size) must be at least 1"
    );
    let results: Vec<_> = client.customers().list().limit(0).stream().collect().await;
    assert!(matches!(
        results.as_slice(),
        [Err(Error::InvalidArgument(_))]
    ));
    let results: Vec<_> = client
        .customers()
        .users("cus_1")
        .list()
        .limit(0)
        .pages()
        .collect()
        .await;
    assert!(matches!(
        results.as_slice(),
        [Err(Error::InvalidArgument(_))]
    ));
    assert!(server.received_requests().await.expect("on").is_empty());
}
