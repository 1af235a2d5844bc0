//! LISTEN/NOTIFY on PostgreSQL: actions taken from another machine (a data dir without an engine,
//! so no socket poke reaches the engine) wake the engine at once — a submit starts, an approval
//! starts, a cancel stops a running step — also after the listening connection was lost to a
//! PostgreSQL restart. Each reaction is timed against a bound the 2–3 s polling fallbacks miss.

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use opsdeck::backend::{Backend, LocalBackend};
use opsdeck::engine::Engine;
use opsdeck::model::TaskState;
use opsdeck::store::Store;
use support::pg_engine::{self, until};
use support::postgres::{self, Postgres};

const LONG: &str = r#"
id = 60
name = "long"
[[steps]]
group = 1
level = 1
name = "sleep"
command = "sleep 60"
"#;

const SHORT: &str = r#"
id = 61
name = "short"
[[steps]]
group = 1
level = 1
name = "hi"
command = "echo hi"
"#;

/// The reaction bound: far below the engine's polling fallback (3 s) and the node heartbeat's
/// re-read of the queue (2 s), so a missed notification shows.
const PROMPT: Duration = Duration::from_millis(600);

fn listening(pg: &Postgres) -> bool {
    pg.sql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opsdeck listen'",
    )
    .map(|n| n == "1")
    .unwrap_or(false)
}

/// Submits a long task, a pending one that `approver` approves, and cancels the long one, all from
/// the other machine;
/// returns the engine's reaction times.
async fn round(
    far: &LocalBackend,
    approver: &LocalBackend,
    probe: &Store,
    engine: &Engine,
) -> (Duration, Duration, Duration) {
    let t = Instant::now();
    let long = far
        .submit(pg_engine::spec(60, Utc::now(), false))
        .await
        .unwrap()
        .id;
    until(Duration::from_secs(10), "the long task starts", || {
        engine.running_tasks().contains(&long)
    })
    .await;
    let started = t.elapsed();

    let pending = far
        .submit(pg_engine::spec(61, Utc::now(), true))
        .await
        .unwrap()
        .id;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    approver.approve(pending, None).await.unwrap();
    until(Duration::from_secs(10), "the approved task runs", || {
        probe
            .task(pending)
            .unwrap()
            .is_some_and(|t| matches!(t.state, TaskState::Running | TaskState::Succeeded))
    })
    .await;
    let approved = t.elapsed();

    // Let the step's process start, then cancel.
    until(Duration::from_secs(10), "the long step runs", || {
        probe
            .step_runs(long)
            .unwrap()
            .iter()
            .any(|r| r.state == opsdeck::model::StepState::Running)
    })
    .await;
    let t = Instant::now();
    far.cancel(long).await.unwrap();
    until(
        Duration::from_secs(10),
        "the cancel stops the runner",
        || !engine.running_tasks().contains(&long),
    )
    .await;
    let cancelled = t.elapsed();
    (started, approved, cancelled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_from_another_machine_wake_the_engine_at_once() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.create_db("wake");
    let store = pg_engine::seed(&url, 1, &[LONG, SHORT]);
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = pg_engine::engine(&store, d1.path()).await;
    // The other machine: its own connection and data dir, no engine.
    let far_store = Store::connect(&url).unwrap();
    let far = pg_engine::backend(&far_store, d2.path(), None, "alice");
    let approver = pg_engine::backend(&far_store, d2.path(), None, "bob");
    let probe = Store::connect(&url).unwrap();
    until(Duration::from_secs(10), "the engine listens", || {
        listening(&pg)
    })
    .await;

    for attempt in 0..2 {
        let (started, approved, cancelled) = round(&far, &approver, &probe, &engine).await;
        println!(
            "round {attempt}: submit→start {started:?}, approve→start {approved:?}, cancel→stopped {cancelled:?}"
        );
        assert!(started < PROMPT, "submit→start took {started:?}");
        assert!(approved < PROMPT, "approve→start took {approved:?}");
        assert!(cancelled < PROMPT, "cancel→stopped took {cancelled:?}");
    }

    // The listening connection dies with a restart; the engine listens again by itself.
    tokio::task::block_in_place(|| pg.restart());
    until(Duration::from_secs(15), "the engine listens again", || {
        listening(&pg)
    })
    .await;
    let (started, approved, cancelled) = round(&far, &approver, &probe, &engine).await;
    println!(
        "after the restart: submit→start {started:?}, approve→start {approved:?}, cancel→stopped {cancelled:?}"
    );
    assert!(started < PROMPT, "submit→start took {started:?}");
    assert!(approved < PROMPT, "approve→start took {approved:?}");
    assert!(cancelled < PROMPT, "cancel→stopped took {cancelled:?}");
    engine.shutdown().await;
}
