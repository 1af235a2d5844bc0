//! The real binary on PostgreSQL (`--database-url`, OPSDECK_DATABASE_URL, config `database_url`):
//! commands from two data dirs share one database, `serve` runs a task whose rows and log land
//! there, a second engine on the same database joins as a second node, and a bad URL starts nothing.

mod support;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::postgres::{self, Postgres};

fn opsdeck(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env_remove("OPSDECK_SERVER")
        .env_remove("OPSDECK_DATABASE_URL")
        .env("USER", "tester")
        .stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A template for the CODO sample (`tests/fixtures/codo-task.json`).
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

/// A `serve` process, stopped with SIGTERM by [`stop`] or killed when a failing test unwinds.
struct Served(Option<std::process::Child>);

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `opsdeck serve` on 127.0.0.1:0; its API URL and its process.
fn serve(dir: &Path, url: &str) -> (String, Served) {
    serve_with(dir, url, &[])
}

/// [`serve`] with further arguments.
fn serve_with(dir: &Path, url: &str, extra: &[&str]) -> (String, Served) {
    let mut child = opsdeck(dir)
        .env("OPSDECK_DATABASE_URL", url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(i) = l.find("http://") {
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return (
                l[i..].split("/api/v1").next().unwrap().to_string(),
                Served(Some(child)),
            );
        }
    }
    panic!("serve printed no address: {:?}", child.wait());
}

fn stop(mut served: Served) {
    let mut child = served.0.take().unwrap();
    // SAFETY: kill(2) on the pid of a child this test spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn commands_and_serve_share_one_postgres_database() {
    if !postgres::available() {
        return;
    }
    let mut pg = Postgres::start();
    let url = pg.create_db("ops");
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );

    // A user added from data dir A (flag) ...
    let token = ok(opsdeck(a.path())
        .arg("--database-url")
        .arg(&url)
        .args(["user", "add", "root", "--role", "admin"])
        .output()
        .unwrap());
    let token = token.trim().to_string();
    // ... is seen from data dir B (environment), and neither wrote an opsdeck.db.
    let users = ok(opsdeck(b.path())
        .env("OPSDECK_DATABASE_URL", &url)
        .args(["user", "list"])
        .output()
        .unwrap());
    assert!(users.contains("root"), "{users}");
    let tpl = b.path().join("codo.toml");
    std::fs::write(&tpl, CODO_TEMPLATE).unwrap();
    ok(opsdeck(b.path())
        .env("OPSDECK_DATABASE_URL", &url)
        .args(["template", "import"])
        .arg(&tpl)
        .output()
        .unwrap());
    for d in [&a, &b] {
        assert!(!d.path().join("data/opsdeck.db").exists());
    }
    // The config key works too, and the first runs seeded the demo inventory once.
    std::fs::write(
        c.path().join("config.toml"),
        format!("database_url = \"{url}\"\n"),
    )
    .unwrap();
    let inv: serde_json::Value = serde_json::from_str(&ok(opsdeck(c.path())
        .args(["inventory", "list", "--json"])
        .output()
        .unwrap()))
    .unwrap();
    assert_eq!(inv["hosts"].as_array().unwrap().len(), 1, "{inv}");

    // `serve` from data dir C on the database: the token made in A logs in; a task runs.
    let (api, server) = serve(c.path(), &url);
    let sample = std::fs::read_to_string(format!(
        "{}/tests/fixtures/codo-task.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut submit = opsdeck(a.path())
        .env("OPSDECK_TOKEN", &token)
        .args([
            "--server", &api, "submit", "json", "-", "--at", "now", "--wait",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    submit
        .stdin
        .take()
        .unwrap()
        .write_all(sample.as_bytes())
        .unwrap();
    let out = ok(submit.wait_with_output().unwrap());
    assert!(out.contains("VERSION=eeee arg02=xxxx"), "{out}");

    // A second engine on the same database starts as a second node (leases, not a lock, keep
    // each task on one node), with its own lease setting.
    let d = tempfile::tempdir().unwrap();
    let (_api2, second) = serve_with(d.path(), &url, &["--lease-secs", "3"]);
    // After a PostgreSQL restart both nodes' heartbeats, by the database's clock, keep moving.
    pg.restart();
    std::thread::sleep(Duration::from_secs(5));
    let nodes: serde_json::Value = serde_json::from_str(&ok(opsdeck(a.path())
        .args(["--database-url", &url, "nodes", "--json"])
        .output()
        .unwrap()))
    .unwrap();
    assert_eq!(nodes.as_array().map(Vec::len), Some(2), "{nodes}");
    for n in nodes.as_array().unwrap() {
        assert_eq!(n["version"], env!("CARGO_PKG_VERSION"), "{nodes}");
        let age = n["heartbeat_age_secs"].as_f64().unwrap();
        assert!(age < 4.0, "heartbeat {age}s old: {nodes}");
        assert_eq!(n["running"], 0, "{nodes}");
        assert_eq!(n["running_tasks"], serde_json::json!([]), "{nodes}");
    }
    stop(second);
    let table = ok(opsdeck(a.path())
        .args(["--database-url", &url, "nodes"])
        .output()
        .unwrap());
    assert!(table.contains("HEARTBEAT AGE"), "{table}");
    assert!(table.contains("RUNNING"), "{table}");
    assert!(table.contains(nodes[0]["id"].as_str().unwrap()), "{table}");
    // The same through the API of the serving node (signed in), and refused without a token.
    let api_nodes = |token: Option<&str>| {
        let url = format!("{api}/api/v1/nodes");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let mut req = reqwest::Client::new().get(url);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            })
    };
    let (status, body) = api_nodes(Some(&token));
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == nodes[0]["id"]),
        "{listed}"
    );
    assert_eq!(api_nodes(None).0, 401);
    // Without PostgreSQL there are no nodes to list: refused, naming the SQLite file.
    let out = opsdeck(a.path()).args(["nodes"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("opsdeck.db"),
        "{}",
        text(&out.stderr)
    );
    stop(server);

    // What the task left is in PostgreSQL, not in a data dir.
    assert_eq!(
        pg.sql("ops", "SELECT state FROM tasks").unwrap(),
        "succeeded"
    );
    let lines: u64 = pg
        .sql("ops", "SELECT count(*) FROM log_lines")
        .unwrap()
        .parse()
        .unwrap();
    assert!(lines > 0);
    assert!(!c.path().join("data/opsdeck.db").exists());
    // Once the first engine stopped, another may start, and it serves the first one's history.
    let (api, again) = serve(d.path(), &url);
    let list: serde_json::Value = serde_json::from_str(&ok(opsdeck(a.path())
        .env("OPSDECK_TOKEN", &token)
        .args(["--server", &api, "task", "list", "--json"])
        .output()
        .unwrap()))
    .unwrap();
    assert_eq!(list[0]["state"], "succeeded", "{list}");
    stop(again);
}

/// `--database-url` reaches the engine a command starts for its data dir (through the
/// environment, never its command line): the task it runs is stored in PostgreSQL.
#[test]
fn the_engine_a_command_starts_uses_the_database_too() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("local");
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("codo.toml");
    std::fs::write(&tpl, CODO_TEMPLATE).unwrap();
    let run = |args: &[&str], stdin: Option<&str>| -> Output {
        let mut c = opsdeck(dir.path());
        c.arg("--database-url").arg(&url).args(args);
        if stdin.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(s) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    ok(run(&["template", "import", tpl.to_str().unwrap()], None));
    let sample = std::fs::read_to_string(format!(
        "{}/tests/fixtures/codo-task.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let out = ok(run(
        &["submit", "json", "-", "--at", "now", "--wait"],
        Some(&sample),
    ));
    assert!(out.contains("VERSION=eeee arg02=xxxx"), "{out}");
    assert_eq!(
        pg.sql("local", "SELECT state FROM tasks").unwrap(),
        "succeeded"
    );
    assert!(!dir.path().join("data/opsdeck.db").exists());
    // The engine's command line does not carry the URL (its password).
    let pid = std::fs::read_to_string(dir.path().join("data/engine.lock")).unwrap();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap_or_default();
    assert!(!text(&cmdline).contains(postgres::PASSWORD));
    ok(run(&["engine", "stop"], None));
}

#[test]
fn a_bad_database_url_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://ops:sekret@127.0.0.1:{port}/ops?connect_timeout=3");
    let start = std::time::Instant::now();
    let out = opsdeck(dir.path())
        .env("OPSDECK_DATABASE_URL", &url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("sekret"), "{err}");
    assert!(!err.contains("listening"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(!dir.path().join("data/opsdeck.db").exists());

    // Not a postgres:// URL: the flag is named.
    let out = opsdeck(dir.path())
        .args(["--database-url", "mysql://root:pw@db/x", "user", "list"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--database-url"), "{err}");
    assert!(!err.contains(":pw@"), "{err}");

    // The same in the config file: the file and the key are named.
    std::fs::write(
        dir.path().join("config.toml"),
        "database_url = \"sqlite:///tmp/x.db\"\n",
    )
    .unwrap();
    let out = opsdeck(dir.path()).args(["user", "list"]).output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("config.toml") && err.contains("database_url"),
        "{err}"
    );
}

#[test]
fn bad_lease_settings_are_refused_naming_the_setting_and_start_nothing() {
    let d = tempfile::tempdir().unwrap();
    for bad in ["0", "-1", "2", "3601", "99999999999999999999", "thirty", ""] {
        let out = opsdeck(d.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--lease-secs", bad])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad}");
        let err = text(&out.stderr);
        assert!(err.contains("--lease-secs"), "{bad}: {err}");
        assert!(!err.contains("listening"), "{bad}: {err}");
    }
    // The environment variable is checked the same way.
    let out = opsdeck(d.path())
        .env("OPSDECK_LEASE_SECS", "0")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--lease-secs"));
    // The config key: refused naming the file and the key, before anything is opened.
    std::fs::write(d.path().join("config.toml"), "lease_secs = 0\n").unwrap();
    let out = opsdeck(d.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("config.toml: lease_secs: 0 must be 3..=3600"),
        "{err}"
    );
    assert!(!d.path().join("data/opsdeck.db").exists(), "{err}");
}
