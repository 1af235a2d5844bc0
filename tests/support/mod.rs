//! Helpers for integration tests: real `sshd`, `mariadbd` and `postgres` instances in temporary directories.
//!
//! Use from a test file with `mod support;`. Every helper cleans up on `Drop`.

#![allow(dead_code)]

pub mod mariadb;
pub mod pg_engine;
pub mod postgres;
pub mod serve_node;
pub mod sql_tag;
pub mod sshd;
pub mod store_tasks;
pub mod tmux;

#[allow(unused_imports)]
pub use mariadb::Mariadb;
#[allow(unused_imports)]
pub use sshd::Sshd;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The environment variable that turns a missing system binary from a skip into a failure (set by CI).
pub const REQUIRE_ENV: &str = "OPSDECK_REQUIRE_SYSTEM_TESTS";

/// True when `binary` (a path or a name on `PATH`) can be run.
///
/// When it is missing: panics if `OPSDECK_REQUIRE_SYSTEM_TESTS` is set, else prints a skip notice
/// and returns false, so the calling test can `return` early.
pub fn require_system(binary: &str) -> bool {
    if binary_exists(binary) {
        return true;
    }
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!(
            "{binary} is required by this test ({REQUIRE_ENV} is set): install it (scripts/test.sh does)"
        );
    }
    eprintln!("SKIPPED: {binary} not found; set {REQUIRE_ENV}=1 to make this a failure");
    false
}

fn binary_exists(binary: &str) -> bool {
    if binary.contains('/') {
        return is_executable(Path::new(binary));
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(binary))))
        .unwrap_or(false)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The name of the user running the tests.
pub fn current_user() -> String {
    // SAFETY: geteuid has no preconditions; getpwuid returns NULL or a pointer to static storage
    // that we copy out of before any other call.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if !pw.is_null() {
            let name = std::ffi::CStr::from_ptr((*pw).pw_name);
            return name.to_string_lossy().into_owned();
        }
    }
    let out = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A TCP port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Waits until `addr` accepts TCP connections, or `child` exits, or `limit` passes.
pub fn wait_for_tcp(addr: SocketAddr, child: &mut Child, limit: Duration) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "process exited with {status} before {addr} accepted"
            ));
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{addr} did not accept connections within {limit:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops a child: SIGTERM to its process group (it was started as a group leader), then
/// SIGKILL after `grace`, and reaps it.
pub fn stop_child(child: &mut Child, grace: Duration) {
    let pid = child.id() as libc::pid_t;
    if let Ok(Some(_)) = child.try_wait() {
        // Leader gone; still clean up anything left in its group.
        // SAFETY: plain syscall on a process group we created.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        return;
    }
    // SAFETY: plain syscall on a process group we created.
    unsafe { libc::kill(-pid, libc::SIGTERM) };
    let start = Instant::now();
    while start.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            // SAFETY: as above; reaps stragglers such as per-connection children.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let _ = child.wait();
}
