//! Your code in every request: [`Hook`]s added with
//! [`ClientBuilder::hook`](crate::ClientBuilder::hook) see each attempt's
//! request (and may change it) and each attempt's response, in the order
//! they were added, with the operation's name.
//!
//! A hook is a trait object rather than a `tower` layer: the SDK's retries,
//! token replay and rate limiting sit around each attempt, and a hook must
//! see every attempt with its number, not one opaque service call.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

/// Sees every attempt of every API request a [`Client`](crate::Client)
/// makes. Both methods default to doing nothing.
///
/// What a hook can never see: credentials. It runs before the SDK puts the
/// `Authorization` header on the request (and anything it writes there is
/// replaced), and token requests, which carry the client secret, do not
/// pass through hooks.
///
/// A hook that returns an error or panics fails the call with
/// [`Error::Hook`](crate::Error::Hook), naming it; nothing more is sent for
/// that call, and the client stays usable.
///
/// Add a header to every request:
///
/// ```no_run
/// use alternative_payments::{Client, Hook, HookRequest};
///
/// struct Tenant(&'static str);
///
/// impl Hook for Tenant {
///     fn on_request(&self, request: &mut HookRequest<'_>) -> Result<(), String> {
///         let value = self.0.parse().map_err(|_| "tenant is not a header value")?;
///         request.headers_mut().insert("x-tenant", value);
///         Ok(())
///     }
/// }
///
/// # fn main() -> alternative_payments::Result<()> {
/// let client = Client::builder()
///     .credentials(alternative_payments::Credentials::client_credentials("id", "secret"))
///     .hook(Tenant("acme"))
///     .build()?;
/// # Ok(()) }
/// ```
///
/// Record latency per operation:
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use alternative_payments::{Hook, HookResponse};
///
/// #[derive(Clone, Default)]
/// struct Latency(Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>);
///
/// impl Hook for Latency {
///     fn on_response(&self, response: &HookResponse<'_>) -> Result<(), String> {
///         let mut seen = self.0.lock().unwrap();
///         seen.entry(response.operation()).or_default().push(response.elapsed());
///         Ok(())
///     }
/// }
/// ```
pub trait Hook: Send + Sync + 'static {
    /// The name errors and logs give the hook; by default its type's name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Runs before each attempt is sent (after the rate limiter let it
    /// through); may change its headers. An `Err` stops the call.
    fn on_request(&self, request: &mut HookRequest<'_>) -> Result<(), String> {
        let _ = request;
        Ok(())
    }

    /// Runs when each attempt ends: with its status and headers once they
    /// arrived (the body is read after), or without, when the attempt got
    /// no response (timeout, connection failure). An `Err` fails the call
    /// although the server answered: for a create, the outcome is then
    /// unknown to the caller.
    fn on_response(&self, response: &HookResponse<'_>) -> Result<(), String> {
        let _ = response;
        Ok(())
    }
}

/// One attempt's request, as a [`Hook`] sees it: no credentials on it yet.
pub struct HookRequest<'a> {
    pub(crate) request: &'a mut reqwest::Request,
    pub(crate) operation: &'static str,
    pub(crate) attempt: u32,
}

impl HookRequest<'_> {
    /// The operation, e.g. `get_customer` (the spec's operationId in
    /// snake_case).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// 1 for the first attempt, 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The URL, query included.
    pub fn url(&self) -> &Url {
        self.request.url()
    }

    /// The headers so far (the user agent, `content-type`, ...).
    pub fn headers(&self) -> &HeaderMap {
        self.request.headers()
    }

    /// The headers, to add or change one. `Authorization` is set after the
    /// hooks run, replacing any set here.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.request.headers_mut()
    }
}

impl fmt::Debug for HookRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookRequest")
            .field("operation", &self.operation)
            .field("attempt", &self.attempt)
            .field("method", self.method())
            .field("url", &self.url().as_str())
            .finish_non_exhaustive()
    }
}

/// How one attempt ended, as a [`Hook`] sees it.
#[derive(Debug)]
pub struct HookResponse<'a> {
    pub(crate) operation: &'static str,
    pub(crate) attempt: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: Option<&'a HeaderMap>,
    pub(crate) elapsed: Duration,
}

impl HookResponse<'_> {
    /// The operation, e.g. `get_customer`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// 1 for the first attempt, 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The status, or `None` when the attempt got no response.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The response's headers, when it came.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.headers
    }

    /// From sending the request to the response's headers (or the
    /// failure).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The server's id for this request (`x-request-id`, else
    /// `request-id`), when the response came with one: what to log and to
    /// quote to the provider's support.
    pub fn request_id(&self) -> Option<&str> {
        crate::response::request_id(self.headers?)
    }
}

/// The hooks of a client, in order.
#[derive(Clone, Default)]
pub(crate) struct Hooks(pub(crate) Vec<Arc<dyn Hook>>);

/// Why a hook stopped a call: its name and what it said.
pub(crate) struct HookFailure {
    pub(crate) hook: String,
    pub(crate) message: String,
}

impl Hooks {
    /// Runs `f` on each hook in order; the first error or panic stops it.
    pub(crate) fn run(
        &self,
        mut f: impl FnMut(&dyn Hook) -> Result<(), String>,
    ) -> Result<(), HookFailure> {
        for hook in &self.0 {
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&**hook)));
            let message = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(message)) => message,
                Err(panic) => format!("panicked: {}", panic_message(&*panic)),
            };
            return Err(HookFailure {
                hook: hook.name().to_string(),
                message,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|h| h.name()))
            .finish()
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}
