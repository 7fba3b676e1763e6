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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status other than 2xx (an unfollowed 3xx
    /// included).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// No access token could be obtained, or the API refused the one sent.
    /// What the token endpoint said is the [`source`](std::error::Error::source).
    #[error("authentication failed")]
    Auth(#[from] AuthError),

    /// An attempt got no complete response in time (after any retries).
    #[error("{operation}: timed out{}", timeout.map(|t| format!(" after {t:?}")).unwrap_or_default())]
    Timeout {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// The per-attempt limit that was exceeded, when known.
        timeout: Option<Duration>,
    },

    /// The API could not be reached, or the connection failed mid-way.
    /// The cause is the [`source`](std::error::Error::source).
    #[error("{operation}: could not reach the API")]
    Transport {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// The whole cause chain as one line, for logs that print one field.
        message: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A success response whose body is not what the API describes.
    #[error("{operation}: cannot decode the {status} response; body starts with {snippet:?}")]
    Decode {
        /// The operation, e.g. `get_customer`.
        operation: &'static str,
        /// HTTP status of the response.
        status: StatusCode,
        /// The first bytes of the body (at most 256), lossily as text.
        snippet: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },

    /// A success response larger than the client accepts
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)).
    /// Not retried: the same request would get the same answer.
    #[error(
        "{operation}: the response body exceeds the {limit}-byte limit (ClientBuilder::max_response_size)"
    )]
    ResponseTooLarge {
        /// The operation, e.g. `list_customers`.
        operation: &'static str,
        /// The limit in bytes.
        limit: usize,
    },

    /// The server broke the pagination contract (a cursor repeated, or a next
    /// page announced without a cursor); the stream stops instead of looping.
    #[error("{operation}: pagination stopped: {message}")]
    Pagination {
        /// The list operation.
        operation: &'static str,
        /// What the server did.
        message: String,
    },

    /// An argument was refused before anything was sent (for example a page
    /// size of 0).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The client could not be built: a missing or malformed setting or
    /// environment variable (named in the message).
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status, for API and decode errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
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
        match self {
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
        match self {
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Api(api) => crate::retry::is_retryable_status(api.status),
            Error::Auth(auth) => auth.is_retryable(),
            _ => false,
        }
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
}

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
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Why no usable access token could be had.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the request (RFC 6749 §5.2).
    #[error("token endpoint answered {status}: {error}{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The OAuth2 `error` code, e.g. `invalid_client`.
        error: String,
        /// The OAuth2 `error_description`, if any.
        description: Option<String>,
    },
    /// The token endpoint's answer is not an OAuth2 token or error response.
    #[error("token endpoint answered {status} with {what}")]
    InvalidResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong (never includes a token).
        what: String,
    },
    /// The token endpoint did not answer in time.
    #[error("token endpoint did not answer in time")]
    Timeout,
    /// The token endpoint could not be reached.
    #[error("could not reach the token endpoint: {0}")]
    Transport(String),
}

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
