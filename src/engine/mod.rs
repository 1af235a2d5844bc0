//! The embedded engine: scheduler, task runner, operator actions and the live log pipeline.

pub mod actions;
pub mod events;
pub mod listen;
mod lock;
mod remote_end;
mod runner;
mod scheduler;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::model::Invalid;
use crate::store::{LogWriter, Store, StoreError};

pub use events::{Event, LogHub};
pub use lock::{EngineLock, engine_running, poke};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

/// What a running task exposes to the engine: how to stop it and how to tell it the store changed.
struct RunningTask {
    changed: Arc<Notify>,
}

pub(crate) struct Inner {
    pub store: Store,
    /// This engine's node id on PostgreSQL (it claims due tasks with a lease under it); `None`
    /// on SQLite, one engine per data directory.
    pub node: Option<String>,
    pub config: Config,
    pub hub: LogHub,
    /// Wakes the scheduler: new task, approval, retry (with `rescan` set), or a task finished.
    pub wake: Notify,
    /// Set when the store changed in a way the scheduler must re-read every scheduled task for.
    rescan: std::sync::atomic::AtomicBool,
    /// Tasks that finished running since the scheduler last looked; only these are re-read
    /// (a retry may have re-scheduled one while it ran).
    finished: std::sync::Mutex<Vec<i64>>,
    running: std::sync::Mutex<HashMap<i64, RunningTask>>,
    pub global: Arc<Semaphore>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    /// PostgreSQL: `(task, last seq)` of log batches committed by any node, `(task, 0)` for an
    /// announced change (see `listen`).
    log_ticks: tokio::sync::broadcast::Sender<(i64, u64)>,
    /// This engine's mark on the changes it announces (see `listen`).
    origin: String,
}

/// A running engine. Dropping it does not stop it; call [`Engine::shutdown`].
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    writer: Arc<std::sync::Mutex<Option<LogWriter>>>,
    _lock: Arc<EngineLock>,
    _claim: Arc<crate::store::EngineClaim>,
}

/// How often a node beats: a third of the lease, at most 2 s apart (so a dead node's tasks are
/// marked within the lease time + 2 s) and at least 1 s.
fn tick_every(lease: std::time::Duration) -> std::time::Duration {
    (lease / 3).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(2),
    )
}

/// PostgreSQL: the node's heartbeat. Each tick moves the node's heartbeat, renews the leases of
/// the tasks it runs, stops running those whose lease another node took, interrupts the running
/// tasks of nodes whose lease expired (with a line on each task's log and an audit entry), and
/// wakes the scheduler.
async fn heartbeat(inner: Arc<Inner>, claim: Arc<crate::store::EngineClaim>) {
    let lease = inner.config.lease();
    let every = tick_every(lease);
    let mut failing = false;
    let mut renewed = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let since = renewed.elapsed();
        if since > lease / 2 {
            // A starved machine or a slow database: other nodes take this node's tasks over
            // once `lease` passes without a renewal.
            tracing::warn!(
                "the node heartbeat is late: {:.1}s since the last lease renewal (lease {}s)",
                since.as_secs_f64(),
                lease.as_secs()
            );
        }
        let running: Vec<i64> = {
            let map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
            map.keys().copied().collect()
        };
        let c = claim.clone();
        let tick = match tokio::task::spawn_blocking(move || c.tick(&running, lease)).await {
            Ok(Ok(t)) => {
                renewed = std::time::Instant::now();
                if failing {
                    tracing::info!("the node heartbeat works again");
                }
                failing = false;
                t
            }
            Ok(Err(e)) => {
                failing = true;
                tracing::warn!("node heartbeat failed (leases not renewed): {e}");
                continue;
            }
            Err(e) => {
                tracing::warn!("node heartbeat failed: {e}");
                continue;
            }
        };
        if !tick.lost.is_empty() {
            let map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
            for id in &tick.lost {
                if let Some(r) = map.get(id) {
                    // The runner's watcher reads the task and stops when it is no longer its own.
                    r.changed.notify_waiters();
                    r.changed.notify_one();
                }
            }
        }
        for r in &tick.recovered {
            tracing::warn!("task {}: {}", r.task_id, r.reason);
            inner
                .hub
                .system(
                    r.task_id,
                    None,
                    None,
                    format!("task interrupted: {}", r.reason),
                )
                .await;
            inner
                .hub
                .state_changed(r.task_id, crate::model::TaskState::Interrupted);
            if let Err(e) = inner.store.audit(
                "opsdeck",
                "interrupted",
                Some(r.task_id),
                &format!("lease of node {} expired", r.owner),
            ) {
                tracing::warn!("task {}: cannot audit its interruption: {e}", r.task_id);
            }
        }
        if !tick.recovered.is_empty() {
            inner.hub.flush().await;
            for r in &tick.recovered {
                inner.hub.forget(r.task_id);
                // Its steps may still run on their hosts (a node cut off, not killed).
                remote_end::spawn(&inner, r);
            }
        }
        // New tasks reach the scheduler by notification (and the listener's polling fallback
        // re-reads everything); a task a dead node had claimed stays in every node's queue and is
        // claimed once its lease ran out. So the tick itself only wakes the scheduler.
        inner.wake.notify_one();
    }
}

impl Engine {
    /// Takes the data directory's engine lock, registers as a node on PostgreSQL, recovers from a
    /// previous crash and starts the scheduler (and on PostgreSQL the node heartbeat).
    /// Must be called inside a tokio runtime.
    pub async fn start(
        store: Store,
        config: Config,
        data_dir: &Path,
    ) -> Result<Engine, EngineError> {
        let lock = EngineLock::acquire(data_dir)?;
        let claim = store.claim_engine()?;
        let writer = LogWriter::spawn(&store)?;
        let hub = LogHub::new(store.clone(), writer.sender());
        let inner = Arc::new(Inner {
            node: claim.node_id().map(str::to_string),
            global: Arc::new(Semaphore::new(config.global_concurrency)),
            store,
            config,
            hub,
            wake: Notify::new(),
            rescan: std::sync::atomic::AtomicBool::new(true),
            finished: Default::default(),
            running: Default::default(),
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            log_ticks: tokio::sync::broadcast::channel(1_024).0,
            origin: listen::new_origin(),
        });
        scheduler::recover(&inner).await?;
        let socket = lock.socket_path();
        let engine = Engine {
            inner: inner.clone(),
            writer: Arc::new(std::sync::Mutex::new(Some(writer))),
            _lock: Arc::new(lock),
            _claim: Arc::new(claim),
        };
        scheduler::listen_for_pokes(inner.clone(), socket)?;
        if engine._claim.renewable() {
            inner
                .tracker
                .spawn(heartbeat(inner.clone(), engine._claim.clone()));
        }
        let i2 = inner.clone();
        inner.tracker.spawn(async move { scheduler::run(i2).await });
        listen::spawn(&inner);
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn hub(&self) -> &LogHub {
        &self.inner.hub
    }

    /// Tells the engine the store changed (a submit, an action): it re-reads what it needs.
    pub fn notify(&self) {
        notify_inner(&self.inner);
    }

    /// Tells the engine task `id` changed (submitted, approved, cancelled…): it re-reads that task.
    pub fn notify_task(&self, id: i64) {
        notify_task(&self.inner, id);
    }

    /// Stops scheduling, cancels running tasks (they end as interrupted on the next start if killed
    /// before finishing) and waits for every line to be written.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
        self.inner.hub.flush().await;
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = w {
            tokio::task::spawn_blocking(move || w.shutdown()).await.ok();
        }
    }

    /// PostgreSQL: `(task, last seq)` of each log batch any node commits, `(task, 0)` when an
    /// action changed the task (nothing on SQLite).
    pub fn log_ticks(&self) -> tokio::sync::broadcast::Receiver<(i64, u64)> {
        self.inner.log_ticks.subscribe()
    }

    /// Ids of the tasks running in this engine now.
    pub fn running_tasks(&self) -> Vec<i64> {
        let map = self.inner.running.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<i64> = map.keys().copied().collect();
        v.sort();
        v
    }
}

/// Wakes the scheduler for one task (a submit or an action on it): only that task is re-read, not
/// every scheduled one, and its runner, if it runs here, compares its view with the store. Keeps a
/// burst of submits on several nodes from re-reading thousands of scheduled tasks per submit.
pub(crate) fn notify_task(inner: &Inner, id: i64) {
    inner
        .finished
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(id);
    inner.wake.notify_one();
    let map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = map.get(&id) {
        r.changed.notify_waiters();
        r.changed.notify_one();
    }
}

/// Wakes the scheduler and every running task so they compare their view with the store.
pub(crate) fn notify_inner(inner: &Inner) {
    inner
        .rescan
        .store(true, std::sync::atomic::Ordering::SeqCst);
    inner.wake.notify_one();
    let map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
    for r in map.values() {
        r.changed.notify_waiters();
        r.changed.notify_one();
    }
}

/// The default data-dir socket path used to wake an engine in another process.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("engine.sock")
}
