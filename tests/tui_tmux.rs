//! The real binary in a real terminal (tmux): the console opens on the demo inventory, runs a task on
//! the embedded engine, and shows its log lines live; a custom task is filled in and submitted from
//! the console itself.

mod support;

use support::tmux::Tmux;

use std::process::Command;
use std::time::{Duration, Instant};

/// Esc, then a pause: a key right after it would read as Alt+key.
fn esc(t: &Tmux) {
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn the_console_shows_a_task_running_live_on_the_demo_host() {
    if !support::require_system("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let env = format!(
        "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} USER=tester",
        dir.path().join("config.toml").display(),
        dir.path().join("data").display()
    );
    // A task due in a few seconds on the demo's local host; the console's engine runs it.
    let submit = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{env} {} task submit --template 9504 --tag demo --at +2s --arg 'COMMAND=for i in 1 2 3 4 5; do echo tick-$i; sleep 0.5; done'",
            bin.display()
        ))
        .output()
        .unwrap();
    assert!(
        submit.status.success(),
        "{}",
        String::from_utf8_lossy(&submit.stderr)
    );
    let t = Tmux::start("e2e", &format!("{env} {}", bin.display()), 120, 32);
    t.wait_for("Run a shell command", Duration::from_secs(20));
    t.keys(&["Enter"]);
    // Live lines appear while the task runs, then it succeeds.
    t.wait_for("tick-1", Duration::from_secs(30));
    let screen = t.wait_for("tick-5", Duration::from_secs(30));
    assert!(screen.contains("follow"), "{screen}");
    t.wait_for("succeeded", Duration::from_secs(30));
    // Help overlay, the Inventory tab with the demo host, then quit.
    // Keys go one at a time: an Escape followed at once by a key reads as Alt+key.
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["3"]);
    t.wait_for("localhost", Duration::from_secs(10));
    t.keys(&["?"]);
    t.wait_for("help", Duration::from_secs(10));
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    let start = Instant::now();
    loop {
        let alive = Command::new("tmux")
            .args(["has-session", "-t", &t.session])
            .status()
            .unwrap()
            .success();
        if !alive || !t.capture().contains("opsdeck") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the console did not quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_custom_task_submitted_from_the_console_runs_live() {
    if !support::require_system("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let env = format!(
        "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} USER=tester",
        dir.path().join("config.toml").display(),
        dir.path().join("data").display()
    );
    // An "editor" that renames the first template it is given.
    let editor = dir.path().join("edit.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i '0,/^name = \"/s//name = \"EDITED /' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let env = format!("{env} EDITOR={}", editor.display());
    let t = Tmux::start("e2e-form", &format!("{env} {}", bin.display()), 120, 40);
    t.wait_for("Tasks", Duration::from_secs(20));
    // The Custom tab: tag, (all hosts), template 9504, its COMMAND arg, exec time "now".
    t.keys(&["9"]);
    t.wait_for("Template", Duration::from_secs(10));
    t.keys(&["Enter"]);
    t.type_text("demo");
    t.keys(&["Tab"]);
    t.keys(&["Tab"]);
    t.type_text("9504");
    t.wait_for("COMMAND", Duration::from_secs(10));
    t.keys(&["Tab"]);
    t.type_text("for i in 1 2 3; do echo tock-$i; sleep 0.3; done");
    // Ctrl-S previews the exact command per host; y submits and opens the task's live log.
    t.keys(&["C-s"]);
    let preview = t.wait_for("what will run", Duration::from_secs(10));
    assert!(preview.contains("localhost"), "{preview}");
    assert!(preview.contains("echo tock-$i"), "{preview}");
    t.keys(&["y"]);
    t.wait_for("tock-1", Duration::from_secs(30));
    t.wait_for("tock-3", Duration::from_secs(30));
    t.wait_for("succeeded", Duration::from_secs(30));
    // Back in the Tasks list, the task is there.
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.wait_for("Run a shell command", Duration::from_secs(10));
    // Inventory → Templates → e: the console suspends for $EDITOR, then re-imports the template.
    t.keys(&["3"]);
    t.keys(&["Tab"]);
    t.keys(&["Tab"]);
    t.wait_for("9001", Duration::from_secs(10));
    t.keys(&["e"]);
    let screen = t.wait_for("EDITED", Duration::from_secs(20));
    assert!(screen.contains("imported"), "{screen}");
    t.keys(&["q"]);
}

#[test]
fn a_paste_is_one_edit_and_esc_never_quits() {
    if !support::require_system("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("opsdeck");
    let env = format!(
        "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} USER=tester",
        dir.path().join("config.toml").display(),
        dir.path().join("data").display()
    );
    let t = Tmux::start(
        "e2e-paste",
        &format!("{env} {}; echo console-exited-$?; sleep 30", bin.display()),
        120,
        40,
    );
    t.wait_for("Getting started", Duration::from_secs(20));
    // Esc at the top level only says how to quit.
    esc(&t);
    t.wait_for("q quits", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));
    assert!(t.capture().contains("opsdeck"), "still running");
    let paste = |text: &str| {
        let buffer = format!("{}-buf", t.session);
        assert!(
            Command::new("tmux")
                .args(["set-buffer", "-b", &buffer, text])
                .status()
                .unwrap()
                .success()
        );
        // -p: bracketed, as a terminal pastes into an application that asked for it.
        assert!(
            Command::new("tmux")
                .args(["paste-buffer", "-p", "-d", "-b", &buffer, "-t", &t.session])
                .status()
                .unwrap()
                .success()
        );
    };
    // A multi-line paste into the one-line exec time field: refused, nothing moves.
    t.keys(&["9"]);
    t.wait_for("Template", Duration::from_secs(10));
    t.keys(&["Enter"]);
    for _ in 0..4 {
        t.keys(&["Tab"]);
    }
    paste("2020-01-01 00:00\necho pasted line 2\n");
    let screen = t.wait_for("several lines", Duration::from_secs(5));
    assert!(!screen.contains("echo pasted"), "{screen}");
    assert!(!screen.contains("2020-01-01"), "{screen}");
    // 300 lines of SQL into the SQL audit editor: one block, checked once it settles.
    esc(&t);
    t.keys(&["5"]);
    t.wait_for("SQL audit", Duration::from_secs(10));
    t.keys(&["Enter"]);
    t.keys(&["Tab"]);
    let sql: String = (1..=300)
        .map(|i| format!("UPDATE t SET a = {i} WHERE id = {i};\n"))
        .collect();
    paste(&sql);
    t.wait_for("300 ✓", Duration::from_secs(10));
    // Back out: Esc leaves the field, Esc again only hints, q asks (unsubmitted input), y quits.
    esc(&t);
    esc(&t);
    t.wait_for("q quits", Duration::from_secs(5));
    t.keys(&["q"]);
    t.wait_for("Input not submitted", Duration::from_secs(5));
    t.keys(&["y"]);
    t.wait_for("console-exited-0", Duration::from_secs(10));
    // What was typed is kept as a draft for the next console.
    let draft = dir.path().join("data/drafts/sql-audit.json");
    let text = std::fs::read_to_string(&draft).unwrap_or_default();
    assert!(
        text.contains("WHERE id = 300;"),
        "{}: {text}",
        draft.display()
    );
}
