//! How `altpay` fails: the exit code, and the text on stderr.

use alternative_payments::{AuthError, Cursor, Error};

/// How `altpay` exits; documented in `altpay --help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Something in altpay itself failed (writing the output).
    Internal = 1,
    /// Bad flags, arguments or request body; nothing was sent.
    Usage = 2,
    /// No usable credentials: missing or malformed settings, refused by the
    /// token endpoint, or a 401/403 from the API.
    Auth = 3,
    /// The API refused the request (another 4xx).
    Refused = 4,
    /// The API or the network failed (5xx, timeout, connection, a response
    /// that does not decode).
    Failed = 5,
}

/// A failure to report: what to print on stderr, and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        // A page of `--all` after the first: the page's own error, and how
        // to go on from there.
        let (error, resume) = match error {
            Error::PageFailed {
                source,
                resume: Cursor::After(cursor),
                ..
            } => (*source, Some(cursor)),
            Error::PageFailed { source, .. } => (*source, None),
            other => (other, None),
        };
        let mut failure = Self::from_call(error);
        if let Some(cursor) = resume {
            failure.message.push_str(&format!(
                "\n  the pages before it were written; go on with --after {cursor}"
            ));
        }
        failure
    }
}

impl Failure {
    fn from_call(error: Error) -> Self {
        let exit = match &error {
            // Not reaching the token endpoint is a network failure.
            Error::Auth(AuthError::Transport(_) | AuthError::Timeout) => Exit::Failed,
            Error::Auth(_) | Error::Config(_) => Exit::Auth,
            Error::Api(api) if matches!(api.status.as_u16(), 401 | 403) => Exit::Auth,
            Error::Api(api) if api.status.is_client_error() => Exit::Refused,
            Error::InvalidArgument(_) => Exit::Usage,
            _ => Exit::Failed,
        };
        Self::new(exit, describe(&error))
    }
}

/// An SDK error in words, for stderr: the API's code, message, validation
/// errors and request id each on their line.
pub fn describe(error: &Error) -> String {
    let Some(api) = error.api() else {
        let mut text = format!("error: {error}");
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        return text;
    };
    let mut text = format!("error: {}: API returned {}", api.operation, api.status);
    if let Some(code) = &api.code {
        text.push_str(&format!(" ({code})"));
    }
    if let Some(message) = &api.message {
        text.push_str(&format!(": {message}"));
    }
    for (field, problem) in &api.validation_errors {
        text.push_str(&format!("\n  {field}: {problem}"));
    }
    if let Some(snippet) = &api.body_snippet {
        text.push_str(&format!("\n  body starts with {snippet:?}"));
    }
    if let Some(id) = &api.request_id {
        text.push_str(&format!("\n  request id: {id}"));
    }
    if api.outcome_unknown {
        text.push_str("\n  an attempt may have taken effect: check before repeating the command");
    }
    text
}
