//! One API call: [`Call::run`] runs the generated method once per attempt,
//! and decides from what the attempt saw whether to make another (401
//! replay, backoff, the 429 pause, the retry budget, the deadline).
//!
//! Re-running the generated method, rather than re-sending a kept copy of
//! its request from inside the hook, means nothing is copied or buffered on
//! the way to a success: the response goes to progenitor as reqwest
//! returned it. A body that breaks off mid-way surfaces as progenitor's
//! `ResponseBodyError`, which is retried like any failed attempt.
//!
//! The generated client's hooks (`hooks.rs`) find the call they serve in
//! [`CURRENT`], set by [`Call::run`] around each attempt: per-call state
//! without a generated client per call. `convert.rs` turns the last
//! attempt's result into this crate's.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing::Instrument;

use alternative_payments_raw as raw;
use alternative_payments_raw::operations::{Operation, RetryClass};
use reqwest::StatusCode;
use tokio::time::Instant;

use super::{Auth, ClientState, ErrorBody};
use crate::auth::Token;
use crate::error::{AuthError, Error};
use crate::rate_limit::{RETRY_COST, TIMEOUT_COST};
use crate::retry::{RetryPolicy, is_retryable_status};

#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) deadline: Option<Option<Duration>>,
}

tokio::task_local! {
    /// The call the generated client's hooks are serving.
    pub(super) static CURRENT: Arc<Call>;
}

/// One call: its settings and what happened to it.
pub(crate) struct Call {
    pub(super) state: Arc<ClientState>,
    /// Known up front for the wrapper's calls; for
    /// [`Client::raw_call`](crate::Client::raw_call) learnt from the
    /// generated client's hook when the request is prepared, so its retry
    /// class can never be the wrong one.
    pub(super) operation: OnceLock<Operation>,
    /// For a request of no operation in the table
    /// ([`Client::request`](crate::Client::request)): its retry class and
    /// whether it may change state, by its HTTP method.
    pub(super) by_method: Option<(RetryClass, bool)>,
    pub(super) retry: RetryPolicy,
    pub(super) timeout: Option<Duration>,
    pub(super) deadline: Option<Duration>,
    record: Mutex<Record>,
}

/// What the call saw; the error conversion and the retry decision read it,
/// since progenitor's error cannot carry it.
#[derive(Default)]
pub(super) struct Record {
    pub(super) attempt: u32,
    pub(super) auth_error: Option<AuthError>,
    /// The token the last attempt used.
    pub(super) token: Option<Arc<Token>>,
    /// The last attempt's status, once it had one.
    pub(super) status: Option<StatusCode>,
    /// Of the last error response.
    pub(super) request_id: Option<String>,
    pub(super) retry_after: Option<Duration>,
    pub(super) error_body: Option<bytes::Bytes>,
    /// Set when a success body went over `max_response_size`.
    pub(super) too_large: Option<usize>,
    /// Some attempt ended without a definite answer after the request may
    /// have reached the server (see `Error::outcome_unknown`).
    pub(super) outcome_unknown: bool,
    /// When the call must be over, if it has a deadline.
    pub(super) deadline_at: Option<Instant>,
    /// The last attempt's timeout: the per-attempt one, or less when the
    /// deadline was nearer.
    pub(super) attempt_timeout: Option<Duration>,
    /// A user hook stopped the call.
    pub(super) hook_failure: Option<crate::hook::HookFailure>,
    /// The call's deadline passed while the attempt waited for its turn in
    /// the limiter: it was not sent.
    pub(super) turn_missed: bool,
    /// How long the last attempt waited for its turn in the limiter.
    pub(super) queued: Duration,
    /// How long all the call's attempts waited for their turns.
    pub(super) queued_total: Duration,
    /// The last attempt's body carried the operation's idempotency key
    /// (`Operation::idempotency_key`): it may be resent like a read.
    pub(super) keyed: bool,
    /// Keep the success's headers (`send_with_response`).
    pub(super) keep_headers: bool,
    /// The last success's headers, when kept.
    pub(super) headers: Option<reqwest::header::HeaderMap>,
}

/// What follows an attempt.
enum AfterAttempt {
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

pub(super) type RawResult<T, E> = std::result::Result<raw::ResponseValue<T>, raw::Error<E>>;

impl Call {
    pub(crate) fn new(
        state: Arc<ClientState>,
        options: &RequestOptions,
        operation: Option<Operation>,
    ) -> Arc<Self> {
        Arc::new(Self {
            operation: operation.map(OnceLock::from).unwrap_or_default(),
            by_method: None,
            retry: options.retry.clone().unwrap_or_else(|| state.retry.clone()),
            timeout: options.timeout.unwrap_or(state.timeout),
            deadline: options.deadline.unwrap_or(state.deadline),
            state,
            record: Mutex::new(Record::default()),
        })
    }

    /// A call of [`Client::request`](crate::Client::request) that is no
    /// operation of the table: classed by its HTTP method.
    pub(crate) fn by_method(
        state: Arc<ClientState>,
        options: &RequestOptions,
        method: &reqwest::Method,
    ) -> Arc<Self> {
        let mut call = Self::new(state, options, None);
        if let Some(call) = Arc::get_mut(&mut call) {
            call.by_method = Some(Operation::by_method(method.as_str()));
        }
        call
    }

    /// The operation's method name, e.g. `get_customer`; `request` for a
    /// request of no operation ([`Client::request`](crate::Client::request)).
    pub(crate) fn operation_name(&self) -> &'static str {
        match (self.operation.get(), self.by_method) {
            (Some(op), _) => op.method_name(),
            (None, Some(_)) => "request",
            (None, None) => "unknown operation",
        }
    }

    pub(super) fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The whole call: `attempt` runs the generated method once per attempt
    /// (with the client's generated client), as the retry policy and the
    /// operation's retry class allow; the last result becomes this crate's.
    pub(crate) async fn run<T, E, F, Fut>(self: Arc<Self>, attempt: F) -> crate::Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut(Arc<raw::Client>) -> Fut,
        Fut: Future<Output = RawResult<T, E>>,
    {
        // The call's span: its attempts, the limiter's waits and a token
        // request are inside it.
        let span = tracing::info_span!(
            "alternative_payments.call",
            otel.name = self.operation_name(),
            alternative_payments.operation = self.operation.get().map_or(self.operation_name(), |op| op.operation_id()),
            alternative_payments.rate_limit.wait_ms = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let result = self.attempts(attempt).instrument(span.clone()).await;
        if let Err(error) = &result {
            span.record("error.type", error_type(error).as_str());
        }
        result
    }

    async fn attempts<T, E, F, Fut>(self: Arc<Self>, mut attempt: F) -> crate::Result<T>
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
            // The attempt takes its turn in the limiter inside `prepare`
            // (hooks.rs), once its credentials are in hand: a request is
            // counted as close to when it is sent as the generated client
            // allows, so a token request does not delay a burst the
            // server then counts late.
            let result = CURRENT
                .scope(self.clone(), attempt(self.state.raw.clone()))
                .await;
            if std::mem::take(&mut self.record().turn_missed) {
                return match previous {
                    Some(result) => self.finish(result).await,
                    None => Err(self.deadline_exceeded()),
                };
            }
            drop(previous.take());
            match self.next(&result, retries, throttles, &mut replayed_401) {
                AfterAttempt::Done => {
                    if result.is_ok() {
                        // A success refills the budget: by what its retries
                        // took, or by one.
                        self.state.budget.deposit(withdrawn.max(1));
                    }
                    return self.finish(result).await;
                }
                AfterAttempt::Replay => {
                    tracing::debug!(
                        operation = self.operation_name(),
                        "401: replaying once with a new token"
                    );
                }
                AfterAttempt::Retry {
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
                    if late || !self.state.budget.withdraw(cost) {
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
    ) -> AfterAttempt {
        let Err(error) = result else {
            return AfterAttempt::Done;
        };
        // What the spec's operation table says (HTTP method, or the overlay):
        // an operation that is not idempotent is sent again only when the
        // previous attempt provably never reached the server. An operation
        // not in the table (cannot happen: both come from one spec) is
        // treated as the riskiest kind.
        let class = match (self.operation.get(), self.by_method) {
            (Some(op), _) => Some(op.retry_class()),
            (None, by_method) => by_method.map(|(class, _)| class),
        };
        let changes_state = self.changes_state();
        let may_retry = retries < self.retry.max_retries;
        let mut record = self.record();
        let idempotent = class == Some(RetryClass::Idempotent) || record.keyed;
        if record.auth_error.is_some()
            || record.too_large.is_some()
            || record.hook_failure.is_some()
        {
            return AfterAttempt::Done;
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
                    AfterAttempt::Retry {
                        delay: self.retry.backoff(retries),
                        cost: TIMEOUT_COST,
                        throttled: false,
                    }
                } else {
                    AfterAttempt::Done
                }
            }
            raw::Error::ErrorResponse(_)
            | raw::Error::UnexpectedResponse(_)
            | raw::Error::InvalidResponsePayload(..) => {
                let Some(status) = record.status else {
                    return AfterAttempt::Done;
                };
                if changes_state && status.is_server_error() {
                    record.outcome_unknown = true;
                }
                if status == StatusCode::UNAUTHORIZED && !*replayed_401 {
                    // The token was refused before anything was done with
                    // the request, so replaying is safe, creates included.
                    // Only OAuth tokens can be replaced.
                    let Auth::OAuth(cache) = &self.state.auth else {
                        return AfterAttempt::Done;
                    };
                    *replayed_401 = true;
                    if let Some(used) = record.token.take() {
                        cache.invalidate(&used);
                    }
                    AfterAttempt::Replay
                } else if status == StatusCode::TOO_MANY_REQUESTS {
                    // The limiter (every call of the client) waits out the
                    // Retry-After and slows down, whether or not this call
                    // is retried.
                    if let Some(limiter) = &self.state.limiter {
                        limiter.throttled(record.retry_after);
                    }
                    if self.retry.max_retries == 0 {
                        return AfterAttempt::Done;
                    }
                    // Refused before processing: safe to resend, creates
                    // included. Without a limiter, this call waits.
                    let delay = match &self.state.limiter {
                        Some(_) => Duration::ZERO,
                        None => record
                            .retry_after
                            .map(crate::retry::jittered)
                            .unwrap_or_else(|| self.retry.backoff(retries + throttles)),
                    };
                    AfterAttempt::Retry {
                        delay,
                        cost: RETRY_COST,
                        throttled: true,
                    }
                } else if is_retryable_status(status) && idempotent && may_retry {
                    AfterAttempt::Retry {
                        delay: record
                            .retry_after
                            .unwrap_or_else(|| self.retry.backoff(retries)),
                        cost: RETRY_COST,
                        throttled: false,
                    }
                } else {
                    AfterAttempt::Done
                }
            }
            raw::Error::InvalidRequest(_)
            | raw::Error::Custom(_)
            | raw::Error::InvalidUpgrade(_) => AfterAttempt::Done,
        }
    }

    /// Whether the operation may have an effect that happened unseen: any
    /// but a read (or an operation not in the table, which cannot happen).
    pub(super) fn changes_state(&self) -> bool {
        match (self.operation.get(), self.by_method) {
            (Some(op), _) => op.changes_state(),
            (None, Some((_, changes))) => changes,
            (None, None) => true,
        }
    }
}

/// The conventions' `error.type` of a failed call: the HTTP status of an
/// API error, else the kind of failure.
fn error_type(error: &Error) -> String {
    if let Some(status) = error.status() {
        return status.as_str().to_string();
    }
    match error.underlying() {
        Error::Timeout { .. } => "timeout",
        Error::DeadlineExceeded { .. } => "deadline_exceeded",
        Error::Transport { .. } => "transport",
        Error::Auth(_) => "auth",
        Error::Decode { .. } | Error::ResponseTooLarge { .. } => "decode",
        Error::Hook { .. } => "hook",
        _ => "_OTHER",
    }
    .to_string()
}
