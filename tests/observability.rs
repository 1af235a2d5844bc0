//! What an operator's monitoring sees of a real `opsdeck serve`: with `--log-format json` every
//! line it logs is one JSON object, and `GET /metrics` (signed in) gives tasks by state, step
//! durations, scheduler lateness and SSH connect failures in the Prometheus text format.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn opsdeck(dir: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env_remove("OPSDECK_LOG_FORMAT")
        .env("USER", "tester");
    c
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_prometheus_metrics_from_a_real_serve() {
    let dir = tempfile::tempdir().unwrap();
    let token = run_ok(opsdeck(dir.path()).args(["user", "add", "root", "--role", "admin"]))
        .trim()
        .to_string();
    // A host nobody listens on: its SSH connection fails, counted by reason.
    std::fs::write(
        dir.path().join("inv.toml"),
        "[[hosts]]\nname = \"localhost\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n\n\
         [[hosts]]\nname = \"gone\"\naddress = \"127.0.0.1\"\nport = 1\n\n\
         [[tags]]\nname = \"demo\"\nhosts = [\"localhost\"]\n\n\
         [[tags]]\nname = \"gone\"\nhosts = [\"gone\"]\n",
    )
    .unwrap();
    run_ok(
        opsdeck(dir.path())
            .args(["inventory", "import"])
            .arg(dir.path().join("inv.toml")),
    );
    let mut child = opsdeck(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    {
        let err = BufReader::new(child.stderr.take().unwrap());
        let lines = lines.clone();
        std::thread::spawn(move || {
            for l in err.lines().map_while(Result::ok) {
                if let Some(rest) = l.split("listening on ").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
                lines.lock().unwrap().push(l);
            }
        });
    }
    let api = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve starts");
    let base = api.trim_end_matches("/api/v1").to_string();
    let c = reqwest::Client::new();

    // No token, no metrics; a wrong method is a JSON 405.
    let r = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{base}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed", "{body}");

    // One task that succeeds on the demo host, one that cannot reach its host.
    for tag in ["demo", "gone"] {
        run_ok(
            opsdeck(dir.path())
                .env("OPSDECK_SERVER", &api)
                .env("OPSDECK_TOKEN", &token)
                .args(["submit", "custom", "--tag", tag, "--template", "9504"])
                .args(["--arg", "COMMAND=true"]),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let r = c
            .get(format!("{base}/metrics"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
        let text = r.text().await.unwrap();
        let done = has(&text, "opsdeck_tasks{", "state=\"succeeded\"", "1")
            && has(&text, "opsdeck_tasks{", "state=\"failed\"", "1");
        if done || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        has(&text, "opsdeck_tasks{", "state=\"succeeded\"", "1"),
        "{text}"
    );
    assert!(
        has(&text, "opsdeck_tasks{", "state=\"failed\"", "1"),
        "{text}"
    );
    assert!(
        has(&text, "opsdeck_tasks{", "state=\"scheduled\"", "0"),
        "{text}"
    );
    let done = "state=\"done\"";
    assert!(
        has(&text, "opsdeck_step_duration_seconds_count{", done, "1"),
        "{text}"
    );
    let why = "reason=\"unreachable\"";
    assert!(
        has(&text, "opsdeck_ssh_connect_failures_total{", why, "1"),
        "{text}"
    );
    assert!(
        has(
            &text,
            "opsdeck_scheduler_lateness_seconds_count{",
            "node=",
            "2"
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .filter(|l| l.starts_with("opsdeck_"))
            .all(|l| l.contains("node=\"")),
        "every series names its node: {text}"
    );

    terminate(&mut child);
    let lines = lines.lock().unwrap().clone();
    assert!(lines.len() >= 2, "{lines:?}");
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{l}");
        assert!(v["message"].is_string(), "{l}");
    }
    assert!(
        lines.iter().any(|l| l.contains("\"addr\"")),
        "the listen address is a field: {lines:?}"
    );
}

/// A sample line of `metric` whose labels include `label` and whose value is `value`.
fn has(text: &str, metric: &str, label: &str, value: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(metric) && l.contains(label) && l.ends_with(&format!(" {value}")))
}

/// SIGTERM, then wait for the process to end (it logs its shutdown lines first).
fn terminate(child: &mut std::process::Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
}
