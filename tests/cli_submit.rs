//! `opsdeck submit …` through the real binary: dry runs with secrets masked, bad input storing nothing, CODO JSON.

use assert_cmd::Command;
use predicates::prelude::*;

struct Env {
    dir: tempfile::TempDir,
}

const SECRET_TEMPLATE: &str = r#"
id = 9700
name = "login somewhere"
[[args]]
name = "PASSWORD"
secret = true
required = true
[[args]]
name = "TARGET"
default = "db1"
[[steps]]
group = 1
level = 1
name = "login"
command = "echo login ${TARGET} ${PASSWORD} on ${SERVER_HOST} ${SERVER_IP} task ${FLOW_ID}"
"#;

const CODO_TEMPLATE: &str = r#"
id = 1
name = "codo example"
[[args]]
name = "VERSION"
required = true
[[args]]
name = "arg02"
default = ""
[[steps]]
group = 1
level = 1
name = "show"
command = "echo VERSION=${VERSION} arg02=${arg02}"
"#;

impl Env {
    fn new() -> Env {
        let e = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        for (name, src) in [
            ("secret.toml", SECRET_TEMPLATE),
            ("codo.toml", CODO_TEMPLATE),
        ] {
            let p = e.dir.path().join(name);
            std::fs::write(&p, src).unwrap();
            e.cmd()
                .args(["template", "import"])
                .arg(&p)
                .assert()
                .success();
        }
        e
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("opsdeck").unwrap();
        c.env("OPSDECK_CONFIG", self.dir.path().join("config.toml"))
            .env("OPSDECK_DATA_DIR", self.dir.path().join("data"))
            .env("USER", "tester");
        c
    }

    fn task_count(&self) -> usize {
        let out = self
            .cmd()
            .args(["task", "list", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().len()
    }
}

#[test]
fn dry_run_prints_the_rendered_commands_with_secrets_masked() {
    let e = Env::new();
    e.cmd()
        .args([
            "submit",
            "custom",
            "--tag",
            "demo",
            "--template",
            "9700",
            "--arg",
            "PASSWORD=hunter2",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("group 1")
                .and(predicate::str::contains("host localhost (127.0.0.1)"))
                .and(predicate::str::contains(
                    "echo login db1 ****** on localhost 127.0.0.1 task '<id>'",
                ))
                .and(predicate::str::contains("arg PASSWORD = ******"))
                .and(predicate::str::contains("hunter2").not()),
        );
    let out = e
        .cmd()
        .args([
            "submit",
            "custom-proxy",
            "--tag",
            "demo",
            "--proxy",
            "localhost",
            "--template",
            "9700",
            "--arg",
            "PASSWORD=hunter2",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["args"]["SERVER_HOST"], "localhost");
    assert_eq!(v["args"]["PASSWORD"], "******");
    assert_eq!(v["steps"][0]["host"], "localhost");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
    assert_eq!(e.task_count(), 0, "a dry run submits nothing");
}

#[test]
fn bad_input_names_every_field_and_changes_nothing() {
    let e = Env::new();
    e.cmd()
        .args([
            "submit",
            "custom",
            "--tag",
            "demo",
            "--template",
            "9700",
            "--arg",
            "PASSWORD=x",
            "--at",
            "2026-13-40",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("exec_time").and(predicate::str::contains("+10m")));
    e.cmd()
        .args([
            "submit",
            "custom",
            "--tag",
            "nope",
            "--template",
            "4242",
            "--arg",
            "A=1",
        ])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("tag: unknown tag `nope`")
                .and(predicate::str::contains("template: unknown template 4242")),
        );
    e.cmd()
        .args(["submit", "resource", "--type", "server", "--reason", "x"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("fields.cpu")
                .and(predicate::str::contains("approvers: name at least one")),
        );
    e.cmd()
        .args(["submit", "json", "-"])
        .write_stdin(r#"{"temp_id": "1", "schedule": "soon", "hosts": "{1: '10.9.9.9'}"}"#)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("schedule: `soon` is not accepted")
                .and(predicate::str::contains(
                    "`10.9.9.9` is not in the inventory",
                ))
                .and(predicate::str::contains("args.VERSION")),
        );
    assert_eq!(e.task_count(), 0, "bad submits stored nothing");
}

#[test]
fn the_codo_sample_runs_from_stdin_and_custom_prints_the_task_id() {
    let e = Env::new();
    let sample = std::fs::read_to_string(format!(
        "{}/tests/fixtures/codo-task.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    e.cmd()
        .args(["submit", "json", "-", "--at", "now", "--wait"])
        .write_stdin(sample)
        .assert()
        .success()
        .stdout(predicate::str::contains("VERSION=eeee arg02=xxxx"));
    e.cmd()
        .args([
            "submit",
            "custom",
            "--tag",
            "demo",
            "--template",
            "9504",
            "--arg",
            "COMMAND=true",
            "--at",
            "+1h",
        ])
        .assert()
        .success()
        .stdout("2\n");
    assert_eq!(e.task_count(), 2);
}

const SQL_INVENTORY: &str = r#"
[[hosts]]
name = "localhost"
address = "127.0.0.1"
connection = "local"

[[tags]]
name = "orders"
hosts = ["localhost"]
proxy = "localhost"
# No database runs here: the client route keeps the checks offline (tests/sql_audit_tunnel.rs has the tunnel).
sql_via = "client"
[[tags.databases]]
name = "orders-rw"
host = "127.0.0.1"
user = "app"
schema = "shop"
password = "pw-cli-secret"
role = "write"

[[users]]
name = "bob"
role = "approver"
[[users]]
name = "tester"
role = "operator"
"#;

impl Env {
    fn with_sql_tag() -> Env {
        let e = Env::new();
        let p = e.dir.path().join("sql-inventory.toml");
        std::fs::write(&p, SQL_INVENTORY).unwrap();
        e.cmd()
            .args(["inventory", "import"])
            .arg(&p)
            .assert()
            .success();
        e
    }
}

#[test]
fn sql_audit_dry_run_masks_the_password_and_shows_the_review() {
    let e = Env::with_sql_tag();
    e.cmd()
        .args([
            "submit",
            "sql-audit",
            "--tag",
            "orders",
            "--approver",
            "bob",
            "--dry-run",
            "-",
        ])
        .write_stdin("UPDATE items SET qty = 1 WHERE id = 2;\nCREATE USER 'u'@'%';\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("template 9001")
                .and(predicate::str::contains("needs approval by bob"))
                .and(predicate::str::contains("host localhost (127.0.0.1)"))
                .and(predicate::str::contains("arg DB_PASSWORD = ******"))
                .and(predicate::str::contains("stdin: DB_PASSWORD, SQL"))
                .and(predicate::str::contains("--binary-mode --local-infile=0"))
                .and(predicate::str::contains("pw-cli-secret").not()),
        )
        .stderr(
            predicate::str::contains("warning: statement 2 at line 2:1")
                .and(predicate::str::contains("score ")),
        );
    assert_eq!(e.task_count(), 0, "a dry run submits nothing");
}

#[test]
fn sql_audit_refuses_errors_and_stores_the_review_with_the_task() {
    let e = Env::with_sql_tag();
    e.cmd()
        .args([
            "submit",
            "sql-audit",
            "--tag",
            "orders",
            "--approver",
            "tester",
            "--sql",
            "UPDATE t SET a = 1 WHERE id = 1;\nSELECT TOP 5 * FROM t;",
        ])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("sql: statement 2 at line 2:")
                .and(predicate::str::contains("`tester` submits this task")),
        );
    assert_eq!(e.task_count(), 0, "a refused audit stores nothing");
    let out = e
        .cmd()
        .args([
            "submit",
            "sql-audit",
            "--tag",
            "orders",
            "--approver",
            "bob",
            "--json",
            "--sql",
            "DELETE FROM t WHERE id = 1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "pending_approval");
    assert_eq!(v["spec"]["args"]["DB_PASSWORD"], "******");
    assert!(v["spec"]["extra"]["score"]["score"].is_u64());
    assert!(v["spec"]["extra"]["check_warnings"].is_array());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pw-cli-secret"));
    assert_eq!(e.task_count(), 1);
}

#[test]
fn sql_optimize_local_prints_everything_at_once() {
    let e = Env::new();
    let out = e
        .cmd()
        .args([
            "submit",
            "sql-optimize",
            "--json",
            "--sql",
            "SELECT id FROM t WHERE a = 1 AND b > 2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let st = &v["statements"][0];
    assert_eq!(st["fingerprint"], "select id from t where a = ? and b > ?");
    assert_eq!(st["query_id"].as_str().unwrap().len(), 16);
    assert!(st["formatted"].as_str().unwrap().contains("WHERE"));
    assert!(v["score"]["score"].is_u64());
    assert!(v["check"]["errors"].as_array().unwrap().is_empty());
    assert!(
        v["advice"]["advice"][0]["ddl"]
            .as_str()
            .unwrap()
            .starts_with("ALTER TABLE")
    );
    e.cmd()
        .args(["submit", "sql-optimize", "-"])
        .write_stdin("SELEC 1;")
        .assert()
        .failure()
        .stdout(predicate::str::contains("error 1:1").and(predicate::str::contains("ERR.000")));
    e.cmd()
        .args([
            "submit",
            "sql-optimize",
            "--tag",
            "demo",
            "--sql",
            "SELECT 1",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("apply to --online"));
    assert_eq!(e.task_count(), 0, "the local analysis submits nothing");
}
