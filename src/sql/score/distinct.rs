//! DIS.* score rules: DISTINCT.

use sqlparser::ast::{Distinct, Expr, SelectItem, Spanned, Statement, TableFactor};

use super::arg::dedup;
use super::function::{arg_list, func_name, is_distinct};
use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{each_expr_of, each_select, factors, kind};
use crate::sql::tokens::word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "DIS.001",
        level: 1,
        summary: Text {
            en: "too many DISTINCT: remove unnecessary ones",
            zh: "消除不必要的 DISTINCT 条件",
        },
        explain: Text {
            en: "Many DISTINCTs in one query are a symptom of a spaghetti query; each one sorts or hashes the rows. Split the query into simpler ones and drop the DISTINCTs that change nothing (e.g. when the primary key is in the result).",
            zh: "太多DISTINCT条件是复杂的裹脚布式查询的症状。考虑将复杂查询分解成许多简单的查询，并减少DISTINCT条件的数量。如果主键列是列的结果集的一部分，则DISTINCT条件可能没有影响。",
        },
        check: Some(too_many_distinct),
    },
    Rule {
        id: "DIS.002",
        level: 3,
        summary: Text {
            en: "COUNT(DISTINCT) on several columns",
            zh: "COUNT(DISTINCT) 多列时结果可能和你预想的不同",
        },
        explain: Text {
            en: "COUNT(DISTINCT a, b) skips every row where any of the columns is NULL, so it can return 0 although b has distinct values. Count the columns separately, or wrap nullable columns in IFNULL().",
            zh: "COUNT(DISTINCT col) 计算该列除NULL之外的不重复行数，注意 COUNT(DISTINCT col, col2) 如果其中一列全为 NULL 那么即使另一列有不同的值，也返回0。",
        },
        check: Some(count_distinct_columns),
    },
    Rule {
        id: "DIS.003",
        level: 3,
        summary: Text {
            en: "DISTINCT * on a table with a primary key",
            zh: "DISTINCT * 对有主键的表没有意义",
        },
        explain: Text {
            en: "When the table has a primary key every row is already unique, so DISTINCT * only adds a sort. Whether the table has one needs a live database; offline every `SELECT DISTINCT *` (or `t.*`) on a single table is reported. Remove the DISTINCT.",
            zh: "当表已经有主键时，对所有列进行 DISTINCT 的输出结果与不进行 DISTINCT 操作的结果相同，请不要画蛇添足。离线检查无法确认表是否有主键，单表上的 SELECT DISTINCT * 均会提示。",
        },
        check: Some(distinct_star),
    },
];

/// DIS.001: a SELECT statement with more than `max_distinct_count` DISTINCT keywords.
fn too_many_distinct(c: &Ctx) -> Vec<Hit> {
    if !matches!(c.ast, Some(Statement::Query(_))) {
        return Vec::new();
    }
    let distinct: Vec<_> = c
        .toks
        .iter()
        .filter(|t| word(t).as_deref() == Some("DISTINCT"))
        .collect();
    let max = c.opts.max_distinct_count;
    match distinct.get(max) {
        Some(t) => vec![Hit::tok(t).with(format!("{} DISTINCT", distinct.len()))],
        None => Vec::new(),
    }
}

/// DIS.002: COUNT(DISTINCT a, b, ...).
fn count_distinct_columns(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::FUNCTION, |e| {
        if let Expr::Function(f) = e
            && func_name(f) == "count"
            && let Some(l) = arg_list(f)
            && is_distinct(l)
            && l.args.len() > 1
        {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

/// DIS.003: `SELECT DISTINCT *` (or `t.*`) from a single table.
fn distinct_star(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        if !matches!(s.distinct, Some(Distinct::Distinct)) {
            return;
        }
        let tables = factors(&s.from);
        if tables.len() != 1 || !matches!(tables.first(), Some(TableFactor::Table { .. })) {
            return;
        }
        for item in &s.projection {
            if let SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) = item {
                out.push(Hit::span(o.wildcard_token.0.span).with(item.to_string()));
            }
        }
    });
    dedup(out)
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn dis_001_too_many_distinct() {
        let six = "SELECT DISTINCT c.c_id, count(DISTINCT c.c_name), count(DISTINCT c.c_e), \
                   count(DISTINCT c.c_n), count(DISTINCT c.c_me), c.c_d \
                   FROM (SELECT DISTINCT id, name FROM B) AS e WHERE e.country_id = c.country_id";
        assert_rule(
            "DIS.001",
            &[six],
            &[
                "SELECT DISTINCT a FROM t",
                "SELECT COUNT(DISTINCT a), COUNT(DISTINCT b) FROM t",
            ],
        );
        let opts = ScoreOptions {
            max_distinct_count: 1,
            ..ScoreOptions::default()
        };
        let h = hits_with(
            "DIS.001",
            "SELECT DISTINCT a, COUNT(DISTINCT b) FROM t",
            &opts,
        );
        assert_eq!(h[0].at, Some((1, 26)));
        assert_eq!(h[0].detail.as_deref(), Some("2 DISTINCT"));
    }

    #[test]
    fn dis_002_count_distinct_columns() {
        assert_rule(
            "DIS.002",
            &[
                "SELECT COUNT(DISTINCT col, col2) FROM tbl",
                "SELECT a FROM t WHERE b > (SELECT COUNT(DISTINCT x, y) FROM u)",
            ],
            &[
                "SELECT COUNT(DISTINCT col) FROM tbl",
                "SELECT COUNT(*) FROM tbl",
            ],
        );
        assert_eq!(
            hits("DIS.002", "SELECT a, COUNT(DISTINCT b, c) FROM t")[0].at,
            Some((1, 11))
        );
    }

    #[test]
    fn dis_003_distinct_star() {
        assert_rule(
            "DIS.003",
            &[
                "SELECT DISTINCT * FROM film",
                "SELECT DISTINCT f.* FROM film f",
            ],
            &[
                "SELECT * FROM film",
                "SELECT DISTINCT a FROM film",
                "SELECT DISTINCT * FROM film, actor",
            ],
        );
        assert_eq!(
            hits("DIS.003", "SELECT DISTINCT * FROM film")[0].at,
            Some((1, 17))
        );
    }
}
