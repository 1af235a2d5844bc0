//! Test helpers for the rule families: run one rule on one statement.

use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use super::{Ctx, Hit, ScoreOptions, ScoreReport, rule};
use crate::sql::split::split;
use crate::sql::tokens::significant;

/// The ids of every finding of a report.
pub fn ids(r: &ScoreReport) -> Vec<String> {
    r.findings().map(|f| f.id.clone()).collect()
}

/// The hits of rule `id` on the first statement of `sql`, with options `opts`.
pub fn hits_with(id: &str, sql: &str, opts: &ScoreOptions) -> Vec<Hit> {
    hits_at(id, sql, 0, opts)
}

/// The hits of rule `id` on statement `index` (0-based) of a script.
pub fn hits_at(id: &str, sql: &str, index: usize, opts: &ScoreOptions) -> Vec<Hit> {
    let r = rule(id).unwrap_or_else(|| panic!("no rule {id}"));
    let check = r
        .check
        .unwrap_or_else(|| panic!("{id} has no offline check"));
    let all = split(sql);
    let altered: std::collections::BTreeSet<String> = all
        .iter()
        .take(index)
        .filter_map(|s| super::alter::altered_table(&significant(&s.text).unwrap_or_default()))
        .collect();
    let st = all.into_iter().nth(index).expect("a statement");
    let toks = significant(&st.text).expect("tokens");
    let ast = Parser::parse_sql(&MySqlDialect {}, &st.text)
        .ok()
        .and_then(|mut v| (v.len() == 1).then(|| v.remove(0)));
    let ctx = Ctx {
        text: &st.text,
        toks: &toks,
        ast: ast.as_ref(),
        terminated: st.terminated,
        delimiter: &st.delimiter,
        opts,
        altered: &altered,
    };
    check(&ctx)
}

/// The hits of rule `id` on the first statement of `sql`.
pub fn hits(id: &str, sql: &str) -> Vec<Hit> {
    hits_with(id, sql, &ScoreOptions::default())
}

/// True when rule `id` finds something in `sql`.
pub fn fires(id: &str, sql: &str) -> bool {
    !hits(id, sql).is_empty()
}

/// Asserts that rule `id` fires on every `yes` and on no `no` statement.
pub fn assert_rule(id: &str, yes: &[&str], no: &[&str]) {
    for s in yes {
        assert!(fires(id, s), "{id} should fire on: {s}");
    }
    for s in no {
        assert!(!fires(id, s), "{id} should not fire on: {s}");
    }
}
