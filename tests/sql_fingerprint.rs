//! `opsdeck::sql::fingerprint` against Percona's `pt-fingerprint` over the SQL corpus: agreement
//! (target ≥ 99%) and throughput side by side, plus the query id against `pt-query-digest`.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use opsdeck::sql::{fingerprint, query_id, split};
use support::require_system;

const CORPUS: &str = include_str!("fixtures/sql/corpus.sql");

/// The corpus statements pt-fingerprint reads as whole queries from a file (records end in
/// ";\n"; it skips records not starting with a word character), after its own preprocessing.
fn queries() -> Vec<String> {
    split(CORPUS)
        .into_iter()
        .filter(|s| s.delimiter == ";" && !s.text.contains(";\n"))
        .map(|s| {
            let no_hash_lines: Vec<&str> = s
                .text
                .split('\n')
                .map(|l| {
                    if l.starts_with('#') && l.len() > 1 {
                        ""
                    } else {
                        l
                    }
                })
                .collect();
            no_hash_lines.join("\n").trim_start().to_string()
        })
        .filter(|q| {
            q.chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .collect()
}

fn run_pt(input: &str) -> (Vec<String>, f64) {
    let start = Instant::now();
    let mut child = Command::new("pt-fingerprint")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pt-fingerprint");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_string();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(data.as_bytes());
    });
    let out = child.wait_with_output().expect("pt-fingerprint");
    feeder.join().expect("feeder");
    let secs = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (text.lines().map(str::to_string).collect(), secs)
}

#[test]
fn fingerprint_agrees_with_pt_fingerprint() {
    if !require_system("pt-fingerprint") {
        return;
    }
    let qs = queries();
    assert!(qs.len() >= 1000, "only {} queries", qs.len());
    let input: String = qs.iter().map(|q| format!("{q};\n")).collect();
    let (theirs, pt_secs) = run_pt(&input);
    assert_eq!(
        theirs.len(),
        qs.len(),
        "pt-fingerprint printed one line per query"
    );

    let reps = 20;
    let start = Instant::now();
    let mut ours = Vec::new();
    for _ in 0..reps {
        ours = qs.iter().map(|q| fingerprint(q)).collect::<Vec<_>>();
    }
    let our_secs = start.elapsed().as_secs_f64() / reps as f64;

    let mut agree = 0;
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        if o == t {
            agree += 1;
        } else {
            println!(
                "  #{i}: {}\n    ours:  {o}\n    pt:    {t}",
                qs[i].replace('\n', " ")
            );
        }
    }
    let pct = 100.0 * agree as f64 / qs.len() as f64;
    let n = qs.len() as f64;
    println!(
        "fingerprint agreement with pt-fingerprint: {agree}/{} = {pct:.2}%; throughput: opsdeck {:.0} q/s vs pt-fingerprint {:.0} q/s (one process over the file, {:.1}x; debug_assertions={})",
        qs.len(),
        n / our_secs,
        n / pt_secs,
        pt_secs / our_secs,
        cfg!(debug_assertions)
    );
    assert!(pct >= 99.0, "agreement {pct:.2}% below 99%");
}

#[test]
fn query_id_matches_pt_query_digest() {
    if !require_system("pt-query-digest") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("slow.log");
    let query = "SELECT name FROM users WHERE id = 42";
    std::fs::write(
        &log,
        format!(
            "# Time: 2024-01-01T00:00:00.000000Z\n# User@Host: app[app] @ localhost []\n# Query_time: 0.5  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 1\nSET timestamp=1704067200;\n{query};\n"
        ),
    )
    .expect("write slow log");
    let out = Command::new("pt-query-digest")
        .args(["--no-version-check", "--limit", "1", "--output", "json"])
        .arg(&log)
        .output()
        .expect("pt-query-digest");
    let text = String::from_utf8_lossy(&out.stdout);
    let want = query_id(&fingerprint(query));
    // The JSON report carries the whole MD5 in upper case; the query id is its last 16 digits
    // (the text report prints it as `ID 0x…`).
    assert!(
        text.contains(&format!("{want}\"")) && text.contains("\"checksum\""),
        "query id {want} not in pt-query-digest output:\n{text}"
    );
}

/// Queries where a byte-level reading (Perl's) differs from a character-level one, and other
/// quirks, each checked against the real pt-fingerprint.
const QUIRKS: &[&str] = &[
    "SELECT Émile FROM t WHERE x = 'é'",
    "SELECT ÄÖÜ, 'ß' FROM straße WHERE ñ IN (1, 2)",
    "select 0xFF, x'41', index1 from t",
    "call p(1)(2)",
    "SELECT a FROM t   ORDER BY a  asc,b asc",
    "select /**/ 1 /* x */ from t where a = 'it''s' -- 'q\nand b = \"x\\\"y\"",
    "INSERT IGNORE INTO t (a) VALUES (1), (2), (3)",
    "select a from t limit 1 offset 2",
    "SELECT 1 UNION ALL SELECT 1 UNION SELECT 1",
    "select * from t where a in (null, 1) and b not in ( 1 , 2 ) and c values(1),(2)",
];

/// The opsdeck binary on a file, as a DBA runs it, against `pt-fingerprint FILE`: the same
/// fingerprints line for line, the same bytes; with `--id` each line starts with that line's
/// query id.
#[test]
fn cli_on_a_file_prints_what_pt_fingerprint_prints() {
    if !require_system("pt-fingerprint") {
        return;
    }
    let mut qs = queries();
    qs.extend(QUIRKS.iter().map(|q| q.to_string()));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("queries.sql");
    std::fs::write(
        &file,
        qs.iter().map(|q| format!("{q};\n")).collect::<String>(),
    )
    .expect("write queries");
    let pt = Command::new("pt-fingerprint")
        .arg(&file)
        .output()
        .expect("pt-fingerprint");
    let ours = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["sql", "fingerprint"])
        .arg(&file)
        .output()
        .expect("opsdeck sql fingerprint");
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let theirs: Vec<String> = String::from_utf8_lossy(&pt.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let ours_bytes = ours.stdout.clone();
    let with_id = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["sql", "fingerprint", "--id"])
        .arg(&file)
        .output()
        .expect("opsdeck sql fingerprint --id");
    for line in String::from_utf8_lossy(&with_id.stdout).lines() {
        let (id, f) = line.split_once("  ").expect("id and fingerprint");
        assert_eq!(id, query_id(f), "{line}");
    }
    let ours: Vec<String> = String::from_utf8_lossy(&ours.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ours.len(), theirs.len(), "one line per query");
    let differ: Vec<_> = ours
        .iter()
        .zip(&theirs)
        .enumerate()
        .filter(|(_, (o, t))| o != t)
        .map(|(i, (o, t))| format!("#{i}: ours {o:?}, pt {t:?}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    assert!(ours_bytes == pt.stdout, "the same output, byte for byte");
}
