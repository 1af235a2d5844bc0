//! The engine process of a data directory, as its front ends see it: where its socket and log are,
//! starting it detached when none runs (as tmux starts its server), and stopping it.

use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::api::client::RemoteBackend;
use crate::backend::{BackendError, EngineStatus};

/// Whether an engine started from this process logs JSON lines (`--log-format json`).
pub static LOG_JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How long a front end waits for an engine it started (or that another front end is starting).
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The engine's log in a data directory (its stdout and stderr when detached).
pub fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("engine.log")
}

/// How to start the engine of one data directory: this program with the same config and data dir.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub exe: PathBuf,
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    /// Passed to the engine as OPSDECK_DATABASE_URL (never as an argument other users could read).
    pub database_url: Option<String>,
}

impl Launcher {
    /// The running program (`opsdeck`) as the engine to start.
    pub fn current(config_file: &Path, data_dir: &Path) -> Result<Launcher, BackendError> {
        let exe = std::env::current_exe().map_err(|e| {
            BackendError::Other(format!("cannot find this program to start the engine: {e}"))
        })?;
        // The engine outlives this process: relative paths must not depend on where it was started.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Ok(Launcher {
            exe,
            config_file: absolute(config_file),
            data_dir: absolute(data_dir),
            database_url: None,
        })
    }

    pub fn socket(&self) -> PathBuf {
        crate::api::unix::socket_path(&self.data_dir)
    }

    /// Starts `opsdeck engine start --foreground` in a session of its own, its output appended to
    /// `engine.log`; it outlives this process.
    pub fn spawn(&self) -> Result<Child, BackendError> {
        let log = log_path(&self.data_dir);
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|e| BackendError::Other(format!("cannot open {}: {e}", log.display())))
        };
        let (out, err) = (open()?, open()?);
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--log-format")
            .arg(if LOG_JSON.load(std::sync::atomic::Ordering::Relaxed) {
                "json"
            } else {
                "text"
            })
            .arg("--config")
            .arg(&self.config_file)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["engine", "start", "--foreground"])
            .env_remove("OPSDECK_SERVER")
            .env_remove("OPSDECK_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(u) = &self.database_url {
            cmd.env("OPSDECK_DATABASE_URL", u);
        }
        use std::os::unix::process::CommandExt as _;
        // SAFETY: setsid is async-signal-safe; it detaches the engine from the terminal's session,
        // so closing the console's terminal (SIGHUP) does not reach it.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        cmd.spawn().map_err(|e| {
            BackendError::Other(format!(
                "cannot start the engine ({}): {e}",
                self.exe.display()
            ))
        })
    }

    /// The engine's status, starting it when none runs; waits for one that is starting.
    /// Exactly one engine runs per data dir (its lock): a starter that loses a race exits and
    /// this waits for the winner. Returns whether this call started it.
    pub async fn ensure(&self) -> Result<(EngineStatus, bool), BackendError> {
        let socket = self.socket();
        let deadline = Instant::now() + START_TIMEOUT;
        let mut child: Option<Child> = None;
        loop {
            if let Ok(st) = probe(&socket).await {
                // Racing starters each spawn one; only the one whose child took the lock started it.
                let mine = child.as_ref().is_some_and(|c| c.id() == st.pid);
                if let Some(c) = child {
                    reap(c);
                }
                return Ok((st, mine));
            }
            let locked = crate::engine::engine_running(&self.data_dir);
            match child.as_mut() {
                None if !locked => child = Some(self.spawn()?),
                Some(c) => {
                    if let Ok(Some(status)) = c.try_wait()
                        && !locked
                    {
                        return Err(BackendError::Unavailable(format!(
                            "the engine for {} exited at start ({status}); {}",
                            self.data_dir.display(),
                            log_tail(&self.data_dir)
                        )));
                    }
                }
                None => {} // another front end is starting it: wait for its socket
            }
            if Instant::now() > deadline {
                if let Some(c) = child {
                    reap(c);
                }
                let holder = lock_pid(&self.data_dir)
                    .map(|p| format!(" (pid {p} holds its lock; an opsdeck from before the engine had a socket, or `opsdeck serve` of one, answers nothing there: stop it)"))
                    .unwrap_or_default();
                return Err(BackendError::Unavailable(format!(
                    "the engine for {} did not answer on {} within {}s{holder}; {}",
                    self.data_dir.display(),
                    socket.display(),
                    START_TIMEOUT.as_secs(),
                    log_tail(&self.data_dir)
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A client of this data dir's engine that starts (or restarts) it when it is not there.
    pub fn backend(&self, user: &str) -> Result<RemoteBackend, BackendError> {
        RemoteBackend::local(&self.socket(), user, Some(self.clone()))
    }
}

/// Collects the exit status of an engine child in the background, so a dead engine leaves no zombie.
fn reap(mut c: Child) {
    std::thread::spawn(move || {
        let _ = c.wait();
    });
}

/// Asks the engine on `socket` for its status, without starting one.
pub async fn probe(socket: &Path) -> Result<EngineStatus, BackendError> {
    RemoteBackend::local(socket, "", None)?.engine().await
}

/// The last lines of `engine.log`, for an error about an engine that did not start.
pub fn log_tail(data_dir: &Path) -> String {
    let path = log_path(data_dir);
    let Ok(mut f) = std::fs::File::open(&path) else {
        return format!("no log at {}", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(std::io::SeekFrom::Start(len.saturating_sub(2_000)));
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    let lines: Vec<&str> = s.lines().rev().take(5).collect();
    let lines: Vec<&str> = lines.into_iter().rev().collect();
    format!("{}:\n{}", path.display(), lines.join("\n"))
}

/// The pid holding the engine lock of `data_dir` (written by the engine when it took the lock).
pub fn lock_pid(data_dir: &Path) -> Option<u32> {
    std::fs::read_to_string(data_dir.join("engine.lock"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Stops the engine of `data_dir` with SIGTERM (it finishes writing its logs) and waits until its
/// lock is free. Returns the pid it stopped, or `None` when no engine ran.
pub async fn stop(data_dir: &Path, timeout: Duration) -> Result<Option<u32>, BackendError> {
    if !crate::engine::engine_running(data_dir) {
        return Ok(None);
    }
    let pid = lock_pid(data_dir).ok_or_else(|| {
        BackendError::Other(format!(
            "an engine holds {} but its pid is unreadable",
            data_dir.join("engine.lock").display()
        ))
    })?;
    // SAFETY: kill(2) with a pid read from the lock file of an engine that holds that lock.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(BackendError::Other(format!(
            "cannot signal the engine (pid {pid}): {e}"
        )));
    }
    let deadline = Instant::now() + timeout;
    while crate::engine::engine_running(data_dir) {
        if Instant::now() > deadline {
            return Err(BackendError::Other(format!(
                "the engine (pid {pid}) did not stop within {}s; see {}",
                timeout.as_secs(),
                log_path(data_dir).display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Some(pid))
}

/// The message for an engine of another opsdeck version, or `None` when they match.
pub fn version_mismatch(st: &EngineStatus) -> Option<String> {
    let mine = crate::backend::VERSION;
    st.other_version().then(|| {
        format!(
            "the engine (pid {}) is opsdeck {}, this opsdeck is {mine}; run `opsdeck engine stop` when no task runs (it restarts on the next command)",
            st.pid, st.version
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(version: &str) -> EngineStatus {
        EngineStatus {
            pid: 42,
            version: version.into(),
            data_dir: "/d".into(),
            socket: "/d/engine.api.sock".into(),
            started_at: chrono::Utc::now(),
            running: vec![],
        }
    }

    #[test]
    fn another_version_is_named_with_both_versions_and_what_to_do() {
        assert_eq!(version_mismatch(&status(crate::backend::VERSION)), None);
        let m = version_mismatch(&status("0.0.1-old")).unwrap();
        assert!(
            m.contains("0.0.1-old") && m.contains(crate::backend::VERSION),
            "{m}"
        );
        assert!(
            m.contains("opsdeck engine stop") && m.contains("pid 42"),
            "{m}"
        );
    }

    #[test]
    fn the_log_tail_shows_the_last_lines_or_says_there_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(log_tail(dir.path()).starts_with("no log at"));
        let text: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        std::fs::write(log_path(dir.path()), text).unwrap();
        let tail = log_tail(dir.path());
        assert!(
            tail.ends_with("line 46\nline 47\nline 48\nline 49\nline 50"),
            "{tail}"
        );
        assert!(!tail.contains("line 45\n"), "{tail}");
    }

    #[tokio::test]
    async fn stopping_with_no_engine_running_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            stop(dir.path(), Duration::from_secs(1)).await.unwrap(),
            None
        );
        assert!(
            probe(&crate::api::unix::socket_path(dir.path()))
                .await
                .is_err()
        );
    }
}
