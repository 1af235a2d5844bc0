//! A real PostgreSQL server for tests: initdb and postgres on a loopback port in a temporary
//! directory, run as the `postgres` OS user when the tests run as root, stopped by its PID.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{free_port, stop_child, wait_for_tcp};

/// The superuser's password (host connections use scram-sha-256; the unix socket trusts).
pub const PASSWORD: &str = "opsdeck-pg-pw";

/// Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, not on PATH: the newest
/// there, else `initdb` found on PATH.
pub fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
}

/// True when a PostgreSQL server can be started; otherwise a skip, or a failure under
/// OPSDECK_REQUIRE_SYSTEM_TESTS.
pub fn available() -> bool {
    match bin_dir() {
        Some(_) => true,
        None => super::require_system("/usr/lib/postgresql/<version>/bin/initdb"),
    }
}

/// A running postgres on 127.0.0.1:`port` with superuser `postgres`/[`PASSWORD`].
pub struct Postgres {
    pub port: u16,
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    child: Child,
}

/// Starts the server on `dir/data`, listening on 127.0.0.1:`port` and a socket in `dir`.
fn launch(bin: &Path, dir: &Path, port: u16, run_as: Option<(u32, u32)>) -> Child {
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir)
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
        .args(["-c", "shared_buffers=16MB"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .process_group(0);
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid).env("HOME", dir);
    }
    cmd.spawn().expect("spawn postgres")
}

/// The uid and gid of the `postgres` OS user (PostgreSQL refuses to run as root).
fn postgres_ids() -> Option<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to static storage read before any other call.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir().expect("PostgreSQL binaries (call support::postgres::available first)");
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pg-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        let run_as = if unsafe { libc::geteuid() } == 0 {
            let ids =
                postgres_ids().expect("a `postgres` OS user (the postgresql package adds it)");
            // The server's user owns its temp dir (data, socket, log).
            std::os::unix::fs::chown(d, Some(ids.0), Some(ids.1)).expect("chown the temp dir");
            Some(ids)
        } else {
            None
        };
        let as_owner = |cmd: &mut Command| {
            if let Some((uid, gid)) = run_as {
                cmd.uid(uid).gid(gid).env("HOME", d);
            }
        };
        let data = d.join("data");
        let pwfile = d.join("pw");
        std::fs::write(&pwfile, PASSWORD).expect("write the password file");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).expect("chown pw");
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C"])
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(d)
            .stdin(Stdio::null());
        as_owner(&mut initdb);
        let out = initdb.output().expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut child = launch(&bin, d, port, run_as);
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            match wait_for_tcp(addr, &mut child, Duration::from_secs(60)) {
                Ok(()) => {
                    let pg = Postgres {
                        port,
                        dir,
                        bin,
                        run_as,
                        child,
                    };
                    pg.wait_ready();
                    return pg;
                }
                Err(e) => {
                    stop_child(&mut child, Duration::from_secs(5));
                    last_err = format!("{e}; server.log:\n{}", read_log(d));
                }
            }
        }
        panic!("could not start postgres: {last_err}");
    }

    /// Stops the server (fast shutdown, every session ends) and starts it again on the same port
    /// and data: what clients see when PostgreSQL restarts.
    pub fn restart(&mut self) {
        self.shutdown();
        self.child = launch(&self.bin, self.dir.path(), self.port, self.run_as);
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        wait_for_tcp(addr, &mut self.child, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("postgres did not come back: {e}\n{}", self.log()));
        self.wait_ready();
    }

    /// Stops the server (an outage: clients' connections fail) until [`Postgres::start_again`].
    pub fn stop(&mut self) {
        self.shutdown();
    }

    /// Starts a server stopped by [`Postgres::stop`] on the same port and data.
    pub fn start_again(&mut self) {
        self.child = launch(&self.bin, self.dir.path(), self.port, self.run_as);
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        wait_for_tcp(addr, &mut self.child, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("postgres did not come back: {e}\n{}", self.log()));
        self.wait_ready();
    }

    /// Fast shutdown by PID (SIGINT: abort sessions, stop cleanly); the group kill is the fallback.
    fn shutdown(&mut self) {
        if let Some(pid) = self.pid() {
            // SAFETY: a plain signal to the server this harness started.
            unsafe { libc::kill(pid, libc::SIGINT) };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        stop_child(&mut self.child, Duration::from_secs(5));
    }

    /// The port accepts before the server takes queries ("the database system is starting up").
    fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            match self.sql("postgres", "SELECT 1") {
                Ok(_) => return,
                Err(e) if start.elapsed() > Duration::from_secs(30) => {
                    panic!("postgres never became ready: {e}\n{}", self.log())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A URL for `user` (password [`PASSWORD`] unless given) to `db` over TCP.
    pub fn url_as(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database; its superuser URL.
    pub fn create_db(&self, name: &str) -> String {
        self.sql("postgres", &format!("CREATE DATABASE \"{name}\""))
            .expect("create database");
        self.url_as("postgres", PASSWORD, name)
    }

    /// Runs SQL as the superuser over the unix socket with `psql`; returns unaligned rows.
    pub fn sql(&self, db: &str, sql: &str) -> anyhow::Result<String> {
        let out = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(self.dir.path())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", "postgres", "-d", db, "-X", "-q", "-A", "-t"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .context("run psql")?;
        if !out.status.success() {
            bail!(
                "psql failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    pub fn log(&self) -> String {
        read_log(self.dir.path())
    }

    /// The postmaster's PID, from `postmaster.pid`.
    fn pid(&self) -> Option<libc::pid_t> {
        let text = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.shutdown();
    }
}
