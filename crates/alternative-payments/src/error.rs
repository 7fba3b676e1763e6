//! The one error type of the SDK.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything that can go wrong calling the API.
///
/// Match on the variant for detail, or use the helpers
/// ([`status`](Error::status), [`is_not_found`](Error::is_not_found),
/// [`is_retryable`](Error::is_retryable), ...). Never contains a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status other than 2xx (an unfollowed 3xx
    /// included).
    Api(Box<ApiError>),

    /// No access token could be obtained, or the API refused the one sent.
    /// What the token endpoint said is the [`source`](std::error::Error::source).
    Auth(AuthError),

    /// An attempt got no complete response in time (after any retries).
    Timeout {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// The limit that was exceeded, when known: the connect timeout when
        /// `connecting`, else the per-attempt timeout.
        timeout: Option<Duration>,
        /// The last attempt never got a connection (the connect timeout
        /// fired), so it never reached the server.
        connecting: bool,
        /// See [`Error::outcome_unknown`].
        outcome_unknown: bool,
    },

    /// The call's deadline
    /// ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)) passed
    /// while it waited for its turn under the rate limit, before it could
    /// make an attempt. (A deadline that passes after an attempt returns
    /// that attempt's error.)
    DeadlineExceeded {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// The deadline.
        deadline: Duration,
        /// See [`Error::outcome_unknown`].
        outcome_unknown: bool,
    },

    /// The API could not be reached, or the connection failed mid-way.
    /// The cause is the [`source`](std::error::Error::source).
    Transport {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// See [`Error::outcome_unknown`].
        outcome_unknown: bool,
        /// The whole cause chain as one line, for logs that print one field.
        message: String,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A success response whose body is not what the API describes.
    Decode {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// HTTP status of the response.
        status: StatusCode,
        /// The first bytes of the body (at most 256), lossily as text.
        snippet: String,
        /// The decoding error.
        source: serde_json::Error,
    },

    /// A success response larger than the client accepts
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)).
    /// Not retried: the same request would get the same answer.
    ResponseTooLarge {
        /// The operation, e.g. `list_customers`.
        operation: &'static str,
        /// The limit in bytes.
        limit: usize,
    },

    /// The server broke the pagination contract (a cursor repeated, or a next
    /// page announced without a cursor); the stream stops instead of looping.
    Pagination {
        /// The list operation.
        operation: &'static str,
        /// What the server did.
        message: String,
    },

    /// A page after the first failed, for the reason in `source` (the
    /// error the page's call ended with, after its retries), so the stream
    /// stopped. Resume from `resume` (see [`Error::resume_cursor`] and
    /// [`List::after`](crate::List::after)). The helpers ([`status`](Error::status),
    /// [`is_retryable`](Error::is_retryable), ...) answer for `source`.
    PageFailed {
        /// The list operation.
        operation: &'static str,
        /// Where the failed page starts: a stream resumed from here loses
        /// nothing and repeats nothing.
        resume: crate::cursor::Cursor,
        /// Why the page failed.
        source: Box<Error>,
    },

    /// A call whose request carried an idempotency key (a charge,
    /// [`Payments::create`](crate::Payments::create)) failed, for the reason
    /// in `source`. Sending the same request again with the same key acts
    /// at most once, so after an error whose outcome is unknown
    /// ([`Error::outcome_unknown`]) send it again with this key, now or
    /// later, rather than looking for the charge first. The helpers
    /// ([`status`](Error::status), [`outcome_unknown`](Error::outcome_unknown),
    /// ...) answer for `source`; see also
    /// [`is_idempotency_key_reused`](Error::is_idempotency_key_reused).
    Keyed {
        /// The key the request carried: the caller's, or the one the SDK
        /// generated.
        idempotency_key: String,
        /// Why the call failed.
        source: Box<Error>,
    },

    /// An argument was refused before anything was sent (for example a page
    /// size of 0).
    InvalidArgument(String),

    /// A timestamp field of a model is not RFC 3339 (from an accessor such
    /// as [`Customer::created_at`](crate::types::Customer::created_at); the
    /// text stays in the field).
    InvalidTimestamp(crate::types::TimestampError),

    /// A hook added with [`ClientBuilder::hook`](crate::ClientBuilder::hook)
    /// returned an error or panicked; nothing more was sent for the call.
    Hook {
        /// The hook, by [`Hook::name`](crate::Hook::name).
        hook: String,
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// What the hook said, or the panic's message.
        message: String,
        /// See [`Error::outcome_unknown`]: true when an earlier attempt of
        /// the call may have taken effect.
        outcome_unknown: bool,
    },

    /// The client could not be built: a missing or malformed setting or
    /// environment variable (named in the message).
    Config(String),

    /// A waiter ([`Waiter`](crate::Waiter)) reached its maximum wait before
    /// the object reached an outcome. Nothing failed: wait again, or look
    /// later.
    WaitTimedOut {
        /// What was waited for, e.g. `payment request`.
        what: &'static str,
        /// Its id.
        id: String,
        /// How long the waiter waited.
        waited: Duration,
        /// The status it had at the last look, if any.
        last_status: Option<String>,
    },
}

// Display and source by hand rather than with thiserror: two crates (one a
// proc macro) in every application's build for two impls.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unknown = |outcome_unknown: bool| if outcome_unknown { UNKNOWN_OUTCOME } else { "" };
        match self {
            Error::Api(api) => api.fmt(f),
            Error::Auth(_) => f.write_str("authentication failed"),
            Error::Timeout {
                operation,
                timeout,
                connecting,
                outcome_unknown,
            } => {
                let waiting = if *connecting {
                    "connecting"
                } else {
                    "waiting for the response"
                };
                write!(f, "{operation}: timed out {waiting}")?;
                if let Some(timeout) = timeout {
                    write!(f, " after {timeout:?}")?;
                }
                f.write_str(unknown(*outcome_unknown))
            }
            Error::DeadlineExceeded {
                operation,
                deadline,
                outcome_unknown,
            } => write!(
                f,
                "{operation}: the call's deadline of {deadline:?} passed while it waited for its turn under the rate limit{}",
                unknown(*outcome_unknown)
            ),
            Error::Transport {
                operation,
                outcome_unknown,
                ..
            } => write!(
                f,
                "{operation}: could not reach the API{}",
                unknown(*outcome_unknown)
            ),
            Error::Decode {
                operation,
                status,
                snippet,
                ..
            } => write!(
                f,
                "{operation}: cannot decode the {status} response; body starts with {snippet:?}"
            ),
            Error::ResponseTooLarge { operation, limit } => write!(
                f,
                "{operation}: the response body exceeds the {limit}-byte limit (ClientBuilder::max_response_size)"
            ),
            Error::Pagination { operation, message } => {
                write!(f, "{operation}: pagination stopped: {message}")
            }
            Error::PageFailed { operation, .. } => {
                write!(
                    f,
                    "{operation}: a page failed; the stream can resume at its cursor"
                )
            }
            Error::Keyed {
                idempotency_key,
                source,
            } => write!(f, "{source} (idempotency key {idempotency_key})"),
            Error::InvalidArgument(message) => write!(f, "invalid argument: {message}"),
            Error::InvalidTimestamp(e) => e.fmt(f),
            Error::Hook {
                hook,
                operation,
                message,
                outcome_unknown,
            } => write!(
                f,
                "{operation}: hook `{hook}` failed: {message}{}",
                unknown(*outcome_unknown)
            ),
            Error::Config(message) => write!(f, "configuration error: {message}"),
            Error::WaitTimedOut {
                what,
                id,
                waited,
                last_status,
            } => write!(
                f,
                "{what} {id} had no outcome after waiting {waited:?} (status: {})",
                last_status.as_deref().unwrap_or("none")
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Auth(e) => Some(e),
            Error::Transport { source, .. } => Some(&**source),
            Error::Decode { source, .. } => Some(source),
            Error::PageFailed { source, .. } => Some(&**source),
            Error::Keyed { source, .. } => std::error::Error::source(&**source),
            Error::InvalidTimestamp(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<crate::types::TimestampError> for Error {
    fn from(e: crate::types::TimestampError) -> Self {
        Error::InvalidTimestamp(e)
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(e)
    }
}

impl Error {
    /// The error behind a [`Error::PageFailed`] or [`Error::Keyed`]; any
    /// other, itself.
    pub(crate) fn underlying(&self) -> &Error {
        match self {
            Error::PageFailed { source, .. } | Error::Keyed { source, .. } => source.underlying(),
            other => other,
        }
    }

    /// The idempotency key the failed request carried, for
    /// [`Error::Keyed`]: send the same request again with it.
    pub fn idempotency_key(&self) -> Option<&str> {
        match self {
            Error::Keyed {
                idempotency_key, ..
            } => Some(idempotency_key),
            Error::PageFailed { source, .. } => source.idempotency_key(),
            _ => None,
        }
    }

    /// Whether the API refused the request because its idempotency key was
    /// already used with another request (a 409 or 422 naming the key's
    /// field): a different charge needs a new key; the same charge must be
    /// sent exactly as before.
    pub fn is_idempotency_key_reused(&self) -> bool {
        let Some(api) = self.api() else {
            return false;
        };
        let field =
            alternative_payments_raw::operations::Operation::from_method_name(api.operation)
                .and_then(|op| op.idempotency_key());
        matches!(
            api.status,
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
        ) && field.is_some_and(|field| api.validation_errors.contains_key(field))
    }

    /// Where a stream stopped by a failed page can resume
    /// ([`List::after`](crate::List::after) with the cursor of
    /// `Cursor::After`), for [`Error::PageFailed`].
    pub fn resume_cursor(&self) -> Option<&crate::cursor::Cursor> {
        match self {
            Error::PageFailed { resume, .. } => Some(resume),
            _ => None,
        }
    }

    /// The HTTP status, for API and decode errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self.underlying() {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } => Some(*status),
            Error::Auth(
                AuthError::Rejected { status, .. } | AuthError::InvalidResponse { status, .. },
            ) => StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }

    /// The API error details, for [`Error::Api`].
    pub fn api(&self) -> Option<&ApiError> {
        match self.underlying() {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.api()
            .is_some_and(|a| a.status == StatusCode::NOT_FOUND)
    }

    /// Whether the API refused the input (400 or 422); see
    /// [`ApiError::validation_errors`].
    pub fn is_invalid_request(&self) -> bool {
        self.api().is_some_and(|a| {
            matches!(
                a.status,
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            )
        })
    }

    /// Whether trying again later may succeed: timeouts, connection
    /// failures, and statuses 408, 429, 500, 502, 503, 504. (The client
    /// already retried these as its retry policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self.underlying() {
            Error::Timeout { .. } | Error::Transport { .. } | Error::DeadlineExceeded { .. } => {
                true
            }
            Error::Api(api) => crate::retry::is_retryable_status(api.status),
            Error::Auth(auth) => auth.is_retryable(),
            _ => false,
        }
    }

    /// Whether the request may have taken effect although the call failed.
    ///
    /// True when an attempt ended without a definite answer: it timed out
    /// after connecting, lost its connection after sending, or got a 5xx
    /// (the last attempt, or an earlier one the client retried). Then:
    ///
    /// - a create may exist although the call failed: look for it before
    ///   creating it again, with
    ///   [`Customers::find_by_external_id`](crate::Customers::find_by_external_id)
    ///   (the API has no idempotency key and does not enforce unique
    ///   external ids, so a blind second create makes a duplicate);
    /// - a 4xx may answer the *repeated* request, not the first: a `400`
    ///   "already archived" from an archive whose first response was lost
    ///   means the customer was archived, very likely by this call. Read the
    ///   resource to know.
    ///
    /// False when every attempt was refused with a definite status (4xx
    /// other than after such an attempt) or provably never reached the
    /// server (connection refused, connect timeout), for errors raised
    /// before anything was sent, and always for reads (`GET`), which have no
    /// effect to miss.
    pub fn outcome_unknown(&self) -> bool {
        match self.underlying() {
            Error::Api(api) => api.outcome_unknown,
            Error::Timeout {
                outcome_unknown, ..
            }
            | Error::DeadlineExceeded {
                outcome_unknown, ..
            }
            | Error::Transport {
                outcome_unknown, ..
            }
            | Error::Hook {
                outcome_unknown, ..
            } => *outcome_unknown,
            _ => false,
        }
    }

    /// Whether the API refused the call with 429 Too Many Requests (after
    /// the client waited and retried as long as the call's deadline and
    /// the retry budget allowed).
    pub fn is_rate_limited(&self) -> bool {
        self.api()
            .is_some_and(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// How long the server asked to wait (`Retry-After`) in its last
    /// answer, for a retryable status; capped at
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after).
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|a| a.retry_after)
    }

    /// The request id the server sent, if any (quote it to support).
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|a| a.request_id.as_deref())
    }
}

/// An error status from the API, with what its body said.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, e.g. `create_customer`.
    pub operation: &'static str,
    /// HTTP status.
    pub status: StatusCode,
    /// The API's error code (`HttpError.code`), if any.
    pub code: Option<String>,
    /// The API's message (`HttpError.message`), if any.
    pub message: Option<String>,
    /// Field name → what is wrong with it (`HttpError.validation_errors`).
    pub validation_errors: BTreeMap<String, String>,
    /// The server's request id (`x-request-id` or `request-id` header).
    pub request_id: Option<String>,
    /// The first bytes of a body that was not an API error document.
    pub body_snippet: Option<String>,
    /// An attempt of this call ended without a definite answer, so the
    /// request may have taken effect; see [`Error::outcome_unknown`].
    pub outcome_unknown: bool,
    /// The wait the server asked for (`Retry-After`), for a retryable
    /// status; see [`Error::retry_after`].
    pub retry_after: Option<Duration>,
}

/// How errors whose request may have taken effect end their message.
const UNKNOWN_OUTCOME: &str = "; an attempt may have taken effect (Error::outcome_unknown)";

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: API returned {}", self.operation, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if !self.validation_errors.is_empty() {
            let fields: Vec<String> = self
                .validation_errors
                .iter()
                .map(|(field, problem)| format!("{field}: {problem}"))
                .collect();
            write!(f, " [{}]", fields.join("; "))?;
        }
        if let Some(snippet) = &self.body_snippet {
            write!(f, "; body starts with {snippet:?}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if self.outcome_unknown {
            f.write_str(UNKNOWN_OUTCOME)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Why no usable access token could be had.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the request (RFC 6749 §5.2).
    Rejected {
        /// HTTP status.
        status: u16,
        /// The OAuth2 `error` code, e.g. `invalid_client`.
        error: String,
        /// The OAuth2 `error_description`, if any.
        description: Option<String>,
    },
    /// The token endpoint's answer is not an OAuth2 token or error response.
    InvalidResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong (never includes a token).
        what: String,
    },
    /// The token endpoint did not answer in time.
    Timeout,
    /// The token endpoint could not be reached.
    Transport(String),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Rejected {
                status,
                error,
                description,
            } => {
                write!(f, "token endpoint answered {status}: {error}")?;
                if let Some(description) = description {
                    write!(f, ": {description}")?;
                }
                Ok(())
            }
            AuthError::InvalidResponse { status, what } => {
                write!(f, "token endpoint answered {status} with {what}")
            }
            AuthError::Timeout => f.write_str("token endpoint did not answer in time"),
            AuthError::Transport(message) => {
                write!(f, "could not reach the token endpoint: {message}")
            }
        }
    }
}

impl std::error::Error for AuthError {}

impl AuthError {
    /// Whether asking the token endpoint again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            AuthError::Timeout | AuthError::Transport(_) => true,
            AuthError::Rejected { status, .. } | AuthError::InvalidResponse { status, .. } => {
                StatusCode::from_u16(*status).is_ok_and(crate::retry::is_retryable_status)
            }
        }
    }
}

/// At most `max` bytes of `body`, as text, for messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let cut = &body[..body.len().min(max)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > max {
        text.push('…');
    }
    text
}
