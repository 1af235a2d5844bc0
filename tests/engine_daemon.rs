//! The engine as a process of its own, through the real binary: started detached by the first
//! command that needs it, one per data dir (two racing starters → one engine), a stale socket
//! replaced, `engine status | stop | unit`, and a killed engine started again by the next command.

mod daemon_support;
mod support;

use std::time::{Duration, Instant};

use daemon_support::{DataDir, alive};

#[test]
fn a_task_at_plus_10s_runs_on_time_with_no_console_and_no_engine_running() {
    let d = DataDir::new();
    d.run(&["inventory", "list"]); // first run: config and demo inventory, no engine
    assert!(d.status().is_none(), "no engine runs before a task command");
    assert!(!d.socket().exists());
    let before = chrono::Utc::now();
    let id = d.submit("date +%s; echo ran-on-time", "+10s");
    // The submit started an engine that outlives it, detached into its own session.
    let st = d.status().expect("task submit started an engine");
    let pid = st["pid"].as_u64().unwrap() as u32;
    assert_eq!(st["version"], env!("CARGO_PKG_VERSION"));
    assert!(alive(pid));
    let sid = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = sid.rsplit(')').next().unwrap().split_whitespace().collect();
    assert_eq!(
        fields[3],
        pid.to_string(),
        "the engine leads its own session"
    );
    let mode = std::fs::metadata(d.socket()).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    assert_eq!(d.state(id), "scheduled");
    d.wait_state(id, &["succeeded"], Duration::from_secs(40));
    let t = d.task(id);
    let started: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(t["task"]["started_at"].clone()).unwrap();
    assert!(
        started >= before + chrono::Duration::seconds(9),
        "started at {started}, submitted at {before}"
    );
    assert!(d.stdout_lines(id).contains(&"ran-on-time".to_string()));
    assert!(
        std::fs::read_to_string(d.data().join("engine.log"))
            .unwrap()
            .contains("running on")
    );
    // Graceful stop: the lock is free and the socket gone.
    let out = d.run(&["engine", "stop"]);
    assert!(out.contains(&format!("pid {pid}")), "{out}");
    assert!(!alive(pid));
    assert!(!d.socket().exists());
    let out = d.output(&["engine", "status"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no engine runs"));
}

#[test]
fn two_racing_starters_start_exactly_one_engine() {
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    let racers: Vec<_> = (0..4)
        .map(|_| {
            d.cmd(&["engine", "start"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<String> = racers
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).to_string()
        })
        .collect();
    let pid = d.engine_pid().expect("an engine runs");
    for o in &outs {
        assert!(
            o.contains(&format!("pid {pid}")),
            "every starter names the one engine: {o}"
        );
    }
    assert_eq!(
        outs.iter()
            .filter(|o| o.starts_with("engine started"))
            .count(),
        1,
        "{outs:?}"
    );
    let again = d.run(&["engine", "start"]);
    assert!(
        again.contains(&format!("already running: pid {pid}")),
        "{again}"
    );
    // Exactly one engine process on this data dir.
    let ps = std::process::Command::new("pgrep")
        .args([
            "-f",
            &format!("{} engine start --foreground", d.data().display()),
        ])
        .output()
        .unwrap();
    let pids: Vec<&str> = std::str::from_utf8(&ps.stdout).unwrap().lines().collect();
    assert_eq!(pids, vec![pid.to_string()], "engine processes: {pids:?}");
}

#[test]
fn a_stale_socket_from_a_crash_is_detected_and_replaced() {
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    // A socket file nobody listens on, as a killed engine leaves it.
    drop(std::os::unix::net::UnixListener::bind(d.socket()).unwrap());
    assert!(d.socket().exists());
    let out = d.output(&["engine", "status"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no engine runs"));
    // The next command starts an engine, which replaces the file.
    let out = d.run(&["task", "list"]);
    assert!(out.contains("ID"), "{out}");
    assert!(d.engine_pid().is_some());
}

#[test]
fn a_killed_engine_is_started_again_by_the_next_command() {
    let d = DataDir::new();
    let id = d.submit("for i in $(seq 30); do echo $i; sleep 1; done", "now");
    d.wait_state(id, &["running"], Duration::from_secs(20));
    let pid = d.engine_pid().unwrap();
    // A graceful stop refuses while a task runs.
    let out = d.output(&["engine", "stop"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--wait"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let start = Instant::now();
    while alive(pid) {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    // The socket file is left behind; the next command finds no engine and starts one.
    assert!(d.socket().exists());
    assert_eq!(d.state(id), "interrupted");
    let again = d.engine_pid().expect("restarted");
    assert_ne!(again, pid);
    let id2 = d.submit("echo back", "now");
    d.wait_state(id2, &["succeeded"], Duration::from_secs(20));
}

#[test]
fn engine_unit_and_completions_print_what_a_server_needs() {
    let d = DataDir::new();
    let unit = d.run(&["engine", "unit"]);
    assert!(unit.contains("[Service]"), "{unit}");
    assert!(
        unit.contains(&format!(
            "--data-dir {} engine start --foreground",
            d.data().display()
        )),
        "{unit}"
    );
    assert!(unit.contains("WantedBy="), "{unit}");
    assert!(d.status().is_none(), "printing the unit starts nothing");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef"),
        ("fish", "complete -c opsdeck"),
    ] {
        let out = d.run(&["completions", shell]);
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("engine"), "{shell}");
    }
    let out = d.output(&["completions", "tcsh"]);
    assert!(!out.status.success());
}

#[test]
fn an_engine_of_another_version_is_reported_clearly() {
    let d = DataDir::new();
    d.run(&["inventory", "list"]);
    // An engine that says it is another release (as one left running across an upgrade would).
    let mut child = d
        .cmd(&["engine", "start", "--foreground"])
        .env("OPSDECK_REPORT_VERSION", "0.0.1-old")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while d.status().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "engine never came up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = d.output(&["task", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.1-old")
            && err.contains(env!("CARGO_PKG_VERSION"))
            && err.contains("opsdeck engine stop"),
        "{err}"
    );
    d.run(&["engine", "stop"]);
    child.wait().unwrap();
    // With it stopped, the next command starts an engine of this version.
    d.run(&["task", "list"]);
    assert_eq!(d.status().unwrap()["version"], env!("CARGO_PKG_VERSION"));
}
