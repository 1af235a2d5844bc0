//! One end-to-end run per module on real sshd hosts: custom, custom via proxy, CODO JSON (DESIGN.md's
//! sample verbatim), resource request and app publish, each built by its form, submitted through
//! LocalBackend and run by the engine over SSH. (Node add: tests/engine_ssh.rs; SQL audit and SQL
//! optimize online: tests/sql_audit.rs.)

mod common;
mod support;

use std::fmt::Write as _;
use std::time::Duration;

use common::World;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::TaskState;
use opsdeck::modules::{
    AppPublishForm, ArgRow, CustomForm, CustomJsonForm, CustomProxyForm, Form, ResourceForm,
};
use support::{Sshd, require_system};

const T: Duration = Duration::from_secs(60);

/// CODO's JSON exactly as DESIGN.md section 1 shows it.
const CODO_SAMPLE: &str = r#"{"task_name": "name", "submitter": "who", "temp_id": "1", "schedule": "ready",
 "exec_time": "2018-11-27 14:09:50", "associated_user": "{'group-1': ['someone']}",
 "args": "{'VERSION':'eeee', 'arg02': 'xxxx'}", "details": "notes", "hosts": "{1: '127.0.0.1'}"}"#;

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
command = 'echo VERSION=${VERSION} arg02=${arg02} on $(echo $SSH_CONNECTION | cut -d" " -f3)'
"#;

const PROXY_TEMPLATE: &str = r#"
id = 9601
name = "through the proxy"
[[steps]]
group = 1
level = 1
name = "show targets"
command = 'echo ips=${SERVER_IP} hosts=${SERVER_HOST} from $(echo $SSH_CONNECTION | cut -d" " -f3)'
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
secret = true
default = ""
[[steps]]
group = 1
level = 1
name = "build"
stdin = ["TOKEN"]
command = 'IFS= read -r TOKEN; echo build ${PUBLISH_NAME} ${PUBLISH_TAG} for ${SERVER_DICT} on $(echo $SSH_CONNECTION | cut -d" " -f3) token=$TOKEN'
[[steps]]
group = 2
level = 1
name = "deploy"
command = 'echo deploy ${PUBLISH_TAG} to ${PUBLISH_PATH} on ${SERVER_HOST} at $(echo $SSH_CONNECTION | cut -d" " -f3)'
"#;

/// Hosts c1 (127.0.0.1, CODO's sample address), s2, s3, s4 on one sshd; tags `web` (s2, s3, proxy
/// s4) and `db` (s4); app `shop` built on s4 and deployed to `web`.
fn inventory(sshd: &Sshd) -> String {
    let mut s = format!(
        "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n",
        sshd.user,
        sshd.client_key.display()
    );
    for (i, h) in sshd.hosts.iter().enumerate() {
        let name = if i == 0 {
            "c1".to_string()
        } else {
            format!("s{}", i + 1)
        };
        let _ = write!(
            s,
            "[[hosts]]\nname = \"{name}\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n\n",
            h.address, h.port
        );
    }
    s.push_str(
        "[[tags]]\nname = \"web\"\nhosts = [\"s2\", \"s3\"]\nproxy = \"s4\"\n\
         [[tags]]\nname = \"db\"\nhosts = [\"s4\"]\n\n\
         [[apps]]\nname = \"shop\"\ntemplate = 9600\ntag = \"web\"\nbuild_host = \"s4\"\n\
         publish_path = \"/srv/shop\"\nfields = { token = \"s3cr3t-token\" }\nsecret_fields = [\"token\"]\n",
    );
    s
}

fn builtin(prefix: &str) -> &'static str {
    opsdeck::assets::BUILTIN_TEMPLATES
        .iter()
        .find(|(f, _)| f.starts_with(prefix))
        .map(|(_, src)| *src)
        .unwrap()
}

/// sshd on 127.0.0.1..=127.0.0.4 and a world over it; users alice (operator) and bob (approver)
/// unless `users` is false (single-user mode, as CODO's sample names an approver nobody knows).
async fn world(users: bool) -> Option<(Sshd, World)> {
    if !require_system(support::sshd::SSHD) {
        return None;
    }
    let sshd = Sshd::start_on((1..=4).map(|i| format!("127.0.0.{i}")).collect());
    let mut config = Config {
        known_hosts: Some(sshd.known_hosts.clone()),
        connect_timeout: "10s".into(),
        ..Config::default()
    };
    for rt in &mut config.resource_types {
        rt.host = "s3".into();
    }
    let w = World::new(
        &inventory(&sshd),
        &[
            builtin("9300"),
            builtin("9504"),
            CODO_TEMPLATE,
            PROXY_TEMPLATE,
            APP_TEMPLATE,
        ],
        config,
    )
    .await;
    if users {
        w.add_user("alice", opsdeck::model::Role::Operator);
        w.add_user("bob", opsdeck::model::Role::Approver);
    }
    Some((sshd, w))
}

/// Builds the spec as alice, submits it, has bob approve it when needed, waits for success.
async fn run(sshd: &Sshd, w: &World, form: &impl Form) -> (i64, Vec<String>) {
    let b = w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&b, &w.config)
        .await
        .unwrap();
    let spec = form.to_spec(&ctx).unwrap();
    let t = b.submit(spec).await.unwrap();
    if t.state == TaskState::PendingApproval {
        w.as_user("bob").approve(t.id, None).await.unwrap();
    }
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    (t.id, log)
}

fn has(log: &[String], line: &str) -> bool {
    log.iter().any(|l| l == line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_runs_on_the_chosen_hosts_over_ssh() {
    let Some((sshd, w)) = world(true).await else {
        return;
    };
    let f = CustomForm {
        tag: "web".into(),
        hosts: vec!["s3".into()],
        template: 9504,
        args: vec![ArgRow::new(
            "COMMAND",
            "echo custom ran on $(echo $SSH_CONNECTION | cut -d' ' -f3) | tr a-z A-Z",
        )],
        ..CustomForm::default()
    };
    let (_, log) = run(&sshd, &w, &f).await;
    assert!(has(&log, "s3|stdout|CUSTOM RAN ON 127.0.0.3"), "{log:#?}");
    assert!(!log.iter().any(|l| l.starts_with("s2|")), "{log:#?}");
    // The whole tag when no subset is chosen.
    let f = CustomForm { hosts: vec![], ..f };
    let (_, log) = run(&sshd, &w, &f).await;
    assert!(has(&log, "s2|stdout|CUSTOM RAN ON 127.0.0.2"), "{log:#?}");
    assert!(has(&log, "s3|stdout|CUSTOM RAN ON 127.0.0.3"), "{log:#?}");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_proxy_runs_once_on_the_proxy_over_ssh() {
    let Some((sshd, w)) = world(true).await else {
        return;
    };
    let f = CustomProxyForm {
        tags: vec!["web".into(), "db".into()],
        proxy: "s4".into(),
        template: 9601,
        ..CustomProxyForm::default()
    };
    let (id, log) = run(&sshd, &w, &f).await;
    assert!(
        has(
            &log,
            "s4|stdout|ips=127.0.0.2,127.0.0.3,127.0.0.4 hosts=s2,s3,s4 from 127.0.0.4"
        ),
        "{log:#?}"
    );
    let runs = w.store.step_runs(id).unwrap();
    assert_eq!(runs.len(), 1, "once, on the proxy only: {runs:?}");
    assert_eq!(runs[0].host, "s4");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_codo_sample_of_the_design_runs_verbatim_over_ssh() {
    let Some((sshd, w)) = world(false).await else {
        return;
    };
    let (id, log) = run(&sshd, &w, &CustomJsonForm::new(CODO_SAMPLE, "")).await;
    // '127.0.0.1' resolved to inventory host c1, reached over SSH at that address.
    assert!(
        has(&log, "c1|stdout|VERSION=eeee arg02=xxxx on 127.0.0.1"),
        "{log:#?}"
    );
    let t = w.store.task(id).unwrap().unwrap();
    assert_eq!(t.spec.template_id, 1);
    assert_eq!(t.spec.hosts[&1], vec!["c1".to_string()]);
    assert!(!t.spec.needs_approval, "schedule ready needs no approval");
    assert_eq!(t.spec.details, "notes");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_request_waits_for_approval_then_runs_over_ssh() {
    let Some((sshd, w)) = world(true).await else {
        return;
    };
    let f = ResourceForm {
        resource_type: "redis".into(),
        fields: [("memory_gb".to_string(), "16".to_string())].into(),
        quantity: 2,
        region: "cn-north".into(),
        reason: "session cache".into(),
        approvers: vec!["bob".into()],
        ..ResourceForm::default()
    };
    let alice = w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&alice, &w.config)
        .await
        .unwrap();
    let t = alice.submit(f.to_spec(&ctx).unwrap()).await.unwrap();
    assert_eq!(t.state, TaskState::PendingApproval);
    assert!(w.as_user("alice").approve(t.id, None).await.is_err());
    w.as_user("bob").approve(t.id, None).await.unwrap();
    let state = w.wait_state(t.id, None, T).await;
    let log = w.log_text(t.id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    for want in [
        "s3|stdout|  type:     redis",
        "s3|stdout|  quantity: 2",
        "s3|stdout|  region:   cn-north",
        "s3|stdout|  spec:     memory_gb=16,mode=standalone",
        "s3|stdout|  reason:   session cache",
    ] {
        assert!(has(&log, want), "{want}: {log:#?}");
    }
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_publish_builds_then_deploys_over_ssh() {
    let Some((sshd, w)) = world(true).await else {
        return;
    };
    let f = AppPublishForm {
        app: "shop".into(),
        tag: "v1.2.3".into(),
        ..AppPublishForm::default()
    };
    let (id, log) = run(&sshd, &w, &f).await;
    assert!(
        has(
            &log,
            "s4|stdout|build shop v1.2.3 for 127.0.0.2,127.0.0.3 on 127.0.0.4 token=******"
        ),
        "{log:#?}"
    );
    for (h, a) in [("s2", "127.0.0.2"), ("s3", "127.0.0.3")] {
        assert!(
            has(
                &log,
                &format!("{h}|stdout|deploy v1.2.3 to /srv/shop on {h} at {a}")
            ),
            "{log:#?}"
        );
    }
    assert!(
        !log.iter().any(|l| l.contains("s3cr3t-token")),
        "the app's secret field is masked: {log:#?}"
    );
    // Group 2 started only after group 1 finished.
    let runs = w.store.step_runs(id).unwrap();
    let built = runs
        .iter()
        .filter(|r| r.group == 1)
        .filter_map(|r| r.finished_at)
        .max()
        .unwrap();
    assert!(
        runs.iter()
            .filter(|r| r.group == 2)
            .all(|r| r.started_at.is_some_and(|s| s >= built)),
        "{runs:?}"
    );
    w.stop().await;
}
