//! How every API request is sent: the `RequestHooks` the generated client
//! calls, holding the policy the raw crate deliberately lacks: credentials,
//! 401 replay, retries with backoff, timeouts, tracing. And the single
//! conversion of the generated client's error into [`Error`].
//!
//! Each call gets its own [`Call`]: per-request options, and a record of
//! what happened (auth failure, last status, a buffered error body) that the
//! error conversion reads, since progenitor's error cannot carry it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use alternative_payments_raw as raw;
use alternative_payments_raw::hooks::BoxFuture;
use alternative_payments_raw::operations::{Operation, RetryClass};
use raw::types::HttpError;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{ResponseBuilderExt, StatusCode};
use secrecy::ExposeSecret;
use tracing::Instrument;

use crate::auth::{Token, TokenCache};
use crate::client::ErrorBody;
use crate::error::{ApiError, AuthError, Error, snippet};
use crate::retry::{RetryPolicy, is_retryable_status};

/// Error bodies are kept up to this size; beyond it they are cut (an error
/// body that large is not an API error document anyway).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How requests are authorised.
pub(crate) enum Auth {
    OAuth(Arc<TokenCache>),
    Static(HeaderValue),
}

/// What every call of a client shares.
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    /// The built-in HTTP client's connect timeout (unknown for one the
    /// caller supplied).
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) max_response_size: usize,
}

/// Options a single request may override.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) retry: Option<RetryPolicy>,
}

/// One call: its settings and what happened to it.
pub(crate) struct Call {
    shared: Arc<Shared>,
    /// Known up front for the wrapper's calls; for a [`RawCall`]
    /// (crate::RawCall) learnt from the generated client's hook when the
    /// request is prepared, so its retry class can never be the wrong one.
    operation: OnceLock<Operation>,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    record: Mutex<Record>,
}

#[derive(Default)]
struct Record {
    auth_error: Option<AuthError>,
    token: Option<Arc<Token>>,
    status: Option<StatusCode>,
    request_id: Option<String>,
    error_body: Option<bytes::Bytes>,
    /// Set when a success body went over `max_response_size`.
    too_large: Option<usize>,
    /// Some attempt ended without a definite answer after the request may
    /// have reached the server (see `Error::outcome_unknown`).
    outcome_unknown: bool,
}

impl Call {
    pub(crate) fn new(
        shared: Arc<Shared>,
        options: &RequestOptions,
        operation: Option<Operation>,
    ) -> Arc<Self> {
        Arc::new(Self {
            operation: operation.map(OnceLock::from).unwrap_or_default(),
            retry: options
                .retry
                .clone()
                .unwrap_or_else(|| shared.retry.clone()),
            timeout: options.timeout.unwrap_or(shared.timeout),
            shared,
            record: Mutex::new(Record::default()),
        })
    }

    /// The operation's method name, e.g. `get_customer`.
    pub(crate) fn operation_name(&self) -> &'static str {
        self.operation
            .get()
            .map_or("unknown operation", |op| op.method_name())
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The generated client for this call.
    pub(crate) fn raw_client(self: &Arc<Self>) -> raw::Client {
        raw::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            raw::Hooks::from_arc(self.clone()),
        )
    }

    /// The limit a success response exceeded, if one did.
    pub(crate) fn response_too_large(&self) -> Option<usize> {
        self.record().too_large
    }

    /// Puts credentials on `request`; remembers which token it used.
    async fn authorise(&self, request: &mut reqwest::Request) -> Result<(), AuthError> {
        let header = match &self.shared.auth {
            Auth::Static(value) => value.clone(),
            Auth::OAuth(cache) => {
                let token = token(cache, &self.retry).await?;
                let header = token.header.clone();
                self.record().token = Some(token);
                header
            }
        };
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(())
    }

    /// After a 401: drop the refused token and put a fresh one on `request`.
    /// Only OAuth tokens can be replaced.
    async fn reauthorise(&self, request: &mut reqwest::Request) -> Option<Result<(), AuthError>> {
        let Auth::OAuth(cache) = &self.shared.auth else {
            return None;
        };
        if let Some(used) = self.record().token.take() {
            cache.invalidate(&used);
        }
        Some(self.authorise(request).await)
    }

    /// Converts the generated client's error, using what this call saw.
    pub(crate) fn error<E: ErrorBody>(&self, error: raw::Error<E>) -> Error {
        let operation = self.operation_name();
        let mut record = self.record();
        if let Some(auth) = record.auth_error.take() {
            return Error::Auth(auth);
        }
        let last_status = record.status;
        let outcome_unknown = record.outcome_unknown;
        let api_error =
            |status: StatusCode, body: Option<HttpError>, snippet: Option<String>, request_id| {
                let body = body.unwrap_or_default();
                Error::Api(Box::new(ApiError {
                    operation,
                    status,
                    code: body.code,
                    message: body.message,
                    validation_errors: body.validation_errors,
                    request_id,
                    body_snippet: snippet,
                    outcome_unknown,
                }))
            };
        // An error status: what the body says, from progenitor's decoding or
        // from the body this call buffered.
        // The request id comes from the final response's headers, which
        // `keep` recorded.
        let mut from_body = |status: StatusCode, parsed: Option<HttpError>| {
            let body = record.error_body.take().unwrap_or_default();
            // A body says something when it has any of the three; one with
            // only validation errors is still an API error document.
            let says_something = |p: &HttpError| {
                p.code.is_some() || p.message.is_some() || !p.validation_errors.is_empty()
            };
            let parsed = parsed
                .filter(says_something)
                .or_else(|| serde_json::from_slice::<HttpError>(&body).ok())
                .filter(says_something);
            let snippet = parsed.is_none().then(|| snippet(&body, 256));
            api_error(status, parsed, snippet, record.request_id.take())
        };
        match error {
            raw::Error::ErrorResponse(response) => from_body(
                response.status(),
                Some(response.into_inner().into_http_error()),
            ),
            raw::Error::UnexpectedResponse(response) if !response.status().is_success() => {
                from_body(response.status(), None)
            }
            // Client::call decodes undocumented 2xx responses itself; this
            // arm only keeps the conversion total.
            raw::Error::UnexpectedResponse(response) => Error::Decode {
                operation,
                status: response.status(),
                snippet: String::new(),
                source: serde::de::Error::custom(format!(
                    "status {} is not a documented response of this operation",
                    response.status()
                )),
            },
            raw::Error::InvalidResponsePayload(body, source) => {
                let status = last_status.unwrap_or(StatusCode::OK);
                if status.is_success() {
                    Error::Decode {
                        operation,
                        status,
                        snippet: snippet(&body, 256),
                        source,
                    }
                } else {
                    // A documented error status whose body is not HttpError.
                    from_body(status, None)
                }
            }
            raw::Error::CommunicationError(e)
            | raw::Error::ResponseBodyError(e)
            | raw::Error::InvalidUpgrade(e) => Error::transport(
                operation,
                e,
                self.timeout,
                self.shared.connect_timeout,
                outcome_unknown,
            ),
            raw::Error::InvalidRequest(message) | raw::Error::Custom(message) => {
                Error::InvalidArgument(message)
            }
        }
    }

    /// Sends `request` as the retry policy allows, each attempt reading the
    /// whole response (so a connection that breaks mid-body is a failed
    /// attempt like any other). Returns the final response or error.
    async fn send_with_retries(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> reqwest::Result<Received> {
        let operation = self.operation_name();
        let known = self.operation.get();
        // What the spec's operation table says (HTTP method, or the overlay):
        // an operation that is not idempotent is sent again only when the
        // previous attempt provably never reached the server. An operation
        // not in the table (cannot happen: both come from one spec) is
        // treated as the riskiest kind.
        let idempotent = known.is_some_and(|op| op.retry_class() == RetryClass::Idempotent);
        // A read has no effect that could have happened unseen.
        let changes_state =
            known.is_none_or(|op| !matches!(op.http_method(), "GET" | "HEAD" | "OPTIONS"));
        let mut retries = 0;
        let mut replayed_401 = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // A clone to send, so the original stays available for a retry.
            // Requests here have in-memory bodies, so cloning succeeds; if a
            // future one does not, it is simply sent once.
            let (to_send, spare) = match request.try_clone() {
                Some(copy) => (copy, Some(request)),
                None => (request, None),
            };
            let span = tracing::debug_span!(
                "alternative_payments.request",
                operation,
                method = %to_send.method(),
                path = to_send.url().path(),
                attempt,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let started = tokio::time::Instant::now();
            let result = receive(client, to_send, self.shared.max_response_size)
                .instrument(span.clone())
                .await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            if changes_state && may_have_acted(&result) {
                self.record().outcome_unknown = true;
            }
            let Some(original) = spare else { return result };
            request = original;

            let delay = match &result {
                Ok(response) if response.too_large => {
                    self.record().too_large = Some(self.shared.max_response_size);
                    return result;
                }
                Ok(response) => {
                    span.record("status", response.status.as_u16());
                    if response.status == StatusCode::UNAUTHORIZED && !replayed_401 {
                        // The token was refused before anything was done with
                        // the request, so replaying is safe, creates included.
                        replayed_401 = true;
                        match self
                            .reauthorise(&mut request)
                            .instrument(span.clone())
                            .await
                        {
                            Some(Ok(())) => {
                                tracing::debug!(parent: &span, "401: replaying once with a new token");
                                continue;
                            }
                            Some(Err(e)) => {
                                self.record().auth_error = Some(e);
                                return result;
                            }
                            None => None,
                        }
                    } else if is_retryable_status(response.status) && idempotent {
                        Some(
                            self.retry
                                .retry_after(&response.headers)
                                .unwrap_or_else(|| self.retry.backoff(retries)),
                        )
                    } else {
                        None
                    }
                }
                Err(e) => {
                    // Only a connect error proves the server never saw the
                    // request; anything later may follow a create's effect.
                    let never_sent = e.is_connect();
                    let retryable = never_sent
                        || e.is_timeout()
                        || e.is_request()
                        || e.is_body()
                        || e.is_decode();
                    (retryable && (never_sent || idempotent)).then(|| self.retry.backoff(retries))
                }
            };
            match delay {
                Some(delay) if retries < self.retry.max_retries => {
                    retries += 1;
                    tracing::debug!(parent: &span, ?delay, retry = retries, "retrying");
                    drop(result);
                    tokio::time::sleep(delay).await;
                }
                _ => return result,
            }
        }
    }

    /// Notes the final response for the error conversion, and hands an
    /// equivalent response to the generated code.
    fn keep(&self, received: Received) -> reqwest::Response {
        let mut record = self.record();
        record.status = Some(received.status);
        record.request_id = request_id(&received.headers);
        if !received.status.is_success() {
            record.error_body = Some(received.body.clone());
        }
        // With its real URL: reqwest would otherwise parse a placeholder.
        let mut rebuilt = http::Response::builder()
            .status(received.status)
            .url(received.url);
        if let Some(headers) = rebuilt.headers_mut() {
            *headers = received.headers;
        }
        let rebuilt = rebuilt
            .body(received.body)
            .expect("status and headers come from a valid response");
        reqwest::Response::from(rebuilt)
    }
}

/// A token from `cache`, fetched if need be. Token requests are
/// idempotent: transient failures (5xx, 429, timeouts, connection errors)
/// follow the retry policy.
pub(crate) async fn token(
    cache: &Arc<TokenCache>,
    retry: &RetryPolicy,
) -> Result<Arc<Token>, AuthError> {
    let mut retries = 0;
    loop {
        match cache.token().await {
            Ok(token) => return Ok(token),
            Err(e) if e.is_retryable() && retries < retry.max_retries => {
                let delay = retry.backoff(retries);
                retries += 1;
                tracing::debug!(?delay, retry = retries, error = %e, "token request failed; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A response read to the end.
struct Received {
    url: reqwest::Url,
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
    /// A success body over the size limit: `body` is empty.
    too_large: bool,
}

/// One attempt: send, and read the whole body. A success body over
/// `max_size` is not read further (rejected on its `Content-Length` when it
/// has one); an error body is kept up to `MAX_ERROR_BODY`, the rest is not
/// needed and may be huge.
async fn receive(
    client: &reqwest::Client,
    request: reqwest::Request,
    max_size: usize,
) -> reqwest::Result<Received> {
    let mut response = client.execute(request).await?;
    let url = response.url().clone();
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let (limit, truncate) = if status.is_success() {
        (max_size, false)
    } else {
        (MAX_ERROR_BODY, true)
    };
    let declared = response.content_length().unwrap_or(0);
    let mut too_large = !truncate && declared > limit as u64;
    let mut body = Vec::with_capacity(declared.min(limit as u64) as usize);
    while !too_large && let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            if truncate {
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            too_large = true;
            body = Vec::new();
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    Ok(Received {
        url,
        status,
        headers,
        body: body.into(),
        too_large,
    })
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(String::from))
}

/// Whether an attempt ended without a definite answer after the request may
/// have reached the server: a 5xx, or any failure but a connect error (which
/// proves the request was never sent).
fn may_have_acted(result: &reqwest::Result<Received>) -> bool {
    match result {
        Ok(response) => response.status.is_server_error(),
        Err(e) => !e.is_connect(),
    }
}

impl Error {
    fn transport(
        operation: &'static str,
        e: reqwest::Error,
        timeout: Option<Duration>,
        connect_timeout: Option<Duration>,
        outcome_unknown: bool,
    ) -> Error {
        if e.is_timeout() {
            // reqwest marks a connect timeout as both: the connection was
            // never made, and the limit that fired is the connect timeout.
            let connecting = e.is_connect();
            Error::Timeout {
                operation,
                timeout: if connecting { connect_timeout } else { timeout },
                connecting,
                outcome_unknown,
            }
        } else {
            Error::Transport {
                operation,
                outcome_unknown,
                message: crate::auth::error_chain(&e),
                source: Box::new(e),
            }
        }
    }
}

impl raw::RequestHooks for Call {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        let named = Operation::from_method_name(operation);
        // A RawCall reused for another operation would retry it with the
        // first one's class: refused instead.
        let reused = named.is_some_and(|op| *self.operation.get_or_init(|| op) != op);
        Box::pin(async move {
            if reused {
                return Err(format!(
                    "{operation}: this RawCall already made a {} call; make one RawCall per call",
                    self.operation_name()
                ));
            }
            request
                .headers_mut()
                .insert(USER_AGENT, self.shared.user_agent.clone());
            *request.timeout_mut() = self.timeout;
            self.authorise(request).await.map_err(|e| {
                let message = e.to_string();
                self.record().auth_error = Some(e);
                message
            })
        })
    }

    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let received = self.send_with_retries(client, request).await?;
            Ok(self.keep(received))
        })
    }
}

/// The static `Authorization` header for credentials that need no token
/// endpoint.
pub(crate) fn static_header(value: &secrecy::SecretString) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
        Error::Config("the API key or token contains characters not allowed in a header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}
