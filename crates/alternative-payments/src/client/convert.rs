//! The one conversion of the generated client's result into this crate's:
//! an undocumented 2xx decoded as a success, and every error turned into
//! [`Error`] with what the call saw (status, request id, error body,
//! whether a write's outcome is unknown).

use std::time::Duration;

use alternative_payments_raw as raw;
use raw::types::HttpError;
use reqwest::StatusCode;

use super::ErrorBody;
use super::call::{Call, RawResult};
use crate::error::{ApiError, Error, snippet};

impl Call {
    /// What the generated method returned, as this crate's result: its
    /// error converted with what the call saw, and a 2xx the spec does not
    /// list decoded as a success.
    pub(super) async fn finish<T, E>(&self, result: RawResult<T, E>) -> crate::Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
    {
        let name = self.operation_name();
        let failed_hook = {
            let mut record = self.record();
            record
                .hook_failure
                .take()
                .map(|f| (f, record.outcome_unknown))
        };
        if let Some((failure, outcome_unknown)) = failed_hook {
            return Err(Error::Hook {
                hook: failure.hook,
                operation: name,
                message: failure.message,
                outcome_unknown,
            });
        }
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
                    self.state.connect_timeout
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
            // The header's, else the body's (where the mock also puts it).
            let request_id = record
                .request_id
                .take()
                .or_else(|| parsed.as_ref().and_then(|p| p.request_id.clone()));
            api_error(status, parsed, snippet, request_id)
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
}
