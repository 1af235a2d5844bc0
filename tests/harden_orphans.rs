//! No orphans (issue 12, item 7): `kill -9` of the engine during a step's
//! `sleep` leaves no `sleep` behind on a local or an sshd host, and a retry runs exactly one copy.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Sshd, require_system};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// Without `config` the first run seeds the demo inventory (host `localhost`).
    fn new(config: Option<&str>, inventory: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        if let Some(c) = config {
            std::fs::write(dir.path().join("config.toml"), c).unwrap();
        }
        let e = Env { dir };
        let tpl = e.file(
            "sleep.toml",
            "id = 7500\nname = \"sleep\"\n[[args]]\nname = \"SECS\"\nrequired = true\n\
             [[steps]]\ngroup = 1\nlevel = 1\nname = \"sleep\"\ncommand = \"sleep ${SECS}\"\n",
        );
        assert!(
            e.cmd()
                .args(["template", "import", &tpl])
                .status()
                .unwrap()
                .success()
        );
        if !inventory.is_empty() {
            let inv = e.file("inv.toml", inventory);
            let out = e
                .cmd()
                .args(["inventory", "import", &inv])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        e
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
        c.env("OPSDECK_CONFIG", self.dir.path().join("config.toml"))
            .env("OPSDECK_DATA_DIR", self.dir.path().join("data"))
            .env("USER", "tester")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

fn count(pattern: &str) -> usize {
    let out = Command::new("pgrep")
        .args(["-f", "-x", pattern])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn wait_for(pattern: &str, n: usize, limit: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if count(pattern) == n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

impl Env {
    /// The pid of the detached engine serving this data dir (it writes it into its lock file).
    fn engine_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("data").join("engine.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// `kill -9` of the engine, waiting until it is gone.
    fn kill9_engine(&self) {
        let pid = self.engine_pid().expect("an engine pid in engine.lock");
        // SAFETY: kill(2) with a pid read from the engine's lock file.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let t = Instant::now();
        // SAFETY: signal 0 only checks that the process exists.
        while unsafe { libc::kill(pid, 0) } == 0 && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(pid) = self.engine_pid() {
            // SAFETY: kill(2) with the pid of the engine this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

fn reap(c: &mut Child) {
    let _ = c.kill();
    let _ = c.wait();
}

/// Submits the sleep on `host` with `--wait`, kills the detached engine running it with SIGKILL
/// mid-step, and checks the sleep goes; then a retry runs one copy, killed the same way.
fn no_orphan_after_kill9(e: &Env, host: &str, tag: u32) {
    // Unique per test (tests of one binary run at once and share the process id).
    let secs = format!("600.{}{tag}", std::process::id());
    let pattern = format!("sleep {secs}");
    let mut run = e
        .cmd()
        .args([
            "task",
            "submit",
            "--template",
            "7500",
            "--host",
            host,
            "--arg",
        ])
        .arg(format!("SECS={secs}"))
        .arg("--wait")
        .spawn()
        .unwrap();
    assert!(
        wait_for(&pattern, 1, Duration::from_secs(30)),
        "the step never started"
    );
    e.kill9_engine();
    reap(&mut run);
    assert!(
        wait_for(&pattern, 0, Duration::from_secs(10)),
        "`{pattern}` outlived the engine by 10 s"
    );
    // After a restart the task is interrupted; a retry starts exactly one copy.
    let mut retry = e
        .cmd()
        .args(["task", "retry", "1", "--wait"])
        .spawn()
        .unwrap();
    assert!(
        wait_for(&pattern, 1, Duration::from_secs(30)),
        "the retry never started"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(count(&pattern), 1, "a retry runs one copy");
    e.kill9_engine();
    reap(&mut retry);
    assert!(
        wait_for(&pattern, 0, Duration::from_secs(10)),
        "the retry's copy outlived its engine"
    );
}

#[test]
fn a_killed_engine_leaves_no_local_step_running() {
    let e = Env::new(None, "");
    no_orphan_after_kill9(&e, "localhost", 1);
}

#[test]
fn a_killed_engine_leaves_no_remote_step_running() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(1);
    let h = &sshd.hosts[0];
    let config = format!(
        "known_hosts = \"{}\"\nconnect_timeout = \"5s\"\n",
        sshd.known_hosts.display()
    );
    let inventory = format!(
        "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n\
         [[hosts]]\nname = \"s1\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n",
        sshd.user,
        sshd.client_key.display(),
        h.address,
        h.port
    );
    let e = Env::new(Some(&config), &inventory);
    no_orphan_after_kill9(&e, "s1", 2);
}
