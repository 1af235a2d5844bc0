//! Slow log digest (the pt-query-digest job): slow log entries grouped by fingerprint, with
//! per-class totals only (count, sums, extremes, a sparse 95th-percentile histogram, one example),
//! so memory grows with the number of distinct classes, not with the number of entries.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::fingerprint::{Fingerprinter, query_id};
use super::slowlog::SlowEvent;

/// Examples longer than this are cut (at a character boundary) when stored.
pub const MAX_EXAMPLE: usize = 1 << 20;

/// pt-query-digest's histogram (`EventAggregator`): 1,000 buckets growing by 5 % from 1 µs.
const BUCK_SIZE: f64 = 1.05;
const NUM_BUCK: usize = 1000;
const MIN_BUCK: f64 = 0.000001;

fn bucket_idx(v: f64) -> u16 {
    if v.is_nan() || v < MIN_BUCK {
        return 0;
    }
    let base_offset = (1.0 - MIN_BUCK.ln() / BUCK_SIZE.ln()).abs();
    let idx = (base_offset + v.ln() / BUCK_SIZE.ln()) as usize;
    idx.min(NUM_BUCK - 1) as u16
}

fn bucket_value(b: u16) -> f64 {
    if b == 0 {
        0.0
    } else {
        BUCK_SIZE.powi(i32::from(b) - 1) * MIN_BUCK
    }
}

#[derive(Default)]
struct Class {
    count: u64,
    total: f64,
    min: f64,
    max: f64,
    lock_total: f64,
    rows_sent: u64,
    rows_sent_max: u64,
    rows_examined: u64,
    rows_examined_max: u64,
    first: Option<i64>,
    last: Option<i64>,
    db: Option<String>,
    example: String,
    example_time: f64,
    buckets: BTreeMap<u16, u64>,
}

impl Class {
    /// pt-query-digest's 95th percentile of the query time: the bucket holding it, exactly as
    /// `EventAggregator::_calc_metrics` finds it.
    fn p95(&self) -> f64 {
        let n = self.count;
        if n <= 2 || self.max == self.min {
            return self.max;
        }
        let cutoff = if n >= 10 { n * 95 / 100 } else { n };
        let top = n - cutoff;
        let mut seen = 0;
        for (&b, &c) in self.buckets.iter().rev() {
            seen += c;
            if seen > top {
                return bucket_value(b);
            }
        }
        0.0
    }
}

/// Aggregates slow log entries.
#[derive(Default)]
pub struct Digest {
    classes: HashMap<String, Class>,
    events: u64,
    fp: Fingerprinter,
}

impl Digest {
    pub fn add(&mut self, ev: &SlowEvent) {
        self.events += 1;
        let f = self.fp.fingerprint(&ev.query);
        let class = match self.classes.get_mut(f) {
            Some(c) => c,
            None => self.classes.entry(f.to_string()).or_default(),
        };
        let qt = if ev.query_time.is_finite() {
            ev.query_time
        } else {
            0.0
        };
        if class.count == 0 || qt < class.min {
            class.min = qt;
        }
        if class.count == 0 || qt > class.max {
            class.max = qt;
        }
        if class.count == 0 || qt > class.example_time {
            class.example_time = qt;
            class.example.clear();
            let mut end = ev.query.len().min(MAX_EXAMPLE);
            while !ev.query.is_char_boundary(end) {
                end -= 1;
            }
            class.example.push_str(&ev.query[..end]);
        }
        class.count += 1;
        class.total += qt;
        if ev.lock_time.is_finite() {
            class.lock_total += ev.lock_time;
        }
        class.rows_sent += ev.rows_sent;
        class.rows_sent_max = class.rows_sent_max.max(ev.rows_sent);
        class.rows_examined += ev.rows_examined;
        class.rows_examined_max = class.rows_examined_max.max(ev.rows_examined);
        *class.buckets.entry(bucket_idx(qt)).or_default() += 1;
        if let Some(t) = ev.timestamp {
            class.first = Some(class.first.map_or(t, |f| f.min(t)));
            class.last = Some(class.last.map_or(t, |l| l.max(t)));
        }
        if class.db.is_none() {
            class.db.clone_from(&ev.db);
        }
    }

    /// The classes sorted by total query time (then count, then fingerprint), at most `top`.
    pub fn report(self, top: Option<usize>, skipped: BTreeMap<String, u64>) -> DigestReport {
        // A fold from +0.0: `Sum` of no f64 is -0.0, printed as `-0.000s` for an empty log.
        let total_time = self.classes.values().fold(0.0, |t, c| t + c.total);
        let mut classes: Vec<(String, Class)> = self.classes.into_iter().collect();
        classes.sort_by(|a, b| {
            b.1.total
                .total_cmp(&a.1.total)
                .then(b.1.count.cmp(&a.1.count))
                .then(a.0.cmp(&b.0))
        });
        let class_count = classes.len();
        let rows = classes
            .into_iter()
            .take(top.unwrap_or(usize::MAX))
            .enumerate()
            .map(|(i, (fingerprint, c))| ClassReport {
                rank: i + 1,
                query_id: query_id(&fingerprint),
                count: c.count,
                query_time: TimeStats {
                    total: c.total,
                    avg: c.total / c.count as f64,
                    p95: c.p95(),
                    min: c.min,
                    max: c.max,
                },
                share: if total_time > 0.0 {
                    c.total / total_time
                } else {
                    0.0
                },
                lock_time_total: c.lock_total,
                rows_examined: RowStats {
                    total: c.rows_examined,
                    avg: c.rows_examined as f64 / c.count as f64,
                    max: c.rows_examined_max,
                },
                rows_sent: RowStats {
                    total: c.rows_sent,
                    avg: c.rows_sent as f64 / c.count as f64,
                    max: c.rows_sent_max,
                },
                first_seen: c.first.and_then(format_time),
                last_seen: c.last.and_then(format_time),
                db: c.db,
                fingerprint,
                example: c.example,
                review: None,
            })
            .collect();
        DigestReport {
            events: self.events,
            skipped: skipped.values().sum(),
            skipped_by_reason: skipped,
            classes_total: class_count,
            total_query_time: total_time,
            classes: rows,
        }
    }
}

fn format_time(t: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The digest of a slow log.
#[derive(Debug, Serialize)]
pub struct DigestReport {
    /// Entries aggregated.
    pub events: u64,
    /// Entries skipped (cut off, no Query_time, too long), in all and by reason.
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Classes found (`classes` may hold fewer, with `--top`).
    pub classes_total: usize,
    /// Seconds, all classes.
    pub total_query_time: f64,
    pub classes: Vec<ClassReport>,
}

/// One fingerprint class.
#[derive(Debug, Serialize)]
pub struct ClassReport {
    /// 1 = the most total query time.
    pub rank: usize,
    /// pt-query-digest's query id (the last 16 hex digits of the fingerprint's MD5).
    pub query_id: String,
    pub fingerprint: String,
    pub count: u64,
    /// Seconds.
    pub query_time: TimeStats,
    /// This class's part of the total query time, 0..=1.
    pub share: f64,
    pub lock_time_total: f64,
    pub rows_examined: RowStats,
    pub rows_sent: RowStats,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub db: Option<String>,
    /// The class's slowest query.
    pub example: String,
    /// Score and index advice for the example (`--advise`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

#[derive(Debug, Serialize)]
pub struct TimeStats {
    pub total: f64,
    pub avg: f64,
    /// pt-query-digest's 95th percentile (its histogram bucket, so equal to its report).
    pub p95: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct RowStats {
    pub total: u64,
    pub avg: f64,
    pub max: u64,
}

/// The SOAR-style score of a class's example and the offline index advice for it.
#[derive(Debug, Serialize)]
pub struct Review {
    pub score: u32,
    pub stars: f64,
    /// Finding ids with their summary, e.g. `CLA.001 L4 …`.
    pub findings: Vec<String>,
    /// `ALTER TABLE … ADD INDEX …;` statements.
    pub indexes: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads every entry of a slow log into a digest: the report of its `top` classes with the
/// skipped entries counted by reason. An I/O error of the input stops it.
pub fn read<R: std::io::BufRead>(input: R, top: Option<usize>) -> std::io::Result<DigestReport> {
    let mut reader = super::slowlog::SlowLogReader::new(input);
    let mut digest = Digest::default();
    for ev in reader.by_ref() {
        digest.add(&ev?);
    }
    let skipped = reader
        .skipped()
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    Ok(digest.report(top, skipped))
}

/// Scores the example and advises indexes for it (offline).
pub fn review(example: &str, lang: crate::model::Lang) -> Review {
    // The slow log drops the final `;`; put it back so LIT.004 (no terminator) does not fire.
    let example = format!("{};", example.trim_end().trim_end_matches(';'));
    let example = example.as_str();
    let score = super::score::score(example, &super::score::ScoreOptions::default(), lang);
    let advice = super::advise::advise(example, None, lang);
    Review {
        score: score.score,
        stars: score.stars,
        findings: score
            .findings()
            .map(|f| format!("{} {} {}", f.id, f.severity, f.summary))
            .collect(),
        indexes: advice.advice.iter().map(|a| a.ddl.clone()).collect(),
        notes: advice.notes.iter().map(|n| n.text.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(q: &str, t: f64, ts: i64) -> SlowEvent {
        SlowEvent {
            query: q.into(),
            query_time: t,
            rows_examined: 10,
            rows_sent: 1,
            timestamp: Some(ts),
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_log_totals_zero_not_minus_zero() {
        let r = Digest::default().report(None, BTreeMap::new());
        assert_eq!(format!("{:.3}", r.total_query_time), "0.000");
    }

    #[test]
    fn groups_by_fingerprint_and_sorts_by_total_time() {
        let mut d = Digest::default();
        d.add(&ev("SELECT * FROM t WHERE id = 1", 0.5, 100));
        d.add(&ev("select * from t where id = 22", 1.5, 50));
        d.add(&ev("UPDATE t SET a = 1", 3.0, 70));
        let r = d.report(None, BTreeMap::new());
        assert_eq!(r.events, 3);
        assert_eq!(r.classes_total, 2);
        assert_eq!(r.classes[0].fingerprint, "update t set a = ?");
        let sel = &r.classes[1];
        assert_eq!(sel.count, 2);
        assert_eq!(sel.query_time.total, 2.0);
        assert_eq!(sel.query_time.max, 1.5);
        assert_eq!(sel.example, "select * from t where id = 22");
        assert_eq!(sel.first_seen.as_deref(), Some("1970-01-01 00:00:50"));
        assert_eq!(sel.last_seen.as_deref(), Some("1970-01-01 00:01:40"));
        assert_eq!(sel.rows_examined.total, 20);
        assert!((sel.share - 0.4).abs() < 1e-9);
        let top = {
            let mut d = Digest::default();
            d.add(&ev("SELECT 1", 1.0, 1));
            d.add(&ev("SELECT a FROM b", 2.0, 1));
            d.report(Some(1), BTreeMap::new())
        };
        assert_eq!(top.classes.len(), 1);
        assert_eq!(top.classes_total, 2);
    }

    #[test]
    fn p95_follows_pt_query_digest_buckets() {
        assert_eq!(bucket_idx(0.0), 0);
        assert_eq!(bucket_idx(0.000001), 1);
        // 1 s: int(284.16 + 0/…) = 284, whose bucket value is 1.05^283 µs.
        assert_eq!(bucket_idx(1.0), 284);
        let mut d = Digest::default();
        for i in 1..=100 {
            d.add(&ev("SELECT 1", f64::from(i) / 100.0, 1));
        }
        let c = &d.report(None, BTreeMap::new()).classes[0];
        // The 95th value is 0.95 s; the reported bucket value is the lower edge at or below it.
        assert!(
            c.query_time.p95 <= 0.96 && c.query_time.p95 > 0.9,
            "{}",
            c.query_time.p95
        );
    }
}
