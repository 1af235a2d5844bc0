//! The console as a client of the engine process, in a real terminal (tmux): quitting never stops a
//! task, a killed engine is reported and started again, and two consoles follow one live log.

mod daemon_support;
mod support;

use std::time::Duration;

use daemon_support::{DataDir, Tmux, alive};

const T: Duration = Duration::from_secs(30);

fn console(d: &DataDir, name: &str) -> Tmux {
    // The pane outlives the console so what it prints on quitting can be read.
    let cmd = format!(
        "{} {}; echo CONSOLE-EXITED; sleep 120",
        d.env_line(),
        d.bin.display()
    );
    let t = Tmux::start(name, &cmd, 160, 40);
    t.wait_for("engine pid", T);
    d.note_engine();
    t
}

#[test]
fn quitting_the_console_leaves_a_20s_task_running_to_its_last_line() {
    if !support::require_system("tmux") {
        return;
    }
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    let t = console(&d, "quit");
    let id = d.submit("for i in $(seq 20); do echo $i; sleep 1; done", "now");
    // The status line says what keeps running after quitting.
    t.wait_for("keeps running 1 task", T);
    t.wait_for("running", T);
    t.keys(&["q"]);
    let screen = t.wait_for("CONSOLE-EXITED", T);
    assert!(screen.contains("keeps running 1 task"), "{screen}");
    assert!(screen.contains(&format!("#{id}")), "{screen}");
    assert_eq!(d.state(id), "running");
    d.wait_state(id, &["succeeded"], Duration::from_secs(60));
    let lines = d.stdout_lines(id);
    let want: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    assert_eq!(lines, want);
}

#[test]
fn a_killed_engine_is_reported_and_work_resumes_when_it_is_back() {
    if !support::require_system("tmux") {
        return;
    }
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    let t = console(&d, "kill");
    let id = d.submit("for i in $(seq 60); do echo $i; sleep 1; done", "now");
    d.wait_state(id, &["running"], T);
    let pid = d.engine_pid().unwrap();
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    while alive(pid) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // The console says the engine went away and that it came back (its next refresh restarts it).
    let screen = t.wait_for(&format!("pid {pid} was gone"), T);
    assert!(screen.contains("engine restarted"), "{screen}");
    t.wait_for("interrupted", T);
    let back = d.engine_pid().unwrap();
    assert_ne!(back, pid);
    // Work goes on: a new task runs and the console shows it finish.
    let id2 = d.submit("echo resumed", "now");
    d.wait_state(id2, &["succeeded"], T);
    t.wait_for("succeeded", T);
    assert_eq!(d.stdout_lines(id2), vec!["resumed".to_string()]);
    assert_eq!(d.state(id), "interrupted");
}

#[test]
fn two_consoles_on_one_data_dir_follow_the_same_live_log() {
    if !support::require_system("tmux") {
        return;
    }
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    let a = console(&d, "follow-a");
    let b = console(&d, "follow-b");
    assert_eq!(
        d.engine_pid(),
        d.engine_pid(),
        "both consoles use one engine"
    );
    let id = d.submit(
        "for i in $(seq 10); do echo live-line-$i; sleep 1; done",
        "+3s",
    );
    for t in [&a, &b] {
        t.wait_for("Run a shell command", T);
        t.keys(&["Enter"]);
    }
    for t in [&a, &b] {
        t.wait_for("live-line-2", T);
    }
    // Both keep following while the task runs, to its last line.
    for t in [&a, &b] {
        t.wait_for("live-line-10", T);
    }
    d.wait_state(id, &["succeeded"], T);
}

#[test]
fn the_console_offers_to_restart_an_engine_of_another_version_when_nothing_runs() {
    if !support::require_system("tmux") {
        return;
    }
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    // An engine that says it is another release, as one left running across an upgrade would.
    let mut old = d
        .cmd(&["engine", "start", "--foreground"])
        .env("OPSDECK_REPORT_VERSION", "0.0.1-old")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while d.status().is_none() {
        assert!(start.elapsed() < T, "the old engine never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let old_pid = d.engine_pid().unwrap();
    let cmd = format!(
        "{} {}; echo CONSOLE-EXITED; sleep 120",
        d.env_line(),
        d.bin.display()
    );
    let t = Tmux::start("version", &cmd, 160, 40);
    let screen = t.wait_for("Restart the engine now", T);
    assert!(screen.contains("0.0.1-old"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("engine pid", T);
    old.wait().unwrap();
    let st = d.status().unwrap();
    assert_ne!(st["pid"].as_u64().unwrap() as u32, old_pid);
    assert_eq!(st["version"], env!("CARGO_PKG_VERSION"));
    t.keys(&["q"]);
    t.wait_for("CONSOLE-EXITED", T);
}
