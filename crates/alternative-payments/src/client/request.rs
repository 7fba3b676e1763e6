//! [`Client::request`]: a call the spec does not describe (an endpoint
//! missing from the provider's pages), with everything the wrappers get:
//! the token cache, the rate limiter, retries under the same retry-safety
//! rules, hooks, timeouts, the deadline and the one error type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use alternative_payments_raw as raw;
use alternative_payments_raw::RequestHooks;
use alternative_payments_raw::operations::Operation;
use raw::ClientInfo;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde::de::DeserializeOwned;

use super::call::{Call, RequestOptions};
use super::hooks::SdkHooks;
use super::{Client, HttpError};
use crate::error::{Error, Result};
use crate::response::Response;
use crate::retry::RetryPolicy;

impl Client {
    /// A request to `path` (under the client's base URL) that this crate
    /// has no method for: an endpoint the provider's pages do not document
    /// yet, say. It goes through the same token cache, rate limiter,
    /// retries, hooks, timeouts and deadline as every other call, and fails
    /// with the same [`Error`].
    ///
    /// Retries follow the operation's rules when `method` and `path` are an
    /// operation of the spec, else the method's (RFC 9110): GET, HEAD,
    /// PUT and DELETE are resent after a lost answer, POST and PATCH only
    /// when the request provably never left.
    ///
    /// `path` is checked before anything is sent: it must start with `/`
    /// (an absolute URL is refused: the access token goes to the base URL's
    /// host only), hold no `.` or `..` segment, and no query or fragment
    /// (give query parameters with [`query`](CustomRequest::query), which
    /// encodes them); characters a path cannot hold must be
    /// percent-encoded.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use alternative_payments::Method;
    ///
    /// // JSON in, JSON out (any `Deserialize` type works as the answer).
    /// let answer: serde_json::Value = client
    ///     .request(Method::POST, "/webhooks/retry")
    ///     .json(&serde_json::json!({ "event_id": "evt_1" }))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> CustomRequest<'_> {
        CustomRequest {
            client: self,
            method,
            path: checked_path(path),
            query: Vec::new(),
            body: None,
            options: RequestOptions::default(),
        }
    }
}

/// A request built with [`Client::request`]; nothing is sent until
/// [`send`](Self::send).
#[must_use = "nothing is sent until .send() is awaited"]
pub struct CustomRequest<'a> {
    client: &'a Client,
    method: Method,
    path: Result<String>,
    query: Vec<(String, String)>,
    body: Option<Result<Vec<u8>>>,
    options: RequestOptions,
}

impl fmt::Debug for CustomRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomRequest")
            .field("method", &self.method)
            .field("path", &self.path.as_ref().ok())
            .field("query", &self.query)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CustomRequest<'_> {
    /// Adds a query parameter (encoded here; repeat for more).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// The JSON request body. A value that does not serialise fails
    /// [`send`](Self::send) with [`Error::InvalidArgument`], nothing sent.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(
            serde_json::to_vec(body)
                .map_err(|e| Error::InvalidArgument(format!("body: not JSON: {e}"))),
        );
        self
    }

    /// Time allowed for each attempt (`None`: no limit).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.timeout = Some(timeout.into());
        self
    }

    /// Retry policy for this request.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// The longest this request may take, waits and retries included
    /// (`None`: no deadline).
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.options.deadline = Some(deadline.into());
        self
    }

    /// Sends the request and decodes a 2xx answer as `T`
    /// (`serde_json::Value` for any JSON; an empty body reads as `null`).
    pub async fn send<T: DeserializeOwned>(self) -> Result<T> {
        self.send_with(false).await.map(Response::into_body)
    }

    /// Like [`send`](Self::send), with the answer's status, headers and
    /// request id.
    pub async fn send_with_response<T: DeserializeOwned>(self) -> Result<Response<T>> {
        self.send_with(true).await
    }

    async fn send_with<T: DeserializeOwned>(self, keep_headers: bool) -> Result<Response<T>> {
        let path = self.path?;
        let body = self.body.transpose()?.map(Arc::<[u8]>::from);
        let state = self.client.state.clone();
        let call = match Operation::matching(self.method.as_str(), &path) {
            Some(operation) => Call::new(state, &self.options, Some(operation)),
            None => Call::by_method(state, &self.options, &self.method),
        };
        let name = call.operation_name();
        call.record().keep_headers = keep_headers;
        let (method, query) = (self.method, Arc::new(self.query));
        let body = call
            .clone()
            .run(|raw: Arc<raw::Client>| {
                let (method, path, query, body) =
                    (method.clone(), path.clone(), query.clone(), body.clone());
                async move { attempt::<T>(&raw, method, &path, &query, body, name).await }
            })
            .await?;
        let mut record = call.record();
        Ok(Response {
            status: record.status.unwrap_or(reqwest::StatusCode::OK),
            headers: record.headers.take().unwrap_or_default(),
            body,
        })
    }
}

/// One attempt: the request built afresh, through the same hooks as a
/// generated method's (credentials, the limiter's turn, the user's hooks,
/// one send), and its answer decoded.
async fn attempt<T: DeserializeOwned>(
    raw: &raw::Client,
    method: Method,
    path: &str,
    query: &[(String, String)],
    body: Option<Arc<[u8]>>,
    name: &'static str,
) -> std::result::Result<raw::ResponseValue<T>, raw::Error<HttpError>> {
    let url = format!("{}{path}", raw.baseurl());
    let mut builder = raw
        .client()
        .request(method, url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .query(query);
    if let Some(body) = body {
        builder = builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body.to_vec());
    }
    let mut request = builder.build()?;
    SdkHooks
        .prepare(&mut request, name)
        .await
        .map_err(raw::Error::Custom)?;
    let response = SdkHooks.send(raw.client(), request, name).await?;
    let (status, headers) = (response.status(), response.headers().clone());
    if !status.is_success() {
        return Err(raw::Error::UnexpectedResponse(response));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(raw::Error::ResponseBodyError)?;
    let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
    let value = serde_json::from_slice(text)
        .map_err(|e| raw::Error::InvalidResponsePayload(bytes.clone(), e))?;
    Ok(raw::ResponseValue::new(value, status, headers))
}

/// `path` if it is a path under the base URL that needs no more encoding;
/// else the [`Error::InvalidArgument`] that says what is wrong with it.
fn checked_path(path: &str) -> Result<String> {
    let refuse = |why: String| {
        let shown: String = path.chars().take(80).collect();
        Err(Error::InvalidArgument(format!("path {shown:?}: {why}")))
    };
    if path.contains("://") || path.starts_with("//") {
        return refuse(
            "an absolute URL; give a path under the client's base URL (the access token is sent to its host only)"
                .into(),
        );
    }
    if !path.starts_with('/') {
        return refuse("must start with '/', as in /webhooks/retry".into());
    }
    if let Some(at) = path.find(['?', '#']) {
        return refuse(format!(
            "holds a query or fragment at byte {at}; give query parameters with .query(name, value), which encodes them"
        ));
    }
    let bytes = path.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        // RFC 3986 pchar, and '/'.
        let plain = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        let escape = b == b'%'
            && bytes
                .get(at + 1..at + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !(plain || escape) {
            let c = path[at..].chars().next().unwrap_or('?');
            return refuse(format!("{c:?} at byte {at} must be percent-encoded"));
        }
    }
    let dot = |segment: &str| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    };
    if path.split('/').any(dot) {
        return refuse("holds a '.' or '..' segment, which would leave the path it names".into());
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::checked_path;

    #[test]
    fn paths_that_could_leak_the_token_or_mean_something_else_are_refused() {
        for good in [
            "/webhooks/retry",
            "/customers/cus_1",
            "/customers/a%2Fb",
            "/x/~y-z_.w",
        ] {
            assert_eq!(checked_path(good).as_deref().ok(), Some(good), "{good}");
        }
        for (bad, says) in [
            ("https://evil.example/steal", "absolute URL"),
            ("//evil.example/steal", "absolute URL"),
            ("webhooks/retry", "must start with '/'"),
            ("/customers?email=a@b", "query parameters with .query"),
            ("/customers#top", "query or fragment"),
            ("/customers/../oauth/token", "'..' segment"),
            ("/customers/%2e%2E/x", "'..' segment"),
            ("/customers/./x", "'.' or '..'"),
            ("/customers/a b", "' ' at byte 12 must be percent-encoded"),
            ("/customers/é", "percent-encoded"),
            ("/customers/%zz", "'%' at byte 11"),
            ("/a\nb", "percent-encoded"),
        ] {
            let error = checked_path(bad).expect_err(bad).to_string();
            assert!(error.contains(says), "{bad}: {error}");
            assert!(error.starts_with("invalid argument: path "), "{error}");
        }
    }
}
