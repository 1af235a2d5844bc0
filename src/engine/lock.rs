//! One engine per data directory: an exclusive lock file, and a socket other processes poke after changing the store.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::EngineError;

pub struct EngineLock {
    _file: File,
    socket: PathBuf,
}

impl EngineLock {
    pub fn acquire(data_dir: &Path) -> Result<EngineLock, EngineError> {
        let path = data_dir.join("engine.lock");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::Other(format!("cannot open {}: {e}", path.display())))?;
        // SAFETY: flock on a file descriptor we own; released when the file is closed.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(EngineError::Conflict(format!(
                "another opsdeck engine is running on {} (pid {}); stop it or use another --data-dir",
                data_dir.display(),
                holder.trim()
            )));
        }
        use std::io::{Seek, Write};
        let _ = file.set_len(0);
        let _ = file.seek(std::io::SeekFrom::Start(0));
        let _ = write!(file, "{}", std::process::id());
        Ok(EngineLock {
            _file: file,
            socket: super::socket_path(data_dir),
        })
    }

    pub fn socket_path(&self) -> PathBuf {
        self.socket.clone()
    }
}

/// Wakes the engine running on `data_dir`, if any, so it notices a change made by this process.
pub fn poke(data_dir: &Path) {
    let sock = super::socket_path(data_dir);
    if let Ok(s) = std::os::unix::net::UnixDatagram::unbound() {
        let _ = s.send_to(b"w", &sock);
    }
}

/// True when some process holds the engine lock of `data_dir`.
pub fn engine_running(data_dir: &Path) -> bool {
    let path = data_dir.join("engine.lock");
    let Ok(file) = File::open(&path) else {
        return false;
    };
    // SAFETY: as above; a shared non-blocking probe released when `file` closes.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    rc != 0
}
