//! The console against a team server: `opsdeck --server URL` in a real terminal (tmux) lists the
//! server's tasks and shows a task's log live, with the token from OPSDECK_TOKEN.

mod api_common;
mod common;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use api_common::{Server, spec_json};
use opsdeck::config::Config;
use opsdeck::model::Role;

fn capture(session: &str) -> String {
    let out = Command::new("tmux")
        .args(["capture-pane", "-p", "-t", session])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn wait_for(session: &str, what: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let screen = capture(session);
        if screen.contains(what) {
            return screen;
        }
        assert!(
            start.elapsed() < limit,
            "`{what}` never appeared; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

#[test]
fn the_console_runs_against_a_remote_server() {
    if !support::require_system("tmux") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(Server::start(Config::default()));
    let token = s.user("olga", Role::Operator);
    let mut body = spec_json("remote console task", &[], 5);
    body["exec_time"] =
        serde_json::json!((chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339());
    let (st, t) = rt.block_on(api_common::post(&s.api("/tasks"), &token, body));
    assert_eq!(st, 201, "{t}");

    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    // The local config and data dir are empty throwaways: everything shown comes from the server.
    let cmd = format!(
        "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} OPSDECK_TOKEN={token} USER=tester {} --server {}",
        dir.path().join("config.toml").display(),
        dir.path().join("data").display(),
        bin.display(),
        s.url
    );
    let session = Session(format!("opsdeck-remote-{}", std::process::id()));
    let ok = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session.0,
            "-x",
            "120",
            "-y",
            "32",
        ])
        .arg(cmd)
        .status()
        .unwrap();
    assert!(ok.success());
    wait_for(&session.0, "remote console task", Duration::from_secs(30));
    assert!(
        Command::new("tmux")
            .args(["send-keys", "-t", &session.0, "Enter"])
            .status()
            .unwrap()
            .success()
    );
    wait_for(&session.0, "line5", Duration::from_secs(60));
    let screen = wait_for(&session.0, "succeeded", Duration::from_secs(60));
    assert!(!screen.contains(&token), "the token is never shown");
    drop(session);
    rt.block_on(s.stop());
}
