//! Maintenance windows of a tag: `"Sat 01:00-05:00 Asia/Shanghai"`, `"Mon-Fri 22:00-02:00 UTC"`,
//! `"daily 03:00-04:00 Europe/Berlin"`. Days are a day name, a range (`Mon-Fri`), a list
//! (`Sat,Sun`) or `daily`; the times are local to the IANA zone; an end before the start runs
//! past midnight. A window opens on each listed day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

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
        let q = |part: &str| crate::text::quote_back(part, 40);
        let shown = crate::text::quote_back(s, 60);
        let bad = |what: &str| format!("`{shown}`: {what}; write {FORMAT}");
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
                    return Err(bad(&format!(
                        "`{}` is not a day or a range of days",
                        q(item)
                    )));
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
            return Err(bad(&format!("`{}` is not a time range", q(times))));
        };
        let (Some(start), Some(end)) = (time(a), time(b)) else {
            return Err(bad(&format!(
                "`{}` is not a time range HH:MM-HH:MM",
                q(times)
            )));
        };
        if start == end {
            return Err(bad("the window is empty (start equals end)"));
        }
        let zone = Tz::from_str(zone)
            .map_err(|_| bad(&format!("`{}` is not an IANA time zone", q(zone))))?;
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

/// What a task due outside its tag's maintenance windows does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutsideWindow {
    /// It waits for the next window.
    #[default]
    Wait,
    /// It fails, saying when the next window opens.
    Fail,
}

impl OutsideWindow {
    pub fn is_wait(&self) -> bool {
        *self == OutsideWindow::Wait
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

    #[test]
    fn hostile_windows_are_quoted_back_escaped_and_short() {
        let e = "Sat\x1b[2J 01:00-05:00 UTC".parse::<Window>().unwrap_err();
        assert!(!e.contains('\x1b'), "{e:?}");
        assert!(e.contains("\\x1b[2J"), "{e}");
        let huge = format!("Sat 01:00-05:00 {}", "Z".repeat(1_000_000));
        let e = huge.parse::<Window>().unwrap_err();
        assert!(e.len() < 400, "{} bytes", e.len());
        assert!(
            e.contains("not an IANA time zone") && e.contains("characters)"),
            "{e}"
        );
    }
}
