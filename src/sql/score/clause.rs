//! CLA.* score rules: clauses (WHERE, ORDER BY, GROUP BY, LIMIT, HAVING) and whole-statement shape.

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Expr, GroupByExpr, LimitClause, OrderByKind, Query, Select,
    SelectItem, SetExpr, Spanned, Statement, Value,
};
use sqlparser::tokenizer::Token;

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{
    column_name, column_qualifier, conjuncts, each_query, each_select, is_literal, selects_of,
    unnest,
};
use crate::sql::tokens::{is_seq, word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "CLA.001",
        level: 4,
        summary: Text {
            en: "outermost SELECT without WHERE",
            zh: "最外层 SELECT 未指定 WHERE 条件",
        },
        explain: Text {
            en: "A SELECT without WHERE reads the whole table; on a big table that is slow and can return far more rows than intended. Add the WHERE condition you mean, or a LIMIT when you only want a sample.",
            zh: "SELECT 语句没有 WHERE 子句，可能检查比预期更多的行(全表扫描)。对于 SELECT COUNT(*) 类型的请求如果不要求精度，建议使用 SHOW TABLE STATUS 或 EXPLAIN 替代；否则请加上所需的 WHERE 条件。",
        },
        check: Some(select_without_where),
    },
    Rule {
        id: "CLA.002",
        level: 3,
        summary: Text {
            en: "ORDER BY RAND()",
            zh: "不建议使用 ORDER BY RAND()",
        },
        explain: Text {
            en: "ORDER BY RAND() assigns a random number to every row and sorts them all, however few rows you keep. Pick random ids in the application, or select by a random id range.",
            zh: "ORDER BY RAND() 是从结果集中检索随机行的一种非常低效的方法，因为它会对整个结果进行排序并丢弃其大部分数据。建议在应用中生成随机 id，或按随机 id 范围查询。",
        },
        check: Some(order_by_rand),
    },
    Rule {
        id: "CLA.003",
        level: 2,
        summary: Text {
            en: "LIMIT with OFFSET",
            zh: "不建议使用带 OFFSET 的 LIMIT 查询",
        },
        explain: Text {
            en: "LIMIT m, n (or LIMIT n OFFSET m) still reads and throws away the first m rows, so deep pages get slower and slower. Page by the last seen key instead: WHERE id > :last ORDER BY id LIMIT n.",
            zh: "使用 LIMIT 和 OFFSET 对结果集分页的复杂度是 O(n^2)，并且会随着数据增大而导致性能问题。采用\"书签\"扫描的方法（WHERE id > 上一页最后的 id ORDER BY id LIMIT n）实现分页效率更高。",
        },
        check: Some(limit_offset),
    },
    Rule {
        id: "CLA.004",
        level: 2,
        summary: Text {
            en: "GROUP BY a constant or a column position",
            zh: "不建议对常量进行 GROUP BY",
        },
        explain: Text {
            en: "GROUP BY 1 groups by the first select column and breaks silently when the column list changes; GROUP BY 'x' groups everything into one row. Name the column.",
            zh: "GROUP BY 1 表示按第一列进行 GROUP BY。如果在 GROUP BY 子句中使用数字，而不是表达式或列名称，当查询列顺序改变时，可能会导致问题。请写出列名。",
        },
        check: Some(group_by_constant),
    },
    Rule {
        id: "CLA.005",
        level: 2,
        summary: Text {
            en: "ORDER BY a column that WHERE fixes to one value",
            zh: "ORDER BY 常数列没有任何意义",
        },
        explain: Text {
            en: "The column is compared with `=` to a constant in WHERE, so every row has the same value and ordering by it does nothing but may cost a sort. Drop it from ORDER BY.",
            zh: "SQL 逻辑上可能存在错误：该列已在 WHERE 中被等值条件固定为常量，按它排序没有意义，最多只是一个无用的排序操作。请从 ORDER BY 中去掉它。",
        },
        check: Some(order_by_constant_column),
    },
    Rule {
        id: "CLA.006",
        level: 4,
        summary: Text {
            en: "GROUP BY or ORDER BY columns from different tables",
            zh: "GROUP BY 或 ORDER BY 的列来自不同的表",
        },
        explain: Text {
            en: "No single index can serve a GROUP BY or ORDER BY whose columns come from different tables, so MySQL needs a temporary table and a filesort. Group or order by columns of one table.",
            zh: "这将强制使用临时表和 filesort，可能产生巨大性能隐患，并且可能消耗大量内存和磁盘上的临时空间。请让 GROUP BY / ORDER BY 的列来自同一张表。",
        },
        check: Some(group_order_across_tables),
    },
    Rule {
        id: "CLA.008",
        level: 2,
        summary: Text {
            en: "GROUP BY without an explicit ORDER BY",
            zh: "请为 GROUP BY 显式添加 ORDER BY 条件",
        },
        explain: Text {
            en: "MySQL before 8.0 sorted GROUP BY results implicitly; 8.0 does not, so code that relies on the order breaks on upgrade. Say ORDER BY what you need, or ORDER BY NULL when order does not matter.",
            zh: "默认 MySQL 会对 'GROUP BY col1, col2, ...' 请求按如下顺序排序 'ORDER BY col1, col2, ...'（8.0 起不再如此）。如果 GROUP BY 语句不指定 ORDER BY 条件会导致无谓的排序或结果顺序不确定，建议添加 'ORDER BY NULL' 或所需的顺序。",
        },
        check: Some(group_without_order),
    },
    Rule {
        id: "CLA.009",
        level: 2,
        summary: Text {
            en: "ORDER BY an expression",
            zh: "ORDER BY 的条件为表达式",
        },
        explain: Text {
            en: "Ordering by a computed expression cannot use an index and needs a temporary table and filesort. Order by a stored (or generated and indexed) column.",
            zh: "当 ORDER BY 条件为表达式或函数时会使用到临时表，如果在未指定 WHERE 或 WHERE 条件返回的结果集较大时性能会很差。请改为按列（或建了索引的生成列）排序。",
        },
        check: Some(order_by_expression),
    },
    Rule {
        id: "CLA.010",
        level: 2,
        summary: Text {
            en: "GROUP BY an expression",
            zh: "GROUP BY 的条件为表达式",
        },
        explain: Text {
            en: "Grouping by a computed expression cannot use an index and needs a temporary table. Group by a stored (or generated and indexed) column.",
            zh: "当 GROUP BY 条件为表达式或函数时会使用到临时表，如果在未指定 WHERE 或 WHERE 条件返回的结果集较大时性能会很差。请改为按列（或建了索引的生成列）分组。",
        },
        check: Some(group_by_expression),
    },
    Rule {
        id: "CLA.011",
        level: 1,
        summary: Text {
            en: "table has no comment",
            zh: "建议为表添加注释",
        },
        explain: Text {
            en: "A table comment tells the next person what the table holds and who owns it. Add COMMENT='…' to CREATE TABLE.",
            zh: "为表添加注释能够使得表的意义更明确，从而为日后的维护带来极大的便利。请在 CREATE TABLE 中加上 COMMENT='…'。",
        },
        check: Some(table_without_comment),
    },
    Rule {
        id: "CLA.012",
        level: 2,
        summary: Text {
            en: "very long, complex statement: split it",
            zh: "将复杂的裹脚布式查询分解成几个简单的查询",
        },
        explain: Text {
            en: "A very long statement is hard to review and to optimise, and the optimiser may pick a poor plan. Split it into simpler queries (or temporary steps) that each do one thing.",
            zh: "SQL 是一门极具表现力的语言，您可以在单个 SQL 查询或者单条语句中完成很多事情。但这并不意味着必须强制只使用一行代码。请将过长、过于复杂的查询拆分成几个简单的查询。",
        },
        check: Some(spaghetti_query),
    },
    Rule {
        id: "CLA.013",
        level: 3,
        summary: Text {
            en: "HAVING clause",
            zh: "不建议使用 HAVING 子句",
        },
        explain: Text {
            en: "HAVING filters after grouping, so every group is built first. Move conditions that do not use an aggregate into WHERE, where they can use an index.",
            zh: "将查询的 HAVING 子句改写为 WHERE 中的查询条件，可以在查询处理期间使用索引。只有用到聚合函数的条件才需要放在 HAVING 中。",
        },
        check: Some(having_clause),
    },
    Rule {
        id: "CLA.014",
        level: 2,
        summary: Text {
            en: "DELETE of the whole table: use TRUNCATE",
            zh: "删除全表时建议使用 TRUNCATE 替代 DELETE",
        },
        explain: Text {
            en: "DELETE without WHERE removes rows one by one, logging each and locking the table for long. TRUNCATE TABLE empties it at once (it cannot be rolled back and resets AUTO_INCREMENT) — and check the missing WHERE is intended.",
            zh: "删除全表时建议使用 TRUNCATE 替代 DELETE（TRUNCATE 不能回滚且会重置自增值）；同时请确认缺少 WHERE 条件是有意为之。",
        },
        check: Some(delete_whole_table),
    },
    Rule {
        id: "CLA.015",
        level: 4,
        summary: Text {
            en: "UPDATE without WHERE",
            zh: "UPDATE 未指定 WHERE 条件",
        },
        explain: Text {
            en: "UPDATE without WHERE changes every row of the table, which is rarely intended. Add the WHERE condition; if you do mean every row, say WHERE 1 = 1 so a reviewer sees it is deliberate.",
            zh: "UPDATE 不指定 WHERE 条件一般是致命的，请您三思后行。如确需更新全表，请写明 WHERE 1 = 1 以表明是有意为之。",
        },
        check: Some(update_without_where),
    },
    Rule {
        id: "CLA.016",
        level: 2,
        summary: Text {
            en: "UPDATE of the primary key",
            zh: "不要 UPDATE 主键",
        },
        explain: Text {
            en: "Changing a primary key rewrites the row and every secondary index entry and breaks references to it. Insert a new row instead. (Offline, a column named `id` is taken as the primary key; with the table definition the exact key is known.)",
            zh: "主键是数据表中记录的唯一标识符，不建议频繁更新主键列，这将影响元数据统计信息进而影响正常的查询，并使引用它的数据失效。（离线检查时将名为 id 的列视为主键。）",
        },
        check: Some(update_primary_key),
    },
];

/// CLA.001: a SELECT at depth 0 that reads a table and has no WHERE.
fn select_without_where(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Query(q)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    selects_of(&q.body, &mut |s: &Select| {
        if !s.from.is_empty() && s.selection.is_none() {
            out.push(Hit::span(s.select_token.0.span));
        }
    });
    out
}

fn order_exprs(q: &Query) -> Vec<&Expr> {
    match q.order_by.as_ref().map(|o| &o.kind) {
        Some(OrderByKind::Expressions(v)) => v.iter().map(|o| &o.expr).collect(),
        _ => Vec::new(),
    }
}

fn group_exprs(s: &Select) -> &[Expr] {
    match &s.group_by {
        GroupByExpr::Expressions(v, _) => v,
        GroupByExpr::All(_) => &[],
    }
}

fn is_rand(e: &Expr) -> bool {
    matches!(unnest(e), Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("rand"))
}

/// CLA.002: `ORDER BY RAND()` in any query.
fn order_by_rand(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        for e in order_exprs(q) {
            if is_rand(e) {
                out.push(Hit::span(e.span()));
            }
        }
    });
    out
}

fn is_zero(e: &Expr) -> bool {
    matches!(unnest(e), Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if n.trim_start_matches('0').is_empty()))
}

/// CLA.003: `LIMIT m, n` or `LIMIT n OFFSET m` with a non-zero offset.
fn limit_offset(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        let offset = match &q.limit_clause {
            Some(LimitClause::LimitOffset {
                offset: Some(o), ..
            }) => Some(&o.value),
            Some(LimitClause::OffsetCommaLimit { offset, .. }) => Some(offset),
            _ => None,
        };
        if let Some(o) = offset
            && !is_zero(o)
        {
            out.push(Hit::span(o.span()));
        }
    });
    out
}

/// CLA.004: `GROUP BY 1` or `GROUP BY 'x'`.
fn group_by_constant(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        for e in group_exprs(s) {
            if is_literal(e) {
                out.push(Hit::span(e.span()));
            }
        }
    });
    out
}

/// Columns compared with `=` to a constant in a WHERE, lower case.
fn fixed_columns(w: Option<&Expr>) -> Vec<String> {
    let Some(w) = w else {
        return Vec::new();
    };
    conjuncts(w)
        .into_iter()
        .filter_map(|e| match unnest(e) {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                if is_literal(right) {
                    column_name(left)
                } else if is_literal(left) {
                    column_name(right)
                } else {
                    None
                }
            }
            _ => None,
        })
        .collect()
}

/// CLA.005: ORDER BY a column the WHERE fixes with `col = constant`.
fn order_by_constant_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        let SetExpr::Select(s) = q.body.as_ref() else {
            return;
        };
        let fixed = fixed_columns(s.selection.as_ref());
        for e in order_exprs(q) {
            if let Some(col) = column_name(e)
                && fixed.contains(&col)
            {
                out.push(Hit::span(e.span()).with(col));
            }
        }
    });
    out
}

/// CLA.006: the qualifiers of GROUP BY (or of ORDER BY) columns name more than one table.
fn group_order_across_tables(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut check = |exprs: Vec<&Expr>| {
        let mut quals: Vec<String> = exprs.iter().filter_map(|e| column_qualifier(e)).collect();
        quals.dedup();
        quals.sort();
        quals.dedup();
        if quals.len() > 1
            && let Some(first) = exprs.first()
        {
            out.push(Hit::span(first.span()).with(quals.join(", ")));
        }
    };
    each_query(stmt, |q, _| {
        check(order_exprs(q));
        if let SetExpr::Select(s) = q.body.as_ref() {
            check(group_exprs(s).iter().collect());
        }
    });
    out
}

/// CLA.008: a query whose SELECT groups but that has no ORDER BY.
fn group_without_order(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        if let SetExpr::Select(s) = q.body.as_ref()
            && let Some(first) = group_exprs(s).first()
            && q.order_by.is_none()
        {
            out.push(Hit::span(first.span()));
        }
    });
    out
}

/// A sort or group key that is neither a column, a position/constant, nor RAND().
fn is_expression_key(e: &Expr) -> bool {
    column_name(e).is_none() && !is_literal(e) && !is_rand(e)
}

/// CLA.009: ORDER BY an expression or function.
fn order_by_expression(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_query(stmt, |q, _| {
        for e in order_exprs(q) {
            if is_expression_key(e) {
                out.push(Hit::span(e.span()));
            }
        }
    });
    out
}

/// SOAR's test of a GROUP BY key's text for CLA.010: a function call (a letter or digit right
/// before `(`) or any character other than letters, digits, `_ , . \` ( )` and spaces (an
/// operator, a quote). Unlike SOAR, non-ASCII letters (`GROUP BY 地区`) count as letters.
fn soar_expression_text(text: &str) -> bool {
    let b = text.as_bytes();
    let call = b
        .windows(2)
        .any(|w| w[0].is_ascii_alphanumeric() && w[1] == b'(');
    call || text.chars().any(|ch| {
        !(ch.is_ascii_alphanumeric()
            || matches!(ch, '_' | ',' | '.' | '`' | ' ' | '(' | ')')
            || (!ch.is_ascii() && ch.is_alphanumeric()))
    })
}

/// CLA.010, as SOAR decides it: a GROUP BY key that is a function call or has an operator or
/// a quote in its text, or that names a select-list alias of such an expression
/// (`SELECT a - b AS d … GROUP BY d`). Like SOAR, `CASE WHEN a THEN 1 END` (words only) is not
/// flagged.
fn group_by_expression(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        for e in group_exprs(s) {
            let flagged = soar_expression_text(&e.to_string())
                || column_name(e).is_some_and(|g| {
                    matches!(unnest(e), Expr::Identifier(_))
                        && s.projection.iter().any(|item| match item {
                            SelectItem::ExprWithAlias { expr, alias } => {
                                alias.value.eq_ignore_ascii_case(&g)
                                    && soar_expression_text(&expr.to_string())
                            }
                            _ => false,
                        })
                });
            if flagged {
                out.push(Hit::span(e.span()));
            }
        }
    });
    out
}

/// CLA.011: CREATE TABLE with a column list and no table-level COMMENT (tokens, so that
/// statements the parser cannot read are covered too).
fn table_without_comment(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let Some(start) = (0..t.len()).find(|&i| {
        is_seq(t, i, &["CREATE", "TABLE"]) || is_seq(t, i, &["CREATE", "TEMPORARY", "TABLE"])
    }) else {
        return Vec::new();
    };
    // The table options follow the parenthesis that closes the column list.
    let Some(open) = (start..t.len()).find(|&i| t[i].token == Token::LParen) else {
        return Vec::new();
    };
    // Like SOAR, only a table defined by a column list: not `CREATE TABLE … AS SELECT (…)`.
    if (start..open)
        .any(|i| word(&t[i]).is_some_and(|w| matches!(w.as_str(), "AS" | "SELECT" | "LIKE")))
    {
        return Vec::new();
    }
    let mut depth = 0usize;
    let mut close = None;
    for (i, tok) in t.iter().enumerate().skip(open) {
        match tok.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return Vec::new();
    };
    let has_comment = t[close..]
        .iter()
        .take_while(|x| word(x).is_none_or(|w| w != "AS" && w != "SELECT"))
        .any(|x| word(x).is_some_and(|w| w == "COMMENT"));
    if has_comment {
        Vec::new()
    } else {
        vec![Hit::tok(&t[start])]
    }
}

/// CLA.012: a statement longer than `spaghetti_query_length` characters.
fn spaghetti_query(c: &Ctx) -> Vec<Hit> {
    let len = c.text.chars().count();
    if len > c.opts.spaghetti_query_length {
        vec![Hit::whole().with(format!("{len} characters"))]
    } else {
        Vec::new()
    }
}

/// CLA.013: any HAVING.
fn having_clause(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        if let Some(h) = &s.having {
            out.push(Hit::span(h.span()));
        }
    });
    out
}

/// CLA.014: DELETE without WHERE (and without LIMIT, which makes it a batch delete).
fn delete_whole_table(c: &Ctx) -> Vec<Hit> {
    match c.ast {
        Some(Statement::Delete(d)) if d.selection.is_none() && d.limit.is_none() => {
            vec![Hit::span(d.delete_token.0.span)]
        }
        _ => Vec::new(),
    }
}

/// CLA.015: UPDATE without WHERE.
fn update_without_where(c: &Ctx) -> Vec<Hit> {
    match c.ast {
        Some(Statement::Update(u)) if u.selection.is_none() => {
            vec![Hit::span(u.update_token.0.span)]
        }
        _ => Vec::new(),
    }
}

/// CLA.016: UPDATE … SET id = … (offline, `id` stands for the primary key).
fn update_primary_key(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Update(u)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in &u.assignments {
        let names: Vec<&sqlparser::ast::ObjectName> = match &a.target {
            AssignmentTarget::ColumnName(n) => vec![n],
            AssignmentTarget::Tuple(v) => v.iter().collect(),
        };
        for n in names {
            let col = n.0.last().and_then(|p| p.as_ident());
            if let Some(i) = col
                && i.value.eq_ignore_ascii_case("id")
            {
                out.push(Hit::span(i.span).with(i.value.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn cla_001_select_without_where() {
        assert_rule(
            "CLA.001",
            &[
                "SELECT a FROM t",
                "SELECT a FROM t UNION SELECT a FROM u WHERE x = 1",
            ],
            &[
                "SELECT a FROM t WHERE id = 1",
                "SELECT 1",
                "SELECT a FROM t WHERE id IN (SELECT id FROM u)",
                "UPDATE t SET a = 1",
            ],
        );
        assert_eq!(hits("CLA.001", "SELECT a FROM t")[0].at, Some((1, 1)));
    }

    #[test]
    fn cla_002_order_by_rand() {
        assert_rule(
            "CLA.002",
            &[
                "SELECT a FROM t ORDER BY RAND() LIMIT 1",
                "SELECT * FROM (SELECT a FROM t ORDER BY rand()) x",
            ],
            &["SELECT a FROM t ORDER BY a", "SELECT RAND() FROM t"],
        );
    }

    #[test]
    fn cla_003_limit_offset() {
        assert_rule(
            "CLA.003",
            &[
                "SELECT a FROM t LIMIT 10, 20",
                "SELECT a FROM t LIMIT 20 OFFSET 10",
            ],
            &["SELECT a FROM t LIMIT 20", "SELECT a FROM t LIMIT 0, 20"],
        );
    }

    #[test]
    fn cla_004_group_by_constant() {
        assert_rule(
            "CLA.004",
            &[
                "SELECT a, COUNT(*) FROM t GROUP BY 1",
                "SELECT COUNT(*) FROM t GROUP BY 'x'",
            ],
            &["SELECT a, COUNT(*) FROM t GROUP BY a"],
        );
    }

    #[test]
    fn cla_005_order_by_fixed_column() {
        assert_rule(
            "CLA.005",
            &[
                "SELECT a FROM t WHERE b = 1 ORDER BY b",
                "SELECT a FROM t WHERE x > 2 AND t.b = 'k' ORDER BY a, b",
            ],
            &[
                "SELECT a FROM t WHERE b > 1 ORDER BY b",
                "SELECT a FROM t WHERE b = 1 ORDER BY a",
            ],
        );
    }

    #[test]
    fn cla_006_group_order_across_tables() {
        assert_rule(
            "CLA.006",
            &[
                "SELECT 1 FROM a JOIN b ON a.id = b.id ORDER BY a.x, b.y",
                "SELECT 1 FROM a JOIN b ON a.id = b.id GROUP BY a.x, b.y",
            ],
            &[
                "SELECT 1 FROM a JOIN b ON a.id = b.id ORDER BY a.x, a.y",
                "SELECT 1 FROM a ORDER BY x, y",
            ],
        );
    }

    #[test]
    fn cla_008_group_without_order() {
        assert_rule(
            "CLA.008",
            &["SELECT a, COUNT(*) FROM t WHERE x = 1 GROUP BY a"],
            &[
                "SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY a",
                "SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY NULL",
                "SELECT a FROM t",
            ],
        );
    }

    #[test]
    fn cla_009_order_by_expression() {
        assert_rule(
            "CLA.009",
            &[
                "SELECT a FROM t ORDER BY a + 1",
                "SELECT a FROM t ORDER BY UPPER(a)",
            ],
            &[
                "SELECT a FROM t ORDER BY a",
                "SELECT a FROM t ORDER BY 1",
                "SELECT a FROM t ORDER BY RAND()",
            ],
        );
    }

    #[test]
    fn cla_010_group_by_expression() {
        // SOAR (RuleGroupByExpr): a function or a character other than letters, digits,
        // `_ , . ` ( )` and spaces in the GROUP BY text, or an alias of such an expression.
        assert_rule(
            "CLA.010",
            &[
                "SELECT COUNT(*) FROM t GROUP BY DATE(created)",
                "SELECT COUNT(*) FROM t GROUP BY a - b",
                "SELECT a - b AS d, COUNT(*) FROM t GROUP BY d",
                "SELECT FROM_UNIXTIME(ts) AS day, COUNT(*) FROM t GROUP BY day",
                "SELECT COUNT(*) FROM t GROUP BY RAND()",
                "SELECT COUNT(*) FROM t GROUP BY 'x'",
            ],
            &[
                "SELECT COUNT(*) FROM t GROUP BY created",
                "SELECT COUNT(*) FROM t",
                "SELECT a, COUNT(*) FROM t GROUP BY 1",
                "SELECT a AS x, COUNT(*) FROM t GROUP BY x",
                "SELECT COUNT(*) FROM t GROUP BY t.a, `b`",
                "SELECT COUNT(*) FROM t GROUP BY CASE WHEN a THEN b END",
                "SELECT COUNT(*) FROM t GROUP BY 地区",
            ],
        );
    }

    #[test]
    fn cla_011_table_comment() {
        assert_rule(
            "CLA.011",
            &[
                "CREATE TABLE t (id INT COMMENT 'the id') ENGINE=InnoDB",
                "CREATE TABLE t (id INT)",
            ],
            &[
                "CREATE TABLE t (id INT) ENGINE=InnoDB COMMENT='orders'",
                "CREATE TABLE t (id INT) COMMENT 'orders' PARTITION BY HASH(id) PARTITIONS 4",
                "CREATE TABLE t2 LIKE t",
                // SOAR (RuleTblCommentCheck) looks only at a CREATE TABLE with a column list.
                "CREATE TABLE t2 AS SELECT (1) AS a",
                "SELECT 1",
            ],
        );
    }

    #[test]
    fn cla_012_spaghetti_query() {
        let long = format!("SELECT a FROM t WHERE a IN ({})", vec!["1"; 1200].join(","));
        assert_rule("CLA.012", &[&long], &["SELECT a FROM t"]);
        let opts = ScoreOptions {
            spaghetti_query_length: 10,
            ..Default::default()
        };
        assert_eq!(hits_with("CLA.012", "SELECT a FROM t", &opts).len(), 1);
    }

    #[test]
    fn cla_013_having() {
        assert_rule(
            "CLA.013",
            &["SELECT a, COUNT(*) c FROM t GROUP BY a HAVING c > 1"],
            &["SELECT a, COUNT(*) c FROM t GROUP BY a"],
        );
    }

    #[test]
    fn cla_014_delete_whole_table() {
        assert_rule(
            "CLA.014",
            &["DELETE FROM t"],
            &[
                "DELETE FROM t WHERE id = 1",
                "DELETE FROM t LIMIT 1000",
                "TRUNCATE TABLE t",
            ],
        );
    }

    #[test]
    fn cla_015_update_without_where() {
        assert_rule(
            "CLA.015",
            &[
                "UPDATE t SET a = 1",
                "UPDATE t JOIN u ON t.id = u.id SET t.a = u.a",
            ],
            &["UPDATE t SET a = 1 WHERE id = 2", "DELETE FROM t"],
        );
    }

    #[test]
    fn cla_016_update_primary_key() {
        assert_rule(
            "CLA.016",
            &[
                "UPDATE t SET id = 5 WHERE id = 4",
                "UPDATE t SET a = 1, t.ID = 2 WHERE x = 1",
            ],
            &["UPDATE t SET user_id = 5 WHERE id = 4"],
        );
        assert_eq!(
            hits("CLA.016", "UPDATE t SET id = 5 WHERE id = 4")[0].at,
            Some((1, 14))
        );
    }
}
