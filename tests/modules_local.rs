//! One task per module, built by its form, submitted through LocalBackend and run by the engine on local hosts.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::World;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{Role, TaskState};
use opsdeck::modules::{
    AppPublishForm, ArgRow, CustomForm, CustomJsonForm, CustomProxyForm, Form, NodeAddForm,
    ResourceForm,
};

const T: Duration = Duration::from_secs(30);

const INVENTORY: &str = r#"
[[hosts]]
name = "h1"
address = "127.0.0.1"
connection = "local"
[[hosts]]
name = "h2"
address = "127.0.0.2"
connection = "local"
[[hosts]]
name = "h3"
address = "127.0.0.3"
connection = "local"
[[hosts]]
name = "localhost"
address = "localhost"
connection = "local"

[[tags]]
name = "web"
hosts = ["h1", "h2"]
proxy = "h3"
[[tags]]
name = "k8s"
hosts = ["h3"]

[[apps]]
name = "shop"
template = 9600
tag = "web"
build_host = "h3"
publish_path = "/srv/shop"
fields = { token = "s3cr3t-token" }
secret_fields = ["token"]
"#;

const APP_TEMPLATE: &str = r#"
id = 9600
name = "test app publish"
[[args]]
name = "PUBLISH_NAME"
required = true
[[args]]
name = "PUBLISH_TAG"
required = true
[[args]]
name = "SERVER_DICT"
default = ""
[[args]]
name = "PUBLISH_PATH"
default = ""
[[args]]
name = "TOKEN"
default = ""
[[steps]]
group = 1
level = 1
name = "build"
command = "echo build ${PUBLISH_NAME} ${PUBLISH_TAG} for ${SERVER_DICT} with ${TOKEN}"
[[steps]]
group = 2
level = 1
name = "deploy"
command = "echo deploy ${PUBLISH_TAG} to ${PUBLISH_PATH} on ${SERVER_HOST}"
"#;

const PROXY_TEMPLATE: &str = r#"
id = 9601
name = "through the proxy"
[[steps]]
group = 1
level = 1
name = "show targets"
command = "echo ips=${SERVER_IP} hosts=${SERVER_HOST}"
"#;

const CODO_TEMPLATE: &str = r#"
id = 1
name = "codo example"
[[args]]
name = "VERSION"
required = true
[[args]]
name = "arg02"
default = ""
[[steps]]
group = 1
level = 1
name = "show"
command = "echo VERSION=${VERSION} arg02=${arg02}"
"#;

fn builtin(id: &str) -> &'static str {
    opsdeck::assets::BUILTIN_TEMPLATES
        .iter()
        .find(|(f, _)| f.starts_with(id))
        .map(|(_, s)| *s)
        .expect("built-in template")
}

/// A stand-in `kubeadm` (and `sudo`) first on PATH for the local hosts' commands.
fn stand_in_path() {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // One per test process; those of finished processes are removed here, so runs do not
        // pile them up in the temp dir.
        for e in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name
                .strip_prefix("opsdeck-kubeadm-")
                .and_then(|p| p.parse::<i32>().ok())
                // SAFETY: signal 0 only checks whether the process exists.
                && unsafe { libc::kill(pid, 0) } != 0
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = std::env::temp_dir().join(format!("opsdeck-kubeadm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kubeadm = "#!/bin/sh\ncase \"$1\" in\n\
            token) echo \"kubeadm join 10.0.0.1:6443 --token abc.def --discovery-token-ca-cert-hash sha256:0123\" ;;\n\
            version) echo v1.31.2 ;;\n\
            join) echo joined ;;\n\
            *) echo \"stand-in kubeadm: $*\" >&2; exit 1 ;;\nesac\n";
        let sudo = "#!/bin/sh\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n";
        for (name, body) in [("kubeadm", kubeadm), ("sudo", sudo)] {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            let mut perm = std::fs::metadata(&p).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
            std::fs::set_permissions(&p, perm).unwrap();
        }
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // SAFETY: set once, before this test starts its engine; the other tests of this binary only
        // read PATH through std (which takes the environment lock) when spawning `sh`.
        unsafe { std::env::set_var("PATH", path) };
        dir
    });
}

async fn world(users: bool) -> World {
    let tpls = [
        builtin("9201"),
        builtin("9300"),
        builtin("9504"),
        APP_TEMPLATE,
        PROXY_TEMPLATE,
        CODO_TEMPLATE,
    ];
    let w = World::new(INVENTORY, &tpls, Config::default()).await;
    if users {
        w.add_user("alice", Role::Operator);
        w.add_user("bob", Role::Approver);
    }
    w
}

async fn run(w: &World, form: &impl Form) -> (i64, Vec<String>) {
    let b = w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&b, &w.config)
        .await
        .unwrap();
    let spec = form.to_spec(&ctx).unwrap();
    let t = b.submit(spec).await.unwrap();
    let id = t.id;
    if t.state == TaskState::PendingApproval {
        w.as_user("bob").approve(id, None).await.unwrap();
    }
    let state = w.wait_state(id, None, T).await;
    let log = w.log_text(id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}");
    (id, log)
}

fn has(log: &[String], line: &str) -> bool {
    log.iter().any(|l| l == line)
}

#[tokio::test]
async fn custom_runs_on_the_chosen_hosts() {
    let w = world(true).await;
    let f = CustomForm {
        tag: "web".into(),
        hosts: vec!["h2".into()],
        template: 9504,
        args: vec![ArgRow::new("COMMAND", "echo custom ran")],
        ..CustomForm::default()
    };
    let (_, log) = run(&w, &f).await;
    assert!(has(&log, "h2|stdout|custom ran"), "{log:#?}");
    assert!(!log.iter().any(|l| l.starts_with("h1|")), "{log:#?}");
    w.stop().await;
}

#[tokio::test]
async fn custom_proxy_runs_once_on_the_proxy() {
    let w = world(true).await;
    let f = CustomProxyForm {
        tags: vec!["web".into(), "k8s".into()],
        proxy: "h3".into(),
        template: 9601,
        ..CustomProxyForm::default()
    };
    let (_, log) = run(&w, &f).await;
    assert!(
        has(
            &log,
            "h3|stdout|ips=127.0.0.1,127.0.0.2,127.0.0.3 hosts=h1,h2,h3"
        ),
        "{log:#?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn the_codo_sample_json_runs_verbatim() {
    // No users: the sample names an approver (杨红飞) that only a single-user store accepts.
    let w = world(false).await;
    let sample = std::fs::read_to_string(format!(
        "{}/tests/fixtures/codo-task.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (id, log) = run(&w, &CustomJsonForm::new(sample, "")).await;
    assert!(has(&log, "h1|stdout|VERSION=eeee arg02=xxxx"), "{log:#?}");
    let t = w.store.task(id).unwrap().unwrap();
    assert_eq!(t.spec.extra["codo"]["submitter"], "提交人");
    assert_eq!(t.spec.submitter, "alice");
    w.stop().await;
}

#[tokio::test]
async fn node_add_hands_the_join_command_to_the_new_nodes() {
    stand_in_path();
    let w = world(true).await;
    let f = NodeAddForm {
        cluster_tag: "k8s".into(),
        hosts: vec!["h1".into(), "h2".into()],
        ..NodeAddForm::default()
    };
    let (_, log) = run(&w, &f).await;
    // The join command holds a token: captured as a secret, never logged.
    assert!(!log.iter().any(|l| l.contains("abc.def")), "{log:#?}");
    assert!(
        log.iter().any(|l| l.contains("captured JOIN_CMD (secret")),
        "{log:#?}"
    );
    assert!(has(&log, "h1|stdout|kubeadm v1.31.2"), "{log:#?}");
    assert!(has(&log, "h1|stdout|joined"), "{log:#?}");
    assert!(has(&log, "h2|stdout|joined"), "{log:#?}");
    w.stop().await;
}

#[tokio::test]
async fn resource_needs_approval_then_records_the_request() {
    let w = world(true).await;
    let f = ResourceForm {
        resource_type: "redis".into(),
        fields: [("memory_gb".to_string(), "16".to_string())].into(),
        quantity: 3,
        region: "eu-1".into(),
        reason: "cache for shop".into(),
        approvers: vec!["bob".into()],
        ..ResourceForm::default()
    };
    let (id, log) = run(&w, &f).await;
    let t = w.store.task(id).unwrap().unwrap();
    assert!(t.decision.is_some_and(|d| d.approved && d.by == "bob"));
    assert!(has(&log, "localhost|stdout|  type:     redis"), "{log:#?}");
    assert!(
        has(
            &log,
            "localhost|stdout|  spec:     memory_gb=16,mode=standalone"
        ),
        "{log:#?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn app_publish_builds_then_deploys_with_secrets_masked() {
    let w = world(true).await;
    let f = AppPublishForm {
        app: "shop".into(),
        tag: "v2.0".into(),
        ..AppPublishForm::default()
    };
    let (_, log) = run(&w, &f).await;
    assert!(
        has(
            &log,
            "h3|stdout|build shop v2.0 for 127.0.0.1,127.0.0.2 with ******"
        ),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains("s3cr3t-token")), "{log:#?}");
    assert!(
        has(&log, "h1|stdout|deploy v2.0 to /srv/shop on h1"),
        "{log:#?}"
    );
    assert!(
        has(&log, "h2|stdout|deploy v2.0 to /srv/shop on h2"),
        "{log:#?}"
    );
    w.stop().await;
}
