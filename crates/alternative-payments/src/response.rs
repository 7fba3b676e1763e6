//! A success with what came with it: [`Request::send_with_response`](crate::Request::send_with_response).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// A successful response: the decoded body, with the status, headers and
/// request id of the attempt that succeeded.
///
/// ```no_run
/// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
/// let response = client.customers().get("cus_1").send_with_response().await?;
/// println!("{} (request id {:?})", response.status(), response.request_id());
/// let customer = response.into_body();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Response<T> {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: T,
}

impl<T> Response<T> {
    /// The HTTP status (a 2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response's headers. (Responses of the API carry no credentials:
    /// those travel in requests, and to the token endpoint, which hooks and
    /// this type never see.)
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The server's id for this request (`x-request-id` or `request-id`),
    /// to quote to the provider's support.
    pub fn request_id(&self) -> Option<&str> {
        request_id(&self.headers)
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, owned.
    pub fn into_body(self) -> T {
        self.body
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            body: f(self.body),
        }
    }
}

/// The server's request id in `headers`: `x-request-id`, else `request-id`
/// (for successes here, for errors in `ApiError::request_id`).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
}
