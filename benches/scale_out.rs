//! Scale-out: the same scheduler script on one SQLite node, one PostgreSQL node and three
//! PostgreSQL nodes — submits per second through the API, lateness of timed tasks, exactly-once.
//!
//! `cargo bench --bench scale_out` (release build). Each run starts real `opsdeck serve`
//! processes (a fresh data dir each; on PostgreSQL all share one new database of a PostgreSQL
//! server started on loopback), posts every task through their HTTP APIs round-robin, waits until
//! all are final and reads the result back from the store. Every task's only step is `timed` and
//! appends a line to one marker file, so exactly-once is counted, not assumed.
//!
//! Environment: `SCALE_TASKS` (default 10000), `SCALE_SPREAD_S` (60: exec times spread evenly over
//! this many seconds), `SCALE_LEAD_S` (60: the first exec time this long after the submits start,
//! so every task is in before any is due), `SCALE_CLIENTS` (20 concurrent submitters),
//! `SCALE_RUNS` (default `sqlite:1,pg:1,pg:3`).
//! Without `--bench` (under `cargo test --all-targets`) a smoke run of 12 tasks on one SQLite node,
//! then on two PostgreSQL nodes when PostgreSQL is installed.

mod common;

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{INVENTORY, env_num, percentile};
use opsdeck::model::TaskState;
use opsdeck::store::{Store, TaskFilter};
use serde_json::json;
use support::postgres::Postgres;

const TEMPLATE: &str = r#"
id = 1
name = "timed marker"
[[args]]
name = "MARKERS"
required = true
[[steps]]
group = 1
level = 1
name = "mark"
trigger = "timed"
command = "echo x >> ${MARKERS}"
"#;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sqlite,
    Pg,
}

struct Params {
    tasks: usize,
    spread: Duration,
    lead: Duration,
    clients: usize,
}

/// One `opsdeck` command with the run's environment (config, data dir, database).
fn opsdeck(dir: &Path, node: usize, url: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join(format!("node{node}")))
        .env_remove("OPSDECK_DATABASE_URL")
        .stdin(Stdio::null());
    if let Some(u) = url {
        c.env("OPSDECK_DATABASE_URL", u);
    }
    c
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().expect("run opsdeck");
    assert!(
        out.status.success(),
        "{:?}: {}",
        c,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A node process, stopped (its whole process group) when dropped, also when the run panics.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        support::stop_child(&mut self.0, Duration::from_secs(10));
    }
}

/// Starts `opsdeck serve` on an ephemeral port; returns it with its API base URL.
fn serve(dir: &Path, node: usize, url: Option<&str>) -> (Node, String) {
    let child = opsdeck(dir, node, url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn serve");
    let mut child = Node(child);
    let err = BufReader::new(child.0.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel::<Result<String, String>>();
    std::thread::spawn(move || {
        let mut said = Vec::new();
        for l in err.lines().map_while(Result::ok) {
            if let Some(rest) = l.split("listening on ").nth(1) {
                let _ = tx.send(Ok(rest.split_whitespace().next().unwrap_or("").to_string()));
            } else if l.contains("ERROR") {
                println!("  node{node}: {l}");
            }
            said.push(l);
        }
        let _ = tx.send(Err(said.join("\n")));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(api)) => (child, api),
        Ok(Err(said)) => panic!("node{node} did not start:\n{said}"),
        Err(e) => panic!("node{node} did not say where it listens: {e}"),
    }
}

struct Report {
    label: String,
    submit_rate: f64,
    submit_p99_ms: f64,
    task_late: Vec<f64>,
    step_late: Vec<f64>,
    not_ok: usize,
    markers: usize,
    per_node: String,
}

async fn run(kind: Kind, nodes: usize, pg: Option<&Postgres>, p: &Params, n: usize) -> Report {
    let label = match kind {
        Kind::Sqlite => format!("SQLite, {nodes} node"),
        Kind::Pg => format!(
            "PostgreSQL, {nodes} node{}",
            if nodes > 1 { "s" } else { "" }
        ),
    };
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-scale-")
        .tempdir()
        .expect("tempdir");
    let d = dir.path();
    let url = match (kind, pg) {
        (Kind::Pg, Some(pg)) => Some(pg.create_db(&format!("scale{n}"))),
        _ => None,
    };
    let url = url.as_deref();
    std::fs::write(d.join("config.toml"), "global_concurrency = 1000\n").expect("config");
    let markers = d.join("markers");
    std::fs::write(d.join("inv.toml"), INVENTORY).expect("inventory");
    std::fs::write(d.join("tpl.toml"), TEMPLATE).expect("template");
    let token = run_ok(opsdeck(d, 0, url).args(["user", "add", "bench", "--role", "admin"]))
        .trim()
        .to_string();
    run_ok(
        opsdeck(d, 0, url)
            .args(["inventory", "import"])
            .arg(d.join("inv.toml")),
    );
    run_ok(
        opsdeck(d, 0, url)
            .args(["template", "import"])
            .arg(d.join("tpl.toml")),
    );
    let mut children = Vec::new();
    let mut apis = Vec::new();
    for k in 0..nodes {
        let (c, api) = serve(d, k, url);
        children.push(c);
        apis.push(api);
    }

    // Submits: `clients` loops, each posting its share to the nodes in turn.
    let client = reqwest::Client::new();
    let t0 = Utc::now() + chrono::Duration::from_std(p.lead).expect("lead");
    let step = chrono::Duration::from_std(p.spread).expect("spread") / p.tasks.max(1) as i32;
    let start = Instant::now();
    let mut handles = Vec::new();
    for c in 0..p.clients {
        let (client, apis, token) = (client.clone(), apis.clone(), token.clone());
        let markers = markers.display().to_string();
        let mine: Vec<usize> = (c..p.tasks).step_by(p.clients).collect();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(mine.len());
            for i in mine {
                let exec: DateTime<Utc> = t0 + step * i as i32;
                let body = json!({
                    "name": format!("tick {i}"),
                    "template_id": 1,
                    "args": {"MARKERS": markers},
                    "hosts": {"1": ["local1"]},
                    "exec_time": exec.to_rfc3339(),
                });
                let api = &apis[i % apis.len()];
                let t = Instant::now();
                let r = client
                    .post(format!("{api}/tasks"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.expect("json");
                assert_eq!(status, 201, "{v}");
                let id = v["id"].as_i64().expect("id");
                out.push((id, exec, t.elapsed().as_secs_f64() * 1000.0));
            }
            out
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.extend(h.await.expect("client"));
    }
    let took = start.elapsed();
    let mut lat: Vec<f64> = ids.iter().map(|x| x.2).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    if Utc::now() > t0 {
        println!("  WARNING: submission overran the first exec time; raise SCALE_LEAD_S");
    }

    // Wait for the last exec time, then until every task is final.
    let store = match url {
        Some(u) => Store::connect(u).expect("connect"),
        None => Store::open(&d.join("node0").join("opsdeck.db")).expect("open"),
    };
    let last_due = ids.iter().map(|x| x.1).max().unwrap_or(t0);
    tokio::time::sleep((last_due - Utc::now()).to_std().unwrap_or_default()).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let open = store
            .tasks(&TaskFilter {
                states: vec![TaskState::Scheduled, TaskState::Running],
                ..Default::default()
            })
            .expect("tasks")
            .len();
        if open == 0 {
            break;
        }
        if Instant::now() > deadline {
            println!("  WARNING: {open} task(s) still not final after 180 s");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut task_late = Vec::new();
    let mut step_late = Vec::new();
    let mut not_ok = 0;
    let ms = |a: DateTime<Utc>, due: DateTime<Utc>| {
        (a - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
    };
    for &(id, due, _) in &ids {
        let t = store.task(id).expect("task").expect("exists");
        if t.state != TaskState::Succeeded {
            not_ok += 1;
        }
        if let Some(s) = t.started_at {
            task_late.push(ms(s, due));
        }
        for r in store.step_runs(id).expect("step runs") {
            if let Some(s) = r.started_at {
                step_late.push(ms(s, due));
            }
        }
    }
    let marks = std::fs::read_to_string(&markers)
        .unwrap_or_default()
        .lines()
        .count();
    let per_node = match (url, pg) {
        (Some(_), Some(pg)) => pg
            .sql(
                &format!("scale{n}"),
                "SELECT count(DISTINCT owner) || ' nodes ran tasks: ' || string_agg(c::text, ' / ') \
                 FROM (SELECT owner, count(*) AS c FROM tasks GROUP BY owner ORDER BY 2 DESC) s",
            )
            .unwrap_or_else(|_| "(no owner column)".into()),
        _ => "one node".into(),
    };
    drop(children);
    Report {
        label,
        submit_rate: ids.len() as f64 / took.as_secs_f64(),
        submit_p99_ms: percentile(&lat, 99.0),
        task_late,
        step_late,
        not_ok,
        markers: marks,
        per_node,
    }
}

fn line(name: &str, mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    format!(
        "{name} n={} p50={:.1} p90={:.1} p99={:.1} max={:.1} ms",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 90.0),
        percentile(&v, 99.0),
        v.last().copied().unwrap_or(f64::NAN)
    )
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let p = if full {
        Params {
            tasks: env_num("SCALE_TASKS", 10_000) as usize,
            spread: Duration::from_secs(env_num("SCALE_SPREAD_S", 60)),
            lead: Duration::from_secs(env_num("SCALE_LEAD_S", 60)),
            clients: env_num("SCALE_CLIENTS", 20) as usize,
        }
    } else {
        Params {
            tasks: 12,
            spread: Duration::from_secs(1),
            lead: Duration::from_secs(3),
            clients: 3,
        }
    };
    let runs = std::env::var("SCALE_RUNS").unwrap_or_else(|_| {
        if full {
            "sqlite:1,pg:1,pg:3"
        } else {
            "sqlite:1,pg:2"
        }
        .to_string()
    });
    let plan: Vec<(Kind, usize)> = runs
        .split(',')
        .filter_map(|r| {
            let (k, n) = r.trim().split_once(':')?;
            let kind = match k {
                "sqlite" => Kind::Sqlite,
                "pg" => Kind::Pg,
                _ => return None,
            };
            Some((kind, n.parse().ok().filter(|&n| n >= 1)?))
        })
        .collect();
    assert!(!plan.is_empty(), "SCALE_RUNS: e.g. sqlite:1,pg:1,pg:3");
    let pg = if plan.iter().any(|(k, _)| *k == Kind::Pg) && support::postgres::available() {
        Some(Postgres::start())
    } else {
        None
    };
    println!(
        "{} tasks, exec times spread over {:?}, first {:?} after the submits start, {} submitters",
        p.tasks, p.spread, p.lead, p.clients
    );
    for (n, &(kind, nodes)) in plan.iter().enumerate() {
        if kind == Kind::Pg && pg.is_none() {
            println!("skipped: PostgreSQL, {nodes} nodes (no PostgreSQL installed)");
            continue;
        }
        let r = run(kind, nodes, pg.as_ref(), &p, n).await;
        println!("{}:", r.label);
        println!(
            "  submits {:.0}/s (p99 {:.1} ms); not succeeded {}; marker lines {} for {} tasks; {}",
            r.submit_rate, r.submit_p99_ms, r.not_ok, r.markers, p.tasks, r.per_node
        );
        println!("  {}", line("step started_at - exec_time", r.step_late));
        println!("  {}", line("task started_at - exec_time", r.task_late));
        // Exactly once is the point of the whole thing: a smoke run fails loudly on it.
        assert_eq!(
            r.markers, p.tasks,
            "{}: every task ran exactly once",
            r.label
        );
        assert_eq!(r.not_ok, 0, "{}: every task succeeded", r.label);
    }
}
