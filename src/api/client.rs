//! `RemoteBackend`: the `Backend` trait over HTTP, to this machine's engine on its Unix socket or to
//! a team server (`opsdeck serve`), so the console and the CLI have one code path to an engine.
//! Connection loss is reported as a clear error (a local engine is started again); live logs
//! reconnect from the last sequence number they received.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::error::ErrorBody;
use super::routes::catalog::FormContext;
use super::routes::tasks::Released;
use crate::backend::{Backend, BackendError, EngineStatus, LogStream, TaskDetail};
use crate::daemon::Launcher;
use crate::model::{
    FieldError, Invalid, Inventory, LogLine, StoredTemplate, Task, TaskFilter, TaskSpec, User,
};
use crate::modules::ModuleContext;

type EngineError = BackendError;

/// How often a live log stream tries to reconnect before it gives up (about a minute in all).
const RECONNECTS: u32 = 20;

#[derive(Clone)]
pub struct RemoteBackend {
    client: reqwest::Client,
    /// `http://host:port/api/v1`
    base: String,
    server: String,
    token: String,
    /// This machine's engine: the user requests act as, and how to start the engine when it is gone.
    local: Option<Local>,
}

#[derive(Clone)]
struct Local {
    user: String,
    launcher: Option<Launcher>,
}

impl std::fmt::Debug for RemoteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output.
        f.debug_struct("RemoteBackend")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl RemoteBackend {
    /// `server` is the base URL (`http://127.0.0.1:8750`, with or without `/api/v1`).
    pub fn new(server: &str, token: &str) -> Result<RemoteBackend, BackendError> {
        let server = server.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&server).map_err(|e| {
            EngineError::Invalid(Invalid(vec![FieldError::new(
                "server",
                format!("`{server}` is not a URL ({e}); use e.g. http://127.0.0.1:8750"),
            )]))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EngineError::Invalid(Invalid(vec![FieldError::new(
                "server",
                format!("`{server}`: use an http:// or https:// URL"),
            )])));
        }
        if token.trim().is_empty() {
            return Err(EngineError::Invalid(Invalid(vec![FieldError::new(
                "token",
                "no API token: set OPSDECK_TOKEN (or `token` in the config); `opsdeck user add` on the server prints one",
            )])));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| EngineError::Other(format!("cannot build the HTTP client: {e}")))?;
        let base = if server.ends_with("/api/v1") {
            server.clone()
        } else {
            format!("{server}/api/v1")
        };
        Ok(RemoteBackend {
            client,
            base,
            server,
            token: token.trim().to_string(),
            local: None,
        })
    }

    /// This machine's engine on its Unix socket, acting as `user`; with a launcher, a request that
    /// finds no engine starts one and is sent again.
    pub fn local(
        socket: &std::path::Path,
        user: &str,
        launcher: Option<Launcher>,
    ) -> Result<RemoteBackend, BackendError> {
        let client = reqwest::Client::builder()
            .unix_socket(socket)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| EngineError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(RemoteBackend {
            client,
            base: "http://engine/api/v1".into(),
            server: socket.display().to_string(),
            token: String::new(),
            local: Some(Local {
                user: user.to_string(),
                launcher,
            }),
        })
    }

    /// The local engine's status (`GET /api/v1/engine`); an error for a team server.
    pub async fn engine(&self) -> Result<EngineStatus, BackendError> {
        let rb = self
            .req(Method::GET, "/engine")
            .timeout(Duration::from_secs(5));
        let r = rb.send().await.map_err(|e| self.unreachable(e))?;
        if !r.status().is_success() {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            return Err(error_from(status, &text));
        }
        r.json::<EngineStatus>().await.map_err(|e| {
            EngineError::Other(format!(
                "the engine on {} sent a status this opsdeck does not understand ({}); is it another version? `opsdeck engine stop` stops it",
                self.server,
                e.without_url()
            ))
        })
    }

    /// True for a client of this machine's engine (not of a team server).
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_q(method, path, &[])
    }

    /// A request with query parameters (encoded here: reqwest's `query` needs a feature we do without).
    fn req_q(&self, method: Method, path: &str, q: &[(&str, String)]) -> RequestBuilder {
        let mut url = format!("{}{path}", self.base);
        if let Ok(mut u) = reqwest::Url::parse(&url) {
            if !q.is_empty() {
                let mut pairs = u.query_pairs_mut();
                for (k, v) in q {
                    pairs.append_pair(k, v);
                }
            }
            url = u.to_string();
        }
        let rb = self.client.request(method, url);
        match &self.local {
            Some(l) => rb.header(super::unix::USER_HEADER, &l.user),
            None => rb.bearer_auth(&self.token),
        }
    }

    fn unreachable(&self, e: reqwest::Error) -> EngineError {
        let e = e.without_url();
        let what = if e.is_timeout() {
            "did not answer in time"
        } else if e.is_connect() {
            "cannot be reached"
        } else {
            "connection failed"
        };
        if self.local.is_some() {
            return EngineError::Unavailable(format!(
                "the opsdeck engine on {} {what} ({e}); it starts again on the next action, or run `opsdeck engine start`",
                self.server
            ));
        }
        EngineError::Unavailable(format!(
            "the opsdeck server at {} {what} ({e}); is `opsdeck serve` running? Try again when it is back",
            self.server
        ))
    }

    async fn send(&self, rb: RequestBuilder) -> Result<reqwest::Response, BackendError> {
        let retry = rb.try_clone();
        let r = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                // No engine on the socket (never started, stopped, or killed): start it and send again.
                let launcher = self.local.as_ref().and_then(|l| l.launcher.as_ref());
                match (launcher, retry) {
                    (Some(l), Some(again)) if e.is_connect() => {
                        l.ensure().await?;
                        again.send().await.map_err(|e| self.unreachable(e))?
                    }
                    _ => return Err(self.unreachable(e)),
                }
            }
        };
        if r.status().is_success() {
            return Ok(r);
        }
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        Err(error_from(status, &text))
    }

    async fn call<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T, BackendError> {
        let r = self.send(rb.timeout(Duration::from_secs(120))).await?;
        r.json::<T>().await.map_err(|e| {
            EngineError::Other(format!(
                "the opsdeck server at {} sent an answer this opsdeck does not understand ({}); are both the same version?",
                self.server,
                e.without_url()
            ))
        })
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, BackendError> {
        self.call(self.req(Method::POST, path).json(body)).await
    }

    /// Submits a module's form (`custom`, `custom-json`, …) for the server to validate and build.
    pub async fn submit_form(
        &self,
        module: &str,
        form: &serde_json::Value,
    ) -> Result<Task, BackendError> {
        self.post(&format!("/modules/{module}/submit"), form).await
    }
}

/// Turns an error answer into the engine error the local backend would have returned.
pub fn error_from(status: StatusCode, text: &str) -> EngineError {
    let body: ErrorBody = serde_json::from_str(text).unwrap_or(ErrorBody {
        error: String::new(),
        message: format!("HTTP {}: {}", status.as_u16(), text.trim()),
        fields: Vec::new(),
    });
    match status {
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {
            let fields = if body.fields.is_empty() {
                vec![FieldError::new("request", body.message)]
            } else {
                body.fields
            };
            EngineError::Invalid(Invalid(fields))
        }
        StatusCode::SERVICE_UNAVAILABLE => EngineError::Unavailable(body.message),
        StatusCode::UNAUTHORIZED => EngineError::Forbidden(format!(
            "the server refused the token ({}); check OPSDECK_TOKEN",
            body.message
        )),
        StatusCode::FORBIDDEN => EngineError::Forbidden(body.message),
        StatusCode::NOT_FOUND => EngineError::NotFound(
            body.message
                .strip_suffix(" not found")
                .unwrap_or(&body.message)
                .to_string(),
        ),
        StatusCode::CONFLICT => EngineError::Conflict(body.message),
        _ => EngineError::Other(format!("server error: {}", body.message)),
    }
}

/// One parsed server-sent event.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Splits complete events off the front of `buf` (the rest stays for the next chunk).
pub fn take_events(buf: &mut String) -> Vec<SseEvent> {
    let mut out = Vec::new();
    loop {
        let norm = buf.replace("\r\n", "\n");
        if norm.len() != buf.len() {
            *buf = norm;
        }
        let Some(end) = buf.find("\n\n") else {
            return out;
        };
        let block: String = buf[..end].to_string();
        buf.drain(..end + 2);
        let mut ev = SseEvent::default();
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            let v = v.strip_prefix(' ').unwrap_or(v);
            match k {
                "id" => ev.id = Some(v.to_string()),
                "event" => ev.event = v.to_string(),
                "data" => data.push(v),
                _ => {}
            }
        }
        if ev.id.is_none() && ev.event.is_empty() && data.is_empty() {
            continue; // keep-alive comment
        }
        ev.data = data.join("\n");
        out.push(ev);
    }
}

/// Reads one SSE connection, sending lines from `next` on; returns true when the server said `end`.
async fn read_stream(
    mut r: reqwest::Response,
    next: &mut u64,
    tx: &tokio::sync::mpsc::Sender<LogLine>,
) -> Result<bool, ()> {
    let mut buf = String::new();
    loop {
        let chunk = match r.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) => return Ok(false),
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        for ev in take_events(&mut buf) {
            match ev.event.as_str() {
                "end" => return Ok(true),
                "line" => {
                    let Ok(l) = serde_json::from_str::<LogLine>(&ev.data) else {
                        continue;
                    };
                    if l.seq < *next {
                        continue;
                    }
                    *next = l.seq + 1;
                    if tx.send(l).await.is_err() {
                        return Err(()); // the reader is gone
                    }
                }
                _ => {}
            }
        }
    }
}

#[async_trait]
impl Backend for RemoteBackend {
    async fn whoami(&self) -> Result<User, BackendError> {
        self.call(self.req(Method::GET, "/whoami")).await
    }

    async fn submit(&self, spec: TaskSpec) -> Result<Task, BackendError> {
        self.post("/tasks", &spec).await
    }

    async fn tasks(&self, filter: TaskFilter) -> Result<Vec<Task>, BackendError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if !filter.states.is_empty() {
            let s: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
            q.push(("state", s.join(",")));
        }
        if let Some(s) = filter.submitter {
            q.push(("submitter", s));
        }
        if let Some(l) = filter.limit {
            q.push(("limit", l.to_string()));
        }
        self.call(self.req_q(Method::GET, "/tasks", &q)).await
    }

    async fn task(&self, id: i64) -> Result<TaskDetail, BackendError> {
        self.call(self.req(Method::GET, &format!("/tasks/{id}")))
            .await
    }

    async fn approve(
        &self,
        id: i64,
        new_exec_time: Option<DateTime<Utc>>,
    ) -> Result<Task, BackendError> {
        let body = match new_exec_time {
            Some(t) => json!({ "exec_time": t.to_rfc3339() }),
            None => json!({}),
        };
        self.post(&format!("/tasks/{id}/approve"), &body).await
    }

    async fn reject(&self, id: i64, reason: &str) -> Result<Task, BackendError> {
        self.post(&format!("/tasks/{id}/reject"), &json!({ "reason": reason }))
            .await
    }

    async fn cancel(&self, id: i64) -> Result<Task, BackendError> {
        self.post(&format!("/tasks/{id}/cancel"), &json!({})).await
    }

    async fn retry(&self, id: i64) -> Result<Task, BackendError> {
        self.post(&format!("/tasks/{id}/retry"), &json!({})).await
    }

    async fn release(
        &self,
        id: i64,
        step_run: Option<i64>,
        host: Option<&str>,
    ) -> Result<usize, BackendError> {
        let r: Released = self
            .post(
                &format!("/tasks/{id}/release"),
                &json!({ "step_run": step_run, "host": host }),
            )
            .await?;
        Ok(r.released)
    }

    async fn skip(&self, id: i64, step_run: i64) -> Result<(), BackendError> {
        let _: TaskDetail = self
            .post(
                &format!("/tasks/{id}/skip"),
                &json!({ "step_run": step_run }),
            )
            .await?;
        Ok(())
    }

    async fn logs(
        &self,
        id: i64,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<LogLine>, BackendError> {
        let limit = limit.clamp(1, super::routes::logs::MAX_PAGE);
        self.call(self.req_q(
            Method::GET,
            &format!("/tasks/{id}/logs"),
            &[
                ("from_seq", from_seq.to_string()),
                ("limit", limit.to_string()),
            ],
        ))
        .await
    }

    async fn follow(&self, id: i64, from_seq: u64) -> Result<LogStream, BackendError> {
        let path = format!("/tasks/{id}/logs/stream");
        let mut next = from_seq.max(1);
        // The first connection answers errors (unknown task, bad token) to the caller.
        let first = self
            .send(self.req_q(Method::GET, &path, &[("from_seq", next.to_string())]))
            .await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<LogLine>(1024);
        let me = self.clone();
        tokio::spawn(async move {
            let mut resp = Some(first);
            let mut failures = 0u32;
            loop {
                let r = match resp.take() {
                    Some(r) => r,
                    None => {
                        let rb = me
                            .req(Method::GET, &path)
                            .header("Last-Event-ID", (next - 1).to_string());
                        match me.send(rb).await {
                            Ok(r) => r,
                            Err(_) => {
                                failures += 1;
                                if failures > RECONNECTS {
                                    return; // the stream ends; the caller's next call reports the loss
                                }
                                let wait = Duration::from_millis(250 * u64::from(failures.min(12)));
                                tokio::time::sleep(wait).await;
                                continue;
                            }
                        }
                    }
                };
                let before = next;
                match read_stream(r, &mut next, &tx).await {
                    Ok(true) | Err(()) => return,
                    Ok(false) => {
                        if next > before {
                            failures = 0;
                        }
                    }
                }
            }
        });
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|l| (l, rx))
        })))
    }

    async fn inventory(&self) -> Result<Inventory, BackendError> {
        self.call(self.req(Method::GET, "/inventory")).await
    }

    async fn templates(&self) -> Result<Vec<StoredTemplate>, BackendError> {
        self.call(self.req(Method::GET, "/templates")).await
    }

    async fn module_context(&self) -> Result<ModuleContext, BackendError> {
        let c: FormContext = self.call(self.req(Method::GET, "/modules/context")).await?;
        let mut m = ModuleContext::new(c.inventory, c.templates, c.config, c.user);
        m.users = c.users;
        Ok(m)
    }

    async fn import_template(&self, source: &str) -> Result<StoredTemplate, BackendError> {
        self.post("/templates", &json!({ "source": source })).await
    }

    async fn engine_status(&self) -> Result<Option<EngineStatus>, BackendError> {
        if self.local.is_none() {
            return Ok(None);
        }
        self.engine().await.map(Some)
    }

    async fn template(
        &self,
        id: u32,
        version: Option<u32>,
    ) -> Result<StoredTemplate, BackendError> {
        let q: Vec<(&str, String)> = version
            .map(|v| ("version", v.to_string()))
            .into_iter()
            .collect();
        self.call(self.req_q(Method::GET, &format!("/templates/{id}"), &q))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks() {
        let mut buf =
            String::from(": keep-alive\n\nid: 3\nevent: line\ndata: {\"a\":1}\n\nid: 4\nev");
        let evs = take_events(&mut buf);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].id.as_deref(), Some("3"));
        assert_eq!(evs[0].event, "line");
        assert_eq!(evs[0].data, "{\"a\":1}");
        buf.push_str("ent: end\r\ndata: succeeded\r\n\r\n");
        let evs = take_events(&mut buf);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].event, "end");
        assert_eq!(evs[0].data, "succeeded");
        assert!(buf.is_empty());
    }

    #[test]
    fn error_answers_map_to_engine_errors() {
        let e = error_from(
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid","message":"x","fields":[{"field":"template_id","message":"unknown"}]}"#,
        );
        assert!(matches!(&e, EngineError::Invalid(i) if i.has_field("template_id")));
        let e = error_from(
            StatusCode::NOT_FOUND,
            r#"{"error":"not_found","message":"task 9 not found"}"#,
        );
        assert_eq!(e.to_string(), "task 9 not found");
        let e = error_from(
            StatusCode::FORBIDDEN,
            r#"{"error":"forbidden","message":"no"}"#,
        );
        assert!(matches!(e, EngineError::Forbidden(_)));
        let e = error_from(StatusCode::BAD_GATEWAY, "<html>");
        assert!(e.to_string().contains("502"), "{e}");
        assert!(RemoteBackend::new("ftp://x", "t").is_err());
        assert!(RemoteBackend::new("http://127.0.0.1:1", " ").is_err());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let b = RemoteBackend::new("http://127.0.0.1:1/", "odk_secret").unwrap();
        assert!(!format!("{b:?}").contains("odk_secret"));
        assert_eq!(b.base, "http://127.0.0.1:1/api/v1");
    }
}
