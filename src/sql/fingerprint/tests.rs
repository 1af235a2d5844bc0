//! The scanner against the former regex chain (on generated ASCII input full of the quirks) and
//! against known pt-fingerprint outputs.

use super::*;

#[test]
fn matches_pt_fingerprint_examples() {
    let cases = [
        (
            "SELECT * FROM t1 WHERE a = 1",
            "select * from t? where a = ?",
        ),
        ("select\n  2", "select ?"),
        ("INSERT INTO t VALUES (1),(2)", "insert into t values(?+)"),
        (
            "SELECT * FROM t WHERE id IN (1, 2, 3) AND b = 'x'",
            "select * from t where id in(?+) and b = ?",
        ),
        (
            "SELECT a FROM t ORDER BY a ASC, b ASC LIMIT 5, 10",
            "select a from t order by a, b limit ?",
        ),
        ("USE mydb", "use ?"),
        ("CALL proc(1, 2)", "call proc"),
        ("SELECT 1 /* c */ FROM dual -- x\n", "select ? from dual "),
        (
            "SELECT a FROM t WHERE b IS NULL",
            "select a from t where b is ?",
        ),
        (
            "SELECT 1 UNION SELECT 1 UNION ALL SELECT 1",
            "select ? /*repeat union all*/",
        ),
        // Printed by pt-fingerprint 3.2.1: bytes, not characters; hex letters only in lower case.
        (
            "SELECT Émile FROM t WHERE x = 'é'",
            "select Émile from t where x = ?",
        ),
        (
            "select 0xFF, x'41', index1 from t",
            "select ?ff, ?, inde? from t",
        ),
        ("call p(1)(2)", "call p(1)"),
        (
            "SELECT a FROM t   ORDER BY a  asc,b asc",
            "select a from t order by a,b",
        ),
    ];
    let mut f = Fingerprinter::default();
    for (q, want) in cases {
        assert_eq!(fingerprint(q), want, "{q}");
        assert_eq!(f.fingerprint(q), want, "reused buffers: {q}");
    }
}

#[test]
fn query_id_is_the_md5_tail() {
    let id = query_id("select ?");
    assert_eq!(id.len(), 16);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(id, md5_hex(b"select ?")[16..].to_ascii_uppercase());
}

/// Pieces that trigger every rewrite and the interactions between them.
const PIECES: &[&str] = &[
    "select",
    "SELECT",
    "Select ",
    " ",
    " ",
    " ",
    "\n",
    "\t",
    "\r",
    "\x0b",
    "\x0c",
    "'",
    "'",
    "\"",
    "\\",
    "\\'",
    "/*",
    "*/",
    "/*!",
    "/**/",
    "--",
    "-- ",
    "#",
    "1",
    "23",
    "0x1F",
    "0xab",
    "x",
    "b",
    "X",
    "B",
    "E",
    "xb",
    ".",
    "?",
    "x?",
    "nullb",
    "NULLx",
    "_null",
    "null_",
    "+",
    "-",
    "?",
    "null",
    "NULL",
    "nullx",
    "in",
    "IN",
    "in (",
    "values",
    "VALUE",
    "value",
    "(",
    ")",
    ",",
    "(1, 2)",
    "union",
    " union ",
    "union all",
    " UNION ALL ",
    "limit",
    "LIMIT ?",
    "limit 1, 2",
    " offset ",
    "order by",
    "ORDER BY ",
    "asc",
    " ASC",
    "a",
    "t1",
    "_",
    "insert ",
    "INSERT INTO t ",
    "replace",
    "REPLACE ",
    " ignore",
    " into ",
    "call ",
    "CALL p(",
    "use ",
    "USE db",
    "from",
    "where",
    "=",
    ";",
    "administrator command: ",
    "SELECT /*!40001 SQL_NO_CACHE */ * FROM `",
    "/*db.t:1/2*/",
    "mysqldump",
];

/// A small deterministic generator (xorshift), so a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn agrees_with_the_regex_chain_on_generated_queries() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut f = Fingerprinter::default();
    let mut q = String::new();
    for case in 0..60_000 {
        q.clear();
        let n = 1 + rng.below(30);
        for _ in 0..n {
            q.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let want = reference::fingerprint(&q);
        assert_eq!(f.fingerprint(&q), want, "case {case}: {q:?}");
    }
}

#[test]
fn agrees_with_the_regex_chain_on_realistic_queries() {
    let queries = [
        "SELECT a, b FROM t WHERE c = 1 AND d IN (1, 2,3) ORDER BY a ASC, b DESC LIMIT 10 OFFSET 5",
        "insert into t (a, b) values (1, 'x'), (2, 'y'), (3, NULL)",
        "REPLACE IGNORE INTO t VALUES(1),(2)",
        "INSERT INTO t SELECT * FROM u WHERE values = 1",
        "select * from t where a = \"it\\'s\" and b = 'x\\\"y' -- done\nand c = 2 # more\n",
        "select 1 union select 1 union select 1",
        "(select a from t1) union all (select a from t2)",
        "  \n\tselect  /* hint */  SQL_NO_CACHE a from `t` where b like 'a%' limit ?, ?\n",
        "UPDATE t SET a = a + 1, b = -2.5e10 WHERE id = 0x1f AND bits = b'0101'",
        "DELETE FROM t WHERE x IS NOT NULL AND y IN ((1,2),(3,4))",
        "use `db`\n",
        "call db.proc (1)",
    ];
    for q in queries {
        assert_eq!(fingerprint(q), reference::fingerprint(q), "{q}");
    }
}

#[test]
fn long_and_hostile_inputs_stay_linear() {
    // Each would make a naive rescanning implementation quadratic; a few MB must take well under
    // a second even unoptimised.
    let inputs = [
        "#".repeat(200_000) + "'",
        "/*".repeat(200_000),
        format!("insert into t values ({}", ")".repeat(200_000)),
        format!("select a from t order by {}", "a ".repeat(200_000)),
        "values (".repeat(100_000),
        "select 1 union ".repeat(20_000),
    ];
    let mut f = Fingerprinter::default();
    for q in &inputs {
        let start = std::time::Instant::now();
        let _ = f.fingerprint(q);
        assert!(
            start.elapsed().as_secs_f64() < 5.0,
            "{} bytes starting {:?} took {:?}",
            q.len(),
            &q[..20],
            start.elapsed()
        );
    }
}
