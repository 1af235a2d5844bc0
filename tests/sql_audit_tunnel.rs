//! SQL audit through the SSH tunnel end to end: a real MariaDB behind a real sshd proxy host, opsdeck
//! speaking MySQL itself: the server's check at submit and approval, per-statement results as
//! data, stop at the first error, `transaction = true`, and the bad inputs (wrong password, a
//! proxy that forbids forwarding).

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::World;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::TaskState;
use opsdeck::modules::{Form, SqlAuditForm};
use opsdeck::sqlaudit::{StatementResult, StatementStatus};
use support::{Mariadb, Sshd, require_system};

const T: Duration = Duration::from_secs(90);

fn have_system() -> bool {
    require_system(support::sshd::SSHD)
        && require_system(support::mariadb::MARIADBD)
        && require_system(support::mariadb::INSTALL_DB)
}

/// Tag `orders` (tunnel, `max_update_rows` as given) whose write database is the MariaDB.
fn inventory(sshd: &Sshd, db: &Mariadb, password_file: &Path, max_rows: u64) -> String {
    support::sql_tag::orders_inventory(
        sshd,
        db,
        password_file,
        &format!("max_update_rows = {max_rows}\n"),
    )
}

struct Setup {
    sshd: Sshd,
    db: Mariadb,
    w: World,
    pw_file: PathBuf,
    /// Written by a `mysql` stand-in on the proxy: the tunnel route must never run it.
    client_record: PathBuf,
}

async fn setup(sshd: Sshd, max_rows: u64) -> Setup {
    let db = Mariadb::start();
    db.sql(
        "CREATE DATABASE shop;\
         CREATE TABLE shop.items (id INT PRIMARY KEY, qty INT NOT NULL, status VARCHAR(16) NOT NULL, KEY idx_status (status));\
         INSERT INTO shop.items VALUES (1, 10, 'new'), (2, 20, 'paid'), (3, 30, 'new');",
    )
    .unwrap();
    let client_record = sshd.dir.path().join("mysql-ran");
    let stand_in = sshd.bin_dir.join("mysql");
    std::fs::write(
        &stand_in,
        format!(
            "#!/bin/sh\necho ran >> '{}'\nexit 1\n",
            client_record.display()
        ),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&stand_in).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&stand_in, perm).unwrap();
    let pw_file = sshd.dir.path().join("db-password");
    std::fs::write(&pw_file, format!("{}\n", db.password)).unwrap();
    let config = Config {
        known_hosts: Some(sshd.known_hosts.clone()),
        connect_timeout: "10s".into(),
        ..Config::default()
    };
    let inv = inventory(&sshd, &db, &pw_file, max_rows);
    let w = World::new(&inv, &[support::sql_tag::builtin("9001")], config).await;
    Setup {
        sshd,
        db,
        w,
        pw_file,
        client_record,
    }
}

fn items(db: &Mariadb) -> String {
    db.sql("SELECT id, qty, status FROM shop.items ORDER BY id")
        .unwrap()
}

fn form(sql: &str) -> SqlAuditForm {
    SqlAuditForm {
        tag: "orders".into(),
        sql: sql.into(),
        approvers: vec!["bob".into()],
        ..SqlAuditForm::default()
    }
}

fn results(d: &opsdeck::backend::TaskDetail) -> Vec<StatementResult> {
    d.sql_results
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_run_through_the_tunnel_checked_by_the_server_with_results_as_data() {
    if !have_system() {
        return;
    }
    let s = setup(Sshd::start(1), 1).await;
    let (w, db) = (&s.w, &s.db);
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();

    // 1. Checked at submit: the server's verdict and row estimate travel with the task; two rows
    //    are above this tag's max_update_rows (1), a warning the approver sees.
    let f = form(
        "UPDATE items SET qty = qty + 1 WHERE status = 'new';\n\
         INSERT INTO items (id, qty, status)\n  VALUES (4, 40, 'new');\n",
    );
    let t = alice.submit(f.to_spec(&ctx).unwrap()).await.unwrap();
    assert_eq!(t.state, TaskState::PendingApproval);
    let online = &t.spec.extra["online"];
    let st = online["statements"].as_array().unwrap();
    assert_eq!(st.len(), 2, "{online}");
    assert!(st.iter().all(|s| s["verdict"] == "ok"), "{online}");
    assert_eq!(st[0]["estimated_rows"], 2, "{online}");
    assert!(
        st[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("above the tag's max_update_rows (1)"),
        "{online}"
    );
    assert_eq!(items(db), "1\t10\tnew\n2\t20\tpaid\n3\t30\tnew\n");
    bob.approve(t.id, None).await.unwrap();
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", s.sshd.logs());
    assert_eq!(
        items(db),
        "1\t11\tnew\n2\t20\tpaid\n3\t31\tnew\n4\t40\tnew\n"
    );
    let d = alice.task(t.id).await.unwrap();
    let r = results(&d);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].status, StatementStatus::Done);
    assert_eq!(r[0].affected_rows, Some(2));
    assert_eq!((r[1].number, r[1].line), (2, 2));
    assert_eq!(r[1].affected_rows, Some(1));
    assert!(
        log.iter()
            .any(|l| l.contains("statement 1 of 2 (line 1): done, 2 row(s) affected")),
        "{log:#?}"
    );
    assert!(
        !s.client_record.exists(),
        "the mysql client ran on the proxy"
    );

    // 2. A missing table or column is refused at submit, naming the statement; nothing is stored.
    for (sql, want) in [
        (
            "UPDATE items SET qty = 1 WHERE id = 1;\nDELETE FROM nope WHERE id = 1;",
            "statement 2 at line 2: the server rejects it: ERROR 1146",
        ),
        (
            "UPDATE items SET colour = 'red' WHERE id = 1;",
            "statement 1 at line 1: the server rejects it: ERROR 1054",
        ),
        (
            "CREATE TABLE items (id INT PRIMARY KEY);",
            "table `shop.items` already exists",
        ),
        (
            "ALTER TABLE gone ADD c INT;",
            "table `shop.gone` does not exist",
        ),
    ] {
        let e = alice
            .submit(form(sql).to_spec(&ctx).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{sql}: {e}");
    }
    assert_eq!(alice.tasks(Default::default()).await.unwrap().len(), 1);

    // 3. Offline-invalid, server-valid: accepted with a note, and it runs.
    let sql = "START TRANSACTION /*!40108 WITH CONSISTENT SNAPSHOT */;\n\
               UPDATE items SET qty = 7 WHERE id = 2;\nCOMMIT NO RELEASE;";
    let spec = form(sql).to_spec(&ctx).unwrap();
    let offline = spec.extra["offline_errors"].as_array().unwrap().clone();
    let t = alice.submit(spec).await.unwrap();
    let st = t.spec.extra["online"]["statements"].as_array().unwrap();
    assert!(st.iter().all(|s| s["verdict"] == "ok"), "{st:?}");
    for e in &offline {
        let n = e["statement"].as_u64().unwrap() as usize;
        let notes = st[n - 1]["notes"].to_string();
        assert!(notes.contains("the server accepts it"), "{notes}");
    }
    // An ALTER is sized from information_schema.
    let spec = form("ALTER TABLE items ADD COLUMN note VARCHAR(8) NULL;")
        .to_spec(&ctx)
        .unwrap();
    let alter = alice.submit(spec).await.unwrap();
    assert!(
        alter.spec.extra["online"]["statements"][0]["table_mb"].is_number(),
        "{}",
        alter.spec.extra
    );
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
    assert!(items(db).contains("2\t7\tpaid"));

    // 4. Stop at the first error: a duplicate key passes the check but fails when run; what ran
    //    and what did not is stored.
    let sql = "UPDATE items SET qty = 8 WHERE id = 2;\n\
               INSERT INTO items VALUES (1, 1, 'dup');\n\
               INSERT INTO items VALUES (5, 50, 'late');";
    let t = alice
        .submit(form(sql).to_spec(&ctx).unwrap())
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Failed);
    let log = w.log_text(t.id).await;
    assert!(
        log.iter().any(|l| l
            == "proxy|stderr|opsdeck: statement 2 of 3 failed (line 2): Duplicate entry '1' for key 'PRIMARY'"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l == "proxy|stdout|1 of 3 statement(s) applied; not run: 3"),
        "{log:#?}"
    );
    let r = results(&alice.task(t.id).await.unwrap());
    let status: Vec<StatementStatus> = r.iter().map(|r| r.status).collect();
    assert_eq!(
        status,
        [
            StatementStatus::Done,
            StatementStatus::Failed,
            StatementStatus::NotRun
        ]
    );
    assert!(
        r[1].error.as_deref().unwrap().starts_with("ERROR 1062"),
        "{r:?}"
    );
    assert!(items(db).contains("2\t8\tpaid") && !items(db).contains("late"));

    // 5. transaction = true: the third statement fails, the first two are undone.
    let before = items(db);
    let f = SqlAuditForm {
        transaction: true,
        ..form(
            "UPDATE items SET qty = 99 WHERE id = 1;\n\
             INSERT INTO items VALUES (6, 60, 'tx');\n\
             INSERT INTO items VALUES (2, 1, 'dup');",
        )
    };
    let t = alice.submit(f.to_spec(&ctx).unwrap()).await.unwrap();
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Failed);
    assert_eq!(items(db), before, "all or nothing");
    let r = results(&alice.task(t.id).await.unwrap());
    let status: Vec<StatementStatus> = r.iter().map(|r| r.status).collect();
    assert_eq!(
        status,
        [
            StatementStatus::RolledBack,
            StatementStatus::RolledBack,
            StatementStatus::Failed
        ]
    );
    let log = w.log_text(t.id).await;
    assert!(
        log.iter()
            .any(|l| l.contains("the transaction was rolled back")),
        "{log:#?}"
    );
    for id in 1..=t.id {
        for l in w.log_text(id).await {
            assert!(!l.contains(&db.password), "password in a log line: {l}");
        }
    }
    assert!(
        !s.client_record.exists(),
        "the mysql client ran on the proxy"
    );
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_named_at_submit_and_at_approval() {
    if !have_system() {
        return;
    }
    let s = setup(Sshd::start(1), 5000).await;
    let alice = s.w.as_user("alice");
    let bob = s.w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &s.w.config)
        .await
        .unwrap();
    let good = form("UPDATE items SET qty = 0 WHERE id = 1;");
    // A hand-made spec cannot point the tunnel anywhere the inventory does not name.
    let mut forged = good.to_spec(&ctx).unwrap();
    forged.args.insert("DB_PORT".into(), "22".into());
    let e = alice.submit(forged).await.unwrap_err().to_string();
    assert!(
        e.contains("is not the write database `orders-rw` of tag `orders` in the inventory"),
        "{e}"
    );
    let t = alice.submit(good.to_spec(&ctx).unwrap()).await.unwrap();

    // The password changes on the server after submit: approval checks again and says why not.
    s.db
        .sql("ALTER USER 'opsdeck'@'%' IDENTIFIED BY 'rotated'; ALTER USER 'opsdeck'@'127.0.0.1' IDENTIFIED BY 'rotated';")
        .unwrap();
    let e = bob.approve(t.id, None).await.unwrap_err().to_string();
    assert!(
        e.contains("refused the login of `opsdeck`")
            && e.contains("1045")
            && e.contains("at approval"),
        "{e}"
    );
    assert_eq!(
        alice.task(t.id).await.unwrap().task.state,
        TaskState::PendingApproval,
        "a refused check leaves the task waiting"
    );
    let e = alice
        .submit(good.to_spec(&ctx).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sql: cannot check the SQL against the server at submit")
            && e.contains("check the password of database `orders-rw`"),
        "{e}"
    );
    assert!(!e.contains(&s.db.password) && !e.contains("rotated"), "{e}");
    assert_eq!(items(&s.db), "1\t10\tnew\n2\t20\tpaid\n3\t30\tnew\n");
    let _ = &s.pw_file;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_forbids_forwarding_is_refused_with_the_client_hint() {
    if !have_system() {
        return;
    }
    let sshd = Sshd::start_configured(vec!["127.0.0.2".into()], "AllowTcpForwarding no\n");
    let s = setup(sshd, 5000).await;
    let alice = s.w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&alice, &s.w.config)
        .await
        .unwrap();
    let e = alice
        .submit(
            form("UPDATE items SET qty = 0 WHERE id = 1;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the proxy `proxy` refused to forward to") && e.contains("sql_via = \"client\""),
        "{e}\n{}",
        s.sshd.logs()
    );
    assert!(alice.tasks(Default::default()).await.unwrap().is_empty());
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_mid_run_keeps_the_results_so_far_and_fails_the_task() {
    if !have_system() {
        return;
    }
    let s = setup(Sshd::start(1), 5000).await;
    let alice = s.w.as_user("alice");
    let bob = s.w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &s.w.config)
        .await
        .unwrap();
    let sql = "UPDATE items SET qty = 12 WHERE id = 1;\nDO SLEEP(30);\nUPDATE items SET qty = 13 WHERE id = 2;";
    let t = alice
        .submit(form(sql).to_spec(&ctx).unwrap())
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    // Wait until statement 1 is stored as done (statement 2 is sleeping), then cut the proxy off.
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let r = results(&alice.task(t.id).await.unwrap());
        if r.first().is_some_and(|r| r.status == StatementStatus::Done) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.sshd.kill_connections();
    assert_eq!(s.w.wait_state(t.id, None, T).await, TaskState::Failed);
    let r = results(&alice.task(t.id).await.unwrap());
    let status: Vec<StatementStatus> = r.iter().map(|r| r.status).collect();
    assert_eq!(
        status,
        [
            StatementStatus::Done,
            StatementStatus::Failed,
            StatementStatus::NotRun
        ],
        "{r:?}"
    );
    assert!(
        r[1].error
            .as_deref()
            .unwrap()
            .contains("lost the connection"),
        "{r:?}"
    );
    assert_eq!(items(&s.db), "1\t12\tnew\n2\t20\tpaid\n3\t30\tnew\n");
    // The rollback of what ran is still offered.
    let d = alice.task(t.id).await.unwrap();
    let plan = opsdeck::modules::sql_audit_rollback::plan_for(&d.task, &d.sql_results).unwrap();
    assert_eq!(
        plan.sql(),
        "UPDATE `items` SET `qty` = '10' WHERE `id` = '1';\n"
    );
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_restores_exactly_the_changed_rows_and_keeps_rows_changed_since() {
    if !have_system() {
        return;
    }
    use opsdeck::modules::sql_audit_rollback::{plan_for, rollback_spec};
    let s = setup(Sshd::start(1), 5000).await;
    let (w, db) = (&s.w, &s.db);
    db.sql(
        "CREATE TABLE shop.nokey (a INT, b INT); INSERT INTO shop.nokey VALUES (1, 1), (2, 2);\
         CREATE TABLE shop.seq (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(8));",
    )
    .unwrap();
    let alice = w.as_user("alice");
    let bob = w.as_user("bob");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();

    // UPDATE of 3 rows, DELETE, INSERT with explicit keys and with AUTO_INCREMENT keys.
    let sql = "UPDATE items SET qty = qty * 2 WHERE id IN (1, 2, 3);\n\
               DELETE FROM items WHERE id = 3;\n\
               INSERT INTO items (id, qty, status) VALUES (4, 40, 'it''s');\n\
               INSERT INTO seq (v) VALUES ('a'), ('b');";
    let t = alice
        .submit(form(sql).to_spec(&ctx).unwrap())
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    let state = w.wait_state(t.id, None, T).await;
    assert_eq!(state, TaskState::Succeeded, "{:#?}", w.log_text(t.id).await);
    assert_eq!(items(db), "1\t20\tnew\n2\t40\tpaid\n4\t40\tit's\n");
    let d = alice.task(t.id).await.unwrap();
    let r = results(&d);
    assert_eq!(r[0].backup.as_ref().unwrap().rows.len(), 3, "{r:?}");
    assert_eq!(r[3].backup.as_ref().unwrap().rows.len(), 2, "{r:?}");

    // A later write to row 2, outside opsdeck.
    db.sql("UPDATE shop.items SET status = 'held' WHERE id = 2")
        .unwrap();

    let plan = plan_for(&d.task, &d.sql_results).unwrap();
    let rb = rollback_spec(&d.task, &plan, vec!["bob".into()], false, &ctx).unwrap();
    assert_eq!(rb.extra["rollback"]["of"], t.id);
    let rt = alice.submit(rb).await.unwrap();
    assert_eq!(
        rt.state,
        TaskState::PendingApproval,
        "a rollback needs approval"
    );
    assert_eq!(items(db), "1\t20\tnew\n2\t40\theld\n4\t40\tit's\n");
    bob.approve(rt.id, None).await.unwrap();
    let state = w.wait_state(rt.id, None, T).await;
    let log = w.log_text(rt.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}");
    assert_eq!(
        items(db),
        "1\t10\tnew\n2\t40\theld\n3\t30\tnew\n",
        "rows 1 and 3 restored, row 4 gone, row 2 (changed since) kept"
    );
    assert_eq!(db.sql("SELECT COUNT(*) FROM shop.seq").unwrap(), "0\n");
    let rr = results(&alice.task(rt.id).await.unwrap());
    let skipped: Vec<&StatementResult> = rr
        .iter()
        .filter(|r| r.status == StatementStatus::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1, "{rr:?}");
    assert!(
        skipped[0]
            .error
            .as_deref()
            .unwrap()
            .contains("`id` = '2' changed since the original run; kept"),
        "{rr:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("skipped because their rows changed")),
        "{log:#?}"
    );

    // --force overwrites a row changed since (only the columns the audit changed are put back).
    let t = alice
        .submit(
            form("UPDATE items SET qty = 5 WHERE id = 1;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
    db.sql("UPDATE shop.items SET status = 'x' WHERE id = 1")
        .unwrap();
    let d = alice.task(t.id).await.unwrap();
    let plan = plan_for(&d.task, &d.sql_results).unwrap();
    let rb = rollback_spec(&d.task, &plan, vec!["bob".into()], true, &ctx).unwrap();
    let rt = alice.submit(rb).await.unwrap();
    bob.approve(rt.id, None).await.unwrap();
    assert_eq!(w.wait_state(rt.id, None, T).await, TaskState::Succeeded);
    assert!(items(db).starts_with("1\t10\tx\n"), "{}", items(db));

    // CREATE TABLE and ADD COLUMN / ADD INDEX are undone by their inverses (outside a transaction).
    let t = alice
        .submit(
            form(
                "CREATE TABLE extra (id INT PRIMARY KEY);\n\
                 ALTER TABLE items ADD COLUMN note VARCHAR(8) NULL, ADD INDEX idx_note (note);",
            )
            .to_spec(&ctx)
            .unwrap(),
        )
        .await
        .unwrap();
    let notes = t.spec.extra["online"]["statements"].to_string();
    assert!(notes.contains("rollback: DROP TABLE extra"), "{notes}");
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
    let columns = "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'items'";
    assert_eq!(db.sql(columns).unwrap(), "4\n");
    let d = alice.task(t.id).await.unwrap();
    let plan = plan_for(&d.task, &d.sql_results).unwrap();
    assert_eq!(
        plan.sql(),
        "ALTER TABLE items DROP INDEX idx_note, DROP COLUMN note;\nDROP TABLE extra;\n"
    );
    let rb = rollback_spec(&d.task, &plan, vec!["bob".into()], false, &ctx).unwrap();
    assert_eq!(rb.extra["transaction"], false);
    let rt = alice.submit(rb).await.unwrap();
    bob.approve(rt.id, None).await.unwrap();
    let state = w.wait_state(rt.id, None, T).await;
    assert_eq!(
        state,
        TaskState::Succeeded,
        "{:#?}",
        w.log_text(rt.id).await
    );
    assert_eq!(db.sql(columns).unwrap(), "3\n");
    assert_eq!(
        db.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'extra'")
            .unwrap(),
        "0\n"
    );

    // A table without a key: said before approval, no backup, nothing to roll back.
    let t = alice
        .submit(
            form("UPDATE nokey SET b = 9 WHERE a = 1;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    let warn = t.spec.extra["online"]["statements"][0]["warnings"].to_string();
    assert!(
        warn.contains("table `nokey` has no primary or unique key: no backup"),
        "{warn}"
    );
    bob.approve(t.id, None).await.unwrap();
    assert_eq!(w.wait_state(t.id, None, T).await, TaskState::Succeeded);
    let d = alice.task(t.id).await.unwrap();
    let e = plan_for(&d.task, &d.sql_results).unwrap_err().to_string();
    assert!(
        e.contains("nothing to roll back") && e.contains("no primary or unique key"),
        "{e}"
    );
    // A task still waiting for approval has no rollback yet.
    let pending = alice
        .submit(
            form("UPDATE items SET qty = 1 WHERE id = 1;")
                .to_spec(&ctx)
                .unwrap(),
        )
        .await
        .unwrap();
    let e = plan_for(&pending, &[]).unwrap_err().to_string();
    assert!(e.contains("roll back once it has finished"), "{e}");
    s.w.stop().await;
}
