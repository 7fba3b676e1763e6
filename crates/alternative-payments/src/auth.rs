//! OAuth2 client credentials (RFC 6749 §4.4) with a shared token cache, and
//! static `Authorization` credentials.
//!
//! Invariant: secrets live in [`SecretString`] until the moment they go
//! into a header or form; every type here prints them as `[redacted]`.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{AuthError, Error};
use crate::retry::RetryPolicy;

/// A secret: never printed, zeroed when dropped.
///
/// Written here rather than taken from `secrecy`, whose `SecretString` this
/// was: these lines are all of it the crate used, and `zeroize`, which does
/// the part that needs care, is in every user's build already (rustls). One
/// crate fewer for every application (issue #11).
#[derive(Clone)]
pub(crate) struct SecretString(Box<str>);

impl SecretString {
    /// The secret itself, for the one place it goes: a header or a form.
    pub(crate) fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self(secret.into_boxed_str())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// How the client proves who it is.
#[derive(Clone)]
pub struct Credentials(pub(crate) Kind);

#[derive(Clone)]
pub(crate) enum Kind {
    ClientCredentials {
        client_id: String,
        client_secret: SecretString,
    },
    /// A complete `Authorization` header value.
    Static(SecretString),
}

impl Credentials {
    /// OAuth2 client credentials: the client exchanges them for access
    /// tokens at `{base_url}/oauth/token`, caches and refreshes them.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self(Kind::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        })
    }

    /// An API key, sent as given: `Authorization: <key>`.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self(Kind::Static(SecretString::from(key.into())))
    }

    /// A bearer token obtained elsewhere: `Authorization: Bearer <token>`.
    /// It is not refreshed.
    pub fn bearer_token(token: impl Into<String>) -> Self {
        Self(Kind::Static(SecretString::from(format!(
            "Bearer {}",
            token.into()
        ))))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &format_args!("[redacted]"))
                .finish(),
            Kind::Static(_) => f.write_str("StaticAuthorization([redacted])"),
        }
    }
}

/// Where the client id and secret go in a token request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic authentication (RFC 6749 §2.3.1), the default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` form fields in the request body.
    RequestBody,
}

/// An access token and when to stop using it.
pub(crate) struct Token {
    /// The `Authorization` header value, marked sensitive.
    pub(crate) header: HeaderValue,
    /// The `scope` the token endpoint says it granted, if it said.
    pub(crate) scope: Option<String>,
    refresh_at: Instant,
    expires_at: Instant,
}

impl Token {
    /// How long it stays usable from now.
    pub(crate) fn expires_in(&self) -> Duration {
        self.expires_at.saturating_duration_since(Instant::now())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &format_args!("[redacted]"))
            .field("scope", &self.scope)
            .field("refresh_at", &self.refresh_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Lifetime assumed when the server sends no `expires_in`: short, so a
/// token of unknown lifetime is replaced soon rather than used forever.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(60);
/// Refresh at most this long before expiry...
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// The longest lifetime a token is trusted for, whatever `expires_in` says:
/// refreshing a long-lived token daily costs one request, while an absurd
/// value (`u64::MAX` seconds) must not overflow the clock.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// ...and not again within this long of a failed background refresh.
const REFRESH_FAILURE_PAUSE: Duration = Duration::from_secs(5);

type Flight = Shared<BoxFuture<'static, Result<Arc<Token>, AuthError>>>;

/// Settings of a token cache.
pub(crate) struct TokenSource {
    pub(crate) http: reqwest::Client,
    pub(crate) token_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) scopes: Option<String>,
    pub(crate) method: ClientAuthMethod,
    pub(crate) timeout: Option<Duration>,
    pub(crate) user_agent: HeaderValue,
}

/// One token per client, shared by all its clones. Concurrent callers share
/// one in-flight request: a thousand cold calls make one token request.
pub(crate) struct TokenCache {
    source: TokenSource,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    current: Option<Arc<Token>>,
    in_flight: Option<Flight>,
    last_failure: Option<Instant>,
}

impl TokenCache {
    pub(crate) fn new(source: TokenSource) -> Arc<Self> {
        Arc::new(Self {
            source,
            state: Mutex::new(CacheState::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding this lock cannot leave the state
        // inconsistent (each write is one assignment), so keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A token fit to send now.
    pub(crate) async fn token(self: &Arc<Self>) -> Result<Arc<Token>, AuthError> {
        let now = Instant::now();
        let (current, flight) = {
            let mut state = self.lock();
            let current = state.current.clone();
            match &current {
                Some(token) if now < token.refresh_at => return Ok(token.clone()),
                // In the refresh window: keep using the valid token while one
                // background request replaces it.
                Some(token) if now < token.expires_at => {
                    let paused = state
                        .last_failure
                        .is_some_and(|at| now < at + REFRESH_FAILURE_PAUSE);
                    if !paused && state.in_flight.is_none() {
                        let flight = self.start_flight(&mut state);
                        tokio::spawn(flight.map(|_| ()));
                    }
                    return Ok(token.clone());
                }
                _ => {}
            }
            let flight = match &state.in_flight {
                Some(flight) => flight.clone(),
                None => self.start_flight(&mut state),
            };
            (current, flight)
        };
        drop(current);
        flight.await
    }

    fn start_flight(self: &Arc<Self>, state: &mut CacheState) -> Flight {
        let this = Arc::clone(self);
        let flight = async move {
            let result = this.fetch().await.map(Arc::new);
            let mut state = this.lock();
            state.in_flight = None;
            match &result {
                Ok(token) => {
                    state.current = Some(token.clone());
                    state.last_failure = None;
                }
                Err(_) => state.last_failure = Some(Instant::now()),
            }
            result
        }
        .boxed()
        .shared();
        state.in_flight = Some(flight.clone());
        flight
    }

    /// Forgets `token` if it is still the cached one (the API refused it);
    /// a newer token fetched meanwhile is kept.
    pub(crate) fn invalidate(&self, token: &Arc<Token>) {
        let mut state = self.lock();
        if state
            .current
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, token))
        {
            state.current = None;
        }
    }

    async fn fetch(&self) -> Result<Token, AuthError> {
        let source = &self.source;
        let started = Instant::now();
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if let Some(scopes) = &source.scopes {
            form.push(("scope", scopes));
        }
        let mut request = source
            .http
            .post(&source.token_url)
            .header(reqwest::header::USER_AGENT, source.user_agent.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        match source.method {
            ClientAuthMethod::Basic => {
                let secret = form_encode(source.client_secret.expose_secret());
                request = request.basic_auth(form_encode(&source.client_id), Some(secret));
            }
            ClientAuthMethod::RequestBody => {
                form.push(("client_id", &source.client_id));
                form.push(("client_secret", source.client_secret.expose_secret()));
            }
        }
        request = request.form(&form);
        if let Some(timeout) = source.timeout {
            request = request.timeout(timeout);
        }

        // A client span of its own (inside the call that needed the token),
        // as the HTTP conventions describe it; the URL holds no secret (the
        // credentials are in the header and the form, never shown).
        let span = tracing::info_span!(
            "alternative_payments.token",
            otel.name = "POST /oauth/token",
            otel.kind = "client",
            http.request.method = "POST",
            url.full = %source.token_url,
            http.response.status_code = tracing::field::Empty,
        );
        async move {
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status();
            tracing::Span::current().record("http.response.status_code", status.as_u16());
            let body = response.bytes().await.map_err(transport_error)?;
            let token = parse_token_response(status, &body)?;
            tracing::debug!(expires_in = ?token.expires_in, "access token obtained");
            token.into_token(started)
        }
        .instrument(span)
        .await
    }
}

fn transport_error(e: reqwest::Error) -> AuthError {
    if e.is_timeout() {
        AuthError::Timeout
    } else {
        // reqwest's Display includes the URL, which holds no secret here
        // (credentials go in headers or the body, never the URL).
        AuthError::Transport(error_chain(&e))
    }
}

/// An error and its sources on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// RFC 6749 §2.3.1: id and secret are form-encoded before the Basic
/// encoding (which reqwest does, marking the header sensitive).
fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: Option<String>,
    expires_in: Option<u64>,
    scope: Option<String>,
}

struct ParsedToken {
    access_token: SecretString,
    expires_in: Option<u64>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    error_description: Option<String>,
}

fn parse_token_response(status: StatusCode, body: &[u8]) -> Result<ParsedToken, AuthError> {
    if status.is_success() {
        let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            // The body may hold a token: describe the problem, never quote it.
            AuthError::InvalidResponse {
                status: status.as_u16(),
                what: format!("a body that is not a token response ({})", json_problem(&e)),
            }
        })?;
        if let Some(kind) = &parsed.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(AuthError::InvalidResponse {
                status: status.as_u16(),
                what: format!("token_type {kind:?}; only bearer tokens are supported"),
            });
        }
        return Ok(ParsedToken {
            access_token: SecretString::from(parsed.access_token),
            expires_in: parsed.expires_in,
            scope: parsed.scope,
        });
    }
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => Err(AuthError::Rejected {
            status: status.as_u16(),
            error: e.error,
            description: e.error_description,
        }),
        Err(_) => Err(AuthError::InvalidResponse {
            status: status.as_u16(),
            what: format!(
                "a body that is not an OAuth2 error: {:?}",
                crate::error::snippet(body, 200)
            ),
        }),
    }
}

/// What kind of JSON problem `e` is, in words (never quoting the input).
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "missing or mistyped fields",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

impl ParsedToken {
    fn into_token(self, requested_at: Instant) -> Result<Token, AuthError> {
        let lifetime = self
            .expires_in
            .map_or(UNKNOWN_LIFETIME, Duration::from_secs)
            .min(MAX_LIFETIME);
        let margin = MAX_REFRESH_MARGIN
            .min(lifetime / 2)
            .mul_f64(0.8 + crate::retry::jitter() * 0.2);
        // Lifetimes count from the request, not the response: never later
        // than the server's clock.
        let expires_at = requested_at + lifetime;
        let mut header =
            HeaderValue::from_str(&format!("Bearer {}", self.access_token.expose_secret()))
                .map_err(|_| AuthError::InvalidResponse {
                    status: 200,
                    what: "an access_token that cannot be sent in a header".into(),
                })?;
        header.set_sensitive(true);
        Ok(Token {
            header,
            scope: self.scope,
            refresh_at: expires_at - margin,
            expires_at,
        })
    }
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

/// The static `Authorization` header for credentials that need no token
/// endpoint.
pub(crate) fn static_header(value: &SecretString) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
        Error::Config("the API key or token contains characters not allowed in a header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_prints_as_redacted_and_its_clone_too() {
        let secret = SecretString::from("s3cr3t-value".to_string());
        let printed = format!("{secret:?} {:?} {:#?}", secret.clone(), Some(&secret));
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert_eq!(printed.matches("[redacted]").count(), 3, "{printed}");
        assert_eq!(secret.expose_secret(), "s3cr3t-value");
    }

    #[test]
    fn an_absurd_lifetime_is_clamped_not_a_panic() {
        for expires_in in [u64::MAX, u64::MAX / 1000, 10 * 365 * 24 * 3600] {
            let body = format!(
                r#"{{"access_token":"t","token_type":"Bearer","expires_in":{expires_in}}}"#
            );
            let response = parse_token_response(StatusCode::OK, body.as_bytes()).expect("token");
            let now = Instant::now();
            let token = response.into_token(now).expect("a token, not a panic");
            assert_eq!(
                token.expires_at - now,
                MAX_LIFETIME,
                "expires_in {expires_in}"
            );
            assert!(token.refresh_at < token.expires_at);
        }
    }

    #[test]
    fn token_responses() {
        let ok = parse_token_response(
            StatusCode::OK,
            br#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#,
        )
        .expect("token");
        assert_eq!(ok.expires_in, Some(3600));
        let err = parse_token_response(
            StatusCode::UNAUTHORIZED,
            br#"{"error":"invalid_client","error_description":"unknown client"}"#,
        )
        .err()
        .expect("error");
        assert_eq!(
            err.to_string(),
            "token endpoint answered 401: invalid_client: unknown client"
        );
        let err = parse_token_response(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>")
            .err()
            .expect("error");
        assert_eq!(
            err.to_string(),
            "token endpoint answered 502 with a body that is not an OAuth2 error: \"<html>bad gateway</html>\""
        );
        let err = parse_token_response(
            StatusCode::OK,
            br#"{"access_token":"secret-tok","token_type":"mac"}"#,
        )
        .err()
        .expect("error");
        assert_eq!(
            err.to_string(),
            "token endpoint answered 200 with token_type \"mac\"; only bearer tokens are supported"
        );
        let err = parse_token_response(StatusCode::OK, br#"{"access_token":"secret-tok""#)
            .err()
            .expect("error");
        assert!(!err.to_string().contains("secret-tok"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_margin_is_at_most_five_minutes_or_half_the_lifetime() {
        let now = Instant::now();
        for (expires_in, max_margin) in [(Some(3600), 300), (Some(120), 60), (None, 30)] {
            let token = ParsedToken {
                access_token: SecretString::from("t".to_string()),
                expires_in,
                scope: None,
            }
            .into_token(now)
            .expect("token");
            let lifetime = expires_in.unwrap_or(60);
            assert_eq!(token.expires_at - now, Duration::from_secs(lifetime));
            let margin = token.expires_at - token.refresh_at;
            assert!(margin <= Duration::from_secs(max_margin), "{margin:?}");
            assert!(
                margin >= Duration::from_secs(max_margin).mul_f64(0.8),
                "{margin:?}"
            );
        }
    }
}
