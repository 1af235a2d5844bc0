//! Submitting tasks: a raw `TaskSpec`, any module's form by module name, and CODO's accept endpoint
//! that takes CODO's task JSON verbatim and answers `{code, msg, list_id}`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, Path, Query, body_bytes, parse_json};
use crate::api::heavy;
use crate::api::mask;
use crate::api::server::AppState;
use crate::backend::{Backend, LocalBackend};
use crate::model::{Host, Invalid, Inventory, Role, Task, TaskSpec};
use crate::modules::{
    AppPublishForm, CustomForm, CustomJsonForm, CustomProxyForm, Form, ModuleContext, NodeAddForm,
    PlannedStep, ResourceForm, SqlAuditForm, SqlOptimizeForm, codo_warnings, masked_spec, plan,
};

/// Module names accepted by `POST /api/v1/modules/{module}/submit`.
pub const MODULES: &[&str] = &[
    "sql-audit",
    "sql-optimize",
    "app-publish",
    "resource",
    "node-add",
    "custom",
    "custom-proxy",
    "custom-json",
];

/// `POST /tasks`: a `TaskSpec`; `submitter` may be left out (it is always the caller).
pub async fn submit_spec(
    State(s): State<AppState>,
    c: Caller,
    req: Request,
) -> ApiResult<(StatusCode, Json<Task>)> {
    c.require(Role::Operator, "submitting a task")?;
    let bytes = body_bytes(req, &s).await?;
    let mut v: serde_json::Value = parse_json(&bytes)?;
    let Some(obj) = v.as_object_mut() else {
        return Err(ApiError::field(
            "body",
            "expected a JSON object (a TaskSpec)",
        ));
    };
    obj.insert("submitter".into(), c.0.name.clone().into());
    let spec: TaskSpec = parse_json(v.to_string().as_bytes())?;
    if c.0.role < Role::Admin {
        let inv = s
            .store
            .load_inventory()
            .map_err(crate::engine::EngineError::from)?;
        check_host_access(&spec, &inv, &c.0.name)?;
    }
    let t = s.backend(&c.0.name).submit(spec).await?;
    Ok((StatusCode::CREATED, Json(mask::task(&s.store, t).await?)))
}

/// A raw spec names hosts, not a tag: each host must be reachable through a tag the caller may use
/// (`users` on a tag restricts it), the same rule the module forms apply when offering tags. Hosts
/// in no tag are open to every operator.
fn check_host_access(spec: &TaskSpec, inv: &Inventory, user: &str) -> ApiResult<()> {
    for (group, hosts) in &spec.hosts {
        for (i, h) in hosts.iter().enumerate() {
            let tags: Vec<&crate::model::Tag> = inv
                .tags
                .iter()
                .filter(|t| t.hosts.iter().any(|x| x == h))
                .collect();
            if !tags.is_empty() && !tags.iter().any(|t| t.allows(user)) {
                let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
                return Err(ApiError::forbidden(format!(
                    "hosts.{group}[{i}]: `{h}` is only in tags you may not use ({})",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    /// Validate and plan only; nothing is stored.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a dry run answers: the spec and every command it would run (secrets masked).
#[derive(Debug, Serialize)]
pub struct DryRun {
    /// Accepted but worth a word (a CODO document's undeclared args).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub spec: TaskSpec,
    pub adhoc_hosts: Vec<Host>,
    pub steps: Vec<PlannedStep>,
}

/// A form built off the workers: a spec to submit, or a dry run's answer.
enum Built {
    Submit(TaskSpec, Vec<Host>),
    Dry(DryRun),
}

/// Builds a module's spec (and ad-hoc hosts) from its form JSON.
pub fn build_form(
    module: &str,
    body: &[u8],
    mctx: &ModuleContext,
) -> ApiResult<(TaskSpec, Vec<Host>)> {
    fn one<F: Form + serde::de::DeserializeOwned>(
        body: &[u8],
        mctx: &ModuleContext,
    ) -> ApiResult<(TaskSpec, Vec<Host>)> {
        let form: F = parse_json(body)?;
        let spec = form.to_spec(mctx).map_err(ApiError::invalid)?;
        Ok((spec, Vec::new()))
    }
    match module {
        "sql-audit" => one::<SqlAuditForm>(body, mctx),
        // The online advice task (template 9901); the local analysis needs no server.
        "sql-optimize" => one::<SqlOptimizeForm>(body, mctx),
        "app-publish" | "app" => one::<AppPublishForm>(body, mctx),
        "resource" => one::<ResourceForm>(body, mctx),
        "node-add" => one::<NodeAddForm>(body, mctx),
        "custom" => one::<CustomForm>(body, mctx),
        "custom-proxy" => one::<CustomProxyForm>(body, mctx),
        "custom-json" | "json" => {
            let form: CustomJsonForm = parse_json(body)?;
            form.to_spec_with_hosts(mctx).map_err(ApiError::invalid)
        }
        other => Err(ApiError::not_found(format!(
            "unknown module `{other}`; accepted: {}",
            MODULES.join(", ")
        ))),
    }
}

async fn module_context(b: &LocalBackend, s: &AppState) -> ApiResult<ModuleContext> {
    Ok(crate::backend::load_module_context(b, &s.config).await?)
}

/// Checks the spec against the inventory with the ad-hoc hosts added, so that nothing (not even
/// the ad-hoc hosts) is stored when the task would be refused.
fn precheck(s: &AppState, spec: &TaskSpec, adhoc: &[Host], inv: &Inventory) -> ApiResult<()> {
    let Some(stored) = s
        .store
        .template(spec.template_id, None)
        .map_err(crate::engine::EngineError::from)?
    else {
        return Err(ApiError::field(
            "template_id",
            format!("unknown template {}", spec.template_id),
        ));
    };
    let mut spec = spec.clone();
    for a in &stored.template.args {
        if let Some(d) = &a.default {
            spec.args.entry(a.name.clone()).or_insert_with(|| d.clone());
        }
    }
    let mut inv = inv.clone();
    inv.hosts.extend(adhoc.iter().cloned());
    spec.validate(&stored.template, &inv, s.config.concurrency)
        .map_err(ApiError::invalid)
}

/// Adds ad-hoc hosts, then submits.
async fn store_and_submit(
    s: &AppState,
    b: &LocalBackend,
    actor: &str,
    spec: TaskSpec,
    adhoc: Vec<Host>,
    inv: &Inventory,
) -> ApiResult<Task> {
    if !adhoc.is_empty() {
        precheck(s, &spec, &adhoc, inv)?;
        let names: Vec<String> = adhoc.iter().map(|h| h.name.clone()).collect();
        let store = s.store.clone();
        let actor = actor.to_string();
        let add = Inventory {
            hosts: adhoc,
            ..Inventory::default()
        };
        tokio::task::spawn_blocking(move || -> ApiResult<()> {
            let r = store
                .import_inventory(add, false)
                .map_err(crate::engine::EngineError::from)?;
            r.map_err(|e: Invalid| ApiError::invalid(e))?;
            store
                .audit(&actor, "add-adhoc-hosts", None, &names.join(", "))
                .map_err(crate::engine::EngineError::from)?;
            Ok(())
        })
        .await
        .map_err(|e| ApiError::internal(format!("internal error: {e}")))??;
    }
    Ok(b.submit(spec).await?)
}

/// `POST /modules/{module}/submit[?dry_run=true]`: one module's form as JSON.
pub async fn submit_form(
    State(s): State<AppState>,
    c: Caller,
    Path(module): Path<String>,
    Query(q): Query<FormQuery>,
    req: Request,
) -> ApiResult<Response> {
    c.require(Role::Operator, "submitting a task")?;
    let bytes = body_bytes(req, &s).await?;
    let b = s.backend(&c.0.name);
    let mctx = module_context(&b, &s).await?;
    // Building a form checks SQL, parses literals and renders commands: a job off the workers.
    let job = {
        let s = s.clone();
        let mctx = mctx.clone();
        let dry_run = q.dry_run;
        move || -> ApiResult<Built> {
            let (spec, adhoc) = build_form(&module, &bytes, &mctx)?;
            if !dry_run {
                return Ok(Built::Submit(spec, adhoc));
            }
            precheck(&s, &spec, &adhoc, &mctx.inventory)?;
            let tpl = mctx
                .template(spec.template_id)
                .ok_or_else(|| ApiError::field("template_id", "unknown template"))?;
            let mut inv = mctx.inventory.clone();
            inv.hosts.extend(adhoc.iter().cloned());
            let steps = plan(&spec, tpl, &inv);
            Ok(Built::Dry(DryRun {
                warnings: codo_warnings(&spec),
                spec: masked_spec(spec, tpl),
                adhoc_hosts: adhoc,
                steps,
            }))
        }
    };
    let (spec, adhoc) = match heavy::run("checking the form", job).await?? {
        Built::Submit(spec, adhoc) => (spec, adhoc),
        Built::Dry(dry) => return Ok(Json(dry).into_response()),
    };
    let t = store_and_submit(&s, &b, &c.0.name, spec, adhoc, &mctx.inventory).await?;
    let t = mask::task(&s.store, t).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// CODO's answer: `code` 0 with the new order's `list_id`, or -1 with the reason in `msg`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CodoAnswer {
    pub code: i32,
    pub msg: String,
    pub list_id: Option<i64>,
    /// opsdeck's addition: which fields were wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::model::FieldError>,
    /// opsdeck's addition: what was accepted but deserves a word (args the template does not declare).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `POST /codo/task/accept`: CODO's task JSON as CODO's clients send it. Like CODO, input errors
/// answer HTTP 200 with `code: -1`; authentication still answers 401/403, an oversized body 413.
pub async fn codo_accept(State(s): State<AppState>, c: Caller, req: Request) -> Response {
    let r: ApiResult<(Task, Vec<String>)> = async {
        c.require(Role::Operator, "submitting a task")?;
        let bytes = body_bytes(req, &s).await?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::field("body", "the body is not UTF-8 text"))?;
        let b = s.backend(&c.0.name);
        let mctx = module_context(&b, &s).await?;
        let job = {
            let mctx = mctx.clone();
            move || {
                CustomJsonForm::new(text, "")
                    .to_spec_with_hosts(&mctx)
                    .map_err(ApiError::invalid)
            }
        };
        let (spec, adhoc) = heavy::run("reading the CODO document", job).await??;
        let warnings = codo_warnings(&spec);
        let t = store_and_submit(&s, &b, &c.0.name, spec, adhoc, &mctx.inventory).await?;
        Ok((t, warnings))
    }
    .await;
    match r {
        Ok((t, warnings)) => Json(CodoAnswer {
            code: 0,
            msg: format!("task {} created ({})", t.id, t.state.as_str()),
            list_id: Some(t.id),
            fields: Vec::new(),
            warnings,
        })
        .into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => Json(CodoAnswer {
            code: -1,
            msg: if e.body.fields.is_empty() {
                e.body.message
            } else {
                let all: Vec<String> = e.body.fields.iter().map(|f| f.to_string()).collect();
                all.join("; ")
            },
            list_id: None,
            fields: e.body.fields,
            warnings: Vec::new(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}
