//! Live logs over server-sent events: every line, in order, after a reconnect from a sequence number;
//! and the same through `RemoteBackend::follow`.

mod api_common;
mod common;

use std::time::Duration;

use api_common::{Server, post, spec_json};
use futures::StreamExt;
use opsdeck::api::client::{RemoteBackend, take_events};
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{LogLine, Role, TaskState};

/// Reads `line` events until `stop_after` lines (then drops the connection) or the `end` event.
async fn read_sse(r: reqwest::Response, stop_after: Option<usize>) -> (Vec<LogLine>, bool) {
    let mut r = r;
    let mut buf = String::new();
    let mut lines = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        for ev in take_events(&mut buf) {
            match ev.event.as_str() {
                "end" => return (lines, true),
                "line" => {
                    let l: LogLine = serde_json::from_str(&ev.data).unwrap();
                    assert_eq!(ev.id.as_deref(), Some(l.seq.to_string().as_str()));
                    lines.push(l);
                    if stop_after.is_some_and(|n| lines.len() >= n) {
                        return (lines, false);
                    }
                }
                other => panic!("unexpected event {other}"),
            }
        }
    }
    (lines, false)
}

#[tokio::test]
async fn sse_delivers_every_line_in_order_after_a_reconnect() {
    let s = Server::start(Config::default()).await;
    let token = s.user("olga", Role::Operator);
    let (st, t) = post(&s.api("/tasks"), &token, spec_json("chatty", &[], 3000)).await;
    assert_eq!(st, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    let client = reqwest::Client::new();
    let url = s.api(&format!("/tasks/{id}/logs/stream"));

    // First connection from seq 1: read 500 lines, then drop it mid-stream.
    let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (first, ended) = read_sse(r, Some(500)).await;
    assert!(!ended);
    let last = first.last().unwrap().seq;

    // Reconnect as a browser does: Last-Event-ID = the last seq received.
    let r = client
        .get(&url)
        .bearer_auth(&token)
        .header("Last-Event-ID", last.to_string())
        .send()
        .await
        .unwrap();
    let (rest, ended) = read_sse(r, None).await;
    assert!(
        ended,
        "the stream ends with an end event once the task is final"
    );

    let all: Vec<LogLine> = first.into_iter().chain(rest).collect();
    let seqs: Vec<u64> = all.iter().map(|l| l.seq).collect();
    let want: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, want, "no gap, no repeat, in order");
    let out: Vec<&str> = all
        .iter()
        .filter(|l| l.stream == opsdeck::model::Stream::Stdout)
        .map(|l| l.text.as_str())
        .collect();
    let expect: Vec<String> = (1..=3000).map(|i| format!("line{i}")).collect();
    assert!(out == expect, "stdout lines differ from line1..line3000");
    s.world.engine.hub().flush().await;
    assert_eq!(s.world.store.log_count(id).unwrap(), all.len() as u64);

    // ?from_seq= resumes too, and a page read agrees with the stream.
    let r = client
        .get(format!("{url}?from_seq=2990"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (tail, ended) = read_sse(r, None).await;
    assert!(ended);
    assert_eq!(tail.first().unwrap().seq, 2990);
    assert_eq!(tail.last().unwrap().seq, all.len() as u64);
    let (st, page) = api_common::get(
        &s.api(&format!("/tasks/{id}/logs?from_seq=10&limit=5")),
        &token,
    )
    .await;
    assert_eq!(st, 200);
    let page: Vec<LogLine> = serde_json::from_value(page).unwrap();
    let key = |l: &LogLine| (l.seq, l.text.clone());
    let page: Vec<_> = page.iter().map(key).collect();
    let want: Vec<_> = all[9..14].iter().map(key).collect();
    assert_eq!(page, want);

    // A bad Last-Event-ID names the header.
    let r = client
        .get(&url)
        .bearer_auth(&token)
        .header("Last-Event-ID", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    s.stop().await;
}

#[tokio::test]
async fn remote_follow_streams_a_running_task_from_a_seq() {
    let s = Server::start(Config::default()).await;
    let token = s.user("olga", Role::Operator);
    let rb = RemoteBackend::new(&s.url, &token).unwrap();
    let mut spec = common::spec(1, &[(1, &["h1", "h2"])], &[("COUNT", "400")]);
    spec.exec_time = chrono::Utc::now();
    let t = rb.submit(spec).await.unwrap();
    assert_eq!(t.spec.submitter, "olga");
    let mut st = rb.follow(t.id, 1).await.unwrap();
    let mut lines = Vec::new();
    while let Some(l) = tokio::time::timeout(Duration::from_secs(120), st.next())
        .await
        .unwrap()
    {
        lines.push(l);
    }
    let seqs: Vec<u64> = lines.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, (1..=lines.len() as u64).collect::<Vec<_>>());
    for h in ["h1", "h2"] {
        let mine: Vec<&str> = lines
            .iter()
            .filter(|l| l.host.as_deref() == Some(h) && l.stream == opsdeck::model::Stream::Stdout)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(mine.len(), 400, "{h}");
        assert_eq!(mine[399], "line400");
    }
    let d = rb.task(t.id).await.unwrap();
    assert_eq!(d.task.state, TaskState::Succeeded);
    // From a later seq: exactly the tail.
    // (Stored timestamps are rounded to microseconds; live ones were not: compare seq and text.)
    let key = |l: &LogLine| (l.seq, l.host.clone(), l.text.clone());
    let tail: Vec<LogLine> = rb.follow(t.id, 700).await.unwrap().collect().await;
    let tail: Vec<_> = tail.iter().map(key).collect();
    let want: Vec<_> = lines[699..].iter().map(key).collect();
    assert!(tail == want, "the tail from seq 700 differs");
    // Unknown task: the error comes back at once.
    assert!(rb.follow(9999, 1).await.is_err());
    s.stop().await;
}
