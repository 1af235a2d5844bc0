//! Console tests: every screen rendered in both languages into a TestBackend (insta snapshots), and
//! key-driven scenarios through `update`.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Cmd, Confirm, Msg, Overlay, Tab};
use super::i18n::Lang;
use super::view;
use crate::backend::TaskDetail;
use crate::model::*;

pub(super) fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(super) fn at(h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
}

pub(super) fn task(id: i64, state: TaskState, submitter: &str, approvers: &[&str]) -> Task {
    Task {
        id,
        spec: TaskSpec {
            name: format!("发布 release {id}"),
            module: ModuleKind::Custom,
            submitter: submitter.into(),
            template_id: 9504,
            args: Default::default(),
            hosts: [(1, vec!["web01".to_string(), "web02".to_string()])].into(),
            exec_time: at(10),
            approvers: approvers.iter().map(|s| s.to_string()).collect(),
            needs_approval: !approvers.is_empty(),
            details: String::new(),
            extra: serde_json::Value::Null,
        },
        state,
        template_version: 1,
        created_at: Utc::now() - chrono::Duration::minutes(5),
        updated_at: at(9),
        started_at: None,
        finished_at: None,
        decision: None,
        reason: String::new(),
    }
}

fn detail() -> TaskDetail {
    let step = |id, host: &str, state| StepRun {
        id,
        task_id: 1,
        group: 1,
        level: 1,
        host: host.into(),
        step_name: "run".into(),
        state,
        exit_code: None,
        started_at: None,
        finished_at: None,
        attempt: 1,
        reason: String::new(),
    };
    TaskDetail {
        task: task(1, TaskState::Running, "alice", &[]),
        steps: vec![
            step(1, "web01", StepState::Done),
            step(2, "web02", StepState::Manual),
        ],
        sql_results: Vec::new(),
    }
}

fn log_line(seq: u64, host: &str, text: &str) -> LogLine {
    LogLine {
        task_id: 1,
        seq,
        step_run_id: None,
        host: Some(host.into()),
        ts: at(10),
        stream: if seq == 1 {
            Stream::System
        } else {
            Stream::Stdout
        },
        text: text.into(),
    }
}

pub(super) fn me(name: &str, role: Role) -> Msg {
    Msg::Me(User {
        name: name.into(),
        display_name: String::new(),
        role,
    })
}

pub(super) fn loaded(lang: Lang) -> App {
    let mut app = App::new(lang, false);
    app.init();
    app.update(me("bob", Role::Approver));
    app.update(Msg::Tasks(vec![
        task(3, TaskState::PendingApproval, "alice", &["bob"]),
        task(2, TaskState::Failed, "alice", &[]),
        task(1, TaskState::Running, "alice", &[]),
    ]));
    app.update(Msg::Approvals(vec![
        task(3, TaskState::PendingApproval, "alice", &["bob"]),
        task(4, TaskState::PendingApproval, "carol", &["dave"]),
        task(5, TaskState::PendingApproval, "bob", &["bob"]),
    ]));
    let inv: Inventory = toml::from_str(crate::assets::DEMO_INVENTORY).unwrap();
    app.update(Msg::Inventory(Box::new(inv), vec![]));
    app
}

pub(super) fn draw(app: &mut App, w: u16, h: u16) -> String {
    // Snapshots show UTC whatever the machine's zone (`TZ=Asia/Shanghai cargo test` too).
    crate::model::time::pin_zone(Some(chrono::FixedOffset::east_opt(0).unwrap()));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::render(app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            // A wide character fills two cells; its second cell holds nothing of its own.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_screen_renders_in_both_languages() {
    for (lang, name) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        let mut app = loaded(lang);
        insta::assert_snapshot!(format!("tasks_{name}"), draw(&mut app, 100, 20));
        app.update(key('2'));
        insta::assert_snapshot!(format!("approvals_{name}"), draw(&mut app, 100, 20));
        app.update(key('3'));
        insta::assert_snapshot!(format!("inventory_{name}"), draw(&mut app, 100, 20));
        app.update(key('1'));
        app.update(key('?'));
        insta::assert_snapshot!(format!("help_{name}"), draw(&mut app, 100, 30));
        app.update(key('x'));
        let cmds = app.update(code(KeyCode::Enter));
        assert!(cmds.contains(&Cmd::LoadTask(3)));
        app.update(Msg::Task(Box::new(TaskDetail {
            task: task(3, TaskState::Running, "alice", &[]),
            ..detail()
        })));
        app.update(Msg::Logs {
            id: 3,
            lines: vec![],
        });
        let mut lines = vec![log_line(1, "web01", "task started")];
        lines.extend((2..=30).map(|i| {
            log_line(
                i,
                if i % 2 == 0 { "web01" } else { "web02" },
                &format!("output 中文 {i}"),
            )
        }));
        for l in lines {
            app.update(Msg::Live(LogLine { task_id: 3, ..l }));
        }
        insta::assert_snapshot!(format!("detail_{name}"), draw(&mut app, 100, 24));
        insta::assert_snapshot!(format!("too_small_{name}"), draw(&mut app, 40, 10));
    }
}

#[test]
fn the_approvals_badge_counts_only_what_i_may_approve() {
    let app = loaded(Lang::En);
    // Task 3 names bob; 4 names dave; 5 is bob's own.
    assert_eq!(
        app.approvals.list.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(app.approval_badge(), 1);
}

#[test]
fn approving_several_marked_tasks_asks_first() {
    let mut app = App::new(Lang::En, true);
    app.update(me("root", Role::Admin));
    app.update(Msg::Approvals(vec![
        task(7, TaskState::PendingApproval, "alice", &[]),
        task(8, TaskState::PendingApproval, "alice", &[]),
        task(9, TaskState::PendingApproval, "alice", &[]),
    ]));
    app.update(key(']'));
    assert_eq!(app.tab, Tab::Approvals);
    app.update(key(' '));
    app.update(key(' '));
    assert_eq!(app.approvals.marked.len(), 2);
    assert!(
        app.update(key('a')).is_empty(),
        "nothing happens before confirmation"
    );
    assert_eq!(app.overlay, Overlay::Confirm(Confirm::Approve(vec![7, 8])));
    // n declines and changes nothing.
    assert!(app.update(key('n')).is_empty());
    assert_eq!(app.approvals.marked.len(), 2);
    app.update(key('a'));
    assert_eq!(app.update(key('y')), vec![Cmd::Approve(vec![7, 8])]);
    assert!(app.approvals.marked.is_empty());
}

#[test]
fn reject_needs_a_reason() {
    let mut app = App::new(Lang::En, true);
    app.update(me("root", Role::Admin));
    app.update(Msg::Approvals(vec![task(
        7,
        TaskState::PendingApproval,
        "alice",
        &[],
    )]));
    app.update(key('2'));
    app.update(key('x'));
    assert!(
        app.update(code(KeyCode::Enter)).is_empty(),
        "an empty reason is refused"
    );
    assert!(app.status.as_ref().is_some_and(|(_, err)| *err));
    assert!(
        matches!(app.overlay, Overlay::Prompt(..)),
        "the prompt stays open"
    );
    for c in "freeze".chars() {
        app.update(key(c));
    }
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Cmd::Reject(7, "freeze".into())]
    );
}

#[test]
fn the_task_filter_and_the_palette() {
    let mut app = loaded(Lang::En);
    app.update(key('/'));
    for c in "failed".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert_eq!(
        app.visible_tasks().iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![2]
    );
    app.update(key(':'));
    for c in "task 1".chars() {
        app.update(key(c));
    }
    let cmds = app.update(code(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::LoadTask(1)) && cmds.contains(&Cmd::Follow { id: 1, from: 1 }));
    // Dangerous keys in the detail ask first.
    app.update(key('c'));
    assert_eq!(app.overlay, Overlay::Confirm(Confirm::Cancel(1)));
    assert_eq!(app.update(key('y')), vec![Cmd::Cancel(1)]);
    app.update(key(':'));
    for c in "nonsense".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert!(app.status.as_ref().unwrap().0.contains("unknown command"));
}

#[test]
fn log_pane_follow_scroll_and_search() {
    let mut app = loaded(Lang::En);
    app.open_task(1);
    app.update(Msg::Task(Box::new(detail())));
    app.update(Msg::Logs {
        id: 1,
        lines: (1..=100)
            .map(|i| log_line(i, "web01", &format!("line {i}")))
            .collect(),
    });
    let d = app.tasks.detail.as_ref().unwrap();
    assert!(d.log.follow);
    app.update(key('k'));
    assert!(
        !app.tasks.detail.as_ref().unwrap().log.follow,
        "scrolling up leaves follow mode"
    );
    app.update(key('f'));
    assert!(app.tasks.detail.as_ref().unwrap().log.follow);
    app.update(key('/'));
    for c in "line 5".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    let log = &app.tasks.detail.as_ref().unwrap().log;
    assert_eq!(log.search.as_deref(), Some("line 5"));
    assert!(log.hit.is_some());
    // A stale answer for another task is dropped.
    app.update(Msg::Logs {
        id: 99,
        lines: vec![log_line(500, "x", "stale")],
    });
    assert_eq!(app.tasks.detail.as_ref().unwrap().log.last_seq, 100);
    // Esc clears the search, then closes the detail and stops following.
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert_eq!(app.update(code(KeyCode::Esc)), vec![Cmd::StopFollow]);
    assert!(app.tasks.detail.is_none());
}

#[test]
fn rollback_of_an_sql_audit_shows_its_sql_then_submits_it_for_the_approvers() {
    let inv = format!(
        "{}\n[[tags]]\nname = \"orders\"\nhosts = [\"h1\"]\nproxy = \"p1\"\n\
         [[tags.databases]]\nname = \"orders-rw\"\nhost = \"10.9.0.1\"\nuser = \"app\"\n\
         schema = \"orders\"\npassword = \"pw\"\nrole = \"write\"\n",
        crate::modules::testutil::INVENTORY
    );
    let inv: Inventory = toml::from_str(&inv).unwrap();
    let ctx = crate::modules::ModuleContext::new(
        inv,
        crate::modules::testutil::templates(),
        crate::config::Config::default(),
        "alice",
    );
    let mut app = loaded(Lang::En);
    app.update(me("alice", Role::Operator));
    app.update(Msg::Context(Box::new(ctx)));
    let mut original = task(1, TaskState::Succeeded, "alice", &["bob", "alice"]);
    original.spec.module = ModuleKind::SqlAudit;
    original.spec.extra =
        serde_json::json!({"sql_via": "tunnel", "target_tag": "orders", "database": "orders-rw"});
    let done = serde_json::json!({"number": 1, "line": 1, "status": "done", "inverse": "DROP TABLE extra"});
    let mut d = detail();
    d.task = original.clone();
    d.sql_results = vec![done];
    app.open_task(1);
    app.update(Msg::Task(Box::new(d.clone())));
    let cmds = app.update(key('U'));
    // The audit is built and checked off the UI thread; the console says so meanwhile.
    let [Cmd::BuildRollback(job)] = cmds.as_slice() else {
        panic!("no rollback build: {cmds:?}");
    };
    assert!(
        app.status.as_ref().unwrap().0.contains("checking"),
        "{:?}",
        app.status
    );
    assert_eq!(app.overlay, Overlay::None);
    let job = job.clone();
    let spec = crate::modules::sql_audit_rollback::rollback_spec(
        &job.task,
        &job.plan,
        job.approvers.clone(),
        false,
        &job.ctx,
    )
    .map(Box::new)
    .map_err(|e| e.to_string());
    app.update(Msg::RollbackBuilt {
        of: 1,
        sql: job.plan.sql(),
        notes: job.plan.notes.clone(),
        spec,
    });
    let Overlay::Confirm(Confirm::Rollback { of, sql, spec, .. }) = app.overlay.clone() else {
        panic!("no rollback confirmation: {:?}", app.overlay);
    };
    assert_eq!((of, sql.trim()), (1, "DROP TABLE extra;"));
    assert_eq!(spec.approvers, ["bob"], "the original's approvers but me");
    assert_eq!(spec.extra["rollback"]["of"], 1);
    let screen = draw(&mut app, 100, 30);
    assert!(
        screen.contains("roll back (SQL audit) #1: Approvers bob?"),
        "{screen}"
    );
    assert!(screen.contains("DROP TABLE extra;"), "{screen}");
    let cmds = app.update(key('y'));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Submit(s) if s.extra["rollback"]["of"] == 1)),
        "{cmds:?}"
    );

    // A late answer for a task no longer open asks nothing.
    app.update(Msg::RollbackBuilt {
        of: 2,
        sql: "DROP TABLE extra;".into(),
        notes: vec![],
        spec: Err("x".into()),
    });
    assert_eq!(app.overlay, Overlay::None);

    // A task still running has no rollback: said on the status line, nothing asked.
    let mut running = d.clone();
    running.task.state = TaskState::Running;
    app.update(Msg::Task(Box::new(running)));
    app.update(key('U'));
    assert_eq!(app.overlay, Overlay::None);
    let status = app.status.clone().unwrap();
    assert!(
        status.1 && status.0.contains("roll back once it has finished"),
        "{status:?}"
    );
}

#[test]
fn rollback_refusals_speak_the_consoles_language() {
    let mut app = loaded(Lang::Zh);
    app.update(me("alice", Role::Operator));
    let mut d = detail();
    d.task = task(1, TaskState::Succeeded, "alice", &["alice"]);
    app.open_task(1);
    app.update(Msg::Task(Box::new(d.clone())));
    app.update(key('U'));
    let status = app.status.clone().unwrap();
    assert!(
        status.1 && status.0.contains("任务 1 不是 SQL 审核"),
        "{status:?}"
    );
    // An SQL audit with a backup, but the form context not loaded yet.
    d.task.spec.module = ModuleKind::SqlAudit;
    d.task.spec.extra = serde_json::json!({"sql_via": "tunnel"});
    d.sql_results = vec![
        serde_json::json!({"number": 1, "line": 1, "status": "done", "inverse": "DROP TABLE x"}),
    ];
    app.update(Msg::Task(Box::new(d)));
    app.update(key('U'));
    let status = app.status.clone().unwrap();
    assert!(status.0.contains("表单上下文仍在加载"), "{status:?}");
    assert!(!status.0.is_ascii(), "{status:?}");
}
