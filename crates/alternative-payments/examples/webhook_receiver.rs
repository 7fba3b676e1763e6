//! A webhook receiver (axum): verifies each delivery's bearer secret with
//! the SDK's `WebhookVerifier`, answers 401 to one that does not match, and
//! hands each event to the application once, however often it arrives.
//!
//! ```sh
//! cargo run --example webhook_receiver
//! ```
//!
//! With no arguments it runs against the embedded mock: subscribes itself,
//! makes a customer and an invoice and pays it, and prints what it received.
//! To serve deliveries of the real API (behind your HTTPS proxy):
//!
//! ```sh
//! ALTPAY_WEBHOOK_SECRETS=whsec_old,whsec_new cargo run --example webhook_receiver -- --listen 127.0.0.1:8080
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use alternative_payments::types::{Invoice, NewWebhookSubscription, WebhookTopic};
use alternative_payments::webhook::{WebhookError, WebhookEvent, WebhookVerifier};
use alternative_payments::{Client, Credentials};
use alternative_payments_mock::MockServer;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::mpsc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Where deliveries arrive.
pub const PATH: &str = "/webhooks/alternative-payments";

struct Receiver {
    verifier: WebhookVerifier,
    /// Ids of the events handed on: a delivery can arrive more than once.
    seen: Mutex<HashSet<String>>,
    events: mpsc::UnboundedSender<WebhookEvent>,
}

/// The receiver's routes: each new, verified event goes to `events`.
pub fn router(verifier: WebhookVerifier, events: mpsc::UnboundedSender<WebhookEvent>) -> Router {
    let receiver = Arc::new(Receiver {
        verifier,
        seen: Mutex::default(),
        events,
    });
    Router::new()
        .route(PATH, post(receive))
        // axum's own limit, before the body is read; the verifier's is 1 MiB.
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .with_state(receiver)
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let event = match receiver.verifier.verify(&headers, &body) {
        Ok(event) => event,
        // The error names what was wrong, never the secret: safe to log.
        Err(
            e @ (WebhookError::MissingAuthorization
            | WebhookError::NotBearer
            | WebhookError::MalformedAuthorization
            | WebhookError::WrongSecret),
        ) => {
            eprintln!("refused a delivery: {e}");
            return StatusCode::UNAUTHORIZED;
        }
        Err(e) => {
            eprintln!("refused a delivery: {e}");
            return StatusCode::BAD_REQUEST;
        }
    };
    let first_time = match event.id() {
        Some(id) => receiver
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string()),
        None => true,
    };
    if first_time {
        let _ = receiver.events.send(event);
    }
    // 2xx: delivered (a duplicate too, so the sender stops retrying it).
    StatusCode::OK
}

/// Serves `router` on `address` (port 0: any free one); its base URL.
pub async fn serve(address: &str, router: Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(address)) = (args.next(), args.next())
        && flag == "--listen"
    {
        let secrets = std::env::var("ALTPAY_WEBHOOK_SECRETS").map_err(
            |_| "set ALTPAY_WEBHOOK_SECRETS to your subscriptions' secrets, comma-separated",
        )?;
        let verifier = WebhookVerifier::new(secrets.split(','))?;
        let (events, mut received) = mpsc::unbounded_channel();
        let url = serve(&address, router(verifier, events)).await?;
        println!("receiving at {url}{PATH}");
        while let Some(event) = received.recv().await {
            println!(
                "{} {}",
                event.topic().as_str(),
                event.id().unwrap_or("(no id)")
            );
        }
        return Ok(());
    }
    demo().await
}

/// Against the embedded mock: subscribe, cause three events, receive them.
async fn demo() -> Result<()> {
    let mock = MockServer::start().await?;
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        .build()?;
    let secret = "whsec-demo-1f2e3d";
    let (events, mut received) = mpsc::unbounded_channel();
    let url = serve(
        "127.0.0.1:0",
        router(WebhookVerifier::new([secret])?, events),
    )
    .await?;
    println!("receiving at {url}{PATH}");
    for topic in [WebhookTopic::InvoiceCreated, WebhookTopic::InvoicePaid] {
        let new = NewWebhookSubscription::builder()
            .endpoint_url(format!("{url}{PATH}"))
            .topic(topic)
            .secret_key(secret);
        client.webhooks().create(new).send().await?;
    }

    let customer = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    let invoice = mock.create_invoice(serde_json::json!({
        "customer_id": customer,
        "line_items": [{ "description": "Managed services, December", "amount": 120.5, "quantity": 1 }],
    }))?;
    mock.create_payment(serde_json::json!({ "invoice_id": invoice }))?;

    // Deliveries are concurrent: they may arrive in any order.
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(received.recv().await.ok_or("the receiver stopped")?);
    }
    got.sort_by(|a, b| a.id().cmp(&b.id()));
    for event in got {
        let invoice: Invoice = event.data_as()?;
        println!(
            "received {} ({}): invoice {} is {}",
            event.topic().as_str(),
            event.id().unwrap_or("no id"),
            invoice.id(),
            invoice.status().unwrap_or("?"),
        );
    }

    // A forged delivery: refused, and nothing reaches the application.
    let forged = reqwest::Client::new()
        .post(format!("{url}{PATH}"))
        .bearer_auth("guessed-secret")
        .body(r#"{"topic":"invoice_paid","data":{}}"#)
        .send()
        .await?;
    println!("a forged delivery got {}", forged.status());
    Ok(())
}
