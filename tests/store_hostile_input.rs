//! Hostile text on both stores through the real binary: NUL (which PostgreSQL text cannot hold)
//! in a task's name and args submitted over the API, in template and inventory files, and in a
//! local host's output. Nothing fails with a database error; stores keep the same `␀`.

mod support;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::postgres::{self, Postgres};

fn opsdeck(dir: &Path, url: Option<&str>) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env_remove("OPSDECK_SERVER")
        .env_remove("OPSDECK_DATABASE_URL")
        .env("USER", "tester")
        .stdin(Stdio::null());
    if let Some(u) = url {
        c.env("OPSDECK_DATABASE_URL", u);
    }
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

const TEMPLATE: &str = r#"
id = 41
name = "nul printer"
[[args]]
name = "NOTE"
default = ""
[[args]]
name = "PASS"
secret = true
default = ""
[[steps]]
group = 1
level = 1
name = "print"
command = "printf 'a\\0b\\n'; printf 'tail\\0'"
"#;

const INVENTORY: &str = r#"
[[hosts]]
name = "here"
address = "127.0.0.1"
connection = "local"
"#;

struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, url: Option<&str>) -> (String, Served) {
    let mut child = opsdeck(dir, url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(i) = l.find("http://") {
            std::thread::spawn(move || lines.for_each(drop));
            return (
                l[i..].split("/api/v1").next().unwrap().to_string(),
                Served(child),
            );
        }
    }
    panic!("serve printed no address: {:?}", child.wait());
}

fn call(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let mut req = reqwest::Client::new()
                .request(method, url)
                .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
}

fn hostile_input(url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = ok(opsdeck(d, url)
        .args(["user", "add", "root", "--role", "admin"])
        .output()
        .unwrap())
    .trim()
    .to_string();
    // Files with a raw NUL are refused naming the file and line; nothing is stored.
    let bad_tpl = d.join("bad.toml");
    std::fs::write(&bad_tpl, TEMPLATE.replace("nul printer", "nul\0printer")).unwrap();
    let out = opsdeck(d, url)
        .args(["template", "import"])
        .arg(&bad_tpl)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("bad.toml:3"), "{err}");
    assert!(!err.contains("database error"), "{err}");
    let bad_inv = d.join("bad-inv.toml");
    std::fs::write(&bad_inv, INVENTORY.replace("here", "he\0re")).unwrap();
    let out = opsdeck(d, url)
        .args(["inventory", "import"])
        .arg(&bad_inv)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("bad-inv.toml:3"), "{err}");
    // TOML's `\u0000` escape is refused by validation, naming the step's command.
    std::fs::write(&bad_tpl, TEMPLATE.replace("printf 'a", "printf '\\u0000a")).unwrap();
    let out = opsdeck(d, url)
        .args(["template", "import"])
        .arg(&bad_tpl)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("command") && err.contains("NUL"), "{err}");
    let tpl = d.join("t.toml");
    std::fs::write(&tpl, TEMPLATE).unwrap();
    ok(opsdeck(d, url)
        .args(["template", "import"])
        .arg(&tpl)
        .output()
        .unwrap());
    let inv = d.join("inv.toml");
    std::fs::write(&inv, INVENTORY).unwrap();
    ok(opsdeck(d, url)
        .args(["inventory", "import", "--replace"])
        .arg(&inv)
        .output()
        .unwrap());

    let (api, _served) = serve(d, url);
    let spec = |name: &str, note: &str, pass: &str| {
        serde_json::json!({
            "name": name, "module": "custom", "template_id": 41,
            "args": {"NOTE": note, "PASS": pass},
            "hosts": {"1": ["here"]},
            "exec_time": chrono::Utc::now().to_rfc3339(),
        })
    };
    let post = |body| {
        call(
            reqwest::Method::POST,
            format!("{api}/api/v1/tasks"),
            &token,
            Some(body),
        )
    };
    // NUL in the name, in an arg and in a secret arg: refused naming each field, the secret
    // value never quoted back, and nothing stored.
    let (status, body) = post(spec("deploy\0now", "n\0te", "hunter\0two"));
    assert_eq!(status, 400, "{body}");
    for field in ["name", "args.NOTE", "args.PASS"] {
        assert!(body.contains(field), "{field}: {body}");
    }
    assert!(!body.contains("hunter"), "{body}");
    assert!(!body.contains("database error"), "{body}");
    let (_, list) = call(
        reqwest::Method::GET,
        format!("{api}/api/v1/tasks"),
        &token,
        None,
    );
    assert!(!list.contains("deploy"), "{list}");

    // A good task whose host prints NUL: it runs, and its log keeps `␀` where NUL was.
    let (status, body) = post(spec("nul output", "fine", "hunter2"));
    assert_eq!(status, 201, "{body}");
    assert!(!body.contains("hunter2"), "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let task = loop {
        let (_, t) = call(
            reqwest::Method::GET,
            format!("{api}/api/v1/tasks/{id}"),
            &token,
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        if !v["task"]["finished_at"].is_null() || Instant::now() > deadline {
            break v;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(task["task"]["state"], "succeeded", "{task}");
    let (status, logs) = call(
        reqwest::Method::GET,
        format!("{api}/api/v1/tasks/{id}/logs"),
        &token,
        None,
    );
    assert_eq!(status, 200, "{logs}");
    let v: serde_json::Value = serde_json::from_str(&logs).unwrap();
    let texts: Vec<String> = v
        .as_array()
        .or_else(|| v["lines"].as_array())
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(texts.contains(&"a\u{2400}b".to_string()), "{texts:?}");
    assert!(texts.contains(&"tail\u{2400}".to_string()), "{texts:?}");
}

#[test]
fn sqlite_takes_hostile_input() {
    hostile_input(None);
}

#[test]
fn postgres_takes_hostile_input() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    hostile_input(Some(&pg.create_db("hostile")));
}
