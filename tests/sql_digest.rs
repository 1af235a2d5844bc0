//! `opsdeck sql digest` (the real binary) against Percona's `pt-query-digest` on the same slow
//! log: the same classes, counts, total, maximum and 95th-percentile query times, and row sums.
//! Plus the CLI's handling of broken logs.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use opsdeck::sql::{fingerprint, query_id};
use support::require_system;

/// A deterministic slow log in the header styles of MySQL 8.0, MySQL 5.6/MariaDB and an entry
/// without `# Time:` (MySQL writes none when the second has not changed), with a server banner.
fn slow_log(entries: usize) -> String {
    let templates = [
        "SELECT * FROM orders WHERE id = {i}",
        "SELECT name, email FROM users WHERE email = 'u{i}@example.com' AND status IN (1, 2, 3)",
        "UPDATE items SET stock = stock - {s} WHERE id = {i}",
        "INSERT INTO log (a, b, c) VALUES ({i}, 'x{s}', NOW()), ({s}, 'y', NOW())",
        "select o.id, sum(l.qty) from orders o join lines l on l.order_id = o.id\nwhere o.created_at > '2024-01-{s}'\ngroup by o.id order by 2 desc limit {s}",
        "DELETE FROM sessions WHERE expires < {i}",
        "SELECT COUNT(*) FROM t{s} WHERE a > {i}",
        "select * from t where a = 1 /* {i} */ -- trailing\n  and b in ({s}, {i})",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut log = String::from(
        "/usr/sbin/mysqld, Version: 8.0.35 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n",
    );
    let mut ts = 1_704_067_200u64;
    for k in 0..entries {
        ts += rnd(3);
        let (i, s) = (1 + rnd(1_000_000), 10 + rnd(18));
        let q = templates[rnd(templates.len() as u64) as usize]
            .replace("{i}", &i.to_string())
            .replace("{s}", &s.to_string());
        // Microseconds with a long tail, as a slow log has.
        let us = rnd(200_000) + if rnd(20) == 0 { rnd(5_000_000) } else { 0 };
        let qt = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
        let (d, hms) = ((ts - 1_704_067_200) / 86_400 + 1, ts % 86_400);
        let (h, m, sec) = (hms / 3600, hms / 60 % 60, hms % 60);
        match k % 3 {
            0 => {
                let _ = writeln!(
                    log,
                    "# Time: 2024-01-{d:02}T{h:02}:{m:02}:{sec:02}.{:06}Z",
                    rnd(999_999)
                );
                let _ = writeln!(log, "# User@Host: app[app] @ localhost []  Id: {}", rnd(99));
                let _ = writeln!(
                    log,
                    "# Query_time: {qt}  Lock_time: 0.000{:03} Rows_sent: {s}  Rows_examined: {}",
                    rnd(999),
                    i % 5000
                );
                if k % 7 == 0 {
                    log.push_str("use shop;\n");
                }
            }
            1 => {
                let _ = writeln!(log, "# Time: 2401{d:02} {h:2}:{m:02}:{sec:02}");
                let _ = writeln!(
                    log,
                    "# User@Host: app[app] @ web1 [10.0.0.{s}]\n# Thread_id: {i}  Schema: shop  QC_hit: No"
                );
                let _ = writeln!(
                    log,
                    "# Query_time: {qt}  Lock_time: 0.000100  Rows_sent: {s}  Rows_examined: {}\n# Rows_affected: 0  Bytes_sent: 120",
                    i % 5000
                );
            }
            _ => {
                log.push_str("# User@Host: rep[rep] @  [10.0.0.9]\n");
                let _ = writeln!(
                    log,
                    "# Query_time: {qt}  Lock_time: 0.000000 Rows_sent: {s}  Rows_examined: {}",
                    i % 5000
                );
            }
        }
        let _ = writeln!(log, "SET timestamp={ts};\n{q};");
    }
    log
}

fn opsdeck(args: &[&str], stdin_file: Option<&std::path::Path>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.args(args);
    if let Some(f) = stdin_file {
        c.stdin(std::fs::File::open(f).expect("open log"));
    }
    c.output().expect("run opsdeck")
}

fn num(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::String(s) => s.parse().expect("number string"),
        v => v.as_f64().expect("number"),
    }
}

#[test]
fn digest_agrees_with_pt_query_digest() {
    if !require_system("pt-query-digest") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("slow.log");
    std::fs::write(&log, slow_log(3000)).expect("write log");
    let pt = Command::new("pt-query-digest")
        .args(["--no-version-check", "--limit", "100%", "--output", "json"])
        .arg(&log)
        .output()
        .expect("pt-query-digest");
    assert!(
        pt.status.success(),
        "{}",
        String::from_utf8_lossy(&pt.stderr)
    );
    let pt: serde_json::Value = serde_json::from_slice(&pt.stdout).expect("pt json");
    let ours = opsdeck(
        &["sql", "digest", "--json", log.to_str().expect("utf-8 path")],
        None,
    );
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let ours: serde_json::Value = serde_json::from_slice(&ours.stdout).expect("our json");
    assert_eq!(ours["events"], 3000);
    assert_eq!(ours["skipped"], 0);

    // fingerprint → (count, total, max, p95, rows examined)
    let mut theirs = BTreeMap::new();
    for c in pt["classes"].as_array().expect("classes") {
        let m = &c["metrics"];
        let fp = c["fingerprint"].as_str().expect("fingerprint").to_string();
        let checksum = c["checksum"].as_str().expect("checksum");
        assert!(checksum.ends_with(&query_id(&fp)), "query id of {fp}");
        theirs.insert(
            fp,
            (
                c["query_count"].as_u64().expect("count"),
                num(&m["Query_time"]["sum"]),
                num(&m["Query_time"]["max"]),
                num(&m["Query_time"]["pct_95"]),
                num(&m["Rows_examined"]["sum"]),
            ),
        );
    }
    let mut mine = BTreeMap::new();
    for c in ours["classes"].as_array().expect("classes") {
        let q = &c["query_time"];
        mine.insert(
            c["fingerprint"].as_str().expect("fingerprint").to_string(),
            (
                c["count"].as_u64().expect("count"),
                num(&q["total"]),
                num(&q["max"]),
                num(&q["p95"]),
                num(&c["rows_examined"]["total"]),
            ),
        );
    }
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the same classes"
    );
    for (fp, t) in &theirs {
        let o = mine[fp];
        assert_eq!(o.0, t.0, "count of {fp}");
        // pt-query-digest prints times with 6 decimals.
        for (what, a, b) in [("total", o.1, t.1), ("max", o.2, t.2), ("p95", o.3, t.3)] {
            assert!(
                (a - b).abs() < 2e-6,
                "{what} time of {fp}: ours {a}, pt {b}"
            );
        }
        assert_eq!(o.4, t.4, "rows examined of {fp}");
    }
    // Sorted by total time, as pt-query-digest ranks.
    let totals: Vec<f64> = ours["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| num(&c["query_time"]["total"]))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
}

#[test]
fn digest_text_top_advise_and_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("slow.log");
    std::fs::write(&log, slow_log(300)).expect("write log");
    let out = opsdeck(
        &["sql", "digest", "--top", "2", "--advise", "-"],
        Some(&log),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("# <stdin>: 300 entries in 8 classes"),
        "{text}"
    );
    assert_eq!(text.matches("# Query ").count(), 2, "{text}");
    assert!(text.contains("# Query 1  0x"), "{text}");
    assert!(text.contains("/100"), "score shown: {text}");
    let fp = fingerprint("SELECT * FROM orders WHERE id = 5");
    assert_eq!(fp, "select * from orders where id = ?");
}

#[test]
fn broken_logs_are_counted_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("broken.log");
    let mut bytes = slow_log(50).replace('\n', "\r\n").into_bytes();
    bytes.extend((0..=255u8).cycle().take(10_000));
    bytes.extend_from_slice(slow_log(20).as_bytes());
    // Cut mid-entry at the end.
    bytes.extend_from_slice(b"# Time: 2024-01-01T00:00:00Z\n# Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSELECT * FROM t WHERE");
    std::fs::write(&log, &bytes).expect("write log");
    let out = opsdeck(
        &["sql", "digest", "--json", log.to_str().expect("path")],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let events = v["events"].as_u64().expect("events");
    let skipped = v["skipped"].as_u64().expect("skipped");
    // The 50 CRLF entries but the last (glued to the garbage) and the 20 after it, minus the
    // entry the banner interrupts; the cut last entry is skipped.
    assert!(
        (68..=70).contains(&events),
        "events {events}, skipped {skipped}: {v:#?}"
    );
    assert!(skipped >= 1, "{v:#?}");
    let missing = opsdeck(&["sql", "digest", "/nonexistent/slow.log"], None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/slow.log"));
}
