//! `GET /nodes`: the engines registered on this PostgreSQL database with their heartbeat age
//! (empty on SQLite: one engine per data directory).

use axum::Json;
use axum::extract::State;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Caller;
use crate::api::server::AppState;
use crate::store::NodeInfo;

pub async fn list(State(s): State<AppState>, Caller(_): Caller) -> ApiResult<Json<Vec<NodeInfo>>> {
    let store = s.store.clone();
    let nodes = tokio::task::spawn_blocking(move || store.nodes())
        .await
        .map_err(|e| ApiError::internal(format!("nodes: {e}")))?
        .map_err(|e| ApiError::internal(format!("nodes: {e}")))?;
    Ok(Json(nodes))
}
