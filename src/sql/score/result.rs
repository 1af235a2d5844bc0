//! RES.* score rules: statements whose result is not what it seems.

use std::cmp::Ordering;
use std::collections::HashSet;

use sqlparser::ast::{
    BinaryOperator, ColumnOption, Expr, GroupByExpr, LimitClause, SelectItem, SetExpr, Spanned,
    Statement, UnaryOperator, Value,
};

use super::arg::dedup;
use super::column::column_defs;
use super::function::{func_name, is_comparison};
use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{column_name, conjuncts, each_expr, each_query, each_select, unnest};
use crate::sql::tokens::is_word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "RES.001",
        level: 4,
        summary: Text {
            en: "non-deterministic GROUP BY",
            zh: "非确定性的 GROUP BY",
        },
        explain: Text {
            en: "A selected column is neither aggregated nor in GROUP BY (`SELECT a, b FROM t GROUP BY a`), so MySQL returns the value of an arbitrary row of each group (and ONLY_FULL_GROUP_BY rejects it). Add the column to GROUP BY, aggregate it, or use ANY_VALUE() to say any value will do.",
            zh: "SQL返回的列既不在聚合函数中也不是 GROUP BY 表达式的列中，因此这些值的结果将是非确定性的。如：select a, b, c from tbl where foo=\"bar\" group by a，该 SQL 返回的结果就是不确定的。请将列加入 GROUP BY、放入聚合函数，或使用 ANY_VALUE() 明确表示任取一值。",
        },
        check: Some(non_deterministic_group_by),
    },
    Rule {
        id: "RES.002",
        level: 4,
        summary: Text {
            en: "LIMIT without ORDER BY",
            zh: "未使用 ORDER BY 的 LIMIT 查询",
        },
        explain: Text {
            en: "Without ORDER BY, which rows LIMIT returns depends on the execution plan and can change from one run to the next. Add an ORDER BY on a unique key.",
            zh: "没有 ORDER BY 的 LIMIT 会导致非确定性的结果，这取决于查询执行计划。请添加基于唯一键的 ORDER BY。",
        },
        check: Some(limit_without_order),
    },
    Rule {
        id: "RES.003",
        level: 4,
        summary: Text {
            en: "UPDATE/DELETE with LIMIT",
            zh: "UPDATE/DELETE 操作使用了 LIMIT 条件",
        },
        explain: Text {
            en: "Which rows an UPDATE/DELETE ... LIMIT touches is not deterministic, which is as dangerous as a missing WHERE: primary and replicas can end up different, or replication stops. Select the exact rows by key in WHERE instead.",
            zh: "UPDATE/DELETE 操作使用 LIMIT 条件和不添加 WHERE 条件一样危险，它可将会导致主从数据不一致或从库同步中断。请在 WHERE 中用主键精确指定要修改的行。",
        },
        check: Some(update_delete_limit),
    },
    Rule {
        id: "RES.004",
        level: 4,
        summary: Text {
            en: "UPDATE/DELETE with ORDER BY",
            zh: "UPDATE/DELETE 操作指定了 ORDER BY 条件",
        },
        explain: Text {
            en: "ORDER BY in an UPDATE/DELETE adds a sort and, usually combined with LIMIT, makes the touched rows depend on the data order. Do not specify ORDER BY in UPDATE/DELETE; select the rows by key.",
            zh: "UPDATE/DELETE 操作不要指定 ORDER BY 条件。",
        },
        check: Some(update_delete_order_by),
    },
    Rule {
        id: "RES.005",
        level: 4,
        summary: Text {
            en: "UPDATE SET a = 1 AND b = 2: logic error",
            zh: "UPDATE 语句可能存在逻辑错误，导致数据损坏",
        },
        explain: Text {
            en: "`UPDATE t SET a = 1 AND b = 2` sets a to the boolean `1 AND (b = 2)` and leaves b alone. Separate the assignments with commas: `SET a = 1, b = 2`.",
            zh: "在一条 UPDATE 语句中，如果要更新多个字段，字段间不能使用 AND ，而应该用逗号分隔。",
        },
        check: Some(update_set_and),
    },
    Rule {
        id: "RES.006",
        level: 4,
        summary: Text {
            en: "condition is always false",
            zh: "永远不真的比较条件",
        },
        explain: Text {
            en: "A comparison of constants such as `1 != 1`, `1 = 2` or `BETWEEN 10 AND 5` is never true, so in WHERE the statement matches no row. Fix the condition or remove the statement.",
            zh: "查询条件永远非真，如果该条件出现在 where 中可能导致查询无匹配到的结果。",
        },
        check: Some(always_false),
    },
    Rule {
        id: "RES.007",
        level: 4,
        summary: Text {
            en: "condition is always true",
            zh: "永远为真的比较条件",
        },
        explain: Text {
            en: "A comparison of constants such as `1 = 1` is always true, so it filters nothing and may turn the WHERE into a full table scan (or, in UPDATE/DELETE, touch every row). Remove it or write the condition you meant.",
            zh: "查询条件永远为真，可能导致 WHERE 条件失效进行全表查询。",
        },
        check: Some(always_true),
    },
    Rule {
        id: "RES.008",
        level: 2,
        summary: Text {
            en: "LOAD DATA / SELECT ... INTO OUTFILE",
            zh: "不建议使用LOAD DATA/SELECT ... INTO OUTFILE",
        },
        explain: Text {
            en: "SELECT ... INTO OUTFILE needs the FILE privilege, which is a security risk, and LOAD DATA, though fast, can make replicas fall far behind. Export and import through the client (mysqldump, batched INSERTs) instead.",
            zh: "SELECT INTO OUTFILE 需要授予 FILE 权限，这通过会引入安全问题。LOAD DATA 虽然可以提高数据导入速度，但同时也可能导致从库同步延迟过大。",
        },
        check: Some(load_or_outfile),
    },
    Rule {
        id: "RES.009",
        level: 2,
        summary: Text {
            en: "chained comparison (a = b = c)",
            zh: "不建议使用连续判断",
        },
        explain: Text {
            en: "`WHERE col = col = 'abc'` compares the boolean result of `col = col` with 'abc', which is probably a typo for `col = 'abc'`. If both comparisons are meant, write `col = col AND col = 'abc'`.",
            zh: "类似这样的 SELECT * FROM tbl WHERE col = col = 'abc' 语句可能是书写错误，您可能想表达的含义是 col = 'abc'。如果确实是业务需求建议修改为 col = col and col = 'abc'。",
        },
        check: Some(chained_comparison),
    },
    Rule {
        id: "RES.010",
        level: 2,
        summary: Text {
            en: "ON UPDATE CURRENT_TIMESTAMP column should not carry business logic",
            zh: "建表语句中定义为 ON UPDATE CURRENT_TIMESTAMP 的字段不建议包含业务逻辑",
        },
        explain: Text {
            en: "A column defined ON UPDATE CURRENT_TIMESTAMP changes whenever any other column of the row changes, including batch fixes that should not touch it. Use it only as a technical last-modified time, never for business meaning.",
            zh: "定义为 ON UPDATE CURRENT_TIMESTAMP 的字段在该表其他字段更新时会联动修改，如果包含业务逻辑用户可见会埋下隐患。后续如有批量修改数据却又不想修改该字段时会导致数据错误。",
        },
        check: Some(on_update_column),
    },
    Rule {
        id: "RES.011",
        level: 2,
        summary: Text {
            en: "updated table has an ON UPDATE CURRENT_TIMESTAMP column (needs the schema)",
            zh: "更新请求操作的表包含 ON UPDATE CURRENT_TIMESTAMP 字段",
        },
        explain: Text {
            en: "If the updated table has an ON UPDATE CURRENT_TIMESTAMP column, this UPDATE changes it too. Knowing that needs the table definition from a live database, so the rule is skipped offline. To keep the old time, assign the column to itself: `UPDATE category SET name = 'x', last_update = last_update WHERE ...`.",
            zh: "定义为 ON UPDATE CURRENT_TIMESTAMP 的字段在该表其他字段更新时会联动修改，请注意检查。判断需要线上数据库的表结构，离线检查时跳过。如不想修改字段的更新时间可以使用如下方法：UPDATE category SET name='ActioN', last_update=last_update WHERE category_id=1",
        },
        check: None,
    },
];

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "group_concat",
    "any_value",
    "bit_and",
    "bit_or",
    "bit_xor",
    "std",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "var_pop",
    "var_samp",
    "variance",
    "json_arrayagg",
    "json_objectagg",
];

fn direct_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => column_name(e),
        _ => None,
    }
}

fn start(e: &Expr) -> (u64, u64) {
    let s = e.span();
    (s.start.line, s.start.column)
}

/// RES.001: a selected column that is neither in GROUP BY nor inside an aggregate.
fn non_deterministic_group_by(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        let GroupByExpr::Expressions(groups, _) = &s.group_by else {
            return;
        };
        if groups.is_empty() {
            return;
        }
        let names: Vec<String> = groups.iter().filter_map(column_name).collect();
        let texts: Vec<String> = groups
            .iter()
            .map(|g| g.to_string().to_lowercase())
            .collect();
        let positions: Vec<usize> = groups
            .iter()
            .filter_map(|g| match unnest(g) {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => n.parse().ok(),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        for (i, item) in s.projection.iter().enumerate() {
            let (expr, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => {
                    (expr, Some(alias.value.to_lowercase()))
                }
                SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => {
                    out.push(Hit::span(o.wildcard_token.0.span).with(item.to_string()));
                    continue;
                }
                _ => continue,
            };
            if positions.contains(&(i + 1))
                || alias.is_some_and(|a| names.contains(&a))
                || texts.contains(&expr.to_string().to_lowercase())
            {
                continue;
            }
            // Columns inside aggregates or subqueries are fine.
            let mut inside = HashSet::new();
            each_expr(expr, |e| {
                let shielded = match e {
                    Expr::Function(f) => AGGREGATES.contains(&func_name(f).as_str()),
                    Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => true,
                    _ => false,
                };
                if shielded {
                    each_expr(e, |x| {
                        if direct_column(x).is_some() {
                            inside.insert(start(x));
                        }
                    });
                }
            });
            each_expr(expr, |e| {
                if let Some(n) = direct_column(e)
                    && !inside.contains(&start(e))
                    && !names.contains(&n)
                {
                    out.push(Hit::span(e.span()).with(n));
                }
            });
        }
    });
    dedup(out)
}

/// The expression after LIMIT.
fn limit_expr(l: &LimitClause) -> Option<&Expr> {
    match l {
        LimitClause::LimitOffset { limit, .. } => limit.as_ref(),
        LimitClause::OffsetCommaLimit { limit, .. } => Some(limit),
    }
}

/// RES.002: a SELECT with LIMIT and no ORDER BY.
fn limit_without_order(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        if q.order_by.is_none()
            && matches!(q.body.as_ref(), SetExpr::Select(_))
            && let Some(l) = q.limit_clause.as_ref().and_then(limit_expr)
        {
            out.push(Hit::span(l.span()).with(format!("LIMIT {l}")));
        }
    });
    out
}

/// RES.003: UPDATE/DELETE ... LIMIT.
fn update_delete_limit(c: &Ctx) -> Vec<Hit> {
    let limit = match c.ast {
        Some(Statement::Update(u)) => u.limit.as_ref(),
        Some(Statement::Delete(d)) => d.limit.as_ref(),
        _ => None,
    };
    limit
        .map(|l| vec![Hit::span(l.span()).with(format!("LIMIT {l}"))])
        .unwrap_or_default()
}

/// RES.004: UPDATE/DELETE ... ORDER BY.
fn update_delete_order_by(c: &Ctx) -> Vec<Hit> {
    let order = match c.ast {
        Some(Statement::Update(u)) => &u.order_by,
        Some(Statement::Delete(d)) => &d.order_by,
        _ => return Vec::new(),
    };
    order
        .first()
        .map(|o| vec![Hit::span(o.expr.span()).with(o.to_string())])
        .unwrap_or_default()
}

/// RES.005: an UPDATE assignment whose value is `x AND col = y`.
fn update_set_and(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Update(u)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in &u.assignments {
        if !matches!(
            a.value,
            Expr::BinaryOp {
                op: BinaryOperator::And,
                ..
            }
        ) {
            continue;
        }
        let second = conjuncts(&a.value).into_iter().find_map(|e| match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                ..
            } if direct_column(left).is_some() => Some(left),
            _ => None,
        });
        if let Some(col) = second {
            out.push(Hit::span(col.span()).with(a.to_string()));
        }
    }
    out
}

enum Lit {
    Num(f64),
    Str(String),
}

fn literal(e: &Expr) -> Option<Lit> {
    match unnest(e) {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok().map(Lit::Num),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                Some(Lit::Str(s.clone()))
            }
            Value::Boolean(b) => Some(Lit::Num(if *b { 1.0 } else { 0.0 })),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr)? {
            Lit::Num(x) => Some(Lit::Num(-x)),
            Lit::Str(_) => None,
        },
        _ => None,
    }
}

/// The order of two constants the way MySQL compares them; strings only for (in)equality.
fn compare(a: &Lit, b: &Lit, equality_only: bool) -> Option<Ordering> {
    let num = |s: &str| s.trim().parse::<f64>().ok();
    match (a, b) {
        (Lit::Num(x), Lit::Num(y)) => x.partial_cmp(y),
        (Lit::Num(x), Lit::Str(s)) => x.partial_cmp(&num(s)?),
        (Lit::Str(s), Lit::Num(y)) => num(s)?.partial_cmp(y),
        (Lit::Str(s), Lit::Str(t)) => {
            if !equality_only {
                return None;
            }
            Some(if s.to_lowercase() == t.to_lowercase() {
                Ordering::Equal
            } else {
                Ordering::Less
            })
        }
    }
}

/// The constant truth value of a comparison of two constants (or of `BETWEEN` bounds).
fn constant_truth(e: &Expr) -> Option<bool> {
    match e {
        Expr::BinaryOp { left, op, right } if is_comparison(op) => {
            let equality = matches!(
                op,
                BinaryOperator::Eq | BinaryOperator::NotEq | BinaryOperator::Spaceship
            );
            let ord = compare(&literal(left)?, &literal(right)?, equality)?;
            Some(match op {
                BinaryOperator::Eq | BinaryOperator::Spaceship => ord == Ordering::Equal,
                BinaryOperator::NotEq => ord != Ordering::Equal,
                BinaryOperator::Lt => ord == Ordering::Less,
                BinaryOperator::LtEq => ord != Ordering::Greater,
                BinaryOperator::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        Expr::Between {
            negated: false,
            low,
            high,
            ..
        } => match (literal(low)?, literal(high)?) {
            (Lit::Num(lo), Lit::Num(hi)) if lo > hi => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn constant_conditions(c: &Ctx, truth: bool) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr(stmt, |e| {
        if constant_truth(e) == Some(truth) {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

/// RES.006: `1 != 1`, `1 = 2`, `x BETWEEN 10 AND 5`.
fn always_false(c: &Ctx) -> Vec<Hit> {
    constant_conditions(c, false)
}

/// The text of a plain literal as SOAR's parser keeps it (a number as written, a string
/// without its quotes); `None` for anything else (NULL, TRUE, `-1`, `(1)`, expressions).
fn raw_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n),
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::HexStringLiteral(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// RES.007, as SOAR decides it: anywhere in the statement, two plain literals compared with
/// `=`/`<=>` whose texts are equal (`1 = 1`, `'1' = 1`) or with `!=`/`<>` whose texts differ
/// (`1 <> 2`). Like SOAR, `2 > 1`, `1 = 1.0`, `TRUE = 1`, `-1 = -1` and `(1) = 1` are not
/// flagged.
fn always_true(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr(stmt, |e| {
        let Expr::BinaryOp { left, op, right } = e else {
            return;
        };
        let equal = match op {
            BinaryOperator::Eq | BinaryOperator::Spaceship => true,
            BinaryOperator::NotEq => false,
            _ => return,
        };
        if let (Some(l), Some(r)) = (raw_literal(left), raw_literal(right))
            && (l == r) == equal
        {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

/// RES.008: LOAD DATA/XML, SELECT ... INTO OUTFILE/DUMPFILE.
fn load_or_outfile(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    (0..t.len())
        .filter_map(|i| {
            let what = if is_word(t, i, "LOAD")
                && (is_word(t, i + 1, "DATA") || is_word(t, i + 1, "XML"))
            {
                "LOAD DATA"
            } else if is_word(t, i, "INTO")
                && (is_word(t, i + 1, "OUTFILE") || is_word(t, i + 1, "DUMPFILE"))
            {
                "INTO OUTFILE"
            } else {
                return None;
            };
            Some(Hit::tok(&t[i]).with(what))
        })
        .collect()
}

/// RES.009: a comparison whose operand is itself a comparison, like `a = b = c`.
fn chained_comparison(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out: Vec<Hit> = Vec::new();
    each_expr(stmt, |e| {
        let Expr::BinaryOp { left, op, right } = e else {
            return;
        };
        let chained = |x: &Expr| matches!(x, Expr::BinaryOp { op, .. } if is_comparison(op));
        if is_comparison(op) && (chained(left) || chained(right)) {
            let h = Hit::span(e.span()).with(e.to_string());
            // The outermost chain is visited first; its inner links start at the same place.
            if !out.iter().any(|o| o.at == h.at) {
                out.push(h);
            }
        }
    });
    out
}

/// RES.010: a column defined ON UPDATE CURRENT_TIMESTAMP in CREATE/ALTER TABLE.
fn on_update_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    column_defs(stmt)
        .iter()
        .filter(|d| {
            d.opts
                .iter()
                .any(|o| matches!(o, ColumnOption::OnUpdate(_)))
        })
        .map(|d| Hit::span(d.name.span).with(d.name.value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn res_001_non_deterministic_group_by() {
        assert_rule(
            "RES.001",
            &[
                "SELECT c1, c2, c3 FROM t1 WHERE c2 = 'foo' GROUP BY c2",
                "SELECT * FROM t GROUP BY a",
                "SELECT a, b + 1 AS x, COUNT(*) FROM t GROUP BY a",
            ],
            &[
                "SELECT a, COUNT(*), MAX(b) FROM t GROUP BY a",
                "SELECT t.a, SUM(b) AS s FROM t GROUP BY a",
                "SELECT a + 1 AS x, COUNT(*) FROM t GROUP BY x",
                "SELECT a, b FROM t GROUP BY 1, 2",
                "SELECT YEAR(d), COUNT(*) FROM t GROUP BY YEAR(d)",
                "SELECT a, ANY_VALUE(b) FROM t GROUP BY a",
                "SELECT a, b FROM t",
            ],
        );
        let h = hits("RES.001", "SELECT a, b FROM t GROUP BY a");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 11)));
        assert_eq!(h[0].detail.as_deref(), Some("b"));
    }

    #[test]
    fn res_002_limit_without_order() {
        assert_rule(
            "RES.002",
            &[
                "SELECT col1, col2 FROM tbl WHERE name = 'xx' LIMIT 10",
                "SELECT a FROM t WHERE a IN (SELECT b FROM u LIMIT 5) ORDER BY a",
                "SELECT a FROM t LIMIT 10, 20",
            ],
            &[
                "SELECT a FROM t ORDER BY a LIMIT 10",
                "SELECT a FROM t",
                "UPDATE t SET a = 1 WHERE b = 2 LIMIT 1",
            ],
        );
        assert_eq!(
            hits("RES.002", "SELECT a FROM t LIMIT 10")[0].at,
            Some((1, 23))
        );
    }

    #[test]
    fn res_003_update_delete_limit() {
        assert_rule(
            "RES.003",
            &[
                "UPDATE film SET length = 120 WHERE title = 'abc' LIMIT 1",
                "DELETE FROM film WHERE title = 'abc' LIMIT 1",
            ],
            &[
                "UPDATE film SET length = 120 WHERE film_id = 1",
                "SELECT a FROM t ORDER BY a LIMIT 1",
            ],
        );
    }

    #[test]
    fn res_004_update_delete_order_by() {
        assert_rule(
            "RES.004",
            &[
                "UPDATE film SET length = 120 WHERE title = 'abc' ORDER BY title",
                "DELETE FROM film WHERE title = 'abc' ORDER BY id LIMIT 10",
            ],
            &[
                "UPDATE film SET length = 120 WHERE title = 'abc'",
                "SELECT a FROM t ORDER BY a",
            ],
        );
        let h = hits("RES.004", "DELETE FROM t WHERE a = 1 ORDER BY id");
        assert_eq!(h[0].at, Some((1, 36)));
    }

    #[test]
    fn res_005_update_set_and() {
        assert_rule(
            "RES.005",
            &[
                "UPDATE tbl SET col = 1 AND cl = 2 WHERE col = 3",
                "UPDATE tbl SET a = 1, col = 'x' AND t.cl = 2 WHERE id = 3",
            ],
            &[
                "UPDATE tbl SET col = 1, cl = 2 WHERE col = 3",
                "UPDATE tbl SET ok = (a > 1 AND b < 2) WHERE id = 3",
                "SELECT a FROM t WHERE a = 1 AND b = 2",
            ],
        );
        let h = hits("RES.005", "UPDATE tbl SET col = 1 AND cl = 2");
        assert_eq!(h[0].at, Some((1, 28)));
    }

    #[test]
    fn res_006_always_false() {
        assert_rule(
            "RES.006",
            &[
                "SELECT * FROM tbl WHERE 1 != 1",
                "SELECT a FROM tbl WHERE 1 = 2",
                "SELECT a FROM tbl WHERE a BETWEEN 10 AND 5",
                "DELETE FROM tbl WHERE 'a' <> 'A'",
            ],
            &[
                "SELECT a FROM tbl WHERE 1 = 1",
                "SELECT a FROM tbl WHERE a = 1",
                "SELECT a FROM tbl WHERE a BETWEEN 5 AND 10",
            ],
        );
    }

    #[test]
    fn res_007_always_true() {
        assert_rule(
            "RES.007",
            &[
                "SELECT * FROM tbl WHERE 1 = 1",
                "SELECT a FROM tbl WHERE a = 2 OR '1' = 1",
                "UPDATE tbl SET a = 1 WHERE 0 <> 1",
            ],
            &[
                "SELECT a FROM tbl WHERE 1 = 2",
                "SELECT a FROM tbl WHERE a = a + 0",
                "SELECT a FROM tbl WHERE 'a' = 'b'",
                // SOAR (RuleMeaninglessWhere) compares the literals' texts, only for = <=> != <>.
                "SELECT a FROM tbl WHERE 2 > 1",
                "SELECT a FROM tbl WHERE 1 = 1.0",
                "SELECT a FROM tbl WHERE -1 = -1",
                "SELECT a FROM tbl WHERE NULL = NULL",
            ],
        );
        assert_rule(
            "RES.007",
            &[
                "SELECT a FROM tbl WHERE 'abc' <> 'ABC'",
                "SELECT a FROM tbl WHERE 1 <> 'a'",
                "SELECT a.x FROM a JOIN b ON 1 = 1",
                "SELECT 1 <=> 1",
            ],
            &[],
        );
        let h = hits("RES.007", "SELECT a FROM t WHERE b = 2 AND 1 = 1");
        assert_eq!(h[0].at, Some((1, 33)));
    }

    #[test]
    fn res_008_load_or_outfile() {
        assert_rule(
            "RES.008",
            &[
                "LOAD DATA INFILE 'data.txt' INTO TABLE db2.my_table",
                "SELECT a FROM t INTO OUTFILE '/tmp/a.txt'",
                "SELECT a INTO DUMPFILE '/tmp/a' FROM t",
            ],
            &[
                "SELECT a INTO @x FROM t",
                "INSERT INTO t (a) VALUES ('load data')",
            ],
        );
    }

    #[test]
    fn res_009_chained_comparison() {
        assert_rule(
            "RES.009",
            &[
                "SELECT * FROM tbl WHERE col = col = 'abc'",
                "SELECT a FROM tbl WHERE a < b = 1",
            ],
            &[
                "SELECT a FROM tbl WHERE col = col AND col = 'abc'",
                "SELECT a FROM tbl WHERE (a = b) = (c = d) AND 1 = 1 OR a = 1",
            ],
        );
        let h = hits("RES.009", "SELECT a FROM t WHERE a = b = c = d");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 23)));
    }

    #[test]
    fn res_010_on_update_column() {
        assert_rule(
            "RES.010",
            &[
                "CREATE TABLE category (category_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT, name VARCHAR(25) NOT NULL, \
                 last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (category_id))",
                "ALTER TABLE category ADD COLUMN u DATETIME ON UPDATE CURRENT_TIMESTAMP",
            ],
            &["CREATE TABLE category (last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"],
        );
        let h = hits(
            "RES.010",
            "CREATE TABLE c (id INT, u TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
        );
        assert_eq!(h[0].at, Some((1, 25)));
        assert_eq!(h[0].detail.as_deref(), Some("u"));
    }

    #[test]
    fn res_011_needs_a_database() {
        assert!(
            super::super::rule("RES.011")
                .expect("RES.011")
                .check
                .is_none()
        );
    }
}
