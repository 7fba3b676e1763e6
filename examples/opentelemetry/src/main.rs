//! The SDK's spans and metrics, exported to an OpenTelemetry collector over
//! OTLP/HTTP (`http://localhost:4318` unless `OTEL_EXPORTER_OTLP_ENDPOINT`
//! says otherwise): `tracing-opentelemetry` turns the SDK's `tracing` spans
//! (named and described by the HTTP client conventions) into OpenTelemetry
//! spans, and the SDK's `opentelemetry` feature records its metrics through
//! the global meter provider.
//!
//! ```sh
//! ALTERNATIVE_PAYMENTS_CLIENT_ID=... ALTERNATIVE_PAYMENTS_CLIENT_SECRET=... \
//!   cargo run --manifest-path examples/opentelemetry/Cargo.toml
//! ```

use alternative_payments::Client;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{MetricExporter, SpanExporter};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let resource = Resource::builder()
        .with_service_name("billing-sync")
        .build();

    // Traces: the SDK's call, attempt and token spans.
    let tracer_provider = SdkTracerProvider::builder()
        .with_batch_exporter(SpanExporter::builder().with_http().build()?)
        .with_resource(resource.clone())
        .build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("billing-sync")))
        .init();

    // Metrics: http.client.request.duration, 429s, limiter waits.
    let meter_provider = SdkMeterProvider::builder()
        .with_periodic_exporter(MetricExporter::builder().with_http().build()?)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_meter_provider(meter_provider.clone());

    // The client records through the global meter provider by default
    // (`ClientBuilder::meter` gives it another).
    let client = Client::from_env()?;
    let page = client.customers().list().limit(10).send().await?;
    println!("{} customers", page.items().len());

    tracer_provider.shutdown()?;
    meter_provider.shutdown()?;
    Ok(())
}
