//! Engine behaviour on local-connection hosts: ordering, failures, triggers, cancel, secrets, approvals, capture.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{World, local_inventory, spec, submit};
use futures::StreamExt;
use opsdeck::backend::Backend;
use opsdeck::config::Config;
use opsdeck::model::{Role, StepState, TaskState};

const T: Duration = Duration::from_secs(60);

const TWO_GROUPS: &str = r#"
id = 10
name = "two groups, three levels"
[[args]]
name = "FAIL_ON"
default = "none"
[[steps]]
group = 1
level = 1
name = "a"
command = "sleep 0.05; echo g1l1 ${SERVER_HOST}"
[[steps]]
group = 1
level = 2
name = "b"
command = "test ${SERVER_HOST} != ${FAIL_ON} && echo g1l2 ${SERVER_HOST}"
[[steps]]
group = 1
level = 3
name = "c"
command = "echo g1l3 ${SERVER_HOST}"
[[steps]]
group = 2
level = 1
name = "d"
command = "echo g2l1 ${SERVER_HOST}"
[[steps]]
group = 2
level = 2
name = "e"
command = "echo g2l2 ${SERVER_HOST}"
[[steps]]
group = 2
level = 3
name = "f"
command = "echo g2l3 ${SERVER_HOST}"
"#;

#[tokio::test]
async fn groups_run_in_order_and_levels_in_order_per_host() {
    let w = World::new(&local_inventory(5), &[TWO_GROUPS], Config::default()).await;
    let b = w.as_user("alice");
    let id = submit(
        &b,
        spec(10, &[(1, &["h1", "h2", "h3"]), (2, &["h4", "h5"])], &[]),
    )
    .await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    let runs = w.store.step_runs(id).unwrap();
    assert_eq!(runs.len(), 3 * 3 + 2 * 3);
    assert!(
        runs.iter()
            .all(|r| r.state == StepState::Done && r.exit_code == Some(0))
    );
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
    for h in ["h1", "h2", "h3", "h4", "h5"] {
        let mut mine: Vec<_> = runs.iter().filter(|r| r.host == h).collect();
        mine.sort_by_key(|r| r.level);
        for pair in mine.windows(2) {
            assert!(
                pair[0].finished_at.unwrap() <= pair[1].started_at.unwrap(),
                "{h} levels out of order"
            );
        }
    }
    let log = w.log_text(id).await;
    assert!(log.contains(&"h4|stdout|g2l3 h4".to_string()), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("h1|system|[h1] step 'a' exited 0 in")),
        "{log:#?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_failure_stops_that_host_and_later_groups() {
    let w = World::new(&local_inventory(5), &[TWO_GROUPS], Config::default()).await;
    let b = w.as_user("alice");
    let id = submit(
        &b,
        spec(
            10,
            &[(1, &["h1", "h2", "h3"]), (2, &["h4", "h5"])],
            &[("FAIL_ON", "h2")],
        ),
    )
    .await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
    let runs = w.store.step_runs(id).unwrap();
    let get = |h: &str, g: u32, l: u32| {
        runs.iter()
            .find(|r| r.host == h && r.group == g && r.level == l)
            .unwrap()
            .state
    };
    assert_eq!(get("h2", 1, 2), StepState::Failed);
    assert_eq!(
        get("h2", 1, 3),
        StepState::Pending,
        "the failed host's chain stops"
    );
    assert_eq!(get("h1", 1, 3), StepState::Done, "other hosts go on");
    assert_eq!(get("h3", 1, 3), StepState::Done);
    assert!(
        runs.iter()
            .filter(|r| r.group == 2)
            .all(|r| r.state == StepState::Pending)
    );
    let log = w.log_text(id).await;
    assert!(
        log.iter()
            .any(|l| l.contains("group 1 failed on h2; later groups will not start")),
        "{log:#?}"
    );

    // Retry runs the failed host from its failed level; done steps are not run again.
    let t = b.retry(id).await.unwrap();
    assert_eq!(t.state, TaskState::Scheduled);
    // Still failing (FAIL_ON is part of the spec), so it fails again at the same step, attempt 2.
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
    let r = w.store.step_runs(id).unwrap();
    let h2 = r
        .iter()
        .find(|r| r.host == "h2" && r.level == 2 && r.group == 1)
        .unwrap();
    assert_eq!(h2.attempt, 2);
    let h1 = r
        .iter()
        .find(|r| r.host == "h1" && r.level == 1 && r.group == 1)
        .unwrap();
    assert_eq!(h1.attempt, 1, "done steps are not retried");
    // Skip the failing step, then retry: the task finishes.
    b.skip(id, h2.id).await.unwrap();
    b.retry(id).await.unwrap();
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    // Retrying a succeeded task is refused and changes nothing.
    let e = b.retry(id).await.unwrap_err();
    assert!(e.to_string().contains("cannot retry task"), "{e}");
    assert_eq!(
        w.store.task(id).unwrap().unwrap().state,
        TaskState::Succeeded
    );
    w.stop().await;
}

const TRIGGERS: &str = r#"
id = 11
name = "triggers"
[[steps]]
group = 1
level = 1
name = "prepare"
command = "echo prepared"
[[steps]]
group = 1
level = 2
name = "at time"
command = "echo timed"
trigger = "timed"
[[steps]]
group = 1
level = 3
name = "confirm"
command = "echo confirmed"
trigger = "manual"
"#;

#[tokio::test]
async fn timed_steps_wait_for_the_exec_time_and_manual_steps_for_release() {
    let w = World::new(&local_inventory(2), &[TRIGGERS], Config::default()).await;
    let b = w.as_user("alice");
    let mut s = spec(11, &[(1, &["h1", "h2"])], &[]);
    s.exec_time = Utc::now() + chrono::Duration::seconds(2);
    let id = submit(&b, s).await;
    // The order step runs at once; the timed step waits.
    w.wait_state(id, Some(TaskState::Running), T).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let runs = w.store.step_runs(id).unwrap();
    let at = |runs: &Vec<opsdeck::model::StepRun>, l: u32| {
        runs.iter()
            .filter(|r| r.level == l)
            .map(|r| r.state)
            .collect::<Vec<_>>()
    };
    assert_eq!(at(&runs, 1), vec![StepState::Done, StepState::Done]);
    assert_eq!(at(&runs, 2), vec![StepState::Waiting, StepState::Waiting]);
    // After the exec time the timed step runs and the manual step waits for a person.
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let runs = w.store.step_runs(id).unwrap();
        if at(&runs, 3) == vec![StepState::Manual, StepState::Manual] {
            let timed = runs.iter().find(|r| r.level == 2).unwrap();
            assert!(timed.started_at.unwrap() >= w.store.task(id).unwrap().unwrap().spec.exec_time);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "manual steps never waited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.store.task(id).unwrap().unwrap().state, TaskState::Running);
    // Release one host, then the other.
    assert_eq!(b.release(id, None, Some("h1")).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let runs = w.store.step_runs(id).unwrap();
    assert_eq!(
        runs.iter()
            .find(|r| r.level == 3 && r.host == "h1")
            .unwrap()
            .state,
        StepState::Done
    );
    assert_eq!(
        runs.iter()
            .find(|r| r.level == 3 && r.host == "h2")
            .unwrap()
            .state,
        StepState::Manual
    );
    assert_eq!(b.release(id, None, None).await.unwrap(), 1);
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    // Nothing left to release.
    assert!(b.release(id, None, None).await.is_err());
    w.stop().await;
}

const SLEEPER: &str = r#"
id = 12
name = "sleeper"
[[args]]
name = "MARK"
required = true
[[steps]]
group = 1
level = 1
name = "sleep"
command = "sleep 600 # ${MARK}"
"#;

#[tokio::test]
async fn cancel_kills_the_running_step() {
    let w = World::new(&local_inventory(1), &[SLEEPER], Config::default()).await;
    let b = w.as_user("alice");
    let mark = format!("opsdeck-cancel-{}", std::process::id());
    let id = submit(&b, spec(12, &[(1, &["h1"])], &[("MARK", &mark)])).await;
    let deadline = tokio::time::Instant::now() + T;
    while w.store.step_runs(id).unwrap()[0].state != StepState::Running {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.cancel(id).await.unwrap();
    assert_eq!(
        w.wait_state(id, Some(TaskState::Cancelled), T).await,
        TaskState::Cancelled
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let runs = w.store.step_runs(id).unwrap();
        if runs[0].state == StepState::Cancelled {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "step not marked cancelled: {:?}",
            runs[0].state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ps = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(&mark)
        .output()
        .unwrap();
    assert!(
        ps.stdout.is_empty(),
        "left behind: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
    // Cancelling twice is refused.
    assert!(b.cancel(id).await.is_err());
    w.stop().await;
}

const SECRETS: &str = r#"
id = 13
name = "secrets and quoting"
[[args]]
name = "TOKEN"
secret = true
[[args]]
name = "VALUE"
required = true
[[steps]]
group = 1
level = 1
name = "print"
command = "echo token=${TOKEN}; echo value=${VALUE}; echo ${TOKEN} >&2"
"#;

#[tokio::test]
async fn secrets_never_reach_the_log_and_values_are_quoted() {
    let w = World::new(&local_inventory(1), &[SECRETS], Config::default()).await;
    let b = w.as_user("alice");
    let pwned = format!("/tmp/opsdeck-pwned-{}", std::process::id());
    let evil = format!("'; touch {pwned}; '");
    let id = submit(
        &b,
        spec(
            13,
            &[(1, &["h1"])],
            &[("TOKEN", "s3cr3t-value"), ("VALUE", &evil)],
        ),
    )
    .await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    let log = w.log_text(id).await;
    assert!(log.iter().all(|l| !l.contains("s3cr3t-value")), "{log:#?}");
    assert!(
        log.contains(&"h1|stdout|token=******".to_string()),
        "{log:#?}"
    );
    assert!(log.contains(&format!("h1|stdout|value={evil}")), "{log:#?}");
    assert!(
        !std::path::Path::new(&pwned).exists(),
        "the argument value ran as a command"
    );
    w.stop().await;
}

#[tokio::test]
async fn only_named_approvers_may_approve_and_never_their_own_task() {
    let w = World::new(&local_inventory(1), &[TRIGGERS], Config::default()).await;
    w.add_user("alice", Role::Operator);
    w.add_user("bob", Role::Approver);
    w.add_user("carol", Role::Approver);
    w.add_user("root", Role::Admin);
    w.add_user("vic", Role::Viewer);
    let alice = w.as_user("alice");
    let mut s = spec(11, &[(1, &["h1"])], &[]);
    s.needs_approval = true;
    s.approvers = vec!["bob".into()];
    let id = submit(&alice, s.clone()).await;
    assert_eq!(
        w.store.task(id).unwrap().unwrap().state,
        TaskState::PendingApproval
    );
    // Not named: refused, nothing changes.
    let e = w.as_user("carol").approve(id, None).await.unwrap_err();
    assert!(e.to_string().contains("not an approver"), "{e}");
    // The submitter: refused.
    let e = alice.approve(id, None).await.unwrap_err();
    assert!(e.to_string().contains("may not approve"), "{e}");
    // A viewer cannot submit.
    assert!(w.as_user("vic").submit(s.clone()).await.is_err());
    assert_eq!(
        w.store.task(id).unwrap().unwrap().state,
        TaskState::PendingApproval
    );
    // A rejection needs a reason.
    assert!(w.as_user("bob").reject(id, " ").await.is_err());
    // The named approver may, with a new exec time.
    let later = Utc::now() + chrono::Duration::hours(1);
    let t = w.as_user("bob").approve(id, Some(later)).await.unwrap();
    assert_eq!(t.state, TaskState::Scheduled);
    assert_eq!(t.spec.exec_time, later);
    // Approving again (it is no longer pending) is refused.
    let e = w.as_user("bob").approve(id, None).await.unwrap_err();
    assert!(e.to_string().contains("cannot approve task"), "{e}");
    // An admin approves a task that names nobody; a reject is recorded with its reason.
    let id2 = submit(&alice, s.clone()).await;
    w.as_user("root")
        .reject(id2, "not during the freeze")
        .await
        .unwrap();
    let t2 = w.store.task(id2).unwrap().unwrap();
    assert_eq!(t2.state, TaskState::Rejected);
    assert_eq!(t2.reason, "not during the freeze");
    let audit = w.store.audit_entries(Some(id), 100).unwrap();
    let actions: Vec<_> = audit
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(actions, vec![("alice", "submit"), ("bob", "approve")]);
    w.stop().await;
}

#[tokio::test]
async fn self_approval_when_the_config_allows_it() {
    let cfg = Config {
        allow_self_approval: true,
        ..Config::default()
    };
    let w = World::new(&local_inventory(1), &[TRIGGERS], cfg).await;
    w.add_user("alice", Role::Approver);
    let alice = w.as_user("alice");
    let mut s = spec(11, &[(1, &["h1"])], &[]);
    s.needs_approval = true;
    s.approvers = vec!["alice".into()];
    let id = submit(&alice, s).await;
    alice.approve(id, None).await.unwrap();
    w.wait_state(id, Some(TaskState::Running), T).await;
    w.as_user("alice").cancel(id).await.unwrap();
    w.stop().await;
}

const CAPTURE: &str = r#"
id = 14
name = "capture"
[[steps]]
group = 1
level = 1
name = "make join command"
command = "echo 'echo joined with token abc'"
capture = "JOIN_CMD"
[[steps]]
group = 2
level = 1
name = "join"
command = "sh -c ${JOIN_CMD}"
"#;

#[tokio::test]
async fn a_capture_hands_stdout_to_the_next_group() {
    let w = World::new(&local_inventory(3), &[CAPTURE], Config::default()).await;
    let b = w.as_user("alice");
    let id = submit(&b, spec(14, &[(1, &["h1"]), (2, &["h2", "h3"])], &[])).await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    let log = w.log_text(id).await;
    assert!(
        log.contains(&"h2|stdout|joined with token abc".to_string()),
        "{log:#?}"
    );
    assert!(
        log.contains(&"h3|stdout|joined with token abc".to_string()),
        "{log:#?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_secret_capture_is_used_but_never_logged() {
    let t = r#"
id = 16
name = "secret capture"
[[steps]]
group = 1
level = 1
name = "make token"
command = "echo tok-$((40+2))-zz"
capture = "TOKEN"
capture_secret = true
[[steps]]
group = 2
level = 1
name = "use token"
command = "test $(printf %s ${TOKEN} | wc -c) -eq 9 && echo token ok && echo leaked ${TOKEN}"
"#;
    let w = World::new(&local_inventory(2), &[t], Config::default()).await;
    let b = w.as_user("alice");
    let id = submit(&b, spec(16, &[(1, &["h1"]), (2, &["h2"])], &[])).await;
    let state = w.wait_state(id, None, T).await;
    let log = w.log_text(id).await;
    assert_eq!(state, TaskState::Succeeded, "{log:#?}");
    assert!(log.contains(&"h2|stdout|token ok".to_string()), "{log:#?}");
    assert!(
        log.contains(&"h2|stdout|leaked ******".to_string()),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains("tok-42-zz")), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("captured TOKEN (secret: 1 stdout line(s) not logged)")),
        "{log:#?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn follow_delivers_every_line_in_order() {
    let t = r#"
id = 15
name = "chatty"
[[steps]]
group = 1
level = 1
name = "seq"
command = "seq 1 5000"
"#;
    let w = World::new(&local_inventory(1), &[t], Config::default()).await;
    let b = w.as_user("alice");
    let id = submit(&b, spec(15, &[(1, &["h1"])], &[])).await;
    let mut s = b.follow(id, 1).await.unwrap();
    let mut seqs = Vec::new();
    let mut numbers = Vec::new();
    while let Some(l) = tokio::time::timeout(T, s.next()).await.unwrap() {
        seqs.push(l.seq);
        if l.stream == opsdeck::model::Stream::Stdout {
            numbers.push(l.text.parse::<u32>().unwrap());
        }
    }
    assert_eq!(numbers, (1..=5000).collect::<Vec<_>>());
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    // Following from the middle of a finished task gives exactly the rest.
    let rest: Vec<_> = b.follow(id, 100).await.unwrap().collect().await;
    assert_eq!(rest.first().unwrap().seq, 100);
    assert_eq!(rest.len() as u64, seqs.len() as u64 - 99);
    w.stop().await;
}

#[tokio::test]
async fn invalid_specs_store_nothing() {
    let w = World::new(&local_inventory(2), &[TWO_GROUPS], Config::default()).await;
    let b = w.as_user("alice");
    let e = b.submit(spec(10, &[(1, &["h1"])], &[])).await.unwrap_err();
    assert!(e.to_string().contains("hosts.2"), "{e}");
    let e = b.submit(spec(99, &[(1, &["h1"])], &[])).await.unwrap_err();
    assert!(e.to_string().contains("unknown template 99"), "{e}");
    let e = b
        .submit(spec(10, &[(1, &["nope"]), (2, &["h2"])], &[]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown host `nope`"), "{e}");
    assert!(w.store.tasks(&Default::default()).unwrap().is_empty());
    w.stop().await;
}

#[tokio::test]
async fn the_concurrency_cap_limits_hosts_running_at_once() {
    let t = r#"
id = 16
name = "nap"
[[steps]]
group = 1
level = 1
name = "nap"
command = "sleep 0.3"
"#;
    let cfg = Config {
        concurrency: 2,
        ..Config::default()
    };
    let w = World::new(&local_inventory(5), &[t], cfg).await;
    let b = w.as_user("alice");
    let id = submit(&b, spec(16, &[(1, &["h1", "h2"])], &[])).await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    // More hosts than the cap in one group is refused at submit.
    let e = b
        .submit(spec(16, &[(1, &["h1", "h2", "h3"])], &[]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("concurrency cap of 2"), "{e}");
    w.stop().await;

    // With a cap of 2 hosts and 5 hosts in the group, never more than 2 steps overlap.
    let cfg = Config {
        concurrency: 2,
        ..Config::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = opsdeck::store::Store::open(&dir.path().join("o.db")).unwrap();
    store
        .import_inventory(toml::from_str(&local_inventory(5)).unwrap(), false)
        .unwrap()
        .unwrap();
    let tpl: opsdeck::model::Template = toml::from_str(t).unwrap();
    store.put_template(&tpl, t, "test").unwrap();
    // The spec is checked against a larger cap at submit, then run under a cap of 2.
    let wide = Config {
        concurrency: 5,
        ..Config::default()
    };
    let actor = opsdeck::engine::actions::resolve_actor(&store, "alice").unwrap();
    let task = opsdeck::engine::actions::submit(
        &store,
        &wide,
        &actor,
        spec(16, &[(1, &["h1", "h2", "h3", "h4", "h5"])], &[]),
    )
    .unwrap();
    let engine = opsdeck::engine::Engine::start(store.clone(), cfg, dir.path())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + T;
    while !store.task(task.id).unwrap().unwrap().state.is_final() {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let runs = store.step_runs(task.id).unwrap();
    // Sweep over start (+1) and end (-1) events; ends sort before starts at the same instant.
    let mut events: Vec<(chrono::DateTime<Utc>, i32)> = runs
        .iter()
        .flat_map(|r| [(r.started_at.unwrap(), 1), (r.finished_at.unwrap(), -1)])
        .collect();
    events.sort();
    let (mut now, mut max_overlap) = (0, 0);
    for (_, d) in events {
        now += d;
        max_overlap = max_overlap.max(now);
    }
    assert_eq!(runs.len(), 5);
    assert!(
        max_overlap <= 2,
        "{max_overlap} hosts ran at once under a cap of 2"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn overdue_tasks_are_marked_missed_and_running_ones_interrupted_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = opsdeck::store::Store::open(&dir.path().join("o.db")).unwrap();
    store
        .import_inventory(toml::from_str(&local_inventory(1)).unwrap(), false)
        .unwrap()
        .unwrap();
    let t = r#"
id = 17
name = "timed"
[[steps]]
group = 1
level = 1
name = "at time"
command = "echo ran"
trigger = "timed"
"#;
    let tpl: opsdeck::model::Template = toml::from_str(t).unwrap();
    store.put_template(&tpl, t, "test").unwrap();
    let actor = opsdeck::engine::actions::resolve_actor(&store, "alice").unwrap();
    let cfg = Config::default();
    let mut old = spec(17, &[(1, &["h1"])], &[]);
    old.exec_time = Utc::now() - chrono::Duration::hours(1);
    let missed = opsdeck::engine::actions::submit(&store, &cfg, &actor, old.clone()).unwrap();
    let mut recent = old.clone();
    recent.exec_time = Utc::now() - chrono::Duration::minutes(2);
    let late_but_ok = opsdeck::engine::actions::submit(&store, &cfg, &actor, recent).unwrap();
    // A task the previous engine left running.
    let crashed =
        opsdeck::engine::actions::submit(&store, &cfg, &actor, spec(17, &[(1, &["h1"])], &[]))
            .unwrap();
    store
        .transition_task(
            crashed.id,
            &[TaskState::Scheduled],
            TaskState::Running,
            None,
        )
        .unwrap();
    let engine = opsdeck::engine::Engine::start(store.clone(), cfg, dir.path())
        .await
        .unwrap();
    let state = |id| store.task(id).unwrap().unwrap();
    assert_eq!(state(missed.id).state, TaskState::Missed);
    assert!(
        state(missed.id).reason.contains("retry"),
        "{}",
        state(missed.id).reason
    );
    assert_eq!(state(crashed.id).state, TaskState::Interrupted);
    let deadline = tokio::time::Instant::now() + T;
    while state(late_but_ok.id).state != TaskState::Succeeded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            state(late_but_ok.id).state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A second engine on the same data directory is refused.
    let e = opsdeck::engine::Engine::start(store.clone(), Config::default(), dir.path())
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("another opsdeck engine"), "{e}");
    // Retrying a missed task runs it now.
    let b = opsdeck::backend::LocalBackend::new(
        store.clone(),
        Config::default(),
        "alice".into(),
        dir.path().into(),
        Some(engine.clone()),
    );
    b.retry(missed.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + T;
    while state(missed.id).state != TaskState::Succeeded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            state(missed.id).state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.shutdown().await;
}

const SHORT: &str = r#"
id = 30
name = "short"
[[steps]]
group = 1
level = 1
name = "only"
command = "sleep 0.2; echo ran"
"#;

/// A step's state the store refuses for a moment is stored by a retry; one it keeps refusing is
/// reported on the task (failed, with the store's words), never silently dropped.
#[tokio::test]
async fn a_failed_store_write_is_retried_then_reported_on_the_task() {
    let w = World::new(&local_inventory(1), &[SHORT], Config::default()).await;
    let db = rusqlite::Connection::open(w.dir.path().join("opsdeck.db")).unwrap();
    let refuse = "CREATE TRIGGER refuse_done BEFORE UPDATE OF state ON step_runs \
                  WHEN NEW.state = 'done' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;";
    db.execute_batch(refuse).unwrap();
    let b = w.as_user("alice");
    let id = submit(&b, spec(30, &[(1, &["h1"])], &[])).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    db.execute_batch("DROP TRIGGER refuse_done").unwrap();
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Succeeded);
    let d = b.task(id).await.unwrap();
    assert_eq!(d.steps[0].state, StepState::Done);

    db.execute_batch(refuse).unwrap();
    let id = submit(&b, spec(30, &[(1, &["h1"])], &[])).await;
    assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
    let d = b.task(id).await.unwrap();
    assert!(
        d.task.reason.contains("store write(s) failed") && d.task.reason.contains("disk on fire"),
        "{}",
        d.task.reason
    );
    let log = w.log_text(id).await.join("\n");
    assert!(log.contains("could not record step"), "{log}");
    w.stop().await;
}

/// A window that holds `t` (a minute either side, UTC), and one that is closed at `t`.
fn windows_around(t: chrono::DateTime<Utc>) -> (String, String) {
    use chrono::{Datelike, Timelike};
    let a = t - chrono::Duration::minutes(1);
    let b = t + chrono::Duration::minutes(2);
    let open = format!(
        "daily {:02}:{:02}-{:02}:{:02} UTC",
        a.hour(),
        a.minute(),
        b.hour(),
        b.minute()
    );
    let later = (t + chrono::Duration::days(3)).weekday();
    (open, format!("{later} 02:00-03:00 UTC"))
}

fn inventory_with_window(window: &str, policy: &str) -> opsdeck::model::Inventory {
    toml::from_str(&format!(
        "{}[[tags]]\nname = \"maint\"\nhosts = [\"h1\"]\nwindows = [\"{window}\"]\noutside_window = \"{policy}\"\n",
        local_inventory(1)
    ))
    .unwrap()
}

/// An approval that comes after the window closed: the task waits (still scheduled, saying
/// until when) or fails when the tag says so — it never starts outside its window.
#[tokio::test]
async fn a_task_approved_after_its_window_closed_waits_or_fails_never_runs_outside() {
    let (open, closed) = windows_around(Utc::now());
    for policy in ["wait", "fail"] {
        let w = World::new(&local_inventory(1), &[SHORT], Config::default()).await;
        w.add_user("alice", Role::Operator);
        w.add_user("bob", Role::Approver);
        w.store
            .import_inventory(inventory_with_window(&open, policy), false)
            .unwrap()
            .unwrap();
        let mut s = spec(30, &[(1, &["h1"])], &[]);
        s.needs_approval = true;
        s.approvers = vec!["bob".into()];
        let id = submit(&w.as_user("alice"), s).await;
        // The window closes before bob approves.
        w.store
            .import_inventory(inventory_with_window(&closed, policy), false)
            .unwrap()
            .unwrap();
        w.as_user("bob").approve(id, None).await.unwrap();
        if policy == "wait" {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let t = w.store.task(id).unwrap().unwrap();
            assert_eq!(t.state, TaskState::Scheduled, "it waits");
            let log = w.log_text(id).await.join("\n");
            assert!(
                log.contains("waits: now is outside the maintenance windows of tag `maint`"),
                "{log}"
            );
            assert!(!log.contains("ran"), "nothing ran: {log}");
            // A cancel still reaches it while it waits.
            w.as_user("bob").cancel(id).await.unwrap();
            assert_eq!(
                w.wait_state(id, Some(TaskState::Cancelled), T).await,
                TaskState::Cancelled
            );
        } else {
            assert_eq!(w.wait_state(id, None, T).await, TaskState::Failed);
            let t = w.store.task(id).unwrap().unwrap();
            assert!(
                t.reason.contains("not started") && t.reason.contains(&closed),
                "{}",
                t.reason
            );
            let log = w.log_text(id).await.join("\n");
            assert!(!log.contains("ran"), "{log}");
        }
        w.stop().await;
    }
}
