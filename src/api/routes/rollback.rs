//! `POST /tasks/{id}/rollback`: the undo of a finished SQL audit from its backups, shown
//! (`dry_run`) or submitted as a new SQL audit that needs approval and names the original.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, OptJsonBody, Path, Query};
use crate::api::heavy;
use crate::api::mask;
use crate::api::routes::submit::FormQuery;
use crate::api::server::AppState;
use crate::backend::Backend;
use crate::model::Role;
use crate::modules::sql_audit_rollback::{plan_for, rollback_spec};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// Who may approve the rollback (an approver or admin other than the caller); not needed
    /// with `dry_run`.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Run guarded statements even where the row changed since the original run.
    #[serde(default)]
    pub force: bool,
}

/// What a dry run answers: the rollback SQL and what cannot be undone.
#[derive(Debug, Serialize, Deserialize)]
pub struct RollbackPreview {
    pub of: i64,
    pub sql: String,
    pub statements: usize,
    pub notes: Vec<String>,
    /// All statements in one transaction (false when the plan holds DDL).
    pub transaction: bool,
}

pub async fn rollback(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    Query(q): Query<FormQuery>,
    OptJsonBody(b): OptJsonBody<RollbackBody>,
) -> ApiResult<Response> {
    c.require(Role::Operator, "rolling back a task")?;
    let be = s.backend(&c.0.name);
    let d = be.task(id).await?;
    let plan = plan_for(&d.task, &d.sql_results)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "no_rollback", e.to_string()))?;
    if q.dry_run {
        return Ok(Json(RollbackPreview {
            of: id,
            sql: plan.sql(),
            statements: plan.statements.len(),
            notes: plan.notes.clone(),
            transaction: !plan.has_ddl(),
        })
        .into_response());
    }
    let mctx = crate::backend::load_module_context(&be, &s.config).await?;
    // Building the audit checks its SQL offline: a job off the workers.
    let spec = heavy::run("checking the rollback", move || {
        rollback_spec(&d.task, &plan, b.approvers, b.force, &mctx)
    })
    .await?
    .map_err(ApiError::invalid)?;
    let t = be.submit(spec).await?;
    let t = mask::task(&s.store, t).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}
