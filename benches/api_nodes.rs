//! Submits per second through several `serve` nodes on one PostgreSQL database against one node,
//! in one run: the API load benchmark's submit phase (real loopback HTTP, bearer auth, full
//! validation, insert + audit row), with the clients spread round-robin over the nodes.
//!
//! `BENCH_DATABASE_URL=postgres://user:pw@host/empty_db cargo bench --bench api_nodes`
//! (env: BENCH_CLIENTS=50, BENCH_SUBMITS=4000, BENCH_NODES=3). Runs 1 node, then BENCH_NODES
//! nodes, then 1 node again (the table grows between runs), and prints the ratio. Without
//! BENCH_DATABASE_URL it says so and does nothing (so `cargo test --all-targets` passes).

mod common;

use std::time::Duration;

use opsdeck::api::auth::new_token;
use opsdeck::api::server::{AppState, serve};
use opsdeck::config::Config;
use opsdeck::engine::Engine;
use opsdeck::model::{Inventory, Role, Template, User};
use opsdeck::store::Store;

const ECHO: &str = r#"
id = 1
name = "echo"
[[steps]]
group = 1
level = 1
trigger = "timed"
name = "echo"
command = "echo hi"
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

/// One node: its own store connection, engine and HTTP server on 127.0.0.1:0.
struct Node {
    base: String,
    engine: Engine,
    stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn node(url: &str, config: &Config) -> Node {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(url).expect("connect");
    let engine = Engine::start(store.clone(), config.clone(), dir.path())
        .await
        .expect("engine");
    let state = AppState::new(
        store,
        config.clone(),
        dir.path().to_path_buf(),
        Some(engine.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Node {
        base,
        engine,
        stop,
        _dir: dir,
    }
}

/// `submits` submits by `clients` clients over `nodes` nodes; submits per second.
async fn run(
    url: &str,
    config: &Config,
    token: &str,
    nodes: usize,
    clients: usize,
    submits: usize,
) -> f64 {
    let mut ns = Vec::new();
    for _ in 0..nodes {
        ns.push(node(url, config).await);
    }
    let per = submits.div_ceil(clients);
    let bases: Vec<String> = ns.iter().map(|n| n.base.clone()).collect();
    let (lat, took) = common::post_tasks(&bases, token, clients, per).await;
    let rate = lat.len() as f64 / took.as_secs_f64();
    println!(
        "{nodes} node(s): {} submits by {clients} clients in {:.2}s = {rate:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        took.as_secs_f64(),
        pct(&lat, 0.50).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
    );
    for n in ns {
        let _ = n.stop.send(());
        n.engine.shutdown().await;
    }
    rate
}

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("BENCH_DATABASE_URL") else {
        println!("api_nodes: set BENCH_DATABASE_URL to an empty PostgreSQL database to run it");
        return;
    };
    let clients = env("BENCH_CLIENTS", 50);
    let submits = env("BENCH_SUBMITS", 4000);
    let nodes = env("BENCH_NODES", 3);

    let store = Store::connect(&url).expect("connect");
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
    let config = Config::default();
    let one = run(&url, &config, &token, 1, clients, submits).await;
    let many = run(&url, &config, &token, nodes, clients, submits).await;
    let again = run(&url, &config, &token, 1, clients, submits).await;
    println!(
        "ratio {nodes} nodes / 1 node: {:.2} (against the mean of the two 1-node runs)",
        many / ((one + again) / 2.0)
    );
}
