//! Catalog endpoints: who am I, the inventory (passwords masked), templates (admins import), and the form context.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::api::error::ApiResult;
use crate::api::extract::{Caller, Path, Query};
use crate::api::mask;
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
    let all = s.backend(&u.name).templates().await?;
    Ok(Json(
        all.into_iter()
            .map(|t| mask::stored_template_for(u.role, t))
            .collect(),
    ))
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
    let t = s.backend(&u.name).template(id, q.version).await?;
    Ok(Json(mask::stored_template_for(u.role, t)))
}

/// What module forms are checked against, as the server sees it (its config without secrets).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct FormContext {
    pub inventory: Inventory,
    pub templates: Vec<crate::model::Template>,
    pub users: Vec<User>,
    pub config: crate::config::Config,
    pub user: String,
}

/// The server's config as forms need it: tokens, webhook URLs, CMDB settings and paths removed.
pub fn public_config(c: &crate::config::Config) -> crate::config::Config {
    crate::config::Config {
        user: None,
        token: None,
        server: None,
        known_hosts: None,
        webhooks: Vec::new(),
        cmdb: Default::default(),
        ..c.clone()
    }
}

pub async fn form_context(
    State(s): State<AppState>,
    Caller(u): Caller,
    local: Option<axum::Extension<crate::api::unix::LocalPeer>>,
) -> ApiResult<Json<FormContext>> {
    let m = s.backend(&u.name).module_context().await?;
    Ok(Json(FormContext {
        // A peer on the engine's own socket is the store's owner: forms build tasks with the
        // inline passwords (a remote client only ever sees them masked).
        inventory: if local.is_some() {
            m.inventory
        } else {
            masked(m.inventory)
        },
        templates: m
            .templates
            .into_iter()
            .map(|t| mask::template_for(u.role, t))
            .collect(),
        users: m.users,
        config: public_config(&m.config),
        user: m.user,
    }))
}

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSource {
    /// The template's TOML.
    pub source: String,
}

/// An imported template version with the warnings about it (`file:line: field: message`).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Imported {
    #[serde(flatten)]
    pub stored: StoredTemplate,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Admins import a template version; a template that does not load is a 400 on `source`, nothing
/// stored. Warnings (a secret arg on a command line) come back with the stored version.
pub async fn import_template(
    State(s): State<AppState>,
    c: Caller,
    crate::api::extract::JsonBody(b): crate::api::extract::JsonBody<TemplateSource>,
) -> ApiResult<(axum::http::StatusCode, Json<Imported>)> {
    c.require(crate::model::Role::Admin, "importing a template")?;
    let source = b.source.clone();
    let warnings = crate::api::heavy::run("checking the template", move || {
        crate::templates::load_template_str(&source, "source")
            .map(|t| crate::templates::template_warnings(&t, &source, "source"))
            .map_err(|e| crate::api::error::ApiError::field("source", e.to_string()))
    })
    .await??;
    let stored = s.backend(&c.0.name).import_template(&b.source).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Imported { stored, warnings }),
    ))
}
