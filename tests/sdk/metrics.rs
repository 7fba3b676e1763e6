//! Metrics through OpenTelemetry (issue #32, the `opentelemetry` feature),
//! read back with the OpenTelemetry SDK's in-memory exporter:
//! `http.client.request.duration` per attempt with the conventions'
//! attributes, 429s counted, limiter waits measured, no secret anywhere.

use alternative_payments::{Client, Credentials, RateLimit};
use alternative_payments_mock::{MockResponse, MockServer};
use opentelemetry::Value;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

/// A data point's attributes as text.
fn attributes<'a>(kvs: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = kvs
        .map(|kv| {
            let value = match &kv.value {
                Value::I64(i) => i.to_string(),
                other => other.as_str().into_owned(),
            };
            (kv.key.as_str().to_string(), value)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn attempts_429s_and_limiter_waits_are_recorded_with_the_conventions_attributes() {
    let servers = tokio::runtime::Runtime::new().expect("runtime");
    let mock = servers.block_on(MockServer::start()).expect("mock");
    let id = mock.create_customer(serde_json::json!({ "name": "Acme" }));
    mock.enqueue(
        "getCustomer",
        [MockResponse::status(429).header("retry-after", "0")],
    )
    .expect("queued");
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let client = Client::builder()
        .credentials(Credentials::client_credentials(
            mock.client_id(),
            mock.client_secret(),
        ))
        .base_url(mock.base_url())
        // 20/s with a burst of 2: the later of 6 calls wait their turn.
        .rate_limit(RateLimit::per_second(20.0).burst(2))
        .meter(provider.meter("test"))
        .build()
        .expect("client");
    servers.block_on(async {
        for _ in 0..6 {
            client
                .customers()
                .get(id.as_str())
                .send()
                .await
                .expect("got");
        }
    });
    provider.force_flush().expect("flushed");
    let exported = exporter.get_finished_metrics().expect("metrics");
    let metrics: Vec<_> = exported
        .iter()
        .flat_map(|r| r.scope_metrics())
        .flat_map(|s| s.metrics())
        .collect();
    let named = |name: &str| {
        metrics
            .iter()
            .rev()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| {
                panic!(
                    "no {name} in {:?}",
                    metrics.iter().map(|m| m.name()).collect::<Vec<_>>()
                )
            })
    };

    let duration = named("http.client.request.duration");
    assert_eq!(duration.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = duration.data() else {
        panic!("a histogram: {:?}", duration.data());
    };
    let port = mock
        .base_url()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let mut points: Vec<(Vec<(String, String)>, u64)> = histogram
        .data_points()
        .map(|p| (attributes(p.attributes()), p.count()))
        .collect();
    points.sort();
    let base = |status: &str| -> Vec<(String, String)> {
        let mut kv = vec![
            ("http.request.method".to_string(), "GET".to_string()),
            ("http.response.status_code".to_string(), status.to_string()),
            ("server.address".to_string(), "127.0.0.1".to_string()),
            ("server.port".to_string(), port.clone()),
            ("url.template".to_string(), "/customers/{id}".to_string()),
        ];
        if status != "200" {
            kv.insert(0, ("error.type".to_string(), status.to_string()));
        }
        kv
    };
    assert_eq!(points, [(base("429"), 1), (base("200"), 6)]);

    let limited = named("alternative_payments.rate_limited");
    let AggregatedMetrics::U64(MetricData::Sum(sum)) = limited.data() else {
        panic!("a sum: {:?}", limited.data());
    };
    assert_eq!(sum.data_points().map(|p| p.value()).sum::<u64>(), 1);

    let wait = named("alternative_payments.rate_limit.wait");
    let AggregatedMetrics::F64(MetricData::Histogram(waits)) = wait.data() else {
        panic!("a histogram: {:?}", wait.data());
    };
    let (count, total): (u64, f64) = waits
        .data_points()
        .fold((0, 0.0), |(c, t), p| (c + p.count(), t + p.sum()));
    assert_eq!(count, 7, "every attempt took its turn");
    assert!(total > 0.05, "the later attempts waited: {total} s");

    let shown = format!("{exported:?}");
    assert!(
        !shown.contains(mock.client_secret()),
        "the secret in the metrics"
    );
}
