//! Maintenance windows applied to a task: the tags holding its hosts that have windows, whether
//! the task may start at a time, and when all of them are next open.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use super::Inventory;
use super::inventory::Tag;
use super::window::{OutsideWindow, Window, next_open, open_at};

/// A task's time that falls outside the maintenance windows of a tag it runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Outside {
    pub tag: String,
    /// The tag's windows, as written.
    pub windows: String,
    /// The first time every tag of the task is inside a window (`None`: not within 8 weeks).
    pub next: Option<DateTime<Utc>>,
    /// What the tag says a task due outside does.
    pub policy: OutsideWindow,
}

impl fmt::Display for Outside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outside the maintenance windows of tag `{}` ({}); ",
            self.tag, self.windows
        )?;
        match self.next {
            Some(t) => write!(f, "the next window opens {}", super::fmt_local(t)),
            None => f.write_str("no window opens within 8 weeks"),
        }
    }
}

/// The tags with maintenance windows that hold one of `hosts`, with their parsed windows.
fn constrained<'a>(inv: &'a Inventory, hosts: &[String]) -> Vec<(&'a Tag, Vec<Window>)> {
    inv.tags
        .iter()
        .filter(|t| !t.windows.is_empty() && t.hosts.iter().any(|h| hosts.contains(h)))
        .map(|t| (t, t.parsed_windows()))
        .collect()
}

/// Whether a task on `hosts` may start at `at`: `None` when every tag holding one of them (and
/// having windows) is inside a window, else the first tag that is not and when all next are.
pub fn check(inv: &Inventory, hosts: &[String], at: DateTime<Utc>) -> Option<Outside> {
    let tags = constrained(inv, hosts);
    let (tag, _) = tags.iter().find(|(_, ws)| !open_at(ws, at))?;
    // The first time all tags are open: move to each closed tag's next opening until none moves it.
    let mut t = Some(at);
    for _ in 0..64 {
        let Some(now) = t else { break };
        let closed = tags.iter().find(|(_, ws)| !open_at(ws, now));
        match closed {
            None => break,
            Some((_, ws)) => t = next_open(ws, now).map(|(a, _)| a),
        }
        if t.is_some_and(|x| x > at + Duration::weeks(8)) {
            t = None;
        }
    }
    let next = t.filter(|x| tags.iter().all(|(_, ws)| open_at(ws, *x)));
    Some(Outside {
        tag: tag.name.clone(),
        windows: tag.windows.join(", "),
        next,
        policy: tag.outside_window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_task_starts_only_when_every_tag_of_its_hosts_is_open() {
        let inv: crate::model::Inventory = toml::from_str(
            r#"
            [[hosts]]
            name = "db1"
            address = "127.0.0.1"
            [[hosts]]
            name = "web1"
            address = "127.0.0.1"
            [[tags]]
            name = "db"
            hosts = ["db1"]
            windows = ["Sat 01:00-05:00 UTC"]
            outside_window = "fail"
            [[tags]]
            name = "web"
            hosts = ["web1"]
            windows = ["Sat 04:00-06:00 UTC"]
            "#,
        )
        .unwrap();
        let hosts = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fri = utc("2026-12-04T12:00:00Z");
        assert!(
            check(&inv, &hosts(&["nowhere"]), fri).is_none(),
            "no windows"
        );
        let o = check(&inv, &hosts(&["db1"]), fri).unwrap();
        assert_eq!(o.tag, "db");
        assert_eq!(o.next, Some(utc("2026-12-05T01:00:00Z")));
        assert_eq!(o.policy, OutsideWindow::Fail);
        assert!(o.to_string().contains("Sat 01:00-05:00 UTC"), "{o}");
        // Both tags: only their overlap.
        let o = check(&inv, &hosts(&["db1", "web1"]), fri).unwrap();
        assert_eq!(o.next, Some(utc("2026-12-05T04:00:00Z")));
        assert!(check(&inv, &hosts(&["db1", "web1"]), utc("2026-12-05T04:30:00Z")).is_none());
    }
}
