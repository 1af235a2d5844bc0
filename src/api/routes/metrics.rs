//! `GET /metrics`: this node's Prometheus metrics (text exposition format), for any signed-in user
//! (a scraper sends its token as `Authorization: Bearer …`).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Caller;
use crate::api::server::AppState;

pub async fn serve(State(s): State<AppState>, Caller(_): Caller) -> ApiResult<impl IntoResponse> {
    let store = s.store.clone();
    let counts = tokio::task::spawn_blocking(move || store.task_counts())
        .await
        .map_err(|e| ApiError::internal(format!("metrics: {e}")))?
        .map_err(|e| ApiError::internal(format!("metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(&counts),
    ))
}
