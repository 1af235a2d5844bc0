//! The slow log reader on the header styles of MySQL 5.6/5.7/8.0 and MariaDB, and on broken logs.

use super::*;

fn read(log: &str) -> (Vec<SlowEvent>, BTreeMap<&'static str, u64>) {
    let mut r = SlowLogReader::new(std::io::BufReader::with_capacity(16, log.as_bytes()));
    let evs = r.by_ref().map(|e| e.expect("read")).collect();
    (evs, r.skipped().clone())
}

const MIXED: &str =
    "/usr/sbin/mysqld, Version: 8.0.35 (MySQL Community Server - GPL). started with:
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
Time                 Id Command    Argument
# Time: 2024-01-01T00:00:01.797926Z
# User@Host: app[app] @ localhost []  Id:    58
# Query_time: 0.025094  Lock_time: 0.002509 Rows_sent: 49  Rows_examined: 1854
use shop;
SET timestamp=1704067201;
UPDATE items SET stock = stock - 49 WHERE id = 596854;
# Time: 240101  0:00:04
# User@Host: app[app] @ web1 [10.0.0.25]
# Thread_id: 683245  Schema: sales  QC_hit: No
# Query_time: 1.5  Lock_time: 0.001971  Rows_sent: 25  Rows_examined: 3245
# Rows_affected: 0  Bytes_sent: 120
select a
# not a header: a comment line inside the query
from t where b = 'x;'
and c = 1;
# User@Host: rep[rep] @  [10.0.0.9]
# Query_time: 0.3  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 2
# administrator command: Quit;
# Time: 2024-01-01T08:00:09+08:00
# User@Host: app[app] @ localhost []
# Query_time: 2  Lock_time: 0 Rows_sent: 0  Rows_examined: 0
SELECT 1;
";

#[test]
fn reads_mysql_and_mariadb_entries() {
    let (evs, skipped) = read(MIXED);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(evs.len(), 4, "{evs:#?}");
    assert_eq!(
        evs[0].query,
        "UPDATE items SET stock = stock - 49 WHERE id = 596854"
    );
    assert_eq!(evs[0].query_time, 0.025094);
    assert_eq!(evs[0].rows_examined, 1854);
    assert_eq!(evs[0].timestamp, Some(1704067201));
    assert_eq!(evs[0].db.as_deref(), Some("shop"));
    assert_eq!(evs[0].user.as_deref(), Some("app"));
    assert_eq!(evs[0].line, 4);
    assert_eq!(
        evs[1].query,
        "select a\n# not a header: a comment line inside the query\nfrom t where b = 'x;'\nand c = 1"
    );
    assert_eq!(evs[1].db.as_deref(), Some("sales"));
    assert_eq!(evs[1].host.as_deref(), Some("web1"));
    assert_eq!(evs[1].timestamp, Some(1704067204));
    assert_eq!(evs[2].query, "administrator command: Quit");
    assert_eq!(evs[2].host.as_deref(), Some("10.0.0.9"));
    assert_eq!(evs[3].timestamp, Some(1704067209));
    assert_eq!(evs[3].query, "SELECT 1");
}

#[test]
fn crlf_gives_the_same_entries() {
    let (lf, _) = read(MIXED);
    let (crlf, skipped) = read(&MIXED.replace('\n', "\r\n"));
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(crlf, lf);
}

#[test]
fn cut_entries_are_skipped_and_counted() {
    let log = "# Time: 2024-01-01T00:00:01Z
# User@Host: a[a] @ h []
# Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0
SELECT * FROM t WHERE a =
# Time: 2024-01-01T00:00:02Z
# User@Host: a[a] @ h []
# Time: 2024-01-01T00:00:03Z
# User@Host: a[a] @ h []
# Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0
SELECT 2;
# Time: 2024-01-01T00:00:04Z
SELECT 3;
# Time: 2024-01-01T00:00:05Z
# User@Host: a[a] @ h []
# Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0
SELECT * FROM t WHERE";
    let (evs, skipped) = read(log);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].query, "SELECT 2");
    assert_eq!(skipped.get(SKIP_TRUNCATED), Some(&3), "{skipped:?}");
    assert_eq!(skipped.get(SKIP_NO_QUERY_TIME), Some(&1), "{skipped:?}");
}

#[test]
fn garbage_and_huge_queries_are_bounded() {
    let mut log: Vec<u8> = (0..=255u8).cycle().take(20_000).collect();
    log.extend_from_slice(
        b"\n# Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSELECT '",
    );
    log.extend(std::iter::repeat_n(b'x', 300_000));
    log.extend_from_slice(
        b"';\n# Query_time: 2  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSELECT 9;\n",
    );
    let mut r = SlowLogReader::with_max(&log[..], 100_000);
    let evs: Vec<_> = r.by_ref().map(|e| e.expect("read")).collect();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].query, "SELECT 9");
    assert_eq!(
        r.skipped().get(SKIP_TOO_LONG),
        Some(&1),
        "{:?}",
        r.skipped()
    );
    assert_eq!(
        r.skipped().get(SKIP_TRUNCATED),
        Some(&1),
        "{:?}",
        r.skipped()
    );
    assert_eq!(r.skipped_total(), 2, "{:?}", r.skipped());
}
