//! The real binary against fixture files: first run, inventory import and list, templates, bad input, schema refusal.

use assert_cmd::Command;
use predicates::prelude::*;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("opsdeck").unwrap();
        c.env("OPSDECK_CONFIG", self.dir.path().join("config.toml"))
            .env("OPSDECK_DATA_DIR", self.dir.path().join("data"))
            .env("USER", "tester");
        c
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn fixture(p: &str) -> String {
    format!("{}/tests/fixtures/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_first_run_seeds_a_config_a_demo_host_and_the_builtin_templates() {
    let e = Env::new();
    e.cmd()
        .assert()
        .success()
        .stderr(predicate::str::contains("first run"))
        .stdout(predicate::str::contains("localhost").and(predicate::str::contains("9001")));
    assert!(e.dir.path().join("config.toml").exists());
    assert!(e.dir.path().join("data/opsdeck.db").exists());
    let inv = e.json(&["inventory", "list", "--json"]);
    assert_eq!(inv["hosts"][0]["name"], "localhost");
    assert_eq!(inv["hosts"][0]["connection"], "local");
    let tpls = e.json(&["template", "list", "--json"]);
    let ids: Vec<u64> = tpls
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    for id in [
        9001, 9100, 9201, 9300, 9501, 9502, 9503, 9504, 9505, 9506, 9901,
    ] {
        assert!(ids.contains(&id), "built-in {id} missing from {ids:?}");
    }
    // The second run is not a first run.
    e.cmd()
        .assert()
        .success()
        .stderr(predicate::str::contains("first run").not());
}

#[test]
fn an_ansible_inventory_imports_with_tags_nesting_vars_ranges_and_local_hosts() {
    let e = Env::new();
    e.cmd()
        .args(["inventory", "import", &fixture("ansible/production.ini")])
        .assert()
        .success()
        .stdout(predicate::str::contains("imported"));
    let inv = e.json(&["inventory", "list", "--json"]);
    let tag = |name: &str| {
        inv["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no tag {name}: {inv}"))
            .clone()
    };
    let web = tag("web");
    let web_hosts: Vec<&str> = web["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(web_hosts.contains(&"web01.example.com") && web_hosts.contains(&"web12.example.com"));
    // prod nests frontend (web, api) and db (db_primary, db_replica).
    let prod = tag("prod");
    let prod_hosts: Vec<&str> = prod["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    for h in [
        "web05.example.com",
        "api-c.example.com",
        "db01.example.com",
        "db04.example.com",
    ] {
        assert!(prod_hosts.contains(&h), "{h} not in prod: {prod_hosts:?}");
    }
    let host = |name: &str| {
        inv["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .unwrap_or_else(|| panic!("no host {name}"))
            .clone()
    };
    assert_eq!(host("localhost")["connection"], "local");
    assert_eq!(host("db01.example.com")["address"], "10.0.1.1");
    assert_eq!(host("bastion.example.com")["port"], 2222);
    assert_eq!(host("api-legacy.example.com")["port"], 2022);
    // The human listing shows them too.
    e.cmd()
        .args(["inventory", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("db01.example.com").and(predicate::str::contains("prod")));
}

#[test]
fn a_bad_inventory_is_refused_whole_with_file_and_line_and_changes_nothing() {
    let e = Env::new();
    e.cmd()
        .args(["inventory", "import", &fixture("inventory/full.toml")])
        .assert()
        .success();
    let before = e.json(&["inventory", "list", "--json"]);
    for (file, line, what) in [
        ("inventory/bad_proxy.toml", 16, "jump99"),
        ("inventory/bad_duplicate_host.toml", 0, "duplicate host"),
        ("inventory/bad_unknown_field.toml", 0, "unknown field"),
        ("inventory/bad_syntax.toml", 0, ""),
    ] {
        let path = fixture(file);
        let out = e
            .cmd()
            .args(["inventory", "import", &path])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{file} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        let prefix = if line > 0 {
            format!("{path}:{line}:")
        } else {
            format!("{path}:")
        };
        assert!(err.contains(&prefix), "{file}: {err}");
        let rest = err.split(&path).nth(1).unwrap_or("");
        assert!(
            rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_digit()),
            "{file}: no line in {err}"
        );
        assert!(err.contains(what), "{file}: {err}");
        assert_eq!(
            e.json(&["inventory", "list", "--json"]),
            before,
            "{file} changed the inventory"
        );
    }
}

#[test]
fn templates_import_with_validation_and_keep_versions() {
    let e = Env::new();
    let bad = fixture("templates/bad_gap.toml");
    e.cmd()
        .args([
            "template",
            "import",
            &fixture("templates/publish.toml"),
            &bad,
        ])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains(format!("{bad}:"))
                .and(predicate::str::contains("nothing was imported")),
        );
    let good = fixture("templates/publish.toml");
    let id = toml::from_str::<toml::Value>(&std::fs::read_to_string(&good).unwrap()).unwrap()["id"]
        .as_integer()
        .unwrap()
        .to_string();
    // The fixture may share its id with a built-in: versions count from whatever is stored.
    let version = |out: &[u8]| -> u32 {
        let s = String::from_utf8_lossy(out);
        s.rsplit("version ").next().unwrap().trim().parse().unwrap()
    };
    let first = version(
        &e.cmd()
            .args(["template", "import", &good])
            .output()
            .unwrap()
            .stdout,
    );
    // Importing it unchanged keeps the version; a changed copy adds one.
    let again = version(
        &e.cmd()
            .args(["template", "import", &good])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(first, again);
    let changed = e.dir.path().join("changed.toml");
    let src = std::fs::read_to_string(&good)
        .unwrap()
        .replacen("name = \"", "name = \"Changed ", 1);
    std::fs::write(&changed, src).unwrap();
    e.cmd()
        .args(["template", "import", changed.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("version {}", first + 1)));
    let v1 = e.json(&[
        "template",
        "show",
        &id,
        "--version",
        &first.to_string(),
        "--json",
    ]);
    assert!(
        !v1["template"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Changed")
    );
    e.cmd()
        .args(["template", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("version {}", first + 1)));
    e.cmd()
        .args(["template", "show", "4242"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no template 4242"));
    for f in ["bad_level", "bad_placeholder", "bad_syntax", "bad_trigger"] {
        let p = fixture(&format!("templates/{f}.toml"));
        let out = e.cmd().args(["template", "import", &p]).output().unwrap();
        assert!(!out.status.success(), "{f} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        let rest = err.split(&p).nth(1).unwrap_or("");
        assert!(
            rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_digit()),
            "{f}: {err}"
        );
    }
}

#[test]
fn a_database_from_a_newer_opsdeck_is_refused_untouched() {
    let e = Env::new();
    let data = e.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("opsdeck.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("PRAGMA user_version = 999;").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    e.cmd()
        .args(["template", "list"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("newer opsdeck").and(predicate::str::contains("999")));
    assert_eq!(before, std::fs::read(&db).unwrap());
}

#[test]
fn a_bad_config_names_its_line() {
    let e = Env::new();
    std::fs::write(
        e.dir.path().join("config.toml"),
        "concurrency = 10\ncolour = \"blue\"\n",
    )
    .unwrap();
    e.cmd()
        .assert()
        .failure()
        .stderr(predicate::str::contains("config.toml:2:").and(predicate::str::contains("colour")));
}

#[test]
fn a_task_runs_on_the_demo_host_and_wait_reports_the_outcome() {
    let e = Env::new();
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "9504",
            "--tag",
            "demo",
            "--arg",
            "COMMAND=echo hello from opsdeck",
            "--wait",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("hello from opsdeck"));
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "9504",
            "--host",
            "localhost",
            "--arg",
            "COMMAND=exit 7",
            "--wait",
        ])
        .assert()
        .failure()
        .stdout(predicate::str::contains("exited 7"));
    let list = e.json(&["task", "list", "--json"]);
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["failed", "succeeded"]);
    let shown = e.json(&["task", "show", "2", "--json"]);
    assert_eq!(shown["steps"][0]["exit_code"], 7);
    e.cmd()
        .args(["task", "logs", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hello from opsdeck"));
    // Bad input: an exec time that does not parse, an unknown tag, a missing required arg.
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "9504",
            "--tag",
            "demo",
            "--arg",
            "COMMAND=true",
            "--at",
            "2026-13-40",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--at").and(predicate::str::contains("+10m")));
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "9504",
            "--tag",
            "nope",
            "--arg",
            "COMMAND=true",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown tag `nope`"));
    e.cmd()
        .args(["task", "submit", "--template", "9504", "--tag", "demo"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("args.COMMAND"));
    assert_eq!(
        e.json(&["task", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2,
        "bad submits stored nothing"
    );
}

#[test]
fn user_add_prints_a_token_once_and_stores_only_its_hash() {
    let e = Env::new();
    let out = e
        .cmd()
        .args(["user", "add", "bob", "--role", "approver"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("odk_"), "{token}");
    let mut db = std::fs::read(e.dir.path().join("data/opsdeck.db")).unwrap();
    db.extend(std::fs::read(e.dir.path().join("data/opsdeck.db-wal")).unwrap_or_default());
    let needle = token.as_bytes();
    assert!(
        !db.windows(needle.len()).any(|w| w == needle),
        "the token itself was stored"
    );
    let users = e.json(&["user", "list", "--json"]);
    assert_eq!(users[0]["name"], "bob");
    assert_eq!(users[0]["role"], "approver");
    e.cmd()
        .args(["user", "add", "eve", "--role", "root"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "accepted: viewer, operator, approver, admin",
        ));
}

#[test]
fn sql_check_fingerprint_and_format_from_stdin() {
    let e = Env::new();
    e.cmd()
        .args(["sql", "check"])
        .write_stdin("SELECT * FROM t WHERE id = 5;\nSELECT TOP 5 * FROM t;\n")
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("<stdin>:2:8: error (statement 2)")
                .and(predicate::str::contains("^")),
        );
    e.cmd()
        .args(["sql", "check"])
        .write_stdin("SELECT 1;\n")
        .assert()
        .success();
    let out = e
        .cmd()
        .args(["sql", "check", "--json"])
        .write_stdin("SELECT * FROM t WHERE a ILIKE 'x';")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["errors"].as_array().is_some_and(|a| !a.is_empty()));
    e.cmd()
        .args(["sql", "fingerprint"])
        .write_stdin("select a from b where c in (1,2,3) limit 10;")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "select a from b where c in(?+) limit ?",
        ));
    e.cmd()
        .args(["sql", "format"])
        .write_stdin("select a from t where x=1 -- hi\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("-- hi\n;"));
    e.cmd()
        .args(["sql", "check", "/nonexistent.sql"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent.sql"));
}

#[test]
fn sql_score_advise_and_rules() {
    let e = Env::new();
    let out = e
        .cmd()
        .args(["sql", "score", "--json"])
        .write_stdin("SELECT * FROM t;\nSELECT id FROM t WHERE id = 1;\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &v["statements"][0];
    assert!(first["score"].as_u64().unwrap() < 100, "{first}");
    let f = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "COL.001")
        .expect("SELECT * is COL.001");
    assert_eq!(f["severity"], "L1");
    assert_eq!(f["position"]["line"], 1);
    assert!(f["explanation"].as_str().unwrap().len() > 20);
    assert_eq!(v["statements"][1]["findings"][0]["id"], "OK");
    assert_eq!(v["score"], first["score"]);
    // A statement that does not parse scores 0 and fails the command.
    e.cmd()
        .args(["sql", "score"])
        .write_stdin("SELEC 1;")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ERR.000").and(predicate::str::contains("0/100")));
    // Chinese follows --lang, and the config's `lang`.
    e.cmd()
        .args(["--lang", "zh", "sql", "score"])
        .write_stdin("SELECT * FROM t;")
        .assert()
        .success()
        .stdout(predicate::str::contains("语句 1").and(predicate::str::contains("COL.001")));
    e.cmd()
        .args(["--lang", "zh", "sql", "check"])
        .write_stdin("SELECT TOP 5 * FROM t;")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SQL Server 语法"));
    std::fs::write(e.dir.path().join("config.toml"), "lang = \"zh\"\n").unwrap();
    e.cmd()
        .args(["sql", "check"])
        .write_stdin("SELEC 1;")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("语法错误"));
    std::fs::remove_file(e.dir.path().join("config.toml")).unwrap();
    e.cmd()
        .args(["sql", "advise"])
        .write_stdin("SELECT * FROM orders WHERE created > '2024-01-01' AND user_id = 7;")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ALTER TABLE `orders` ADD INDEX `idx_user_id_created` (`user_id`, `created`);",
        ));
    let out = e.cmd().args(["sql", "rules", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() > 130);
    // Deliberate differences from SOAR are stated per rule, in both outputs.
    let cla = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "CLA.010")
        .unwrap();
    assert!(
        cla["differs_from_soar"]
            .as_str()
            .unwrap()
            .contains("non-ASCII")
    );
    let text = e.cmd().args(["sql", "rules"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let fun = text.split("\nFUN.003").nth(1).unwrap();
    assert!(
        fun.lines().nth(1).unwrap().contains("differs from SOAR:"),
        "{fun}"
    );
}

#[test]
fn task_list_and_show_json_mask_secret_args() {
    let e = Env::new();
    let tpl = e.dir.path().join("secret.toml");
    std::fs::write(
        &tpl,
        "id = 7001\nname = \"secret\"\n[[args]]\nname = \"PASS\"\nsecret = true\n[[args]]\nname = \"USER\"\n\
         [[steps]]\ngroup = 1\nlevel = 1\nname = \"s\"\ncommand = \"true ${PASS} ${USER}\"\n",
    )
    .unwrap();
    e.cmd()
        .args(["template", "import", tpl.to_str().unwrap()])
        .assert()
        .success();
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "7001",
            "--tag",
            "demo",
            "--arg",
            "PASS=hunter2-xyz",
            "--arg",
            "USER=bob",
            "--at",
            "+1d",
        ])
        .assert()
        .success();
    let list = e.json(&["task", "list", "--json"]).to_string();
    assert!(!list.contains("hunter2-xyz"), "{list}");
    assert!(
        list.contains("******") && list.contains("\"bob\""),
        "{list}"
    );
    let show = e.json(&["task", "show", "1", "--json"]).to_string();
    assert!(!show.contains("hunter2-xyz"), "{show}");
    assert!(show.contains("******"), "{show}");
}

#[test]
fn task_rollback_refuses_what_is_not_a_finished_tunnel_sql_audit() {
    let e = Env::new();
    e.cmd()
        .args([
            "task",
            "submit",
            "--template",
            "9504",
            "--tag",
            "demo",
            "--arg",
            "COMMAND=true",
            "--wait",
        ])
        .assert()
        .success();
    e.cmd()
        .args(["task", "rollback", "1", "--dry-run"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("task 1 is not an SQL audit"));
    // Without --dry-run an approver is required.
    e.cmd()
        .args(["task", "rollback", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--approver"));
    e.cmd()
        .args(["task", "rollback", "99", "--dry-run"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("task 99 not found"));
}
