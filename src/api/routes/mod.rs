//! The API's handlers, one file per resource.

pub mod catalog;
pub mod logs;
pub mod submit;
pub mod tasks;

use super::error::ApiError;

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no such endpoint: {} (see /api/v1/openapi.json)",
        uri.path()
    ))
}
