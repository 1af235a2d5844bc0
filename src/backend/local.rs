//! `LocalBackend`: the `Backend` over this machine's store and engine; the engine's own API serves it.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Backend, BackendError, LogStream, TaskDetail};
use crate::config::Config;
use crate::engine::{Engine, EngineError, Event, actions};
use crate::model::{
    Inventory, LogLine, StoredTemplate, Task, TaskFilter, TaskSpec, TaskState, User,
};
use crate::modules::ModuleContext;
use crate::store::Store;

impl From<EngineError> for BackendError {
    fn from(e: EngineError) -> BackendError {
        match e {
            EngineError::Invalid(i) => BackendError::Invalid(i),
            EngineError::NotFound(m) => BackendError::NotFound(m),
            EngineError::Forbidden(m) => BackendError::Forbidden(m),
            EngineError::Conflict(m) => BackendError::Conflict(m),
            EngineError::Store(e) => BackendError::Store(e.to_string()),
            EngineError::Other(m) => BackendError::Other(m),
        }
    }
}

/// The backend of a single machine: the store directly, plus the engine when this process runs it.
/// Without an in-process engine, changes are announced to the engine of another process on the same data dir.
#[derive(Clone)]
pub struct LocalBackend {
    store: Store,
    config: Config,
    user: String,
    data_dir: PathBuf,
    engine: Option<Engine>,
}

impl LocalBackend {
    pub fn new(
        store: Store,
        config: Config,
        user: String,
        data_dir: PathBuf,
        engine: Option<Engine>,
    ) -> Self {
        LocalBackend {
            store,
            config,
            user,
            data_dir,
            engine,
        }
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    fn actor(&self) -> Result<User, EngineError> {
        actions::resolve_actor(&self.store, &self.user)
    }

    /// After an action on `task_id` committed: wakes this engine (or the data dir's engine in
    /// another process) and, on PostgreSQL, every other node (`NOTIFY opsdeck`).
    fn changed(&self, task_id: i64) {
        match &self.engine {
            Some(e) => e.notify_task(task_id),
            None => crate::engine::poke(&self.data_dir),
        }
        crate::engine::listen::announce_change(&self.store, task_id, self.engine.as_ref());
    }

    /// The real server's check of a tunnel SQL audit; its refusals are field errors on `sql`.
    async fn online_check(
        &self,
        spec: &TaskSpec,
        at: &str,
    ) -> Result<crate::sqlaudit::OnlineReport, BackendError> {
        let inv = self.blocking(|b| Ok(b.store.load_inventory()?)).await?;
        let report = crate::sqlaudit::online::check_spec(spec, &inv, &self.config, at)
            .await
            .map_err(|e| {
                BackendError::Invalid(crate::model::Invalid(vec![crate::model::FieldError::new(
                    "sql",
                    format!("cannot check the SQL against the server at {at}: {e}"),
                )]))
            })?;
        let errs = report.errors();
        if !errs.0.is_empty() {
            return Err(BackendError::Invalid(errs));
        }
        Ok(report)
    }

    /// Runs blocking store work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalBackend) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, BackendError> {
        let me = self.clone();
        Ok(tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| BackendError::Other(format!("internal error: {e}")))??)
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn whoami(&self) -> Result<User, BackendError> {
        Ok(self.actor()?)
    }

    async fn submit(&self, mut spec: TaskSpec) -> Result<Task, BackendError> {
        if crate::sqlaudit::via_tunnel(&spec) {
            let report = self.online_check(&spec, "submit").await?;
            if let Some(extra) = spec.extra.as_object_mut() {
                extra.insert(
                    "online".into(),
                    serde_json::to_value(&report).unwrap_or_default(),
                );
            }
        }
        let t = self
            .blocking(move |b| actions::submit(&b.store, &b.config, &b.actor()?, spec))
            .await?;
        if let Some(e) = &self.engine
            && t.state == TaskState::PendingApproval
        {
            // Approval requests reach live subscribers (webhooks) like the runner's state changes.
            e.hub().state_changed(t.id, t.state);
        }
        self.changed(t.id);
        Ok(t)
    }

    async fn tasks(&self, filter: TaskFilter) -> Result<Vec<Task>, BackendError> {
        self.blocking(move |b| Ok(b.store.tasks(&filter)?)).await
    }

    async fn task(&self, id: i64) -> Result<TaskDetail, BackendError> {
        self.blocking(move |b| {
            let task = b
                .store
                .task(id)?
                .ok_or(EngineError::NotFound(format!("task {id}")))?;
            let steps = b.store.step_runs(id)?;
            let sql_results = b.store.sql_results(id)?;
            Ok(TaskDetail {
                task,
                steps,
                sql_results,
            })
        })
        .await
    }

    async fn approve(
        &self,
        id: i64,
        new_exec_time: Option<DateTime<Utc>>,
    ) -> Result<Task, BackendError> {
        // A tunnel SQL audit is checked by the server again: the schema may have moved since submit.
        let task = self
            .blocking(move |b| Ok(b.store.task(id)?))
            .await?
            .ok_or_else(|| BackendError::NotFound(format!("task {id}")))?;
        if crate::sqlaudit::via_tunnel(&task.spec) && task.state == TaskState::PendingApproval {
            self.online_check(&task.spec, "approval").await?;
        }
        let t = self
            .blocking(move |b| {
                actions::approve(&b.store, &b.config, &b.actor()?, id, new_exec_time)
            })
            .await?;
        self.changed(id);
        Ok(t)
    }

    async fn reject(&self, id: i64, reason: &str) -> Result<Task, BackendError> {
        let reason = reason.to_string();
        self.blocking(move |b| actions::reject(&b.store, &b.config, &b.actor()?, id, &reason))
            .await
    }

    async fn cancel(&self, id: i64) -> Result<Task, BackendError> {
        let t = self
            .blocking(move |b| actions::cancel(&b.store, &b.actor()?, id))
            .await?;
        self.changed(id);
        Ok(t)
    }

    async fn retry(&self, id: i64) -> Result<Task, BackendError> {
        let t = self
            .blocking(move |b| actions::retry(&b.store, &b.actor()?, id))
            .await?;
        self.changed(id);
        Ok(t)
    }

    async fn release(
        &self,
        id: i64,
        step_run: Option<i64>,
        host: Option<&str>,
    ) -> Result<usize, BackendError> {
        let host = host.map(str::to_string);
        let n = self
            .blocking(move |b| {
                actions::release(&b.store, &b.actor()?, id, step_run, host.as_deref())
            })
            .await?;
        self.changed(id);
        Ok(n)
    }

    async fn skip(&self, id: i64, step_run: i64) -> Result<(), BackendError> {
        self.blocking(move |b| actions::skip(&b.store, &b.actor()?, id, step_run))
            .await?;
        self.changed(id);
        Ok(())
    }

    async fn logs(
        &self,
        id: i64,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<LogLine>, BackendError> {
        self.blocking(move |b| Ok(b.store.logs(id, from_seq, limit)?))
            .await
    }

    async fn follow(&self, id: i64, from_seq: u64) -> Result<LogStream, BackendError> {
        if self.store.task(id).map_err(EngineError::from)?.is_none() {
            return Err(BackendError::NotFound(format!("task {id}")));
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<LogLine>(1024);
        let store = self.store.clone();
        let engine = self.engine.clone();
        tokio::spawn(async move {
            let _ = follow_task(store, engine, id, from_seq.max(1), tx).await;
        });
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|l| (l, rx))
        })))
    }

    async fn inventory(&self) -> Result<Inventory, BackendError> {
        self.blocking(|b| Ok(b.store.load_inventory()?)).await
    }

    async fn templates(&self) -> Result<Vec<StoredTemplate>, BackendError> {
        self.blocking(|b| Ok(b.store.templates()?)).await
    }

    async fn template(
        &self,
        id: u32,
        version: Option<u32>,
    ) -> Result<StoredTemplate, BackendError> {
        self.blocking(move |b| {
            b.store
                .template(id, version)?
                .ok_or(EngineError::NotFound(format!("template {id}")))
        })
        .await
    }

    async fn module_context(&self) -> Result<ModuleContext, BackendError> {
        super::load_module_context(self, &self.config).await
    }

    async fn import_template(&self, source: &str) -> Result<StoredTemplate, BackendError> {
        let source = source.to_string();
        self.blocking(move |b| {
            let actor = b.actor()?;
            let t = crate::templates::load_template_str(&source, "template")
                .map_err(|e| EngineError::Other(format!("nothing was imported:\n{e}")))?;
            let v = b.store.put_template(&t, &source, &actor.name)?;
            b.store.audit(
                &actor.name,
                "import-template",
                None,
                &format!("template {} version {v}", t.id),
            )?;
            b.store
                .template(t.id, Some(v))?
                .ok_or(EngineError::NotFound(format!("template {}", t.id)))
        })
        .await
    }
}

/// How long a follower of a task another node runs waits for that node's next log batch
/// notification before it looks at the store anyway.
const REMOTE_POLL: Duration = Duration::from_millis(500);

/// Sends a task's lines from `next` on: first what the store has, then live lines from the engine's
/// broadcast (re-reading the store on any gap). A task another node runs (PostgreSQL) is read from
/// the store each time a node commits a batch of its lines (`NOTIFY opsdeck_log`) or an action
/// changes it, else every [`REMOTE_POLL`]; without an engine in this process the store is polled.
async fn follow_task(
    store: Store,
    engine: Option<Engine>,
    id: i64,
    mut next: u64,
    tx: tokio::sync::mpsc::Sender<LogLine>,
) -> Result<(), EngineError> {
    let mut live = engine.as_ref().map(|e| e.hub().subscribe());
    let mut ticks = engine
        .as_ref()
        .filter(|e| e.store().is_postgres())
        .map(|e| e.log_ticks());
    loop {
        // A follower that went away (a closed HTTP stream) while the task was quiet: stop polling.
        if tx.is_closed() {
            return Ok(());
        }
        // Catch up from the store.
        loop {
            let page = store.logs(id, next, 2_000)?;
            if page.is_empty() {
                break;
            }
            for l in page {
                next = l.seq + 1;
                if tx.send(l).await.is_err() {
                    return Ok(());
                }
            }
        }
        let state = store
            .task(id)?
            .map(|t| t.state)
            .unwrap_or(TaskState::Cancelled);
        if state.is_final()
            && !engine
                .as_ref()
                .is_some_and(|e| e.running_tasks().contains(&id))
        {
            // One last read: the runner's final lines are flushed before its state is final.
            match &engine {
                Some(e) => e.hub().flush().await,
                // The other process writes its last lines just after the final state.
                None => tokio::time::sleep(Duration::from_millis(500)).await,
            }
            // Only whether anything is left: the catch-up loop above pages through the rest.
            let rest = store.logs(id, next, 1)?;
            if rest.is_empty() {
                return Ok(());
            }
            continue;
        }
        if let (Some(e), Some(t)) = (&engine, ticks.as_mut())
            && !e.running_tasks().contains(&id)
        {
            // Another node runs it (or nobody yet): wait for its next committed batch.
            let tick = tokio::time::timeout(REMOTE_POLL, async {
                loop {
                    match t.recv().await {
                        Ok((task, _)) if task == id => return true,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return true,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
                    }
                }
            })
            .await;
            if tick == Ok(false) {
                ticks = None;
            }
            continue;
        }
        match live.as_mut() {
            None => tokio::time::sleep(Duration::from_millis(250)).await,
            Some(rx) => loop {
                match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
                    Err(_) => break, // quiet: re-check the task's state
                    Ok(Ok(Event::Line(l))) if l.task_id == id => {
                        if l.seq < next {
                            continue;
                        }
                        if l.seq > next {
                            // Missed some (subscribed late): read the gap from the store.
                            if let Some(e) = &engine {
                                e.hub().flush().await;
                            }
                            break;
                        }
                        next = l.seq + 1;
                        if tx.send(l).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(Ok(Event::TaskState { task_id, state }))
                        if task_id == id && state.is_final() =>
                    {
                        if let Some(e) = &engine {
                            e.hub().flush().await;
                        }
                        break;
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                        if let Some(e) = &engine {
                            e.hub().flush().await;
                        }
                        break;
                    }
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => {
                        live = None;
                        break;
                    }
                }
            },
        }
    }
}
