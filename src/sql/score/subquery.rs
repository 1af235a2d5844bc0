//! SUB.* score rules: subqueries and UNION.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Distinct, Expr, Query, SetExpr, SetOperator, Spanned, Statement, Visit, Visitor,
};

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{each_expr_of, each_query, each_select, kind};
use crate::sql::tokens::is_word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "SUB.001",
        level: 4,
        summary: Text {
            en: "subquery: MySQL optimizes subqueries poorly",
            zh: "MySQL 对子查询的优化效果不佳",
        },
        explain: Text {
            en: "MySQL may execute a subquery once for every row of the outer query (a dependent subquery), a common cause of severe slowness; 5.6+ improves some cases but not all. Rewrite `IN (SELECT …)`, `EXISTS (…)` and scalar subqueries as JOIN or LEFT OUTER JOIN.",
            zh: "MySQL 将外部查询中的每一行作为依赖子查询执行子查询。这是导致严重性能问题的常见原因。这可能会在 MySQL 5.6 版本中得到改善，但对于 5.1 及更早版本，建议将该类查询分别重写为 JOIN 或 LEFT OUTER JOIN。",
        },
        check: Some(subquery),
    },
    Rule {
        id: "SUB.002",
        level: 2,
        summary: Text {
            en: "UNION: use UNION ALL if duplicates do not matter",
            zh: "如果您不在乎重复的话，建议使用 UNION ALL 替代 UNION",
        },
        explain: Text {
            en: "UNION removes duplicate rows, which needs a temporary table and a sort or hash of the whole result. If the branches cannot overlap or duplicates are fine, UNION ALL is much cheaper.",
            zh: "与去除重复的 UNION 不同，UNION ALL 允许重复元组。如果您不关心重复元组，那么使用 UNION ALL 将是一个更快的选项。",
        },
        check: Some(union_distinct),
    },
    Rule {
        id: "SUB.003",
        level: 3,
        summary: Text {
            en: "use EXISTS instead of DISTINCT over a join",
            zh: "考虑使用 EXISTS 而不是 DISTINCT 子查询",
        },
        explain: Text {
            en: "`SELECT DISTINCT c.* FROM c, e WHERE e.c_id = c.c_id` joins every matching row and then sorts them to drop the duplicates. A semi-join `SELECT … FROM c WHERE EXISTS (SELECT 1 FROM e WHERE e.c_id = c.c_id)` stops at the first match.",
            zh: "DISTINCT 关键字在对元组排序后删除重复。相反，考虑使用一个带有 EXISTS 关键字的子查询，您可以避免返回整个表。",
        },
        check: Some(distinct_join),
    },
    Rule {
        id: "SUB.004",
        level: 3,
        summary: Text {
            en: "nested-loop join depth too deep in the execution plan",
            zh: "执行计划中嵌套连接深度过深",
        },
        explain: Text {
            en: "MySQL executes dependent subqueries once per outer row; deeply nested ones multiply that cost. The depth is read from EXPLAIN, so this rule needs a live database and is skipped offline.",
            zh: "MySQL 对子查询的优化效果不佳，MySQL 将外部查询中的每一行作为依赖子查询执行子查询，这是导致严重性能问题的常见原因。嵌套深度需要从 EXPLAIN 执行计划中获得，需连接数据库，离线评分时跳过。",
        },
        check: None,
    },
    Rule {
        id: "SUB.005",
        level: 8,
        summary: Text {
            en: "LIMIT in an IN/ALL/ANY/SOME subquery is not supported",
            zh: "子查询不支持 LIMIT",
        },
        explain: Text {
            en: "MySQL rejects `IN (SELECT … LIMIT n)` (and ALL/ANY/SOME) with 'This version of MySQL doesn't yet support LIMIT & IN/ALL/ANY/SOME subquery'. Wrap the limited query in a derived table, or rewrite it as a JOIN.",
            zh: "当前 MySQL 版本不支持在子查询中进行 'LIMIT & IN/ALL/ANY/SOME'。请把带 LIMIT 的查询包在派生表中，或改写为 JOIN。",
        },
        check: Some(subquery_limit),
    },
    Rule {
        id: "SUB.006",
        level: 2,
        summary: Text {
            en: "function in a subquery",
            zh: "不建议在子查询中使用函数",
        },
        explain: Text {
            en: "A subquery is executed as a dependent subquery for each outer row; a function in it cannot use indexes and makes even a semi-join inefficient. Rewrite the subquery as an OUTER JOIN and filter with the join condition.",
            zh: "MySQL 将外部查询中的每一行作为依赖子查询执行子查询，如果在子查询中使用函数，即使是 semi-join 也很难进行高效的查询。可以将子查询重写为 OUTER JOIN 语句并用连接条件对数据进行过滤。",
        },
        check: Some(function_in_subquery),
    },
    Rule {
        id: "SUB.007",
        level: 2,
        summary: Text {
            en: "UNION with an outer LIMIT: add LIMIT to the inner queries too",
            zh: "外层带有 LIMIT 输出限制的 UNION 联合查询，其内层查询建议也添加 LIMIT 输出限制",
        },
        explain: Text {
            en: "MySQL does not push an outer LIMIT down into the branches of a UNION: `(SELECT … ORDER BY name) UNION ALL (SELECT … ORDER BY name) LIMIT 20` materialises both branches in full. Add `LIMIT 20` to each branch as well.",
            zh: "有时 MySQL 无法将限制条件从外层“下推”到内层，这会使得原本能够限制部分返回结果的条件无法应用到内层查询的优化上。比如：(SELECT * FROM tb1 ORDER BY name) UNION ALL (SELECT * FROM tb2 ORDER BY name) LIMIT 20; MySQL 会将两个子查询的结果放在一个临时表里，然后再取出 20 条结果，可以通过在两个子查询中添加 LIMIT 20 来减少临时表中的数据。",
        },
        check: Some(union_outer_limit),
    },
];

/// SUB.001: a subquery inside an expression (`IN (SELECT …)`, `EXISTS (…)`, scalar subquery).
fn subquery(c: &Ctx) -> Vec<Hit> {
    match c.ast {
        Some(stmt) => subquery_exprs(stmt),
        None => Vec::new(),
    }
}

/// Every subquery expression (`(SELECT …)`, `IN (SELECT …)`, `EXISTS`) of `stmt`, in tree order.
pub(super) fn subquery_exprs(stmt: &Statement) -> Vec<Hit> {
    let mut out = Vec::new();
    each_expr_of(
        stmt,
        kind::SUBQUERY | kind::IN_SUBQUERY | kind::EXISTS,
        |e| {
            if matches!(
                e,
                Expr::Subquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. }
            ) {
                out.push(Hit::span(e.span()));
            }
        },
    );
    out
}

/// SUB.002: `UNION` without `ALL` (the tokens; `UNION DISTINCT` included).
fn union_distinct(c: &Ctx) -> Vec<Hit> {
    if c.ast.is_none() {
        return Vec::new();
    }
    (0..c.toks.len())
        .filter(|&i| is_word(c.toks, i, "UNION") && !is_word(c.toks, i + 1, "ALL"))
        .filter_map(|i| c.toks.get(i).map(Hit::tok))
        .collect()
}

/// SUB.003: `SELECT DISTINCT` over more than one table.
fn distinct_join(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        let tables = s.from.len() + s.from.iter().map(|t| t.joins.len()).sum::<usize>();
        if matches!(s.distinct, Some(Distinct::Distinct)) && tables > 1 {
            out.push(Hit::span(s.select_token.0.span));
        }
    });
    out
}

/// True when a query (or the parenthesised query that is its body) has a LIMIT.
fn has_limit(q: &Query) -> bool {
    q.limit_clause.is_some() || matches!(q.body.as_ref(), SetExpr::Query(inner) if has_limit(inner))
}

/// SUB.005: `IN (SELECT … LIMIT n)` or `op ANY/ALL/SOME (SELECT … LIMIT n)`.
fn subquery_limit(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::IN_SUBQUERY | kind::ANY_ALL, |e| {
        let q = match e {
            Expr::InSubquery { subquery, .. } => Some(subquery.as_ref()),
            Expr::AnyOp { right, .. } | Expr::AllOp { right, .. } => match right.as_ref() {
                Expr::Subquery(q) => Some(q.as_ref()),
                _ => None,
            },
            _ => None,
        };
        if let Some(q) = q
            && has_limit(q)
        {
            out.push(Hit::span(e.span()));
        }
    });
    out
}

struct Functions {
    base: usize,
    depth: usize,
    out: Vec<Hit>,
}

impl Visitor for Functions {
    type Break = ();
    fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }
    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if self.depth > self.base
            && let Expr::Function(f) = e
        {
            self.out.push(Hit::span(f.span()).with(f.name.to_string()));
        }
        ControlFlow::Continue(())
    }
}

/// SUB.006: a function call inside a subquery or derived table.
fn function_in_subquery(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    // Statements whose own body is a query: that query is not a subquery.
    let base = match stmt {
        Statement::Query(_)
        | Statement::Insert(_)
        | Statement::CreateView(_)
        | Statement::CreateTable(_) => 1,
        _ => 0,
    };
    let mut v = Functions {
        base,
        depth: 0,
        out: Vec::new(),
    };
    let _ = stmt.visit(&mut v);
    v.out
}

/// The branches of a UNION that have no LIMIT of their own.
fn unlimited_branches<'a>(body: &'a SetExpr, out: &mut Vec<&'a SetExpr>) {
    match body {
        SetExpr::SetOperation {
            op: SetOperator::Union,
            left,
            right,
            ..
        } => {
            unlimited_branches(left, out);
            unlimited_branches(right, out);
        }
        SetExpr::Query(q) if has_limit(q) => {}
        other => out.push(other),
    }
}

/// SUB.007: `… UNION … LIMIT n` where a branch has no LIMIT.
fn union_outer_limit(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        if q.limit_clause.is_none()
            || !matches!(
                q.body.as_ref(),
                SetExpr::SetOperation {
                    op: SetOperator::Union,
                    ..
                }
            )
        {
            return;
        }
        let mut branches = Vec::new();
        unlimited_branches(&q.body, &mut branches);
        for b in branches {
            out.push(Hit::span(b.span()));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn sub_001_subquery() {
        assert_rule(
            "SUB.001",
            &[
                "select col1,col2,col3 from table1 where col2 in(select col from table2)",
                "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
                "SELECT (SELECT max(a) FROM u) FROM t",
                "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u)",
            ],
            &[
                "SELECT * FROM t JOIN u ON t.a = u.a",
                "SELECT * FROM (SELECT a FROM t) AS d",
            ],
        );
        assert_eq!(
            hits("SUB.001", "SELECT id FROM t WHERE id IN (SELECT id FROM u)")[0].at,
            Some((1, 24))
        );
    }

    #[test]
    fn sub_002_union_distinct() {
        assert_rule(
            "SUB.002",
            &[
                "select teacher_id as id from t1 union select student_id as id from t2",
                "SELECT a FROM t UNION DISTINCT SELECT a FROM u",
            ],
            &[
                "SELECT a FROM t UNION ALL SELECT a FROM u",
                "SELECT 'union' FROM t",
            ],
        );
    }

    #[test]
    fn sub_003_distinct_join() {
        assert_rule(
            "SUB.003",
            &[
                "SELECT DISTINCT c.c_id, c.c_name FROM c,e WHERE e.c_id = c.c_id",
                "SELECT DISTINCT c.c_id FROM c JOIN e ON e.c_id = c.c_id",
            ],
            &[
                "SELECT DISTINCT c_id FROM c",
                "SELECT c.c_id FROM c, e WHERE e.c_id = c.c_id",
            ],
        );
    }

    #[test]
    fn sub_004_needs_a_live_database() {
        let r = super::super::rule("SUB.004").expect("SUB.004");
        assert!(r.check.is_none());
        assert!(r.explain.en.contains("live database"));
    }

    #[test]
    fn sub_005_subquery_limit() {
        assert_rule(
            "SUB.005",
            &[
                "SELECT * FROM staff WHERE name IN (SELECT NAME FROM customer ORDER BY name LIMIT 1)",
                "SELECT * FROM t WHERE a > ALL (SELECT a FROM u LIMIT 3)",
                "SELECT * FROM t WHERE a NOT IN (SELECT a FROM u LIMIT 3)",
            ],
            &[
                "SELECT * FROM (SELECT a FROM u LIMIT 3) d",
                "SELECT * FROM t WHERE a IN (SELECT a FROM u)",
                "SELECT * FROM t WHERE a = (SELECT a FROM u LIMIT 1)",
            ],
        );
    }

    #[test]
    fn sub_006_function_in_subquery() {
        assert_rule(
            "SUB.006",
            &[
                "SELECT * FROM staff WHERE name IN (SELECT max(NAME) FROM customer)",
                "SELECT * FROM (SELECT upper(a) AS a FROM t) d",
                "UPDATE t SET a = (SELECT count(*) FROM u)",
                "INSERT INTO t SELECT * FROM u WHERE a IN (SELECT lower(b) FROM v)",
            ],
            &[
                "SELECT max(a) FROM t WHERE b IN (SELECT b FROM u)",
                "INSERT INTO t SELECT upper(a) FROM u",
                "SELECT now()",
            ],
        );
        assert_eq!(
            hits(
                "SUB.006",
                "SELECT * FROM t WHERE a IN (SELECT max(b) FROM u)"
            )[0]
            .detail
            .as_deref(),
            Some("max")
        );
    }

    #[test]
    fn sub_007_union_outer_limit() {
        assert_rule(
            "SUB.007",
            &[
                "(SELECT * FROM tb1 ORDER BY name) UNION ALL (SELECT * FROM tb2 ORDER BY name) LIMIT 20",
                "SELECT a FROM t UNION SELECT a FROM u LIMIT 5",
                "(SELECT a FROM t LIMIT 5) UNION ALL (SELECT a FROM u) LIMIT 5",
            ],
            &[
                "(SELECT * FROM tb1 ORDER BY name LIMIT 20) UNION ALL (SELECT * FROM tb2 ORDER BY name LIMIT 20) LIMIT 20",
                "SELECT a FROM t UNION ALL SELECT a FROM u",
                "SELECT a FROM t LIMIT 5",
            ],
        );
        assert_eq!(
            hits(
                "SUB.007",
                "(SELECT a FROM t LIMIT 5) UNION ALL (SELECT a FROM u) LIMIT 5"
            )
            .len(),
            1
        );
    }
}
