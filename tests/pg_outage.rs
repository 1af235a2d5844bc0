//! A PostgreSQL outage under a running engine: buffered log lines are kept and written once the
//! server is back (in sequence order, none lost), a long outage drops the oldest lines with a line
//! saying so, and the engine carries on — the running task finishes, a scheduled one fires.

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use opsdeck::backend::Backend;
use opsdeck::model::{LogLine, Stream, TaskState};
use opsdeck::store::{LogWriter, Store};
use support::pg_engine;
use support::postgres::{self, Postgres};

fn line(task_id: i64, seq: u64) -> LogLine {
    LogLine {
        task_id,
        seq,
        step_run_id: None,
        host: Some("h1".into()),
        ts: Utc::now(),
        stream: Stream::Stdout,
        text: format!("line {seq}"),
    }
}

/// Lines sent while the server is down are written when it is back, every one, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_sent_during_an_outage_are_written_when_the_server_is_back() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.create_db("w");
    let store = Store::connect(&url).unwrap();
    let writer = LogWriter::spawn(&store).unwrap();
    let tx = writer.sender();
    for seq in 1..=100 {
        tx.send(line(1, seq)).await.unwrap();
    }
    tx.flush().await.unwrap();
    tokio::task::block_in_place(|| pg.stop());
    for seq in 101..=3_000 {
        tx.send(line(1, seq)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    tokio::task::block_in_place(|| pg.start_again());
    tokio::time::timeout(Duration::from_secs(20), tx.flush())
        .await
        .expect("flushed within 20 s of the restart")
        .unwrap();
    let store = tokio::task::block_in_place(|| Store::connect(&url).unwrap());
    let all = tokio::task::block_in_place(|| store.logs(1, 1, 10_000).unwrap());
    assert_eq!(all.len(), 3_000);
    for (i, l) in all.iter().enumerate() {
        assert_eq!(l.seq, i as u64 + 1);
        assert_eq!(l.text, format!("line {}", i + 1));
    }
    drop(tx);
    tokio::task::spawn_blocking(move || writer.shutdown())
        .await
        .unwrap();
}

/// An outage longer than the buffer holds: the oldest lines go, each task keeps a line at the
/// first lost sequence number saying how many were lost, the newest lines are all stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_drops_the_oldest_lines_and_says_so_on_the_task() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.create_db("w");
    let store = Store::connect(&url).unwrap();
    // About 200 bytes a line: room for a few hundred.
    let writer = LogWriter::spawn_with_limit(&store, 64 * 1024).unwrap();
    let tx = writer.sender();
    tokio::task::block_in_place(|| pg.stop());
    for seq in 1..=2_000 {
        tx.send(line(7, seq)).await.unwrap();
        tx.send(line(8, seq)).await.unwrap();
    }
    // The writer must have taken every line in while the server is down (a loaded machine may
    // lag): only then did the buffer overflow.
    let taken_in = Instant::now();
    while tx.queued() > 0 {
        assert!(
            taken_in.elapsed() < Duration::from_secs(30),
            "the writer did not take the lines in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::task::block_in_place(|| pg.start_again());
    tokio::time::timeout(Duration::from_secs(20), tx.flush())
        .await
        .expect("flushed")
        .unwrap();
    let store = tokio::task::block_in_place(|| Store::connect(&url).unwrap());
    for task in [7, 8] {
        let all = tokio::task::block_in_place(|| store.logs(task, 1, 10_000).unwrap());
        let first = &all[0];
        assert_eq!(first.seq, 1, "the marker stands at the first lost line");
        assert_eq!(first.stream, Stream::System);
        assert!(first.text.starts_with("opsdeck lost "), "{}", first.text);
        assert!(first.text.contains("buffer was full"), "{}", first.text);
        // The newest lines are all there, in order, and the last one is the last sent.
        let rest = &all[1..];
        assert!(
            !rest.is_empty() && rest.len() < 1_000,
            "{} kept",
            rest.len()
        );
        for w in rest.windows(2) {
            assert_eq!(w[1].seq, w[0].seq + 1);
        }
        assert_eq!(rest.last().unwrap().seq, 2_000);
        // What the marker counts is exactly what is missing.
        let n: u64 = first
            .text
            .trim_start_matches("opsdeck lost ")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let markers = all.iter().filter(|l| l.stream == Stream::System).count() as u64;
        let lost_total: u64 = all
            .iter()
            .filter(|l| l.stream == Stream::System)
            .map(|l| {
                l.text
                    .trim_start_matches("opsdeck lost ")
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        assert!(n >= 1);
        assert_eq!(
            all.len() as u64 - markers + lost_total,
            2_000,
            "kept + lost = sent"
        );
    }
    drop(tx);
    tokio::task::spawn_blocking(move || writer.shutdown())
        .await
        .unwrap();
}

const CHATTY: &str = r#"
id = 50
name = "chatty"
[[steps]]
group = 1
level = 1
name = "talk"
command = "for i in $(seq 1 300); do echo out $i; sleep 0.02; done"
[[steps]]
group = 1
level = 2
name = "after"
command = "echo after"
"#;

const QUICK: &str = r#"
id = 51
name = "quick"
[[steps]]
group = 1
level = 1
name = "timed"
trigger = "timed"
command = "echo fired"
"#;

/// An engine on PostgreSQL while the server restarts: it reconnects by itself, the running task
/// finishes with every line stored (no gap in the sequence), a task scheduled for during the
/// outage fires when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_rides_out_a_postgres_restart() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.create_db("e");
    let dir = tempfile::tempdir().unwrap();
    let store = pg_engine::seed(&url, 1, &[CHATTY, QUICK]);
    let engine = pg_engine::engine(&store, dir.path()).await;
    let b = pg_engine::backend(&store, dir.path(), Some(engine.clone()), "alice");
    let running = b
        .submit(pg_engine::spec(50, Utc::now(), false))
        .await
        .unwrap()
        .id;
    let scheduled = b
        .submit(pg_engine::spec(
            51,
            Utc::now() + chrono::Duration::seconds(4),
            false,
        ))
        .await
        .unwrap()
        .id;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Down for 2 s while the step prints and the scheduled task comes due.
    tokio::task::block_in_place(|| pg.stop());
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| pg.start_again());

    let probe = tokio::task::block_in_place(|| Store::connect(&url).unwrap());
    let wait_final = |id: i64| {
        let probe = probe.clone();
        async move {
            for _ in 0..600 {
                let t = tokio::task::block_in_place(|| probe.task(id).unwrap().unwrap());
                if t.state.is_final() {
                    return t;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("task {id} did not finish");
        }
    };
    let t = wait_final(running).await;
    assert_eq!(t.state, TaskState::Succeeded, "{}", t.reason);
    let s = wait_final(scheduled).await;
    assert_eq!(s.state, TaskState::Succeeded, "{}", s.reason);
    engine.hub().flush().await;
    let logs = tokio::task::block_in_place(|| probe.logs(running, 1, 100_000).unwrap());
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(l.seq, i as u64 + 1, "no gap in the sequence");
    }
    let outs: Vec<&str> = logs
        .iter()
        .filter(|l| l.stream == Stream::Stdout)
        .map(|l| l.text.as_str())
        .collect();
    let want: Vec<String> = (1..=300)
        .map(|i| format!("out {i}"))
        .chain(["after".to_string()])
        .collect();
    assert_eq!(outs, want);
    let fired = tokio::task::block_in_place(|| probe.logs(scheduled, 1, 1_000).unwrap());
    assert!(fired.iter().any(|l| l.text == "fired"), "{fired:?}");
    engine.shutdown().await;
}
