//! Console tests of the module tabs, approval detail and template editing: snapshots in both
//! languages and scenarios driving `update` with keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Cmd, Confirm, InvSection, Msg, Overlay, Tab};
use super::forms::Module;
use super::forms::live::{self, CheckJob};
use super::i18n::Lang;
use super::tests::{code, draw, key, loaded, me, task};
use crate::model::*;
use crate::modules::testutil;

pub(super) fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(super) fn typed(app: &mut App, s: &str) -> Vec<Cmd> {
    let cmds = s.chars().flat_map(|c| app.update(key(c))).collect();
    settle(app, cmds)
}

/// Runs the live checks among `cmds` as the runtime would (the latest per form, the others are
/// stale) and feeds their results back; returns the other commands.
pub(super) fn settle(app: &mut App, cmds: Vec<Cmd>) -> Vec<Cmd> {
    let mut latest: std::collections::BTreeMap<Module, CheckJob> = Default::default();
    let mut rest = Vec::new();
    for c in cmds {
        match c {
            Cmd::Check(j) => {
                latest.insert(j.module, *j);
            }
            c => rest.push(c),
        }
    }
    for j in latest.values() {
        app.update(Msg::Checked(Box::new(live::run(j))));
    }
    rest
}

/// Local times move with the clock and the zone: snapshots show a placeholder.
fn redact(s: String) -> String {
    let re = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?").unwrap();
    re.replace_all(&s, "YYYY-MM-DD hh:mm:ss").to_string()
}

/// Alice (operator) with the modules' test context loaded.
pub(super) fn with_forms(lang: Lang) -> App {
    let mut app = App::new(lang, false);
    app.init();
    app.update(me("alice", Role::Operator));
    let cmds = app.update(Msg::Context(Box::new(testutil::ctx())));
    settle(&mut app, cmds);
    app
}

/// Fills the Custom tab: tag `web`, template 9504, COMMAND=uptime, the given exec time.
pub(super) fn fill_custom(app: &mut App, exec_time: &str) {
    app.update(key('9'));
    assert_eq!(app.tab, Tab::Module(Module::Custom));
    app.update(code(KeyCode::Enter)); // focus the first field: tag
    typed(app, "web");
    app.update(code(KeyCode::Tab)); // hosts: all of the tag's
    app.update(code(KeyCode::Tab)); // template
    typed(app, "9504");
    app.update(code(KeyCode::Tab)); // args: prefilled COMMAND row, value side
    typed(app, "uptime");
    app.update(code(KeyCode::Tab)); // exec time, "now"
    for _ in 0..3 {
        app.update(code(KeyCode::Backspace));
    }
    typed(app, exec_time);
}

fn form(app: &App, m: Module) -> &super::forms::FormState {
    app.modules
        .forms
        .get(&m)
        .expect("forms are built once the context loads")
}

#[test]
fn fill_a_custom_task_submit_it_and_find_it_in_tasks() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "+10m");
    let f = form(&app, Module::Custom);
    let args = f.field("args").unwrap().rows();
    assert_eq!(args[0].key, "COMMAND");
    assert!(args[0].required, "declared args are prefilled and marked");
    assert_eq!(args[0].value, "uptime");
    // Ctrl-S validates and previews; nothing is sent yet.
    assert!(app.update(ctrl('s')).is_empty());
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!(
            "expected the preview, got {:?} / {:?}",
            app.overlay, app.status
        );
    };
    assert_eq!(p.spec.hosts[&1], vec!["h1".to_string(), "h2".to_string()]);
    assert_eq!(p.spec.submitter, "alice");
    assert_eq!(p.plan.len(), 2, "one step on each host");
    assert!(
        p.plan.iter().all(|s| s.command.contains("uptime")),
        "{:?}",
        p.plan
    );
    // n declines; y submits through the backend.
    assert!(app.update(key('n')).is_empty());
    app.update(ctrl('s'));
    // "+10m" is resolved again at each submit.
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!("expected the preview again");
    };
    let cmds = app.update(key('y'));
    assert_eq!(cmds, vec![Cmd::Submit(Box::new(p.spec.clone()))]);
    // The backend answers: the task opens live and is in the Tasks list.
    let mut t = task(41, TaskState::Scheduled, "alice", &[]);
    t.spec = p.spec.clone();
    let cmds = app.update(Msg::Submitted(Box::new(t.clone())));
    assert!(cmds.contains(&Cmd::LoadTasks) && cmds.contains(&Cmd::Follow { id: 41, from: 1 }));
    assert_eq!(app.tab, Tab::Tasks);
    app.update(Msg::Tasks(vec![t]));
    app.update(code(KeyCode::Esc));
    assert!(app.tasks.detail.is_none());
    assert_eq!(
        app.visible_tasks().iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![41]
    );
}

#[test]
fn a_bad_exec_time_shows_its_error_and_submits_nothing() {
    let mut app = with_forms(Lang::En);
    fill_custom(&mut app, "someday");
    assert!(app.update(ctrl('s')).is_empty());
    assert_eq!(app.overlay, Overlay::None, "no preview for an invalid form");
    let f = form(&app, Module::Custom);
    let err = f
        .field("exec_time")
        .unwrap()
        .error
        .clone()
        .unwrap_or_default();
    assert!(err.contains("someday"), "{err}");
    assert!(
        f.field("tag").unwrap().error.is_none(),
        "good fields stay clean"
    );
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, e)| *e && m.contains("exec_time"))
    );
    // Errors follow edits: fixing the time clears it live.
    for _ in 0.."someday".len() {
        app.update(code(KeyCode::Backspace));
    }
    typed(&mut app, "+5m");
    assert!(
        form(&app, Module::Custom)
            .field("exec_time")
            .unwrap()
            .error
            .is_none()
    );
}

#[test]
fn tabs_switch_with_numbers_brackets_and_the_palette() {
    let mut app = with_forms(Lang::En);
    app.update(key('4'));
    assert_eq!(app.tab, Tab::Module(Module::AppPublish));
    app.update(key('0'));
    assert_eq!(app.tab, Tab::Module(Module::CustomProxy));
    app.update(key(']'));
    assert_eq!(app.tab, Tab::Module(Module::CustomJson));
    app.update(key(']'));
    assert_eq!(app.tab, Tab::Tasks);
    app.update(key(':'));
    typed(&mut app, "sql-audit");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.tab, Tab::Module(Module::SqlAudit));
    // While a field has focus, digits and brackets are text.
    app.update(code(KeyCode::Tab)); // tag
    app.update(code(KeyCode::Tab)); // sql editor
    typed(&mut app, "select 1]");
    assert_eq!(app.tab, Tab::Module(Module::SqlAudit));
    assert_eq!(
        form(&app, Module::SqlAudit).field("sql").unwrap().as_text(),
        "select 1]"
    );
    app.update(code(KeyCode::Esc));
    app.update(key('1'));
    assert_eq!(app.tab, Tab::Tasks);
}

#[test]
fn the_sql_editor_marks_the_error_as_you_type() {
    let mut app = with_forms(Lang::En);
    app.update(key('5'));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    typed(&mut app, "select 1;");
    app.update(code(KeyCode::Enter));
    typed(&mut app, "selec * from t;");
    let sql = form(&app, Module::SqlAudit).field("sql").unwrap();
    assert_eq!(sql.mark.map(|m| m.0), Some(1), "the error is on line 2");
    assert!(
        sql.error.as_deref().unwrap_or("").starts_with("2:"),
        "{:?}",
        sql.error
    );
    // SQL optimize shows local results live: fingerprints.
    app.update(code(KeyCode::Esc));
    app.update(key('6'));
    app.update(code(KeyCode::Enter)); // the SQL editor is first
    typed(&mut app, "SELECT a FROM t WHERE id = 42");
    app.update(code(KeyCode::Tab)); // operation
    typed(&mut app, "finger");
    let out = &form(&app, Module::SqlOptimize).output;
    assert!(out.iter().any(|l| l.contains("where id = ?")), "{out:?}");
}

#[test]
fn the_json_tab_validates_as_you_type() {
    let mut app = with_forms(Lang::En);
    app.update(key(']'));
    app.update(key('['));
    app.update(key('0'));
    app.update(key(']'));
    assert_eq!(app.tab, Tab::Module(Module::CustomJson));
    assert!(
        form(&app, Module::CustomJson)
            .field("json")
            .unwrap()
            .error
            .is_none()
    );
    app.update(code(KeyCode::Enter));
    typed(&mut app, "{{");
    let json = form(&app, Module::CustomJson).field("json").unwrap();
    assert!(
        json.error.is_some() && json.mark.is_some(),
        "{:?}",
        json.error
    );
}

#[test]
fn approve_with_a_new_exec_time_from_the_detail() {
    let mut app = loaded(Lang::En);
    app.update(Msg::Context(Box::new(testutil::ctx())));
    app.update(key('2'));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.approvals.open, Some(3));
    // A bad time is refused and changes nothing.
    app.update(key('t'));
    typed(&mut app, "whenever");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.status.as_ref().is_some_and(|(_, e)| *e));
    app.update(key('t'));
    typed(&mut app, "+1h");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    let Overlay::Confirm(Confirm::ApproveAt(3, at)) = app.overlay.clone() else {
        panic!("expected a confirmation, got {:?}", app.overlay);
    };
    assert!(at > chrono::Utc::now() + chrono::Duration::minutes(59));
    assert_eq!(app.update(key('y')), vec![Cmd::ApproveAt(3, at)]);
    // Once approved it leaves the queue and the detail closes.
    app.update(Msg::Approvals(vec![]));
    assert_eq!(app.approvals.open, None);
}

#[test]
fn a_bad_template_edit_shows_file_line_errors_and_imports_nothing() {
    let mut app = loaded(Lang::En);
    let tpl = testutil::templates()
        .into_iter()
        .find(|t| t.id == 9504)
        .unwrap();
    let source = include_str!("../../assets/templates/9504-run-command.toml").to_string();
    let stored = crate::store::StoredTemplate {
        version: 1,
        created_at: chrono::Utc::now(),
        created_by: "seed".into(),
        source: source.clone(),
        template: tpl,
    };
    let inv = app.inv.inventory.clone().unwrap();
    app.update(Msg::Inventory(Box::new(inv), vec![stored]));
    app.update(key('3'));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    assert_eq!(app.inv.section, InvSection::Templates);
    assert_eq!(
        app.update(key('e')),
        vec![Cmd::EditTemplate {
            id: 9504,
            source: source.clone()
        }]
    );
    let bad = source.replace("group = 1", "group = 0");
    assert!(
        app.update(Msg::Edited {
            id: 9504,
            source: Some(bad.clone())
        })
        .is_empty()
    );
    let Overlay::Message(title, lines) = app.overlay.clone() else {
        panic!("expected the errors, got {:?}", app.overlay);
    };
    assert!(title.contains("nothing was imported"), "{title}");
    assert!(
        lines.iter().any(|l| l.starts_with("template-9504.toml:")),
        "{lines:?}"
    );
    app.update(key('x'));
    // The next edit reopens the draft, not the stored source.
    assert_eq!(
        app.update(key('e')),
        vec![Cmd::EditTemplate {
            id: 9504,
            source: bad
        }]
    );
    let good = source.replace("Run a shell command", "Run a command");
    assert_eq!(
        app.update(Msg::Edited {
            id: 9504,
            source: Some(good.clone())
        }),
        vec![Cmd::ImportTemplate {
            id: 9504,
            source: good
        }]
    );
    assert!(
        app.update(Msg::Edited {
            id: 9504,
            source: None
        })
        .is_empty()
    );
}

#[test]
fn module_tabs_render_in_both_languages() {
    for (lang, name) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        let mut app = with_forms(lang);
        // Custom, filled, with a bad exec time after a submit attempt.
        fill_custom(&mut app, "someday");
        app.update(ctrl('s'));
        insta::assert_snapshot!(
            format!("custom_invalid_{name}"),
            redact(draw(&mut app, 100, 30))
        );
        for _ in 0.."someday".len() {
            app.update(code(KeyCode::Backspace));
        }
        typed(&mut app, "2026-11-24 10:00");
        app.update(ctrl('s'));
        insta::assert_snapshot!(
            format!("submit_preview_{name}"),
            redact(draw(&mut app, 100, 30))
        );
        app.update(key('n'));
        // Every other module tab as it opens.
        for m in Module::ALL {
            if m == Module::Custom {
                continue;
            }
            app.tab = Tab::Module(m);
            insta::assert_snapshot!(
                format!("tab_{}_{name}", m.word()),
                redact(draw(&mut app, 100, 30))
            );
        }
        // SQL audit with an error marked in the editor.
        app.update(key('5'));
        app.update(code(KeyCode::Tab));
        app.update(code(KeyCode::Tab));
        typed(&mut app, "update t set a = 1 wher id = 2;");
        insta::assert_snapshot!(
            format!("sql_audit_error_{name}"),
            redact(draw(&mut app, 100, 30))
        );
        app.update(code(KeyCode::Esc));
        app.update(key('?'));
        insta::assert_snapshot!(format!("form_help_{name}"), redact(draw(&mut app, 100, 30)));
    }
}

#[test]
fn the_approval_detail_renders_sql_findings_and_commands() {
    for (lang, name) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        let mut app = App::new(lang, false);
        app.update(me("bob", Role::Approver));
        app.update(Msg::Context(Box::new(testutil::ctx())));
        let mut t = task(7, TaskState::PendingApproval, "alice", &["bob"]);
        t.spec.template_id = 9001;
        t.spec.module = ModuleKind::SqlAudit;
        t.spec.hosts = [(1, vec!["p1".to_string()])].into();
        t.spec.args = [
            ("SQL", "UPDATE t SET a = 1 WHERE id = 2;\nDELET FROM t;"),
            ("DB_HOST", "10.0.9.9"),
            ("DB_USER", "app"),
            ("DB_PASSWORD", "s3cret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        t.spec.extra = serde_json::json!({"score": {"total": 85, "findings": ["no WHERE index"]}});
        app.update(Msg::Approvals(vec![t]));
        app.update(key('2'));
        app.update(code(KeyCode::Enter));
        let screen = redact(draw(&mut app, 100, 40));
        assert!(!screen.contains("s3cret"), "secrets stay masked");
        insta::assert_snapshot!(format!("approval_detail_{name}"), screen);
    }
}

#[test]
fn the_json_and_proxy_tabs_submit_through_their_modules() {
    let mut app = with_forms(Lang::En);
    // The JSON tab's sample (CODO's format) targets localhost with template 9505.
    app.tab = Tab::Module(Module::CustomJson);
    app.update(ctrl('s'));
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!(
            "expected the preview, got {:?} / {:?}",
            app.overlay, app.status
        );
    };
    assert_eq!(p.spec.template_id, 9505);
    assert!(p.plan.iter().all(|s| s.host == "localhost"), "{:?}", p.plan);
    app.update(code(KeyCode::Esc));
    // Custom via proxy: tags web and db, the proxy offered first, template 9504.
    app.update(key('0'));
    app.update(code(KeyCode::Enter));
    app.update(key(' ')); // web? the first tag offered
    app.update(code(KeyCode::Down));
    app.update(key(' '));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Enter)); // the first proxy offered: p1
    app.update(code(KeyCode::Tab));
    typed(&mut app, "9504");
    app.update(code(KeyCode::Tab));
    typed(&mut app, "echo $SERVER_IP");
    app.update(ctrl('s'));
    let Overlay::Submit(p) = app.overlay.clone() else {
        panic!(
            "expected the preview, got {:?} / {:?}",
            app.overlay, app.status
        );
    };
    assert_eq!(p.spec.hosts[&1], vec!["p1".to_string()]);
    assert!(
        p.spec.args["SERVER_IP"].contains("10.0.0.1"),
        "{:?}",
        p.spec.args
    );
}

#[test]
fn resource_errors_land_under_their_fields() {
    let mut app = with_forms(Lang::En);
    app.update(key('7'));
    app.update(code(KeyCode::Enter));
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab)); // quantity
    app.update(code(KeyCode::Backspace));
    typed(&mut app, "x");
    assert!(app.update(ctrl('s')).is_empty());
    let f = form(&app, Module::Resource);
    for name in ["resource_type", "quantity", "reason", "approvers"] {
        assert!(
            f.field(name).unwrap().error.is_some(),
            "{name} has no error"
        );
    }
}

/// In `--lang zh` every field error a module form shows after a refused submit is Chinese: an
/// English message with no line in `i18n_fields` fails here.
#[test]
fn field_errors_are_shown_in_chinese() {
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let mut app = with_forms(Lang::Zh);
    let mut shown = 0;
    for m in Module::ALL {
        app.tab = Tab::Module(m);
        app.update(ctrl('s'));
        let f = form(&app, m);
        let errors: Vec<&str> = f
            .fields
            .list
            .iter()
            .filter_map(|f| f.error.as_deref())
            .chain(f.general.iter().map(String::as_str))
            .collect();
        for e in &errors {
            // Values (names, ids) stay as typed; the words around them are Chinese.
            assert!(han(e), "{}: untranslated field error `{e}`", m.word());
        }
        shown += errors.len();
    }
    // Bad values, not only missing ones.
    let mut app = with_forms(Lang::Zh);
    fill_custom(&mut app, "someday");
    app.update(ctrl('s'));
    let f = form(&app, Module::Custom);
    let errors: Vec<&str> = f
        .fields
        .list
        .iter()
        .filter_map(|f| f.error.as_deref())
        .collect();
    assert!(!errors.is_empty(), "`someday` is refused");
    for e in errors {
        assert!(han(e), "custom: untranslated field error `{e}`");
    }
    assert!(shown >= 8, "only {shown} errors shown");
}

/// At 80×24 in `--lang zh`, the explanation under SQL audit's empty tag select wraps inside the
/// form instead of being cut at the right edge: every word of it is on screen.
#[test]
fn the_empty_tag_hint_wraps_at_80_columns() {
    use super::i18n::{Key, t};
    let mut app = App::new(Lang::Zh, false);
    app.init();
    app.update(me("alice", Role::Operator));
    let ctx = crate::modules::ModuleContext::new(
        Inventory::default(),
        testutil::templates(),
        crate::config::Config::default(),
        "alice",
    );
    let cmds = app.update(Msg::Context(Box::new(ctx)));
    settle(&mut app, cmds);
    app.update(key('5'));
    assert_eq!(app.tab, Tab::Module(Module::SqlAudit));
    app.update(code(KeyCode::Tab)); // the tag select, empty
    let screen = draw(&mut app, 80, 24);
    let flat: String = screen
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    for line in t(Lang::Zh, Key::EmptyTagSql).lines() {
        let want: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            flat.contains(&want),
            "{line:?} is not whole on screen:\n{screen}"
        );
    }
}

#[test]
fn an_arrow_down_enters_a_form_like_enter() {
    let mut app = with_forms(Lang::En);
    app.update(key('9'));
    app.update(code(KeyCode::Down));
    let form = &app.modules.forms[&Module::Custom];
    assert_eq!(form.focused().map(|f| f.name), Some("tag"));
}
