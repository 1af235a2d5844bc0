//! A real `opsdeck serve` process under the hostile requests of issue 12: while ten of them run,
//! `/whoami` answers within a second, the process survives them, and SIGTERM stops it within 10 s.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

struct Serve {
    child: Child,
    url: String,
    token: String,
    _dir: tempfile::TempDir,
}

fn opsdeck(dir: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("USER", "tester");
    c
}

fn start() -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let out = opsdeck(dir.path())
        .args(["user", "add", "root", "--role", "admin"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut child = opsdeck(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.split("listening on ").nth(1) {
            url = rest.split_whitespace().next().unwrap_or("").to_string();
            break;
        }
        line.clear();
    }
    assert!(url.starts_with("http://"), "no address in `{line}`");
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in err.lines() {});
    Serve {
        child,
        url,
        token,
        _dir: dir,
    }
}

fn chain(head: &str, term: &str, n: usize) -> String {
    let mut s = String::from(head);
    for i in 0..n {
        s.push_str(&term.replace("{}", &i.to_string()));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_neither_crash_nor_freeze_serve_and_sigterm_stops_it() {
    let mut s = start();
    let c = reqwest::Client::new();
    let audit = format!("{}/modules/sql-audit/submit?dry_run=true", s.url);
    let codo = format!("{}/codo/task/accept", s.url);
    let union = chain("SELECT 0", " UNION SELECT {}", 10_000);
    let plus = chain("SELECT 1", " + 1", 200_000);
    // Legal but slow to review: many statements, each scored by every rule.
    let heavy = "SELECT a.x, b.y FROM t1 a JOIN t2 b ON a.id = b.id WHERE a.z LIKE '%q' OR b.w IN (SELECT w FROM t3 WHERE v > 1) ORDER BY RAND();\n"
        .repeat(2_500);
    let deep = |d: usize| format!("{{'A': {}{}}}", "[".repeat(d), "]".repeat(d));
    let mut hostile = Vec::new();
    for i in 0..10 {
        let (url, body) = match i % 5 {
            0 => (&audit, json!({"sql": union, "approvers": ["root"]})),
            1 => (&audit, json!({"sql": plus, "approvers": ["root"]})),
            2 => (&audit, json!({"sql": heavy, "approvers": ["root"]})),
            3 => (
                &codo,
                json!({"temp_id": "9505", "schedule": "ready", "args": deep(1000), "hosts": "{1: 'localhost'}"}),
            ),
            _ => (
                &codo,
                json!({"temp_id": "9505", "schedule": "ready", "args": deep(20), "hosts": "{1: 'localhost'}"}),
            ),
        };
        let rb = c.post(url.as_str()).bearer_auth(&s.token).json(&body);
        hostile.push(tokio::spawn(async move {
            let r = rb.send().await.map_err(|e| e.to_string())?;
            Ok::<u16, String>(r.status().as_u16())
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let t = Instant::now();
        let r = c
            .get(format!("{}/whoami", s.url))
            .bearer_auth(&s.token)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("whoami answers");
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "whoami took {:?}",
            t.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for h in hostile {
        let st = h.await.unwrap().expect("the server answered");
        assert!([200, 400, 503].contains(&st), "status {st}");
    }
    assert!(s.child.try_wait().unwrap().is_none(), "serve died");
    let t = Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            assert!(st.success(), "{st:?}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "SIGTERM did not stop serve"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
