//! The scheduler: sleeps until the next task is due or something changes, then starts runners; crash recovery.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use super::{EngineError, Inner, notify_inner, runner};
use crate::model::{StepState, TaskState, Trigger};
use crate::store::Claim;

/// Due tasks looked at in one store call at most.
const CLAIM_BATCH: usize = 256;
/// Due tasks claimed in one round at most: nodes woken by the same due time each take a share
/// (the rest go round again at once), so a burst spreads over the nodes.
const CLAIM_ROUND: usize = 16;
/// How soon a due task that was free but not claimed in a round is looked at again.
const CLAIM_AGAIN: std::time::Duration = std::time::Duration::from_millis(5);

/// When a scheduled task should start: at its exec time when its first step is timed,
/// otherwise as soon as it is scheduled (order and manual steps start when reached).
fn due_time(
    first: Trigger,
    exec_time: DateTime<Utc>,
    scheduled_at: DateTime<Utc>,
) -> DateTime<Utc> {
    match first {
        Trigger::Timed => exec_time,
        _ => scheduled_at.min(exec_time).min(Utc::now()),
    }
}

/// Trigger of the first step a task runs (group 1, lowest level), cached per template version.
#[derive(Default)]
struct FirstTriggers(HashMap<(u32, u32), Trigger>);

impl FirstTriggers {
    fn get(&mut self, inner: &Inner, id: u32, version: u32) -> Trigger {
        *self.0.entry((id, version)).or_insert_with(|| {
            inner
                .store
                .template(id, Some(version))
                .ok()
                .flatten()
                .and_then(|t| t.template.group_steps(1).first().map(|s| s.trigger))
                .unwrap_or(Trigger::Order)
        })
    }
}

/// After a restart: running tasks become interrupted (never silently re-run); scheduled tasks whose
/// due time passed longer ago than the grace period become missed. On PostgreSQL only the running
/// tasks no node owns (from before leases) are touched here: other nodes' tasks are theirs, and a
/// dead node's (this machine's previous process included) are interrupted by the heartbeat once
/// its lease expires; a scheduled task another node holds a live lease on is not marked missed.
pub(super) async fn recover(inner: &Arc<Inner>) -> Result<(), EngineError> {
    let store = &inner.store;
    for id in store.unowned_running()? {
        let reason = "opsdeck stopped while this task was running; its log up to then is kept. Retry it to continue from the failed steps";
        if store.transition_task(
            id,
            &[TaskState::Running],
            TaskState::Interrupted,
            Some(reason),
        )? {
            for r in store.step_runs(id)? {
                if matches!(
                    r.state,
                    StepState::Running | StepState::Waiting | StepState::Manual
                ) {
                    store.set_step_state(
                        r.id,
                        StepState::Failed,
                        None,
                        "interrupted: opsdeck stopped",
                    )?;
                }
            }
            inner
                .hub
                .system(id, None, None, format!("task interrupted: {reason}"))
                .await;
            store.audit(
                "opsdeck",
                "interrupted",
                Some(id),
                "found running at start-up",
            )?;
        }
    }
    let grace = chrono::Duration::from_std(inner.config.missed_grace())
        .unwrap_or(chrono::Duration::minutes(10));
    let mut triggers = FirstTriggers::default();
    let now = Utc::now();
    for t in store.scheduled_tasks()? {
        let first = triggers.get(inner, t.spec.template_id, t.template_version);
        let due = due_time(first, t.spec.exec_time, t.updated_at);
        if due < now - grace && store.lease_holder(t.id)?.is_none() {
            let reason = format!(
                "its start time {} passed while opsdeck was not running (more than {} ago); retry it to run it now",
                crate::model::fmt_local(due),
                inner.config.missed_grace
            );
            if store.transition_task(
                t.id,
                &[TaskState::Scheduled],
                TaskState::Missed,
                Some(&reason),
            )? {
                inner
                    .hub
                    .system(t.id, None, None, format!("task missed: {reason}"))
                    .await;
                store.audit("opsdeck", "missed", Some(t.id), "")?;
            }
        }
    }
    inner.hub.flush().await;
    Ok(())
}

/// The scheduler's queue: tasks by due time, with each task's entry found by id in O(log n), so
/// re-reading one task among thousands costs no scan.
#[derive(Default)]
struct Queue {
    by_due: BTreeSet<(DateTime<Utc>, i64)>,
    due_of: HashMap<i64, DateTime<Utc>>,
}

impl Queue {
    /// Adds `id` due at `due`, replacing its earlier entry.
    fn put(&mut self, id: i64, due: DateTime<Utc>) {
        if let Some(old) = self.due_of.insert(id, due) {
            self.by_due.remove(&(old, id));
        }
        self.by_due.insert((due, id));
    }

    fn remove(&mut self, id: i64) {
        if let Some(old) = self.due_of.remove(&id) {
            self.by_due.remove(&(old, id));
        }
    }

    fn first(&self) -> Option<(DateTime<Utc>, i64)> {
        self.by_due.first().copied()
    }

    fn clear(&mut self) {
        self.by_due.clear();
        self.due_of.clear();
    }
}

/// The main loop: a queue of (due time, task id). It is rebuilt from the store (a light query, no
/// spec parsing) on a full wake (a poke, the polling fallback); when a task finishes or is named by a
/// change (a submit, an action, another node's notification) only that task is looked at again, so
/// thousands of short tasks or submits do not cost a full re-read each.
pub(super) async fn run(inner: Arc<Inner>) {
    let mut queue = Queue::default();
    let mut triggers = FirstTriggers::default();
    loop {
        if inner.rescan.swap(false, Ordering::SeqCst) {
            // Anything finished before this read is covered by it.
            inner
                .finished
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            match inner.store.scheduled_refs() {
                Ok(tasks) => {
                    queue.clear();
                    let running = running_ids(&inner);
                    for t in tasks {
                        if running.contains(&t.id) {
                            continue;
                        }
                        let first = triggers.get(&inner, t.template_id, t.template_version);
                        queue.put(t.id, due_time(first, t.exec_time, t.updated_at));
                    }
                }
                Err(e) => {
                    tracing::error!("scheduler cannot read tasks: {e}");
                    inner.rescan.store(true, Ordering::SeqCst);
                }
            }
        }
        let finished: Vec<i64> =
            std::mem::take(&mut *inner.finished.lock().unwrap_or_else(|p| p.into_inner()));
        for id in finished {
            match inner.store.scheduled_ref(id) {
                Ok(Some(t)) => {
                    let first = triggers.get(&inner, t.template_id, t.template_version);
                    queue.put(t.id, due_time(first, t.exec_time, t.updated_at));
                }
                // No longer scheduled (cancelled, started elsewhere): nothing to wait for.
                Ok(None) => queue.remove(id),
                Err(e) => {
                    tracing::error!("scheduler cannot read task {id}: {e}");
                    inner.rescan.store(true, Ordering::SeqCst);
                }
            }
        }
        let now = Utc::now();
        let mut due_now = Vec::new();
        while let Some((due, id)) = queue.first() {
            if due > now || due_now.len() >= CLAIM_BATCH {
                break;
            }
            queue.remove(id);
            due_now.push((id, due));
        }
        let dues: HashMap<i64, DateTime<Utc>> = due_now.iter().copied().collect();
        let mut later = false;
        for (id, c) in claim(&inner, &due_now) {
            match c {
                Claim::Claimed => {
                    if let Some(due) = dues.get(&id) {
                        crate::metrics::scheduler_lateness(now - *due);
                    }
                    start(&inner, id);
                }
                // Another node runs it (or is about to): look again when its lease could expire.
                Claim::Taken => queue.put(id, now + lease_span(&inner)),
                Claim::Gone => {}
                // Still due: back in the queue, looked at again in a moment (the others' share
                // of this round is claimed meanwhile).
                Claim::Later => {
                    queue.put(id, dues.get(&id).copied().unwrap_or(now));
                    later = true;
                }
            }
        }
        if later || due_now.len() == CLAIM_BATCH {
            tokio::select! {
                _ = tokio::time::sleep(CLAIM_AGAIN) => {}
                _ = inner.shutdown.cancelled() => break,
            }
            continue;
        }
        let sleep = queue
            .first()
            .map(|(due, _)| (due - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            _ = async {
                match sleep {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => {}
            _ = inner.wake.notified() => {}
            _ = inner.shutdown.cancelled() => break,
        }
    }
}

/// The lease time as a chrono span (for re-looking at tasks other nodes hold).
fn lease_span(inner: &Inner) -> chrono::Duration {
    chrono::Duration::from_std(inner.config.lease()).unwrap_or(chrono::Duration::seconds(30))
}

/// Claims up to [`CLAIM_ROUND`] of the due tasks for this node before running them, in one store
/// call (PostgreSQL; on SQLite the first [`CLAIM_ROUND`] are granted, the rest come next round). A task this node already runs is `Gone` here; on a store error none is
/// claimed and the scheduler re-reads the store (the tasks are still scheduled, so they come back).
fn claim(inner: &Inner, due: &[(i64, DateTime<Utc>)]) -> Vec<(i64, Claim)> {
    let Some(node) = &inner.node else {
        return due.iter().map(|&(id, _)| (id, Claim::Claimed)).collect();
    };
    let running = running_ids(inner);
    let (mine, wanted): (Vec<i64>, Vec<i64>) = due
        .iter()
        .map(|&(id, _)| id)
        .partition(|id| running.contains(id));
    let mut out: Vec<(i64, Claim)> = mine.into_iter().map(|id| (id, Claim::Gone)).collect();
    match inner
        .store
        .claim_tasks(&wanted, node, inner.config.lease(), CLAIM_ROUND)
    {
        Ok(c) => out.extend(c),
        Err(e) => {
            tracing::error!("scheduler cannot claim {} due task(s): {e}", wanted.len());
            inner.rescan.store(true, Ordering::SeqCst);
        }
    }
    out
}

fn running_ids(inner: &Inner) -> BTreeSet<i64> {
    let map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
    map.keys().copied().collect()
}

fn start(inner: &Arc<Inner>, id: i64) {
    let cancel = inner.shutdown.child_token();
    let changed = Arc::new(tokio::sync::Notify::new());
    {
        let mut map = inner.running.lock().unwrap_or_else(|p| p.into_inner());
        if map.contains_key(&id) {
            return;
        }
        map.insert(
            id,
            super::RunningTask {
                changed: changed.clone(),
            },
        );
    }
    let i2 = inner.clone();
    inner.tracker.spawn(async move {
        if let Err(e) = runner::run_task(&i2, id, cancel, changed).await {
            tracing::error!("task {id}: {e}");
        }
        i2.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        // A retry may have re-scheduled it meanwhile: have the scheduler look at this task again.
        i2.finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id);
        i2.wake.notify_one();
    });
}

/// Listens on the engine socket; any datagram means "the store changed, look again".
pub(super) fn listen_for_pokes(
    inner: Arc<Inner>,
    path: std::path::PathBuf,
) -> Result<(), EngineError> {
    let _ = std::fs::remove_file(&path);
    let sock = tokio::net::UnixDatagram::bind(&path)
        .map_err(|e| EngineError::Other(format!("cannot listen on {}: {e}", path.display())))?;
    let shutdown = inner.shutdown.clone();
    let tracker = inner.tracker.clone();
    tracker.spawn(async move {
        let mut buf = [0u8; 64];
        loop {
            tokio::select! {
                r = sock.recv(&mut buf) => {
                    if r.is_err() { break; }
                    notify_inner(&inner);
                }
                _ = shutdown.cancelled() => break,
            }
        }
        let _ = std::fs::remove_file(&path);
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_replaces_and_removes_a_task_by_id() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        let mut q = Queue::default();
        q.put(1, t(30));
        q.put(2, t(20));
        q.put(3, t(10));
        assert_eq!(q.first(), Some((t(10), 3)));
        // Re-reading task 3 (an approval moved its time) leaves one entry for it.
        q.put(3, t(40));
        assert_eq!(q.first(), Some((t(20), 2)));
        assert_eq!(q.by_due.len(), 3);
        q.remove(2);
        q.remove(2);
        q.remove(99);
        assert_eq!(q.first(), Some((t(30), 1)));
        assert_eq!((q.by_due.len(), q.due_of.len()), (2, 2));
        q.clear();
        assert_eq!(q.first(), None);
    }
}
