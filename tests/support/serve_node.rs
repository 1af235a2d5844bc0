//! `opsdeck serve` nodes sharing one PostgreSQL database, for the scale-out tests: the command with
//! a node's environment, and a node process that is killed when dropped.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `serve` node, killed when dropped.
pub struct Node {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, without `/api/v1`.
    pub api: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `opsdeck` with `dir`'s config file and data dir and the database `url`; nothing inherited
/// that would point it elsewhere.
pub fn opsdeck(dir: &Path, url: &str) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("OPSDECK_DATABASE_URL", url)
        .env_remove("OPSDECK_SERVER")
        .env_remove("OPSDECK_LEASE_SECS")
        .env("USER", "tester")
        .stdin(Stdio::null());
    c
}

/// Runs `c`, which must succeed; its stdout.
pub fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts `opsdeck serve` on an ephemeral port with `dir`'s config and data (`extra` arguments
/// after `--listen`); returns once it printed its address.
pub fn serve(dir: &Path, url: &str, extra: &[String]) -> Node {
    let mut child = opsdeck(dir, url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(i) = l.find("http://") {
            std::thread::spawn(move || lines.for_each(drop));
            let api = l[i..].split("/api/v1").next().unwrap().to_string();
            return Node { child, api };
        }
    }
    panic!(
        "serve in {} printed no address: {:?}",
        dir.display(),
        child.wait()
    );
}
