//! Runs one task: host groups one after another; inside a group each host walks its levels in order,
//! independently of the others, at most `concurrency` hosts at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Mutex, Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::{EngineError, Inner};
use crate::exec::plan::{masker_for, render_step};
use crate::exec::render::Masker;
use crate::exec::{HostSession, OutputStream, exec_user_for};
use crate::model::plan::{ArgValues, group_chains};
use crate::model::{Inventory, Step, StepState, Stream, Task, TaskState, Template, Trigger};

/// Most bytes of stdout a `capture` step keeps.
const CAPTURE_LIMIT: usize = 1024 * 1024;

/// A host's connection is shared by the steps that log in as the same exec user: (host, exec user alias).
type SessionKey = (String, Option<String>);

impl TaskRun {
    /// `text` with every secret replaced by `******`.
    fn mask(&self, text: &str) -> String {
        match self.masker.read() {
            Ok(m) if m.is_empty() => text.to_string(),
            Ok(m) => m.mask(text),
            Err(poisoned) => poisoned.into_inner().mask(text),
        }
    }

    /// The masker as it stands (secret captures are added as they are made).
    fn masker(&self) -> Masker {
        match self.masker.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

struct TaskRun {
    inner: Arc<Inner>,
    task: Task,
    tpl: Template,
    inv: Inventory,
    /// Secret args, plus secret captures as they are made.
    masker: std::sync::RwLock<Masker>,
    values: ArgValues,
    captures: Mutex<BTreeMap<String, String>>,
    sessions: Mutex<HashMap<SessionKey, Arc<HostSession>>>,
    cancel: CancellationToken,
    changed: Arc<Notify>,
    /// Store writes that failed even after retries: reported on the task when it ends.
    lost: std::sync::Mutex<Vec<String>>,
}

/// Waits between attempts of a failed store write (then it is reported, never dropped).
const STORE_RETRIES: [Duration; 4] = [
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1600),
];

impl TaskRun {
    /// A store write of the run, retried; a write that still fails is logged on the task and
    /// remembered, so the task's end says so.
    async fn record<T>(
        &self,
        what: &str,
        mut write: impl FnMut() -> Result<T, crate::store::StoreError>,
    ) -> Option<T> {
        let mut last = String::new();
        for (attempt, wait) in std::iter::once(Duration::ZERO)
            .chain(STORE_RETRIES)
            .enumerate()
        {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            match write() {
                Ok(v) => {
                    if attempt > 0 {
                        tracing::warn!(
                            task = self.task.id,
                            "{what}: stored after {attempt} retries"
                        );
                    }
                    return Some(v);
                }
                Err(e) => last = e.to_string(),
            }
        }
        let msg = format!("could not record {what} in the store: {last}");
        tracing::error!(task = self.task.id, "{msg}");
        self.inner
            .hub
            .system(self.task.id, None, None, msg.clone())
            .await;
        self.lost
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(msg);
        None
    }

    /// [`record`](Self::record) of a step's state.
    async fn step_state(&self, sr_id: i64, state: StepState, exit: Option<i32>, reason: &str) {
        let store = &self.inner.store;
        let what = format!("step {sr_id} state `{}`", state.as_str());
        self.record(&what, || store.set_step_state(sr_id, state, exit, reason))
            .await;
    }
}

/// A task due outside the maintenance windows of its hosts' tags (a late approval, the engine
/// down) never starts outside them: it waits, still scheduled, for the next common opening, or
/// fails when a tag says `outside_window = "fail"`. Returns the inventory it checked when the
/// task may start now (the run uses it: one read of the inventory per task), `None` otherwise.
async fn wait_for_window(
    inner: &Arc<Inner>,
    task: &Task,
    cancel: &CancellationToken,
    changed: &Notify,
) -> Result<Option<Inventory>, EngineError> {
    use crate::model::inventory::OutsideWindow;
    let store = &inner.store;
    let hosts = task.spec.all_hosts();
    let mut told = false;
    loop {
        let inv = store.load_inventory()?;
        let Some(o) = crate::model::maintenance::check(&inv, &hosts, Utc::now()) else {
            return Ok(Some(inv));
        };
        let id = task.id;
        let Some(next) = o.next.filter(|_| o.policy == OutsideWindow::Wait) else {
            let why = format!("not started: now is {o}");
            if store.transition_task(id, &[TaskState::Scheduled], TaskState::Failed, Some(&why))? {
                inner
                    .hub
                    .system(id, None, None, format!("task {id} {why}"))
                    .await;
                inner.hub.state_changed(id, TaskState::Failed);
                inner.hub.flush().await;
            }
            return Ok(None);
        };
        if !told {
            let line = format!("task {id} waits: now is {o}");
            inner.hub.system(id, None, None, line).await;
            inner.hub.flush().await;
            told = true;
        }
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // A cancel or an inventory change: look again.
            _ = changed.notified() => {}
            _ = cancel.cancelled() => return Ok(None),
        }
        if store.task(id)?.map(|t| t.state) != Some(TaskState::Scheduled) {
            return Ok(None);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostResult {
    Ok,
    Failed,
    Cancelled,
}

pub(super) async fn run_task(
    inner: &Arc<Inner>,
    id: i64,
    cancel: CancellationToken,
    changed: Arc<Notify>,
) -> Result<(), EngineError> {
    let store = &inner.store;
    let Some(task) = store.task(id)? else {
        return Ok(());
    };
    let checked = if task.state == TaskState::Scheduled {
        match wait_for_window(inner, &task, &cancel, &changed).await? {
            Some(inv) => Some(inv),
            None => return Ok(()),
        }
    } else {
        None
    };
    // Conditional on this node still holding the task (PostgreSQL): never running on two nodes.
    if !store.transition_task_owned(
        id,
        &[TaskState::Scheduled],
        TaskState::Running,
        Some(""),
        inner.node.as_deref(),
    )? {
        return Ok(());
    }
    inner.hub.state_changed(id, TaskState::Running);
    let started = Instant::now();
    let tpl = store
        .template(task.spec.template_id, Some(task.template_version))?
        .ok_or_else(|| {
            EngineError::NotFound(format!(
                "template {} v{}",
                task.spec.template_id, task.template_version
            ))
        })?
        .template;
    let inv = match checked {
        Some(inv) => inv,
        None => store.load_inventory()?,
    };
    let values = ArgValues::new(&task.spec, &tpl, id.to_string());
    let captures = store.captures(id)?;
    // Secret captures made before a restart stay masked.
    let masker = masker_for(&values, &tpl, &captures);
    let run = Arc::new(TaskRun {
        inner: inner.clone(),
        masker: std::sync::RwLock::new(masker),
        captures: Mutex::new(captures),
        values,
        tpl,
        inv,
        task,
        sessions: Default::default(),
        cancel: cancel.clone(),
        changed: changed.clone(),
        lost: Default::default(),
    });

    // A user's cancel arrives as a store change; turn it into the cancellation token.
    let watcher = {
        let (inner, cancel, changed) = (inner.clone(), cancel.clone(), changed.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = changed.notified() => {}
                    _ = cancel.cancelled() => return,
                }
                // Cancelled by a user, or interrupted by another node that found this node's
                // lease expired (its heartbeat could not reach the database): stop.
                if let Ok(Some(t)) = inner.store.task(id)
                    && matches!(t.state, TaskState::Cancelled | TaskState::Interrupted)
                {
                    cancel.cancel();
                    return;
                }
            }
        })
    };

    let n_groups = run.tpl.group_count();
    inner
        .hub
        .system(
            id,
            None,
            None,
            format!(
                "task {id} started: template {} `{}` v{}, {} group(s), {} host(s)",
                run.tpl.id,
                run.tpl.name,
                run.task.template_version,
                n_groups,
                run.task.spec.all_hosts().len()
            ),
        )
        .await;
    let per_task = Arc::new(Semaphore::new(inner.config.concurrency));
    let mut result = HostResult::Ok;
    for g in 1..=n_groups {
        let chains: Vec<(String, Vec<Step>)> = group_chains(&run.task.spec, &run.tpl, g)
            .into_iter()
            .map(|c| (c.host, c.steps.into_iter().cloned().collect()))
            .collect();
        let mut set = tokio::task::JoinSet::new();
        for (h, steps) in chains {
            let (run, sem) = (run.clone(), per_task.clone());
            set.spawn(async move {
                let r = host_chain(&run, g, &h, steps, sem).await;
                (h, r)
            });
        }
        let mut failed = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((_, HostResult::Ok)) => {}
                Ok((h, HostResult::Failed)) => failed.push(h),
                Ok((_, HostResult::Cancelled)) => {}
                Err(e) => failed.push(format!("(a host runner panicked: {e})")),
            }
        }
        if cancel.is_cancelled() {
            result = HostResult::Cancelled;
            break;
        }
        if !failed.is_empty() {
            failed.sort();
            let later = if g < n_groups {
                "; later groups will not start"
            } else {
                ""
            };
            inner
                .hub
                .system(
                    id,
                    None,
                    None,
                    format!("group {g} failed on {}{later}", failed.join(", ")),
                )
                .await;
            result = HostResult::Failed;
            break;
        }
    }
    watcher.abort();
    let sessions: Vec<_> = run.sessions.lock().await.drain().map(|(_, s)| s).collect();
    for s in sessions {
        if let Ok(s) = Arc::try_unwrap(s) {
            s.close().await;
        }
    }

    let elapsed = format!("{:.1}s", started.elapsed().as_secs_f64());
    let final_state = match result {
        HostResult::Ok => TaskState::Succeeded,
        HostResult::Failed => TaskState::Failed,
        HostResult::Cancelled => {
            let now = store.task(id)?.map(|t| t.state);
            if now == Some(TaskState::Cancelled) {
                TaskState::Cancelled
            } else {
                TaskState::Interrupted
            }
        }
    };
    mark_unfinished(&run, final_state).await?;
    match final_state {
        TaskState::Cancelled => {}
        TaskState::Interrupted => {
            store.transition_task(
                id,
                &[TaskState::Running],
                TaskState::Interrupted,
                Some("opsdeck was stopped while this task was running; retry it to continue"),
            )?;
        }
        s => {
            // A step state or capture the store never took: the outcome cannot be trusted as a
            // success, and the task says why.
            let lost = run.lost.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let (s, why) = match lost.as_slice() {
                [] => (s, None),
                _ => (
                    TaskState::Failed,
                    Some(format!(
                        "{} store write(s) failed after retries: {}",
                        lost.len(),
                        lost.join("; ")
                    )),
                ),
            };
            store.transition_task(id, &[TaskState::Running], s, why.as_deref())?;
        }
    }
    let state = store.task(id)?.map(|t| t.state).unwrap_or(final_state);
    inner
        .hub
        .system(
            id,
            None,
            None,
            format!("task {id} {} in {elapsed}", state.as_str()),
        )
        .await;
    inner.hub.state_changed(id, state);
    inner.hub.flush().await;
    inner.hub.forget(id);
    Ok(())
}

/// After a cancel or interruption, steps that never finished are marked so the matrix tells the truth.
async fn mark_unfinished(run: &TaskRun, final_state: TaskState) -> Result<(), EngineError> {
    if !matches!(final_state, TaskState::Cancelled | TaskState::Interrupted) {
        return Ok(());
    }
    for r in run.inner.store.step_runs(run.task.id)? {
        if matches!(
            r.state,
            StepState::Running | StepState::Waiting | StepState::Manual
        ) {
            let (state, why) = if final_state == TaskState::Cancelled {
                (StepState::Cancelled, "task cancelled")
            } else {
                (StepState::Failed, "interrupted: opsdeck stopped")
            };
            run.inner.store.set_step_state(r.id, state, None, why)?;
        }
    }
    Ok(())
}

/// Walks one host's steps of group `g` (its chain from `model::plan::group_chains`) in level order.
async fn host_chain(
    run: &Arc<TaskRun>,
    g: u32,
    host: &str,
    steps: Vec<Step>,
    sem: Arc<Semaphore>,
) -> HostResult {
    let inner = &run.inner;
    let permits = tokio::select! {
        p = async {
            let a = sem.acquire_owned().await;
            let b = inner.global.clone().acquire_owned().await;
            (a, b)
        } => p,
        _ = run.cancel.cancelled() => return HostResult::Cancelled,
    };
    let _permits = permits;
    let id = run.task.id;
    let runs = match inner.store.step_runs(id) {
        Ok(r) => r,
        Err(e) => {
            inner
                .hub
                .system(
                    id,
                    None,
                    Some(host),
                    format!("[{host}] cannot read step runs: {e}"),
                )
                .await;
            return HostResult::Failed;
        }
    };
    for step in steps {
        let Some(sr) = runs
            .iter()
            .find(|r| r.group == g && r.level == step.level && r.host == host)
        else {
            continue;
        };
        let sr_id = sr.id;
        let state = current_state(run, sr_id);
        if state.is_success() {
            continue;
        }
        if state == StepState::Cancelled || run.cancel.is_cancelled() {
            return HostResult::Cancelled;
        }
        match wait_for_trigger(run, &step, sr_id, host).await {
            Gate::Go => {}
            Gate::Skipped => continue,
            Gate::Cancelled => return HostResult::Cancelled,
        }
        let st = run_step(run, &step, sr_id, host).await;
        match st {
            StepState::Done | StepState::Skipped => {}
            StepState::Cancelled => return HostResult::Cancelled,
            _ => return HostResult::Failed,
        }
    }
    HostResult::Ok
}

fn current_state(run: &TaskRun, sr_id: i64) -> StepState {
    run.inner
        .store
        .step_run(sr_id)
        .ok()
        .flatten()
        .map(|r| r.state)
        .unwrap_or(StepState::Pending)
}

enum Gate {
    Go,
    Skipped,
    Cancelled,
}

/// Holds a timed step until the exec time and a manual step until someone releases it; a skip or a
/// cancel ends the wait.
async fn wait_for_trigger(run: &TaskRun, step: &Step, sr_id: i64, host: &str) -> Gate {
    let inner = &run.inner;
    let id = run.task.id;
    let exec_time = run.task.spec.exec_time;
    let waiting = match step.trigger {
        Trigger::Order => return Gate::Go,
        Trigger::Timed if Utc::now() >= exec_time => return Gate::Go,
        Trigger::Timed => StepState::Waiting,
        Trigger::Manual => StepState::Manual,
    };
    run.step_state(sr_id, waiting, None, "").await;
    let msg = match waiting {
        StepState::Waiting => format!(
            "[{host}] step '{}' waits for the exec time {}",
            step.name,
            crate::model::fmt_local(exec_time)
        ),
        _ => format!(
            "[{host}] step '{}' waits for release (opsdeck task release {id} --step {sr_id})",
            step.name
        ),
    };
    inner.hub.system(id, Some(sr_id), Some(host), msg).await;
    loop {
        let sleep = match waiting {
            StepState::Waiting => (exec_time - Utc::now()).to_std().unwrap_or_default(),
            _ => std::time::Duration::from_secs(3600),
        };
        let notified = run.changed.notified();
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = notified => {}
            _ = run.cancel.cancelled() => return Gate::Cancelled,
        }
        match current_state(run, sr_id) {
            StepState::Skipped => {
                inner
                    .hub
                    .system(
                        id,
                        Some(sr_id),
                        Some(host),
                        format!("[{host}] step '{}' skipped", step.name),
                    )
                    .await;
                return Gate::Skipped;
            }
            StepState::Cancelled => return Gate::Cancelled,
            StepState::Pending if waiting == StepState::Manual => {
                inner
                    .hub
                    .system(
                        id,
                        Some(sr_id),
                        Some(host),
                        format!("[{host}] step '{}' released", step.name),
                    )
                    .await;
                return Gate::Go;
            }
            _ if waiting == StepState::Waiting && Utc::now() >= exec_time => return Gate::Go,
            _ => {}
        }
    }
}

async fn session_for(run: &TaskRun, host: &str, step: &Step) -> Result<Arc<HostSession>, String> {
    let h = run
        .inv
        .host(host)
        .ok_or_else(|| format!("host `{host}` is no longer in the inventory"))?;
    let user = exec_user_for(&run.inv, &run.inner.config, h, step.exec_user.as_deref())?;
    let key = (host.to_string(), user.as_ref().map(|u| u.alias.clone()));
    let mut sessions = run.sessions.lock().await;
    if let Some(s) = sessions.get(&key) {
        return Ok(s.clone());
    }
    // Holding the lock while connecting would serialise connections across hosts; connect unlocked.
    drop(sessions);
    let s = tokio::select! {
        s = HostSession::open(h, user.as_ref(), &run.inner.config) => s.map_err(|e| {
            crate::metrics::ssh_connect_failed(e.kind());
            e.to_string()
        })?,
        _ = run.cancel.cancelled() => return Err("cancelled while connecting".into()),
    };
    let s = Arc::new(s);
    sessions = run.sessions.lock().await;
    Ok(sessions.entry(key).or_insert(s).clone())
}

async fn run_step(run: &TaskRun, step: &Step, sr_id: i64, host: &str) -> StepState {
    let inner = &run.inner;
    let id = run.task.id;
    let store = &inner.store;
    run.step_state(sr_id, StepState::Running, None, "").await;
    let args = {
        let captures = run.captures.lock().await;
        run.values.for_host(&captures, &run.inv, host)
    };
    let rendered = render_step(step, &args, &run.masker());
    let (command, stdin) = (rendered.command, rendered.stdin);
    let audit = crate::sqlaudit::run::AuditRun::from_task(&run.task).map(|mut a| {
        a.backup_max_rows = run.inner.config.sql_backup_max_rows;
        a
    });
    let shown =
        match crate::model::sql_audit::tunnel_summary(&run.task.spec).filter(|_| audit.is_some()) {
            Some(s) => s,
            None => format!("$ {}", rendered.shown),
        };
    inner
        .hub
        .system(
            id,
            Some(sr_id),
            Some(host),
            format!("[{host}] step '{}' started: {shown}", step.name),
        )
        .await;
    let started = Instant::now();
    let session = match session_for(run, host, step).await {
        Ok(s) => s,
        Err(reason) => {
            let cancelled = run.cancel.is_cancelled();
            let state = if cancelled {
                StepState::Cancelled
            } else {
                StepState::Failed
            };
            run.step_state(sr_id, state, None, &reason).await;
            inner
                .hub
                .system(
                    id,
                    Some(sr_id),
                    Some(host),
                    format!("[{host}] step '{}' failed: {reason}", step.name),
                )
                .await;
            return state;
        }
    };
    let timeout = step
        .timeout()
        .unwrap_or_else(|| inner.config.step_timeout());
    let (tx, mut rx) = mpsc::channel(1024);
    let cancel = run.cancel.child_token();
    let exec = match audit {
        // A tunnel SQL audit: opsdeck speaks MySQL itself through the proxy's connection.
        Some(audit) => {
            let (session, cancel, store) = (session.clone(), cancel.clone(), store.clone());
            tokio::spawn(async move { audit.run(session, store, tx, cancel, Some(timeout)).await })
        }
        None => {
            let (session, command, cancel) = (session.clone(), command.clone(), cancel.clone());
            tokio::spawn(async move {
                session
                    .run(&command, stdin, tx, cancel, Some(timeout))
                    .await
            })
        }
    };
    let mut captured = String::new();
    let mut capture_full = false;
    let mut hidden = 0usize;
    while let Some(chunk) = rx.recv().await {
        let stream = match chunk.stream {
            OutputStream::Stdout => Stream::Stdout,
            OutputStream::Stderr => Stream::Stderr,
            OutputStream::Group => {
                // Where another node finds the step's processes if this node is cut off
                // (PostgreSQL only: on SQLite no other node takes over).
                if store.is_postgres()
                    && let Err(e) = store.set_remote_group(sr_id, &chunk.line)
                {
                    tracing::warn!(task = id, "cannot record step {sr_id}'s process group: {e}");
                }
                continue;
            }
        };
        if step.capture.is_some() && stream == Stream::Stdout && !capture_full {
            if captured.len() + chunk.line.len() > CAPTURE_LIMIT {
                capture_full = true;
            } else {
                if !captured.is_empty() {
                    captured.push('\n');
                }
                captured.push_str(&chunk.line);
            }
        }
        if step.capture_secret && stream == Stream::Stdout {
            // A secret capture's stdout is the secret: keep it out of the log entirely.
            hidden += 1;
            continue;
        }
        let text = run.mask(&chunk.line);
        inner
            .hub
            .emit(id, Some(sr_id), Some(host), stream, text)
            .await;
    }
    let took = format!("{:.1}s", started.elapsed().as_secs_f64());
    let outcome = match exec.await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            let reason = e.to_string();
            run.step_state(sr_id, StepState::Failed, None, &reason)
                .await;
            inner
                .hub
                .system(
                    id,
                    Some(sr_id),
                    Some(host),
                    format!(
                        "[{host}] step '{}' failed after {took}: {reason}",
                        step.name
                    ),
                )
                .await;
            return StepState::Failed;
        }
        Err(e) => {
            let reason = format!("the step runner stopped unexpectedly: {e}");
            run.step_state(sr_id, StepState::Failed, None, &reason)
                .await;
            inner
                .hub
                .system(id, Some(sr_id), Some(host), format!("[{host}] {reason}"))
                .await;
            return StepState::Failed;
        }
    };
    let (state, reason, line) = if outcome.cancelled {
        (
            StepState::Cancelled,
            "cancelled".to_string(),
            format!("[{host}] step '{}' cancelled after {took}", step.name),
        )
    } else if outcome.timed_out {
        let r = format!("timed out after {}", humantime::format_duration(timeout));
        (
            StepState::TimedOut,
            r.clone(),
            format!("[{host}] step '{}' {r}", step.name),
        )
    } else if let Some(code) = outcome.exit_code {
        let st = if code == 0 {
            StepState::Done
        } else {
            StepState::Failed
        };
        let r = if code == 0 {
            String::new()
        } else {
            format!("exit code {code}")
        };
        (
            st,
            r,
            format!("[{host}] step '{}' exited {code} in {took}", step.name),
        )
    } else {
        let sig = outcome.signal.clone().unwrap_or_else(|| "unknown".into());
        let r = format!("killed by signal {sig}");
        (
            StepState::Failed,
            r.clone(),
            format!("[{host}] step '{}' {r} after {took}", step.name),
        )
    };
    run.step_state(sr_id, state, outcome.exit_code, &reason)
        .await;
    crate::metrics::step_finished(state, started.elapsed());
    if state == StepState::Done
        && let Some(name) = &step.capture
    {
        let value = captured.trim().to_string();
        run.record(&format!("capture `{name}`"), || {
            store.put_capture(id, name, &value)
        })
        .await;
        if step.capture_secret {
            if let Ok(mut m) = run.masker.write() {
                *m = m.with([value.clone()]);
            }
            inner
                .hub
                .system(
                    id,
                    Some(sr_id),
                    Some(host),
                    format!(
                        "[{host}] captured {name} (secret: {hidden} stdout line(s) not logged)"
                    ),
                )
                .await;
        }
        run.captures.lock().await.insert(name.clone(), value);
    }
    inner.hub.system(id, Some(sr_id), Some(host), line).await;
    state
}
