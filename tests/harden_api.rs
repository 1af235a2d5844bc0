//! The hostile-request probes of issue 12 against a real loopback server: deep SQL and Python
//! literals (the server survives and keeps answering), JSON errors for bad paths and queries,
//! secret defaults hidden from non-admins, dry runs masked, approval and cancel rules.

mod api_common;
mod common;

use std::time::{Duration, Instant};

use api_common::{Server, call, get, post};
use opsdeck::config::Config;
use opsdeck::model::Role;
use reqwest::Method;
use serde_json::{Value, json};

fn chain(head: &str, term: &str, n: usize) -> String {
    let mut s = String::from(head);
    for i in 0..n {
        s.push_str(&term.replace("{}", &i.to_string()));
    }
    s
}

fn messages(b: &Value) -> String {
    b.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_sql_and_literals_get_clear_errors_and_the_server_survives() {
    let s = Server::start(Config::default()).await;
    let op = s.user("olga", Role::Operator);
    let union = chain("SELECT 0", " UNION SELECT {}", 10_000);
    let (st, b) = post(
        &s.api("/modules/sql-audit/submit?dry_run=true"),
        &op,
        json!({"tag": "none", "sql": union, "approvers": ["root"]}),
    )
    .await;
    assert_eq!(st, 400, "{b:.300}");
    assert!(messages(&b).contains("limit of 500 levels"), "{b:.500}");
    assert!(messages(&b).contains("line 1:"), "{b:.500}");
    let (st, _) = get(&s.api("/whoami"), &op).await;
    assert_eq!(st, 200);
    // The CODO literal probe: depth 1000 in 2 KB.
    let deep = format!("{{'A': {}{}}}", "[".repeat(1000), "]".repeat(1000));
    let t = Instant::now();
    let (st, b) = post(
        &s.api("/codo/task/accept"),
        &op,
        json!({"temp_id": "1", "schedule": "ready", "exec_time": "2030-01-01 00:00",
               "hosts": "{1: 'h1'}", "args": deep}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(b["code"], -1);
    assert!(
        b["msg"]
            .as_str()
            .unwrap()
            .contains("args: bad Python literal"),
        "{b}"
    );
    assert!(
        b["msg"].as_str().unwrap().contains("limit of 32 levels"),
        "{b}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(s.task_count(), 0);
    s.stop().await;
}

#[tokio::test]
async fn bad_paths_and_queries_answer_json_and_limit_zero_means_no_line() {
    let s = Server::start(Config::default()).await;
    let op = s.user("olga", Role::Operator);
    for path in ["/tasks/1e3", "/tasks/abc/logs", "/templates/-1"] {
        let (st, b) = get(&s.api(path), &op).await;
        assert_eq!(st, 400, "{path}: {b}");
        assert_eq!(b["error"], "invalid", "{path}: {b}");
        assert_eq!(b["fields"][0]["field"], "path", "{path}: {b}");
    }
    let (st, b) = get(&s.api("/tasks?limit=lots"), &op).await;
    assert_eq!(
        (st, b["fields"][0]["field"].as_str()),
        (400, Some("query")),
        "{b}"
    );
    let spec = api_common::spec_json("three lines", &[], 3);
    let (st, t) = post(&s.api("/tasks"), &op, spec).await;
    assert_eq!(st, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, lines) = get(&s.api(&format!("/tasks/{id}/logs")), &op).await;
        if lines.as_array().is_some_and(|a| a.len() >= 3) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (st, b) = get(&s.api(&format!("/tasks/{id}/logs?limit=0")), &op).await;
    assert_eq!((st, b.clone()), (200, json!([])), "{b}");
    let (st, b) = get(&s.api(&format!("/tasks/{id}/logs?limit=1")), &op).await;
    assert_eq!((st, b.as_array().map(Vec::len)), (200, Some(1)), "{b}");
    let (st, _) = get(&s.api("/tasks/999/logs?limit=0"), &op).await;
    assert_eq!(st, 404);
    s.stop().await;
}

const SECRET_DEFAULT: &str = r#"id = 40
name = "secret default"
[[args]]
name = "PASS"
default = "s3cr3t-d'fault"
secret = true
[[steps]]
group = 1
level = 1
name = "login"
command = "login --password ${PASS}"
"#;

#[tokio::test]
async fn secret_defaults_are_hidden_from_non_admins_and_dry_runs_are_masked() {
    let s = Server::start(Config::default()).await;
    let admin = s.user("root", Role::Admin);
    let viewer = s.user("vic", Role::Viewer);
    let op = s.user("olga", Role::Operator);
    let (st, b) = post(
        &s.api("/templates"),
        &admin,
        json!({"source": SECRET_DEFAULT}),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let w = b["warnings"].to_string();
    assert!(
        w.contains("source:11: steps[0].command: secret arg `PASS` is on the command line")
            && w.contains("stdin"),
        "{b}"
    );
    for who in [&viewer, &op] {
        for path in ["/templates", "/templates/40", "/modules/context"] {
            let (st, b) = get(&s.api(path), who).await;
            assert_eq!(st, 200);
            let text = b.to_string();
            assert!(!text.contains("s3cr3t"), "{path}: {text:.2000}");
            assert!(text.contains("******"), "{path}");
        }
    }
    let (_, b) = get(&s.api("/templates/40"), &admin).await;
    assert!(b["source"].as_str().unwrap().contains("s3cr3t-d'fault"));
    // A dry run shows neither the given secret nor the default, in the spec or the commands.
    for args in [json!({}), json!({"PASS": "given-pa'ss"})] {
        let doc = json!({"temp_id": 40, "schedule": "ready", "exec_time": "2030-01-01 00:00",
                         "hosts": {"1": "h1"}, "args": args});
        let (st, b) = post(
            &s.api("/modules/custom-json/submit?dry_run=true"),
            &op,
            json!({"json": doc.to_string()}),
        )
        .await;
        assert_eq!(st, 200, "{b}");
        let text = b.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("given-pa"),
            "{text}"
        );
        assert!(text.contains("login --password ******"), "{text}");
    }
    s.stop().await;
}

const GATED: &str = r#"id = 41
name = "gated"
approvers = ["bob"]
[[steps]]
group = 1
level = 1
name = "x"
command = "true"
"#;

#[tokio::test]
async fn approval_rules_match_the_documentation() {
    let s = Server::start(Config::default()).await;
    let admin = s.user("root", Role::Admin);
    let op = s.user("olga", Role::Operator);
    let bob = s.user("bob", Role::Approver);
    let carol = s.user("carol", Role::Approver);
    post(&s.api("/templates"), &admin, json!({"source": GATED})).await;
    // Naming an approver makes a task need approval, whatever needs_approval says.
    let mut spec = api_common::spec_json("named", &["carol"], 1);
    spec["needs_approval"] = json!(false);
    spec["exec_time"] = json!("2030-01-01T00:00:00Z");
    let (st, t) = post(&s.api("/tasks"), &op, spec).await;
    assert_eq!(
        (st, t["state"].as_str()),
        (201, Some("pending_approval")),
        "{t}"
    );
    let named = t["id"].as_i64().unwrap();
    // Only the task's approvers (and the submitter, admins) may cancel it.
    let (st, b) = post(&s.api(&format!("/tasks/{named}/cancel")), &bob, json!({})).await;
    assert_eq!(st, 403, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("only its submitter, its approvers and admins")
    );
    // A template's approvers list restricts who may be named, and who may approve.
    let gated = json!({"name": "g", "template_id": 41, "hosts": {"1": ["h1"]},
                       "exec_time": "2030-01-01T00:00:00Z", "approvers": ["carol"]});
    let (st, b) = post(&s.api("/tasks"), &op, gated.clone()).await;
    assert_eq!(st, 400, "{b}");
    assert!(b.to_string().contains("its approvers are bob"), "{b}");
    let mut plain = gated;
    plain["approvers"] = json!([]);
    let (st, t) = post(&s.api("/tasks"), &op, plain).await;
    assert_eq!(
        (st, t["state"].as_str()),
        (201, Some("pending_approval")),
        "{t}"
    );
    let gid = t["id"].as_i64().unwrap();
    let (st, _) = post(&s.api(&format!("/tasks/{gid}/approve")), &carol, json!({})).await;
    assert_eq!(st, 403);
    let (st, _) = post(&s.api(&format!("/tasks/{gid}/cancel")), &carol, json!({})).await;
    assert_eq!(st, 403);
    let (st, b) = post(&s.api(&format!("/tasks/{gid}/approve")), &bob, json!({})).await;
    assert_eq!(st, 200, "{b}");
    let (st, b) = post(&s.api(&format!("/tasks/{named}/cancel")), &carol, json!({})).await;
    assert_eq!(st, 200, "{b}");
    let _ = call(Method::GET, &s.api("/whoami"), Some(&admin), None).await;
    s.stop().await;
}
