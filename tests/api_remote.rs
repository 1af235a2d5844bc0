//! The CLI against a real loopback server (`opsdeck --server URL`, token from OPSDECK_TOKEN):
//! submit and wait, list, approve by role, JSON module submit, and clear errors for a bad token or a lost server.

mod api_common;
mod common;

use std::process::Output;

use api_common::Server;
use opsdeck::config::Config;
use opsdeck::model::Role;

/// Runs the opsdeck binary with a throwaway local config and data dir (the server holds the data).
async fn cli(url: &str, token: &str, args: &[&str]) -> Output {
    let (url, token) = (url.to_string(), token.to_string());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let out = assert_cmd::Command::cargo_bin("opsdeck")
            .unwrap()
            .env("OPSDECK_CONFIG", dir.path().join("c.toml"))
            .env("OPSDECK_DATA_DIR", dir.path().join("d"))
            .env("OPSDECK_TOKEN", &token)
            .env_remove("OPSDECK_SERVER")
            .arg("--server")
            .arg(&url)
            .args(&args)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        drop(dir);
        out
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_round_trips_through_the_server() {
    let s = Server::start(Config::default()).await;
    let op = s.user("olga", Role::Operator);
    let amy = s.user("amy", Role::Approver);

    let out = cli(
        &s.url,
        &op,
        &[
            "task",
            "submit",
            "--template",
            "1",
            "--host",
            "h1",
            "--arg",
            "COUNT=2",
            "--wait",
        ],
    )
    .await;
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {so}\nstderr: {se}");
    assert!(so.contains("line1") && so.contains("line2"), "{so}");
    assert!(se.contains("task 1 succeeded"), "{se}");
    let t = s.world.store.task(1).unwrap().unwrap();
    assert_eq!(
        t.spec.submitter, "olga",
        "the server's user, not the local $USER"
    );

    let out = cli(&s.url, &op, &["task", "list", "--json"]).await;
    assert!(out.status.success());
    let tasks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tasks.as_array().unwrap().len(), 1);

    // Needs approval: the operator may not approve, the approver may.
    let out = cli(
        &s.url,
        &op,
        &[
            "task",
            "submit",
            "--template",
            "1",
            "--host",
            "h2",
            "--approver",
            "amy",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&s.url, &op, &["task", "approve", "2"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("approver role"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&s.url, &amy, &["task", "approve", "2"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&s.url, &amy, &["task", "logs", "2", "--follow"]).await;
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("line3"), "{}", text(&out.stdout));

    // CODO JSON through the server's module endpoint.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("t.json");
    std::fs::write(
        &doc,
        r#"{"task_name": "codo", "submitter": "x", "temp_id": "1", "schedule": "ready",
            "exec_time": "2030-01-01 00:00:00", "args": "{'COUNT': '1'}", "details": "", "hosts": "{1: 'h3'}"}"#,
    )
    .unwrap();
    let out = cli(&s.url, &op, &["submit", "json", doc.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "3");
    assert_eq!(s.world.store.task(3).unwrap().unwrap().spec.name, "codo");

    // Read-only listings come from the server too (its inventory has h1..h3, not the local demo).
    let out = cli(&s.url, &op, &["inventory", "list", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = inv["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["h1", "h2", "h3"]);
    let out = cli(&s.url, &op, &["template", "show", "1"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("echo lines"),
        "{}",
        text(&out.stdout)
    );

    // Errors: bad input names the field; a bad token; unknown task.
    let out = cli(
        &s.url,
        &op,
        &["task", "submit", "--template", "77", "--host", "h1"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("template_id"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&s.url, "odk_nope", &["task", "list"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("refused the token"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&s.url, &op, &["task", "show", "99"]).await;
    assert!(
        text(&out.stderr).contains("task 99 not found"),
        "{}",
        text(&out.stderr)
    );

    // The server goes away: a clear error, not a hang or a panic.
    let url = s.url.clone();
    s.stop().await;
    let out = cli(&url, &op, &["task", "list"]).await;
    assert!(!out.status.success());
    let se = text(&out.stderr);
    assert!(
        se.contains("cannot be reached") && se.contains(&url),
        "{se}"
    );
    assert!(!se.contains(&op), "the token is never printed");
}

/// `opsdeck serve` as its own process: it binds 127.0.0.1:0, says where, serves, and stops on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opsdeck_serve_runs_and_stops_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let envs = [
        ("OPSDECK_CONFIG", dir.path().join("c.toml")),
        ("OPSDECK_DATA_DIR", dir.path().join("d")),
    ];
    let out = std::process::Command::new(&bin)
        .envs(envs.clone())
        .args(["user", "add", "root", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_string();
    let mut child = std::process::Command::new(&bin)
        .envs(envs)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url, rest) = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stderr).lines();
        for l in lines.by_ref() {
            let l = l.unwrap();
            if let Some(i) = l.find("http://") {
                let url = l[i..].split("/api/v1").next().unwrap().to_string();
                return (url, lines);
            }
        }
        panic!("serve printed no address");
    })
    .await
    .unwrap();
    let (st, me) = api_common::get(&format!("{url}/api/v1/whoami"), &token).await;
    assert_eq!((st, me["name"].as_str()), (200, Some("root")));
    // SAFETY: kill(2) on the pid of the child this test spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let tail: Vec<String> = rest.map_while(Result::ok).collect();
    assert!(tail.iter().any(|l| l.contains("shutting down")), "{tail:?}");
    assert!(
        !tail.iter().any(|l| l.contains(&token)),
        "the token is never logged"
    );
}
