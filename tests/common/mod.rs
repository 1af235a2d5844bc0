//! Shared set-up for engine tests: a temp data dir with a store, an inventory, templates and a running engine.
#![allow(dead_code)]

use std::time::Duration;

use chrono::Utc;
use opsdeck::backend::{Backend, LocalBackend};
use opsdeck::config::Config;
use opsdeck::engine::Engine;
use opsdeck::model::{Inventory, ModuleKind, Role, TaskSpec, TaskState, Template, User};
use opsdeck::store::Store;

pub struct World {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub config: Config,
    pub engine: Engine,
}

impl World {
    pub async fn new(inventory_toml: &str, templates: &[&str], config: Config) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("opsdeck.db")).unwrap();
        let inv: Inventory = toml::from_str(inventory_toml).unwrap();
        store.import_inventory(inv, false).unwrap().unwrap();
        for t in templates {
            let tpl: Template = toml::from_str(t).unwrap();
            tpl.validate().unwrap();
            store.put_template(&tpl, t, "test").unwrap();
        }
        let engine = Engine::start(store.clone(), config.clone(), dir.path())
            .await
            .unwrap();
        World {
            dir,
            store,
            config,
            engine,
        }
    }

    /// A backend acting as `user` on this world's engine.
    pub fn as_user(&self, user: &str) -> LocalBackend {
        LocalBackend::new(
            self.store.clone(),
            self.config.clone(),
            user.to_string(),
            self.dir.path().to_path_buf(),
            Some(self.engine.clone()),
        )
    }

    pub fn add_user(&self, name: &str, role: Role) {
        self.store
            .put_user(
                &User {
                    name: name.into(),
                    display_name: String::new(),
                    role,
                },
                None,
            )
            .unwrap();
    }

    /// Waits until the task is in `state` (or any final state when `state` is None).
    pub async fn wait_state(
        &self,
        id: i64,
        state: Option<TaskState>,
        within: Duration,
    ) -> TaskState {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let s = self.store.task(id).unwrap().unwrap().state;
            let done = match state {
                Some(want) => s == want,
                None => s.is_final(),
            };
            if done {
                return s;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "task {id} is {} after {within:?}; wanted {state:?}",
                    s.as_str()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every log line of a task, after flushing the writer.
    pub async fn log_text(&self, id: i64) -> Vec<String> {
        self.engine.hub().flush().await;
        self.store
            .logs(id, 1, 1_000_000)
            .unwrap()
            .into_iter()
            .map(|l| {
                format!(
                    "{}|{}|{}",
                    l.host.unwrap_or_default(),
                    l.stream.as_str(),
                    l.text
                )
            })
            .collect()
    }

    pub async fn stop(self) {
        self.engine.shutdown().await;
    }
}

pub fn spec(template_id: u32, groups: &[(u32, &[&str])], args: &[(&str, &str)]) -> TaskSpec {
    TaskSpec {
        name: "test".into(),
        module: ModuleKind::Custom,
        submitter: "alice".into(),
        template_id,
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        hosts: groups
            .iter()
            .map(|(g, hs)| (*g, hs.iter().map(|h| h.to_string()).collect()))
            .collect(),
        exec_time: Utc::now(),
        approvers: vec![],
        needs_approval: false,
        details: String::new(),
        extra: serde_json::Value::Null,
    }
}

/// An inventory of `n` hosts h1..hn that all use the local connection.
pub fn local_inventory(n: usize) -> String {
    let mut s = String::new();
    for i in 1..=n {
        s.push_str(&format!(
            "[[hosts]]\nname = \"h{i}\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n\n"
        ));
    }
    s
}

pub async fn submit(b: &LocalBackend, spec: TaskSpec) -> i64 {
    b.submit(spec).await.unwrap().id
}
