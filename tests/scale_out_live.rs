//! Several `opsdeck serve` nodes on one real PostgreSQL, through their HTTP APIs: an SSE client on
//! node A follows a task node B runs, live; a cancel through A's API stops it on B within 2 s;
//! webhooks configured the same on three nodes fire exactly once per (task, event).

mod support;

use support::serve_node::{Node, ok, opsdeck, serve};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opsdeck::api::client::take_events;
use opsdeck::model::{LogLine, StepState, Stream, TaskState};
use opsdeck::store::Store;
use serde_json::{Value, json};
use support::postgres::{self, Postgres};

const TEMPLATES: &[&str] = &[
    "id = 70\nname = \"ticker\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"tick\"\n\
     command = \"for i in $(seq 1 60); do echo tick $i; sleep 0.1; done\"\n",
    "id = 71\nname = \"long\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"sleep\"\ncommand = \"sleep 60\"\n",
    "id = 72\nname = \"quick\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"hi\"\ncommand = \"echo hi\"\n",
    "id = 73\nname = \"failing\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"no\"\ncommand = \"exit 3\"\n",
];

struct Cluster {
    _pg: Postgres,
    url: String,
    dir: tempfile::TempDir,
    /// Tokens of the admins `root` (submits) and `bob` (approves).
    root: String,
    bob: String,
}

impl Cluster {
    fn start() -> Cluster {
        let pg = Postgres::start();
        let url = pg.create_db("live");
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("admin");
        std::fs::create_dir_all(&admin).unwrap();
        let user = |name: &str| {
            ok(opsdeck(&admin, &url).args(["user", "add", name, "--role", "admin"]))
                .trim()
                .to_string()
        };
        let (root, bob) = (user("root"), user("bob"));
        let inv = admin.join("inv.toml");
        std::fs::write(
            &inv,
            "[[hosts]]\nname = \"h1\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n",
        )
        .unwrap();
        ok(opsdeck(&admin, &url)
            .args(["inventory", "import"])
            .arg(&inv));
        for (i, t) in TEMPLATES.iter().enumerate() {
            let p = admin.join(format!("t{i}.toml"));
            std::fs::write(&p, t).unwrap();
            ok(opsdeck(&admin, &url).args(["template", "import"]).arg(&p));
        }
        Cluster {
            _pg: pg,
            url,
            dir,
            root,
            bob,
        }
    }

    /// Starts node `n` with a data dir of its own and `config` as its config file.
    fn node(&self, n: usize, config: &str) -> Node {
        let d = self.dir.path().join(format!("node{n}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config.toml"), config).unwrap();
        serve(&d, &self.url, &[])
    }

    fn store(&self) -> Store {
        Store::connect(&self.url).unwrap()
    }
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!((200..300).contains(&st), "{st} {v}");
    v
}

async fn submit(
    client: &reqwest::Client,
    node: &Node,
    token: &str,
    template: u32,
    approval: bool,
) -> i64 {
    let body = json!({
        "name": format!("t{template}"),
        "template_id": template,
        "hosts": {"1": ["h1"]},
        "exec_time": chrono::Utc::now().to_rfc3339(),
        "approvers": [],
        "needs_approval": approval,
    });
    post(client, format!("{}/api/v1/tasks", node.api), token, body).await["id"]
        .as_i64()
        .unwrap()
}

/// Waits (blocking the worker briefly) until `done` holds.
async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !tokio::task::block_in_place(&mut done) {
        assert!(t.elapsed() < limit, "{what} not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The node (by its pid in the owner id `HOST:PID:START`) that runs task `id`, once one does.
async fn runner_of<'a>(store: &Store, nodes: &'a [Node], id: i64) -> (&'a Node, &'a Node) {
    let mut owner = None;
    until(Duration::from_secs(20), "a node runs the task", || {
        owner = store.task_owner(id).unwrap();
        owner.is_some() && store.task(id).unwrap().unwrap().state == TaskState::Running
    })
    .await;
    let owner = owner.unwrap();
    let pid: u32 = owner.split(':').nth(1).unwrap().parse().unwrap();
    let i = nodes
        .iter()
        .position(|n| n.child.id() == pid)
        .unwrap_or_else(|| panic!("owner {owner} is none of the nodes"));
    (&nodes[i], &nodes[1 - i])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_on_one_node_follows_and_cancels_a_task_running_on_another() {
    if !postgres::available() {
        return;
    }
    let c = Cluster::start();
    let nodes = [c.node(0, ""), c.node(1, "")];
    let store = c.store();
    let client = reqwest::Client::new();

    // A task printing a line every 0.1 s for 6 s, followed over SSE from the other node.
    let id = submit(&client, &nodes[1], &c.root, 70, false).await;
    let (_runner, other) = runner_of(&store, &nodes, id).await;
    let r = client
        .get(format!("{}/api/v1/tasks/{id}/logs/stream", other.api))
        .bearer_auth(&c.root)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut r = r;
    let mut buf = String::new();
    let mut got: Vec<(LogLine, Instant)> = Vec::new();
    let mut ended = None;
    while ended.is_none()
        && let Some(chunk) = tokio::time::timeout(Duration::from_secs(30), r.chunk())
            .await
            .expect("the stream moves")
            .unwrap()
    {
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        for ev in take_events(&mut buf) {
            match ev.event.as_str() {
                "line" => got.push((serde_json::from_str(&ev.data).unwrap(), Instant::now())),
                "end" => ended = Some(Instant::now()),
                other => panic!("unexpected event {other}"),
            }
        }
    }
    let ended = ended.expect("an end event");
    let seqs: Vec<u64> = got.iter().map(|(l, _)| l.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "in order, no gap"
    );
    let ticks: Vec<&(LogLine, Instant)> = got
        .iter()
        .filter(|(l, _)| l.stream == Stream::Stdout)
        .collect();
    assert_eq!(ticks.len(), 60, "every line once");
    // Live: most lines came well before the end, each soon after it was printed.
    let early = ticks
        .iter()
        .filter(|(_, at)| ended.duration_since(*at) > Duration::from_secs(2))
        .count();
    assert!(early >= 30, "only {early} lines arrived 2 s before the end");
    let mut lags: Vec<Duration> = ticks[5..]
        .iter()
        .map(|(l, at)| {
            let printed_ago = (chrono::Utc::now() - l.ts).to_std().unwrap_or_default();
            printed_ago.saturating_sub(at.elapsed())
        })
        .collect();
    lags.sort();
    let p90 = lags[lags.len() * 9 / 10];
    println!(
        "SSE on the other node: median lag {:?}, p90 {p90:?}",
        lags[lags.len() / 2]
    );
    assert!(p90 < Duration::from_millis(500), "p90 lag {p90:?}");

    // A long task; cancelled through the node that does not run it.
    let id = submit(&client, &nodes[0], &c.root, 71, false).await;
    let (_runner, other2) = runner_of(&store, &nodes, id).await;
    until(Duration::from_secs(10), "the step runs", || {
        store
            .step_runs(id)
            .unwrap()
            .iter()
            .any(|s| s.state == StepState::Running)
    })
    .await;
    let t = Instant::now();
    post(
        &client,
        format!("{}/api/v1/tasks/{id}/cancel", other2.api),
        &c.root,
        json!({}),
    )
    .await;
    // The runner marks the step cancelled once it has ended the step's process.
    until(Duration::from_secs(10), "the runner stops the step", || {
        store
            .step_runs(id)
            .unwrap()
            .iter()
            .all(|s| s.state == StepState::Cancelled)
    })
    .await;
    let took = t.elapsed();
    println!("cancel through the other node stopped the step in {took:?}");
    assert!(took < Duration::from_secs(2), "cancel took {took:?}");
    assert_eq!(store.task(id).unwrap().unwrap().state, TaskState::Cancelled);
}

type Hits = Arc<Mutex<Vec<(String, i64)>>>;

async fn hook(axum::extract::State(h): axum::extract::State<Hits>, body: String) -> &'static str {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let event = v["event"].as_str().unwrap_or("?").to_string();
    let id = v["task"]["id"].as_i64().unwrap_or(-1);
    h.lock().unwrap().push((event, id));
    "ok"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_fire_once_per_event_across_three_nodes() {
    if !postgres::available() {
        return;
    }
    let hits: Hits = Default::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let c = Cluster::start();
    let config = format!(
        "[[webhooks]]\nurl = \"http://{addr}/hook\"\nformat = \"generic\"\n\
         events = [\"approval_requested\", \"task_failed\", \"task_finished\"]\n\
         retries = 0\nbackoff = \"10ms\"\ntimeout = \"5s\"\n"
    );
    let nodes = [c.node(0, &config), c.node(1, &config), c.node(2, &config)];
    let store = c.store();
    let client = reqwest::Client::new();
    let mut want: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = submit(&client, &nodes[i % 3], &c.root, 72, false).await;
        want.insert(("task_finished".into(), id), 1);
        ids.push(id);
    }
    for i in 0..3 {
        let id = submit(&client, &nodes[i % 3], &c.root, 73, false).await;
        want.insert(("task_failed".into(), id), 1);
        ids.push(id);
    }
    for i in 0..3 {
        let id = submit(&client, &nodes[i], &c.root, 72, true).await;
        // Approved through another node than the one that took the submit.
        post(
            &client,
            format!("{}/api/v1/tasks/{id}/approve", nodes[(i + 1) % 3].api),
            &c.bob,
            json!({}),
        )
        .await;
        want.insert(("approval_requested".into(), id), 1);
        want.insert(("task_finished".into(), id), 1);
        ids.push(id);
    }
    until(Duration::from_secs(60), "every task finished", || {
        ids.iter()
            .all(|id| store.task(*id).unwrap().unwrap().state.is_final())
    })
    .await;
    until(Duration::from_secs(20), "every delivery arrived", || {
        hits.lock().unwrap().len() >= want.len()
    })
    .await;
    // Time for a duplicate from another node to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut got: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for h in hits.lock().unwrap().iter() {
        *got.entry(h.clone()).or_default() += 1;
    }
    assert_eq!(got, want, "exactly one delivery per (event, task)");
    // The runs were spread over more than one node.
    let owners: std::collections::BTreeSet<String> = ids
        .iter()
        .filter_map(|id| store.task_owner(*id).unwrap())
        .collect();
    println!("{} tasks ran on {} node(s)", ids.len(), owners.len());
}
