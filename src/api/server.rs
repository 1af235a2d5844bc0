//! The `opsdeck serve` HTTP server: shared state, the `/api/v1` router and the listener loop.

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::routes;
use crate::backend::LocalBackend;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::Store;

/// Default largest request body (a CODO JSON document or a form is a few kB; a big SQL change fits too).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What every handler shares: the store, the config and the engine running in this process.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub data_dir: PathBuf,
    pub engine: Option<Engine>,
    pub body_limit: usize,
}

impl AppState {
    pub fn new(store: Store, config: Config, data_dir: PathBuf, engine: Option<Engine>) -> Self {
        AppState {
            store,
            config,
            data_dir,
            engine,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// A backend acting as `user`: every action is checked and audited as that user.
    pub fn backend(&self, user: &str) -> LocalBackend {
        LocalBackend::new(
            self.store.clone(),
            self.config.clone(),
            user.to_string(),
            self.data_dir.clone(),
            self.engine.clone(),
        )
    }
}

/// Every route of the API; `openapi.rs` describes the same table.
pub fn router(state: AppState) -> Router {
    let limit = state.body_limit;
    let api = Router::new()
        .route("/openapi.json", get(super::openapi::serve))
        .route("/whoami", get(routes::catalog::whoami))
        .route("/nodes", get(routes::nodes::list))
        .route("/metrics", get(routes::metrics::serve))
        .route("/inventory", get(routes::catalog::inventory))
        .route(
            "/templates",
            get(routes::catalog::templates).post(routes::catalog::import_template),
        )
        .route("/modules/context", get(routes::catalog::form_context))
        .route("/templates/{id}", get(routes::catalog::template))
        .route(
            "/tasks",
            get(routes::tasks::list).post(routes::submit::submit_spec),
        )
        .route("/tasks/{id}", get(routes::tasks::show))
        .route("/tasks/{id}/approve", post(routes::tasks::approve))
        .route("/tasks/{id}/reject", post(routes::tasks::reject))
        .route("/tasks/{id}/cancel", post(routes::tasks::cancel))
        .route("/tasks/{id}/retry", post(routes::tasks::retry))
        .route("/tasks/{id}/release", post(routes::tasks::release))
        .route("/tasks/{id}/skip", post(routes::tasks::skip))
        .route("/tasks/{id}/rollback", post(routes::rollback::rollback))
        .route("/tasks/{id}/logs", get(routes::logs::page))
        .route("/tasks/{id}/logs/stream", get(routes::logs::stream))
        .route(
            "/modules/{module}/submit",
            post(routes::submit::submit_form),
        )
        .route("/codo/task/accept", post(routes::submit::codo_accept))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(routes::metrics::serve))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
