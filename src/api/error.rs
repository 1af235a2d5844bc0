//! API errors: one JSON body shape (`{error, message, fields}`) and the mapping from engine errors to statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::engine::EngineError;
use crate::model::{FieldError, Invalid};

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// A stable machine-readable code: `unauthorized`, `forbidden`, `invalid`, `not_found`,
    /// `method_not_allowed`, `conflict`, `too_large`, `busy`, `internal`.
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_string(),
                message: message.into(),
                fields: Vec::new(),
            },
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than the server's limit of {limit} bytes"),
        )
    }

    /// 400 with every field error.
    pub fn invalid(inv: Invalid) -> ApiError {
        let message = if inv.0.len() == 1 {
            inv.0[0].to_string()
        } else {
            format!("{} fields are invalid", inv.0.len())
        };
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody {
                error: "invalid".into(),
                message,
                fields: inv.0,
            },
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(Invalid(vec![FieldError::new(field, message)]))
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Invalid(inv) => ApiError::invalid(inv),
            EngineError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            EngineError::Forbidden(m) => ApiError::forbidden(m),
            EngineError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            // Store details (paths, SQL) stay in the server's log.
            EngineError::Store(e) => {
                tracing::error!("store error: {e}");
                ApiError::internal("the server could not read or write its database; see its log")
            }
            EngineError::Other(m) => ApiError::internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
