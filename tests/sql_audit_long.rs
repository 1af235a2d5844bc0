//! Long SQL audit statements end to end, a real MariaDB behind a real sshd proxy host: an ALTER on
//! a table above the tag's `osc_min_table_mb` runs through pt-online-schema-change on the proxy (the
//! approver is told so) and a cancel mid-copy leaves no trigger and no shadow table; a cancelled
//! long UPDATE through the tunnel is killed on the server (KILL QUERY); the undo of an audit is
//! offered through the API (`POST /tasks/{id}/rollback`).

mod common;
mod support;

use std::time::Duration;

use common::World;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{Role, StepState, TaskState};
use opsdeck::modules::{Form, SqlAuditForm};
use opsdeck::sqlaudit::{StatementResult, StatementStatus};
use serde_json::json;
use support::{Mariadb, Sshd, require_system};

const T: Duration = Duration::from_secs(120);
const TOOL: &str = "/usr/bin/pt-online-schema-change";

fn have_system() -> bool {
    require_system(support::sshd::SSHD)
        && require_system(support::mariadb::MARIADBD)
        && require_system(support::mariadb::INSTALL_DB)
        && require_system(TOOL)
}

/// Tag `orders` whose every ALTER runs online (threshold 0), slowed down so a copy can be caught.
fn inventory(sshd: &Sshd, db: &Mariadb, password_file: &std::path::Path) -> String {
    support::sql_tag::orders_inventory(
        sshd,
        db,
        password_file,
        "osc_min_table_mb = 0\n\
         osc_args = [\"--chunk-size\", \"50\", \"--chunk-time\", \"0\", \"--sleep\", \"0.2\"]\n",
    )
}

fn form(sql: &str) -> SqlAuditForm {
    SqlAuditForm {
        tag: "orders".into(),
        sql: sql.into(),
        approvers: vec!["bob".into()],
        ..SqlAuditForm::default()
    }
}

/// The triggers on `shop.<table>` and the tables of `shop`, one per line.
fn leftovers(db: &Mariadb, table: &str) -> (String, String) {
    let triggers = db
        .sql(&format!(
            "SELECT trigger_name FROM information_schema.triggers WHERE event_object_schema = 'shop' \
             AND event_object_table = '{table}'"
        ))
        .unwrap();
    let tables = db
        .sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1")
        .unwrap();
    (triggers, tables)
}

fn processes() -> String {
    let out = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The proxy, the database (`shop.items`: 3 rows; `shop.big`: 4,000) and an engine keeping
/// before-images of at most 2 rows per statement (small enough for a test to pass it).
async fn setup() -> (Sshd, Mariadb, World) {
    setup_with(2).await
}

/// [`setup`] with the config's `sql_backup_max_rows`.
async fn setup_with(backup_cap: usize) -> (Sshd, Mariadb, World) {
    let sshd = Sshd::start(1);
    let db = Mariadb::start();
    // `big`: 4,000 rows, copied 50 at a time with a 0.2 s pause: over 15 s of copying.
    let mut sql = String::from(
        "CREATE DATABASE shop;\
         CREATE TABLE shop.items (id INT PRIMARY KEY, qty INT NOT NULL);\
         INSERT INTO shop.items VALUES (1, 10), (2, 20), (3, 30);\
         CREATE TABLE shop.big (id INT PRIMARY KEY, pad VARCHAR(64) NOT NULL);\
         INSERT INTO shop.big SELECT seq, REPEAT('x', 60) FROM shop.seq_1_to_4000;",
    );
    sql.push('\n');
    db.sql(&sql).unwrap();
    let pw_file = sshd.dir.path().join("db-password");
    std::fs::write(&pw_file, format!("{}\n", db.password)).unwrap();
    let config = Config {
        known_hosts: Some(sshd.known_hosts.clone()),
        connect_timeout: "10s".into(),
        sql_backup_max_rows: backup_cap,
        ..Config::default()
    };
    let w = World::new(
        &inventory(&sshd, &db, &pw_file),
        &[support::sql_tag::builtin("9001")],
        config,
    )
    .await;
    (sshd, db, w)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_alters_run_online_and_a_cancel_leaves_no_triggers_or_shadow_table() {
    if !have_system() {
        return;
    }
    let (sshd, db, w) = setup().await;
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();

    // 0. A table without any key cannot go through the tool: the approver is warned.
    db.sql("CREATE TABLE shop.nokey (a INT)").unwrap();
    let t = alice
        .submit(
            form("ALTER TABLE nokey ADD COLUMN b INT;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    let check = &t.spec.extra["online"]["statements"][0];
    assert!(
        check["warnings"]
            .to_string()
            .contains("has no primary or unique key: pt-online-schema-change will refuse it"),
        "{check}"
    );
    db.sql("DROP TABLE shop.nokey").unwrap();

    // 1. Above the threshold (0 MiB): the approver is told it runs online; it does, through the
    //    tool on the proxy, and the column exists after; the tool left nothing behind.
    let t = alice
        .submit(
            form("ALTER TABLE items ADD COLUMN note VARCHAR(8) NULL;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    let check = &t.spec.extra["online"]["statements"][0];
    assert_eq!(check["alter_via"], "online", "{check}");
    assert!(
        check["notes"]
            .to_string()
            .contains("runs online through pt-online-schema-change on proxy `proxy`"),
        "{check}"
    );
    let shown = opsdeck::model::sql_audit::detail_lines(&t.spec, &[]).join("\n");
    assert!(
        shown.contains("runs online (pt-online-schema-change)"),
        "{shown}"
    );
    bob.approve(t.id, None).await.unwrap();
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    assert!(
        log.iter()
            .any(|l| l.contains("Successfully altered `shop`.`items`")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains("running online: pt-online-schema-change --execute --alter 'ADD COLUMN note VARCHAR(8) NULL'")),
        "{log:#?}"
    );
    assert_eq!(
        db.sql("SELECT column_name FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'items' ORDER BY ordinal_position")
            .unwrap(),
        "id\nqty\nnote\n"
    );
    assert_eq!(
        leftovers(&db, "items"),
        (String::new(), "big\nitems\n".into())
    );
    let d = alice.task(t.id).await.unwrap();
    let r: StatementResult = serde_json::from_value(d.sql_results[0].clone()).unwrap();
    assert_eq!(r.status, StatementStatus::Done);
    assert_eq!(
        r.inverse.as_deref(),
        Some("ALTER TABLE items DROP COLUMN note"),
        "{r:?}"
    );

    // 2. Cancel mid-copy: the tool stops, and neither its triggers nor `_big_new` remain; the
    //    password was never on a command line nor in the log.
    let t = alice
        .submit(
            form("ALTER TABLE big ADD COLUMN extra INT NULL;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    let mut seen_password: Vec<String> = Vec::new();
    loop {
        seen_password.extend(
            processes()
                .lines()
                .filter(|l| l.contains(&db.password))
                .map(str::to_string),
        );
        let copied = db
            .sql("SELECT COUNT(*) FROM shop._big_new")
            .ok()
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if copied >= 200 {
            break;
        }
        let state = w.store.task(t.id).unwrap().unwrap().state;
        assert!(
            !state.is_final(),
            "the copy ended before the cancel: {state:?}\n{:#?}",
            w.log_text(t.id).await
        );
        assert!(tokio::time::Instant::now() < deadline, "no copy seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (triggers, tables) = leftovers(&db, "big");
    assert_eq!(triggers.lines().count(), 3, "mid-copy: {triggers}");
    assert!(tables.contains("_big_new"), "{tables}");
    alice.cancel(t.id).await.unwrap();
    assert_eq!(
        w.wait_state(t.id, None, T).await,
        TaskState::Cancelled,
        "{:#?}",
        w.log_text(t.id).await
    );
    // The task is cancelled at once; the step ends once the tool stopped and was cleaned up after.
    wait_step_cancelled(&w, t.id).await;
    let log = w.log_text(t.id).await;
    assert_eq!(
        leftovers(&db, "big"),
        (String::new(), "big\nitems\n".into()),
        "{log:#?}"
    );
    // Triggers first: a trigger writing into a dropped shadow table would break writes to `big`.
    let at = |what: &str| log.iter().position(|l| l.contains(what));
    let (trigger, table) = (
        at("opsdeck: dropped the trigger pt-online-schema-change left"),
        at("opsdeck: dropped the shadow table pt-online-schema-change left"),
    );
    assert!(
        trigger.is_some() && table.is_some() && trigger < table,
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("pt-online-schema-change was stopped")),
        "{log:#?}"
    );
    assert!(
        !db.sql("SHOW CREATE TABLE shop.big")
            .unwrap()
            .contains("extra"),
        "the ALTER was not applied"
    );
    assert_eq!(
        db.sql("SELECT COUNT(*) FROM shop.big").unwrap(),
        "4000\n",
        "no row lost"
    );
    assert!(
        !processes().contains("t=big"),
        "the tool still runs:\n{}",
        processes()
    );
    assert!(
        seen_password.is_empty(),
        "the password was on a command line: {seen_password:?}"
    );
    // The private option file (it holds the password) is gone from the proxy too.
    let option_dirs: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("opsdeck-osc-"))
        .map(|e| e.path())
        .collect();
    assert!(option_dirs.is_empty(), "left on the proxy: {option_dirs:?}");
    for id in 1..=t.id {
        for l in w.log_text(id).await {
            assert!(!l.contains(&db.password), "password in a log line: {l}");
        }
    }
    w.stop().await;
}

async fn wait_step_cancelled(w: &World, id: i64) {
    let deadline = tokio::time::Instant::now() + T;
    while w.store.step_runs(id).unwrap()[0].state != StepState::Cancelled {
        assert!(tokio::time::Instant::now() < deadline, "step still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_statement_is_killed_on_the_server() {
    if !have_system() {
        return;
    }
    let (_sshd, db, w) = setup().await;
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();
    // A statement that only a KILL stops: SLEEP() would also end when its client disconnects, a
    // three-way join of 4,000 rows (64e9 combinations) does not notice.
    let running = "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'UPDATE items SET qty = qty + (SELECT%'";
    let t = alice
        .submit(
            form(
                "UPDATE items SET qty = qty + (SELECT COUNT(*) FROM big a, big b, big c \
                 WHERE a.pad = b.pad AND b.pad = c.pad) WHERE id = 1;",
            )
            .to_spec(&ctx)
            .unwrap(),
        )
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    while db.sql(running).unwrap() != "1\n" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the UPDATE never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cancelled_at = std::time::Instant::now();
    alice.cancel(t.id).await.unwrap();
    wait_step_cancelled(&w, t.id).await;
    let log = w.log_text(t.id).await;
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(15),
        "the cancel took {:?}\n{log:#?}",
        cancelled_at.elapsed()
    );
    // Killed on the server: gone from the processlist at once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while db.sql(running).unwrap() != "0\n" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the query still runs on the server\n{log:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        log.iter()
            .any(|l| l.contains("the server's query was killed (KILL QUERY")),
        "{log:#?}"
    );
    let r: StatementResult =
        serde_json::from_value(alice.task(t.id).await.unwrap().sql_results[0].clone()).unwrap();
    assert_eq!(r.status, StatementStatus::Failed, "{r:?}");
    assert_eq!(
        db.sql("SELECT qty FROM shop.items WHERE id = 1").unwrap(),
        "10\n",
        "the killed UPDATE changed nothing"
    );
    w.stop().await;
}

/// `opsdeck serve` over the test's engine; answers its address and a token for each user.
async fn api(w: &World, users: &[(&str, Role)]) -> (String, Vec<String>) {
    let state = opsdeck::api::server::AppState::new(
        w.store.clone(),
        w.config.clone(),
        w.dir.path().to_path_buf(),
        Some(w.engine.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    tokio::spawn(opsdeck::api::server::serve(
        listener,
        state,
        std::future::pending::<()>(),
    ));
    let mut tokens = Vec::new();
    for (name, role) in users {
        let (token, hash) = opsdeck::api::auth::new_token().unwrap();
        let u = opsdeck::model::User {
            name: name.to_string(),
            display_name: String::new(),
            role: *role,
        };
        w.store.put_user(&u, Some(&hash)).unwrap();
        tokens.push(token);
    }
    (url, tokens)
}

async fn post(url: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_shows_and_submits_the_rollback_of_an_audit() {
    if !have_system() {
        return;
    }
    let (_sshd, db, w) = setup().await;
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();
    let (url, tokens) = api(&w, &[("alice", Role::Operator), ("val", Role::Viewer)]).await;
    let (op, viewer) = (&tokens[0], &tokens[1]);
    let t = alice
        .submit(
            form(
                "UPDATE items SET qty = 11 WHERE id = 1;\nUPDATE big SET pad = 'y' WHERE id <= 3;",
            )
            .to_spec(&ctx)
            .unwrap(),
        )
        .await
        .unwrap();
    // Not finished yet: nothing to roll back (409), and nothing stored.
    let (st, b) = post(
        &format!("{url}/tasks/{}/rollback?dry_run=true", t.id),
        op,
        json!({}),
    )
    .await;
    assert_eq!(st, 409, "{b}");
    assert!(
        b["message"]
            .to_string()
            .contains("roll back once it has finished"),
        "{b}"
    );
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
    assert_eq!(
        db.sql("SELECT qty FROM shop.items WHERE id = 1").unwrap(),
        "11\n"
    );

    // dry_run: the SQL and nothing stored.
    let (st, b) = post(
        &format!("{url}/tasks/{}/rollback?dry_run=true", t.id),
        op,
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        (b["of"].as_i64(), b["statements"].as_u64()),
        (Some(t.id), Some(1)),
        "{b}"
    );
    assert!(b["sql"].as_str().unwrap().starts_with("UPDATE "), "{b}");
    // Three rows are above the configured backup cap (2): that statement is not undone, and says so.
    assert!(
        b["notes"]
            .to_string()
            .contains("3 rows exceed the backup cap of 2 (config sql_backup_max_rows)"),
        "{b}"
    );
    assert_eq!(w.store.tasks(&Default::default()).unwrap().len(), 1);
    // A viewer may not; an operator must name an approver.
    let (st, _) = post(&format!("{url}/tasks/{}/rollback", t.id), viewer, json!({})).await;
    assert_eq!(st, 403);
    let (st, b) = post(&format!("{url}/tasks/{}/rollback", t.id), op, json!({})).await;
    assert_eq!(st, 400, "{b}");
    assert!(b.to_string().contains("approvers"), "{b}");
    let (st, b) = post(
        &format!("{url}/tasks/{}/rollback", t.id),
        op,
        json!({"approvers": ["bob"], "bogus": 1}),
    )
    .await;
    assert_eq!(st, 400, "{b}");
    assert_eq!(w.store.tasks(&Default::default()).unwrap().len(), 1);

    // Submitted: a new audit that needs approval and names the original; approved, it restores.
    let (st, rb) = post(
        &format!("{url}/tasks/{}/rollback", t.id),
        op,
        json!({"approvers": ["bob"]}),
    )
    .await;
    assert_eq!(st, 201, "{rb}");
    assert_eq!(rb["state"], "pending_approval", "{rb}");
    assert_eq!(rb["spec"]["extra"]["rollback"]["of"], t.id, "{rb}");
    let rid = rb["id"].as_i64().unwrap();
    bob.approve(rid, None).await.unwrap();
    assert_eq!(w.wait_state(rid, None, T).await, TaskState::Succeeded);
    assert_eq!(
        db.sql("SELECT qty FROM shop.items WHERE id = 1").unwrap(),
        "10\n"
    );
    w.stop().await;
}

/// The median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// docs/BENCHMARKS.md, "SQL audit through the tunnel": the backup's overhead on an UPDATE of
/// 10,000 rows and the server check's latency for 50 statements, medians of 5 runs. Prints the
/// figures. `cargo test --test sql_audit_long -- --ignored --nocapture bench`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints figures for docs/BENCHMARKS.md"]
async fn bench_backup_overhead_and_online_check_latency() {
    if !have_system() {
        return;
    }
    let (_sshd, db, w) = setup_with(opsdeck::model::sql_backup::BACKUP_MAX_ROWS).await;
    // The same rows keyed (backed up) and in an unkeyed twin (no key: no backup; otherwise the
    // same path: tunnel, engine, results stored).
    db.sql(
        "CREATE TABLE shop.t10k (id INT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(32) NOT NULL);\
         INSERT INTO shop.t10k SELECT seq, 0, 'abcdefghijklmnopqrstuvwxyz' FROM shop.seq_1_to_10000;\
         CREATE TABLE shop.t10k_nokey (id INT NOT NULL, n INT NOT NULL, pad VARCHAR(32) NOT NULL);\
         INSERT INTO shop.t10k_nokey SELECT * FROM shop.t10k;",
    )
    .unwrap();
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();
    let run = |table: &'static str| {
        let (alice, bob, ctx, w) = (&alice, &bob, &ctx, &w);
        async move {
            let sql = format!("UPDATE {table} SET n = n + 1;");
            let t = alice
                .submit(form(&sql).to_spec(ctx).unwrap())
                .await
                .unwrap();
            bob.approve(t.id, None).await.unwrap();
            assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
            let r: StatementResult =
                serde_json::from_value(alice.task(t.id).await.unwrap().sql_results[0].clone())
                    .unwrap();
            assert_eq!(r.affected_rows, Some(10_000));
            assert_eq!(r.backup.is_some(), table == "t10k", "{r:?}");
            r.duration_ms.unwrap() as f64
        }
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        with.push(run("t10k").await);
        without.push(run("t10k_nokey").await);
    }
    let (a, b) = (median(&mut with), median(&mut without));
    println!(
        "BENCH backup: UPDATE of 10,000 rows with backup {a:.0} ms, without {b:.0} ms (median of 5), ratio {:.2}x",
        a / b
    );

    // The server check alone (connect through the proxy, then every statement), 50 statements
    // against 1.
    let mut fifty = String::new();
    for i in 0..50 {
        fifty.push_str(&match i % 5 {
            0 => format!("UPDATE items SET qty = qty + 1 WHERE id = {i};\n"),
            1 => format!("DELETE FROM big WHERE id = {i};\n"),
            2 => format!("INSERT INTO items (id, qty) VALUES ({}, 1);\n", 1000 + i),
            3 => "ALTER TABLE items ADD COLUMN c INT NULL;\n".to_string(),
            _ => format!(
                "UPDATE big SET pad = 'z' WHERE id BETWEEN {i} AND {};\n",
                i + 10
            ),
        });
    }
    let check = |sql: String| {
        let (ctx, w) = (&ctx, &w);
        async move {
            let spec = form(&sql).to_spec(ctx).unwrap();
            let t0 = std::time::Instant::now();
            let r =
                opsdeck::sqlaudit::online::check_spec(&spec, &ctx.inventory, &w.config, "submit")
                    .await
                    .unwrap();
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            assert!(r.statements.iter().all(|s| s.error.is_none()), "{r:?}");
            ms
        }
    };
    let (mut many, mut one) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        many.push(check(fifty.clone()).await);
        one.push(check("UPDATE items SET qty = 1 WHERE id = 1;\n".into()).await);
    }
    let (m, o) = (median(&mut many), median(&mut one));
    println!(
        "BENCH online check: 50 statements {m:.0} ms, 1 statement {o:.0} ms (median of 5; SSH connect + tunnel + login included), {:.2} ms per extra statement, ratio {:.1}x",
        (m - o) / 49.0,
        m / o
    );
    w.stop().await;
}
