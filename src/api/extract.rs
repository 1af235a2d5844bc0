//! Request extractors: the authenticated caller (bearer token → user) and JSON bodies whose errors name the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::auth::hash_token;
use super::error::ApiError;
use super::server::AppState;
use crate::model::{FieldError, Invalid, Role, User};

/// The user a request acts as, found by the hash of its bearer token.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl Caller {
    /// 403 unless the caller's role is at least `role`; `what` says what was attempted.
    pub fn require(&self, role: Role, what: &str) -> Result<(), ApiError> {
        if self.0.role >= role {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "{} has the {} role; {what} needs the {} role or higher",
            self.0.name,
            self.0.role.as_str(),
            role.as_str()
        )))
    }
}

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer(parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
    let Some((scheme, token)) = v.trim().split_once(' ') else {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ));
    };
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ));
    }
    Ok(Some(token.trim().to_string()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // On the engine's Unix socket the peer's uid authenticated the caller (`api::unix`).
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let token = bearer(parts)?.ok_or_else(|| {
            ApiError::unauthorized(
                "missing bearer token: send `Authorization: Bearer odk_…` (`opsdeck user add NAME --role ROLE` prints one)",
            )
        })?;
        let hash = hash_token(&token);
        let store = state.store.clone();
        let user = tokio::task::spawn_blocking(move || store.user_by_token_hash(&hash))
            .await
            .map_err(|e| ApiError::internal(format!("internal error: {e}")))?
            .map_err(|e| {
                tracing::error!("token lookup failed: {e}");
                ApiError::internal("the server could not read its users; see its log")
            })?;
        // The token itself is never logged or echoed.
        user.map(Caller)
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))
    }
}

/// axum's `Path`, with a bad segment answered like every other error: JSON 400 on `path`.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|rej| ApiError::field("path", rej.body_text()))
    }
}

/// axum's `Query`, with a bad parameter answered as JSON 400 on `query`.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|rej| ApiError::field("query", rej.body_text()))
    }
}

/// A JSON body; a syntax or shape error becomes 400 naming the field, an oversized body 413.
pub struct JsonBody<T>(pub T);

/// Reads the body bytes, mapping a body over the limit to 413.
pub async fn body_bytes(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(state.body_limit)
        } else {
            ApiError::new(rej.status(), "invalid", rej.body_text())
        }
    })
}

/// Parses JSON, naming the path of the first error (`hosts.1[0]`, `template_id`, or `body` for syntax).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::field("body", format!("not valid JSON: {msg}"));
        }
        // `missing field `x`` names the field in the message only (an unknown one is in the path).
        let named = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field"));
        let field = match (path.as_str(), named) {
            (".", Some(n)) => n.to_string(),
            (p, Some(n)) => format!("{p}.{n}"),
            (".", None) => "body".to_string(),
            (p, None) => p.to_string(),
        };
        ApiError::invalid(Invalid(vec![FieldError::new(field, msg)]))
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Like [`JsonBody`], but an empty body is the type's default (actions whose fields are all optional).
pub struct OptJsonBody<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptJsonBody(T::default()));
        }
        parse_json(&bytes).map(OptJsonBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        a: u32,
        inner: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        b: Vec<String>,
    }

    fn field_of(src: &str) -> String {
        parse_json::<S>(src.as_bytes()).unwrap_err().body.fields[0]
            .field
            .clone()
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of("{"), "body");
        assert_eq!(field_of(r#"{"inner": {"b": []}}"#), "a");
        assert_eq!(field_of(r#"{"a": "x", "inner": {"b": []}}"#), "a");
        assert_eq!(field_of(r#"{"a": 1, "inner": {"b": [1]}}"#), "inner.b[0]");
        assert_eq!(field_of(r#"{"a": 1, "inner": {"c": 1}}"#), "inner.c");
        assert_eq!(field_of(r#"{"a": 1, "inner": {}}"#), "inner.b");
    }
}
