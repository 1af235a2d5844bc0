//! An opsdeck database on a test PostgreSQL with local-connection hosts, templates and an admin
//! `alice` and `bob` (both admins), and in-process engines and backends on it (one per data dir, as separate machines).

use std::path::Path;
use std::time::Duration;

use opsdeck::backend::LocalBackend;
use opsdeck::config::Config;
use opsdeck::engine::Engine;
use opsdeck::model::{Inventory, ModuleKind, Role, TaskSpec, Template, User};
use opsdeck::store::Store;

/// Migrates the database at `url` and loads hosts h1..h`hosts` (local connection), `templates`
/// the admin `alice` and `bob`.
pub fn seed(url: &str, hosts: usize, templates: &[&str]) -> Store {
    let store = Store::connect(url).unwrap();
    let mut inv = String::new();
    for i in 1..=hosts {
        inv.push_str(&format!(
            "[[hosts]]\nname = \"h{i}\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n\n"
        ));
    }
    let inv: Inventory = toml::from_str(&inv).unwrap();
    store.import_inventory(inv, false).unwrap().unwrap();
    for t in templates {
        let tpl: Template = toml::from_str(t).unwrap();
        store.put_template(&tpl, t, "test").unwrap();
    }
    for (name, role) in [("alice", Role::Admin), ("bob", Role::Admin)] {
        let user = User {
            name: name.into(),
            display_name: String::new(),
            role,
        };
        store.put_user(&user, None).unwrap();
    }
    store
}

pub async fn engine(store: &Store, dir: &Path) -> Engine {
    Engine::start(store.clone(), Config::default(), dir)
        .await
        .unwrap()
}

/// `user`'s backend on data dir `dir`, with the in-process engine or none (a front end on
/// another machine: nothing to poke on its data dir).
pub fn backend(store: &Store, dir: &Path, engine: Option<Engine>, user: &str) -> LocalBackend {
    LocalBackend::new(
        store.clone(),
        Config::default(),
        user.into(),
        dir.to_path_buf(),
        engine,
    )
}

/// A task of `template_id` on host h1, due at `at`.
pub fn spec(template_id: u32, at: chrono::DateTime<chrono::Utc>, approval: bool) -> TaskSpec {
    TaskSpec {
        name: "pg".into(),
        module: ModuleKind::Custom,
        submitter: "alice".into(),
        template_id,
        args: Default::default(),
        hosts: [(1, vec!["h1".to_string()])].into_iter().collect(),
        exec_time: at,
        approvers: vec![],
        needs_approval: approval,
        details: String::new(),
        extra: serde_json::Value::Null,
    }
}

/// Polls (blocking the worker briefly) until `f` holds; panics after `within`.
pub async fn until(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !tokio::task::block_in_place(&mut f) {
        if start.elapsed() > within {
            panic!("{what}: not within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
