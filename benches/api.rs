//! API load benchmark over real loopback HTTP: submits per second and latency percentiles with 50
//! concurrent clients, and live log fan-out of one chatty task to 100 SSE subscribers.
//!
//! `cargo bench --bench api` (env: BENCH_CLIENTS=50, BENCH_SUBMITS=4000, BENCH_SUBSCRIBERS=100,
//! BENCH_LINES=20000). Without `--bench` (under `cargo test --all-targets`) it does a small smoke run.

mod common;

use std::time::{Duration, Instant};

use opsdeck::api::auth::new_token;
use opsdeck::api::client::take_events;
use opsdeck::api::server::{AppState, serve};
use opsdeck::config::Config;
use opsdeck::engine::Engine;
use opsdeck::model::{Inventory, Role, Template, User};
use opsdeck::store::Store;
use serde_json::json;

const ECHO: &str = r#"
id = 1
name = "echo lines"
[[args]]
name = "COUNT"
default = "3"
[[steps]]
group = 1
level = 1
trigger = "timed"
name = "echo"
command = "i=1; while [ $i -le ${COUNT} ]; do echo line$i; i=$((i+1)); done"
"#;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; the test suite runs this binary without it: a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let small = |n: usize, smoke: usize| if full { n } else { smoke };
    let clients = env("BENCH_CLIENTS", small(50, 5));
    let submits = env("BENCH_SUBMITS", small(4000, 50));
    let subscribers = env("BENCH_SUBSCRIBERS", small(100, 5));
    let lines = env("BENCH_LINES", small(20_000, 200));

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("opsdeck.db")).expect("store");
    let inv: Inventory = toml::from_str(
        "[[hosts]]\nname = \"h1\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n",
    )
    .expect("inventory");
    store
        .import_inventory(inv, false)
        .expect("import")
        .expect("valid");
    let tpl: Template = toml::from_str(ECHO).expect("template");
    store.put_template(&tpl, ECHO, "bench").expect("template");
    let (token, hash) = new_token().expect("token");
    store
        .put_user(
            &User {
                name: "bench".into(),
                display_name: String::new(),
                role: Role::Admin,
            },
            Some(&hash),
        )
        .expect("user");
    let config = Config {
        allow_self_approval: true,
        ..Config::default()
    };
    let engine = Engine::start(store.clone(), config.clone(), dir.path())
        .await
        .expect("engine");
    let state = AppState::new(
        store.clone(),
        config,
        dir.path().to_path_buf(),
        Some(engine.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    tokio::spawn(serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();

    // 1. Submits: `clients` loops, each submitting its share back to back.
    let per = submits.div_ceil(clients);
    let (lat, took) = common::post_tasks(std::slice::from_ref(&base), &token, clients, per).await;
    println!(
        "submits: {} by {clients} clients in {:.2}s = {:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        took.as_secs_f64(),
        lat.len() as f64 / took.as_secs_f64(),
        pct(&lat, 0.50).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );

    // 2. Fan-out: `subscribers` SSE clients follow one task of `lines` lines from seq 1.
    let r = client
        .post(format!("{base}/tasks"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "fan-out",
            "template_id": 1,
            "args": {"COUNT": lines.to_string()},
            "hosts": {"1": ["h1"]},
            "exec_time": chrono::Utc::now().to_rfc3339(),
            "needs_approval": true,
        }))
        .send()
        .await
        .expect("submit");
    let id = r.json::<serde_json::Value>().await.expect("task")["id"]
        .as_i64()
        .expect("id");
    let mut subs = Vec::new();
    for _ in 0..subscribers {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let resp = client
            .get(format!("{base}/tasks/{id}/logs/stream"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("subscribe");
        subs.push(tokio::spawn(async move {
            let mut resp = resp;
            let mut buf = String::new();
            let mut n = 0u64;
            let mut last = 0u64;
            while let Ok(Some(chunk)) = resp.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                for ev in take_events(&mut buf) {
                    if ev.event == "end" {
                        return (n, last, Instant::now());
                    }
                    let seq: u64 = ev.id.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
                    assert!(seq > last, "lines out of order");
                    last = seq;
                    n += 1;
                }
            }
            let _ = token;
            (n, last, Instant::now())
        }));
    }
    let start = Instant::now();
    let r = client
        .post(format!("{base}/tasks/{id}/approve"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("approve");
    assert_eq!(r.status().as_u16(), 200);
    let mut got = Vec::new();
    for s in subs {
        got.push(s.await.expect("subscriber"));
    }
    let done = got.iter().map(|g| g.2).max().expect("subscribers") - start;
    engine.hub().flush().await;
    let stored = store.log_count(id).expect("count");
    let complete = got
        .iter()
        .filter(|g| g.0 == stored && g.1 == stored)
        .count();
    println!(
        "fan-out: {lines} output lines ({stored} log lines with system lines) to {subscribers} SSE subscribers in {:.2}s; \
         {complete}/{subscribers} received every line in order; {:.0} lines/s delivered in total",
        done.as_secs_f64(),
        (stored as f64 * subscribers as f64) / done.as_secs_f64()
    );
    engine.shutdown().await;
}
