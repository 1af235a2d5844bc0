//! The SQL optimize tab's slow log browser driven through `update`: `o` asks for a file, the
//! digest read off the UI thread comes back as a message, Enter shows a class, Esc goes back.

use crossterm::event::KeyCode;

use super::app::{Cmd, Msg, Overlay, PromptKind};
use super::form_tests::{typed, with_forms};
use super::i18n::Lang;
use super::keys::Scope;
use super::tests::{code, draw, key};

fn slow_log(dir: &std::path::Path) -> std::path::PathBuf {
    let mut log = String::new();
    for (i, t) in [(1, "0.5"), (2, "1.5")] {
        log.push_str(&format!(
            "# Time: 2026-11-30T10:00:0{i}.000000Z\n# User@Host: app[app] @ localhost []\n\
             # Query_time: {t}  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 1000\n\
             SET timestamp=178600000{i};\nSELECT * FROM orders WHERE customer = {i};\n"
        ));
    }
    log.push_str("# Query_time: 9.0  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 5\nUPDATE carts SET x = 1;\n");
    // Cut off mid-entry: counted as skipped, nothing else lost.
    log.push_str("# Time: 2026-11-30T10:00:09.000000Z\n# User@Host: app[app] @ localhost []\n");
    let p = dir.join("slow.log");
    std::fs::write(&p, log).unwrap();
    p
}

#[test]
fn a_slow_log_is_browsed_class_by_class_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        let dir = tempfile::tempdir().unwrap();
        let file = slow_log(dir.path());
        let mut app = with_forms(lang);
        app.update(key('6'));
        assert_eq!(app.scope(), Scope::OptimizeForm);
        app.update(key('o'));
        assert!(matches!(
            app.overlay,
            Overlay::Prompt(PromptKind::SlowLogPath, _)
        ));
        typed(&mut app, &file.display().to_string());
        let cmds = app.update(code(KeyCode::Enter));
        let [Cmd::Digest { path, lang: l }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!((path.as_str(), *l), (file.to_str().unwrap(), lang));
        // What the runtime does off the UI thread.
        let report = super::slowlog::load(&file, lang).map(std::sync::Arc::new);
        app.update(Msg::Digested {
            path: path.clone(),
            report,
        });
        assert_eq!(app.scope(), Scope::Digest);
        let screen = draw(&mut app, 100, 20);
        assert!(screen.contains("update carts set x = ?"), "{screen}");
        assert!(
            screen.contains("select * from orders where customer = ?"),
            "{screen}"
        );
        let skipped = if lang == Lang::En {
            "skipped 1"
        } else {
            "跳过 1"
        };
        assert!(screen.contains(skipped), "{screen}");
        // The slowest class first; j to the next, Enter opens it.
        app.update(key('j'));
        app.update(code(KeyCode::Enter));
        assert_eq!(app.scope(), Scope::DigestClass);
        let screen = draw(&mut app, 100, 30);
        assert!(
            screen.contains("SELECT * FROM orders WHERE customer = 2"),
            "{screen}"
        );
        assert!(
            screen.contains("CLA.001") || screen.contains("COL.001"),
            "{screen}"
        );
        // Esc: the class, then the log; the form is still there, nothing quit.
        app.update(code(KeyCode::Esc));
        assert_eq!(app.scope(), Scope::Digest);
        app.update(code(KeyCode::Esc));
        assert_eq!(app.scope(), Scope::OptimizeForm);
        assert!(!app.quit);
        // A file that cannot be read: said on the status line, nothing opened.
        app.update(key('o'));
        typed(&mut app, "/nonexistent/slow.log");
        app.update(code(KeyCode::Enter));
        let report = super::slowlog::load(std::path::Path::new("/nonexistent/slow.log"), lang)
            .map(std::sync::Arc::new);
        app.update(Msg::Digested {
            path: "/nonexistent/slow.log".into(),
            report,
        });
        assert_eq!(app.scope(), Scope::OptimizeForm);
        assert!(
            app.status
                .as_ref()
                .is_some_and(|(m, e)| *e && m.contains("/nonexistent/slow.log"))
        );
    }
}

#[test]
fn a_relative_slow_log_path_is_read_from_where_the_console_started() {
    let mut app = with_forms(Lang::En);
    app.update(key('6'));
    app.update(key('o'));
    typed(&mut app, "logs/slow.log");
    let cmds = app.update(code(KeyCode::Enter));
    let [Cmd::Digest { path, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let want = std::env::current_dir().unwrap().join("logs/slow.log");
    assert_eq!(path.as_str(), want.to_str().unwrap());
}
