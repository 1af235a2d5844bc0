//! `opsdeck::sql::format` over the whole corpus: every statement sqlparser parses must parse to
//! the same tree after formatting, and comments must survive.

use opsdeck::sql::{format_statement, split};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

const CORPUS: &str = include_str!("fixtures/sql/corpus.sql");

#[test]
fn formatting_keeps_the_parse_tree_over_the_corpus() {
    let d = MySqlDialect {};
    let mut checked = 0;
    let mut changed = Vec::new();
    for st in split(CORPUS) {
        let Ok(before) = Parser::parse_sql(&d, &st.text) else {
            continue;
        };
        let formatted = format_statement(&st.text);
        match Parser::parse_sql(&d, &formatted) {
            Ok(after) if after == before => {}
            _ => changed.push(format!("{}\n=>\n{formatted}", st.text)),
        }
        checked += 1;
    }
    println!(
        "format kept the tree of {}/{checked} statements",
        checked - changed.len()
    );
    assert!(checked >= 700, "only {checked} statements parsed");
    assert!(
        changed.is_empty(),
        "tree changed:\n{}",
        changed.join("\n---\n")
    );
}

#[test]
fn never_panics_on_truncated_input() {
    for (n, st) in split(CORPUS).iter().enumerate() {
        if n % 7 != 0 {
            continue;
        }
        let text = &st.text;
        for (i, _) in text.char_indices() {
            let part = &text[..i];
            let _ = opsdeck::sql::check(part);
            let _ = opsdeck::sql::fingerprint(part);
            let _ = format_statement(part);
        }
    }
}
