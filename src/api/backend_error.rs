//! Backend errors as API answers: the same statuses and codes as the engine's own errors.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::backend::BackendError;

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> ApiError {
        match e {
            BackendError::Invalid(inv) => ApiError::invalid(inv),
            BackendError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            BackendError::Forbidden(m) => ApiError::forbidden(m),
            BackendError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            BackendError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            // Store details (paths, SQL) stay in the server's log.
            BackendError::Store(e) => {
                tracing::error!("store error: {e}");
                ApiError::internal("the server could not read or write its database; see its log")
            }
            BackendError::Other(m) => ApiError::internal(m),
        }
    }
}
