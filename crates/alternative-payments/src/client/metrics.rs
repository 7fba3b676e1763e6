//! Metrics through the OpenTelemetry API (the `opentelemetry` feature): the
//! HTTP client conventions' `http.client.request.duration`, and what
//! explains a slow call under the key's limit, 429 answers and the time
//! attempts waited for their turn. The application's meter provider (or the
//! one given to `ClientBuilder::meter`) exports them.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};

/// The client's instruments.
pub(crate) struct Metrics {
    duration: Histogram<f64>,
    rate_limited: Counter<u64>,
    wait: Histogram<f64>,
}

/// One attempt, as the metrics describe it.
pub(crate) struct Attempt<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a reqwest::Url,
    pub(crate) template: Option<&'static str>,
    pub(crate) status: Option<u16>,
    pub(crate) error_type: Option<String>,
    pub(crate) elapsed: Duration,
}

impl Metrics {
    pub(crate) fn new(meter: &Meter) -> Self {
        Self {
            // The conventions' instrument, with their advised boundaries.
            duration: meter
                .f64_histogram("http.client.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP client requests.")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                ])
                .build(),
            rate_limited: meter
                .u64_counter("alternative_payments.rate_limited")
                .with_unit("{response}")
                .with_description("Answers of 429 Too Many Requests: the API's limit was reached.")
                .build(),
            wait: meter
                .f64_histogram("alternative_payments.rate_limit.wait")
                .with_unit("s")
                .with_description(
                    "Time an attempt waited for its turn in the client's rate limiter.",
                )
                .build(),
        }
    }

    pub(crate) fn attempt(&self, attempt: &Attempt<'_>) {
        let mut attributes = vec![
            KeyValue::new("http.request.method", attempt.method.to_string()),
            KeyValue::new(
                "server.address",
                attempt.url.host_str().unwrap_or_default().to_string(),
            ),
        ];
        if let Some(port) = attempt.url.port_or_known_default() {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        if let Some(template) = attempt.template {
            attributes.push(KeyValue::new("url.template", template));
        }
        if let Some(status) = attempt.status {
            attributes.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
            if status == 429 {
                self.rate_limited.add(1, &attributes);
            }
        }
        if let Some(error_type) = &attempt.error_type {
            attributes.push(KeyValue::new("error.type", error_type.clone()));
        }
        self.duration
            .record(attempt.elapsed.as_secs_f64(), &attributes);
    }

    pub(crate) fn waited(&self, waited: Duration, template: Option<&'static str>) {
        let attributes: Vec<KeyValue> = template
            .map(|t| KeyValue::new("url.template", t))
            .into_iter()
            .collect();
        self.wait.record(waited.as_secs_f64(), &attributes);
    }
}
