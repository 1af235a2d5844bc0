//! Tests of the index advisor, offline and with live metadata.

use super::*;

fn cols(sql: &str) -> Vec<(String, Vec<String>)> {
    advise(sql, None, Lang::En)
        .advice
        .into_iter()
        .map(|a| (a.table, a.columns))
        .collect()
}

fn one(t: &str, c: &[&str]) -> (String, Vec<String>) {
    (t.to_string(), c.iter().map(|s| s.to_string()).collect())
}

#[test]
fn equality_columns_first_then_one_range_column() {
    assert_eq!(
        cols(
            "SELECT * FROM orders WHERE created > '2024-01-01' AND user_id = 7 AND status = 'paid' AND amount < 10"
        ),
        [one("orders", &["user_id", "status", "created"])]
    );
}

#[test]
fn ddl_and_reasons() {
    let r = advise(
        "SELECT id FROM shop.orders WHERE user_id = 1 AND created >= NOW() - INTERVAL 1 DAY",
        None,
        Lang::En,
    );
    // `created >= NOW() - …` compares to an expression, not a value: only user_id qualifies.
    assert_eq!(r.advice.len(), 1);
    assert_eq!(
        r.advice[0].ddl,
        "ALTER TABLE `shop`.`orders` ADD INDEX `idx_user_id` (`user_id`);"
    );
    assert!(r.advice[0].reasons[0].contains("equality"));
    let zh = advise("SELECT id FROM t WHERE a = 1", None, Lang::Zh);
    assert!(zh.advice[0].reasons[0].contains("等值"));
}

#[test]
fn group_by_only_without_a_range() {
    assert_eq!(
        cols("SELECT a, COUNT(*) FROM t WHERE b = 1 GROUP BY a"),
        [one("t", &["b", "a"])]
    );
    assert_eq!(
        cols("SELECT a, COUNT(*) FROM t WHERE b = 1 AND c > 5 GROUP BY a"),
        [one("t", &["b", "c"])]
    );
}

#[test]
fn order_by_only_when_one_direction_and_no_range() {
    assert_eq!(
        cols("SELECT * FROM t WHERE b = 1 ORDER BY c, d"),
        [one("t", &["b", "c", "d"])]
    );
    assert_eq!(
        cols("SELECT * FROM t WHERE b = 1 ORDER BY c ASC, d DESC"),
        [one("t", &["b"])]
    );
    assert_eq!(
        cols("SELECT * FROM t WHERE b > 1 ORDER BY c"),
        [one("t", &["b"])]
    );
}

#[test]
fn join_column_goes_on_the_driven_table() {
    let got = cols(
        "SELECT o.id FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email = 'a@b' AND o.status = 'new'",
    );
    assert!(got.contains(&one("users", &["email"])), "{got:?}");
    assert!(
        got.contains(&one("orders", &["status", "user_id"]))
            || got.contains(&one("orders", &["user_id", "status"])),
        "{got:?}"
    );
    assert!(
        !got.iter()
            .any(|(t, c)| t == "users" && c.contains(&"id".to_string())),
        "{got:?}"
    );
}

#[test]
fn unusable_conditions_are_explained_not_indexed() {
    let r = advise(
        "SELECT * FROM t WHERE DATE(created) = '2024-01-01' AND name LIKE '%x' AND k NOT IN (1,2)",
        None,
        Lang::En,
    );
    assert!(r.advice.is_empty(), "{:?}", r.advice);
    let notes: Vec<&str> = r.notes.iter().map(|n| n.text.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`created` is wrapped in a function")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("starts with a wildcard")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("negative condition on `k`")),
        "{notes:?}"
    );
}

#[test]
fn ambiguous_columns_ask_for_a_qualifier() {
    let r = advise("SELECT * FROM a, b WHERE x = 1", None, Lang::En);
    assert!(r.advice.is_empty());
    assert!(r.notes[0].text.contains("qualify it"));
}

#[test]
fn update_delete_and_subqueries_are_advised() {
    assert_eq!(cols("UPDATE t SET a = 1 WHERE b = 2"), [one("t", &["b"])]);
    assert_eq!(
        cols("DELETE FROM t WHERE c BETWEEN 1 AND 5"),
        [one("t", &["c"])]
    );
    let got = cols("SELECT * FROM t WHERE id IN (SELECT tid FROM u WHERE k = 3)");
    assert!(got.contains(&one("u", &["k"])), "{got:?}");
}

#[test]
fn nothing_to_index_gives_nothing() {
    assert!(cols("SELECT 1").is_empty());
    assert!(cols("SELECT * FROM t").is_empty());
    assert!(cols("INSERT INTO t VALUES (1)").is_empty());
    let r = advise("CREATE PROCEDURE p() BEGIN SELECT 1; END", None, Lang::En);
    assert!(r.advice.is_empty());
}

fn live() -> LiveMeta {
    let mut m = LiveMeta::default();
    let mut t = TableMeta {
        rows: Some(100_000),
        ..Default::default()
    };
    t.cardinality.insert("status".into(), 4);
    t.cardinality.insert("user_id".into(), 50_000);
    t.cardinality.insert("id".into(), 100_000);
    t.indexes.push(IndexMeta {
        name: "PRIMARY".into(),
        columns: vec!["id".into()],
        unique: true,
    });
    t.indexes.push(IndexMeta {
        name: "idx_email".into(),
        columns: vec!["email".into(), "name".into()],
        unique: true,
    });
    m.tables.insert("orders".into(), t);
    m
}

#[test]
fn live_cardinality_orders_equality_columns() {
    let r = advise(
        "SELECT * FROM orders WHERE status = 'new' AND user_id = 3",
        Some(&live()),
        Lang::En,
    );
    assert!(r.live);
    assert_eq!(r.advice[0].columns, ["user_id", "status"]);
    assert!(r.advice[0].reasons[0].contains("cardinality"));
}

#[test]
fn live_existing_index_suppresses_advice() {
    let r = advise(
        "SELECT * FROM orders WHERE email = 'x'",
        Some(&live()),
        Lang::En,
    );
    assert!(r.advice.is_empty());
    assert!(r.notes[0].text.contains("idx_email"), "{:?}", r.notes);
    let r = advise("SELECT * FROM orders WHERE id = 5", Some(&live()), Lang::En);
    assert!(r.advice.is_empty());
}

#[test]
fn live_low_selectivity_is_flagged() {
    let r = advise(
        "SELECT * FROM orders WHERE status = 'x'",
        Some(&live()),
        Lang::En,
    );
    assert_eq!(r.advice[0].columns, ["status"]);
    assert!(
        r.advice[0]
            .reasons
            .iter()
            .any(|x| x.contains("selective enough"))
    );
}

#[test]
fn live_metadata_resolves_unqualified_columns() {
    let r = advise(
        "SELECT * FROM orders, users WHERE user_id = 1",
        Some(&live()),
        Lang::En,
    );
    assert_eq!(r.advice[0].table, "orders");
}

#[test]
fn long_index_names_are_cut_to_64() {
    let long = "c".repeat(40);
    let sql = format!("SELECT * FROM t WHERE {long}1 = 1 AND {long}2 = 2");
    let r = advise(&sql, None, Lang::En);
    let name = r.advice[0].ddl.split('`').nth(3).unwrap();
    assert_eq!(name.len(), 64);
}
