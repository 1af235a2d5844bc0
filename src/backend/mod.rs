//! The `Backend` trait every front end (console, CLI, API) talks to, its error type and what it returns.
//! Front ends see only this module and `model/`; `LocalBackend` (this machine's store and engine) and
//! `RemoteBackend` (`api::client`, the engine's socket or a team server) implement it.

mod local;

use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::model::{
    Invalid, Inventory, LogLine, StepRun, StoredTemplate, Task, TaskFilter, TaskSpec, User,
};
use crate::modules::ModuleContext;

pub use local::LocalBackend;

/// The forms' context (inventory, templates, the current user) loaded through a backend.
pub async fn load_module_context(
    backend: &dyn Backend,
    config: &crate::config::Config,
) -> Result<ModuleContext, BackendError> {
    let me = backend.whoami().await?;
    let inventory = backend.inventory().await?;
    let templates = backend
        .templates()
        .await?
        .into_iter()
        .map(|s| s.template)
        .collect();
    Ok(ModuleContext::new(
        inventory,
        templates,
        config.clone(),
        me.name,
    ))
}

/// The opsdeck version of this build; a front end compares it with its engine's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub type LogStream = Pin<Box<dyn Stream<Item = LogLine> + Send>>;

/// Why a backend call failed, in the words a front end shows.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// The engine or server cannot be reached (not running, gone, or of another version).
    #[error("{0}")]
    Unavailable(String),
    /// The store failed; the details are for the engine's log.
    #[error("database error: {0}")]
    Store(String),
    #[error("{0}")]
    Other(String),
}

/// A task with its step runs (the group × level × host matrix).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskDetail {
    pub task: Task,
    pub steps: Vec<StepRun>,
    /// A native SQL audit's per-statement results (`crate::sqlaudit::StatementResult` as JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sql_results: Vec<serde_json::Value>,
}

impl TaskDetail {
    /// Hosts that finished every step, and all hosts.
    pub fn progress(&self) -> (usize, usize) {
        let mut hosts: std::collections::BTreeMap<&str, bool> = Default::default();
        for s in &self.steps {
            let e = hosts.entry(s.host.as_str()).or_insert(true);
            *e &= s.state.is_success();
        }
        (hosts.values().filter(|d| **d).count(), hosts.len())
    }
}

/// What an engine process says about itself (`GET /api/v1/engine` on its socket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineStatus {
    pub pid: u32,
    /// The opsdeck version the engine runs.
    pub version: String,
    pub data_dir: String,
    pub socket: String,
    pub started_at: DateTime<Utc>,
    /// Ids of the tasks running now.
    pub running: Vec<i64>,
}

impl EngineStatus {
    /// True when the engine runs another opsdeck version than this program.
    pub fn other_version(&self) -> bool {
        self.version != VERSION
    }
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// The user this backend acts as, with their role.
    async fn whoami(&self) -> Result<User, BackendError>;
    async fn submit(&self, spec: TaskSpec) -> Result<Task, BackendError>;
    async fn tasks(&self, filter: TaskFilter) -> Result<Vec<Task>, BackendError>;
    async fn task(&self, id: i64) -> Result<TaskDetail, BackendError>;
    async fn approve(
        &self,
        id: i64,
        new_exec_time: Option<DateTime<Utc>>,
    ) -> Result<Task, BackendError>;
    async fn reject(&self, id: i64, reason: &str) -> Result<Task, BackendError>;
    async fn cancel(&self, id: i64) -> Result<Task, BackendError>;
    async fn retry(&self, id: i64) -> Result<Task, BackendError>;
    /// Releases manual steps waiting for a person: one step run, one host's, or all of the task's.
    async fn release(
        &self,
        id: i64,
        step_run: Option<i64>,
        host: Option<&str>,
    ) -> Result<usize, BackendError>;
    async fn skip(&self, id: i64, step_run: i64) -> Result<(), BackendError>;
    /// Stored log lines with `seq >= from_seq`, at most `limit`.
    async fn logs(
        &self,
        id: i64,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<LogLine>, BackendError>;
    /// Every line from `from_seq` on, live, in order; ends after the task reaches a final state.
    async fn follow(&self, id: i64, from_seq: u64) -> Result<LogStream, BackendError>;
    async fn inventory(&self) -> Result<Inventory, BackendError>;
    async fn templates(&self) -> Result<Vec<StoredTemplate>, BackendError>;
    async fn template(&self, id: u32, version: Option<u32>)
    -> Result<StoredTemplate, BackendError>;
    /// What module forms are checked against: inventory, latest templates, users, config, me.
    async fn module_context(&self) -> Result<ModuleContext, BackendError>;
    /// Validates a template's TOML source and stores it as the next version of its id.
    async fn import_template(&self, source: &str) -> Result<StoredTemplate, BackendError>;
    /// The engine process this backend talks to over its local socket, when it does; `Ok(None)`
    /// for an engine in this process or a team server. Never starts an engine.
    async fn engine_status(&self) -> Result<Option<EngineStatus>, BackendError> {
        Ok(None)
    }
}
