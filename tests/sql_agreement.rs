//! Agreement of `opsdeck::sql::check` with a real MariaDB's parser over a corpus of ≥1,000
//! statements: a statement is invalid when the server answers error 1064 (syntax), valid
//! when it succeeds or fails with any other error.
//!
//! Known, deliberate disagreements: `check` targets MySQL, the test server is MariaDB 10.11, so
//! MariaDB-only syntax (RETURNING, OFFSET … FETCH, GROUP BY … DESC) and MySQL-only syntax
//! (`VALUES … AS new`, LATERAL, MEMBER OF, FOR SHARE) differ; `$1` and `TOP (5)` are flagged
//! although the server reads them as an identifier and a function call; broken bodies of stored
//! programs are only "cannot be verified locally".

mod support;

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};

use opsdeck::sql::{Status, check, split};
use support::{Mariadb, mariadb::MARIADBD, require_system};

const CORPUS: &str = include_str!("fixtures/sql/corpus.sql");
/// Syntax families issue 15 found called errors although valid, with near misses.
const FAMILIES: &str = include_str!("fixtures/sql/mysql_families.sql");

/// False alarms (the server accepts, `check` says error) and missed errors (the server says
/// 1064, `check` does not), each over its own side, printed with the cases.
fn rates(name: &str, corpus: &str, db: &Mariadb) -> (f64, f64) {
    let statements = split(corpus);
    let report = check(corpus);
    let server_bad = server_syntax_errors(db, &statements);
    let (mut false_alarms, mut missed) = (Vec::new(), Vec::new());
    for (i, st) in report.statements.iter().enumerate() {
        let ours_bad = st.status == Status::Error;
        match (ours_bad, server_bad.contains(&i)) {
            (true, false) => false_alarms.push(st.text.replace('\n', " ")),
            (false, true) => {
                missed.push(format!("{:?}: {}", st.status, st.text.replace('\n', " ")))
            }
            _ => {}
        }
    }
    let invalid = server_bad.len();
    let valid = statements.len() - invalid;
    let fa = 100.0 * false_alarms.len() as f64 / valid.max(1) as f64;
    let me = 100.0 * missed.len() as f64 / invalid.max(1) as f64;
    println!(
        "{name}: {} statements; false alarms {}/{valid} valid = {fa:.2}%; missed errors {}/{invalid} invalid = {me:.2}%",
        statements.len(),
        false_alarms.len(),
        missed.len()
    );
    for f in &false_alarms {
        println!("  false alarm: {f}");
    }
    for m in &missed {
        println!("  missed: {m}");
    }
    (fa, me)
}

const SETUP: &str = "CREATE DATABASE scratch;
CREATE DATABASE db1;
USE scratch;
CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), a INT, b DECIMAL(10,2),
  c VARCHAR(10), created_at DATETIME, doc JSON, body TEXT, KEY idx_a (a), KEY idx_b (b),
  FULLTEXT KEY ft (name, body)) ENGINE=InnoDB;
CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY, t_id INT, a INT);
CREATE TABLE v (id INT);
CREATE TABLE db1.t (id INT);
CREATE TABLE `order` (id INT);
CREATE TABLE `from` (`where` INT);
";

/// Runs every statement of the corpus through one `mariadb --force` client process in a scratch
/// database and returns the numbers (0-based) of the statements the server rejected with 1064.
fn server_syntax_errors(
    db: &Mariadb,
    statements: &[opsdeck::sql::SplitStatement],
) -> HashSet<usize> {
    let mut input = String::from(SETUP);
    let mut line = SETUP.lines().count() + 1;
    let mut spans = Vec::new();
    let mut delimiter = ";".to_string();
    for st in statements {
        if st.delimiter != delimiter {
            input.push_str(&format!("DELIMITER {}\n", st.delimiter));
            line += 1;
            delimiter = st.delimiter.clone();
        }
        let start = line;
        input.push_str(&st.text);
        input.push_str(&format!("\n{delimiter}\n"));
        line += st.text.lines().count() + 1;
        spans.push((start, line - 1));
    }
    if let Some(path) = std::env::var_os("OPSDECK_SQL_CORPUS_DUMP") {
        std::fs::write(path, &input).expect("dump corpus input");
    }
    let mut child = Command::new(support::mariadb::CLIENT)
        .arg("--no-defaults")
        .arg(format!("--socket={}", db.socket.display()))
        .args(["-uroot", "--force", "--batch", "--silent"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mariadb client");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("mariadb client");
    feeder.join().expect("feeder");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut bad = HashSet::new();
    for l in stderr.lines() {
        let Some(rest) = l.strip_prefix("ERROR 1064 (42000) at line ") else {
            continue;
        };
        let n: usize = rest
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        match spans.iter().position(|&(a, b)| a <= n && n <= b) {
            Some(i) => {
                bad.insert(i);
            }
            None => panic!("1064 at line {n} matches no corpus statement: {l}"),
        }
    }
    bad
}

#[test]
fn check_agrees_with_mariadb() {
    if !require_system(MARIADBD) || !require_system(support::mariadb::CLIENT) {
        return;
    }
    let statements = split(CORPUS);
    assert!(
        statements.len() >= 1000,
        "corpus has {} statements",
        statements.len()
    );
    let report = check(CORPUS);
    assert_eq!(report.statements.len(), statements.len());

    let db = Mariadb::start();
    let server_bad = server_syntax_errors(&db, &statements);

    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (i, st) in report.statements.iter().enumerate() {
        let ours_bad = st.status == Status::Error;
        let theirs_bad = server_bad.contains(&i);
        if ours_bad == theirs_bad {
            agree += 1;
        } else {
            let why = report
                .errors
                .iter()
                .chain(report.warnings.iter())
                .find(|d| d.statement == st.number)
                .map(|d| d.message.clone())
                .unwrap_or_default();
            disagreements.push(format!(
                "#{} server={} ours={:?}: {}\n    {}",
                st.number,
                if theirs_bad { "1064" } else { "ok" },
                st.status,
                st.text.replace('\n', " "),
                why
            ));
        }
    }
    let total = statements.len();
    let pct = 100.0 * agree as f64 / total as f64;
    let invalid = server_bad.len();
    println!(
        "sql check agreement with MariaDB: {agree}/{total} = {pct:.2}% ({invalid} statements invalid per server)"
    );
    for d in &disagreements {
        println!("  {d}");
    }
    assert!(pct >= 98.0, "agreement {pct:.2}% below 98%");

    let (fa, _) = rates("corpus", CORPUS, &db);
    assert!(
        fa <= 2.0,
        "false-alarm rate {fa:.2}% above 2% on the corpus"
    );
    let (fa, _) = rates("syntax families", FAMILIES, &db);
    assert!(
        fa <= 2.0,
        "false-alarm rate {fa:.2}% above 2% on the families"
    );
}
