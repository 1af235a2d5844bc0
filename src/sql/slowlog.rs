//! MySQL/MariaDB slow query log reader: one [`SlowEvent`] per entry, streamed line by line with
//! memory bounded by the longest accepted query, whatever the log's size. Entries that cannot be
//! used (cut off mid-entry, no `Query_time`, over the size limit) are skipped and counted.
//!
//! The entry model is pt-query-digest's `SlowLogParser`: header lines start with `#` (`# Time:`,
//! `# User@Host:`, `# Query_time: … Lock_time: …`, MariaDB's `# Thread_id: … Schema: …` and
//! `# Rows_affected: …`, any `# Key: value` pairs), then `use db;` and `SET timestamp=N;`, then
//! the query up to the `;` that ends a line followed by the next `#` line. Differences, on broken
//! logs only: a `# Time:`/`# User@Host:`/`# Query_time:` line after a query line that does not
//! end in `;` starts a new entry (the cut one is skipped) where pt-query-digest would glue the
//! header into the query; CRLF line ends are accepted.

use std::collections::BTreeMap;
use std::io::BufRead;

/// Queries longer than this are skipped (and counted).
pub const DEFAULT_MAX_QUERY: usize = 64 << 20;

/// One slow log entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlowEvent {
    /// The query without its final `;` (for `# administrator command: X`, that text).
    pub query: String,
    pub query_time: f64,
    pub lock_time: f64,
    pub rows_sent: u64,
    pub rows_examined: u64,
    /// Seconds since the epoch: `SET timestamp=N`, else the `# Time:` line (a time without a
    /// zone, as MySQL 5.6 and MariaDB write it, is read as UTC).
    pub timestamp: Option<i64>,
    /// `use db;` or MariaDB's `Schema:`.
    pub db: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    /// 1-based line of the entry's first line.
    pub line: u64,
}

/// Why entries were skipped.
pub const SKIP_TRUNCATED: &str = "cut off before the end of the entry";
pub const SKIP_NO_QUERY_TIME: &str = "no Query_time header";
pub const SKIP_TOO_LONG: &str = "query over the size limit";

#[derive(Default)]
struct Entry {
    event: SlowEvent,
    has_time_line: bool,
    has_user: bool,
    has_query_time: bool,
    started: bool,
    in_query: bool,
    /// The last query line ended with `;`.
    query_done: bool,
    too_long: bool,
    /// A complete `# administrator command:` entry.
    admin: bool,
}

/// Reads [`SlowEvent`]s from a slow log.
pub struct SlowLogReader<R> {
    input: R,
    max: usize,
    line_no: u64,
    line: Vec<u8>,
    entry: Entry,
    eof: bool,
    skipped: BTreeMap<&'static str, u64>,
}

impl<R: BufRead> SlowLogReader<R> {
    pub fn new(input: R) -> Self {
        Self::with_max(input, DEFAULT_MAX_QUERY)
    }

    pub fn with_max(input: R, max: usize) -> Self {
        SlowLogReader {
            input,
            max: max.max(1),
            line_no: 0,
            line: Vec::new(),
            entry: Entry::default(),
            eof: false,
            skipped: BTreeMap::new(),
        }
    }

    /// Skipped entries by reason, so far.
    pub fn skipped(&self) -> &BTreeMap<&'static str, u64> {
        &self.skipped
    }

    /// The number of skipped entries so far.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Reads one line into `self.line` without its `\n` (or `\r\n`), keeping at most `max + 1`
    /// bytes of it. False at the end of the input.
    fn read_line(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        let mut any = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            let room = (self.max + 1).saturating_sub(self.line.len());
            self.line.extend_from_slice(&buf[..take.min(room)]);
            self.input.consume(if done { take + 1 } else { take });
            if done {
                break;
            }
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if any {
            self.line_no += 1;
        }
        Ok(any)
    }

    /// Ends the current entry: returns it when usable, else counts it as skipped.
    fn finish(&mut self, cut: bool) -> Option<SlowEvent> {
        let entry = std::mem::take(&mut self.entry);
        if !entry.started {
            return None;
        }
        let complete = entry.admin || (entry.in_query && entry.query_done);
        let reason = if entry.too_long {
            SKIP_TOO_LONG
        } else if cut || !complete {
            SKIP_TRUNCATED
        } else if !entry.has_query_time {
            SKIP_NO_QUERY_TIME
        } else {
            let mut event = entry.event;
            if !entry.admin {
                let end = event.query.trim_end().len();
                event.query.truncate(end);
                if event.query.ends_with(';') {
                    event.query.pop();
                }
                let start = event.query.len() - event.query.trim_start().len();
                event.query.drain(..start);
            }
            return Some(event);
        };
        *self.skipped.entry(reason).or_default() += 1;
        None
    }

    /// Feeds one line; returns the entry it ended, if any.
    fn feed(&mut self) -> Option<SlowEvent> {
        let line = std::mem::take(&mut self.line);
        let done = self.feed_text(&String::from_utf8_lossy(&line));
        self.line = line;
        done
    }

    fn feed_text(&mut self, text: &str) -> Option<SlowEvent> {
        if is_server_banner(text) {
            let cut = self.entry.in_query && !self.entry.query_done;
            return self.finish(cut);
        }
        let mut done = None;
        if self.entry.in_query {
            if text.starts_with('#') {
                if self.entry.query_done {
                    done = self.finish(false);
                } else if is_entry_header(text) {
                    done = self.finish(true);
                }
            }
        } else if self.entry.admin {
            done = self.finish(false);
        } else if self.restarts_header(text) {
            done = self.finish(true);
        }
        if self.entry.in_query {
            self.push_query(text);
        } else if !self.meta_line(text) {
            self.entry.in_query = true;
            self.push_query(text);
        }
        if !self.entry.started {
            self.entry.started = true;
            self.entry.event.line = self.line_no;
        }
        done
    }

    /// A header line the current entry already has: the entry was cut before its query.
    fn restarts_header(&self, text: &str) -> bool {
        let e = &self.entry;
        (text.starts_with("# Time:") && e.has_time_line)
            || (text.starts_with("# User@Host:") && e.has_user)
            || (text.starts_with("# Query_time:") && e.has_query_time)
    }

    fn push_query(&mut self, text: &str) {
        let e = &mut self.entry;
        if e.too_long {
            return;
        }
        if !e.event.query.is_empty() {
            e.event.query.push('\n');
        }
        e.event.query.push_str(text);
        e.query_done = text.trim_end().ends_with(';');
        if e.event.query.len() > self.max {
            e.too_long = true;
            e.event.query = String::new();
        }
    }

    /// Takes a header, `use` or `SET` line into the entry; false when the line is query text.
    fn meta_line(&mut self, text: &str) -> bool {
        let e = &mut self.entry;
        if let Some(rest) = text.strip_prefix("use ") {
            let db = rest.split(';').next().unwrap_or_default().trim();
            if e.event.db.is_none() && !db.is_empty() {
                e.event.db = Some(db.trim_matches('`').to_string());
            }
            return true;
        }
        if let Some(rest) = text.strip_prefix("SET ") {
            if !["timestamp", "insert_id", "last_insert_id"]
                .iter()
                .any(|k| rest.starts_with(k))
            {
                return false;
            }
            for part in rest.trim_end_matches(';').split(',') {
                if let Some(v) = part.trim().strip_prefix("timestamp") {
                    let v = v.trim_start().trim_start_matches('=').trim();
                    if let Ok(t) = v.parse::<f64>() {
                        e.event.timestamp = Some(t as i64);
                    }
                }
            }
            return true;
        }
        let Some(rest) = text.strip_prefix('#') else {
            return false;
        };
        if let Some(time) = text.strip_prefix("# Time:") {
            e.has_time_line = true;
            if e.event.timestamp.is_none() {
                e.event.timestamp = parse_time(time.trim());
            }
        } else if let Some(uh) = text.strip_prefix("# User@Host:") {
            e.has_user = true;
            let (user, host) = parse_user_host(uh);
            e.event.user = user;
            e.event.host = host;
            // MySQL 8.0 puts `Id: N` on this line; nothing else to read from it.
        } else if let Some(cmd) = rest.trim_start().strip_prefix("administrator command:") {
            e.event.query = format!("administrator command:{}", cmd.trim_end_matches(';'));
            e.admin = true;
        } else {
            for (k, v) in pairs(rest) {
                match k {
                    "Query_time" => {
                        e.has_query_time = true;
                        e.event.query_time = v.parse().unwrap_or(0.0);
                    }
                    "Lock_time" => e.event.lock_time = v.parse().unwrap_or(0.0),
                    "Rows_sent" => e.event.rows_sent = v.parse().unwrap_or(0),
                    "Rows_examined" => e.event.rows_examined = v.parse().unwrap_or(0),
                    "Schema" if !v.is_empty() && e.event.db.is_none() => {
                        e.event.db = Some(v.to_string())
                    }
                    _ => {}
                }
            }
        }
        true
    }
}

impl<R: BufRead> Iterator for SlowLogReader<R> {
    type Item = std::io::Result<SlowEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.eof {
            match self.read_line() {
                Err(e) => {
                    self.eof = true;
                    return Some(Err(e));
                }
                Ok(false) => {
                    self.eof = true;
                    return self.finish(false).map(Ok);
                }
                Ok(true) => {
                    if let Some(ev) = self.feed() {
                        return Some(Ok(ev));
                    }
                }
            }
        }
        None
    }
}

/// The lines mysqld writes when it (re)opens the log.
fn is_server_banner(line: &str) -> bool {
    let b = line.as_bytes();
    (b.len() > 9 && b[..9].eq_ignore_ascii_case(b"tcp port:"))
        || (line.starts_with(|c: char| c == '/' || c.is_ascii_uppercase())
            && line.contains("mysqld, Version")
            && (line.contains("started with:") || line.contains("embedded library")))
        || (line.starts_with("Time ") && {
            let mut w = line.split_whitespace();
            w.next() == Some("Time") && w.next() == Some("Id") && w.next() == Some("Command")
        })
}

/// The first line of an entry's header.
fn is_entry_header(line: &str) -> bool {
    line.starts_with("# Time:")
        || line.starts_with("# User@Host:")
        || line.starts_with("# Query_time:")
}

/// `Key: value` pairs of a `#` header line (a key with no value gets "").
fn pairs(rest: &str) -> Vec<(&str, &str)> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some(k) = words[i].strip_suffix(':')
            && !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            match words.get(i + 1) {
                Some(v) if !v.ends_with(':') => {
                    out.push((k, *v));
                    i += 2;
                    continue;
                }
                _ => out.push((k, "")),
            }
        }
        i += 1;
    }
    out
}

/// `user[user] @ host [ip]` → user and host (the IP when the host name is empty).
fn parse_user_host(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    let user = s
        .split('[')
        .next()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let after_at = s.split_once(" @ ").map(|(_, r)| r).unwrap_or_default();
    let host_name = after_at.split('[').next().unwrap_or_default().trim();
    let ip = after_at
        .split_once('[')
        .and_then(|(_, r)| r.split(']').next())
        .unwrap_or_default()
        .trim();
    let host = if host_name.is_empty() { ip } else { host_name };
    (user, (!host.is_empty()).then(|| host.to_string()))
}

/// `2024-01-01T00:00:01.797926Z` (or with an offset), or `240101  0:00:04` (read as UTC).
fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    let mut parts = s.split_whitespace();
    let (date, time) = (parts.next()?, parts.next()?);
    let joined = format!("{date} {time}");
    chrono::NaiveDateTime::parse_from_str(&joined, "%y%m%d %H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&joined, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
#[path = "slowlog_tests.rs"]
mod tests;
