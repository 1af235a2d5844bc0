//! The PostgreSQL store's connection pool on a real server: a store call waiting on a lock does
//! not hold up the others, concurrent callers never open more than the pool's connections, and
//! connections the server ends are replaced (each costs at most one failed call).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use opsdeck::model::TaskState;
use opsdeck::store::{PG_POOL_CONNECTIONS, Store, TaskFilter};
use support::postgres::{self, Postgres};
use support::store_tasks::scheduled_task;

fn scheduled(store: &Store, name: &str) -> i64 {
    scheduled_task(store, name, Utc::now() + chrono::Duration::hours(1))
}

/// The store's own sessions on `db` (the pool names them `opsdeck`).
fn sessions(pg: &Postgres, db: &str) -> usize {
    pg.sql(
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND application_name = 'opsdeck'"
        ),
    )
    .unwrap()
    .parse()
    .unwrap()
}

#[test]
fn a_call_waiting_on_a_lock_does_not_hold_up_the_others() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("pool_lock");
    let store = Store::connect(&url).unwrap();
    let id = scheduled(&store, "locked");
    let other = scheduled(&store, "free");

    // Another session holds task `id`'s row for a while.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (locker, conn) = rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .unwrap();
    rt.spawn(conn);
    rt.block_on(locker.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM tasks WHERE id = {id} FOR UPDATE"
    )))
    .unwrap();

    // It gives the row back after 3 s, whatever happens here (a store with one connection would
    // keep every call below waiting until then).
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        rt.block_on(locker.batch_execute("COMMIT")).unwrap();
    });

    // A store call that must wait for that row…
    let waiting = {
        let store = store.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let changed = store
                .transition_task(id, &[TaskState::Scheduled], TaskState::Cancelled, None)
                .unwrap();
            (changed, t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiting.is_finished(),
        "the update did not wait for the row lock"
    );

    // …while the others go on, reads and writes alike.
    let t = Instant::now();
    assert_eq!(
        store.task(other).unwrap().unwrap().state,
        TaskState::Scheduled
    );
    assert!(
        store
            .transition_task(other, &[TaskState::Scheduled], TaskState::Cancelled, None)
            .unwrap()
    );
    assert_eq!(store.tasks(&TaskFilter::default()).unwrap().len(), 2);
    let others = t.elapsed();
    assert!(
        others < Duration::from_secs(2),
        "other calls took {others:?} behind a call waiting on a lock"
    );

    release.join().unwrap();
    let (changed, waited) = waiting.join().unwrap();
    assert!(changed);
    assert!(
        waited >= Duration::from_millis(2500),
        "waited only {waited:?}"
    );
    assert_eq!(store.task(id).unwrap().unwrap().state, TaskState::Cancelled);
}

#[test]
fn concurrent_callers_share_a_bounded_pool_that_outlives_killed_connections() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("pool_bound");
    let store = Store::connect(&url).unwrap();
    let id = scheduled(&store, "read");

    let run_readers = |store: &Store| {
        let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..24)
            .map(|_| {
                let (store, errors) = (store.clone(), errors.clone());
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        match store.task(id) {
                            Ok(Some(t)) => assert_eq!(t.id, id),
                            Ok(None) => panic!("task {id} vanished"),
                            Err(_) => {
                                errors.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        errors.load(std::sync::atomic::Ordering::SeqCst)
    };

    assert_eq!(run_readers(&store), 0);
    let open = sessions(&pg, "pool_bound");
    assert!(
        (2..=PG_POOL_CONNECTIONS).contains(&open),
        "24 concurrent readers left {open} sessions (pool of {PG_POOL_CONNECTIONS})"
    );

    // The server ends every session of the store (an administrator, a failover)…
    pg.sql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = 'pool_bound' AND application_name = 'opsdeck'",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // …and the pool opens new ones: a call on an ended session fails (nothing retries a
    // statement that may have run) and the session is dropped, so at most one call per pooled
    // session fails, the rest succeed, and the bound still holds.
    let failed = run_readers(&store);
    assert!(
        failed <= PG_POOL_CONNECTIONS,
        "{failed} calls failed after the sessions ended"
    );
    assert_eq!(run_readers(&store), 0);
    let open = sessions(&pg, "pool_bound");
    assert!(
        (1..=PG_POOL_CONNECTIONS).contains(&open),
        "{open} sessions after the reconnect"
    );
}
