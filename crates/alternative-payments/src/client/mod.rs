//! The client, its builder, and configuration from the environment; and,
//! in the child modules, how each of its calls is sent: `call.rs` (the
//! attempt loop), `hooks.rs` (what the generated client's hooks do to each
//! attempt), `convert.rs` (the one conversion into [`Error`]). The client's
//! state, [`ClientState`], lives here and is what they share.

#[cfg(feature = "blocking")]
mod blocking;
mod call;
mod convert;
mod hooks;
#[cfg(feature = "opentelemetry")]
mod metrics;
mod request;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alternative_payments_raw as raw;
use raw::operations::Operation;
use raw::types::HttpError;
use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::auth::{ClientAuthMethod, Credentials, Kind, TokenCache, TokenSource, static_header};
use crate::error::{Error, Result};
use crate::hook::{Hook, Hooks};
use crate::rate_limit::{LimiterScope, LocalLimiter, RateLimit, RateLimiter, RetryBudget};
use crate::response::Response;
use crate::retry::RetryPolicy;
use call::Call;
pub(crate) use call::RequestOptions;
use hooks::SdkHooks;
pub use request::CustomRequest;

/// The production API ([`Environment::Production`]).
pub const DEFAULT_BASE_URL: &str = Environment::Production.base_url();

/// Where the provider runs the API. Credentials of one environment do not
/// work in the other.
///
/// ```
/// use alternative_payments::Environment;
///
/// assert_eq!(Environment::Demo.base_url(), "https://public-api.demo.alternativepayments.io");
/// assert_eq!("demo".parse::<Environment>(), Ok(Environment::Demo));
/// assert!("staging".parse::<Environment>().unwrap_err().contains("production, demo"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Environment {
    /// The live API, `https://public-api.alternativepayments.io`.
    #[default]
    Production,
    /// The sandbox, `https://public-api.demo.alternativepayments.io`: the
    /// same API on test data, with keys of its own.
    Demo,
}

impl Environment {
    /// Every environment, in the order error messages list them.
    pub const ALL: [Environment; 2] = [Environment::Production, Environment::Demo];

    /// The API's base URL there (the token endpoint is
    /// `{base_url}/oauth/token`).
    pub const fn base_url(self) -> &'static str {
        match self {
            Environment::Production => "https://public-api.alternativepayments.io",
            Environment::Demo => "https://public-api.demo.alternativepayments.io",
        }
    }

    /// The name [`FromStr`](std::str::FromStr) and
    /// `ALTERNATIVE_PAYMENTS_ENVIRONMENT` take: `production` or `demo`.
    pub const fn name(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Demo => "demo",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Environment {
    type Err = String;

    /// A name, ignoring case and surrounding space; an unknown one is an
    /// error listing the valid names.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let name = s.trim();
        Environment::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Environment::ALL.iter().map(|e| e.name()).collect();
                format!(
                    "unknown environment {name:?} (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}
/// Connect timeout of the built-in HTTP client.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for each attempt of a request, response body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest success response body accepted, in bytes (64 MiB).
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 64 * 1024 * 1024;
/// The longest a call may take, waiting for its turn under the rate limit,
/// retries and their waits included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// Environment variables read by [`Client::from_env`].
pub mod env {
    /// OAuth2 client id (required).
    pub const CLIENT_ID: &str = "ALTERNATIVE_PAYMENTS_CLIENT_ID";
    /// OAuth2 client secret (required).
    pub const CLIENT_SECRET: &str = "ALTERNATIVE_PAYMENTS_CLIENT_SECRET";
    /// Base URL (optional; defaults to the environment's). Not together
    /// with [`ENVIRONMENT`].
    pub const BASE_URL: &str = "ALTERNATIVE_PAYMENTS_BASE_URL";
    /// `production` (the default) or `demo`: see
    /// [`Environment`](crate::Environment). Not together with [`BASE_URL`].
    pub const ENVIRONMENT: &str = "ALTERNATIVE_PAYMENTS_ENVIRONMENT";
    /// Space- or comma-separated scopes to request (optional), e.g. `read write`.
    pub const SCOPES: &str = "ALTERNATIVE_PAYMENTS_SCOPES";
    /// The client-side rate limit (optional): requests per second (`10`),
    /// with a burst (`10/20`), or `off`; see [`RateLimit`](crate::RateLimit).
    pub const RATE_LIMIT: &str = "ALTERNATIVE_PAYMENTS_RATE_LIMIT";
}

/// How requests are authorised.
pub(crate) enum Auth {
    OAuth(Arc<TokenCache>),
    Static(HeaderValue),
}

/// What every call of a client (and its clones) shares.
pub(crate) struct ClientState {
    /// The generated client every call goes through; its hooks are
    /// `SdkHooks`.
    raw: Arc<raw::Client>,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    /// The built-in HTTP client's connect timeout (unknown for one the
    /// caller supplied).
    connect_timeout: Option<Duration>,
    user_agent: HeaderValue,
    max_response_size: usize,
    /// Paces every attempt; `None` when the rate limit is off.
    limiter: Option<Arc<dyn RateLimiter>>,
    budget: RetryBudget,
    /// The longest a call may take, waits and retries included.
    deadline: Option<Duration>,
    hooks: Hooks,
    /// API requests sent (every attempt; token requests aside).
    requests_sent: std::sync::atomic::AtomicU64,
    /// The runtime of blocking calls, made at the first.
    #[cfg(feature = "blocking")]
    runtime: blocking::OwnedRuntime,
    #[cfg(feature = "opentelemetry")]
    metrics: metrics::Metrics,
}

/// A client for the Alternative Payments API.
///
/// Cheap to clone: clones share the connection pool and the token cache.
///
/// ```no_run
/// # async fn run() -> alternative_payments::Result<()> {
/// use alternative_payments::{Client, Credentials};
///
/// let client = Client::builder()
///     .credentials(Credentials::client_credentials("my-client-id", "my-client-secret"))
///     .scopes(["read", "write"])
///     .build()?;
/// let customer = client.customers().get("cus_123").send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    state: Arc<ClientState>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.state.auth {
            Auth::OAuth(_) => "oauth2 client credentials",
            Auth::Static(_) => "static authorization",
        };
        f.debug_struct("Client")
            .field("base_url", &raw::ClientInfo::baseurl(&*self.state.raw))
            .field("auth", &auth)
            .field("retry", &self.state.retry)
            .field("timeout", &self.state.timeout)
            .field("rate_limited", &self.state.limiter.is_some())
            .field("deadline", &self.state.deadline)
            .field("hooks", &self.state.hooks)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Runs one of the SDK's futures (a request's `send()`, a list's
    /// stream collected, a waiter, ...) to its end from code that is not
    /// async, on a runtime the client owns (one worker thread, made at the
    /// first blocking call): the same limiter, retries, deadline and errors.
    /// Inside an async runtime it returns [`Error::Config`] at once rather
    /// than block that runtime's thread. `send_blocking()` on a request or
    /// list is the same for one call.
    ///
    /// ```no_run
    /// # fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let customer = client.customers().get("cus_000001").send_blocking()?;
    /// let all: Vec<_> = client.block_on(client.customers().list().stream().try_collect())?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "blocking")]
    pub fn block_on<T>(&self, future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.state.runtime.block_on(future)
    }

    /// The API requests this client and its clones have sent: every
    /// attempt, retries included (token requests aside). Under the key's
    /// rate limit requests are the time a task takes, so the difference
    /// across a task is its cost.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let before = client.requests_sent();
    /// let all: Vec<_> = client.customers().list().stream().try_collect().await?;
    /// println!("{} customers in {} requests", all.len(), client.requests_sent() - before);
    /// # Ok(()) }
    /// ```
    pub fn requests_sent(&self) -> u64 {
        self.state
            .requests_sent
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A client configured from the environment (see [`env`](mod@env)): client
    /// credentials from `ALTERNATIVE_PAYMENTS_CLIENT_ID` and
    /// `ALTERNATIVE_PAYMENTS_CLIENT_SECRET`, and optionally
    /// `ALTERNATIVE_PAYMENTS_ENVIRONMENT` (or `_BASE_URL`),
    /// `ALTERNATIVE_PAYMENTS_SCOPES` and `ALTERNATIVE_PAYMENTS_RATE_LIMIT`.
    /// A missing or malformed variable is an error naming it.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// [`Client::from_env`] with the variables looked up by `lookup`.
    pub(crate) fn builder_from(
        lookup: impl Fn(&str) -> Result<String, std::env::VarError>,
    ) -> Result<ClientBuilder> {
        let read = |name: &str, required: bool| -> Result<Option<String>> {
            match lookup(name) {
                Ok(value) if value.trim().is_empty() && required => Err(Error::Config(format!(
                    "environment variable {name} is empty"
                ))),
                Ok(value) if value.trim().is_empty() => Ok(None),
                Ok(value) => Ok(Some(value)),
                Err(std::env::VarError::NotPresent) if required => Err(Error::Config(format!(
                    "environment variable {name} is not set"
                ))),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config(format!(
                    "environment variable {name} is not valid UTF-8"
                ))),
            }
        };
        let id = read(env::CLIENT_ID, true)?.unwrap_or_default();
        let secret = read(env::CLIENT_SECRET, true)?.unwrap_or_default();
        let mut builder =
            Client::builder().credentials(Credentials::client_credentials(id.trim(), secret));
        let environment = read(env::ENVIRONMENT, false)?;
        if let Some(name) = &environment {
            let environment: Environment = name.parse().map_err(|e| {
                Error::Config(format!("environment variable {}: {e}", env::ENVIRONMENT))
            })?;
            builder = builder.environment(environment);
        }
        if let Some(url) = read(env::BASE_URL, false)? {
            if environment.is_some() {
                return Err(Error::Config(format!(
                    "environment variables {} and {} are both set: set one (the environment names its URL)",
                    env::ENVIRONMENT,
                    env::BASE_URL
                )));
            }
            parse_base_url(url.trim()).map_err(|e| {
                Error::Config(format!("environment variable {}: {e}", env::BASE_URL))
            })?;
            builder = builder.base_url(url.trim());
        }
        if let Some(scopes) = read(env::SCOPES, false)? {
            let scopes: Vec<&str> = scopes.split([' ', ',']).filter(|s| !s.is_empty()).collect();
            validate_scopes(&scopes)
                .map_err(|e| Error::Config(format!("environment variable {}: {e}", env::SCOPES)))?;
            builder = builder.scopes(scopes);
        }
        if let Some(limit) = read(env::RATE_LIMIT, false)? {
            let limit = RateLimit::parse(&limit).map_err(|e| {
                Error::Config(format!("environment variable {}: {e}", env::RATE_LIMIT))
            })?;
            builder = builder.rate_limit(limit);
        }
        Ok(builder)
    }

    /// Runs one operation of the generated client with this client's auth,
    /// retries and timeouts, and converts its error.
    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        operation: Operation,
        options: &RequestOptions,
        attempt: F,
    ) -> Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut(Arc<raw::Client>) -> Fut,
        Fut: Future<Output = std::result::Result<raw::ResponseValue<T>, raw::Error<E>>>,
    {
        self.call_with_response(operation, options, false, attempt)
            .await
            .map(Response::into_body)
    }

    /// [`Client::call`], with the success's status (and headers, when
    /// `keep_headers`).
    pub(crate) async fn call_with_response<T, E, F, Fut>(
        &self,
        operation: Operation,
        options: &RequestOptions,
        keep_headers: bool,
        attempt: F,
    ) -> Result<Response<T>>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut(Arc<raw::Client>) -> Fut,
        Fut: Future<Output = std::result::Result<raw::ResponseValue<T>, raw::Error<E>>>,
    {
        let call = Call::new(self.state.clone(), options, Some(operation));
        call.record().keep_headers = keep_headers;
        let body = call.clone().run(attempt).await?;
        let mut record = call.record();
        Ok(Response {
            status: record.status.unwrap_or(reqwest::StatusCode::OK),
            headers: record.headers.take().unwrap_or_default(),
            body,
        })
    }

    /// Obtains an access token now (or takes the cached one) and says what
    /// it grants, never the token itself: for checking credentials at
    /// startup. `None` for [`Credentials::api_key`] and
    /// [`Credentials::bearer_token`], which have no token endpoint to ask.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// if let Some(token) = client.check_credentials().await? {
    ///     println!("scopes {:?}, valid for {:?}", token.scopes, token.expires_in);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn check_credentials(&self) -> Result<Option<TokenInfo>> {
        let Auth::OAuth(cache) = &self.state.auth else {
            return Ok(None);
        };
        let token = crate::auth::token(cache, &self.state.retry).await?;
        Ok(Some(TokenInfo {
            scopes: token
                .scope
                .as_deref()
                .map(|s| s.split_whitespace().map(String::from).collect()),
            expires_in: token.expires_in(),
        }))
    }

    /// One call of the generated client ([`alternative_payments_raw::Client`])
    /// with this client's authentication, retries, timeouts and error
    /// conversion: an escape hatch for an operation this crate does not wrap
    /// yet, or for tools that handle every operation alike (the `altpay`
    /// CLI).
    ///
    /// `attempt` makes the call with the generated client it is given and
    /// returns what the generated method returned. It runs once per attempt
    /// (again after a transient failure, as the retry policy and the
    /// operation's retry class allow, or after a refused token), so it must
    /// make the same one call each time: a different operation, or a second
    /// one, is refused with [`Error::InvalidArgument`]. The generated client
    /// sends nothing outside the closure.
    ///
    /// The result is this crate's: the error converted into [`Error`] with
    /// what the call saw (status, request id, validation errors, whether a
    /// write's outcome is unknown), and a 2xx the spec does not list decoded
    /// as a success.
    ///
    /// ```no_run
    /// # async fn run(client: alternative_payments::Client) -> alternative_payments::Result<()> {
    /// let customer = client
    ///     .raw_call(|raw| async move { raw.get_customer().id("cus_123").send().await })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn raw_call<T, E, F, Fut>(&self, attempt: F) -> Result<T>
    where
        T: serde::de::DeserializeOwned,
        E: ErrorBody,
        F: FnMut(Arc<raw::Client>) -> Fut,
        Fut: Future<Output = std::result::Result<raw::ResponseValue<T>, raw::Error<E>>>,
    {
        Call::new(self.state.clone(), &RequestOptions::default(), None)
            .run(attempt)
            .await
    }
}

/// What [`Client::check_credentials`] learnt about the access token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The scopes the token endpoint says it granted; `None` when it did
    /// not say, which RFC 6749 §5.1 allows when they are the ones requested.
    pub scopes: Option<Vec<String>>,
    /// How long the client will use the token from now: the server's
    /// `expires_in`, at most a day, 60 s when the server gave none.
    pub expires_in: Duration,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::HttpError {}
    impl Sealed for () {}
}

/// The error body type of a generated operation: `HttpError` where the spec
/// documents error responses, `()` where it documents none. Sealed.
pub trait ErrorBody: sealed::Sealed {
    #[doc(hidden)]
    fn into_http_error(self) -> HttpError;
}

impl ErrorBody for HttpError {
    fn into_http_error(self) -> HttpError {
        self
    }
}

impl ErrorBody for () {
    fn into_http_error(self) -> HttpError {
        HttpError::default()
    }
}

/// Configures a [`Client`]. Every setting has a default except the
/// credentials.
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    base_url: Option<String>,
    scopes: Vec<String>,
    client_auth: ClientAuthMethod,
    connect_timeout: Option<Duration>,
    timeout: Option<Option<Duration>>,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    max_response_size: Option<usize>,
    /// `None`: the default; `Some(None)`: off.
    rate_limit: Option<Option<RateLimit>>,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    deadline: Option<Option<Duration>>,
    hooks: Hooks,
    #[cfg(feature = "opentelemetry")]
    meter: Option<opentelemetry::metrics::Meter>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("scopes", &self.scopes)
            .field("client_auth", &self.client_auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("http_client", &self.http_client.as_ref().map(|_| "custom"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_size", &self.max_response_size)
            .field("rate_limit", &self.rate_limit)
            .field(
                "rate_limiter",
                &self.rate_limiter.as_ref().map(|_| "custom"),
            )
            .field("deadline", &self.deadline)
            .field("hooks", &self.hooks)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder configured from the environment as [`Client::from_env`]
    /// does, for settings the environment does not give (a base URL from a
    /// command-line flag, a timeout, a user agent). A missing or malformed
    /// variable is an error naming it.
    pub fn from_env() -> Result<Self> {
        Client::builder_from(|name| std::env::var(name))
    }

    /// How to authenticate (required).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The OpenTelemetry meter the client records its metrics with (the
    /// `opentelemetry` feature): `http.client.request.duration` per attempt
    /// (the HTTP client conventions' attributes, `url.template` included),
    /// `alternative_payments.rate_limited` (429s) and
    /// `alternative_payments.rate_limit.wait` (time waiting for a turn).
    /// By default the global provider's meter `alternative-payments`.
    #[cfg(feature = "opentelemetry")]
    pub fn meter(mut self, meter: opentelemetry::metrics::Meter) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Adds a [`Hook`]: it sees (and may change) every attempt's request
    /// and sees every attempt's response, after the hooks added before it.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.0.push(Arc::new(hook));
        self
    }

    /// Where the API runs: [`Environment::Production`] by default, or
    /// [`Environment::Demo`]. The same as `base_url(environment.base_url())`:
    /// whichever of the two is called last wins.
    pub fn environment(self, environment: Environment) -> Self {
        self.base_url(environment.base_url())
    }

    /// The API's base URL, for a proxy or a test server; defaults to
    /// [`DEFAULT_BASE_URL`] (see [`environment`](Self::environment)). The
    /// token endpoint is `{base_url}/oauth/token`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// OAuth2 scopes to request (`read`, `write`). None by default: the
    /// server then grants the client's default scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Where the client id and secret go in token requests (default:
    /// HTTP Basic).
    pub fn client_auth(mut self, method: ClientAuthMethod) -> Self {
        self.client_auth = method;
        self
    }

    /// Connect timeout of the built-in HTTP client (default 10 s). Has no
    /// effect with [`http_client`](Self::http_client): that client's own
    /// setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for each attempt of a request, body included
    /// (default 60 s); `None` for no limit. Token requests get it too.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Retry policy for every request (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Text appended to the `User-Agent` header, e.g. `my-app/1.2`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Use this HTTP client (proxies, TLS roots, pool settings are then its
    /// own).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Allow sending credentials over plain `http://` to a host other than
    /// loopback. Off by default: only for test set-ups you control.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Largest success response body accepted, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`]); a larger one fails the call with
    /// [`Error::ResponseTooLarge`] instead of being held in memory.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// The client-side rate limit, shared by the client and its clones:
    /// every attempt waits for its turn, in arrival order (token requests,
    /// about one an hour, do not). [`RateLimit::DEFAULT`] (the provider's
    /// 5 per second, burst 5) unless changed; `None` turns it off. A 429
    /// pauses it for the server's `Retry-After` and slows it down for a
    /// while, whatever the setting.
    pub fn rate_limit(mut self, limit: impl Into<Option<RateLimit>>) -> Self {
        self.rate_limit = Some(limit.into());
        self
    }

    /// A limiter of your own instead of the built-in one (see
    /// [`RateLimiter`]), such as one shared by a fleet of processes
    /// through Redis (the `alternative-payments-redis` crate). It is told
    /// the [`rate_limit`](Self::rate_limit) (see [`LimiterScope`]) instead
    /// of the built-in limiter pacing at it.
    pub fn rate_limiter(mut self, limiter: impl RateLimiter) -> Self {
        self.rate_limiter = Some(Arc::new(limiter));
        self
    }

    /// The longest a call may take, its wait under the rate limit, retries
    /// and backoff included ([`DEFAULT_DEADLINE`] unless changed; `None`:
    /// no deadline). Each attempt also has its own
    /// [`timeout`](Self::timeout).
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.deadline = Some(deadline.into());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let rate_limit = self.rate_limit.unwrap_or(Some(RateLimit::DEFAULT));
        if let Some(limit) = &rate_limit {
            limit
                .check()
                .map_err(|e| Error::Config(format!("rate limit: {e}")))?;
        }
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(
                "no credentials: call .credentials(..) on the builder, or use Client::from_env()"
                    .into(),
            )
        })?;
        let url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))
            .map_err(|e| Error::Config(format!("base URL: {e}")))?;
        if url.scheme() == "http" && !is_loopback(&url) && !self.allow_insecure_http {
            return Err(Error::Config(format!(
                "base URL {url} uses plain http: credentials would travel unencrypted; use https, or allow_insecure_http(true) for a test server you control"
            )));
        }
        let base_url = url.as_str().trim_end_matches('/').to_string();
        validate_scopes(&self.scopes).map_err(|e| Error::Config(format!("scopes: {e}")))?;

        let mut user_agent = format!("alternative-payments-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &self.user_agent_suffix {
            user_agent = format!("{user_agent} {suffix}");
        }
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::Config(format!(
                "user agent suffix {:?} is not a valid header value",
                self.user_agent_suffix
            ))
        })?;

        let (http, connect_timeout) = match self.http_client {
            Some(client) => (client, None),
            None => {
                let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
                let client = tls(reqwest::Client::builder().connect_timeout(connect_timeout))?
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
                (client, Some(connect_timeout))
            }
        };
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        let client_id = match &credentials.0 {
            Kind::ClientCredentials { client_id, .. } => Some(client_id.clone()),
            Kind::Static(_) => None,
        };
        let auth = match credentials.0 {
            Kind::Static(value) => Auth::Static(static_header(&value)?),
            Kind::ClientCredentials {
                client_id,
                client_secret,
            } => {
                if client_id.is_empty() {
                    return Err(Error::Config("client id is empty".into()));
                }
                Auth::OAuth(TokenCache::new(TokenSource {
                    http: http.clone(),
                    token_url: format!("{base_url}/oauth/token"),
                    client_id,
                    client_secret,
                    scopes: (!self.scopes.is_empty()).then(|| self.scopes.join(" ")),
                    method: self.client_auth,
                    timeout,
                    user_agent: user_agent.clone(),
                }))
            }
        };
        let limiter = match self.rate_limiter {
            Some(custom) => {
                custom
                    .attach(&LimiterScope::new(client_id, base_url.clone(), rate_limit))
                    .map_err(|e| Error::Config(format!("rate limiter: {e}")))?;
                Some(custom)
            }
            None => {
                rate_limit.map(|limit| Arc::new(LocalLimiter::new(limit)) as Arc<dyn RateLimiter>)
            }
        };
        Ok(Client {
            state: Arc::new(ClientState {
                raw: Arc::new(raw::Client::new_with_client(
                    &base_url,
                    http.clone(),
                    raw::Hooks::new(SdkHooks),
                )),
                auth,
                retry: self.retry,
                timeout,
                connect_timeout,
                user_agent,
                max_response_size: self.max_response_size.unwrap_or(DEFAULT_MAX_RESPONSE_SIZE),
                limiter,
                budget: RetryBudget::new(),
                deadline: self.deadline.unwrap_or(Some(DEFAULT_DEADLINE)),
                hooks: self.hooks,
                requests_sent: std::sync::atomic::AtomicU64::new(0),
                #[cfg(feature = "blocking")]
                runtime: blocking::OwnedRuntime::default(),
                #[cfg(feature = "opentelemetry")]
                metrics: metrics::Metrics::new(
                    &self
                        .meter
                        .unwrap_or_else(|| opentelemetry::global::meter("alternative-payments")),
                ),
            }),
        })
    }
}

/// The built-in HTTP client's TLS: reqwest's own set-up, except with the
/// `rustls-ring` feature, where reqwest has no crypto provider and is given
/// a configuration with ring's and the platform's certificate verifier.
fn tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    #[cfg(feature = "rustls-ring")]
    {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|config| config.with_platform_verifier())
            .map_err(|e| Error::Config(format!("cannot set up TLS (rustls with ring): {e}")))?
            .with_no_client_auth();
        Ok(builder.tls_backend_preconfigured(config))
    }
    #[cfg(not(feature = "rustls-ring"))]
    Ok(builder)
}

fn parse_base_url(text: &str) -> std::result::Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} must start with https://"));
    }
    if url.host().is_none() {
        return Err(format!("{text:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// RFC 6749 §3.3 scope tokens: printable ASCII except space, `"` and `\`.
fn validate_scopes<S: AsRef<str>>(scopes: &[S]) -> std::result::Result<(), String> {
    for scope in scopes {
        let scope = scope.as_ref();
        let valid = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(format!("{scope:?} is not a valid OAuth2 scope"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::env::VarError;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Client::builder_from(|name| vars.get(name).cloned().ok_or(VarError::NotPresent))
    }

    fn err(vars: &[(&str, &str)]) -> String {
        from(vars).expect_err("refused").to_string()
    }

    #[test]
    fn from_env_picks_the_environment_and_refuses_an_unknown_or_ambiguous_one() {
        let creds = [(env::CLIENT_ID, "id"), (env::CLIENT_SECRET, "s")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = creds.to_vec();
            vars.extend_from_slice(extra);
            vars
        };
        let demo = from(&with(&[(env::ENVIRONMENT, " Demo ")])).expect("demo");
        assert!(
            format!("{demo:?}")
                .contains("base_url: Some(\"https://public-api.demo.alternativepayments.io\")"),
            "{demo:?}"
        );
        let client = demo.build().expect("https: allowed");
        assert_eq!(
            raw::ClientInfo::baseurl(&*client.state.raw),
            "https://public-api.demo.alternativepayments.io"
        );
        assert_eq!(
            err(&with(&[(env::ENVIRONMENT, "staging")])),
            "configuration error: environment variable ALTERNATIVE_PAYMENTS_ENVIRONMENT: unknown environment \"staging\" (expected one of: production, demo)"
        );
        assert!(
            err(&with(&[
                (env::ENVIRONMENT, "demo"),
                (env::BASE_URL, "https://proxy.test")
            ]))
            .contains(
                "ALTERNATIVE_PAYMENTS_ENVIRONMENT and ALTERNATIVE_PAYMENTS_BASE_URL are both set"
            ),
        );
        // In code, the last of environment() and base_url() wins.
        let builder = Client::builder()
            .base_url("https://proxy.test")
            .environment(Environment::Demo);
        assert!(format!("{builder:?}").contains("demo.alternativepayments.io"));
    }

    #[test]
    fn from_env_reads_credentials_url_and_scopes() {
        let builder = from(&[
            (env::CLIENT_ID, " id-1 "),
            (env::CLIENT_SECRET, "secret-1"),
            (env::BASE_URL, "http://127.0.0.1:4010"),
            (env::SCOPES, "read, write"),
        ])
        .expect("builder");
        let debug = format!("{builder:?}");
        assert!(debug.contains("client_id: \"id-1\""), "{debug}");
        assert!(
            debug.contains("base_url: Some(\"http://127.0.0.1:4010\")"),
            "{debug}"
        );
        assert!(debug.contains("scopes: [\"read\", \"write\"]"), "{debug}");
        assert!(!debug.contains("secret-1"), "{debug}");
        builder.build().expect("client");
    }

    #[test]
    fn from_env_names_the_missing_or_malformed_variable() {
        assert_eq!(
            err(&[]),
            "configuration error: environment variable ALTERNATIVE_PAYMENTS_CLIENT_ID is not set"
        );
        assert_eq!(
            err(&[(env::CLIENT_ID, "id")]),
            "configuration error: environment variable ALTERNATIVE_PAYMENTS_CLIENT_SECRET is not set"
        );
        assert_eq!(
            err(&[(env::CLIENT_ID, "id"), (env::CLIENT_SECRET, "  ")]),
            "configuration error: environment variable ALTERNATIVE_PAYMENTS_CLIENT_SECRET is empty"
        );
        assert!(
            err(&[(env::CLIENT_ID, "id"), (env::CLIENT_SECRET, "s"), (env::BASE_URL, "public-api")])
                .starts_with("configuration error: environment variable ALTERNATIVE_PAYMENTS_BASE_URL: \"public-api\" is not a URL")
        );
        assert_eq!(
            err(&[
                (env::CLIENT_ID, "id"),
                (env::CLIENT_SECRET, "s"),
                (env::SCOPES, "read \"all\"")
            ]),
            "configuration error: environment variable ALTERNATIVE_PAYMENTS_SCOPES: \"\\\"all\\\"\" is not a valid OAuth2 scope"
        );
        for bad in ["0", "-3", "NaN", "fast", "5/0"] {
            let e = err(&[
                (env::CLIENT_ID, "id"),
                (env::CLIENT_SECRET, "s"),
                (env::RATE_LIMIT, bad),
            ]);
            assert!(
                e.starts_with(
                    "configuration error: environment variable ALTERNATIVE_PAYMENTS_RATE_LIMIT: "
                ),
                "{bad:?}: {e}"
            );
        }
        let limited = from(&[
            (env::CLIENT_ID, "id"),
            (env::CLIENT_SECRET, "s"),
            (env::RATE_LIMIT, "off"),
        ]);
        assert!(format!("{:?}", limited.expect("ok")).contains("rate_limit: Some(None)"));
        // Optional variables may be empty.
        let builder = from(&[
            (env::CLIENT_ID, "id"),
            (env::CLIENT_SECRET, "s"),
            (env::BASE_URL, ""),
            (env::SCOPES, ""),
        ]);
        builder.expect("ok").build().expect("client");
    }
}

/// `cargo test -p alternative-payments --no-default-features --features
/// rustls-ring,resources --lib ring` (CI runs it): aws-lc-rs is then not even built.
#[cfg(all(test, feature = "rustls-ring"))]
mod ring {
    use std::io::Read;

    use super::*;

    /// reqwest built with `rustls-no-provider` panics on `build()` unless it
    /// is given a configuration: the client must build, and its first
    /// request must open with a TLS handshake.
    #[tokio::test]
    async fn the_built_in_client_speaks_tls_with_ring() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut first = [0u8; 3];
            stream.read_exact(&mut first).expect("read");
            first // dropped without an answer: the handshake fails
        });
        let client = Client::builder()
            .credentials(Credentials::api_key("k"))
            .base_url(format!("https://localhost:{port}"))
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("a client with ring");
        let error = client
            .customers()
            .get("cus_1")
            .send()
            .await
            .expect_err("no TLS server there");
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        // A TLS handshake record (22), TLS 1.x (3, 1).
        assert_eq!(server.join().expect("server"), [22, 3, 1]);
    }
}
