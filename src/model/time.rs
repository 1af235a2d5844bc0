//! Exec-time parsing shared by the CLI, the TUI, the API and CODO JSON: local wall times, RFC 3339, `now`, `+10m`.

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, TimeZone, Utc};

/// The forms `parse_exec_time` accepts, quoted in every error so the user can fix the input.
pub const ACCEPTED_FORMS: &str = "accepted: `YYYY-MM-DD HH:MM[:SS]` (local time), RFC 3339 \
(`2026-11-24T10:00:00+08:00`), `now`, or relative `+30s`, `+10m`, `+2h`, `+1d`";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read `{input}` as a time: {reason}; {ACCEPTED_FORMS}")]
pub struct TimeError {
    pub input: String,
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> TimeError {
    TimeError {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Parses an exec time relative to `now`, interpreting wall-clock forms in the zone `tz`.
pub fn parse_exec_time_in<Tz: TimeZone>(
    input: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, TimeError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(err(input, "it is empty"));
    }
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(rel) = s.strip_prefix('+') {
        return parse_relative(input, rel).map(|d| now + d);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                // A repeated hour (clocks going back): take the first occurrence.
                LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
                LocalResult::None => Err(err(
                    input,
                    "that local time does not exist (skipped by a daylight-saving change)",
                )),
            };
        }
    }
    let looks_like_date = s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    if looks_like_date {
        Err(err(
            input,
            "no such date or time (check month 1-12, day, hour 0-23, minute 0-59)",
        ))
    } else {
        Err(err(input, "unknown form"))
    }
}

/// When `input` is a wall time that happens twice in `tz` (clocks going back), says which of the
/// two [`parse_exec_time_in`] took and how to write the other; else None.
pub fn ambiguity_note_in<Tz: TimeZone>(input: &str, tz: &Tz) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    let s = input.trim();
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Ambiguous(first, second) => Some(format!(
            "`{s}` happens twice (clocks go back): the first, {}, was taken; \
             for the second write `{}`",
            first.format("%Y-%m-%d %H:%M:%S %:z"),
            second.to_rfc3339(),
        )),
        _ => None,
    }
}

/// [`ambiguity_note_in`] for the machine's local time zone.
pub fn ambiguity_note(input: &str) -> Option<String> {
    ambiguity_note_in(input, &Local)
}

thread_local! {
    /// A fixed zone this thread shows and reads wall times in instead of the machine's (tests pin UTC).
    static PINNED: std::cell::Cell<Option<FixedOffset>> = const { std::cell::Cell::new(None) };
}

/// Makes `fmt_local` and `parse_exec_time` on this thread use `zone` (`None`: the machine's zone
/// again). Rendering tests pin UTC so they pass in any time zone.
pub fn pin_zone(zone: Option<FixedOffset>) {
    PINNED.with(|p| p.set(zone));
}

fn pinned() -> Option<FixedOffset> {
    PINNED.with(|p| p.get())
}

/// Parses an exec time in the machine's local time zone (or this thread's pinned zone).
pub fn parse_exec_time(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
    match pinned() {
        Some(z) => parse_exec_time_in(input, now, &z),
        None => parse_exec_time_in(input, now, &Local),
    }
}

fn parse_relative(input: &str, rel: &str) -> Result<chrono::Duration, TimeError> {
    let rel = rel.trim();
    let split = rel
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| err(input, "a relative time needs a unit: s, m, h or d"))?;
    let (num, unit) = rel.split_at(split);
    let n: i64 = num.parse().map_err(|_| {
        err(
            input,
            "a relative time starts with a whole number, e.g. +10m",
        )
    })?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => {
            return Err(err(
                input,
                format!("unknown unit `{other}` (use s, m, h or d)"),
            ));
        }
    };
    n.checked_mul(secs)
        .filter(|s| *s <= 366 * 86_400)
        .map(chrono::Duration::seconds)
        .ok_or_else(|| err(input, "a relative time may be at most a year ahead"))
}

/// Formats a stored UTC time in the local zone (or this thread's pinned zone), `YYYY-MM-DD HH:MM:SS`.
pub fn fmt_local(t: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";
    match pinned() {
        Some(z) => t.with_timezone(&z).format(FORMAT).to_string(),
        None => t.with_timezone(&Local).format(FORMAT).to_string(),
    }
}

/// Parses a duration such as `30s`, `20m`, `1h 30m` (step timeouts, grace periods).
pub fn parse_duration(input: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(input.trim()).map_err(|e| {
        format!("cannot read `{input}` as a duration ({e}); accepted: e.g. `30s`, `20m`, `1h 30m`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
    }

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn local_wall_times_are_read_in_the_given_zone() {
        let t = parse_exec_time_in("2026-11-24 10:30", now(), &cst()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 24, 2, 30, 0).unwrap());
        let t = parse_exec_time_in("2026-11-24 10:30:15", now(), &cst()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 24, 2, 30, 15).unwrap());
        let t = parse_exec_time_in("2018-11-27T14:09:50", now(), &cst()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2018, 11, 27, 6, 9, 50).unwrap());
    }

    #[test]
    fn rfc3339_keeps_its_own_offset() {
        let t = parse_exec_time_in("2026-11-24T10:00:00+08:00", now(), &Utc).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap());
        let t = parse_exec_time_in("2026-11-24T10:00:00Z", now(), &cst()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap());
    }

    #[test]
    fn now_and_relative_forms() {
        assert_eq!(parse_exec_time("now", now()).unwrap(), now());
        assert_eq!(parse_exec_time(" NOW ", now()).unwrap(), now());
        let cases = [("+30s", 30), ("+10m", 600), ("+2h", 7200), ("+1d", 86_400)];
        for (s, secs) in cases {
            let t = parse_exec_time(s, now()).unwrap();
            assert_eq!((t - now()).num_seconds(), secs, "{s}");
        }
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        for bad in [
            "2026-13-40",
            "2026-13-40 10:00",
            "2026-02-30 10:00",
            "2026-11-24 25:00",
            "tomorrow",
            "",
            "+",
            "+10",
            "+10w",
            "+m",
            "+99999999999999d",
            "10:00",
        ] {
            let e = parse_exec_time_in(bad, now(), &cst()).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("YYYY-MM-DD HH:MM"), "{bad}: {msg}");
            assert!(msg.contains("+10m"), "{bad}: {msg}");
            assert_eq!(e.input, bad);
        }
    }

    #[test]
    fn an_ambiguous_wall_time_takes_the_first_and_says_so() {
        // America/New_York's fold, 2026-11-01 01:00-02:00, as fixed offsets: a zone whose
        // 01:30 is -04:00 then -05:00 is what chrono reports as Ambiguous.
        #[derive(Clone, Copy)]
        struct Fold;
        impl TimeZone for Fold {
            type Offset = FixedOffset;
            fn from_offset(_: &FixedOffset) -> Self {
                Fold
            }
            fn offset_from_local_date(&self, _: &chrono::NaiveDate) -> LocalResult<FixedOffset> {
                LocalResult::Single(FixedOffset::west_opt(5 * 3600).unwrap())
            }
            fn offset_from_local_datetime(&self, t: &NaiveDateTime) -> LocalResult<FixedOffset> {
                let (a, b) = (
                    FixedOffset::west_opt(4 * 3600).unwrap(),
                    FixedOffset::west_opt(5 * 3600).unwrap(),
                );
                let fold =
                    NaiveDateTime::parse_from_str("2026-11-01 01:00", "%Y-%m-%d %H:%M").unwrap();
                if *t >= fold && *t < fold + chrono::Duration::hours(1) {
                    LocalResult::Ambiguous(a, b)
                } else {
                    LocalResult::Single(b)
                }
            }
            fn offset_from_utc_date(&self, _: &chrono::NaiveDate) -> FixedOffset {
                FixedOffset::west_opt(5 * 3600).unwrap()
            }
            fn offset_from_utc_datetime(&self, _: &NaiveDateTime) -> FixedOffset {
                FixedOffset::west_opt(5 * 3600).unwrap()
            }
        }
        let t = parse_exec_time_in("2026-11-01 01:30", now(), &Fold).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
        let note = ambiguity_note_in("2026-11-01 01:30", &Fold).expect("a note");
        assert!(
            note.contains("the first, 2026-11-01 01:30:00 -04:00, was taken"),
            "{note}"
        );
        assert!(note.contains("`2026-11-01T01:30:00-05:00`"), "{note}");
        assert_eq!(ambiguity_note_in("2026-11-01 03:30", &Fold), None);
        assert_eq!(ambiguity_note_in("+1h", &Fold), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20m").unwrap().as_secs(), 1200);
        assert_eq!(parse_duration("1h 30m").unwrap().as_secs(), 5400);
        assert!(parse_duration("soon").unwrap_err().contains("30s"));
    }
}

#[cfg(test)]
mod pinned_tests {
    use super::*;

    #[test]
    fn a_pinned_zone_is_used_to_show_and_read_times_on_its_thread_only() {
        let east8 = FixedOffset::east_opt(8 * 3600).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
        pin_zone(Some(east8));
        assert_eq!(fmt_local(t), "2026-11-24 10:00:00");
        assert_eq!(parse_exec_time("2026-11-24 10:00", t).unwrap(), t);
        let other = std::thread::spawn(move || fmt_local(t)).join().unwrap();
        assert_eq!(
            other,
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        );
        pin_zone(None);
        assert_eq!(fmt_local(t), other);
    }
}
