//! One conformance suite for both stores: every repository method, every task state transition,
//! log paging, audit and users run against SQLite and against a real PostgreSQL, so they cannot drift.

mod support;

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use opsdeck::model::{
    Connection, Decision, ExecUser, Host, Inventory, LogLine, ModuleKind, Role, Step, StepState,
    Stream, Tag, TaskFilter, TaskSpec, TaskState, Template, Trigger, User,
};
use opsdeck::store::{SCHEMA_VERSION, Store, StoreError};
use support::postgres::{self, Postgres};

type Check = fn(&Store);

/// Each check gets a fresh, empty store.
const CHECKS: &[(&str, Check)] = &[
    ("templates", templates),
    ("tasks_and_step_runs", tasks_and_step_runs),
    ("every_transition", every_transition),
    ("decisions", decisions),
    ("step_states", step_states),
    ("scheduled_queue", scheduled_queue),
    ("task_filters", task_filters),
    ("captures", captures),
    ("log_paging", log_paging),
    ("audit", audit),
    ("users", users),
    ("inventory", inventory),
    ("sql_results", sql_results),
    ("task_counts", task_counts),
    ("hostile_text", hostile_text),
];

#[test]
fn sqlite_conforms() {
    for (name, check) in CHECKS {
        eprintln!("sqlite: {name}");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("opsdeck.db")).unwrap();
        assert!(!store.is_postgres());
        check(&store);
    }
}

#[test]
fn postgres_conforms() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    for (name, check) in CHECKS {
        eprintln!("postgres: {name}");
        let store = Store::connect(&pg.create_db(name)).unwrap();
        assert!(store.is_postgres());
        assert!(!store.describe().contains(postgres::PASSWORD));
        check(&store);
    }
    // Nodes starting together on an empty database migrate it once, one at a time.
    let url = pg.create_db("together");
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::connect(&url).map(|_| ()))
        })
        .collect();
    for n in nodes {
        n.join().unwrap().unwrap();
    }
    assert_eq!(
        pg.sql(
            "together",
            "SELECT count(*) || ' ' || max(version) FROM opsdeck_schema"
        )
        .unwrap(),
        format!("1 {SCHEMA_VERSION}")
    );
    // Migrating is idempotent, and a second node connecting finds the schema current.
    let url = pg.url_as("postgres", postgres::PASSWORD, "templates");
    Store::connect(&url).unwrap();
    assert_eq!(
        pg.sql("templates", "SELECT version FROM opsdeck_schema")
            .unwrap(),
        SCHEMA_VERSION.to_string()
    );
}

#[test]
fn postgres_restarts_are_survived() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let store = Store::connect(&pg.create_db("restart")).unwrap();
    store.put_template(&template(1, "true"), "", "me").unwrap();
    pg.restart();
    // The connection the server closed is noticed and opened again; nothing is lost.
    let mut tries = 0;
    let all = loop {
        tries += 1;
        match store.templates() {
            Ok(t) => break t,
            Err(e) if tries < 2 => eprintln!("first call after the restart: {e}"),
            Err(e) => panic!("no reconnect: {e}"),
        }
    };
    assert_eq!(all.len(), 1);
    store.put_template(&template(2, "true"), "", "me").unwrap();
    assert_eq!(store.templates().unwrap().len(), 2);
}

#[test]
fn postgres_engines_register_as_nodes_with_a_database_clock_heartbeat() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let store = Store::connect(&pg.create_db("nodes")).unwrap();
    assert!(store.nodes().unwrap().is_empty());
    let claim = store.claim_engine().unwrap();
    let id = claim
        .node_id()
        .expect("a PostgreSQL engine is a node")
        .to_string();
    let nodes = store.nodes().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].id, id);
    assert_eq!(nodes[0].pid, i64::from(std::process::id()));
    assert_eq!(nodes[0].version, env!("CARGO_PKG_VERSION"));
    assert!(nodes[0].heartbeat_age_secs < 5.0, "{nodes:?}");
    // An old heartbeat (set by the database's clock, whatever this machine's clock says) is
    // moved to the database's now() by a renewal.
    pg.sql(
        "nodes",
        "UPDATE nodes SET heartbeat_at = now() - interval '1 hour'",
    )
    .unwrap();
    assert!(store.nodes().unwrap()[0].heartbeat_age_secs > 3000.0);
    claim.renew().unwrap();
    assert!(store.nodes().unwrap()[0].heartbeat_age_secs < 5.0);
    // A deleted row is registered again on the next heartbeat.
    pg.sql("nodes", "DELETE FROM nodes").unwrap();
    claim.renew().unwrap();
    assert_eq!(store.nodes().unwrap()[0].id, id);
    // SQLite has no nodes table rows: one engine per data directory.
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::open(&dir.path().join("opsdeck.db")).unwrap();
    assert!(lite.claim_engine().unwrap().node_id().is_none());
    assert!(lite.nodes().unwrap().is_empty());
}

#[test]
fn postgres_refuses_what_it_cannot_use() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();

    // A schema from a newer opsdeck: refused, and nothing is changed.
    pg.create_db("newer");
    pg.sql(
        "newer",
        "CREATE TABLE opsdeck_schema (version BIGINT NOT NULL); INSERT INTO opsdeck_schema VALUES (99);
         CREATE TABLE future (x INTEGER);",
    )
    .unwrap();
    let e = Store::connect(&pg.url_as("postgres", postgres::PASSWORD, "newer"))
        .err()
        .expect("a newer schema is refused");
    assert!(
        matches!(e, StoreError::NewerSchema { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("newer opsdeck"), "{e}");
    assert!(!e.to_string().contains(postgres::PASSWORD), "{e}");
    assert_eq!(
        pg.sql("newer", "SELECT version FROM opsdeck_schema")
            .unwrap(),
        "99"
    );
    assert_eq!(
        pg.sql(
            "newer",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'tasks'"
        )
        .unwrap(),
        "0"
    );

    // A user who may log in but not create tables (PostgreSQL 15+: nobody may in `public` by default).
    pg.create_db("locked");
    pg.sql(
        "locked",
        "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'; REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
    )
    .unwrap();
    let e = Store::connect(&pg.url_as("reader", "reader-pw", "locked"))
        .err()
        .expect("no rights to create the schema");
    let msg = e.to_string();
    assert!(matches!(e, StoreError::SchemaRights { .. }), "{msg}");
    assert!(
        msg.contains("`reader`") && msg.contains("`locked`"),
        "{msg}"
    );
    assert!(msg.contains("GRANT CREATE ON SCHEMA"), "{msg}");
    assert!(!msg.contains("reader-pw"), "{msg}");
    assert_eq!(
        pg.sql(
            "locked",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .unwrap(),
        "0",
        "nothing was created"
    );
    // Granted the right, the same user migrates.
    pg.sql("locked", "GRANT CREATE ON SCHEMA public TO reader")
        .unwrap();
    Store::connect(&pg.url_as("reader", "reader-pw", "locked")).unwrap();

    // A wrong password and a missing database: a connect error naming the server, no password.
    let e = Store::connect(&pg.url_as("postgres", "wrong-pw", "postgres"))
        .err()
        .expect("wrong password");
    let msg = e.to_string();
    assert!(matches!(e, StoreError::Connect { .. }), "{msg}");
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("wrong-pw"), "{msg}");
    let e = Store::connect(&pg.url_as("postgres", postgres::PASSWORD, "nosuchdb"))
        .err()
        .expect("missing database");
    assert!(e.to_string().contains("nosuchdb"), "{e}");
}

// ---- the checks ----

fn template(id: u32, command: &str) -> Template {
    Template {
        id,
        name: format!("template {id}"),
        description: String::new(),
        approvers: vec![],
        args: vec![],
        steps: vec![Step {
            group: 1,
            level: 1,
            name: "run".into(),
            command: command.into(),
            timeout: None,
            trigger: Trigger::Order,
            exec_user: None,
            force_host: None,
            capture: None,
            capture_secret: false,
            stdin: vec![],
        }],
    }
}

fn spec(template_id: u32, hosts: &[&str]) -> TaskSpec {
    TaskSpec {
        name: "demo 中文".into(),
        module: ModuleKind::Custom,
        submitter: "alice".into(),
        template_id,
        args: [("K".to_string(), "v".to_string())].into(),
        hosts: [(1, hosts.iter().map(|s| s.to_string()).collect())].into(),
        exec_time: Utc::now(),
        approvers: vec!["bob".into()],
        needs_approval: true,
        details: "notes".into(),
        extra: serde_json::json!({"warnings": ["w"]}),
    }
}

/// A stored template and a task on it in `state`.
fn task_in(store: &Store, state: TaskState) -> opsdeck::model::Task {
    let t = template(1, "true");
    let v = store.put_template(&t, "", "me").unwrap();
    store.insert_task(&spec(1, &["a"]), &t, v, state).unwrap()
}

fn templates(store: &Store) {
    let t = template(5, "true");
    assert_eq!(store.put_template(&t, "src1", "me").unwrap(), 1);
    assert_eq!(
        store.put_template(&t, "src1", "me").unwrap(),
        1,
        "unchanged: same version"
    );
    let t2 = template(5, "false");
    assert_eq!(store.put_template(&t2, "src2", "you").unwrap(), 2);
    store.put_template(&template(3, "x"), "", "me").unwrap();
    let latest = store.template(5, None).unwrap().unwrap();
    assert_eq!((latest.version, &latest.template), (2, &t2));
    assert_eq!(latest.created_by, "you");
    let first = store.template(5, Some(1)).unwrap().unwrap();
    assert_eq!((first.template, first.source.as_str()), (t, "src1"));
    assert!(store.template(6, None).unwrap().is_none());
    assert!(store.template(5, Some(9)).unwrap().is_none());
    let all = store.templates().unwrap();
    let ids: Vec<(u32, u32)> = all.iter().map(|s| (s.template.id, s.version)).collect();
    assert_eq!(ids, vec![(3, 1), (5, 2)]);
}

fn tasks_and_step_runs(store: &Store) {
    let mut t = template(1, "true");
    t.steps.push(Step {
        level: 2,
        name: "second".into(),
        ..t.steps[0].clone()
    });
    t.steps.push(Step {
        group: 1,
        level: 3,
        name: "on proxy".into(),
        force_host: Some("proxy".into()),
        ..t.steps[0].clone()
    });
    let v = store.put_template(&t, "", "me").unwrap();
    let s = spec(1, &["a", "b"]);
    let task = store
        .insert_task(&s, &t, v, TaskState::PendingApproval)
        .unwrap();
    assert_eq!(task.spec, s);
    assert_eq!(task.state, TaskState::PendingApproval);
    assert_eq!(task.template_version, v);
    assert!(task.started_at.is_none() && task.finished_at.is_none() && task.decision.is_none());
    assert_eq!(store.task(task.id).unwrap().unwrap(), task);
    assert!(store.task(task.id + 1000).unwrap().is_none());
    let runs = store.step_runs(task.id).unwrap();
    let got: Vec<(u32, u32, &str, &str)> = runs
        .iter()
        .map(|r| (r.group, r.level, r.host.as_str(), r.step_name.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, "a", "run"),
            (1, 1, "b", "run"),
            (1, 2, "a", "second"),
            (1, 2, "b", "second"),
            (1, 3, "proxy", "on proxy")
        ]
    );
    assert!(runs.iter().all(|r| r.state == StepState::Pending
        && r.attempt == 1
        && r.task_id == task.id
        && r.exit_code.is_none()));
    assert_eq!(store.step_run(runs[2].id).unwrap().unwrap(), runs[2]);
    assert!(store.step_run(runs[4].id + 1000).unwrap().is_none());
    // Ids grow.
    let second = store.insert_task(&s, &t, v, TaskState::Scheduled).unwrap();
    assert!(second.id > task.id);
    // A task on a template version that does not exist is refused (foreign key).
    assert!(
        store
            .insert_task(&s, &t, v + 5, TaskState::Scheduled)
            .is_err()
    );
    assert_eq!(store.tasks(&TaskFilter::default()).unwrap().len(), 2);
}

fn every_transition(store: &Store) {
    for from in TaskState::ALL {
        for to in TaskState::ALL {
            let task = task_in(store, from);
            let wrong: Vec<TaskState> = TaskState::ALL.into_iter().filter(|s| *s != from).collect();
            assert!(
                !store
                    .transition_task(task.id, &wrong, to, Some("no"))
                    .unwrap(),
                "{from:?} -> {to:?} from the wrong states must not move"
            );
            let still = store.task(task.id).unwrap().unwrap();
            assert_eq!((still.state, still.reason.as_str()), (from, ""));
            assert!(
                store
                    .transition_task(task.id, &[TaskState::Missed, from], to, Some("why"))
                    .unwrap(),
                "{from:?} -> {to:?}"
            );
            let moved = store.task(task.id).unwrap().unwrap();
            assert_eq!(moved.state, to);
            assert_eq!(moved.reason, "why");
            assert!(moved.updated_at >= task.updated_at);
            assert_eq!(
                moved.started_at.is_some(),
                to == TaskState::Running,
                "{from:?} -> {to:?}: started_at"
            );
            assert_eq!(
                moved.finished_at.is_some(),
                to.is_final(),
                "{from:?} -> {to:?}: finished_at"
            );
        }
    }
    // Leaving running keeps the start time; a reason of None keeps the old one.
    let task = task_in(store, TaskState::Scheduled);
    store
        .transition_task(task.id, &[TaskState::Scheduled], TaskState::Running, None)
        .unwrap();
    let started = store.task(task.id).unwrap().unwrap().started_at;
    store
        .transition_task(
            task.id,
            &[TaskState::Running],
            TaskState::Failed,
            Some("boom"),
        )
        .unwrap();
    store
        .transition_task(task.id, &[TaskState::Failed], TaskState::Running, None)
        .unwrap();
    let again = store.task(task.id).unwrap().unwrap();
    assert_eq!(again.started_at, started);
    assert_eq!(again.reason, "boom");
    assert!(again.finished_at.is_none());
    assert!(
        !store
            .transition_task(
                task.id + 1000,
                &[TaskState::Running],
                TaskState::Failed,
                None
            )
            .unwrap()
    );
}

fn decisions(store: &Store) {
    let task = task_in(store, TaskState::PendingApproval);
    let later = Utc::now() + Duration::hours(1);
    let yes = Decision {
        by: "bob".into(),
        at: Utc::now(),
        approved: true,
        reason: String::new(),
    };
    assert!(store.decide_task(task.id, &yes, Some(later)).unwrap());
    let t = store.task(task.id).unwrap().unwrap();
    assert_eq!(t.state, TaskState::Scheduled);
    assert_eq!(t.spec.exec_time, later);
    assert_eq!(t.decision, Some(yes.clone()));
    assert!(t.finished_at.is_none());
    assert_eq!(
        store
            .scheduled_ref(task.id)
            .unwrap()
            .unwrap()
            .exec_time
            .timestamp(),
        later.timestamp()
    );
    assert!(
        !store.decide_task(task.id, &yes, None).unwrap(),
        "decided once"
    );
    assert!(!store.decide_task(task.id + 1000, &yes, None).unwrap());

    let task = task_in(store, TaskState::PendingApproval);
    let no = Decision {
        by: "carol".into(),
        at: Utc::now(),
        approved: false,
        reason: "not today".into(),
    };
    assert!(store.decide_task(task.id, &no, None).unwrap());
    let t = store.task(task.id).unwrap().unwrap();
    assert_eq!(
        (t.state, t.reason.as_str()),
        (TaskState::Rejected, "not today")
    );
    assert!(t.finished_at.is_some());
    assert_eq!(t.decision, Some(no));
}

fn step_states(store: &Store) {
    let task = task_in(store, TaskState::Running);
    let run = store.step_runs(task.id).unwrap().remove(0);
    store
        .set_step_state(run.id, StepState::Running, None, "")
        .unwrap();
    let r = store.step_run(run.id).unwrap().unwrap();
    assert!(r.started_at.is_some() && r.finished_at.is_none());
    store
        .set_step_state(run.id, StepState::Failed, Some(2), "exit 2")
        .unwrap();
    let r = store.step_run(run.id).unwrap().unwrap();
    assert_eq!(
        (r.state, r.exit_code, r.reason.as_str()),
        (StepState::Failed, Some(2), "exit 2")
    );
    assert!(r.finished_at.is_some());
    // A later state without an exit code keeps the old one.
    store
        .set_step_state(run.id, StepState::Skipped, None, "skipped")
        .unwrap();
    assert_eq!(store.step_run(run.id).unwrap().unwrap().exit_code, Some(2));
    store.reset_step_for_retry(run.id).unwrap();
    let r = store.step_run(run.id).unwrap().unwrap();
    assert_eq!(
        (r.state, r.attempt, r.exit_code, r.reason.as_str()),
        (StepState::Pending, 2, None, "")
    );
    assert!(r.started_at.is_none() && r.finished_at.is_none());
    for s in [
        StepState::Waiting,
        StepState::Manual,
        StepState::Running,
        StepState::Done,
        StepState::TimedOut,
        StepState::Cancelled,
    ] {
        store.set_step_state(run.id, s, Some(-1), "x").unwrap();
        let r = store.step_run(run.id).unwrap().unwrap();
        assert_eq!(r.state, s);
        assert_eq!(r.finished_at.is_some(), s.is_final(), "{s:?}");
        assert_eq!(
            r.exit_code,
            (s != StepState::Running).then_some(-1),
            "{s:?}"
        );
    }
}

fn scheduled_queue(store: &Store) {
    let t = template(1, "true");
    store.put_template(&t, "", "me").unwrap();
    let now = Utc::now();
    let mut ids = Vec::new();
    for mins in [30, -5, 10] {
        let mut s = spec(1, &["a"]);
        s.exec_time = now + Duration::minutes(mins);
        ids.push(
            store
                .insert_task(&s, &t, 1, TaskState::Scheduled)
                .unwrap()
                .id,
        );
    }
    let other = task_in(store, TaskState::PendingApproval);
    let refs = store.scheduled_refs().unwrap();
    let order: Vec<i64> = refs.iter().map(|r| r.id).collect();
    assert_eq!(order, vec![ids[1], ids[2], ids[0]], "ordered by exec time");
    assert!(
        refs.iter()
            .all(|r| r.template_id == 1 && r.template_version == 1)
    );
    let full: Vec<i64> = store
        .scheduled_tasks()
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(full, order);
    assert_eq!(store.scheduled_ref(ids[0]).unwrap().unwrap(), refs[2]);
    assert!(store.scheduled_ref(other.id).unwrap().is_none());
}

fn task_filters(store: &Store) {
    let a = task_in(store, TaskState::Scheduled);
    let b = task_in(store, TaskState::Failed);
    let t = template(1, "true");
    let mut s = spec(1, &["a"]);
    s.submitter = "dave".into();
    let c = store.insert_task(&s, &t, 1, TaskState::Failed).unwrap();
    let ids =
        |f: TaskFilter| -> Vec<i64> { store.tasks(&f).unwrap().iter().map(|t| t.id).collect() };
    assert_eq!(
        ids(TaskFilter::default()),
        vec![c.id, b.id, a.id],
        "newest first"
    );
    assert_eq!(
        ids(TaskFilter {
            states: vec![TaskState::Failed],
            ..Default::default()
        }),
        vec![c.id, b.id]
    );
    assert_eq!(
        ids(TaskFilter {
            states: vec![TaskState::Failed, TaskState::Scheduled],
            submitter: Some("alice".into()),
            ..Default::default()
        }),
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(TaskFilter {
            limit: Some(1),
            ..Default::default()
        }),
        vec![c.id]
    );
    assert!(
        ids(TaskFilter {
            submitter: Some("nobody".into()),
            ..Default::default()
        })
        .is_empty()
    );
}

fn captures(store: &Store) {
    let task = task_in(store, TaskState::Running);
    assert!(store.captures(task.id).unwrap().is_empty());
    store.put_capture(task.id, "VERSION", "1.2").unwrap();
    store.put_capture(task.id, "HOST", "web01").unwrap();
    store.put_capture(task.id, "VERSION", "1.3").unwrap();
    let want: BTreeMap<String, String> = [
        ("HOST".to_string(), "web01".to_string()),
        ("VERSION".to_string(), "1.3".to_string()),
    ]
    .into();
    assert_eq!(store.captures(task.id).unwrap(), want);
}

fn sql_results(store: &Store) {
    let task = task_in(store, TaskState::Running);
    assert!(store.sql_results(task.id).unwrap().is_empty());
    let first = vec![
        serde_json::json!({"statement": 1, "affected": 3}),
        serde_json::json!({"statement": 2, "error": "it's \"quoted\""}),
    ];
    store.put_sql_results(task.id, &first).unwrap();
    assert_eq!(store.sql_results(task.id).unwrap(), first);
    // Replaced as a whole, in statement order.
    let second = vec![serde_json::json!({"statement": 1, "affected": 0})];
    store.put_sql_results(task.id, &second).unwrap();
    assert_eq!(store.sql_results(task.id).unwrap(), second);
}

fn task_counts(store: &Store) {
    assert!(store.task_counts().unwrap().is_empty());
    task_in(store, TaskState::Running);
    task_in(store, TaskState::Running);
    task_in(store, TaskState::Failed);
    let mut got = store.task_counts().unwrap();
    got.sort_by_key(|(s, _)| s.as_str());
    assert_eq!(got, vec![(TaskState::Failed, 1), (TaskState::Running, 2)]);
}

fn line(task_id: i64, seq: u64) -> LogLine {
    LogLine {
        task_id,
        seq,
        step_run_id: (!seq.is_multiple_of(3)).then_some(3),
        host: (!seq.is_multiple_of(5)).then(|| "web01".to_string()),
        ts: Utc::now(),
        stream: if seq.is_multiple_of(2) {
            Stream::Stdout
        } else {
            Stream::Stderr
        },
        text: format!("line {seq} 中文 \u{1F600}"),
    }
}

fn log_paging(store: &Store) {
    let writer = opsdeck::store::LogWriter::spawn(store).unwrap();
    let tx = writer.sender();
    let sent: Vec<LogLine> = (1..=3_000).map(|s| line(7, s)).collect();
    for l in &sent {
        tx.blocking_send(l.clone()).unwrap();
    }
    tx.blocking_send(line(8, 1)).unwrap();
    // A line sent again under the same sequence number replaces the first.
    let mut again = line(8, 1);
    again.text = "replaced".into();
    tx.blocking_send(again).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(tx.flush()).unwrap();
    assert_eq!(store.log_count(7).unwrap(), 3_000);
    assert_eq!(store.last_log_seq(7).unwrap(), 3_000);
    assert_eq!(store.last_log_seq(9).unwrap(), 0);
    assert_eq!(store.log_count(9).unwrap(), 0);
    assert_eq!(store.logs(8, 1, 10).unwrap()[0].text, "replaced");
    // Pages of 700 from 1 give every line once, in order, as sent.
    let mut got = Vec::new();
    let mut from = 1;
    loop {
        let page = store.logs(7, from, 700).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 700);
        from = page.last().unwrap().seq + 1;
        got.extend(page);
    }
    assert_eq!(got.len(), sent.len());
    for (g, s) in got.iter().zip(&sent) {
        assert_eq!(
            (g.task_id, g.seq, g.step_run_id, &g.host, g.stream, &g.text),
            (s.task_id, s.seq, s.step_run_id, &s.host, s.stream, &s.text)
        );
        assert_eq!(g.ts.timestamp_micros(), s.ts.timestamp_micros());
    }
    let tail = store.logs(7, 2_995, 100).unwrap();
    assert_eq!(
        tail.iter().map(|l| l.seq).collect::<Vec<_>>(),
        (2_995..=3_000).collect::<Vec<_>>()
    );
    assert!(store.logs(7, 3_001, 10).unwrap().is_empty());
    drop(tx);
    writer.shutdown();
}

fn audit(store: &Store) {
    store
        .audit("alice", "submit", Some(1), "template 9001")
        .unwrap();
    store.audit("bob", "approve", Some(1), "").unwrap();
    store
        .audit("bob", "import-inventory", None, "3 hosts")
        .unwrap();
    store.audit("carol", "cancel", Some(2), "").unwrap();
    let one = store.audit_entries(Some(1), 10).unwrap();
    let got: Vec<(&str, &str, Option<i64>, &str)> = one
        .iter()
        .map(|e| {
            (
                e.actor.as_str(),
                e.action.as_str(),
                e.task_id,
                e.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("alice", "submit", Some(1), "template 9001"),
            ("bob", "approve", Some(1), "")
        ]
    );
    let all = store.audit_entries(None, 10).unwrap();
    assert_eq!(all.len(), 4);
    assert!(
        all.windows(2)
            .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at),
        "oldest first"
    );
    assert_eq!(all[2].task_id, None);
    assert_eq!(store.audit_entries(None, 2).unwrap().len(), 2);
    assert!(store.audit_entries(Some(99), 10).unwrap().is_empty());
}

fn users(store: &Store) {
    let bob = User {
        name: "bob".into(),
        display_name: "Bob 鲍勃".into(),
        role: Role::Admin,
    };
    let amy = User {
        name: "amy".into(),
        display_name: String::new(),
        role: Role::Operator,
    };
    store.put_user(&bob, Some("h1")).unwrap();
    store.put_user(&amy, None).unwrap();
    assert_eq!(
        store.users().unwrap(),
        vec![amy.clone(), bob.clone()],
        "by name"
    );
    assert_eq!(store.user("bob").unwrap(), Some(bob.clone()));
    assert_eq!(store.user("zed").unwrap(), None);
    assert_eq!(store.user_by_token_hash("h1").unwrap(), Some(bob.clone()));
    assert_eq!(store.user_by_token_hash("nope").unwrap(), None);
    // Updating the role keeps the token; a new hash replaces it.
    let viewer = User {
        role: Role::Viewer,
        ..bob.clone()
    };
    store.put_user(&viewer, None).unwrap();
    assert_eq!(
        store.user_by_token_hash("h1").unwrap(),
        Some(viewer.clone())
    );
    store.put_user(&viewer, Some("h2")).unwrap();
    assert_eq!(store.user_by_token_hash("h1").unwrap(), None);
    assert_eq!(store.user_by_token_hash("h2").unwrap(), Some(viewer));
    store.put_user(&bob, None).unwrap();
    assert!(store.disable_user("bob").unwrap());
    assert_eq!(store.user_by_token_hash("h2").unwrap(), None);
    assert_eq!(store.user("bob").unwrap().unwrap().role, Role::Viewer);
    assert!(store.remove_user("bob").unwrap());
    assert_eq!(store.user("bob").unwrap(), None);
    assert!(!store.remove_user("bob").unwrap());
    assert!(!store.disable_user("bob").unwrap());
    assert_eq!(store.users().unwrap(), vec![amy]);
}

fn host(name: &str) -> Host {
    Host {
        name: name.into(),
        address: format!("{name}.example.com"),
        port: 2222,
        exec_user: Some("deploy".into()),
        connection: Connection::Ssh,
    }
}

fn sample() -> Inventory {
    Inventory {
        exec_users: vec![ExecUser {
            alias: "deploy".into(),
            user: "deploy".into(),
            key: Some("/keys/id".into()),
        }],
        hosts: vec![host("web02"), host("web01"), host("jump")],
        tags: vec![Tag {
            name: "web".into(),
            hosts: vec!["web01".into(), "web02".into()],
            proxy: Some("jump".into()),
            databases: vec![],
            users: vec!["alice".into()],
            windows: vec!["Sat 01:00-05:00 Asia/Shanghai".into()],
            outside_window: opsdeck::model::inventory::OutsideWindow::Fail,
            sql_via: opsdeck::model::inventory::SqlVia::Client,
            max_update_rows: Some(100),
            osc_min_table_mb: Some(0),
            osc_args: vec!["--chunk-size".into(), "500".into()],
        }],
        apps: vec![],
        users: vec![User {
            name: "alice".into(),
            display_name: "Alice".into(),
            role: Role::Approver,
        }],
    }
}

fn inventory(store: &Store) {
    assert_eq!(store.load_inventory().unwrap(), Inventory::default());
    let saved = store.import_inventory(sample(), false).unwrap().unwrap();
    assert_eq!(saved, sample());
    assert_eq!(store.load_inventory().unwrap(), sample(), "order kept");
    // An invalid merge changes nothing.
    let mut bad = Inventory::default();
    bad.tags.push(Tag {
        name: "db".into(),
        hosts: vec!["web01".into()],
        proxy: Some("nowhere".into()),
        databases: vec![],
        users: vec![],
        windows: vec![],
        outside_window: Default::default(),
        sql_via: Default::default(),
        max_update_rows: None,
        osc_min_table_mb: None,
        osc_args: Vec::new(),
    });
    let errs = store.import_inventory(bad, false).unwrap().unwrap_err();
    assert!(errs.to_string().contains("nowhere"));
    assert_eq!(store.load_inventory().unwrap(), sample());
    // Merging adds; replacing drops what the new file lacks but keeps users (and their tokens).
    store.put_user(&sample().users[0], Some("tok")).unwrap();
    let more = Inventory {
        hosts: vec![host("web03")],
        ..Default::default()
    };
    let merged = store.import_inventory(more, false).unwrap().unwrap();
    assert_eq!(merged.hosts.len(), 4);
    let only = Inventory {
        hosts: vec![Host {
            exec_user: None,
            ..host("solo")
        }],
        ..Default::default()
    };
    let inv = store.import_inventory(only, true).unwrap().unwrap();
    assert_eq!(inv.hosts.len(), 1);
    assert!(inv.tags.is_empty() && inv.exec_users.is_empty());
    assert_eq!(store.load_inventory().unwrap(), inv);
    assert_eq!(inv.users.len(), 1, "users survive a replace");
    assert_eq!(
        store.user_by_token_hash("tok").unwrap().map(|u| u.name),
        Some("alice".to_string())
    );
}

/// Text PostgreSQL cannot hold (NUL) and other controls reach every text column the same way on
/// both stores: NUL is stored as U+2400 `␀`, other characters as they are, nothing fails.
fn hostile_text(store: &Store) {
    const NUL: &str = "a\0b\x1b[2J\r\u{9b}\u{FFFD}";
    const SHOWN: &str = "a\u{2400}b\x1b[2J\r\u{9b}\u{FFFD}";
    let mut t = template(1, "true");
    t.name = NUL.into();
    let v = store.put_template(&t, NUL, NUL).unwrap();
    let got = store.template(1, None).unwrap().unwrap();
    assert_eq!(
        (got.source.as_str(), got.created_by.as_str()),
        (SHOWN, SHOWN)
    );
    // JSON columns escape NUL (`\u0000`), so it comes back as it went in.
    assert_eq!(got.template.name, NUL);
    let mut s = spec(1, &["a"]);
    s.name = NUL.into();
    s.args.insert("K".into(), NUL.into());
    let task = store.insert_task(&s, &t, v, TaskState::Running).unwrap();
    let back = store.task(task.id).unwrap().unwrap();
    assert_eq!(back.spec.args["K"], NUL);
    let run = store.step_runs(task.id).unwrap().remove(0);
    store
        .set_step_state(run.id, StepState::Failed, Some(1), NUL)
        .unwrap();
    assert_eq!(store.step_run(run.id).unwrap().unwrap().reason, SHOWN);
    store.put_capture(task.id, "OUT", NUL).unwrap();
    assert_eq!(store.captures(task.id).unwrap()["OUT"], SHOWN);
    store.audit(NUL, "submit", Some(task.id), NUL).unwrap();
    let entry = store.audit_entries(Some(task.id), 10).unwrap().remove(0);
    assert_eq!(
        (entry.actor.as_str(), entry.detail.as_str()),
        (SHOWN, SHOWN)
    );
    let user = User {
        name: "eve".into(),
        display_name: NUL.into(),
        role: Role::Viewer,
    };
    store.put_user(&user, None).unwrap();
    assert_eq!(store.user("eve").unwrap().unwrap().display_name, SHOWN);
    // A batch of host output with NUL, controls and a 64 KiB line is stored, never retried forever.
    let writer = opsdeck::store::LogWriter::spawn(store).unwrap();
    let tx = writer.sender();
    let mut l = line(task.id, 1);
    l.text = NUL.into();
    tx.blocking_send(l).unwrap();
    let mut long = line(task.id, 2);
    long.text = "\0".repeat(64 * 1024);
    tx.blocking_send(long).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(tx.flush()).unwrap();
    let logs = store.logs(task.id, 1, 10).unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].text, SHOWN);
    assert_eq!(logs[1].text, "\u{2400}".repeat(64 * 1024));
    drop(tx);
    writer.shutdown();
}
