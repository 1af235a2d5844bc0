//! Scheduler lateness: many tasks whose only step is `timed`, all due within one minute.
//!
//! `cargo bench --bench scheduler` (release build). Environment:
//! - `SCHED_TASKS` (default 10000): how many tasks;
//! - `SCHED_SPREAD_S` (default 60): their exec times are spread evenly over this many seconds;
//! - `SCHED_LEAD_S` (default 45): the first exec time is this long after the start, so every task is
//!   submitted (through the engine's backend, as the CLI does) before any is due.
//!
//! Lateness of a task = its step's `started_at` (set when the step goes to `running`) minus its exec
//! time; also reported from the task's `started_at` (when the runner picked it up).
//! Prints p50/p90/p99/max and how long submission took. No timing assertion: it is a measurement.
//! Without `--bench` (i.e. under `cargo test --all-targets`) it does a 20-task smoke run.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{INVENTORY, env_num, percentile};
use opsdeck::backend::{Backend, LocalBackend};
use opsdeck::config::Config;
use opsdeck::engine::Engine;
use opsdeck::model::{Inventory, ModuleKind, TaskSpec, TaskState, Template};
use opsdeck::store::Store;

const TEMPLATE: &str = r#"
id = 1
name = "timed true"
[[steps]]
group = 1
level = 1
name = "tick"
trigger = "timed"
command = "true"
"#;

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<28} n={:<6} min={:>8.1} p50={:>8.1} p90={:>8.1} p99={:>8.1} max={:>8.1} (ms)",
        ms.len(),
        ms.first().copied().unwrap_or(f64::NAN),
        percentile(&ms, 50.0),
        percentile(&ms, 90.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN),
    );
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(u.ru_utime) + t(u.ru_stime)
    }
}

fn lateness_ms(actual: Option<DateTime<Utc>>, due: DateTime<Utc>) -> Option<f64> {
    actual.map(|a| (a - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and
    // then only a small smoke run (20 tasks over 2 s) is done so the test suite stays quick.
    let full = std::env::args().any(|a| a == "--bench");
    let (n_default, spread_default, lead_default) =
        if full { (10_000, 60, 45) } else { (20, 2, 3) };
    let n = env_num("SCHED_TASKS", n_default) as usize;
    let spread = Duration::from_secs(env_num("SCHED_SPREAD_S", spread_default));
    let lead = Duration::from_secs(env_num("SCHED_LEAD_S", lead_default));

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("opsdeck.db")).expect("open store");
    let inv: Inventory = toml::from_str(INVENTORY).expect("inventory");
    store
        .import_inventory(inv, false)
        .expect("import")
        .expect("valid inventory");
    let tpl: Template = toml::from_str(TEMPLATE).expect("template");
    tpl.validate().expect("valid template");
    store
        .put_template(&tpl, TEMPLATE, "bench")
        .expect("put template");
    let config = Config {
        global_concurrency: 1000,
        ..Config::default()
    };
    let engine = Engine::start(store.clone(), config.clone(), dir.path())
        .await
        .expect("engine");
    let backend = LocalBackend::new(
        store.clone(),
        config,
        "bench".into(),
        dir.path().to_path_buf(),
        Some(engine.clone()),
    );

    let t0 = Utc::now() + chrono::Duration::from_std(lead).unwrap();
    let step = chrono::Duration::from_std(spread).unwrap() / n.max(1) as i32;
    let submit_start = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let spec = TaskSpec {
            name: format!("tick {i}"),
            module: ModuleKind::Custom,
            submitter: "bench".into(),
            template_id: 1,
            args: Default::default(),
            hosts: [(1u32, vec!["local1".to_string()])].into_iter().collect(),
            exec_time: t0 + step * i as i32,
            approvers: vec![],
            needs_approval: false,
            details: String::new(),
            extra: serde_json::Value::Null,
        };
        let t = backend.submit(spec).await.expect("submit");
        assert_eq!(t.state, TaskState::Scheduled);
        ids.push((t.id, t.spec.exec_time));
    }
    let submit_took = submit_start.elapsed();
    let first_due_in = (t0 - Utc::now()).num_milliseconds();
    println!(
        "submitted {n} tasks in {:.1}s ({:.0}/s); first exec time {:.1}s later, last {:.1}s after the first",
        submit_took.as_secs_f64(),
        n as f64 / submit_took.as_secs_f64(),
        first_due_in as f64 / 1000.0,
        spread.as_secs_f64()
    );
    if first_due_in < 0 {
        println!("WARNING: submission overran the first exec time; raise SCHED_LEAD_S");
    }

    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    // Wait for the last one (plus slack) and until every task is final.
    let last_due = ids.last().map(|&(_, d)| d).unwrap_or(t0);
    let until_last = (last_due - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_last).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open = store
            .tasks(&opsdeck::store::TaskFilter {
                states: vec![TaskState::Scheduled, TaskState::Running],
                ..Default::default()
            })
            .expect("tasks")
            .len();
        if open == 0 || Instant::now() > deadline {
            if open > 0 {
                println!("WARNING: {open} task(s) still not final after 120 s");
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = wall0.elapsed();

    let mut step_late = Vec::with_capacity(n);
    let mut task_late = Vec::with_capacity(n);
    let mut not_ok = 0;
    for &(id, due) in &ids {
        let t = store.task(id).expect("task").expect("exists");
        if t.state != TaskState::Succeeded {
            not_ok += 1;
        }
        if let Some(ms) = lateness_ms(t.started_at, due) {
            task_late.push(ms);
        }
        for r in store.step_runs(id).expect("step runs") {
            if let Some(ms) = lateness_ms(r.started_at, due) {
                step_late.push(ms);
            }
        }
    }
    println!("tasks not succeeded: {not_ok}");
    summary("step started_at - exec_time", step_late.clone());
    summary("task started_at - exec_time", task_late);
    let early = step_late.iter().filter(|&&ms| ms < 0.0).count();
    println!("steps started before their exec time: {early}");
    println!(
        "engine process CPU during the run: {cpu:.1}s over {:.1}s wall ({:.0}% of one core)",
        wall.as_secs_f64(),
        100.0 * cpu / wall.as_secs_f64()
    );
    engine.shutdown().await;
}
