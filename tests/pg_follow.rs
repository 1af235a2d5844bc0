//! Live logs across nodes on PostgreSQL: two engines share one database (as two machines); a
//! follower on one node receives the lines of a task the other node runs while it runs, each
//! within a fraction of a second of being printed (woken by `NOTIFY opsdeck_log`, not by polling),
//! every line once and in order.

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use opsdeck::backend::Backend;
use opsdeck::model::Stream;
use support::pg_engine::{self, until};
use support::postgres::{self, Postgres};

const TICKER: &str = r#"
id = 70
name = "ticker"
[[steps]]
group = 1
level = 1
name = "tick"
command = "for i in $(seq 1 40); do echo tick $i; sleep 0.1; done"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_on_one_node_sees_another_nodes_task_live() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("follow");
    let store = pg_engine::seed(&url, 1, &[TICKER]);
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store_b = opsdeck::store::Store::connect(&url).unwrap();
    let a = pg_engine::engine(&store, d1.path()).await;
    let b = pg_engine::engine(&store_b, d2.path()).await;
    let on_b = pg_engine::backend(&store_b, d2.path(), Some(b.clone()), "alice");
    let id = on_b
        .submit(pg_engine::spec(70, Utc::now(), false))
        .await
        .unwrap()
        .id;
    until(Duration::from_secs(10), "a node runs the task", || {
        a.running_tasks().contains(&id) || b.running_tasks().contains(&id)
    })
    .await;
    // Follow from the node that does not run it.
    let (runner, follower, follower_dir) = if b.running_tasks().contains(&id) {
        (b.clone(), a.clone(), d1.path())
    } else {
        (a.clone(), b.clone(), d2.path())
    };
    let far = pg_engine::backend(
        follower.store(),
        follower_dir,
        Some(follower.clone()),
        "alice",
    );
    let mut stream = far.follow(id, 1).await.unwrap();
    let mut lags = Vec::new();
    let mut seqs = Vec::new();
    let mut ticks = 0;
    let mut while_running = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(l) = tokio::time::timeout_at(deadline.into(), stream.next())
        .await
        .expect("the follow ends when the task does")
    {
        seqs.push(l.seq);
        if l.stream == Stream::Stdout {
            ticks += 1;
            lags.push((Utc::now() - l.ts).to_std().unwrap_or_default());
            if runner.running_tasks().contains(&id) {
                while_running += 1;
            }
        }
    }
    assert!(!follower.running_tasks().contains(&id));
    assert_eq!(ticks, 40, "every line once");
    let want: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, want, "in order, no gap");
    assert!(
        while_running >= 30,
        "only {while_running} lines arrived while it ran"
    );
    // Skip the first lines (the follower subscribed while they were already stored).
    let mut steady: Vec<Duration> = lags[5..].to_vec();
    steady.sort();
    let p90 = steady[steady.len() * 9 / 10];
    println!(
        "lag from print to follower on the other node: median {:?}, p90 {p90:?}, max {:?}",
        steady[steady.len() / 2],
        steady.last().unwrap()
    );
    // Polling every 0.5 s alone would put the p90 near 0.45 s.
    assert!(p90 < Duration::from_millis(300), "p90 lag {p90:?}");
    a.shutdown().await;
    b.shutdown().await;
}
