//! PostgreSQL: wakes this engine when another node or process changed the store (`LISTEN opsdeck`)
//! and hands committed log batches to followers (`LISTEN opsdeck_log`), on one dedicated
//! connection that is re-established when lost, with a polling fallback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Engine, Inner, notify_inner, notify_task};
use crate::store::{CHANGE_CHANNEL, LOG_CHANNEL, Notice, Store};

/// The fallback: a wake this often even when no notification came (one lost in an outage, a
/// listening connection that died silently).
pub const POLL: Duration = Duration::from_secs(3);
/// Wait between attempts to listen again while the database is away.
const RELISTEN: Duration = Duration::from_secs(1);

/// A new engine's mark on the changes announced through it, so that engine (already woken
/// directly) skips them when they come back.
pub(super) fn new_origin() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos}-{n}", std::process::id())
}

/// Tells every node that `task_id` changed (after the action committed): `NOTIFY opsdeck`, marked
/// with the origin of the engine that was woken directly, if any. Nothing on SQLite. A failure is
/// only logged: the nodes' polling fallback still finds the change.
pub fn announce_change(store: &Store, task_id: i64, woken: Option<&Engine>) {
    if !store.is_postgres() {
        return;
    }
    let origin = woken.map(|e| e.inner.origin.as_str()).unwrap_or("-");
    if let Err(e) = store.announce(CHANGE_CHANNEL, &format!("{task_id} {origin}")) {
        tracing::warn!(
            task = task_id,
            "cannot notify the other nodes of a change (they find it within {}s): {e}",
            POLL.as_secs()
        );
    }
}

/// Starts the listener on PostgreSQL; nothing on SQLite.
pub(super) fn spawn(inner: &Arc<Inner>) {
    if inner.store.is_postgres() {
        inner.tracker.spawn(run(inner.clone()));
    }
}

fn handle(inner: &Inner, n: Notice) {
    if n.channel == CHANGE_CHANNEL {
        let (task, from) = n
            .payload
            .split_once(' ')
            .unwrap_or((n.payload.as_str(), ""));
        let task = task.parse::<i64>().ok();
        if from != inner.origin {
            match task {
                Some(id) => notify_task(inner, id),
                None => notify_inner(inner),
            }
        }
        // Followers of the task re-read its state (sequence 0: no line is announced).
        if let Some(task) = task {
            let _ = inner.log_ticks.send((task, 0));
        }
    } else if n.channel == LOG_CHANNEL
        && let Some((task, seq)) = n.payload.split_once(':')
        && let (Ok(task), Ok(seq)) = (task.parse::<i64>(), seq.parse::<u64>())
    {
        // Nobody following is fine.
        let _ = inner.log_ticks.send((task, seq));
    }
}

async fn run(inner: Arc<Inner>) {
    let shutdown = inner.shutdown.clone();
    let mut lost_since: Option<Instant> = None;
    loop {
        let listener = tokio::select! {
            l = inner.store.listen() => l,
            _ = shutdown.cancelled() => return,
        };
        match listener {
            Ok(Some(mut l)) => {
                if let Some(t) = lost_since.take() {
                    tracing::info!(
                        "listening for other nodes' changes again after {:.1}s",
                        t.elapsed().as_secs_f64()
                    );
                    // Whatever was announced while nobody listened.
                    notify_inner(&inner);
                }
                let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + POLL, POLL);
                loop {
                    tokio::select! {
                        n = l.recv() => match n {
                            Some(n) => handle(&inner, n),
                            None => {
                                tracing::warn!(
                                    "the connection listening for other nodes' changes was lost; \
                                     listening again (polling every {}s meanwhile)",
                                    POLL.as_secs()
                                );
                                break;
                            }
                        },
                        _ = poll.tick() => notify_inner(&inner),
                        _ = shutdown.cancelled() => return,
                    }
                }
                lost_since = Some(Instant::now());
            }
            Ok(None) => return,
            Err(e) => {
                if lost_since.is_none() {
                    tracing::warn!("cannot listen for other nodes' changes: {e}; retrying");
                    lost_since = Some(Instant::now());
                }
                notify_inner(&inner);
                tokio::select! {
                    _ = tokio::time::sleep(RELISTEN) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }
}
