//! A real `opsdeck serve` on 127.0.0.1:0 over a test `World` (store, local hosts, engine), with users and tokens.
#![allow(dead_code)]

use std::net::SocketAddr;

use opsdeck::api::auth::new_token;
use opsdeck::api::server::{AppState, serve};
use opsdeck::api::webhook::Notifier;
use opsdeck::config::Config;
use opsdeck::model::{Role, User};
use serde_json::Value;

use crate::common::World;

/// A template that echoes `COUNT` numbered lines, then exits `CODE`.
pub const ECHO: &str = r#"
id = 1
name = "echo lines"
[[args]]
name = "COUNT"
default = "3"
[[args]]
name = "CODE"
default = "0"
[[args]]
name = "TOKEN"
default = ""
secret = true
[[steps]]
group = 1
level = 1
trigger = "timed"
name = "echo"
command = "i=1; while [ $i -le ${COUNT} ]; do echo line$i; i=$((i+1)); done; exit ${CODE}"
"#;

/// A template whose second level waits for a manual release.
pub const MANUAL: &str = r#"
id = 2
name = "two halves"
[[steps]]
group = 1
level = 1
name = "first"
command = "echo first-1; echo first-2"
[[steps]]
group = 1
level = 2
name = "second"
trigger = "manual"
command = "echo second-1; echo second-2; echo second-3"
"#;

pub struct Server {
    pub world: World,
    pub addr: SocketAddr,
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
    pub notifier: Notifier,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        Server::start_with(config, opsdeck::api::server::DEFAULT_BODY_LIMIT).await
    }

    pub async fn start_with(config: Config, body_limit: usize) -> Server {
        let world = World::new(&crate::common::local_inventory(3), &[ECHO, MANUAL], config).await;
        let mut state = AppState::new(
            world.store.clone(),
            world.config.clone(),
            world.dir.path().to_path_buf(),
            Some(world.engine.clone()),
        );
        state.body_limit = body_limit;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(serve(listener, state, async {
            let _ = rx.await;
        }));
        let notifier = Notifier::start(&world.engine, &world.config);
        Server {
            world,
            addr,
            url: format!("http://{addr}"),
            stop: Some(tx),
            handle,
            notifier,
        }
    }

    /// Adds a user and returns their new token.
    pub fn user(&self, name: &str, role: Role) -> String {
        let (token, hash) = new_token().unwrap();
        self.world
            .store
            .put_user(
                &User {
                    name: name.into(),
                    display_name: String::new(),
                    role,
                },
                Some(&hash),
            )
            .unwrap();
        token
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    pub fn task_count(&self) -> usize {
        self.world
            .store
            .tasks(&opsdeck::store::TaskFilter::default())
            .unwrap()
            .len()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        // SSE streams may hold the graceful shutdown; the engine stops regardless.
        self.handle.abort();
        self.notifier.stop().await;
        self.world.stop().await;
    }
}

/// A small HTTP client: (status, JSON body) for a call with an optional token and body.
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let c = reqwest::Client::new();
    let mut rb = c.request(method, url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn get(url: &str, token: &str) -> (u16, Value) {
    call(reqwest::Method::GET, url, Some(token), None).await
}

pub async fn post(url: &str, token: &str, body: Value) -> (u16, Value) {
    call(reqwest::Method::POST, url, Some(token), Some(body)).await
}

/// A spec for template 1 on `h1` as JSON (submitter left out: the server sets it).
/// Three local hosts; h3 is also in tag `secret`, which only bob may use.
pub fn local_inventory_with_secret_tag() -> String {
    let mut s = crate::common::local_inventory(3);
    s.push_str("[[tags]]\nname = \"secret\"\nhosts = [\"h3\"]\nusers = [\"bob\"]\n");
    s
}

pub fn spec_json(name: &str, approvers: &[&str], count: u32) -> Value {
    serde_json::json!({
        "name": name,
        "template_id": 1,
        "args": {"COUNT": count.to_string()},
        "hosts": {"1": ["h1"]},
        "exec_time": chrono::Utc::now().to_rfc3339(),
        "approvers": approvers,
        "needs_approval": !approvers.is_empty(),
    })
}
