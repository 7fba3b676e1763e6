//! The generated client's hooks: what each attempt's request gets (user
//! agent, timeout, credentials) and how it is sent once (status, error
//! bodies and oversized bodies recorded for the call).

use std::sync::Arc;

use alternative_payments_raw as raw;
use alternative_payments_raw::hooks::BoxFuture;
use alternative_payments_raw::operations::Operation;
use reqwest::ResponseBuilderExt;
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use tokio::time::Instant;
use tracing::Instrument;

use super::Auth;
use super::call::{CURRENT, Call};
use crate::auth::Token;
use crate::error::AuthError;
use crate::hook::{HookRequest, HookResponse};
use crate::retry::is_retryable_status;

/// Error bodies are kept up to this size; beyond it they are cut (an error
/// body that large is not an API error document anyway).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// the [`Call`] in `CURRENT`. Outside one (a generated client kept past
/// its `raw_call`, or a request moved to another task) they refuse.
pub(super) struct SdkHooks;

const OUTSIDE_A_CALL: &str = "the generated client of an alternative_payments::Client can only \
     send requests inside the Client::raw_call closure that handed it over";

impl raw::RequestHooks for SdkHooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        let call = CURRENT.try_with(Arc::clone);
        Box::pin(async move {
            match call {
                Ok(call) => call.prepare(request, operation).await,
                Err(_) => Err(format!("{operation}: {OUTSIDE_A_CALL}")),
            }
        })
    }

    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // `prepare` ran first, inside the same call, or refused.
        let call = CURRENT.try_with(Arc::clone);
        Box::pin(async move {
            match call {
                Ok(call) => call.send(client, request).await,
                Err(_) => client.execute(request).await,
            }
        })
    }
}

impl Call {
    /// The credentials for the next attempt (a token request first, when
    /// the cache has none), and the token they came from.
    async fn credentials(&self) -> Result<(HeaderValue, Option<Arc<Token>>), AuthError> {
        match &self.state.auth {
            Auth::Static(value) => Ok((value.clone(), None)),
            Auth::OAuth(cache) => {
                let token = crate::auth::token(cache, &self.retry).await?;
                Ok((token.header.clone(), Some(token)))
            }
        }
    }

    /// Waits for this attempt's turn in the client's limiter, if it has
    /// one; `false` when the call's deadline passed first.
    async fn take_turn(&self) -> bool {
        let Some(limiter) = &self.state.limiter else {
            return true;
        };
        let deadline_at = self.record().deadline_at;
        let started = Instant::now();
        let turn = match deadline_at {
            Some(at) => tokio::time::timeout_at(at, limiter.acquire()).await.is_ok(),
            None => {
                limiter.acquire().await;
                true
            }
        };
        let queued = started.elapsed();
        self.record().queued = queued;
        #[cfg(feature = "opentelemetry")]
        self.state
            .metrics
            .waited(queued, self.operation.get().map(|op| op.path()));
        if !queued.is_zero() {
            // Under a 5/s limit, most of a slow call's time: on the call's
            // span (its total), and an event for DEBUG logs (at INFO, a line
            // per paced call would flood an application's logs).
            let mut record = self.record();
            record.queued_total += queued;
            let total = record.queued_total.as_millis() as u64;
            drop(record);
            tracing::Span::current().record("alternative_payments.rate_limit.wait_ms", total);
            tracing::debug!(
                alternative_payments.rate_limit.wait_ms = queued.as_millis() as u64,
                turn,
                "waited for the rate limiter"
            );
        }
        turn
    }

    /// The hook before each attempt: checks the operation, takes the
    /// attempt's turn in the limiter, and puts the user agent, the timeout
    /// and credentials on the request.
    ///
    /// The order matters. Credentials come first: a token request is made
    /// before the turn, not inside it, so the first burst of a new client
    /// is not sent late by a token round trip while the server counts the
    /// next request on time (issue #28). The user's hooks run after the
    /// turn (what they time is the attempt, not the queue) and before the
    /// `Authorization` header goes on, so they never see it.
    async fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation: &'static str,
    ) -> Result<(), String> {
        let named = Operation::from_method_name(operation);
        // A raw_call closure that makes a different call on a retry (or two
        // calls) would be retried with the first one's class: refused.
        if named.is_some_and(|op| *self.operation.get_or_init(|| op) != op) {
            return Err(format!(
                "{operation}: this raw_call already made a {} call; make one call per raw_call",
                self.operation_name()
            ));
        }
        let (credentials, token) = self.credentials().await.map_err(|e| {
            let message = e.to_string();
            self.record().auth_error = Some(e);
            message
        })?;
        if !self.take_turn().await {
            self.record().turn_missed = true;
            return Err(format!(
                "{operation}: the call's deadline passed while it waited for its turn under the rate limit"
            ));
        }
        request
            .headers_mut()
            .insert(USER_AGENT, self.state.user_agent.clone());
        // The attempt's own timeout, but never past the call's deadline.
        let left = self
            .record()
            .deadline_at
            .map(|at| at.saturating_duration_since(Instant::now()));
        let timeout = match (self.timeout, left) {
            (Some(timeout), Some(left)) => Some(timeout.min(left)),
            (timeout, left) => timeout.or(left),
        };
        *request.timeout_mut() = timeout;
        let attempt = {
            let mut record = self.record();
            record.attempt_timeout = timeout;
            record.token = token;
            record.attempt + 1
        };
        // The user's hooks, before credentials go on: they never see them.
        let hooks = &self.state.hooks;
        if let Err(failure) = hooks.run(|hook| {
            hook.on_request(&mut HookRequest {
                request,
                operation: self.operation_name(),
                attempt,
            })
        }) {
            let message = format!("hook `{}` failed: {}", failure.hook, failure.message);
            self.record().hook_failure = Some(failure);
            return Err(message);
        }
        // A charge that carries an idempotency key (checked on the request
        // as sent, after the hooks) acts at most once: retried like a read.
        let keyed = self
            .operation
            .get()
            .and_then(|op| op.idempotency_key())
            .is_some_and(|field| carries_key(request, field));
        self.record().keyed = keyed;
        request.headers_mut().insert(AUTHORIZATION, credentials);
        Ok(())
    }

    /// The hook that sends each attempt, once. A success whose size is
    /// declared and within the limit goes to progenitor untouched; any other
    /// body is read here: a success's up to `max_response_size` (beyond it,
    /// `ResponseTooLarge`), an error's up to `MAX_ERROR_BODY`, kept for the
    /// error conversion.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let attempt = {
            let mut record = self.record();
            record.attempt += 1;
            record.status = None;
            record.attempt
        };
        let span = attempt_span(
            &request,
            self.operation.get().copied(),
            self.operation_name(),
            attempt,
        );
        let method = request.method().clone();
        let target = path_and_query(request.url());
        if tracing::enabled!(target: HTTP_LOG, tracing::Level::TRACE) {
            tracing::trace!(target: HTTP_LOG, %method, path = %target, attempt, headers = %Redacted(request.headers()), "request headers");
        }
        let started = tokio::time::Instant::now();
        self.state
            .requests_sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "opentelemetry")]
        let url = request.url().clone();
        let outcome = client.execute(request).instrument(span.clone()).await;
        if let Err(error) = &outcome {
            span.record("error.type", error_type(error));
        }
        #[cfg(feature = "opentelemetry")]
        {
            let status = outcome.as_ref().ok().map(|r| r.status());
            self.state.metrics.attempt(&super::metrics::Attempt {
                method: method.as_str(),
                url: &url,
                template: self.operation.get().map(|op| op.path()),
                status: status.map(|s| s.as_u16()),
                error_type: match (&outcome, status) {
                    (Err(error), _) => Some(error_type(error).to_string()),
                    (Ok(_), Some(s)) if s.is_client_error() || s.is_server_error() => {
                        Some(s.as_str().to_string())
                    }
                    _ => None,
                },
                elapsed: started.elapsed(),
            });
        }
        let elapsed = started.elapsed();
        let queued_ms = self.record().queued.as_millis() as u64;
        match &outcome {
            Ok(response) => {
                tracing::debug!(
                    target: HTTP_LOG,
                    %method,
                    path = %target,
                    status = response.status().as_u16(),
                    elapsed_ms = elapsed.as_millis() as u64,
                    queued_ms,
                    attempt,
                    request_id = crate::response::request_id(response.headers()).unwrap_or("none"),
                    "request"
                );
                if tracing::enabled!(target: HTTP_LOG, tracing::Level::TRACE) {
                    tracing::trace!(target: HTTP_LOG, %method, path = %target, attempt, headers = %Redacted(response.headers()), "response headers");
                }
            }
            Err(error) => tracing::debug!(
                target: HTTP_LOG,
                %method,
                path = %target,
                elapsed_ms = elapsed.as_millis() as u64,
                queued_ms,
                attempt,
                error = %crate::auth::error_chain(error),
                "request failed"
            ),
        }
        let seen = HookResponse {
            operation: self.operation_name(),
            attempt,
            status: outcome.as_ref().ok().map(reqwest::Response::status),
            headers: outcome.as_ref().ok().map(reqwest::Response::headers),
            elapsed,
        };
        if let Err(failure) = self.state.hooks.run(|hook| hook.on_response(&seen)) {
            // The request was sent: what it did is unknown to the caller.
            let mut record = self.record();
            record.outcome_unknown |= self.changes_state();
            record.hook_failure = Some(failure);
        }
        let mut response = outcome?;
        let status = response.status();
        span.record("http.response.status_code", status.as_u16());
        if status.is_client_error() || status.is_server_error() {
            // The conventions' error.type for an HTTP error: its status.
            span.record("error.type", status.as_str());
        }
        let limit = self.state.max_response_size;
        if status.is_success() {
            {
                let mut record = self.record();
                record.status = Some(status);
                if record.keep_headers {
                    record.headers = Some(response.headers().clone());
                }
            }
            if response.content_length().is_some_and(|n| n <= limit as u64) {
                return Ok(response);
            }
            let body = read_body(&mut response, limit, false)
                .instrument(span)
                .await?;
            if body.is_none() {
                self.record().too_large = Some(limit);
            }
            return Ok(rebuild(response, body.unwrap_or_default()));
        }
        let retry_after = is_retryable_status(status)
            .then(|| self.retry.retry_after(response.headers(), status))
            .flatten();
        let request_id = crate::response::request_id(response.headers()).map(String::from);
        let body = read_body(&mut response, MAX_ERROR_BODY, true)
            .instrument(span)
            .await?
            .unwrap_or_default();
        let mut record = self.record();
        record.status = Some(status);
        record.retry_after = retry_after;
        record.request_id = request_id;
        record.error_body = Some(body.clone());
        drop(record);
        Ok(rebuild(response, body))
    }
}

/// The target of the one line logged per attempt at `DEBUG` (method, path,
/// status, time, attempt, request id) and of its headers at `TRACE`,
/// redacted: what `altpay -v` and `-vv` show.
pub(crate) const HTTP_LOG: &str = "alternative_payments::http";

/// A URL's path and query: what a log line names. (The API's URLs carry no
/// credentials; the host is the client's base URL, known already.)
fn path_and_query(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// Headers as a log line shows them: credentials (`Authorization`, cookies,
/// any value marked sensitive) as `[redacted]`.
struct Redacted<'a>(&'a reqwest::header::HeaderMap);

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use reqwest::header::{COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
        for (i, (name, value)) in self.0.iter().enumerate() {
            let secret = value.is_sensitive()
                || [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE].contains(name);
            let shown = match value.to_str() {
                _ if secret => "[redacted]",
                Ok(text) => text,
                Err(_) => "[not text]",
            };
            let separator = if i == 0 { "" } else { "; " };
            write!(f, "{separator}{name}: {shown}")?;
        }
        Ok(())
    }
}

/// The rest of `response`'s body, up to `limit` bytes: `None` when it is
/// longer (rejected on its `Content-Length` when it has one), or cut at the
/// limit when `truncate`.
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
    truncate: bool,
) -> reqwest::Result<Option<bytes::Bytes>> {
    let declared = response.content_length().unwrap_or(0);
    if !truncate && declared > limit as u64 {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(declared.min(limit as u64) as usize);
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            if !truncate {
                return Ok(None);
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.into()))
}

/// `response` with `body` in place of the one read from it.
fn rebuild(mut response: reqwest::Response, body: bytes::Bytes) -> reqwest::Response {
    // With its real URL: reqwest would otherwise parse a placeholder.
    let mut rebuilt = http::Response::builder()
        .status(response.status())
        .url(response.url().clone());
    if let Some(headers) = rebuilt.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    let rebuilt = rebuilt
        .body(body)
        .expect("status and headers come from a valid response");
    reqwest::Response::from(rebuilt)
}

/// Whether the request's JSON body has a non-empty string at `field`.
fn carries_key(request: &reqwest::Request, field: &str) -> bool {
    request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
        .and_then(|body| {
            body.get(field)
                .and_then(serde_json::Value::as_str)
                .map(|key| !key.trim().is_empty())
        })
        .unwrap_or(false)
}

/// One attempt's span, as OpenTelemetry's HTTP client conventions name and
/// describe it (through `tracing-opentelemetry`: `otel.name` is the span's
/// name, `otel.kind` its kind): `GET /customers/{id}`, with the method,
/// server, `url.full` (scheme, host, port, path and query: never userinfo;
/// credentials travel in a header the span does not see), `url.template`,
/// the resend count, and later the status and `error.type`.
fn attempt_span(
    request: &reqwest::Request,
    operation: Option<alternative_payments_raw::operations::Operation>,
    operation_name: &'static str,
    attempt: u32,
) -> tracing::Span {
    let url = request.url();
    let method = request.method();
    let template = operation.map(|op| op.path());
    // Written only if a subscriber records the span: no allocation per
    // attempt otherwise.
    let span = tracing::info_span!(
        "alternative_payments.request",
        otel.name = %SpanName(method, template),
        otel.kind = "client",
        http.request.method = %method,
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        url.full = %FullUrl(url),
        url.template = template,
        http.request.resend_count = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        alternative_payments.operation = operation.map_or(operation_name, |op| op.operation_id()),
    );
    if attempt > 1 {
        span.record("http.request.resend_count", attempt - 1);
    }
    span
}

/// `GET /customers/{id}`, or the method alone for a path of no operation.
struct SpanName<'a>(&'a reqwest::Method, Option<&'static str>);

impl std::fmt::Display for SpanName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(template) => write!(f, "{} {template}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A URL without userinfo or fragment.
struct FullUrl<'a>(&'a reqwest::Url);

impl std::fmt::Display for FullUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.0;
        write!(
            f,
            "{}://{}",
            url.scheme(),
            url.host_str().unwrap_or_default()
        )?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())?;
        if let Some(query) = url.query() {
            write!(f, "?{query}")?;
        }
        Ok(())
    }
}

/// The conventions' `error.type` of an attempt that got no response.
fn error_type(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "_OTHER"
    }
}
