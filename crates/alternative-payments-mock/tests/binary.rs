//! The `alternative-payments-mock` binary serves the API and says how to
//! reach it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Running(Child);

/// An access token from the mock at `base_url` for the client `id`.
async fn token(http: &reqwest::Client, base_url: &str, id: &str, secret: &str) -> String {
    let body: serde_json::Value = http
        .post(format!("{base_url}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    body["access_token"].as_str().expect("token").to_string()
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_url_and_credentials_and_serves_demo_data() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alternative-payments-mock"))
        .args(["--port", "0", "--seed", "demo"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut next = || lines.next().expect("a line").expect("utf-8");
    let first = next();
    let base_url = first.rsplit(' ').next().expect("url").to_string();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first}");
    let id = next().rsplit(' ').next().expect("id").to_string();
    let secret = next()
        .split_whitespace()
        .nth(2)
        .expect("secret")
        .to_string();
    assert_eq!(
        (id.as_str(), secret.as_str()),
        ("demo-client", "demo-secret")
    );

    let http = reqwest::Client::new();
    let bearer = token(&http, &base_url, &id, &secret).await;
    let page: serde_json::Value = http
        .get(format!("{base_url}/customers"))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(page["data"].as_array().expect("data").len(), 12);

    // The API's documented limit is on: 5 at once, then 429.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = http
            .get(format!("{base_url}/customers?limit=1"))
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("list");
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert_eq!(response.headers()["retry-after"], "1");
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
    }
    // One request of the 5 went to the page above.
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(statuses[4..], [429, 429, 429, 429], "{statuses:?}");
}

/// Paused time: the in-process mock's buckets run on this test's clock.
#[tokio::test(start_paused = true)]
async fn the_rate_limit_is_per_client_and_off_in_process_by_default() {
    use alternative_payments_mock::MockServer;
    let mock = MockServer::builder()
        .client("a", "sa", &["read"])
        .client("b", "sb", &["read"])
        .start()
        .await
        .expect("mock");
    let http = reqwest::Client::new();
    let (a, b) = (
        token(&http, mock.base_url(), "a", "sa").await,
        token(&http, mock.base_url(), "b", "sb").await,
    );
    let get = |bearer: String| {
        let request = http
            .get(format!("{}/customers", mock.base_url()))
            .bearer_auth(bearer);
        async move { request.send().await.expect("list").status().as_u16() }
    };
    for _ in 0..20 {
        assert_eq!(get(a.clone()).await, 200, "off by default");
    }
    // One request in 10 s: the third is refused however slow the machine
    // (at 2/s, a loaded one could take the half second a token needs).
    mock.set_rate_limit(Some(0.1));
    let a_statuses = [get(a.clone()).await, get(a.clone()).await];
    assert_eq!(a_statuses, [200, 429]);
    assert_eq!(get(b.clone()).await, 200, "b has a bucket of its own");
    // Two seconds on, a's bucket holds 0.2 of a request: refused again,
    // outside the first second of its use.
    tokio::time::advance(std::time::Duration::from_secs(2)).await;
    assert_eq!(get(a.clone()).await, 429);
    let stats = mock.stats();
    assert_eq!(
        (
            stats.requests,
            stats.rate_limited,
            stats.rate_limited_first_second
        ),
        (24, 2, 1)
    );
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_alternative-payments-mock"))
        .args(["--port", "seventy"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: --port: \"seventy\" is not a port number\nusage:"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_request_log_keeps_only_the_most_recent_requests() {
    let mock = alternative_payments_mock::MockServer::builder()
        .request_log_limit(3)
        .start()
        .await
        .expect("mock");
    let http = reqwest::Client::new();
    for i in 0..5 {
        http.get(format!("{}/customers?n={i}", mock.base_url()))
            .send()
            .await
            .expect("request");
    }
    let queries: Vec<_> = mock
        .requests()
        .into_iter()
        .filter_map(|r| r.query)
        .collect();
    assert_eq!(queries, ["n=2", "n=3", "n=4"]);
}
