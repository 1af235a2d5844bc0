//! The remote process group of a running SSH step, as recorded in the store (`PGID TAG`), and the
//! script another node runs on the host to end it: only when the group leader still carries the
//! step's tag in its environment, so a reused process id is never signalled.

use std::time::Duration;

use super::render::quote;

/// The environment variable every SSH step's shell exports, holding the run's random tag.
pub const TAG_VAR: &str = "OPSDECK_STEP";

/// A step's process group on its host and the tag in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteGroup {
    pub pgid: i32,
    pub tag: String,
}

impl RemoteGroup {
    /// The stored form, `PGID TAG`.
    pub fn field(&self) -> String {
        format!("{} {}", self.pgid, self.tag)
    }

    /// Reads the stored form back; `None` for anything else (a group id of 0 or 1, a tag that is
    /// not the wrapper's alphanumeric nonce).
    pub fn parse(field: &str) -> Option<RemoteGroup> {
        let (pgid, tag) = field.split_once(' ')?;
        let pgid: i32 = pgid.parse().ok().filter(|&p| p > 1)?;
        if tag.is_empty() || tag.len() > 64 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        Some(RemoteGroup {
            pgid,
            tag: tag.to_string(),
        })
    }

    /// A `/bin/sh` script that ends the group if, and only if, its leader is still the step
    /// (Linux `/proc`: the leader's environment holds `OPSDECK_STEP=TAG`): TERM, up to `grace` for
    /// it to go, then KILL. Prints `ended`, `gone` (nothing to end, or not the step any more),
    /// `refused` (the group is there but could not be read or signalled as this user) or `unverifiable` (no Linux
    /// `/proc` on the host, so nothing is signalled).
    pub fn end_script(&self, grace: Duration) -> String {
        let tenths = (grace.as_millis() / 100).max(1);
        let want = quote(&format!("{TAG_VAR}={}", self.tag));
        format!(
            "pg={pg}; [ -r /proc/self/environ ] || {{ echo unverifiable; exit 0; }}; \
             [ -e /proc/$pg ] || {{ echo gone; exit 0; }}; \
             [ -r /proc/$pg/environ ] || {{ echo refused; exit 0; }}; \
             tr '\\000' '\\n' < /proc/$pg/environ 2>/dev/null | grep -qxF {want} \
             || {{ echo gone; exit 0; }}; \
             kill -TERM -$pg 2>/dev/null || {{ echo refused; exit 0; }}; i=0; \
             while [ $i -lt {tenths} ]; do kill -0 -$pg 2>/dev/null || {{ echo ended; exit 0; }}; \
             sleep 0.1; i=$((i+1)); done; kill -KILL -$pg 2>/dev/null; echo ended",
            pg = self.pgid,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_junk_is_refused() {
        let g = RemoteGroup {
            pgid: 4242,
            tag: "abc123".into(),
        };
        assert_eq!(RemoteGroup::parse(&g.field()), Some(g));
        for bad in [
            "", "4242", "1 abc", "0 abc", "-5 abc", "x abc", "42 ", "42 a;b", "42 $(rm)",
        ] {
            assert_eq!(RemoteGroup::parse(bad), None, "{bad:?}");
        }
    }

    /// The script on this machine: a group carrying the tag is ended; one without it (a reused
    /// id) is left alone.
    #[test]
    fn the_end_script_ends_only_a_group_carrying_the_tag() {
        use std::os::unix::process::{CommandExt, ExitStatusExt};
        use std::process::{Command, Stdio};
        let spawn = |tag: &str| {
            let mut c = Command::new("/bin/sh");
            c.args(["-c", "sleep 30"])
                .env(TAG_VAR, tag)
                .stdin(Stdio::null())
                .process_group(0);
            c.spawn().unwrap()
        };
        let run = |g: &RemoteGroup| {
            let out = Command::new("/bin/sh")
                .args(["-c", &g.end_script(Duration::from_millis(500))])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let mut mine = spawn("tagmine1");
        let mut other = spawn("tagother2");
        let g = RemoteGroup {
            pgid: mine.id() as i32,
            tag: "tagmine1".into(),
        };
        assert_eq!(run(&g), "ended");
        assert!(mine.wait().unwrap().signal().is_some());
        // The same tag on another process's id: not the step, left running.
        let wrong = RemoteGroup {
            pgid: other.id() as i32,
            tag: "tagmine1".into(),
        };
        assert_eq!(run(&wrong), "gone");
        assert!(
            other.try_wait().unwrap().is_none(),
            "an untagged group was killed"
        );
        other.kill().unwrap();
        other.wait().unwrap();
    }
}
