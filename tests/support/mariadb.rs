//! A real MariaDB server for tests, in a temporary data directory, with a password-authenticated user.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::{current_user, free_port, stop_child, wait_for_tcp};

pub const MARIADBD: &str = "/usr/sbin/mariadbd";
pub const INSTALL_DB: &str = "mariadb-install-db";
pub const CLIENT: &str = "mariadb";

/// A running mariadbd on 127.0.0.1:`port` and a unix socket, with user `opsdeck`/`password`.
pub struct Mariadb {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub socket: PathBuf,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Mariadb {
    /// Initialises a data directory, starts mariadbd and creates the `opsdeck` user (all privileges).
    pub fn start() -> Mariadb {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-mariadb-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        let datadir = d.join("data");
        let is_root = unsafe { libc::geteuid() } == 0;
        let user = current_user();

        let mut install = Command::new(INSTALL_DB);
        install
            .arg("--no-defaults")
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .arg(format!("--datadir={}", datadir.display()))
            // A private tmpdir: the bootstrap's temporary tables in a shared /tmp were seen to
            // vanish under parallel installs ("Can't find file: '/tmp/#sql-temptable-….MAI'").
            .arg(format!("--tmpdir={}", d.display()));
        if is_root {
            install.arg(format!("--user={user}"));
        }
        let out = install
            .stdin(Stdio::null())
            .output()
            .expect("run mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        let socket = d.join("mysqld.sock");
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(MARIADBD);
            cmd.arg("--no-defaults")
                .arg(format!("--datadir={}", datadir.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--pid-file={}", d.join("mariadbd.pid").display()))
                .arg(format!("--log-error={}", d.join("error.log").display()))
                .arg(format!("--tmpdir={}", d.display()))
                .arg("--skip-name-resolve")
                .arg("--innodb-buffer-pool-size=16M")
                .arg("--skip-log-bin");
            if is_root {
                cmd.arg("--user=root");
            }
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("spawn mariadbd");
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            match wait_for_tcp(addr, &mut child, Duration::from_secs(60)) {
                Ok(()) => {
                    let db = Mariadb {
                        host: "127.0.0.1".into(),
                        port,
                        user: "opsdeck".into(),
                        password: "opsdeck-test-pw".into(),
                        socket,
                        dir,
                        child,
                    };
                    // On stdin, not `-e`: tests look for the password in every command line.
                    db.sql_stdin(
                        "CREATE USER 'opsdeck'@'127.0.0.1' IDENTIFIED BY 'opsdeck-test-pw';\
                         CREATE USER 'opsdeck'@'%' IDENTIFIED BY 'opsdeck-test-pw';\
                         GRANT ALL PRIVILEGES ON *.* TO 'opsdeck'@'127.0.0.1' WITH GRANT OPTION;\
                         GRANT ALL PRIVILEGES ON *.* TO 'opsdeck'@'%' WITH GRANT OPTION;\
                         FLUSH PRIVILEGES;",
                    )
                    .expect("create opsdeck user");
                    return db;
                }
                Err(e) => {
                    stop_child(&mut child, Duration::from_secs(5));
                    let log = fs::read_to_string(d.join("error.log")).unwrap_or_default();
                    last_err = format!("{e}; error.log:\n{log}");
                }
            }
        }
        panic!("could not start mariadbd: {last_err}");
    }

    /// Runs SQL as root over the unix socket with the `mariadb` client; returns tab-separated rows.
    pub fn sql(&self, sql: &str) -> anyhow::Result<String> {
        run_client(&self.socket, &["-uroot"], sql)
    }

    /// Runs SQL as root over the unix socket, the SQL on the client's stdin (kept out of `ps`).
    pub fn sql_stdin(&self, sql: &str) -> anyhow::Result<String> {
        use std::io::Write;
        let mut child = Command::new(CLIENT)
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-uroot", "--batch", "--skip-column-names"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("run mariadb client")?;
        child
            .stdin
            .take()
            .context("mariadb client stdin")?
            .write_all(sql.as_bytes())
            .context("write SQL to the mariadb client")?;
        finish(
            child
                .wait_with_output()
                .context("wait for the mariadb client")?,
        )
    }

    /// Runs SQL as the `opsdeck` user over TCP (exercises password authentication).
    pub fn sql_tcp(&self, sql: &str) -> anyhow::Result<String> {
        let out = Command::new(CLIENT)
            .arg("--no-defaults")
            .arg("--protocol=TCP")
            .arg(format!("--host={}", self.host))
            .arg(format!("--port={}", self.port))
            .arg(format!("--user={}", self.user))
            .env("MYSQL_PWD", &self.password)
            .args(["--batch", "--skip-column-names", "-e", sql])
            .stdin(Stdio::null())
            .output()
            .context("run mariadb client")?;
        finish(out)
    }

    /// mariadbd's error log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn run_client(socket: &Path, auth: &[&str], sql: &str) -> anyhow::Result<String> {
    let out = Command::new(CLIENT)
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(auth)
        .args(["--batch", "--skip-column-names", "-e", sql])
        .stdin(Stdio::null())
        .output()
        .context("run mariadb client")?;
    finish(out)
}

fn finish(out: std::process::Output) -> anyhow::Result<String> {
    if !out.status.success() {
        bail!(
            "mariadb client failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        stop_child(&mut self.child, Duration::from_secs(10));
    }
}
