//! Task endpoints: list, show, and the operator actions (approve, reject, cancel, retry, release, skip).

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, JsonBody, OptJsonBody, Path, Query};
use crate::api::mask;
use crate::api::server::AppState;
use crate::backend::{Backend, TaskDetail};
use crate::model::{Role, Task, TaskState, parse_exec_time};
use crate::store::TaskFilter;

/// `?state=a,b&submitter=x&limit=n`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub state: Option<String>,
    pub submitter: Option<String>,
    pub limit: Option<usize>,
}

/// Most tasks one list returns.
pub const MAX_LIST: usize = 10_000;

pub async fn list(
    State(s): State<AppState>,
    Caller(u): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Task>>> {
    let mut states = Vec::new();
    for st in q.state.iter().flat_map(|s| s.split(',')) {
        let st = st.trim();
        if st.is_empty() {
            continue;
        }
        states.push(TaskState::parse(st).ok_or_else(|| {
            let all: Vec<&str> = TaskState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::field(
                "state",
                format!("unknown state `{st}`; accepted: {}", all.join(", ")),
            )
        })?);
    }
    let filter = TaskFilter {
        states,
        submitter: q.submitter.filter(|s| !s.is_empty()),
        limit: Some(q.limit.unwrap_or(50).min(MAX_LIST)),
    };
    let ts = s.backend(&u.name).tasks(filter).await?;
    Ok(Json(mask::tasks(&s.store, ts).await?))
}

pub async fn show(
    State(s): State<AppState>,
    Caller(u): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<TaskDetail>> {
    let d = s.backend(&u.name).task(id).await?;
    Ok(Json(mask::detail(&s.store, d).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// New exec time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (server local time), `now`, `+10m`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_time: Option<String>,
}

pub async fn approve(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    OptJsonBody(b): OptJsonBody<ApproveBody>,
) -> ApiResult<Json<Task>> {
    c.require(Role::Approver, "approving")?;
    let when = match b.exec_time.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            parse_exec_time(t, Utc::now())
                .map_err(|e| ApiError::field("exec_time", e.to_string()))?,
        ),
    };
    let t = s.backend(&c.0.name).approve(id, when).await?;
    Ok(Json(mask::task(&s.store, t).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub reason: String,
}

pub async fn reject(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<RejectBody>,
) -> ApiResult<Json<Task>> {
    c.require(Role::Approver, "rejecting")?;
    let t = s.backend(&c.0.name).reject(id, &b.reason).await?;
    Ok(Json(mask::task(&s.store, t).await?))
}

pub async fn cancel(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Task>> {
    c.require(Role::Operator, "cancelling a task")?;
    let t = s.backend(&c.0.name).cancel(id).await?;
    Ok(Json(mask::task(&s.store, t).await?))
}

pub async fn retry(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Task>> {
    c.require(Role::Operator, "retrying a task")?;
    let t = s.backend(&c.0.name).retry(id).await?;
    Ok(Json(mask::task(&s.store, t).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_run: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Released {
    pub released: usize,
}

pub async fn release(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    OptJsonBody(b): OptJsonBody<ReleaseBody>,
) -> ApiResult<Json<Released>> {
    c.require(Role::Operator, "releasing a step")?;
    let n = s
        .backend(&c.0.name)
        .release(id, b.step_run, b.host.as_deref())
        .await?;
    Ok(Json(Released { released: n }))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipBody {
    pub step_run: i64,
}

pub async fn skip(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<SkipBody>,
) -> ApiResult<Json<TaskDetail>> {
    c.require(Role::Operator, "skipping a step")?;
    let be = s.backend(&c.0.name);
    be.skip(id, b.step_run).await?;
    let d = be.task(id).await?;
    Ok(Json(mask::detail(&s.store, d).await?))
}
