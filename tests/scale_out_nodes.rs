//! Several `opsdeck serve` nodes on one real PostgreSQL, running steps on a real sshd host: 300
//! tasks due in the same second each run exactly once, spread over the nodes; `kill -9` of a node
//! while it runs long tasks has a survivor mark them interrupted within the lease time (the
//! failover time is measured and printed), a task submitted to the dead node still runs on a
//! survivor, and nothing runs twice; a live node whose task was taken over stops running it.

mod support;

use support::serve_node::{Node, ok, opsdeck, serve};

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use opsdeck::model::{TaskFilter, TaskState};
use opsdeck::store::Store;
use support::postgres::{self, Postgres};
use support::{Sshd, require_system};

/// A short lease so failover is quick; the heartbeat runs every second.
const LEASE_SECS: u64 = 3;
/// The burst test is about exactly-once, not failover: a lease that a loaded two-core machine
/// (300 SSH sessions starting at once) cannot miss.
const BURST_LEASE_SECS: u64 = 15;

/// The database, the sshd host, the admin token and a place for markers, shared by the nodes.
struct Cluster {
    pg: Postgres,
    sshd: Sshd,
    url: String,
    token: String,
    dir: tempfile::TempDir,
    markers: PathBuf,
}

impl Cluster {
    /// PostgreSQL, one sshd host `s1`, and template 1 whose timed step (not before the task's exec
    /// time) writes `start <task id>` to the marker file, sleeps `${SECS}` and writes `end <task id>`.
    fn start() -> Cluster {
        let pg = Postgres::start();
        let url = pg.create_db("nodes");
        let sshd = Sshd::start(1);
        let dir = tempfile::tempdir().unwrap();
        let markers = dir.path().join("markers");
        let admin = dir.path().join("admin");
        std::fs::create_dir_all(&admin).unwrap();
        let token = ok(opsdeck(&admin, &url).args(["user", "add", "root", "--role", "admin"]))
            .trim()
            .to_string();
        let h = &sshd.hosts[0];
        let inv = dir.path().join("inv.toml");
        std::fs::write(
            &inv,
            format!(
                "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n\
                 [[hosts]]\nname = \"s1\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n",
                sshd.user,
                sshd.client_key.display(),
                h.address,
                h.port
            ),
        )
        .unwrap();
        ok(opsdeck(&admin, &url)
            .args(["inventory", "import"])
            .arg(&inv));
        let tpl = dir.path().join("tpl.toml");
        std::fs::write(
            &tpl,
            format!(
                "id = 1\nname = \"marker\"\n[[args]]\nname = \"SECS\"\ndefault = \"0\"\n\
                 [[steps]]\ngroup = 1\nlevel = 1\nname = \"mark\"\ntrigger = \"timed\"\n\
                 command = \"echo start ${{FLOW_ID}} >> {m}; sleep ${{SECS}}; echo end ${{FLOW_ID}} >> {m}\"\n",
                m = markers.display()
            ),
        )
        .unwrap();
        ok(opsdeck(&admin, &url).args(["template", "import"]).arg(&tpl));
        Cluster {
            pg,
            sshd,
            url,
            token,
            dir,
            markers,
        }
    }

    /// Starts node `n` (a data dir of its own) with a lease of `lease` seconds, running at most
    /// 8 steps at once (the shared sshd host is one machine).
    fn node(&self, n: usize, lease: u64) -> Node {
        let d = self.dir.path().join(format!("node{n}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.toml"),
            format!(
                "known_hosts = \"{}\"\nconnect_timeout = \"10s\"\nconcurrency = 4\nglobal_concurrency = 8\n",
                self.sshd.known_hosts.display()
            ),
        )
        .unwrap();
        serve(&d, &self.url, &["--lease-secs".into(), lease.to_string()])
    }

    fn store(&self) -> Store {
        Store::connect(&self.url).unwrap()
    }

    /// `start`/`end` marker counts per task id.
    fn markers(&self) -> BTreeMap<(String, i64), usize> {
        let text = std::fs::read_to_string(&self.markers).unwrap_or_default();
        let mut out = BTreeMap::new();
        for l in text.lines() {
            let mut w = l.split_whitespace();
            let (Some(kind), Some(id)) = (w.next(), w.next().and_then(|i| i.parse().ok())) else {
                panic!("a torn marker line: {l:?}");
            };
            *out.entry((kind.to_string(), id)).or_default() += 1;
        }
        out
    }
}

async fn submit(
    client: &reqwest::Client,
    node: &Node,
    token: &str,
    name: &str,
    secs: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let body = serde_json::json!({
        "name": name,
        "template_id": 1,
        "args": {"SECS": secs.to_string()},
        "hosts": {"1": ["s1"]},
        "exec_time": at.to_rfc3339(),
        "approvers": [],
        "needs_approval": false,
    });
    let r = client
        .post(format!("{}/api/v1/tasks", node.api))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(st, 201, "{v}");
    v["id"].as_i64().unwrap()
}

/// Waits until `done` holds, failing with `what` (and every task's state) after `limit`.
async fn until(store: &Store, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        if t.elapsed() > limit {
            let detail = store
                .tasks(&TaskFilter::default())
                .unwrap()
                .into_iter()
                .map(|t| format!("#{} {} {:?} {}", t.id, t.spec.name, t.state, t.reason))
                .collect::<Vec<_>>()
                .join("\n");
            panic!("{what} not within {limit:?}\n{detail}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn states(store: &Store) -> BTreeMap<i64, TaskState> {
    store
        .tasks(&TaskFilter {
            limit: Some(10_000),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_run_300_tasks_due_at_once_each_exactly_once() {
    if !postgres::available() || !require_system(support::sshd::SSHD) {
        return;
    }
    let c = Cluster::start();
    let nodes: Vec<Node> = (0..3).map(|i| c.node(i, BURST_LEASE_SECS)).collect();
    let client = reqwest::Client::new();
    // All due in the same whole second, far enough ahead for every node to have seen them
    // (submitted at once, a third through each node).
    let due = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 15, 0).unwrap();
    let submitted = Instant::now();
    let ids: BTreeSet<i64> = futures::future::join_all((0..300).map(|i| {
        let (client, node, token) = (&client, &nodes[i % 3], &c.token);
        async move { submit(client, node, token, &format!("t{i}"), 0, due).await }
    }))
    .await
    .into_iter()
    .collect();
    assert_eq!(ids.len(), 300);
    eprintln!(
        "300 submits took {:.1} s; due at {due} ({})",
        submitted.elapsed().as_secs_f64(),
        if chrono::Utc::now() < due {
            "before it"
        } else {
            "after it: the nodes raced for overdue tasks"
        }
    );
    let store = c.store();
    until(
        &store,
        Duration::from_secs(120),
        "300 tasks finished",
        || {
            let s = states(&store);
            ids.iter().all(|id| {
                s.get(id)
                    .is_some_and(|st| !matches!(st, TaskState::Scheduled | TaskState::Running))
            })
        },
    )
    .await;
    let s = states(&store);
    let not_ok: Vec<_> = ids
        .iter()
        .filter(|id| s[id] != TaskState::Succeeded)
        .collect();
    if let Some(id) = not_ok.first() {
        let t = store.task(**id).unwrap().unwrap();
        let log: Vec<String> = store
            .logs(**id, 0, 50)
            .unwrap()
            .into_iter()
            .map(|l| l.text)
            .collect();
        panic!(
            "{} not succeeded ({not_ok:?}); task {id}: {:?} {}\n{}",
            not_ok.len(),
            t.state,
            t.reason,
            log.join("\n")
        );
    }
    // Every task wrote its start and end markers exactly once.
    let m = c.markers();
    for id in &ids {
        for kind in ["start", "end"] {
            assert_eq!(
                m.get(&(kind.to_string(), *id)),
                Some(&1),
                "task {id}: {kind} markers"
            );
        }
    }
    assert_eq!(m.values().sum::<usize>(), 600, "no stray markers");
    // Spread over the nodes (the owner column keeps who ran each).
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for id in &ids {
        let owner = store.task_owner(*id).unwrap().expect("an owner");
        *per_node.entry(owner).or_default() += 1;
    }
    eprintln!("tasks per node: {per_node:?}");
    assert!(per_node.len() > 1, "all on one node: {per_node:?}");
    assert_eq!(per_node.values().sum::<usize>(), 300);
    // Each node's own step lines are in the one database (no node lost its log).
    let lines = store.logs(*ids.first().unwrap(), 0, 100).unwrap();
    assert!(!lines.is_empty());
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_s_running_tasks_are_interrupted_by_a_survivor_within_the_lease() {
    if !postgres::available() || !require_system(support::sshd::SSHD) {
        return;
    }
    let c = Cluster::start();
    let mut nodes: Vec<Option<Node>> = (0..3).map(|i| Some(c.node(i, LEASE_SECS))).collect();
    let client = reqwest::Client::new();
    let store = c.store();
    // Long tasks, due now, spread over the nodes.
    let now = chrono::Utc::now();
    let mut long = Vec::new();
    for i in 0..9 {
        let node = nodes[i % 3].as_ref().unwrap();
        long.push(submit(&client, node, &c.token, &format!("long{i}"), 12, now).await);
    }
    until(
        &store,
        Duration::from_secs(30),
        "all long tasks running",
        || {
            let s = states(&store);
            let m = c.markers();
            long.iter().all(|id| {
                s[id] == TaskState::Running && m.contains_key(&("start".to_string(), *id))
            })
        },
    )
    .await;
    // The victim: a node running at least one of them (node ids are HOST:PID:START).
    let listed = store.nodes().unwrap();
    let victim_info = listed
        .iter()
        .find(|n| n.running > 0)
        .expect("a node runs tasks")
        .clone();
    let victim = nodes
        .iter()
        .position(|n| {
            n.as_ref()
                .is_some_and(|n| i64::from(n.child.id()) == victim_info.pid)
        })
        .expect("the victim is one of ours");
    let victims: Vec<i64> = victim_info.running_tasks.clone();
    // A task submitted to the victim, due after its death.
    let later = submit(
        &client,
        nodes[victim].as_ref().unwrap(),
        &c.token,
        "later",
        0,
        chrono::Utc::now() + chrono::Duration::seconds(8),
    )
    .await;
    // A task the victim claimed but had not started (as while it waits for a maintenance window):
    // its lease, 12 s from now, must run out before a survivor takes it.
    let held = submit(
        &client,
        nodes[victim].as_ref().unwrap(),
        &c.token,
        "held",
        0,
        chrono::Utc::now() + chrono::Duration::seconds(8),
    )
    .await;
    c.pg.sql(
        "nodes",
        &format!(
            "UPDATE tasks SET owner = '{}', lease_until = now() + interval '12 seconds' WHERE id = {held}",
            victim_info.id
        ),
    )
    .unwrap();
    let held_until = Instant::now() + Duration::from_secs(11);
    let s = states(&store);
    assert!(
        s[&later] == TaskState::Scheduled && s[&held] == TaskState::Scheduled,
        "the machine is too slow for this test: the tasks due after the kill started before it"
    );
    let mut dead = nodes[victim].take().unwrap();
    let killed = Instant::now();
    dead.child.kill().unwrap(); // SIGKILL
    dead.child.wait().unwrap();
    let api = nodes.iter().flatten().next().unwrap().api.clone();
    drop(dead);

    until(
        &store,
        Duration::from_secs(LEASE_SECS + 10),
        "the dead node's tasks interrupted",
        || {
            let s = states(&store);
            victims.iter().all(|id| s[id] == TaskState::Interrupted)
        },
    )
    .await;
    let failover = killed.elapsed();
    eprintln!(
        "failover: {:.2} s from kill -9 to {} running task(s) marked interrupted (lease {LEASE_SECS} s, goal under {} s)",
        failover.as_secs_f64(),
        victims.len(),
        LEASE_SECS + 2
    );
    assert!(
        failover < Duration::from_secs(LEASE_SECS + 3),
        "failover took {failover:?}"
    );
    // The reason and a log line name the dead node, readable through a surviving node.
    for id in &victims {
        let t = store.task(*id).unwrap().unwrap();
        assert!(
            t.reason.contains(&format!(
                "node {} stopped renewing its lease",
                victim_info.id
            )),
            "{}",
            t.reason
        );
        let r = client
            .get(format!("{api}/api/v1/tasks/{id}/logs"))
            .bearer_auth(&c.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains("stopped renewing its lease"), "{body}");
        assert!(
            body.contains("started"),
            "the log from before the kill: {body}"
        );
        let audits = store.audit_entries(Some(*id), 50).unwrap();
        assert!(
            audits.iter().any(|a| a.action == "interrupted"),
            "{audits:?}"
        );
    }
    // The task submitted to the dead node runs on a survivor; the other long tasks finish.
    until(&store, Duration::from_secs(40), "the rest finished", || {
        let s = states(&store);
        s[&later] == TaskState::Succeeded
            && long
                .iter()
                .filter(|id| !victims.contains(id))
                .all(|id| s[id] == TaskState::Succeeded)
    })
    .await;
    assert_ne!(
        store.task_owner(later).unwrap().as_deref(),
        Some(victim_info.id.as_str())
    );
    until(&store, Duration::from_secs(30), "the held task ran", || {
        states(&store)[&held] == TaskState::Succeeded
    })
    .await;
    assert!(
        Instant::now() > held_until,
        "a survivor took a task whose lease had not run out"
    );
    assert_ne!(
        store.task_owner(held).unwrap().as_deref(),
        Some(victim_info.id.as_str())
    );
    // Nothing ran twice, and the interrupted tasks were not re-run anywhere (nor finished by an
    // orphaned remote process of the dead node).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let m = c.markers();
    for id in long.iter().chain([&later, &held]) {
        assert_eq!(
            m.get(&("start".to_string(), *id)),
            Some(&1),
            "task {id} started once"
        );
    }
    for id in &victims {
        assert_eq!(m.get(&("end".to_string(), *id)), None, "task {id} ended");
        assert_eq!(
            store.task(*id).unwrap().unwrap().state,
            TaskState::Interrupted
        );
    }
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_task_was_taken_over_stops_running_it() {
    if !postgres::available() || !require_system(support::sshd::SSHD) {
        return;
    }
    let c = Cluster::start();
    let node = c.node(0, LEASE_SECS);
    let client = reqwest::Client::new();
    let store = c.store();
    let id = submit(&client, &node, &c.token, "taken", 10, chrono::Utc::now()).await;
    until(&store, Duration::from_secs(30), "the task running", || {
        c.markers().contains_key(&("start".to_string(), id))
    })
    .await;
    // What a survivor does when this node's lease expired (as after it lost the database for
    // longer than the lease): the task is interrupted under the node's feet.
    c.pg.sql(
        "nodes",
        &format!("UPDATE tasks SET state = 'interrupted', lease_until = NULL WHERE id = {id}"),
    )
    .unwrap();
    let taken = Instant::now();
    until(
        &store,
        Duration::from_secs(10),
        "the node stopped the step",
        || {
            store
                .step_runs(id)
                .unwrap()
                .iter()
                .all(|r| r.state != opsdeck::model::StepState::Running)
        },
    )
    .await;
    eprintln!(
        "the node stopped its taken-over task {:.2} s after it was taken",
        taken.elapsed().as_secs_f64()
    );
    // Its heartbeat (every second) noticed; the remote command was ended, never finishing.
    assert!(
        taken.elapsed() < Duration::from_secs(4),
        "{:?}",
        taken.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(c.markers().get(&("end".to_string(), id)), None);
    assert_eq!(
        store.task(id).unwrap().unwrap().state,
        TaskState::Interrupted
    );
    drop(node);
}

/// A node that is cut off rather than killed (here: stopped with SIGSTOP, so its SSH connection
/// stays open and sshd keeps the step running) has its task interrupted by a survivor, which
/// also logs in to the host and ends the step's process group, checked by its recorded tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survivor_ends_the_remote_steps_of_a_node_that_was_cut_off() {
    if !postgres::available() || !require_system(support::sshd::SSHD) {
        return;
    }
    let c = Cluster::start();
    let frozen = c.node(0, LEASE_SECS);
    let client = reqwest::Client::new();
    let store = c.store();
    let started = Instant::now();
    let id = submit(
        &client,
        &frozen,
        &c.token,
        "cut off",
        14,
        chrono::Utc::now(),
    )
    .await;
    until(&store, Duration::from_secs(30), "the task running", || {
        c.markers().contains_key(&("start".to_string(), id))
    })
    .await;
    // The running step's process group on the host, recorded as `PGID TAG`.
    let mut recorded = String::new();
    until(
        &store,
        Duration::from_secs(10),
        "the process group recorded",
        || {
            recorded =
                c.pg.sql(
                    "nodes",
                    &format!(
                        "SELECT coalesce(remote_group, '') FROM step_runs WHERE task_id = {id}"
                    ),
                )
                .unwrap();
            !recorded.is_empty()
        },
    )
    .await;
    let pgid: i32 = recorded.split(' ').next().unwrap().parse().unwrap();
    let alive = |pg: i32| unsafe { libc::kill(-pg, 0) } == 0;
    assert!(alive(pgid), "group {pgid} ({recorded}) is not running");

    let survivor = c.node(1, LEASE_SECS);
    // SAFETY: stopping our own child process.
    unsafe { libc::kill(frozen.child.id() as i32, libc::SIGSTOP) };
    let stopped = Instant::now();
    until(
        &store,
        Duration::from_secs(LEASE_SECS + 20),
        "the step's processes ended",
        || !alive(pgid),
    )
    .await;
    eprintln!(
        "the survivor ended the cut-off node's step {:.2} s after the node stopped",
        stopped.elapsed().as_secs_f64()
    );
    assert_eq!(
        store.task(id).unwrap().unwrap().state,
        TaskState::Interrupted
    );
    until(&store, Duration::from_secs(10), "the log line", || {
        store.logs(id, 0, 200).unwrap().iter().any(|l| {
            l.text
                .contains("of the lost node: its processes (process group")
        })
    })
    .await;
    let log: Vec<String> = store
        .logs(id, 0, 200)
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("process group {pgid}) were ended"))),
        "{log:#?}"
    );
    // The step would have written `end` after 14 s: it never does.
    tokio::time::sleep(Duration::from_secs(16).saturating_sub(started.elapsed())).await;
    assert_eq!(c.markers().get(&("end".to_string(), id)), None);
    // SAFETY: our own child; SIGKILL ends a stopped process.
    unsafe { libc::kill(frozen.child.id() as i32, libc::SIGKILL) };
    drop(frozen);
    drop(survivor);
}
