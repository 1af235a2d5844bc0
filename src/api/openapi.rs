//! The OpenAPI 3 document of `/api/v1`, generated from one route table kept beside the router.

use axum::Json;
use serde_json::{Value, json};

/// One documented operation.
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Least role needed; `None` = no token needed.
    pub role: Option<&'static str>,
    /// Request body: a short description of its JSON (schema name or fields), if any.
    pub body: Option<&'static str>,
    /// Query parameters.
    pub query: &'static [&'static str],
    /// What a success answers.
    pub answers: &'static str,
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    role: Option<&'static str>,
    body: Option<&'static str>,
    query: &'static [&'static str],
    answers: &'static str,
) -> Op {
    Op {
        method,
        path,
        summary,
        role,
        body,
        query,
        answers,
    }
}

/// Every route `server::router` serves (a test checks the two agree).
pub const ROUTES: &[Op] = &[
    op(
        "get",
        "/metrics",
        "Prometheus metrics of this node: tasks by state, step durations, scheduler lateness, SSH connect failures (also served at /metrics beside /api/v1)",
        Some("viewer"),
        None,
        &[],
        "OpenMetrics text (application/openmetrics-text)",
    ),
    op(
        "get",
        "/openapi.json",
        "This document",
        None,
        None,
        &[],
        "OpenAPI 3 JSON",
    ),
    op(
        "get",
        "/whoami",
        "The caller and their role",
        Some("viewer"),
        None,
        &[],
        "User",
    ),
    op(
        "get",
        "/nodes",
        "The engines (nodes) registered on this PostgreSQL database with their heartbeat age by the database's clock and the tasks each runs now (from the tasks' lease owner); empty on SQLite",
        Some("viewer"),
        None,
        &[],
        "[{id, hostname, pid, version, heartbeat_age_secs, running, running_tasks: [task id]}]",
    ),
    op(
        "get",
        "/inventory",
        "Hosts, exec users, tags, apps (inline passwords masked)",
        Some("viewer"),
        None,
        &[],
        "Inventory",
    ),
    op(
        "get",
        "/templates",
        "Latest version of every template",
        Some("viewer"),
        None,
        &[],
        "StoredTemplate[]",
    ),
    op(
        "post",
        "/templates",
        "Import a template version from its TOML; warnings (a secret arg on a command line) come back with it",
        Some("admin"),
        Some("{source: string}"),
        &[],
        "201 StoredTemplate with warnings[]",
    ),
    op(
        "get",
        "/modules/context",
        "What module forms are checked against: inventory (passwords masked), templates (secret defaults masked for non-admins), users, public config",
        Some("viewer"),
        None,
        &[],
        "FormContext",
    ),
    op(
        "get",
        "/templates/{id}",
        "One template, latest or ?version=",
        Some("viewer"),
        None,
        &["version"],
        "StoredTemplate",
    ),
    op(
        "get",
        "/tasks",
        "Tasks, newest first",
        Some("viewer"),
        None,
        &["state", "submitter", "limit"],
        "Task[]",
    ),
    op(
        "post",
        "/tasks",
        "Submit a TaskSpec (submitter is always the caller)",
        Some("operator"),
        Some("TaskSpec"),
        &[],
        "201 Task",
    ),
    op(
        "get",
        "/tasks/{id}",
        "A task with its step runs",
        Some("viewer"),
        None,
        &[],
        "TaskDetail",
    ),
    op(
        "post",
        "/tasks/{id}/approve",
        "Approve, optionally with a new exec time",
        Some("approver"),
        Some("{exec_time?: string}"),
        &[],
        "Task",
    ),
    op(
        "post",
        "/tasks/{id}/reject",
        "Reject with a reason",
        Some("approver"),
        Some("{reason: string}"),
        &[],
        "Task",
    ),
    op(
        "post",
        "/tasks/{id}/cancel",
        "Cancel; running steps are stopped",
        Some("operator"),
        None,
        &[],
        "Task",
    ),
    op(
        "post",
        "/tasks/{id}/retry",
        "Run failed hosts again from their failed level",
        Some("operator"),
        None,
        &[],
        "Task",
    ),
    op(
        "post",
        "/tasks/{id}/release",
        "Release manual steps (all, one step run or one host)",
        Some("operator"),
        Some("{step_run?: int, host?: string}"),
        &[],
        "{released: int}",
    ),
    op(
        "post",
        "/tasks/{id}/skip",
        "Skip a step run that has not succeeded",
        Some("operator"),
        Some("{step_run: int}"),
        &[],
        "TaskDetail",
    ),
    op(
        "post",
        "/tasks/{id}/rollback",
        "Undo a finished SQL audit from its backups: with dry_run the rollback SQL and what cannot be undone, otherwise a new SQL audit (needs approval, names the original; force overwrites rows changed since)",
        Some("operator"),
        Some("{approvers: string[], force?: bool}"),
        &["dry_run"],
        "201 Task, or the plan with dry_run",
    ),
    op(
        "get",
        "/tasks/{id}/logs",
        "Stored log lines with seq >= from_seq; at most limit (default 1000, at most 10000; 0 answers no line)",
        Some("viewer"),
        None,
        &["from_seq", "limit"],
        "LogLine[]",
    ),
    op(
        "get",
        "/tasks/{id}/logs/stream",
        "Live log as server-sent events (event line, id = seq; then event end); resumes from Last-Event-ID or from_seq",
        Some("viewer"),
        None,
        &["from_seq"],
        "text/event-stream",
    ),
    op(
        "post",
        "/modules/{module}/submit",
        "Submit a module form: sql-audit, sql-optimize (online), app-publish, resource, node-add, custom, custom-proxy, custom-json",
        Some("operator"),
        Some("the module's form"),
        &["dry_run"],
        "201 Task, or the plan with dry_run",
    ),
    op(
        "post",
        "/codo/task/accept",
        "CODO-compatible submit: CODO's task JSON verbatim",
        Some("operator"),
        Some("CODO task JSON"),
        &[],
        "{code, msg, list_id}",
    ),
];

/// Example bodies serialised from the real Rust types, so the document cannot drift from them.
fn example(name: &str) -> Option<Value> {
    use crate::model::{ModuleKind, TaskSpec};
    let spec = TaskSpec {
        name: "restart web".into(),
        module: ModuleKind::Custom,
        submitter: "alice".into(),
        template_id: 9502,
        args: [("SERVICE".to_string(), "nginx".to_string())].into(),
        hosts: [(1, vec!["web01".to_string(), "web02".to_string()])].into(),
        exec_time: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        approvers: vec!["bob".into()],
        needs_approval: true,
        details: "after the config change".into(),
        extra: Value::Null,
    };
    let v = match name {
        "TaskSpec" => serde_json::to_value(&spec),
        "{exec_time?: string}" => serde_json::to_value(super::routes::tasks::ApproveBody {
            exec_time: Some("+1h".into()),
        }),
        "{reason: string}" => serde_json::to_value(super::routes::tasks::RejectBody {
            reason: "not during the sale".into(),
        }),
        "{step_run?: int, host?: string}" => {
            serde_json::to_value(super::routes::tasks::ReleaseBody {
                step_run: None,
                host: Some("web01".into()),
            })
        }
        "{step_run: int}" => serde_json::to_value(super::routes::tasks::SkipBody { step_run: 7 }),
        "{approvers: string[], force?: bool}" => {
            serde_json::to_value(super::routes::rollback::RollbackBody {
                approvers: vec!["bob".into()],
                force: false,
            })
        }
        "{source: string}" => serde_json::to_value(super::routes::catalog::TemplateSource {
            source: "id = 7001\nname = \"hello\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"hi\"\ncommand = \"echo hi\"\n".into(),
        }),
        "{code, msg, list_id}" => serde_json::to_value(super::routes::submit::CodoAnswer {
            code: 0,
            msg: "task 42 created (pending_approval)".into(),
            list_id: Some(42),
            fields: Vec::new(),
            warnings: Vec::new(),
        }),
        "error" => serde_json::to_value(super::error::ErrorBody {
            error: "invalid".into(),
            message: "template_id: unknown template 77".into(),
            fields: vec![crate::model::FieldError::new(
                "template_id",
                "unknown template 77",
            )],
        }),
        _ => return None,
    };
    v.ok()
}

/// The OpenAPI document built from [`ROUTES`].
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        let mut params: Vec<Value> = Vec::new();
        for seg in r.path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let schema = match name {
                    "id" => json!({"type": "integer", "format": "int64"}),
                    "module" => json!({"type": "string", "enum": super::routes::submit::MODULES}),
                    _ => json!({"type": "string"}),
                };
                params
                    .push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
            }
        }
        for q in r.query {
            let schema = match *q {
                "limit" | "from_seq" | "version" => json!({"type": "integer", "minimum": 0}),
                "dry_run" => json!({"type": "boolean"}),
                _ => json!({"type": "string"}),
            };
            params.push(json!({"name": q, "in": "query", "required": false, "schema": schema}));
        }
        let ok = if r.answers.starts_with("201") {
            "201"
        } else {
            "200"
        };
        let mut o = json!({
            "summary": r.summary,
            "parameters": params,
            "responses": {
                ok: {"description": r.answers},
                "400": {"description": "invalid input (body, path or query): {error, message, fields: [{field, message}]}"},
                "401": {"description": "missing or unknown bearer token"},
                "403": {"description": "the caller's role does not allow this"},
                "404": {"description": "no such task, template, module or endpoint"},
                "405": {"description": "the path does not serve this method"},
                "409": {"description": "the task is in the wrong state for this action"},
                "413": {"description": "the body is larger than the server's limit"},
                "503": {"description": "busy: the input needed more analysis than the server's time budget, or too many heavy requests run"},
            },
        });
        if let Some(role) = r.role {
            o["security"] = json!([{"bearer": []}]);
            o["x-opsdeck-role"] = json!(role);
        } else {
            o["security"] = json!([]);
        }
        if let Some(b) = r.body {
            let mut content = json!({"schema": {"type": "object"}});
            if let Some(ex) = example(b) {
                content["example"] = ex;
            }
            o["requestBody"] = json!({
                "required": true,
                "description": b,
                "content": {"application/json": content},
            });
        }
        if let Some(ex) = example(r.answers) {
            o["responses"][ok]["content"] = json!({"application/json": {"example": ex}});
        }
        if r.query.contains(&"dry_run") {
            o["responses"]["200"] =
                json!({"description": "with dry_run=true: the plan, nothing stored"});
        }
        if let Some(ex) = example("error") {
            for code in ["400", "401", "403", "404", "405", "409", "413", "503"] {
                o["responses"][code]["content"] =
                    json!({"application/json": {"example": ex.clone()}});
            }
        }
        entry[r.method] = o;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "opsdeck team API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Publish, approve and follow ops tasks. Every error (bad path or query parameters included) answers JSON {error, message, fields}.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::ROUTES;

    /// Every `.route("path", get(…).post(…))` of the router, read from its source.
    fn served() -> Vec<(String, String)> {
        let src = include_str!("server.rs");
        let mut out = Vec::new();
        for chunk in src.split(".route(").skip(1) {
            let Some(path) = chunk.split('"').nth(1) else {
                continue;
            };
            let call = &chunk[..chunk.find("))").unwrap_or(chunk.len())];
            for m in ["get", "post", "put", "delete", "patch"] {
                if call.contains(&format!("{m}(")) {
                    out.push((m.to_string(), path.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn every_served_route_is_documented() {
        let served = served();
        assert!(served.len() >= 20, "{served:?}");
        for (m, p) in served {
            assert!(
                ROUTES.iter().any(|r| r.method == m && r.path == p),
                "{m} {p} is served but not in openapi.json"
            );
        }
    }
}
