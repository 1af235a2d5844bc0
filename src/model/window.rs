//! Maintenance windows of a tag: `"Sat 01:00-05:00 Asia/Shanghai"`, `"Mon-Fri 22:00-02:00 UTC"`,
//! `"daily 03:00-04:00 Europe/Berlin"`. Days are a day name, a range (`Mon-Fri`), a list
//! (`Sat,Sun`) or `daily`; the times are local to the IANA zone; an end before the start runs
//! past midnight. A window opens on each listed day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// What the day, time and zone parts accept (said in every parse error).
pub const FORMAT: &str = "\"DAYS HH:MM-HH:MM ZONE\", e.g. \"Sat 01:00-05:00 Asia/Shanghai\" \
                          (DAYS: Mon…Sun, a range Mon-Fri, a list Sat,Sun, or daily; ZONE: an IANA name such as UTC)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Days the window opens on (Mon = index 0).
    days: [bool; 7],
    start: NaiveTime,
    end: NaiveTime,
    zone: Tz,
    text: String,
}

fn weekday(s: &str) -> Option<Weekday> {
    let w = Weekday::from_str(s).ok()?;
    // Full or three-letter English names only (chrono also takes some others).
    (s.len() == 3 || s.len() >= 6).then_some(w)
}

fn time(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

impl FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> Result<Window, String> {
        let bad = |what: &str| format!("`{s}`: {what}; write {FORMAT}");
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [days, times, zone] = parts.as_slice() else {
            return Err(bad("expected three parts"));
        };
        let mut on = [false; 7];
        if days.eq_ignore_ascii_case("daily") || *days == "*" {
            on = [true; 7];
        } else {
            for item in days.split(',') {
                let (a, b) = item.split_once('-').unwrap_or((item, item));
                let (Some(a), Some(b)) = (weekday(a), weekday(b)) else {
                    return Err(bad(&format!("`{item}` is not a day or a range of days")));
                };
                let mut d = a;
                loop {
                    on[d.num_days_from_monday() as usize] = true;
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            }
        }
        let Some((a, b)) = times.split_once('-') else {
            return Err(bad(&format!("`{times}` is not a time range")));
        };
        let (Some(start), Some(end)) = (time(a), time(b)) else {
            return Err(bad(&format!("`{times}` is not a time range HH:MM-HH:MM")));
        };
        if start == end {
            return Err(bad("the window is empty (start equals end)"));
        }
        let zone =
            Tz::from_str(zone).map_err(|_| bad(&format!("`{zone}` is not an IANA time zone")))?;
        Ok(Window {
            days: on,
            start,
            end,
            zone,
            text: parts.join(" "),
        })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Window {
    /// The window opening on `day` (in its zone), as UTC; a start that does not exist that day
    /// (clocks going forward) opens at the first minute that does.
    fn opening(&self, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let local = |d: NaiveDate, t: NaiveTime| {
            let mut n = d.and_time(t);
            for _ in 0..180 {
                if let Some(x) = self.zone.from_local_datetime(&n).earliest() {
                    return x.with_timezone(&Utc);
                }
                n += Duration::minutes(1);
            }
            Utc.from_utc_datetime(&n)
        };
        let end_day = if self.end > self.start {
            day
        } else {
            day.succ_opt().unwrap_or(day)
        };
        (local(day, self.start), local(end_day, self.end))
    }

    /// The openings that may cover or follow `t`: from the day before `t` for eight days.
    fn openings(
        &self,
        t: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let today = t.with_timezone(&self.zone).date_naive();
        (-1..8)
            .filter_map(move |i| today.checked_add_signed(Duration::days(i)))
            .filter(|d| self.days[d.weekday().num_days_from_monday() as usize])
            .map(|d| self.opening(d))
    }

    /// Whether `t` falls inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.openings(t).any(|(a, b)| a <= t && t < b)
    }

    /// `t` when it is inside, else when the window next opens after `t`, with when it closes.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.openings(t)
            .filter(|(_, b)| *b > t)
            .map(|(a, b)| (a.max(t), b))
            .min()
    }
}

/// Whether `t` is inside one of `windows` (no windows: always).
pub fn open_at(windows: &[Window], t: DateTime<Utc>) -> bool {
    windows.is_empty() || windows.iter().any(|w| w.contains(t))
}

/// The first time at or after `t` inside one of `windows`, and when that window closes.
pub fn next_open(windows: &[Window], t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    windows.iter().filter_map(|w| w.next_open(t)).min()
}

/// A task's time that falls outside the maintenance windows of a tag it runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Outside {
    pub tag: String,
    /// The tag's windows, as written.
    pub windows: String,
    /// The first time every tag of the task is inside a window (`None`: not within 8 weeks).
    pub next: Option<DateTime<Utc>>,
    /// What the tag says a task due outside does.
    pub policy: super::inventory::OutsideWindow,
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
fn constrained<'a>(
    inv: &'a super::Inventory,
    hosts: &[String],
) -> Vec<(&'a super::inventory::Tag, Vec<Window>)> {
    inv.tags
        .iter()
        .filter(|t| !t.windows.is_empty() && t.hosts.iter().any(|h| hosts.contains(h)))
        .map(|t| (t, t.parsed_windows()))
        .collect()
}

/// Whether a task on `hosts` may start at `at`: `None` when every tag holding one of them (and
/// having windows) is inside a window, else the first tag that is not and when all next are.
pub fn check(inv: &super::Inventory, hosts: &[String], at: DateTime<Utc>) -> Option<Outside> {
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
    fn a_weekly_window_in_shanghai() {
        let w: Window = "Sat 01:00-05:00 Asia/Shanghai".parse().unwrap();
        // 2026-12-05 is a Saturday; 01:00 in Shanghai is Friday 17:00 UTC.
        assert!(w.contains(utc("2026-12-04T17:00:00Z")));
        assert!(w.contains(utc("2026-12-04T20:59:59Z")));
        assert!(!w.contains(utc("2026-12-04T21:00:00Z")));
        assert!(!w.contains(utc("2026-12-04T16:59:59Z")));
        let (open, close) = w.next_open(utc("2026-11-30T12:00:00Z")).unwrap();
        assert_eq!(open, utc("2026-12-04T17:00:00Z"));
        assert_eq!(close, utc("2026-12-04T21:00:00Z"));
        // Inside: now.
        let t = utc("2026-12-04T18:00:00Z");
        assert_eq!(w.next_open(t).unwrap().0, t);
    }

    #[test]
    fn ranges_lists_daily_and_past_midnight() {
        let w: Window = "Mon-Fri 22:00-02:00 UTC".parse().unwrap();
        assert!(w.contains(utc("2026-12-04T23:00:00Z")), "Friday night");
        assert!(w.contains(utc("2026-12-05T01:30:00Z")), "…into Saturday");
        assert!(
            !w.contains(utc("2026-12-05T23:00:00Z")),
            "not Saturday night"
        );
        let w: Window = "Sat,Sun 10:00-11:00 UTC".parse().unwrap();
        assert!(w.contains(utc("2026-12-06T10:30:00Z")));
        assert!(!w.contains(utc("2026-12-07T10:30:00Z")));
        let w: Window = "daily 03:00-04:00 Europe/Berlin".parse().unwrap();
        assert!(w.contains(utc("2026-12-07T02:30:00Z")), "03:30 CET");
        assert!(w.contains(utc("2026-07-07T01:30:00Z")), "03:30 CEST");
        let ws = [
            "Sat 01:00-05:00 UTC".parse().unwrap(),
            "Wed 01:00-02:00 UTC".parse().unwrap(),
        ];
        assert_eq!(
            next_open(&ws, utc("2026-11-30T00:00:00Z")).unwrap().0,
            utc("2026-12-02T01:00:00Z")
        );
        assert!(open_at(&[], utc("2026-11-30T00:00:00Z")));
    }

    #[test]
    fn a_start_inside_a_dst_gap_opens_when_the_clock_exists() {
        // Berlin skips 02:00-03:00 on 2027-03-28 (a Sunday).
        let w: Window = "Sun 02:30-04:00 Europe/Berlin".parse().unwrap();
        let (open, _) = w.next_open(utc("2027-03-27T12:00:00Z")).unwrap();
        assert_eq!(open, utc("2027-03-28T01:00:00Z"), "03:00 CEST");
    }

    #[test]
    fn a_task_starts_only_when_every_tag_of_its_hosts_is_open() {
        let inv: super::super::Inventory = toml::from_str(
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
        assert_eq!(o.policy, super::super::inventory::OutsideWindow::Fail);
        assert!(o.to_string().contains("Sat 01:00-05:00 UTC"), "{o}");
        // Both tags: only their overlap.
        let o = check(&inv, &hosts(&["db1", "web1"]), fri).unwrap();
        assert_eq!(o.next, Some(utc("2026-12-05T04:00:00Z")));
        assert!(check(&inv, &hosts(&["db1", "web1"]), utc("2026-12-05T04:30:00Z")).is_none());
    }

    #[test]
    fn bad_windows_say_what_is_accepted() {
        for (s, says) in [
            ("Sat 01:00-05:00", "three parts"),
            ("Sa 01:00-05:00 UTC", "`Sa` is not a day"),
            ("Sat 1-5 UTC", "not a time range"),
            ("Sat 25:00-05:00 UTC", "not a time range"),
            ("Sat 01:00-01:00 UTC", "empty"),
            ("Sat 01:00-05:00 Mars/Olympus", "not an IANA time zone"),
            ("Sat 01:00-05:00 Asia/Shanghai extra", "three parts"),
        ] {
            let e = s.parse::<Window>().unwrap_err();
            assert!(
                e.contains(says) && e.contains("DAYS HH:MM-HH:MM ZONE"),
                "{s}: {e}"
            );
        }
    }
}
