//! The deepest statements `limits` accepts, parsed, checked, scored, advised, formatted and
//! fingerprinted on the smallest stack opsdeck analyses SQL on, and one level deeper refused.
//!
//! sqlparser is built without its `recursive-protection` feature (stack probes at every
//! recursive call), so only `limits` (the depth bounds, and `with_stack` once per analysis)
//! stands between hostile nesting and a stack overflow in the parser, the score rules' tree
//! walks, `Display` and the tree's `Drop`. The console's live checks run on tokio blocking
//! threads (2 MiB stacks, like any spawned std thread); the command line uses the 8 MiB main
//! thread and the server's job threads have 64 MiB. In the debug build, whose frames are the
//! largest, the deepest of these statements need more than 8 MiB: without `with_stack` this test
//! overflows even an 8 MiB thread.

use super::limits::{self, MAX_DEPTH};
use crate::model::Lang;

/// The smallest stack SQL analysis runs on: tokio's blocking threads and std's spawned threads.
const SMALLEST_STACK: usize = 2 << 20;

/// A statement nesting `n` levels.
type Shape = fn(usize) -> String;

/// Statement shapes that nest one level more with each `n`.
fn shapes() -> Vec<(&'static str, Shape)> {
    vec![
        ("parentheses", |n| {
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n))
        }),
        ("right-nested parentheses", |n| {
            format!("SELECT {}1{}", "(1 + ".repeat(n), ")".repeat(n))
        }),
        ("plus chain", |n| format!("SELECT 1{}", " + 1".repeat(n))),
        ("AND chain", |n| {
            let mut s = String::from("SELECT * FROM t WHERE a = 0");
            for i in 1..=n {
                s.push_str(&format!(" AND a{i} = {i}"));
            }
            s
        }),
        ("OR chain in DELETE", |n| {
            let mut s = String::from("DELETE FROM t WHERE a = 0");
            for i in 1..=n {
                s.push_str(&format!(" OR a LIKE '%{i}'"));
            }
            s
        }),
        ("UNION chain", |n| {
            let mut s = String::from("SELECT a FROM t WHERE a = 0");
            for i in 1..=n {
                s.push_str(&format!(" UNION SELECT a FROM t{i} WHERE a = {i}"));
            }
            s
        }),
        ("IN subqueries", |n| {
            format!(
                "SELECT a FROM t WHERE {}1{}",
                "a IN (SELECT a FROM t WHERE ".repeat(n),
                ")".repeat(n)
            )
        }),
        ("derived tables", |n| {
            format!(
                "SELECT * FROM {}t{}",
                "(SELECT * FROM ".repeat(n),
                ") AS d".repeat(n)
            )
        }),
        ("function calls", |n| {
            format!("SELECT {}c{}", "CONCAT(".repeat(n), ", 'x')".repeat(n))
        }),
        ("CASE", |n| {
            format!(
                "SELECT {}0{} FROM t",
                "CASE WHEN a = 1 THEN (".repeat(n),
                ") ELSE 2 END".repeat(n)
            )
        }),
        ("NOT", |n| {
            format!("SELECT * FROM t WHERE {}a", "NOT ".repeat(n))
        }),
        ("unary minus", |n| format!("SELECT {}1", "- ".repeat(n))),
        ("chain in nested subqueries", |n| {
            format!(
                "SELECT a FROM t WHERE {}b = 1{}{}",
                "a IN (SELECT a FROM t WHERE ".repeat(20),
                " OR b = 1".repeat(n),
                ")".repeat(20)
            )
        }),
        ("INSERT … SELECT chain", |n| {
            format!(
                "INSERT INTO t (a) SELECT a FROM s WHERE a = 1{}",
                " AND b = 2".repeat(n)
            )
        }),
    ]
}

/// Whether `limits::parse` accepts the text. sqlparser reports its recursion limit inside a
/// CASE as a plain syntax error, so any error counts as refused; [`deepest`] checks that the
/// refusal comes at a real depth.
fn accepted(sql: &str) -> bool {
    limits::parse(sql).is_ok()
}

/// The largest `n` whose statement `limits::parse` accepts (it accepts every smaller one).
fn deepest(make: Shape) -> usize {
    let (mut lo, mut hi) = (1, 4 * MAX_DEPTH);
    assert!(accepted(&make(lo)), "{}", make(lo));
    assert!(!accepted(&make(hi)), "{hi} levels accepted");
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if accepted(&make(mid)) {
            lo = mid
        } else {
            hi = mid
        }
    }
    assert!(
        lo >= 40,
        "refused at {} levels: {:?}",
        lo + 1,
        limits::parse(&make(lo + 1))
    );
    lo
}

/// Runs every analysis of opsdeck over `sql`, including `Display` and `Drop` of its tree.
fn analyse_everything(sql: &str) {
    // As a caller walking its own tree would: inside `with_stack`.
    limits::with_stack(|| {
        let stmts = limits::parse(sql).expect("accepted");
        let shown: String = stmts.iter().map(|s| s.to_string()).collect();
        assert!(!shown.is_empty());
        drop(stmts);
    });
    assert!(!crate::modules::sql_optimize::statement_tables(sql).is_empty() || !sql.contains(" t"));
    let check = super::check_in(sql, Lang::En);
    assert!(!check.has_errors(), "{:?}", check.errors);
    let score = super::score::score(sql, &Default::default(), Lang::En);
    assert_eq!(score.statements.len(), 1);
    assert!(
        score.statements[0]
            .findings
            .iter()
            .all(|f| f.id != "ERR.000"),
        "{:?}",
        score.statements[0].findings
    );
    let _ = super::advise::advise(sql, None, Lang::En);
    assert!(!super::format(sql).is_empty());
    assert!(!super::fingerprint(sql).is_empty());
}

#[test]
fn the_deepest_accepted_statements_are_analysed_on_a_2_mib_stack_and_deeper_ones_refused() {
    let worker = std::thread::Builder::new()
        .name("deep-sql".into())
        .stack_size(SMALLEST_STACK)
        .spawn(|| {
            let mut report = Vec::new();
            for (name, make) in shapes() {
                let n = deepest(make);
                analyse_everything(&make(n));
                // One level more is refused cleanly, by every entry point.
                let over = make(n + 1);
                let check = super::check_in(&over, Lang::En);
                assert!(check.has_errors(), "{name}: {} levels accepted", n + 1);
                let score = super::score::score(&over, &Default::default(), Lang::En);
                assert!(
                    score.statements[0]
                        .findings
                        .iter()
                        .any(|f| f.id == "ERR.000")
                );
                let _ = super::advise::advise(&over, None, Lang::En);
                report.push(format!("{name}: {n}"));
            }
            report
        })
        .expect("thread");
    let report = worker
        .join()
        .expect("no overflow, no panic on the 2 MiB thread");
    // Every shape reached a real depth, not a parse error at a shallow level.
    assert_eq!(report.len(), shapes().len());
    println!("deepest accepted: {}", report.join(", "));
}
