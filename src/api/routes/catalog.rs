//! Read-only catalog endpoints: who am I, the inventory (passwords masked) and the templates.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use crate::api::error::ApiResult;
use crate::api::extract::Caller;
use crate::api::server::AppState;
use crate::backend::Backend;
use crate::model::{Inventory, User};
use crate::store::StoredTemplate;

pub async fn whoami(Caller(user): Caller) -> Json<User> {
    Json(user)
}

/// Inline database passwords never leave the server.
pub fn masked(mut inv: Inventory) -> Inventory {
    for t in &mut inv.tags {
        for d in &mut t.databases {
            if d.password.is_some() {
                d.password = Some("******".into());
            }
        }
    }
    inv
}

pub async fn inventory(State(s): State<AppState>, Caller(u): Caller) -> ApiResult<Json<Inventory>> {
    Ok(Json(masked(s.backend(&u.name).inventory().await?)))
}

pub async fn templates(
    State(s): State<AppState>,
    Caller(u): Caller,
) -> ApiResult<Json<Vec<StoredTemplate>>> {
    Ok(Json(s.backend(&u.name).templates().await?))
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    pub version: Option<u32>,
}

pub async fn template(
    State(s): State<AppState>,
    Caller(u): Caller,
    Path(id): Path<u32>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<Json<StoredTemplate>> {
    Ok(Json(s.backend(&u.name).template(id, q.version).await?))
}
