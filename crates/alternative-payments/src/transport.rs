//! How every API request is sent: the policy the raw crate deliberately
//! lacks (credentials, 401 replay, retries with backoff, timeouts, tracing),
//! and the single conversion of the generated client's error into [`Error`].
//!
//! A [`Call`] drives one API call: [`Call::run`] runs the generated method
//! once per attempt, and decides from what the attempt saw whether to make
//! another. Re-running the generated method, rather than re-sending a kept
//! copy of its request from inside the hook, means nothing is copied or
//! buffered on the way to a success: the response goes to progenitor as
//! reqwest returned it. A body that breaks off mid-way surfaces as
//! progenitor's `ResponseBodyError`, which is retried like any failed
//! attempt.
//!
//! Every SDK client has one generated client, whose hooks ([`SdkHooks`])
//! find the call they serve in a task-local set by [`Call::run`]: per-call
//! state without a generated client per call.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use alternative_payments_raw as raw;
use alternative_payments_raw::hooks::BoxFuture;
use alternative_payments_raw::operations::{Operation, RetryClass};
use raw::types::HttpError;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{ResponseBuilderExt, StatusCode};
use tracing::Instrument;

use crate::auth::{Token, TokenCache};
use crate::client::ErrorBody;
use crate::error::{ApiError, AuthError, Error, snippet};
use crate::rate_limit::{RETRY_COST, RateLimiter, RetryBudget, TIMEOUT_COST};
use crate::retry::{RetryPolicy, is_retryable_status};
use tokio::time::Instant;

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
    /// The generated client every call goes through; its hooks are
    /// [`SdkHooks`].
    pub(crate) raw: Arc<raw::Client>,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    /// The built-in HTTP client's connect timeout (unknown for one the
    /// caller supplied).
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) max_response_size: usize,
    /// Paces every attempt; `None` when the rate limit is off.
    pub(crate) limiter: Option<Arc<dyn RateLimiter>>,
    pub(crate) budget: RetryBudget,
    /// The longest a call may take, waits and retries included.
    pub(crate) deadline: Option<Duration>,
}

/// Options a single request may override.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) deadline: Option<Option<Duration>>,
}

tokio::task_local! {
    /// The call the generated client's hooks are serving.
    static CURRENT: Arc<Call>;
}

/// The generated client's hooks: they hold nothing themselves and act for
/// the [`Call`] in [`CURRENT`]. Outside one (a generated client kept past
/// its `raw_call`, or a request moved to another task) they refuse.
pub(crate) struct SdkHooks;

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

/// One call: its settings and what happened to it.
pub(crate) struct Call {
    shared: Arc<Shared>,
    /// Known up front for the wrapper's calls; for
    /// [`Client::raw_call`](crate::Client::raw_call) learnt from the
    /// generated client's hook when the request is prepared, so its retry
    /// class can never be the wrong one.
    operation: OnceLock<Operation>,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    record: Mutex<Record>,
}

/// What the call saw; the error conversion and the retry decision read it,
/// since progenitor's error cannot carry it.
#[derive(Default)]
struct Record {
    attempt: u32,
    auth_error: Option<AuthError>,
    /// The token the last attempt used.
    token: Option<Arc<Token>>,
    /// The last attempt's status, once it had one.
    status: Option<StatusCode>,
    /// Of the last error response.
    request_id: Option<String>,
    retry_after: Option<Duration>,
    error_body: Option<bytes::Bytes>,
    /// Set when a success body went over `max_response_size`.
    too_large: Option<usize>,
    /// Some attempt ended without a definite answer after the request may
    /// have reached the server (see `Error::outcome_unknown`).
    outcome_unknown: bool,
    /// When the call must be over, if it has a deadline.
    deadline_at: Option<Instant>,
    /// The last attempt's timeout: the per-attempt one, or less when the
    /// deadline was nearer.
    attempt_timeout: Option<Duration>,
}

/// What follows an attempt.
enum Next {
    Done,
    /// After a 401: again at once, with a new token.
    Replay,
    /// After a transient failure, once `delay` has passed; `cost` is what
    /// the retry takes from the client's retry budget, and `throttled` says
    /// it follows a 429, which does not count against `max_retries`.
    Retry {
        delay: Duration,
        cost: u32,
        throttled: bool,
    },
}

type RawResult<T, E> = std::result::Result<raw::ResponseValue<T>, raw::Error<E>>;

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
            deadline: options.deadline.unwrap_or(shared.deadline),
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

    /// The whole call: `attempt` runs the generated method once per attempt
    /// (with the client's generated client), as the retry policy and the
    /// operation's retry class allow; the last result becomes this crate's.
    pub(crate) async fn run<T, E, F, Fut>(self: Arc<Self>, mut attempt: F) -> crate::Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut(Arc<raw::Client>) -> Fut,
        Fut: Future<Output = RawResult<T, E>>,
    {
        let mut retries = 0;
        let mut throttles = 0;
        let mut withdrawn = 0;
        let mut replayed_401 = false;
        let deadline_at = self.deadline.and_then(|d| Instant::now().checked_add(d));
        self.record().deadline_at = deadline_at;
        // The last attempt's result while the next one waits: what the call
        // returns if its deadline passes first.
        let mut previous = None;
        loop {
            if let Some(limiter) = &self.shared.limiter {
                let turn = limiter.acquire();
                match deadline_at {
                    Some(at) => {
                        if tokio::time::timeout_at(at, turn).await.is_err() {
                            return match previous {
                                Some(result) => self.finish(result).await,
                                None => Err(self.deadline_exceeded()),
                            };
                        }
                    }
                    None => turn.await,
                }
            }
            drop(previous.take());
            let result = CURRENT
                .scope(self.clone(), attempt(self.shared.raw.clone()))
                .await;
            match self.next(&result, retries, throttles, &mut replayed_401) {
                Next::Done => {
                    if result.is_ok() {
                        // A success refills the budget: by what its retries
                        // took, or by one.
                        self.shared.budget.deposit(withdrawn.max(1));
                    }
                    return self.finish(result).await;
                }
                Next::Replay => {
                    tracing::debug!(
                        operation = self.operation_name(),
                        "401: replaying once with a new token"
                    );
                }
                Next::Retry {
                    delay,
                    cost,
                    throttled,
                } => {
                    // (A wait past what an Instant can hold is past any deadline.)
                    let late = deadline_at.is_some_and(|at| {
                        Instant::now()
                            .checked_add(delay)
                            .is_none_or(|next| next >= at)
                    });
                    if late || !self.shared.budget.withdraw(cost) {
                        tracing::debug!(
                            operation = self.operation_name(),
                            late,
                            "not retrying: the call's deadline or the client's retry budget is spent"
                        );
                        return self.finish(result).await;
                    }
                    withdrawn += cost;
                    if throttled {
                        throttles += 1;
                    } else {
                        retries += 1;
                    }
                    tracing::debug!(
                        operation = self.operation_name(),
                        ?delay,
                        retry = retries,
                        throttled,
                        "retrying"
                    );
                    previous = Some(result);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// The call ran out of time before it could make its next attempt.
    fn deadline_exceeded(&self) -> Error {
        Error::DeadlineExceeded {
            operation: self.operation_name(),
            deadline: self.deadline.unwrap_or_default(),
            outcome_unknown: self.record().outcome_unknown,
        }
    }

    /// Whether and when to make another attempt after `result`, after
    /// `retries` retries of failures and `throttles` of 429s.
    fn next<T, E>(
        &self,
        result: &RawResult<T, E>,
        retries: u32,
        throttles: u32,
        replayed_401: &mut bool,
    ) -> Next {
        let Err(error) = result else {
            return Next::Done;
        };
        // What the spec's operation table says (HTTP method, or the overlay):
        // an operation that is not idempotent is sent again only when the
        // previous attempt provably never reached the server. An operation
        // not in the table (cannot happen: both come from one spec) is
        // treated as the riskiest kind.
        let idempotent = self
            .operation
            .get()
            .is_some_and(|op| op.retry_class() == RetryClass::Idempotent);
        let changes_state = self.changes_state();
        let may_retry = retries < self.retry.max_retries;
        let mut record = self.record();
        if record.auth_error.is_some() || record.too_large.is_some() {
            return Next::Done;
        }
        match error {
            raw::Error::CommunicationError(e) | raw::Error::ResponseBodyError(e) => {
                // Only a connect error proves the server never saw the
                // request; anything later may follow a create's effect.
                let never_sent = e.is_connect();
                if changes_state && !never_sent {
                    record.outcome_unknown = true;
                }
                let retryable =
                    never_sent || e.is_timeout() || e.is_request() || e.is_body() || e.is_decode();
                if retryable && (never_sent || idempotent) && may_retry {
                    Next::Retry {
                        delay: self.retry.backoff(retries),
                        cost: TIMEOUT_COST,
                        throttled: false,
                    }
                } else {
                    Next::Done
                }
            }
            raw::Error::ErrorResponse(_)
            | raw::Error::UnexpectedResponse(_)
            | raw::Error::InvalidResponsePayload(..) => {
                let Some(status) = record.status else {
                    return Next::Done;
                };
                if changes_state && status.is_server_error() {
                    record.outcome_unknown = true;
                }
                if status == StatusCode::UNAUTHORIZED && !*replayed_401 {
                    // The token was refused before anything was done with
                    // the request, so replaying is safe, creates included.
                    // Only OAuth tokens can be replaced.
                    let Auth::OAuth(cache) = &self.shared.auth else {
                        return Next::Done;
                    };
                    *replayed_401 = true;
                    if let Some(used) = record.token.take() {
                        cache.invalidate(&used);
                    }
                    Next::Replay
                } else if status == StatusCode::TOO_MANY_REQUESTS {
                    // The limiter (every call of the client) waits out the
                    // Retry-After and slows down, whether or not this call
                    // is retried.
                    if let Some(limiter) = &self.shared.limiter {
                        limiter.throttled(record.retry_after);
                    }
                    if self.retry.max_retries == 0 {
                        return Next::Done;
                    }
                    // Refused before processing: safe to resend, creates
                    // included. Without a limiter, this call waits.
                    let delay = match &self.shared.limiter {
                        Some(_) => Duration::ZERO,
                        None => record
                            .retry_after
                            .map(crate::retry::jittered)
                            .unwrap_or_else(|| self.retry.backoff(retries + throttles)),
                    };
                    Next::Retry {
                        delay,
                        cost: RETRY_COST,
                        throttled: true,
                    }
                } else if is_retryable_status(status) && idempotent && may_retry {
                    Next::Retry {
                        delay: record
                            .retry_after
                            .unwrap_or_else(|| self.retry.backoff(retries)),
                        cost: RETRY_COST,
                        throttled: false,
                    }
                } else {
                    Next::Done
                }
            }
            raw::Error::InvalidRequest(_)
            | raw::Error::Custom(_)
            | raw::Error::InvalidUpgrade(_) => Next::Done,
        }
    }

    /// Whether the operation may have an effect that happened unseen: any
    /// but a read (or an operation not in the table, which cannot happen).
    fn changes_state(&self) -> bool {
        self.operation
            .get()
            .is_none_or(|op| !matches!(op.http_method(), "GET" | "HEAD" | "OPTIONS"))
    }

    /// What the generated method returned, as this crate's result: its
    /// error converted with what the call saw, and a 2xx the spec does not
    /// list decoded as a success.
    async fn finish<T, E>(&self, result: RawResult<T, E>) -> crate::Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
    {
        let name = self.operation_name();
        if let Some(limit) = self.record().too_large {
            return Err(Error::ResponseTooLarge {
                operation: name,
                limit,
            });
        }
        match result {
            Ok(response) => Ok(response.into_inner()),
            // A 2xx the spec does not list (a 200 where it documents 201,
            // say) is still a success: reporting an error for a create that
            // happened would invite a retry and a duplicate.
            Err(raw::Error::UnexpectedResponse(response)) if response.status().is_success() => {
                let status = response.status();
                let body = match response.bytes().await {
                    Ok(body) => body,
                    Err(e) => {
                        // The server answered: a write may have happened.
                        let (seen, attempt_timeout) = {
                            let record = self.record();
                            (record.outcome_unknown, record.attempt_timeout)
                        };
                        let outcome_unknown = seen || self.changes_state();
                        return Err(self.transport_error(e, outcome_unknown, attempt_timeout));
                    }
                };
                serde_json::from_slice(&body).map_err(|source| Error::Decode {
                    operation: name,
                    status,
                    snippet: crate::error::snippet(&body, 256),
                    source,
                })
            }
            Err(e) => Err(self.error(e)),
        }
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
    /// A transport failure of this call as this crate's error.
    fn transport_error(
        &self,
        e: reqwest::Error,
        outcome_unknown: bool,
        attempt_timeout: Option<Duration>,
    ) -> Error {
        let operation = self.operation_name();
        if e.is_timeout() {
            // reqwest marks a connect timeout as both: the connection was
            // never made, and the limit that fired is the connect timeout.
            let connecting = e.is_connect();
            Error::Timeout {
                operation,
                timeout: if connecting {
                    self.shared.connect_timeout
                } else {
                    attempt_timeout.or(self.timeout)
                },
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

    /// Converts the generated client's error, using what this call saw.
    pub(crate) fn error<E: ErrorBody>(&self, error: raw::Error<E>) -> Error {
        let operation = self.operation_name();
        let mut record = self.record();
        if let Some(auth) = record.auth_error.take() {
            return Error::Auth(auth);
        }
        let last_status = record.status;
        let outcome_unknown = record.outcome_unknown;
        let retry_after = record.retry_after;
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
                    retry_after,
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
            | raw::Error::InvalidUpgrade(e) => {
                self.transport_error(e, outcome_unknown, record.attempt_timeout)
            }
            raw::Error::InvalidRequest(message) | raw::Error::Custom(message) => {
                Error::InvalidArgument(message)
            }
        }
    }

    /// The hook before each attempt: checks the operation, and puts the
    /// user agent, the timeout and credentials on the request.
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
        request
            .headers_mut()
            .insert(USER_AGENT, self.shared.user_agent.clone());
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
        self.record().attempt_timeout = timeout;
        self.authorise(request).await.map_err(|e| {
            let message = e.to_string();
            self.record().auth_error = Some(e);
            message
        })
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
        let span = tracing::debug_span!(
            "alternative_payments.request",
            operation = self.operation_name(),
            method = %request.method(),
            path = request.url().path(),
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = tokio::time::Instant::now();
        let mut response = client.execute(request).instrument(span.clone()).await?;
        let status = response.status();
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        span.record("status", status.as_u16());
        let limit = self.shared.max_response_size;
        if status.is_success() {
            self.record().status = Some(status);
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
        let request_id = request_id(response.headers());
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

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(String::from))
}

/// The static `Authorization` header for credentials that need no token
/// endpoint.
pub(crate) fn static_header(value: &crate::auth::SecretString) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
        Error::Config("the API key or token contains characters not allowed in a header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}
