//! The OAuth2 token endpoint (RFC 6749 §4.4, client credentials).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use crate::state::{AppState, Token};

/// RFC 6749 §5.2 error.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

fn decode_form_component(text: &str) -> String {
    url_decode_pairs(format!("x={text}").as_bytes())
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// `application/x-www-form-urlencoded` (and query strings) into pairs.
pub(crate) fn url_decode_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) async fn token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = url_decode_pairs(&body);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(i, s)| (decode_form_component(i), decode_form_component(s)))
                })
        });
    let in_body = field("client_id").map(|id| (id, field("client_secret").unwrap_or_default()));
    let credentials = match (basic, in_body) {
        (Some(_), Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one client authentication method, not two",
            );
        }
        (Some(None), None) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "malformed Basic credentials",
            );
        }
        (Some(Some(pair)), None) | (None, Some(pair)) => pair,
        (None, None) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication required",
            );
        }
    };
    let Some(client) = shared
        .config
        .clients
        .iter()
        .find(|c| c.id == credentials.0 && c.secret == credentials.1)
    else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
        return response;
    };
    match field("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported"),
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let scopes: Vec<String> = match field("scope") {
        Some(scope) => scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        None => client.scopes.clone(),
    };
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("scope {bad:?} is not allowed for this client"),
        );
    }
    let access_token = format!(
        "mock_at_{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let lifetime = shared.config.token_lifetime;
    {
        let mut state = shared.lock();
        let now = tokio::time::Instant::now();
        state.tokens.retain(|_, t| t.expires_at > now);
        state.tokens.insert(
            access_token.clone(),
            Token {
                client_id: client.id.clone(),
                scopes: scopes.clone(),
                expires_at: now + lifetime,
            },
        );
    }
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": scopes.join(" "),
    }))
    .into_response()
}
