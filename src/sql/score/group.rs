//! GRP.* score rules: GROUP BY.

use sqlparser::ast::{BinaryOperator, Expr, GroupByExpr, Spanned};

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{column_name, column_qualifier, conjuncts, each_select, is_literal, unnest};

pub(super) const RULES: &[Rule] = &[Rule {
    id: "GRP.001",
    level: 2,
    summary: Text {
        en: "GROUP BY a column that WHERE fixes to one value",
        zh: "不建议对等值查询列使用 GROUP BY",
    },
    explain: Text {
        en: "The column is compared for equality with a constant in WHERE, so it has a single value in the result and grouping by it does nothing but cost a sort or temporary table. Drop it from GROUP BY.",
        zh: "GROUP BY 中的列在前面的 WHERE 条件中使用了等值查询，对这样的列进行 GROUP BY 意义不大。",
    },
    check: Some(group_by_fixed_column),
}];

/// `(qualifier, column)` pairs that WHERE fixes: `c = const`, `const = c`, `c IN (const)`.
fn fixed_columns(w: &Expr) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for e in conjuncts(w) {
        match unnest(e) {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                for (col, val) in [(left, right), (right, left)] {
                    if let Some(n) = column_name(col)
                        && is_literal(val)
                    {
                        out.push((column_qualifier(col), n));
                    }
                }
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } if list.len() == 1 && list.iter().all(is_literal) => {
                if let Some(n) = column_name(expr) {
                    out.push((column_qualifier(expr), n));
                }
            }
            _ => {}
        }
    }
    out
}

/// GRP.001: a GROUP BY column that the same SELECT's WHERE compares with `=` to a constant.
fn group_by_fixed_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        let (Some(w), GroupByExpr::Expressions(exprs, _)) = (&s.selection, &s.group_by) else {
            return;
        };
        let fixed = fixed_columns(w);
        for g in exprs {
            let Some(name) = column_name(g) else { continue };
            let qual = column_qualifier(g);
            let same = fixed
                .iter()
                .any(|(q, n)| *n == name && (q.is_none() || qual.is_none() || *q == qual));
            if same {
                out.push(Hit::span(g.span()).with(name));
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn grp_001_group_by_fixed_column() {
        assert_rule(
            "GRP.001",
            &[
                "SELECT film_id, title FROM film WHERE release_year = '2006' GROUP BY release_year",
                "SELECT f.a FROM film f WHERE 3 = f.a AND b > 1 GROUP BY f.a",
                "SELECT a FROM t WHERE a IN (1) GROUP BY t.a",
                "SELECT x FROM u WHERE x IN (SELECT a FROM t WHERE a = 1 GROUP BY a)",
            ],
            &[
                "SELECT a FROM t WHERE a > 1 GROUP BY a",
                "SELECT a FROM t WHERE a = 1 OR b = 2 GROUP BY a",
                "SELECT a FROM t WHERE b = 1 GROUP BY a",
                "SELECT a FROM t, u WHERE t.a = 1 GROUP BY u.a",
                "SELECT a FROM t WHERE a IN (1, 2) GROUP BY a",
            ],
        );
        let h = hits("GRP.001", "SELECT a FROM t WHERE a = 1 GROUP BY a");
        assert_eq!(h[0].at, Some((1, 38)));
        assert_eq!(h[0].detail.as_deref(), Some("a"));
    }
}
