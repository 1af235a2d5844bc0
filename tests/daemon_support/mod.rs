//! A data dir for tests of the engine process: runs the real binary on it and stops every engine it
//! started (gracefully, then by pid) when dropped, so no process outlives a test.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct DataDir {
    pub tmp: tempfile::TempDir,
    pub bin: PathBuf,
    /// Every engine pid seen, killed on drop if still alive.
    seen: std::sync::Mutex<Vec<u32>>,
}

impl DataDir {
    pub fn new() -> DataDir {
        DataDir {
            tmp: tempfile::tempdir().unwrap(),
            bin: assert_cmd::cargo::cargo_bin("opsdeck"),
            seen: Default::default(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.tmp.path().join("config.toml")
    }

    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn socket(&self) -> PathBuf {
        self.data().join("engine.api.sock")
    }

    /// `OPSDECK_CONFIG=… OPSDECK_DATA_DIR=… USER=tester`, for a shell command line (tmux).
    pub fn env_line(&self) -> String {
        format!(
            "OPSDECK_CONFIG={} OPSDECK_DATA_DIR={} USER=tester",
            self.config().display(),
            self.data().display()
        )
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env("OPSDECK_CONFIG", self.config())
            .env("OPSDECK_DATA_DIR", self.data())
            .env("USER", "tester")
            .env_remove("OPSDECK_SERVER");
        c
    }

    pub fn output(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "opsdeck {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.note_engine();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// The running engine's status (`engine status --json`), or `None` when none runs.
    pub fn status(&self) -> Option<serde_json::Value> {
        let out = self.output(&["engine", "status", "--json"]);
        if !out.status.success() {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Some(pid) = v["pid"].as_u64() {
            self.seen.lock().unwrap().push(pid as u32);
        }
        Some(v)
    }

    pub fn engine_pid(&self) -> Option<u32> {
        self.status()
            .and_then(|v| v["pid"].as_u64())
            .map(|p| p as u32)
    }

    /// Remembers the engine holding the lock now, so drop can kill it.
    pub fn note_engine(&self) {
        if let Ok(s) = std::fs::read_to_string(self.data().join("engine.lock"))
            && let Ok(pid) = s.trim().parse::<u32>()
        {
            self.seen.lock().unwrap().push(pid);
        }
    }

    pub fn task(&self, id: i64) -> serde_json::Value {
        let out = self.run(&["task", "show", &id.to_string(), "--json"]);
        serde_json::from_str(&out).unwrap()
    }

    pub fn state(&self, id: i64) -> String {
        self.task(id)["task"]["state"].as_str().unwrap().to_string()
    }

    /// Waits until task `id` is in one of `states`.
    pub fn wait_state(&self, id: i64, states: &[&str], limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.state(id);
            if states.contains(&s.as_str()) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "task {id} is {s}, never {states:?} within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The stdout lines a task logged.
    pub fn stdout_lines(&self, id: i64) -> Vec<String> {
        self.run(&["task", "logs", &id.to_string(), "--json"])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["stream"] == "stdout")
            .map(|l| l["text"].as_str().unwrap().to_string())
            .collect()
    }

    /// Submits a shell command on the demo host; returns the task id.
    pub fn submit(&self, command: &str, at: &str) -> i64 {
        let out = self.run(&[
            "task",
            "submit",
            "--template",
            "9504",
            "--tag",
            "demo",
            "--at",
            at,
            "--arg",
            &format!("COMMAND={command}"),
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["id"].as_i64().unwrap()
    }
}

pub fn alive(pid: u32) -> bool {
    // A zombie still answers kill(0): look at its state too.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("");
    !stat.is_empty() && state != "Z"
}

impl Drop for DataDir {
    fn drop(&mut self) {
        self.note_engine();
        let _ = self.output(&["engine", "stop", "--force"]);
        let pids = self.seen.lock().unwrap().clone();
        for pid in pids {
            if alive(pid) {
                // SAFETY: a pid this test saw as an engine of its own data dir.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
    }
}

// The test file declares `mod support;` beside `mod daemon_support;`.
#[allow(unused_imports)]
pub use crate::support::tmux::Tmux;
