//! The real binary in a real terminal (tmux) against a real MariaDB behind a real sshd proxy: a
//! finished SQL audit is rolled back from the console's task detail (`U`, the SQL shown, `y`), which
//! submits the undo as a new audit needing approval that names the original.

mod support;

use std::process::Command;
use std::time::Duration;

use support::tmux::Tmux;
use support::{Mariadb, Sshd, require_system};

#[test]
fn a_finished_audit_is_rolled_back_from_the_console() {
    if !(require_system("tmux")
        && require_system(support::sshd::SSHD)
        && require_system(support::mariadb::MARIADBD)
        && require_system(support::mariadb::INSTALL_DB))
    {
        return;
    }
    let sshd = Sshd::start(1);
    let db = Mariadb::start();
    db.sql(
        "CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, qty INT NOT NULL);\
         INSERT INTO shop.items VALUES (1, 10), (2, 20);",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("db-password");
    std::fs::write(&pw, format!("{}\n", db.password)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "known_hosts = \"{}\"\nconnect_timeout = \"10s\"\n",
            sshd.known_hosts.display()
        ),
    )
    .unwrap();
    let inv = support::sql_tag::orders_inventory(&sshd, &db, &pw, "");
    let inv_file = dir.path().join("inventory.toml");
    std::fs::write(&inv_file, inv).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let env = |user: &str| {
        format!(
            "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} USER={user}",
            config.display(),
            dir.path().join("data").display()
        )
    };
    let cli = |user: &str, args: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{} {} {args}", env(user), bin.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    cli("alice", &format!("inventory import {}", inv_file.display()));
    cli(
        "alice",
        "submit sql-audit --tag orders --approver bob --sql 'UPDATE items SET qty = 11 WHERE id = 1'",
    );
    cli("bob", "task approve 1");

    // The console's engine runs the approved audit; alice opens it and rolls it back.
    let t = Tmux::start(
        "rollback",
        &format!("{} {}", env("alice"), bin.display()),
        140,
        40,
    );
    t.wait_for("SQL audit on orders", Duration::from_secs(20));
    t.keys(&["Enter"]);
    t.wait_for("succeeded", Duration::from_secs(60));
    assert_eq!(
        db.sql("SELECT qty FROM shop.items WHERE id = 1").unwrap(),
        "11\n"
    );
    t.keys(&["U"]);
    let screen = t.wait_for("roll back (SQL audit) #1", Duration::from_secs(10));
    assert!(screen.contains("Approvers bob?"), "{screen}");
    assert!(screen.contains("UPDATE "), "{screen}");
    t.keys(&["y"]);
    t.wait_for("#2", Duration::from_secs(30));
    let shown = cli("alice", "task show 2 --json");
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let task = v.get("task").unwrap_or(&v);
    assert_eq!(task["state"], "pending_approval", "{shown}");
    assert_eq!(task["spec"]["extra"]["rollback"]["of"], 1, "{shown}");
    assert_eq!(task["spec"]["approvers"][0], "bob", "{shown}");
    assert_eq!(
        db.sql("SELECT qty FROM shop.items WHERE id = 1").unwrap(),
        "11\n",
        "nothing runs before approval"
    );
}
