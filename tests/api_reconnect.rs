//! Connection loss between a RemoteBackend and the server: calls fail with a clear error while the
//! link is down, and a live log resumes from the last line received once it is back — no line lost or repeated.

mod api_common;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api_common::Server;
use futures::StreamExt;
use opsdeck::api::client::RemoteBackend;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{Role, StepState, TaskState};
use tokio::sync::Mutex;

/// A loopback TCP relay in front of the server that can cut every connection and refuse new ones.
struct Relay {
    url: String,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let down = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
        let (d, c) = (down.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(inbound); // the server is "gone": the connection is closed at once
                    continue;
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().await.push(h);
            }
        });
        Relay { url, down, conns }
    }

    async fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for h in self.conns.lock().await.drain(..) {
            h.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_log_survives_a_lost_connection() {
    let s = Server::start(Config::default()).await;
    let token = s.user("olga", Role::Operator);
    let relay = Relay::start(s.addr).await;
    let rb = RemoteBackend::new(&relay.url, &token).unwrap();

    let t = rb
        .submit(common::spec(2, &[(1, &["h1"])], &[]))
        .await
        .unwrap();
    let mut follow = rb.follow(t.id, 1).await.unwrap();
    let mut got = Vec::new();
    // Read until the first level's output is in.
    while !got
        .iter()
        .any(|l: &opsdeck::model::LogLine| l.text == "first-2")
    {
        let l = tokio::time::timeout(Duration::from_secs(60), follow.next())
            .await
            .expect("a line")
            .expect("the stream goes on");
        got.push(l);
    }
    // Wait for the manual step, then lose the connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let steps = s.world.store.step_runs(t.id).unwrap();
        if steps.iter().any(|r| r.state == StepState::Manual) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no manual step");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relay.cut().await;

    // While it is down: a clear error naming the server.
    let e = rb.tasks(Default::default()).await.unwrap_err().to_string();
    assert!(
        e.contains(&relay.url) && e.contains("is `opsdeck serve` running"),
        "{e}"
    );

    // Lines are written while the client is away (release on the server side), then the link returns.
    s.world
        .as_user("olga")
        .release(t.id, None, None)
        .await
        .unwrap();
    s.world
        .wait_state(t.id, None, Duration::from_secs(60))
        .await;
    relay.restore();

    while let Some(l) = tokio::time::timeout(Duration::from_secs(60), follow.next())
        .await
        .expect("the stream resumes")
    {
        got.push(l);
    }
    let seqs: Vec<u64> = got.iter().map(|l| l.seq).collect();
    assert_eq!(
        seqs,
        (1..=got.len() as u64).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
    s.world.engine.hub().flush().await;
    assert_eq!(s.world.store.log_count(t.id).unwrap(), got.len() as u64);
    let out: Vec<&str> = got
        .iter()
        .filter(|l| l.stream == opsdeck::model::Stream::Stdout)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        out,
        ["first-1", "first-2", "second-1", "second-2", "second-3"]
    );
    assert_eq!(
        rb.task(t.id).await.unwrap().task.state,
        TaskState::Succeeded
    );
    s.stop().await;
}
