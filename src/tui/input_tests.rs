//! Console scenarios of keys that never surprise (Esc, q, tab keys), bracketed paste and the
//! debounced live check, driven through `update` with the real forms.

use crossterm::event::KeyCode;

use super::app::{App, Cmd, Confirm, Msg, Overlay, Tab};
use super::form_tests::{ctrl, fill_custom, settle, typed, with_forms};
use super::forms::Module;
use super::forms::live;
use super::i18n::Lang;
use super::tests::{code, draw, key, loaded};
use super::widgets::field::Value;
use super::widgets::line::LineInput;

fn paste(app: &mut App, s: &str) -> Vec<Cmd> {
    app.update(Msg::Paste(s.into()))
}

fn text(app: &App, m: Module, field: &str) -> String {
    app.modules.forms[&m]
        .field(field)
        .map(|f| f.as_text())
        .unwrap_or_default()
}

fn checks(cmds: &[Cmd]) -> usize {
    cmds.iter().filter(|c| matches!(c, Cmd::Check(_))).count()
}

#[test]
fn esc_goes_back_one_level_and_never_quits() {
    let mut app = loaded(Lang::En);
    app.update(code(KeyCode::Esc));
    assert!(!app.quit, "Esc at the top level does not quit");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("q quits"))
    );
    // A filter applied with Enter: Esc clears it, and still does not quit.
    app.update(key('/'));
    typed(&mut app, "failed");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.visible_tasks().len(), 1);
    app.update(code(KeyCode::Esc));
    assert!(!app.quit);
    assert_eq!(app.tasks.filter, "");
    assert_eq!(app.visible_tasks().len(), 3);
    // Esc in the filter prompt itself clears it too.
    app.update(key('/'));
    typed(&mut app, "fail");
    app.update(code(KeyCode::Esc));
    assert_eq!(
        (app.tasks.filter.as_str(), &app.overlay),
        ("", &Overlay::None)
    );
    for tab in ['2', '3'] {
        app.update(key(tab));
        app.update(code(KeyCode::Esc));
        assert!(!app.quit, "tab {tab}");
    }
    // Help closes with Esc; the tab stays.
    app.update(key('?'));
    app.update(code(KeyCode::Esc));
    assert_eq!(
        (app.overlay.clone(), app.tab),
        (Overlay::None, Tab::Inventory)
    );
    app.update(key('q'));
    assert!(app.quit, "q quits");
}

/// The prompts (filter, reason, search, export path) edit like a form's text field.
#[test]
fn prompts_use_the_line_editor() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let ctl = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    let mut app = loaded(Lang::En);
    app.update(key('/'));
    typed(&mut app, "ailed");
    app.update(code(KeyCode::Home));
    typed(&mut app, "f");
    assert_eq!(
        app.tasks.filter, "failed",
        "Home then typing inserts at the start"
    );
    assert_eq!(app.visible_tasks().len(), 1);
    app.update(code(KeyCode::End));
    typed(&mut app, " x");
    app.update(ctl('w'));
    app.update(code(KeyCode::Backspace));
    assert_eq!(app.tasks.filter, "failed", "Ctrl-W deletes the last word");
    app.update(code(KeyCode::Left));
    app.update(code(KeyCode::Left));
    app.update(ctl('k'));
    assert_eq!(app.tasks.filter, "fail", "Ctrl-K deletes to the end");
    app.update(ctl('a'));
    app.update(code(KeyCode::Delete));
    assert_eq!(app.tasks.filter, "ail");
    app.update(ctl('e'));
    typed(&mut app, "ed");
    app.update(ctl('u'));
    assert_eq!(app.tasks.filter, "", "Ctrl-U clears before the cursor");
    // The cursor is drawn where the next character goes: after `Filter: ab`, not at the end.
    typed(&mut app, "abc");
    app.update(code(KeyCode::Left));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 20)).unwrap();
    term.draw(|f| super::view::render(&mut app, f)).unwrap();
    let label = "Filter: ".len() as u16;
    term.backend_mut().assert_cursor_position((label + 2, 19));
}

#[test]
fn esc_in_the_log_clears_the_search_then_closes_the_log() {
    let mut app = loaded(Lang::En);
    app.open_task(1);
    app.update(key('/'));
    typed(&mut app, "x");
    app.update(code(KeyCode::Enter));
    assert!(app.tasks.detail.as_ref().unwrap().log.search.is_some());
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert!(app.tasks.detail.as_ref().unwrap().log.search.is_none());
    assert_eq!(app.update(code(KeyCode::Esc)), vec![Cmd::StopFollow]);
    assert!(app.tasks.detail.is_none() && !app.quit);
}

#[test]
fn number_keys_work_in_the_log_view_and_every_tab_has_one() {
    let mut app = with_forms(Lang::En);
    app.open_task(1);
    app.update(key('2'));
    assert_eq!(app.tab, Tab::Approvals);
    app.update(key('-'));
    assert_eq!(app.tab, Tab::Module(Module::CustomJson));
    for t in Tab::ALL {
        assert!(t.number().is_some(), "{t:?} has a key");
    }
    let help = {
        app.update(key('?'));
        draw(&mut app, 100, 30)
    };
    assert!(help.contains("1-9 0 -"), "{help}");
}

#[test]
fn q_with_unsubmitted_input_asks_first() {
    let mut app = with_forms(Lang::En);
    app.update(key('9'));
    app.update(code(KeyCode::Enter));
    typed(&mut app, "web");
    app.update(code(KeyCode::Esc));
    assert!(app.modules.forms[&Module::Custom].dirty);
    app.update(key('q'));
    assert!(!app.quit);
    assert_eq!(
        app.overlay,
        Overlay::Confirm(Confirm::Quit(vec![Module::Custom]))
    );
    let screen = draw(&mut app, 100, 30);
    assert!(
        screen.contains("Input not submitted in: Custom"),
        "{screen}"
    );
    app.update(key('n'));
    assert!(!app.quit);
    app.update(key('q'));
    app.update(key('y'));
    assert!(app.quit);
}

#[test]
fn after_a_submit_the_form_leaves_edit_mode() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "+10m");
    app.update(ctrl('s'));
    assert!(matches!(app.overlay, Overlay::Submit(_)));
    assert_eq!(app.modules.forms[&Module::Custom].focus, None);
    app.update(key('n'));
    // The next key is the console's, not typed into a field.
    app.update(key('1'));
    assert_eq!(app.tab, Tab::Tasks);
}

#[test]
fn an_exec_time_in_the_past_is_said_to_run_now() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "2020-01-01 00:00");
    app.update(ctrl('s'));
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!("{:?} {:?}", app.overlay, app.status);
    };
    assert!(p.past);
    assert!(draw(&mut app, 120, 40).contains("runs now"));
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "+1h");
    app.update(ctrl('s'));
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!("{:?}", app.overlay);
    };
    assert!(!p.past);
}

#[test]
fn a_multi_line_paste_into_a_one_line_field_is_refused_and_focus_stays() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "+10m");
    let before = app.modules.forms[&Module::Custom].focus;
    let cmds = paste(&mut app, "2020-01-01 00:00\necho pasted line 2\n");
    assert_eq!(checks(&cmds), 0);
    assert_eq!(text(&app, Module::Custom, "exec_time"), "+10m", "unchanged");
    assert_eq!(
        app.modules.forms[&Module::Custom].focus,
        before,
        "focus never moves"
    );
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, e)| *e && m.contains("several lines"))
    );
    // One line (a trailing newline allowed) is one edit at the cursor.
    paste(&mut app, "0\n");
    assert_eq!(text(&app, Module::Custom, "exec_time"), "+10m0");
    // Control characters are dropped and said so.
    app.update(code(KeyCode::Backspace));
    paste(&mut app, "\x1b[31m");
    assert_eq!(text(&app, Module::Custom, "exec_time"), "+10m[31m");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("control"))
    );
}

#[test]
fn a_paste_into_the_sql_editor_is_one_edit_and_one_check() {
    let mut app = with_forms(Lang::En);
    app.update(key('5'));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    let sql: String = (1..=2000)
        .map(|i| format!("UPDATE t SET a = {i} WHERE id = {i};\r\n"))
        .collect();
    let cmds = paste(&mut app, &sql);
    assert_eq!(checks(&cmds), 1, "one check for the whole paste");
    let got = text(&app, Module::SqlAudit, "sql");
    assert_eq!(got.lines().count(), 2000);
    assert!(!got.contains('\r'));
    assert_eq!(
        app.modules.forms[&Module::SqlAudit].focus,
        Some(1),
        "focus stays"
    );
    settle(&mut app, cmds);
    let note = app.modules.forms[&Module::SqlAudit]
        .field("sql")
        .and_then(|f| f.note.clone())
        .unwrap_or_default();
    assert!(note.starts_with("2000 ✓"), "{note}");
    // A megabyte is taken as one block; four more are refused, nothing changed.
    let big = "SELECT 1;\n".repeat(100_000);
    assert_eq!(checks(&paste(&mut app, &big)), 1);
    let n = text(&app, Module::SqlAudit, "sql").len();
    let cmds = paste(&mut app, &"x".repeat(5 << 20));
    assert_eq!(checks(&cmds), 0);
    assert_eq!(text(&app, Module::SqlAudit, "sql").len(), n);
    assert!(app.status.as_ref().is_some_and(|(_, e)| *e));
}

#[test]
fn a_stale_check_result_is_dropped() {
    let mut app = with_forms(Lang::En);
    app.update(key('5'));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    let first: Vec<Cmd> = "selec".chars().flat_map(|c| app.update(key(c))).collect();
    let second = app.update(key(' '));
    let job = |cmds: &[Cmd]| match cmds.iter().rev().find(|c| matches!(c, Cmd::Check(_))) {
        Some(Cmd::Check(j)) => (**j).clone(),
        _ => panic!("no check in {cmds:?}"),
    };
    let (old, new) = (job(&first), job(&second));
    assert!(old.generation < new.generation);
    app.update(Msg::Checked(Box::new(live::run(&old))));
    let sql = app.modules.forms[&Module::SqlAudit].field("sql").unwrap();
    assert!(sql.error.is_none(), "a stale result is not shown");
    app.update(Msg::Checked(Box::new(live::run(&new))));
    let sql = app.modules.forms[&Module::SqlAudit].field("sql").unwrap();
    assert!(sql.error.is_some());
    assert_eq!(new.text, "selec ");
}

#[test]
fn a_paste_with_no_field_focused_changes_nothing() {
    let mut app = with_forms(Lang::En);
    paste(&mut app, "rm -rf /\n");
    assert!(!app.quit && app.overlay == Overlay::None);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, e)| *e && m.contains("no text field"))
    );
    app.update(key('9'));
    paste(&mut app, "uptime");
    assert!(!app.modules.forms[&Module::Custom].dirty);
}

#[test]
fn a_declared_arg_name_cannot_be_edited_but_a_free_row_can() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "+10m");
    app.update(code(KeyCode::BackTab)); // back to args
    for _ in 0..10 {
        app.update(code(KeyCode::Left));
    }
    typed(&mut app, "X");
    let rows = app.modules.forms[&Module::Custom]
        .field("args")
        .unwrap()
        .rows();
    assert_eq!(rows[0].key, "COMMAND", "the declared name is kept");
    assert_eq!(rows[0].value, "Xuptime");
    app.update(ctrl('n'));
    typed(&mut app, "EXTRA");
    app.update(code(KeyCode::Right));
    typed(&mut app, "1");
    let rows = app.modules.forms[&Module::Custom]
        .field("args")
        .unwrap()
        .rows();
    assert_eq!(
        (rows[1].key.as_str(), rows[1].value.as_str()),
        ("EXTRA", "1")
    );
    let Value::Kv { .. } = app.modules.forms[&Module::Custom]
        .field("args")
        .unwrap()
        .value
    else {
        panic!()
    };

    // A later console restores the draft with both rows: the declared one fixed again, the free one
    // still free.
    let draft = app.modules.forms[&Module::Custom].draft();
    let mut next = App::new(Lang::En, false);
    next.modules.saved_drafts.insert(Module::Custom, draft);
    next.update(super::tests::me("alice", crate::model::Role::Operator));
    let cmds = next.update(Msg::Context(Box::new(crate::modules::testutil::ctx())));
    settle(&mut next, cmds);
    let rows = next.modules.forms[&Module::Custom]
        .field("args")
        .unwrap()
        .rows();
    let seen: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.key.as_str(), r.value.as_str(), r.fixed))
        .collect();
    assert_eq!(
        seen,
        vec![("COMMAND", "Xuptime", true), ("EXTRA", "1", false)]
    );
}

#[test]
fn reject_with_an_empty_reason_keeps_the_prompt_open() {
    let mut app = loaded(Lang::Zh);
    app.update(key('2'));
    app.update(key('x'));
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert!(
        matches!(app.overlay, Overlay::Prompt(..)),
        "the prompt stays"
    );
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, e)| *e && m.contains("原因"))
    );
    typed(&mut app, "冻结期");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Cmd::Reject(3, "冻结期".into())]
    );
}

#[test]
fn a_focused_select_lists_its_options_and_an_empty_one_says_what_to_add() {
    let mut app = with_forms(Lang::En);
    app.update(key('9'));
    app.update(code(KeyCode::Enter)); // tag
    let screen = draw(&mut app, 100, 40);
    let listed = |screen: &str, o: &str| {
        screen
            .lines()
            .any(|l| l.trim_matches(|c| c == '│' || c == ' ' || c == '●') == o)
    };
    assert!(listed(&screen, "web"), "the options are listed: {screen}");
    // Typing filters the list.
    typed(&mut app, "we");
    let screen = draw(&mut app, 100, 40);
    assert!(
        listed(&screen, "web") && screen.contains("[we]"),
        "{screen}"
    );
    let mut empty = App::new(Lang::En, false);
    empty.update(super::tests::me("alice", crate::model::Role::Operator));
    let mut ctx = crate::modules::testutil::ctx();
    for t in &mut ctx.inventory.tags {
        t.databases.clear();
    }
    let cmds = empty.update(Msg::Context(Box::new(ctx)));
    settle(&mut empty, cmds);
    empty.update(key('5'));
    empty.update(code(KeyCode::Enter));
    let screen = draw(&mut empty, 120, 40);
    assert!(screen.contains("role = \"write\""), "{screen}");
    assert!(screen.contains("[[tags.databases]]"), "{screen}");
}

#[test]
fn status_messages_are_in_the_console_language() {
    use super::app::Done;
    let at = super::tests::at(10);
    let all = [
        Done::Approved(vec![1, 2]),
        Done::ApprovedAt(1, at),
        Done::Rejected(1),
        Done::Cancelled(1),
        Done::Retried(1),
        Done::Released(1, 2),
        Done::Skipped(1, 3),
        Done::Exported(1, "/data/exports/opsdeck-task-1.log".into()),
    ];
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for d in &all {
        assert!(han(&d.text(Lang::Zh)), "{d:?}: {}", d.text(Lang::Zh));
        assert!(!han(&d.text(Lang::En)), "{d:?}");
    }
    let mut app = loaded(Lang::Zh);
    app.update(key(':'));
    typed(&mut app, "nonsense");
    app.update(code(KeyCode::Enter));
    assert!(
        app.status.as_ref().is_some_and(|(m, _)| han(m)),
        "{:?}",
        app.status
    );
}

#[test]
fn after_a_retry_the_open_log_follows_again_and_export_asks_where() {
    use super::app::{Done, PromptKind};
    let mut app = loaded(Lang::En);
    app.data_dir = Some("/srv/opsdeck".into());
    app.open_task(1);
    app.update(Msg::Logs {
        id: 1,
        lines: (1..=5)
            .map(|i| crate::model::LogLine {
                task_id: 1,
                seq: i,
                step_run_id: None,
                host: Some("web01".into()),
                ts: super::tests::at(10),
                stream: crate::model::Stream::Stdout,
                text: format!("line {i}"),
            })
            .collect(),
    });
    app.update(key('R'));
    assert_eq!(app.update(key('y')), vec![Cmd::Retry(1)]);
    let cmds = app.update(Msg::Done(Done::Retried(1)));
    assert!(cmds.contains(&Cmd::Follow { id: 1, from: 6 }), "{cmds:?}");
    // Export: a prompt with a default in the data dir; a relative answer goes there too.
    app.update(key('e'));
    assert_eq!(
        app.overlay,
        Overlay::prompt(
            PromptKind::ExportPath(1),
            LineInput::new("/srv/opsdeck/exports/opsdeck-task-1.log")
        )
    );
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    typed(&mut app, "mine.log");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Cmd::Export {
            id: 1,
            path: "/srv/opsdeck/mine.log".into()
        }]
    );
}

#[test]
fn a_draft_from_an_earlier_console_is_restored_with_a_notice_and_cleared_with_ctrl_r() {
    let mut first = with_forms(Lang::En);
    fill_custom(&mut first, "+2h");
    let draft = first.modules.forms[&Module::Custom].draft();
    let mut app = App::new(Lang::En, false);
    app.modules.saved_drafts.insert(Module::Custom, draft);
    app.update(super::tests::me("alice", crate::model::Role::Operator));
    let cmds = app.update(Msg::Context(Box::new(crate::modules::testutil::ctx())));
    settle(&mut app, cmds);
    assert_eq!(text(&app, Module::Custom, "exec_time"), "+2h");
    assert_eq!(text(&app, Module::Custom, "tag"), "web");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("draft restored"))
    );
    app.update(key('9'));
    app.update(ctrl('r'));
    assert_eq!(text(&app, Module::Custom, "exec_time"), "now");
    assert!(
        !app.modules.forms[&Module::Custom].dirty,
        "a cleared form keeps no draft"
    );
}

#[test]
fn the_mouse_clicks_tabs_and_rows_and_the_wheel_moves() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let ev = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut app = loaded(Lang::En);
    let screen = draw(&mut app, 100, 20);
    // The third row of the list (below the border and the header) is task 1.
    app.update(ev(MouseEventKind::Down(MouseButton::Left), 10, 5));
    assert_eq!(app.tasks.sel, 2, "{screen}");
    app.update(ev(MouseEventKind::ScrollUp, 10, 5));
    assert_eq!(app.tasks.sel, 0);
    let x = screen.lines().next().unwrap().find("2 Approvals").unwrap() as u16;
    app.update(ev(MouseEventKind::Down(MouseButton::Left), x + 1, 0));
    assert_eq!(app.tab, Tab::Approvals);
}

#[test]
fn escape_sequences_in_task_text_are_shown_not_sent() {
    let mut app = loaded(Lang::En);
    let mut t = super::tests::task(9, crate::model::TaskState::Failed, "alice", &[]);
    t.spec.name = "evil\x1b]0;pwned\x07\x1b[2J".into();
    app.update(Msg::Tasks(vec![t]));
    let screen = draw(&mut app, 140, 20);
    assert!(
        screen.contains("evil\\x1b]0;pwned\\x07\\x1b[2J"),
        "{screen}"
    );
    assert!(!screen.contains('\x1b'));
}
