//! Webhooks against a receiver started in the test: payloads per format and event, retries with
//! backoff, and a dead or failing webhook never blocks or fails a task.

mod api_common;
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_common::{Server, post, spec_json};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use opsdeck::config::{Config, Webhook, WebhookEvent, WebhookFormat};
use opsdeck::model::{Role, TaskState};
use serde_json::{Value, json};

#[derive(Default)]
struct Received {
    /// (path, query, body) of every request, in arrival order.
    hits: Vec<(String, String, Value)>,
}

type Shared = Arc<Mutex<Received>>;

async fn hook(
    State(r): State<Shared>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    body: String,
) -> (StatusCode, String) {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut g = r.lock().unwrap();
    g.hits.push((name.clone(), q.unwrap_or_default(), v));
    let n = g.hits.iter().filter(|h| h.0 == name).count();
    match name.as_str() {
        // Fails twice, then accepts.
        "flaky" if n <= 2 => (StatusCode::INTERNAL_SERVER_ERROR, "down".into()),
        "always500" => (StatusCode::INTERNAL_SERVER_ERROR, "down".into()),
        "ding" | "wecom" => (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.into()),
        _ => (StatusCode::OK, "ok".into()),
    }
}

fn wh(url: String, format: WebhookFormat, events: &[WebhookEvent], retries: u32) -> Webhook {
    Webhook {
        url,
        format,
        events: events.to_vec(),
        retries,
        backoff: "10ms".into(),
        timeout: "5s".into(),
    }
}

#[tokio::test]
async fn webhooks_fire_with_formats_and_retries_and_never_block_tasks() {
    let received: Shared = Default::default();
    let app = axum::Router::new()
        .route("/hook/{name}", axum::routing::post(hook))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    // A port nothing listens on: bind, read, drop.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };

    use WebhookEvent::*;
    let all = [ApprovalRequested, TaskFailed, TaskFinished];
    let config = Config {
        webhooks: vec![
            wh(format!("{base}/generic"), WebhookFormat::Generic, &all, 0),
            wh(
                format!("{base}/flaky"),
                WebhookFormat::Generic,
                &[TaskFinished],
                3,
            ),
            wh(
                format!("{base}/always500"),
                WebhookFormat::Generic,
                &[TaskFailed],
                2,
            ),
            wh(
                format!("{base}/slack"),
                WebhookFormat::Slack,
                &[TaskFailed],
                0,
            ),
            wh(
                format!("{base}/ding?access_token=SECRET"),
                WebhookFormat::Dingtalk,
                &[ApprovalRequested],
                0,
            ),
            wh(
                format!("{base}/wecom"),
                WebhookFormat::Wecom,
                &[TaskFinished],
                0,
            ),
            wh(
                format!("http://127.0.0.1:{dead}/x"),
                WebhookFormat::Generic,
                &all,
                1,
            ),
        ],
        ..Config::default()
    };
    let s = Server::start(config).await;
    let op = s.user("olga", Role::Operator);
    let amy = s.user("amy", Role::Approver);

    // 1: needs approval → approval_requested; approved → runs → task_finished.
    let (_, t) = post(&s.api("/tasks"), &op, spec_json("ok task", &["amy"], 2)).await;
    let ok_id = t["id"].as_i64().unwrap();
    let (st, _) = post(&s.api(&format!("/tasks/{ok_id}/approve")), &amy, json!({})).await;
    assert_eq!(st, 200);
    // 2: exits 1 → task_failed.
    let mut failing = spec_json("bad task", &[], 1);
    failing["args"]["CODE"] = json!("1");
    let (_, t) = post(&s.api("/tasks"), &op, failing).await;
    let bad_id = t["id"].as_i64().unwrap();

    // The tasks end as they would without webhooks: a dead or failing receiver blocks nothing.
    let t = Duration::from_secs(60);
    assert_eq!(
        s.world.wait_state(ok_id, None, t).await,
        TaskState::Succeeded
    );
    assert_eq!(s.world.wait_state(bad_id, None, t).await, TaskState::Failed);

    // Wait for what must arrive: generic 3, flaky 3 (2 failures + 1), always500 3 (1 + 2 retries),
    // slack 1, ding 1, wecom 1.
    let want = [
        ("generic", 3),
        ("flaky", 3),
        ("always500", 3),
        ("slack", 1),
        ("ding", 1),
        ("wecom", 1),
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = {
            let g = received.lock().unwrap();
            want.iter()
                .all(|(n, c)| g.hits.iter().filter(|h| h.0 == *n).count() >= *c)
        };
        if done {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "webhooks did not all arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.stop().await; // stops the notifier: nothing further is sent
    let g = received.lock().unwrap();
    let of =
        |n: &str| -> Vec<&Value> { g.hits.iter().filter(|h| h.0 == n).map(|h| &h.2).collect() };
    for (n, c) in want {
        assert_eq!(
            of(n).len(),
            c,
            "{n}: exactly {c} requests (retries stop at success or the limit)"
        );
    }

    // Generic: one of each event, with the task's facts.
    let generic = of("generic");
    let mut events: Vec<(&str, i64)> = generic
        .iter()
        .map(|v| {
            (
                v["event"].as_str().unwrap(),
                v["task"]["id"].as_i64().unwrap(),
            )
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("approval_requested", ok_id),
            ("task_failed", bad_id),
            ("task_finished", ok_id)
        ]
    );
    let finished = generic
        .iter()
        .find(|v| v["event"] == "task_finished")
        .unwrap();
    assert_eq!(finished["task"]["state"], "succeeded");
    assert_eq!(finished["task"]["submitter"], "olga");
    assert_eq!(finished["task"]["name"], "ok task");
    let asked = generic
        .iter()
        .find(|v| v["event"] == "approval_requested")
        .unwrap();
    assert_eq!(asked["task"]["approvers"], json!(["amy"]));
    assert!(asked["text"].as_str().unwrap().contains("amy"));
    // The flaky receiver got the same body each time.
    let flaky = of("flaky");
    assert!(
        flaky
            .iter()
            .all(|v| v["event"] == "task_finished" && v["task"]["id"] == ok_id)
    );

    // Slack: {text}; DingTalk: markdown with the token in the query; WeCom: markdown content.
    let slack = of("slack");
    assert!(
        slack[0]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("task {bad_id}"))
    );
    assert!(slack[0]["text"].as_str().unwrap().contains("failed"));
    let ding = g.hits.iter().find(|h| h.0 == "ding").unwrap();
    assert_eq!(ding.1, "access_token=SECRET");
    assert_eq!(ding.2["msgtype"], "markdown");
    assert!(
        ding.2["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("waits for approval")
    );
    let wecom = of("wecom");
    assert_eq!(wecom[0]["msgtype"], "markdown");
    assert!(
        wecom[0]["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("succeeded")
    );
}
