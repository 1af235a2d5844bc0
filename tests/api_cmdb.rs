//! `opsdeck inventory import --from-url` against a CMDB stand-in served over loopback HTTP.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

type Seen = Arc<Mutex<Vec<String>>>;

async fn hosts(
    State(seen): State<Seen>,
    Path(which): Path<String>,
    h: HeaderMap,
) -> axum::Json<Value> {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock().unwrap().push(auth);
    let list = if which == "good" {
        json!([
            {"hostname": "web1", "net": {"ip": "10.9.0.1"}, "ssh_port": 2222, "biz": "web,prod"},
            {"hostname": "web2", "net": {"ip": "10.9.0.2"}, "biz": ["web"]},
        ])
    } else {
        json!([{"hostname": "ok", "net": {"ip": "10.9.0.3"}}, {"net": {"ip": "10.9.0.4"}}])
    };
    axum::Json(json!({"code": 0, "data": {"list": list}}))
}

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("opsdeck")
        .unwrap()
        .env("OPSDECK_CONFIG", dir.join("c.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("d"))
        .env("CMDB_TEST_TOKEN", "cmdb-secret")
        .env_remove("OPSDECK_SERVER")
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmdb_records_are_imported_with_the_field_mapping() {
    let seen: Seen = Default::default();
    let app = axum::Router::new()
        .route("/cmdb/{which}", axum::routing::get(hosts))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/cmdb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        r#"
[cmdb]
records = "/data/list"
token_env = "CMDB_TEST_TOKEN"
[cmdb.fields]
name = "hostname"
address = "/net/ip"
port = "ssh_port"
tags = "biz"
"#,
    )
    .unwrap();
    let d = dir.path().to_path_buf();
    let good = format!("{base}/good");
    let bad = format!("{base}/bad");
    let (ok, list, failed, after) = tokio::task::spawn_blocking(move || {
        let ok = run(&d, &["inventory", "import", "--from-url", &good]);
        let list = run(&d, &["inventory", "list", "--json"]);
        let failed = run(&d, &["inventory", "import", "--from-url", &bad]);
        let after = run(&d, &["inventory", "list", "--json"]);
        (ok, list, failed, after)
    })
    .await
    .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let inv: Value = serde_json::from_slice(&list.stdout).unwrap();
    let web1 = inv["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "web1")
        .unwrap();
    assert_eq!(web1["address"], "10.9.0.1");
    assert_eq!(web1["port"], 2222);
    let web = inv["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "web")
        .unwrap();
    assert_eq!(web["hosts"], json!(["web1", "web2"]));
    assert_eq!(seen.lock().unwrap()[0], "Bearer cmdb-secret");

    // A bad record fails the whole import, naming the record and field; nothing is stored.
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("records[1].hostname"), "{err}");
    assert_eq!(serde_json::from_slice::<Value>(&after.stdout).unwrap(), inv);
}
