//! Task logs: pages by sequence number, and a live server-sent-event stream that resumes from
//! `Last-Event-ID` (the last seq the client saw) or `?from_seq=`.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, Path, Query};
use crate::api::server::AppState;
use crate::backend::Backend;
use crate::model::LogLine;

/// Most lines one page returns.
pub const MAX_PAGE: usize = 10_000;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub from_seq: Option<u64>,
    pub limit: Option<usize>,
}

pub async fn page(
    State(s): State<AppState>,
    Caller(u): Caller,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Vec<LogLine>>> {
    let b = s.backend(&u.name);
    // `limit=0` asks for no line (whether the task exists is still checked).
    let limit = q.limit.unwrap_or(1_000).min(MAX_PAGE);
    let lines = if limit == 0 {
        Vec::new()
    } else {
        b.logs(id, q.from_seq.unwrap_or(1).max(1), limit).await?
    };
    if lines.is_empty() {
        // An empty page of a task that does not exist is a 404, not an empty log.
        b.task(id).await?;
    }
    Ok(Json(lines))
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    pub from_seq: Option<u64>,
}

/// The seq to resume from: one past `Last-Event-ID`, else `from_seq`, else 1.
pub fn resume_seq(headers: &HeaderMap, from_seq: Option<u64>) -> Result<u64, ApiError> {
    if let Some(v) = headers.get("last-event-id") {
        let last: u64 = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                ApiError::field(
                    "Last-Event-ID",
                    "must be the sequence number of the last line received",
                )
            })?;
        return Ok(last + 1);
    }
    Ok(from_seq.unwrap_or(1).max(1))
}

/// `event: line` per log line (`id` = its seq, data = the line as JSON), then one `event: end`
/// whose data is the task's final state.
pub async fn stream(
    State(s): State<AppState>,
    Caller(u): Caller,
    Path(id): Path<i64>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let from = resume_seq(&headers, q.from_seq)?;
    let b = s.backend(&u.name);
    let lines = b.follow(id, from).await?;
    let events = lines.map(|l| {
        let data = serde_json::to_string(&l).unwrap_or_else(|_| "{}".into());
        Ok(Event::default()
            .id(l.seq.to_string())
            .event("line")
            .data(data))
    });
    let end = futures::stream::once(async move {
        let state = b
            .task(id)
            .await
            .map(|d| d.task.state.as_str().to_string())
            .unwrap_or_else(|_| "unknown".into());
        Ok(Event::default().event("end").data(state))
    });
    Ok(Sse::new(events.chain(end)).keep_alive(KeepAlive::default()))
}
