//! The console's scenarios run end to end through a real backend: every `Cmd` that `update` asks for
//! is performed (as the runtime does) against `LocalBackend` and against `RemoteBackend` talking to a
//! real `opsdeck serve` router on loopback, and its result fed back as a `Msg`.

use std::sync::Arc;

use crossterm::event::KeyCode;

use super::app::{App, Cmd, Msg, Tab};
use super::form_tests::{ctrl, fill_custom};
use super::i18n::Lang;
use super::perform;
use super::tests::{code, key};
use crate::api::auth::new_token;
use crate::api::client::RemoteBackend;
use crate::api::server::{AppState, serve};
use crate::backend::{Backend, LocalBackend};
use crate::config::Config;
use crate::model::{Inventory, ModuleKind, Role, TaskSpec, TaskState, User};
use crate::modules::testutil;
use crate::store::{Store, TaskFilter};

struct World {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    store: Store,
    url: String,
    tokens: std::collections::BTreeMap<String, String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl World {
    /// A store with the modules' test inventory and templates, users with tokens, and a server.
    async fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let store = Store::open(&dir.join("opsdeck.db")).unwrap();
        let inv: Inventory = toml::from_str(testutil::INVENTORY).unwrap();
        store.import_inventory(inv, true).unwrap().unwrap();
        for t in testutil::templates() {
            store.put_template(&t, "", "test").unwrap();
        }
        let mut tokens = std::collections::BTreeMap::new();
        for (name, role) in [("alice", Role::Operator), ("bob", Role::Approver)] {
            let (token, hash) = new_token().unwrap();
            let user = User {
                name: name.into(),
                display_name: String::new(),
                role,
            };
            store.put_user(&user, Some(&hash)).unwrap();
            tokens.insert(name.to_string(), token);
        }
        let mut w = World {
            _dir: tmp,
            dir,
            store,
            url: String::new(),
            tokens,
            stop: None,
            handle: None,
        };
        w.start_server("127.0.0.1:0").await;
        w
    }

    /// Serves the store on `addr` (no engine: tasks are submitted for tomorrow and only their
    /// stored state matters here).
    async fn start_server(&mut self, addr: &str) {
        let state = AppState::new(
            self.store.clone(),
            Config::default(),
            self.dir.clone(),
            None,
        );
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        self.url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.handle = Some(tokio::spawn(serve(listener, state, async {
            let _ = rx.await;
        })));
        self.stop = Some(tx);
    }

    async fn stop_server(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
            let _ = h.await;
        }
    }

    fn backend(&self, remote: bool, user: &str) -> Arc<dyn Backend> {
        if remote {
            Arc::new(RemoteBackend::new(&self.url, &self.tokens[user]).unwrap())
        } else {
            Arc::new(LocalBackend::new(
                self.store.clone(),
                Config::default(),
                user.into(),
                self.dir.clone(),
                None,
            ))
        }
    }

    fn tasks(&self) -> Vec<crate::model::Task> {
        self.store.tasks(&TaskFilter::default()).unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Performs `cmds` and everything they lead to, as the console's runtime does (live log streams
/// and the editor are left out: they need a terminal).
async fn pump(app: &mut App, b: &dyn Backend, cmds: Vec<Cmd>) {
    let mut queue: std::collections::VecDeque<Cmd> = cmds.into();
    let mut n = 0;
    while let Some(cmd) = queue.pop_front() {
        n += 1;
        assert!(n < 200, "runaway command loop");
        if matches!(
            cmd,
            Cmd::Follow { .. } | Cmd::StopFollow | Cmd::EditTemplate { .. } | Cmd::Export { .. }
        ) {
            continue;
        }
        let msg = perform(b, cmd).await;
        if let Msg::Error(e) = &msg {
            panic!("backend error: {e}");
        }
        queue.extend(app.update(msg));
    }
}

async fn started(b: &dyn Backend) -> App {
    let mut app = App::new(Lang::En, false);
    let cmds = app.init();
    pump(&mut app, b, cmds).await;
    assert!(
        app.modules.ctx.is_some(),
        "the module context loads from the backend"
    );
    app
}

async fn submit_from_the_custom_tab(remote: bool) {
    let w = World::new().await;
    let b = w.backend(remote, "alice");
    let mut app = started(b.as_ref()).await;
    fill_custom(&mut app, "+1d");
    assert!(app.update(ctrl('s')).is_empty(), "Ctrl-S previews first");
    let cmds = app.update(key('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::Submit(_)]), "{cmds:?}");
    pump(&mut app, b.as_ref(), cmds).await;
    // Stored once, by alice, for the tag's hosts; and listed in the console's Tasks tab.
    let stored = w.tasks();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].spec.submitter, "alice");
    assert_eq!(stored[0].spec.hosts[&1], vec!["h1", "h2"]);
    assert_eq!(stored[0].spec.args["COMMAND"], "uptime");
    assert_eq!(app.tab, Tab::Tasks);
    assert!(app.visible_tasks().iter().any(|t| t.id == stored[0].id));
}

async fn bad_exec_time_submits_nothing(remote: bool) {
    let w = World::new().await;
    let b = w.backend(remote, "alice");
    let mut app = started(b.as_ref()).await;
    fill_custom(&mut app, "someday");
    let cmds = app.update(ctrl('s'));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::Submit(_))),
        "{cmds:?}"
    );
    pump(&mut app, b.as_ref(), cmds).await;
    assert!(w.tasks().is_empty());
}

async fn approve_from_the_approvals_tab(remote: bool) {
    let w = World::new().await;
    let alice = w.backend(remote, "alice");
    let spec = TaskSpec {
        name: "needs bob".into(),
        module: ModuleKind::Custom,
        template_id: 9504,
        hosts: [(1, vec!["h1".to_string()])].into(),
        args: [("COMMAND".to_string(), "true".to_string())].into(),
        exec_time: chrono::Utc::now() + chrono::Duration::days(1),
        needs_approval: true,
        approvers: vec!["bob".into()],
        submitter: "alice".into(),
        details: String::new(),
        extra: serde_json::Value::Null,
    };
    let id = alice.submit(spec).await.unwrap().id;
    let bob = w.backend(remote, "bob");
    let mut app = started(bob.as_ref()).await;
    assert_eq!(app.approval_badge(), 1);
    app.update(key('2'));
    assert_eq!(app.tab, Tab::Approvals);
    app.update(key(' '));
    assert!(app.update(key('a')).is_empty(), "asks first");
    let cmds = app.update(key('y'));
    assert_eq!(cmds, vec![Cmd::Approve(vec![id])]);
    pump(&mut app, bob.as_ref(), cmds).await;
    let t = w.store.task(id).unwrap().unwrap();
    assert_eq!(t.state, TaskState::Scheduled);
    assert_eq!(app.approval_badge(), 0, "the queue reloads empty");
    app.update(code(KeyCode::Esc));
}

#[tokio::test]
async fn a_lost_server_keeps_the_form_and_the_submit_works_once_it_is_back() {
    let mut w = World::new().await;
    let b = w.backend(true, "alice");
    let mut app = started(b.as_ref()).await;
    fill_custom(&mut app, "+1d");
    let addr = w.url.trim_start_matches("http://").to_string();
    w.stop_server().await;
    app.update(ctrl('s'));
    let cmds = app.update(key('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::Submit(_)]), "{cmds:?}");
    let [Cmd::Submit(spec)] = cmds.as_slice() else {
        unreachable!()
    };
    let msg = perform(b.as_ref(), Cmd::Submit(spec.clone())).await;
    let Msg::Error(e) = &msg else {
        panic!("expected a connection error, got {msg:?}");
    };
    assert!(e.contains("cannot be reached"), "{e}");
    app.update(msg);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, is_err)| *is_err && s.contains("cannot be reached")),
        "{:?}",
        app.status
    );
    // The form is as it was: same tab, same values.
    assert_eq!(app.tab, Tab::Module(super::forms::Module::Custom));
    let f = app
        .modules
        .forms
        .get(&super::forms::Module::Custom)
        .unwrap();
    assert_eq!(f.field("args").unwrap().rows()[0].value, "uptime");
    assert!(w.tasks().is_empty());
    // The server comes back on the same address: the same form submits.
    w.start_server(&addr).await;
    app.update(ctrl('s'));
    let cmds = app.update(key('y'));
    pump(&mut app, b.as_ref(), cmds).await;
    assert_eq!(w.tasks().len(), 1);
    assert_eq!(app.tab, Tab::Tasks);
}

#[tokio::test]
async fn custom_submit_through_the_local_backend() {
    submit_from_the_custom_tab(false).await;
}

#[tokio::test]
async fn custom_submit_through_the_remote_backend() {
    submit_from_the_custom_tab(true).await;
}

#[tokio::test]
async fn bad_exec_time_through_the_local_backend() {
    bad_exec_time_submits_nothing(false).await;
}

#[tokio::test]
async fn bad_exec_time_through_the_remote_backend() {
    bad_exec_time_submits_nothing(true).await;
}

#[tokio::test]
async fn approve_through_the_local_backend() {
    approve_from_the_approvals_tab(false).await;
}

#[tokio::test]
async fn approve_through_the_remote_backend() {
    approve_from_the_approvals_tab(true).await;
}
