//! SQL audit and SQL optimize online end to end: a real MariaDB behind a real sshd proxy host, the
//! forms building the tasks, the engine running templates 9001 and 9901 with the `mysql` client.

mod common;
mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use common::World;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{Lang, TaskState};
use opsdeck::modules::sql_optimize::{live_output, online_advice};
use opsdeck::modules::{Form, SqlAuditForm, SqlOptimizeForm};
use support::{Mariadb, Sshd, require_system};

const T: Duration = Duration::from_secs(90);

/// Every system part these tests need, or a skip (a failure under OPSDECK_REQUIRE_SYSTEM_TESTS).
fn have_system() -> bool {
    require_system(support::sshd::SSHD)
        && require_system(support::mariadb::MARIADBD)
        && require_system(support::mariadb::INSTALL_DB)
        && require_system("mysql")
}

/// The real `mysql` client, for the recording wrapper to hand over to.
fn real_mysql() -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v mysql"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A `mysql` first on the proxy sessions' PATH that appends its own argv and its parent's
/// (the step's shell) to `record`, then runs the real client.
fn install_recording_mysql(sshd: &Sshd, record: &Path) {
    let script = format!(
        "#!/bin/sh\n{{ printf 'argv:'; printf ' %s' \"$0\" \"$@\"; echo; \
         printf 'parent:'; tr '\\0' ' ' < /proc/$PPID/cmdline; echo; }} >> '{}'\nexec '{}' \"$@\"\n",
        record.display(),
        real_mysql()
    );
    let path = sshd.bin_dir.join("mysql");
    std::fs::write(&path, script).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
}

/// Proxy host `proxy` (an sshd address), tag `orders` whose write database is the MariaDB (schema
/// `shop`, password from a file), a read database that must not be used, and the users.
fn inventory(sshd: &Sshd, db: &Mariadb, password_file: &Path) -> String {
    inventory_via(sshd, db, password_file, "client")
}

/// The inventory with `sql_via` set on tag `orders`.
fn inventory_via(sshd: &Sshd, db: &Mariadb, password_file: &Path, via: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n\
         [[hosts]]\nname = \"proxy\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n\n\
         [[hosts]]\nname = \"app1\"\naddress = \"127.0.0.9\"\nexec_user = \"t\"\n\n\
         [[tags]]\nname = \"orders\"\nhosts = [\"app1\"]\nproxy = \"proxy\"\nsql_via = \"{}\"\n\
         [[tags.databases]]\nname = \"orders-rw\"\nhost = \"{}\"\nport = {}\nuser = \"{}\"\n\
         schema = \"shop\"\npassword_file = \"{}\"\nrole = \"write\"\n\
         [[tags.databases]]\nname = \"orders-ro\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"nobody\"\nrole = \"read\"\n\n\
         [[users]]\nname = \"alice\"\nrole = \"operator\"\n\
         [[users]]\nname = \"bob\"\nrole = \"approver\"\n",
        sshd.user,
        sshd.client_key.display(),
        sshd.hosts[0].address,
        sshd.hosts[0].port,
        via,
        db.host,
        db.port,
        db.user,
        password_file.display(),
    );
    s
}

fn config(sshd: &Sshd) -> Config {
    Config {
        known_hosts: Some(sshd.known_hosts.clone()),
        connect_timeout: "10s".into(),
        ..Config::default()
    }
}

fn builtin(prefix: &str) -> &'static str {
    opsdeck::assets::BUILTIN_TEMPLATES
        .iter()
        .find(|(f, _)| f.starts_with(prefix))
        .map(|(_, src)| *src)
        .unwrap()
}

struct Setup {
    sshd: Sshd,
    db: Mariadb,
    w: World,
    record: std::path::PathBuf,
}

async fn setup() -> Setup {
    let sshd = Sshd::start(1);
    let db = Mariadb::start();
    db.sql(
        "CREATE DATABASE shop;\
         CREATE TABLE shop.items (id INT PRIMARY KEY, qty INT NOT NULL, status VARCHAR(16) NOT NULL, KEY idx_status (status));\
         INSERT INTO shop.items VALUES (1, 10, 'new'), (2, 20, 'paid');",
    )
    .unwrap();
    let record = sshd.dir.path().join("mysql-argv.log");
    install_recording_mysql(&sshd, &record);
    let pw_file = sshd.dir.path().join("db-password");
    std::fs::write(&pw_file, format!("{}\n", db.password)).unwrap();
    let inv = inventory(&sshd, &db, &pw_file);
    let w = World::new(&inv, &[builtin("9001"), builtin("9901")], config(&sshd)).await;
    Setup {
        sshd,
        db,
        w,
        record,
    }
}

fn items(db: &Mariadb) -> String {
    db.sql("SELECT id, qty, status FROM shop.items ORDER BY id")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_audit_runs_on_the_write_database_and_stops_at_the_first_failure() {
    if !have_system() {
        return;
    }
    let Setup {
        sshd,
        db,
        w,
        record,
    } = setup().await;
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();

    // An audit nobody approves: it must never run, whatever else runs meanwhile.
    let unapproved = SqlAuditForm {
        tag: "orders".into(),
        sql: "INSERT INTO items VALUES (99, 99, 'sneaky');".into(),
        approvers: vec!["bob".into()],
        ..SqlAuditForm::default()
    };
    let never = alice
        .submit(unapproved.to_spec(&ctx).unwrap())
        .await
        .unwrap();
    assert_eq!(never.state, TaskState::PendingApproval);

    // The submitter cannot approve their own audit.
    assert!(alice.approve(never.id, None).await.is_err());

    // 1. Approved: every statement runs, the table changes.
    let form = SqlAuditForm {
        tag: "orders".into(),
        sql: "UPDATE items SET qty = qty + 5 WHERE id = 1;\n\
              INSERT INTO items (id, qty, status)\n  VALUES (3, 30, 'new');\n"
            .into(),
        approvers: vec!["bob".into()],
        ..SqlAuditForm::default()
    };
    let spec = form.to_spec(&ctx).unwrap();
    assert!(spec.extra["score"]["statements"].is_array());
    let t = alice.submit(spec).await.unwrap();
    assert_eq!(t.state, TaskState::PendingApproval);
    assert_eq!(
        items(&db),
        "1\t10\tnew\n2\t20\tpaid\n",
        "nothing runs before approval"
    );
    bob.approve(t.id, None).await.unwrap();
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    assert_eq!(items(&db), "1\t15\tnew\n2\t20\tpaid\n3\t30\tnew\n");
    assert!(
        log.iter()
            .filter(|l| l.starts_with("proxy|stdout|Query OK, 1 row affected"))
            .count()
            == 2,
        "{log:#?}"
    );

    // 2. A failing statement: reported with its number and the server's message; later ones never run.
    let form = SqlAuditForm {
        tag: "orders".into(),
        sql: "UPDATE items SET qty = 0 WHERE id = 2;\n\
              -- the next table does not exist\n\
              INSERT INTO\n  nope (id) VALUES (1);\n\
              INSERT INTO items VALUES (4, 40, 'late');\n"
            .into(),
        approvers: vec!["bob".into()],
        ..SqlAuditForm::default()
    };
    let t2 = alice.submit(form.to_spec(&ctx).unwrap()).await.unwrap();
    bob.approve(t2.id, None).await.unwrap();
    let state = w.wait_state(t2.id, None, T).await;
    let log2 = w.log_text(t2.id).await;
    assert_eq!(state, TaskState::Failed, "{log2:#?}");
    assert!(
        log2.iter().any(|l| l.starts_with("proxy|stderr|ERROR 1146")
            && l.contains("Table 'shop.nope' doesn't exist")),
        "{log2:#?}"
    );
    assert!(
        log2.iter().any(|l| l
            == "proxy|stderr|opsdeck: statement 2 of 3 failed (line 3): Table 'shop.nope' doesn't exist"),
        "{log2:#?}"
    );
    assert_eq!(
        items(&db),
        "1\t15\tnew\n2\t0\tpaid\n3\t30\tnew\n",
        "statement 1 applied, statement 3 never ran"
    );

    // The unapproved audit is still waiting and never touched the database; rejecting it ends it.
    let d = alice.task(never.id).await.unwrap();
    assert_eq!(d.task.state, TaskState::PendingApproval);
    assert!(
        d.steps.iter().all(|s| s.started_at.is_none()),
        "{:?}",
        d.steps
    );
    assert!(w.log_text(never.id).await.is_empty());
    bob.reject(never.id, "not today").await.unwrap();
    assert_eq!(w.wait_state(never.id, None, T).await, TaskState::Rejected);
    assert!(!items(&db).contains("sneaky"));

    // The password is in no stored log line of any task and in no process's argv.
    for id in [t.id, t2.id, never.id] {
        for l in w.log_text(id).await {
            assert!(!l.contains(&db.password), "password in a log line: {l}");
        }
    }
    let argv = std::fs::read_to_string(&record).unwrap();
    assert_eq!(
        argv.lines().filter(|l| l.starts_with("argv:")).count(),
        2,
        "one client per approved audit: {argv}"
    );
    assert!(argv.contains(&format!("-u {}", db.user)), "{argv}");
    assert!(
        argv.contains("--binary-mode") && argv.contains("--local-infile=0"),
        "{argv}"
    );
    assert!(argv.contains("parent:"), "{argv}");
    assert!(!argv.contains(&db.password), "password in an argv: {argv}");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_optimize_online_reads_indexes_through_the_proxy_and_advises() {
    if !have_system() {
        return;
    }
    let Setup {
        sshd,
        db,
        w,
        record,
    } = setup().await;
    let alice = w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();
    let sql = "SELECT id, qty FROM items WHERE status = 'new' AND qty > 5 ORDER BY id";
    let form = SqlOptimizeForm {
        tag: "orders".into(),
        database: "orders-rw".into(),
        sql: sql.into(),
        ..SqlOptimizeForm::default()
    };
    let spec = form.to_spec(&ctx).unwrap();
    assert_eq!(spec.args["TABLES"], "items");
    let t = alice.submit(spec).await.unwrap();
    assert_eq!(
        t.state,
        TaskState::Scheduled,
        "online advice needs no approval"
    );
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    let lines = alice.logs(t.id, 1, 100_000).await.unwrap();
    let out = live_output(&lines);
    let r = online_advice(sql, &out, Lang::En).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(r.live.errors.is_empty(), "{:?}", r.live.errors);
    let explain = r.live.explain.as_ref().expect("EXPLAIN JSON parsed");
    assert!(explain.get("query_block").is_some(), "{explain}");
    let items = r.live.table("items").expect("items section");
    let names: Vec<&str> = items.indexes.iter().map(|i| i.name.as_str()).collect();
    assert!(
        names.contains(&"PRIMARY") && names.contains(&"idx_status"),
        "{names:?}"
    );
    assert!(items.cardinality.contains_key("status"), "{items:?}");
    assert!(items.rows.is_some(), "{items:?}");
    assert!(r.advice.live);
    // status is indexed already: the advice builds on it (status, qty) and never re-adds status alone.
    assert!(
        !r.advice.advice.iter().any(|a| a.columns == ["status"]),
        "{:?}",
        r.advice
    );
    assert!(
        r.advice
            .advice
            .iter()
            .all(|a| a.ddl.starts_with("ALTER TABLE")),
        "{:?}",
        r.advice
    );
    for l in &log {
        assert!(!l.contains(&db.password), "password in a log line: {l}");
    }
    let argv = std::fs::read_to_string(&record).unwrap();
    assert!(!argv.contains(&db.password), "password in an argv: {argv}");
    w.stop().await;
}

/// `opsdeck submit sql-optimize --online` through the real binary: submits 9901, waits, prints the advice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_online_advice() {
    if !have_system() {
        return;
    }
    let Setup { sshd, db, w, .. } = setup().await;
    w.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "known_hosts = \"{}\"\nconnect_timeout = \"10s\"\n",
            sshd.known_hosts.display()
        ),
    )
    .unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, &db.password).unwrap();
    let inv = dir.path().join("inventory.toml");
    std::fs::write(&inv, inventory(&sshd, &db, &pw_file)).unwrap();
    let cmd = || {
        let mut c = assert_cmd::Command::cargo_bin("opsdeck").unwrap();
        c.env("OPSDECK_CONFIG", &config)
            .env("OPSDECK_DATA_DIR", dir.path().join("data"))
            .env("USER", "alice");
        c
    };
    cmd()
        .args(["inventory", "import"])
        .arg(&inv)
        .assert()
        .success();
    let out = cmd()
        .args([
            "submit",
            "sql-optimize",
            "--online",
            "--tag",
            "orders",
            "--database",
            "orders-rw",
            "--json",
            "--sql",
            "SELECT id FROM items WHERE status = 'new' AND qty > 5",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", sshd.logs());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["advice"]["live"].as_bool().unwrap(), "{v}");
    let idx = v["live"]["tables"]["items"]["indexes"].as_array().unwrap();
    assert!(idx.iter().any(|i| i["name"] == "idx_status"), "{v}");
    assert!(v["live"]["explain"]["query_block"].is_object(), "{v}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&db.password));
}
