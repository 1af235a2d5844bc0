//! A console in a tmux session of its own for the tests that drive the real binary in a terminal.

use std::process::Command;
use std::time::{Duration, Instant};

/// A console in a tmux session of its own, killed on drop.
pub struct Tmux {
    pub session: String,
}

impl Tmux {
    /// Runs `command` in a new detached session of `width`×`height`.
    pub fn start(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let session = format!("opsdeck-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .unwrap();
        assert!(status.success());
        Tmux { session }
    }

    pub fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    /// Types text as is (no key names).
    pub fn type_text(&self, text: &str) {
        assert!(
            Command::new("tmux")
                .args(["send-keys", "-t", &self.session, "-l", text])
                .status()
                .unwrap()
                .success()
        );
    }

    pub fn wait_for(&self, what: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "`{what}` never appeared; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}
