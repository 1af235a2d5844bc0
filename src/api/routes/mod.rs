//! The API's handlers, one file per resource.

pub mod catalog;
pub mod logs;
pub mod metrics;
pub mod nodes;
pub mod rollback;
pub mod submit;
pub mod tasks;

use super::error::ApiError;

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no such endpoint: {} (see /api/v1/openapi.json)",
        uri.path()
    ))
}

/// A known path with a method it does not serve: JSON like every other error.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not served on {} (see /api/v1/openapi.json)",
            uri.path()
        ),
    )
}
