//! The engine against a real OpenSSH sshd acting as several hosts: order, failures, triggers, cancel,
//! connection failures, quoting, secrets, and a SIGKILLed engine process.

mod common;
mod support;

use std::fmt::Write as _;
use std::time::Duration;

use chrono::Utc;
use common::{World, spec, submit};
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{StepState, TaskState};
use support::{Sshd, require_system};

const T: Duration = Duration::from_secs(60);

/// An inventory with one ssh host per sshd address (`s1`…), all logging in with the test key.
fn ssh_inventory(sshd: &Sshd, key: &std::path::Path) -> String {
    let mut s = format!(
        "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n[[exec_users]]\nalias = \"wrong\"\nuser = \"{}\"\nkey = \"{}\"\n\n",
        sshd.user,
        key.display(),
        sshd.user,
        sshd.wrong_key.display()
    );
    for (i, h) in sshd.hosts.iter().enumerate() {
        let _ = write!(
            s,
            "[[hosts]]\nname = \"s{}\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n\n",
            i + 1,
            h.address,
            h.port
        );
    }
    s
}

fn config(known_hosts: &std::path::Path) -> Config {
    Config {
        known_hosts: Some(known_hosts.to_path_buf()),
        connect_timeout: "5s".into(),
        ..Config::default()
    }
}

const PLAN: &str = r#"
id = 20
name = "two groups, three levels"
[[args]]
name = "FAIL_ON"
default = "none"
[[args]]
name = "TOKEN"
secret = true
default = ""
[[args]]
name = "VALUE"
default = ""
[[steps]]
group = 1
level = 1
name = "one"
command = 'echo g1l1 ${SERVER_HOST} conn=$(echo $SSH_CONNECTION | tr " " _)'
[[steps]]
group = 1
level = 2
name = "two"
command = 'test ${SERVER_HOST} != ${FAIL_ON} && echo g1l2 ${SERVER_HOST} conn=$(echo $SSH_CONNECTION | tr " " _)'
[[steps]]
group = 1
level = 3
name = "three"
command = "echo g1l3 ${SERVER_HOST} token=${TOKEN} value=${VALUE}"
[[steps]]
group = 2
level = 1
name = "four"
command = "echo g2l1 ${SERVER_HOST}"
[[steps]]
group = 2
level = 2
name = "five"
command = "echo g2l2 ${SERVER_HOST}"
[[steps]]
group = 2
level = 3
name = "six"
command = "echo g2l3 ${SERVER_HOST}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hosts_two_groups_in_order_with_quoting_and_secrets() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(5);
    let w = World::new(
        &ssh_inventory(&sshd, &sshd.client_key),
        &[PLAN],
        config(&sshd.known_hosts),
    )
    .await;
    let b = w.as_user("alice");
    let pwned = format!("/tmp/opsdeck-ssh-pwned-{}", std::process::id());
    let evil = format!("'; touch {pwned}; '");
    let id = submit(
        &b,
        spec(
            20,
            &[(1, &["s1", "s2", "s3"]), (2, &["s4", "s5"])],
            &[("TOKEN", "hunter2-secret"), ("VALUE", &evil)],
        ),
    )
    .await;
    let state = w.wait_state(id, None, T).await;
    let log = w.log_text(id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    let runs = w.store.step_runs(id).unwrap();
    assert_eq!(runs.len(), 15);
    let last_g1 = runs
        .iter()
        .filter(|r| r.group == 1)
        .map(|r| r.finished_at.unwrap())
        .max()
        .unwrap();
    let first_g2 = runs
        .iter()
        .filter(|r| r.group == 2)
        .map(|r| r.started_at.unwrap())
        .min()
        .unwrap();
    assert!(
        last_g1 <= first_g2,
        "group 2 started before group 1 finished"
    );
    for h in ["s1", "s2", "s3", "s4", "s5"] {
        let mut mine: Vec<_> = runs.iter().filter(|r| r.host == h).collect();
        mine.sort_by_key(|r| r.level);
        for p in mine.windows(2) {
            assert!(
                p[0].finished_at.unwrap() <= p[1].started_at.unwrap(),
                "{h}: levels out of order"
            );
        }
    }
    // Secrets never reach the stored log; argument values stay data.
    assert!(
        log.iter().all(|l| !l.contains("hunter2-secret")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("g1l3 s1 token=****** value={evil}"))),
        "{log:#?}"
    );
    assert!(
        !std::path::Path::new(&pwned).exists(),
        "an argument value ran as a command"
    );
    // One connection per host: a host's steps see the same SSH_CONNECTION (same client port);
    // different hosts use different connections.
    let conn = |host: &str, level: &str| {
        log.iter()
            .find(|l| l.starts_with(&format!("{host}|stdout|{level} ")))
            .and_then(|l| l.split("conn=").nth(1))
            .unwrap_or_else(|| panic!("no {level} line for {host}: {log:#?}"))
            .to_string()
    };
    for h in ["s1", "s2", "s3"] {
        assert!(
            conn(h, "g1l1").starts_with("127.0.0."),
            "{}",
            conn(h, "g1l1")
        );
        assert_eq!(
            conn(h, "g1l1"),
            conn(h, "g1l2"),
            "{h} reconnected between steps"
        );
    }
    assert_ne!(conn("s1", "g1l1"), conn("s2", "g1l1"));
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_host_stops_its_chain_and_the_next_group() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(5);
    let w = World::new(
        &ssh_inventory(&sshd, &sshd.client_key),
        &[PLAN],
        config(&sshd.known_hosts),
    )
    .await;
    let b = w.as_user("alice");
    let id = submit(
        &b,
        spec(
            20,
            &[(1, &["s1", "s2", "s3"]), (2, &["s4", "s5"])],
            &[("FAIL_ON", "s3")],
        ),
    )
    .await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
    let runs = w.store.step_runs(id).unwrap();
    let st = |h: &str, g: u32, l: u32| {
        runs.iter()
            .find(|r| r.host == h && r.group == g && r.level == l)
            .unwrap()
            .state
    };
    assert_eq!(st("s3", 1, 2), StepState::Failed);
    assert_eq!(st("s3", 1, 3), StepState::Pending);
    assert_eq!(st("s1", 1, 3), StepState::Done);
    assert!(
        runs.iter()
            .filter(|r| r.group == 2)
            .all(|r| r.state == StepState::Pending)
    );
    w.stop().await;
}

const WAITS: &str = r#"
id = 21
name = "timed then manual"
[[steps]]
group = 1
level = 1
name = "at time"
command = "echo timed-ran"
trigger = "timed"
[[steps]]
group = 1
level = 2
name = "confirm"
command = "echo manual-ran"
trigger = "manual"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_and_manual_steps_over_ssh() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(2);
    let w = World::new(
        &ssh_inventory(&sshd, &sshd.client_key),
        &[WAITS],
        config(&sshd.known_hosts),
    )
    .await;
    let b = w.as_user("alice");
    let mut s = spec(21, &[(1, &["s1", "s2"])], &[]);
    let exec_time = Utc::now() + chrono::Duration::seconds(2);
    s.exec_time = exec_time;
    let id = submit(&b, s).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    // The first step is timed: the whole task waits, scheduled, until its time.
    assert_eq!(
        w.store.task(id).unwrap().unwrap().state,
        TaskState::Scheduled
    );
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let runs = w.store.step_runs(id).unwrap();
        if runs
            .iter()
            .filter(|r| r.level == 2)
            .all(|r| r.state == StepState::Manual)
        {
            for r in runs.iter().filter(|r| r.level == 1) {
                assert_eq!(r.state, StepState::Done);
                assert!(r.started_at.unwrap() >= exec_time, "timed step ran early");
            }
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "manual steps never waited: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.release(id, None, None).await.unwrap(), 2);
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    let log = w.log_text(id).await;
    assert_eq!(
        log.iter()
            .filter(|l| l.ends_with("|stdout|manual-ran"))
            .count(),
        2
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_leaves_no_process_on_the_host() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(1);
    let t = r#"
id = 22
name = "long"
[[args]]
name = "MARK"
required = true
[[steps]]
group = 1
level = 1
name = "sleep"
command = "sleep 600 & sleep 600 # ${MARK}"
"#;
    let w = World::new(
        &ssh_inventory(&sshd, &sshd.client_key),
        &[t],
        config(&sshd.known_hosts),
    )
    .await;
    let b = w.as_user("alice");
    let mark = format!("opsdeck-ssh-cancel-{}", std::process::id());
    let id = submit(&b, spec(22, &[(1, &["s1"])], &[("MARK", &mark)])).await;
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let ps = std::process::Command::new("pgrep")
            .arg("-f")
            .arg(&mark)
            .output()
            .unwrap();
        if !ps.stdout.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the step never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.cancel(id).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let runs = w.store.step_runs(id).unwrap();
        if runs[0].state == StepState::Cancelled {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "step still {:?}",
            runs[0].state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The host is the same machine: no process of the step may remain.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ps = std::process::Command::new("pgrep")
            .arg("-f")
            .arg(&mark)
            .output()
            .unwrap();
        if ps.stdout.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "left behind: {}",
            String::from_utf8_lossy(&ps.stdout)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        w.store.task(id).unwrap().unwrap().state,
        TaskState::Cancelled
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_wrong_key_and_host_key_mismatch_fail_only_their_host() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(4);
    // s2 presents a host key that does not match known_hosts.
    let good = std::fs::read_to_string(&sshd.known_hosts).unwrap();
    let bad = std::fs::read_to_string(&sshd.bad_known_hosts).unwrap();
    let s2 = sshd.hosts[1].known_hosts_name();
    let mut kh: String = good
        .lines()
        .filter(|l| !l.starts_with(&s2))
        .map(|l| format!("{l}\n"))
        .collect();
    kh.extend(
        bad.lines()
            .filter(|l| l.starts_with(&s2))
            .map(|l| format!("{l}\n")),
    );
    let kh_path = sshd.dir.path().join("mixed_known_hosts");
    std::fs::write(&kh_path, kh).unwrap();
    let mut inv = ssh_inventory(&sshd, &sshd.client_key);
    // s3 logs in with a key sshd does not accept; s5 is a port nobody listens on.
    inv = inv.replacen(
        &format!(
            "name = \"s3\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"",
            sshd.hosts[2].address, sshd.port
        ),
        &format!(
            "name = \"s3\"\naddress = \"{}\"\nport = {}\nexec_user = \"wrong\"",
            sshd.hosts[2].address, sshd.port
        ),
        1,
    );
    let closed = support::free_port();
    let _ = write!(
        inv,
        "[[hosts]]\nname = \"s5\"\naddress = \"127.0.0.1\"\nport = {closed}\nexec_user = \"t\"\n"
    );
    let t = r#"
id = 23
name = "hello"
[[steps]]
group = 1
level = 1
name = "hello"
command = "echo hello ${SERVER_HOST}"
"#;
    let w = World::new(&inv, &[t], config(&kh_path)).await;
    let b = w.as_user("alice");
    let id = submit(&b, spec(23, &[(1, &["s1", "s2", "s3", "s4", "s5"])], &[])).await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
    let runs = w.store.step_runs(id).unwrap();
    let r = |h: &str| runs.iter().find(|r| r.host == h).unwrap().clone();
    assert_eq!(r("s1").state, StepState::Done);
    assert_eq!(r("s4").state, StepState::Done);
    for h in ["s2", "s3", "s5"] {
        assert_eq!(r(h).state, StepState::Failed, "{h}");
    }
    let reason = |h: &str| r(h).reason.to_lowercase();
    assert!(reason("s2").contains("does not match"), "{}", reason("s2"));
    assert!(reason("s3").contains("auth"), "{}", reason("s3"));
    assert!(
        reason("s5").contains("refused") || reason("s5").contains("unreachable"),
        "{}",
        reason("s5")
    );
    let log = w.log_text(id).await;
    assert!(log.contains(&"s4|stdout|hello s4".to_string()), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("s2|system|") && l.contains("does not match")),
        "{log:#?}"
    );
    w.stop().await;
}

/// The real binary: an engine process killed with SIGKILL mid-run keeps every stored line; the
/// restart marks the task interrupted and another scheduled task still runs.
#[test]
fn a_killed_engine_loses_no_stored_line_and_recovers() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .env("OPSDECK_CONFIG", dir.path().join("config.toml"))
            .env("OPSDECK_DATA_DIR", dir.path().join("data"))
            .env("USER", "tester")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let tpl = dir.path().join("chatty.toml");
    std::fs::write(
        &tpl,
        r#"id = 30
name = "chatty"
[[steps]]
group = 1
level = 1
name = "count"
command = "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo line $i; sleep 0.001; done"
"#,
    )
    .unwrap();
    run(&["template", "import", tpl.to_str().unwrap()]);
    run(&["task", "submit", "--template", "30", "--tag", "demo"]);
    run(&[
        "task",
        "submit",
        "--template",
        "9505",
        "--tag",
        "demo",
        "--at",
        "+6s",
    ]);
    // The submits started the data dir's engine, detached.
    let lock = dir.path().join("data/engine.lock");
    let engine_pid: i32 = std::fs::read_to_string(&lock)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let store = opsdeck::store::Store::open(&dir.path().join("data/opsdeck.db")).unwrap();
    // Read from the store itself while no engine runs (any task command would start one).
    let stored_logs = |id: i64| -> Vec<serde_json::Value> {
        store
            .logs(id, 1, usize::MAX >> 1)
            .unwrap()
            .iter()
            .map(|l| serde_json::to_value(l).unwrap())
            .collect()
    };
    let logs_of = |id: &str| -> Vec<serde_json::Value> {
        run(&["task", "logs", id, "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let deadline = std::time::Instant::now() + T;
    while logs_of("1").len() < 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the task never got going"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(engine_pid, libc::SIGKILL) };
    while std::fs::read_to_string(format!("/proc/{engine_pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    }) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = stored_logs(1);
    // Every stored line is intact: sequence numbers 1..n without gaps, and the counter lines in order.
    let seqs: Vec<u64> = before.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let counted: Vec<String> = before
        .iter()
        .filter(|l| l["stream"] == "stdout")
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    for (i, t) in counted.iter().enumerate() {
        assert_eq!(t, &format!("line {}", i + 1));
    }
    assert_eq!(
        store.task(1).unwrap().unwrap().state.as_str(),
        "running",
        "the store still says running before the restart"
    );
    // Nothing of the killed step may keep running on the host.
    std::thread::sleep(Duration::from_millis(300));
    run(&["engine", "start"]);
    let deadline = std::time::Instant::now() + T;
    loop {
        let t1: serde_json::Value =
            serde_json::from_str(&run(&["task", "show", "1", "--json"])).unwrap();
        let t2: serde_json::Value =
            serde_json::from_str(&run(&["task", "show", "2", "--json"])).unwrap();
        if t1["task"]["state"] == "interrupted" && t2["task"]["state"] == "succeeded" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after restart: task 1 {}, task 2 {}",
            t1["task"]["state"],
            t2["task"]["state"]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let after = logs_of("1");
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "stored lines changed after the restart"
    );
    assert!(
        after
            .iter()
            .any(|l| l["text"].as_str().unwrap().contains("interrupted"))
    );
    run(&["engine", "stop", "--force"]);
}

/// The node-add module end to end on sshd hosts: group 1 (the control plane) captures the join
/// command from a stand-in `kubeadm` on the hosts' PATH; group 2 (the new nodes) runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_add_hands_the_captured_join_command_to_the_new_nodes() {
    use opsdeck::modules::{Form, NodeAddForm};
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(3);
    let kubeadm = "#!/bin/sh\ncase \"$1\" in\n\
        token) echo \"kubeadm join 10.0.0.1:6443 --token abc.def --discovery-token-ca-cert-hash sha256:0123\" ;;\n\
        version) echo v1.31.2 ;;\n\
        join) echo \"joined as $(hostname) via $SSH_CONNECTION\" | cut -d' ' -f1-3 ;;\n\
        *) echo \"stand-in kubeadm: $*\" >&2; exit 1 ;;\nesac\n";
    let path = sshd.bin_dir.join("kubeadm");
    std::fs::write(&path, kubeadm).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
    let tpl = opsdeck::assets::BUILTIN_TEMPLATES
        .iter()
        .find(|(f, _)| f.starts_with("9201"))
        .map(|(_, src)| *src)
        .unwrap();
    let mut inv = ssh_inventory(&sshd, &sshd.client_key);
    inv.push_str("[[tags]]\nname = \"k8s\"\nhosts = [\"s1\"]\n");
    let w = World::new(&inv, &[tpl], config(&sshd.known_hosts)).await;
    let b = w.as_user("alice");
    let ctx = opsdeck::backend::load_module_context(&b, &w.config)
        .await
        .unwrap();
    let form = NodeAddForm {
        cluster_tag: "k8s".into(),
        hosts: vec!["s2".into(), "s3".into()],
        ..NodeAddForm::default()
    };
    let id = b.submit(form.to_spec(&ctx).unwrap()).await.unwrap().id;
    let state = w.wait_state(id, None, T).await;
    let log = w.log_text(id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}\n{}", sshd.logs());
    // The join command holds a bootstrap token: it is captured as a secret and never logged.
    assert!(!log.iter().any(|l| l.contains("abc.def")), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("s1|system|") && l.contains("captured JOIN_CMD (secret")),
        "{log:#?}"
    );
    for h in ["s2", "s3"] {
        assert!(
            log.contains(&format!("{h}|stdout|kubeadm v1.31.2")),
            "{log:#?}"
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with(&format!("{h}|stdout|joined as"))),
            "{log:#?}"
        );
        // The captured command reached the node quoted as one word, ran there, and shows masked
        // (its shell-quoted form as a whole, quotes included).
        assert!(
            log.iter()
                .any(|l| l.starts_with(&format!("{h}|system|")) && l.contains("sh -c ******")),
            "{log:#?}"
        );
    }
    assert!(
        !log.iter()
            .any(|l| l.starts_with("s1|") && l.contains("joined")),
        "the control plane must not join"
    );
    w.stop().await;
}
