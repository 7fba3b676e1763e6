//! The hosted payment page in a real browser (issue #30): headless Chromium,
//! driven through chromedriver's WebDriver protocol (JSON over HTTP, so the
//! test needs no crate beyond reqwest), pays an invoice by card and a
//! payment request by ACH, and follows the redirect.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium
//! chromium-driver`); `#[ignore]`d in a plain `cargo test`, run by `.ci/run`.
//! `CHROMIUM` and `CHROMEDRIVER` name other binaries.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alternative_payments_mock::MockServer;
use serde_json::{Value, json};

const HOW: &str = "install chromium and chromedriver (Debian: apt-get install -y chromium chromium-driver), \
                   then run cargo test -p alternative-payments-tests browser -- --ignored";
/// The key WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Self {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = alternative_payments_test_support::free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}; {HOW}"));
        let mut driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _profile: tempfile::tempdir().expect("a profile directory"),
            session: None,
        };
        // Ready within 30 s, or it is not going to be.
        for _ in 0..300 {
            if let Ok(response) = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                && response.status().is_success()
            {
                driver.open().await;
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{binary} did not answer on port {port}; {HOW}");
    }

    /// A headless Chromium session, with the flags a closed network and a
    /// root user need.
    async fn open(&mut self) {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = format!("--user-data-dir={}", self._profile.path().display());
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", profile,
                ],
            },
        }}});
        let answer = self.call("POST", "/session", capabilities).await;
        let session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session ({answer}); {HOW}"));
        self.session = Some(session.to_string());
        // A click that submits a form returns before the next page is
        // there: finding an element waits up to 20 s for it to appear.
        self.call("POST", "/timeouts", json!({ "implicit": 20_000 }))
            .await;
    }

    /// One WebDriver command; its `value`.
    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = match &self.session {
            Some(session) => format!("{}/session/{session}{path}", self.url),
            None => format!("{}{path}", self.url),
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self
            .http
            .request(method, url)
            .timeout(Duration::from_secs(60));
        if !body.is_null() {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("chromedriver answers JSON");
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url })).await;
    }

    async fn current_url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The element `css` selects, or a panic naming it.
    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        match found[ELEMENT].as_str() {
            Some(element) => element.to_string(),
            None => panic!("no {css} on {}: {found}", self.current_url().await),
        }
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        let text = self
            .call("GET", &format!("/element/{element}/text"), Value::Null)
            .await;
        text.as_str().unwrap_or_default().to_string()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: apt-get install -y chromium chromium-driver; cargo test -p alternative-payments-tests browser -- --ignored"]
async fn a_payer_pays_on_the_hosted_page_in_a_real_browser() {
    let mock = MockServer::start().await.expect("mock");
    let client = crate::mock::sdk(&mock);
    let customer = mock.create_customer(json!({ "name": "Acme" }));
    let invoice = mock
        .create_invoice(json!({
            "customer_id": customer,
            "line_items": [{ "description": "Managed services", "amount": 120.5, "quantity": 1 }],
        }))
        .expect("invoice");
    let link = client
        .invoices()
        .payment_link(invoice.as_str())
        .send()
        .await
        .expect("link");
    let link = link.url().expect("a url").to_string();

    let browser = Driver::start().await;
    // An invoice, by card: the page shows what is due, the receipt (found
    // once the next page is there) what was paid.
    browser.go(&link).await;
    assert_eq!(browser.text("#amount").await, "120.50 USD");
    assert_eq!(browser.text("#status").await, "open");
    browser.click("#pay-card").await;
    let receipt = browser.text("#receipt").await;
    assert!(receipt.starts_with("Paid 120.50 USD by card"), "{receipt}");
    let paid = client
        .invoices()
        .get(invoice.as_str())
        .send()
        .await
        .expect("invoice");
    assert_eq!(paid.status(), Some("paid"));

    // A payment request, declined once, then by ACH: back to redirect_url
    // (here the paid invoice's page, a page the test knows).
    let request = mock.create_payment_request(json!({
        "amount": "49.99",
        "redirect_url": link,
    }));
    browser
        .go(&format!("{}/pay/{request}", mock.base_url()))
        .await;
    browser.click("#decline").await;
    assert!(browser.text("#notice").await.contains("declined"));
    browser.click("#pay-ach").await;
    let landed = format!("{link}?status=paid");
    for _ in 0..200 {
        if browser.current_url().await == landed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.current_url().await, landed);
    assert_eq!(
        browser.text("#id").await,
        invoice,
        "the page after the redirect"
    );
    let got = client
        .payment_requests()
        .get(request.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(got.status(), Some("paid"));
    // Two charges in all (the decline charged nothing), three payments.
    let statuses: Vec<String> = client
        .payments()
        .list()
        .send()
        .await
        .expect("payments")
        .items()
        .iter()
        .map(|p| p.status().unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses, ["succeeded", "failed", "succeeded"]);
    browser.call("DELETE", "", Value::Null).await;
}
