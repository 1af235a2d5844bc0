//! JOI.* score rules: joins.

use std::collections::BTreeSet;

use sqlparser::ast::{
    BinaryOperator, Expr, FromTable, JoinOperator, ObjectName, Select, Spanned, Statement,
    TableFactor, TableWithJoins, UpdateTableFromKind,
};

use sqlparser::tokenizer::Token;

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{column_qualifier, conjuncts, each_select, table_name, table_schema, unnest};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "JOI.001",
        level: 2,
        summary: Text {
            en: "comma joins mixed with ANSI JOIN",
            zh: "JOIN 语句混用逗号和 ANSI 模式",
        },
        explain: Text {
            en: "`FROM a, b JOIN c ON …` mixes two join syntaxes whose precedence differs (JOIN binds tighter than the comma, so the ON clause cannot see a), which is hard to read and has changed between MySQL versions. Write every join as an explicit JOIN … ON.",
            zh: "表连接的时候混用逗号和 ANSI JOIN 不便于人类理解，并且 MySQL 不同版本的表连接行为和优先级均有所不同，当 MySQL 版本变化后可能会引入错误。请统一写成显式的 JOIN … ON。",
        },
        check: Some(comma_and_ansi_join),
    },
    Rule {
        id: "JOI.002",
        level: 4,
        summary: Text {
            en: "the same table is joined twice",
            zh: "同一张表被连接两次",
        },
        explain: Text {
            en: "A table that appears at least twice in one FROM clause is often a mistake, and can usually be reduced to a single access to that table (for example with conditional aggregation). Check the self-join is intended.",
            zh: "相同的表在 FROM 子句中至少出现两次，可以简化为对该表的单次访问（例如使用条件聚合）。请确认自连接是否必要。",
        },
        check: Some(same_table_twice),
    },
    Rule {
        id: "JOI.003",
        level: 4,
        summary: Text {
            en: "OUTER JOIN degenerates into an inner join",
            zh: "OUTER JOIN 失效",
        },
        explain: Text {
            en: "A WHERE condition on a column of the outer join's optional side (`… LEFT JOIN r … WHERE r.b = 10`) is false for the NULL-extended rows, so the query silently becomes an INNER JOIN. Move the condition into the ON clause, or write INNER JOIN if that is what you mean.",
            zh: "由于 WHERE 条件错误使得 OUTER JOIN 的外部表无数据返回，这会将查询隐式转换为 INNER JOIN。如：select c from L left join R using(c) where L.a=5 and R.b=10。请把条件移到 ON 子句中，或者直接使用 INNER JOIN。",
        },
        check: Some(outer_join_degenerates),
    },
    Rule {
        id: "JOI.004",
        level: 4,
        summary: Text {
            en: "exclusive JOIN (LEFT JOIN … WHERE right.col IS NULL)",
            zh: "不建议使用排它 JOIN",
        },
        explain: Text {
            en: "A LEFT OUTER JOIN whose WHERE keeps only the rows where the right table is NULL is an anti-join; it is easy to test the wrong column (`WHERE r.z IS NULL` where `r.r IS NULL` was meant). Check the column, or write NOT EXISTS (SELECT … ) to state the intent.",
            zh: "只在右侧表为 NULL 的带 WHERE 子句的 LEFT OUTER JOIN 语句，有可能是在 WHERE 子句中使用错误的列，如：“... FROM l LEFT OUTER JOIN r ON l.l = r.r WHERE r.z IS NULL”，这个查询正确的逻辑可能是 WHERE r.r IS NULL。也可以改写为 NOT EXISTS 子查询以明确意图。",
        },
        check: Some(exclusive_join),
    },
    Rule {
        id: "JOI.005",
        level: 2,
        summary: Text {
            en: "too many JOINs",
            zh: "减少 JOIN 的数量",
        },
        explain: Text {
            en: "Too many joined tables are a symptom of a spaghetti query: the optimizer's plan search grows quickly and one bad estimate multiplies. Split the query into several simple ones and reduce the number of JOINs.",
            zh: "太多的 JOIN 是复杂的裹脚布式查询的症状。考虑将复杂查询分解成许多简单的查询，并减少 JOIN 的数量。",
        },
        check: Some(too_many_joins),
    },
    Rule {
        id: "JOI.006",
        level: 4,
        summary: Text {
            en: "rewrite the nested query as a JOIN",
            zh: "将嵌套查询重写为 JOIN 通常会导致更高效的执行和更有效的优化",
        },
        explain: Text {
            en: "Nested queries (subqueries and derived tables) are often executed once per outer row or materialised without indexes; flattened into a JOIN they can be optimised together. Rewrite the nested query as a JOIN where the semantics allow.",
            zh: "一般来说，非嵌套子查询总是用于关联子查询，最多是来自 FROM 子句中的一个表，这些子查询用于 ANY、ALL 和 EXISTS 的谓词。如果可以根据查询语义决定子查询最多返回一个行，那么一个不相关的子查询或来自 FROM 子句中的多个表的子查询就被压平了。请尽量把嵌套查询重写为 JOIN。",
        },
        check: Some(nested_query),
    },
    Rule {
        id: "JOI.007",
        level: 4,
        summary: Text {
            en: "multi-table UPDATE/DELETE",
            zh: "不建议使用联表更新",
        },
        explain: Text {
            en: "An UPDATE or DELETE over joined tables locks rows in all of them, is hard to review and behaves differently under replication. Update one table per statement, selecting the keys to change first.",
            zh: "当需要同时更新多张表时建议使用简单 SQL，一条 SQL 只更新一张表，尽量不要将多张表的更新在同一条 SQL 中完成。",
        },
        check: Some(multi_table_update),
    },
    Rule {
        id: "JOI.008",
        level: 4,
        summary: Text {
            en: "cross-database JOIN",
            zh: "不要使用跨数据库的 JOIN 查询",
        },
        explain: Text {
            en: "A join across databases ties two subsystems together: they can no longer be moved, split or scaled separately, and it hints at a schema design problem. Query each database separately, or move the tables together.",
            zh: "一般来说，跨数据库的 JOIN 查询意味着查询语句跨越了两个不同的子系统，这可能意味着系统耦合度过高或库表结构设计不合理。",
        },
        check: Some(cross_database_join),
    },
];

/// Every FROM list of the statement: of each SELECT, and the table lists of UPDATE and DELETE.
fn each_from(stmt: &Statement, mut f: impl FnMut(&[TableWithJoins])) {
    each_select(stmt, |s, _| f(&s.from));
    match stmt {
        Statement::Update(u) => {
            f(std::slice::from_ref(&u.table));
            if let Some(UpdateTableFromKind::BeforeSet(v) | UpdateTableFromKind::AfterSet(v)) =
                &u.from
            {
                f(v);
            }
        }
        Statement::Delete(d) => {
            let (FromTable::WithFromKeyword(v) | FromTable::WithoutKeyword(v)) = &d.from;
            f(v);
            if let Some(u) = &d.using {
                f(u);
            }
        }
        _ => {}
    }
}

/// Every table factor of a FROM list, with nested joins `(a JOIN b)` flattened.
fn all_factors(from: &[TableWithJoins]) -> Vec<&TableFactor> {
    let mut out = Vec::new();
    for t in from {
        flatten(&t.relation, &mut out);
        for j in &t.joins {
            flatten(&j.relation, &mut out);
        }
    }
    out
}

/// A table factor, or the factors of a nested join `(a JOIN b)`.
fn flatten<'a>(f: &'a TableFactor, out: &mut Vec<&'a TableFactor>) {
    if let TableFactor::NestedJoin {
        table_with_joins, ..
    } = f
    {
        flatten(&table_with_joins.relation, out);
        for j in &table_with_joins.joins {
            flatten(&j.relation, out);
        }
    } else {
        out.push(f);
    }
}

fn table_of(f: &TableFactor) -> Option<&ObjectName> {
    match f {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}

/// The name a factor is referred to by in the query: its alias, else its table name (lower case).
fn ref_name(f: &TableFactor) -> Option<String> {
    match f {
        TableFactor::Table { name, alias, .. } => Some(
            alias
                .as_ref()
                .map(|a| a.name.value.to_lowercase())
                .unwrap_or_else(|| table_name(name)),
        ),
        TableFactor::Derived { alias, .. } => alias.as_ref().map(|a| a.name.value.to_lowercase()),
        _ => None,
    }
}

/// JOI.001: a FROM list with several comma-separated items, at least one of them an ANSI JOIN.
fn comma_and_ansi_join(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_from(stmt, |from| {
        if from.len() > 1
            && from.iter().any(|t| !t.joins.is_empty())
            && let Some(second) = from.get(1)
        {
            out.push(Hit::span(second.relation.span()));
        }
    });
    out
}

/// JOI.002: the same table twice in one FROM list (joins, commas and nested joins).
fn same_table_twice(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_from(stmt, |from| {
        let mut seen = BTreeSet::new();
        for f in all_factors(from) {
            if let Some(name) = table_of(f) {
                let key = name.to_string().to_lowercase().replace('`', "");
                if !seen.insert(key) {
                    out.push(Hit::span(name.span()).with(table_name(name)));
                }
            }
        }
    });
    out
}

/// The names (alias or table) of the optional sides of the outer joins of one SELECT: the right
/// side of LEFT JOIN, everything before a RIGHT JOIN.
fn optional_sides(s: &Select) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &s.from {
        let mut before: Vec<&TableFactor> = vec![&t.relation];
        for j in &t.joins {
            match j.join_operator {
                JoinOperator::Left(_) | JoinOperator::LeftOuter(_) => {
                    let mut inner = Vec::new();
                    flatten(&j.relation, &mut inner);
                    out.extend(inner.into_iter().filter_map(ref_name));
                }
                JoinOperator::Right(_) | JoinOperator::RightOuter(_) => {
                    for b in &before {
                        if let Some(n) = ref_name(b) {
                            out.insert(n);
                        }
                    }
                }
                _ => {}
            }
            before.push(&j.relation);
        }
    }
    out
}

/// The qualified column of the optional side a WHERE conjunct rejects NULLs of, when it does.
fn null_rejected_qualifier(e: &Expr) -> Option<String> {
    let col = match unnest(e) {
        Expr::BinaryOp {
            left,
            op:
                BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq,
            right,
        } => {
            return column_qualifier(left).or_else(|| column_qualifier(right));
        }
        Expr::InList {
            expr,
            negated: false,
            ..
        }
        | Expr::Between {
            expr,
            negated: false,
            ..
        }
        | Expr::Like { expr, .. }
        | Expr::ILike { expr, .. }
        | Expr::RLike { expr, .. }
        | Expr::IsNotNull(expr)
        | Expr::IsTrue(expr)
        | Expr::IsFalse(expr) => expr,
        _ => return None,
    };
    column_qualifier(col)
}

/// JOI.003: a WHERE conjunct that rejects NULLs on the optional side of an outer join.
fn outer_join_degenerates(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        let Some(w) = &s.selection else {
            return;
        };
        let optional = optional_sides(s);
        if optional.is_empty() {
            return;
        }
        for e in conjuncts(w) {
            if let Some(q) = null_rejected_qualifier(e)
                && optional.contains(&q)
            {
                out.push(Hit::span(e.span()).with(q));
            }
        }
    });
    out
}

/// JOI.004: LEFT/RIGHT JOIN whose WHERE keeps only rows with the optional side's column IS NULL.
fn exclusive_join(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        let Some(w) = &s.selection else {
            return;
        };
        let optional = optional_sides(s);
        for e in conjuncts(w) {
            if let Expr::IsNull(col) = unnest(e)
                && let Some(q) = column_qualifier(col)
                && optional.contains(&q)
            {
                out.push(Hit::span(e.span()).with(q));
            }
        }
    });
    out
}

/// JOI.005: more distinct tables than `max_join_table_count` in one FROM list.
fn too_many_joins(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let max = c.opts.max_join_table_count;
    let mut out = Vec::new();
    each_from(stmt, |from| {
        let names: BTreeSet<String> = all_factors(from)
            .into_iter()
            .filter_map(table_of)
            .map(|n| n.to_string().to_lowercase())
            .collect();
        if names.len() > max
            && let Some(first) = from.first()
        {
            out.push(Hit::span(first.relation.span()).with(format!("{} > {max}", names.len())));
        }
    });
    out
}

/// JOI.006: a nested query — a subquery in an expression or a derived table in FROM.
fn nested_query(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = super::subquery::subquery_exprs(stmt);
    each_from(stmt, |from| {
        for f in all_factors(from) {
            if matches!(f, TableFactor::Derived { .. }) {
                out.push(Hit::span(f.span()));
            }
        }
    });
    out
}

/// JOI.007: UPDATE or DELETE over more than one table.
fn multi_table_update(c: &Ctx) -> Vec<Hit> {
    let mut n = 0;
    if let Some(stmt) = c.ast {
        if !matches!(stmt, Statement::Update(_) | Statement::Delete(_)) {
            return Vec::new();
        }
        each_from(stmt, |from| n += all_factors(from).len());
        if let Statement::Delete(d) = stmt
            && d.tables.len() > 1
        {
            n = n.max(d.tables.len());
        }
    }
    // `UPDATE t1, t2 SET …` (which sqlparser does not parse): a comma between UPDATE and SET
    // outside parentheses.
    if crate::sql::tokens::is_word(c.toks, 0, "UPDATE") {
        let mut depth = 0usize;
        for t in c.toks {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => n = n.max(2),
                _ => {}
            }
            if crate::sql::tokens::word(t).is_some_and(|w| w == "SET") {
                break;
            }
        }
    }
    if n > 1 {
        vec![c.toks.first().map(Hit::tok).unwrap_or_default()]
    } else {
        Vec::new()
    }
}

/// JOI.008: a FROM list joining tables of different databases (an unqualified table counts as
/// the current database).
fn cross_database_join(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_from(stmt, |from| {
        let tables: Vec<&ObjectName> = all_factors(from).into_iter().filter_map(table_of).collect();
        if tables.len() < 2 {
            return;
        }
        let dbs: BTreeSet<Option<String>> = tables.iter().map(|n| table_schema(n)).collect();
        if dbs.len() > 1
            && let Some(n) = tables.iter().find(|n| table_schema(n).is_some())
        {
            out.push(Hit::span(n.span()).with(n.to_string()));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn joi_001_comma_and_ansi_join() {
        assert_rule(
            "JOI.001",
            &[
                "select c1,c2,c3 from t1,t2 join t3 on t1.c1=t3.c1 where id>1000",
                "SELECT * FROM a JOIN b ON a.x = b.x, c WHERE a.y = c.y",
            ],
            &[
                "SELECT * FROM a, b WHERE a.x = b.x",
                "SELECT * FROM a JOIN b ON a.x = b.x JOIN c ON c.y = a.y",
            ],
        );
        assert_eq!(
            hits("JOI.001", "SELECT * FROM a, b JOIN c ON b.x = c.x")[0].at,
            Some((1, 18))
        );
    }

    #[test]
    fn joi_002_same_table_twice() {
        assert_rule(
            "JOI.002",
            &[
                "select tb1.col from tb1, tb2 join tb1 x on x.id=tb2.id where tb1.id=1",
                "SELECT * FROM emp e JOIN emp m ON e.mgr = m.id",
                "UPDATE t JOIN t AS u ON t.a = u.a SET t.b = 1",
            ],
            &[
                "SELECT * FROM a JOIN b ON a.x = b.x",
                "SELECT * FROM t WHERE id IN (SELECT id FROM t)",
                "SELECT * FROM db1.t JOIN db2.t ON db1.t.a = db2.t.a",
            ],
        );
    }

    #[test]
    fn joi_003_outer_join_degenerates() {
        assert_rule(
            "JOI.003",
            &[
                "select c1,c2,c3 from t1 left outer join t2 using(c1) where t1.c2=2 and t2.c3=4",
                "SELECT * FROM l LEFT JOIN r AS x ON l.a = x.a WHERE x.b IN (1, 2)",
                "SELECT * FROM l RIGHT JOIN r ON l.a = r.a WHERE l.b > 0",
            ],
            &[
                "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE l.b = 1",
                "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE r.b IS NULL",
                "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE r.b = 1 OR r.b IS NULL",
                "SELECT * FROM l JOIN r ON l.a = r.a WHERE r.b = 1",
            ],
        );
        let h = hits(
            "JOI.003",
            "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE r.b = 1",
        );
        assert_eq!(h[0].at, Some((1, 48)));
        assert_eq!(h[0].detail.as_deref(), Some("r"));
    }

    #[test]
    fn joi_004_exclusive_join() {
        assert_rule(
            "JOI.004",
            &[
                "select c1,c2,c3 from t1 left outer join t2 on t1.c1=t2.c1 where t2.c2 is null",
                "SELECT * FROM l LEFT JOIN r x ON l.a = x.a WHERE l.b = 1 AND x.z IS NULL",
            ],
            &[
                "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE l.b IS NULL",
                "SELECT * FROM l JOIN r ON l.a = r.a WHERE r.b IS NULL",
                "SELECT * FROM l LEFT JOIN r ON l.a = r.a WHERE r.b IS NOT NULL",
            ],
        );
    }

    #[test]
    fn joi_005_too_many_joins() {
        let six = "select bp1.p_id, b1.d_d as l, b1.b_id from b1 join bp1 on (b1.b_id = bp1.b_id) left outer join (b1 as b2 join bp2 on (b2.b_id = bp2.b_id)) on (bp1.p_id = bp2.p_id ) join bp21 on (b1.b_id = bp1.b_id) join bp31 on (b1.b_id = bp1.b_id) join bp41 on (b1.b_id = bp1.b_id) where b2.b_id = 0";
        assert_rule(
            "JOI.005",
            &[six],
            &["SELECT * FROM a JOIN b ON a.x = b.x JOIN c ON c.x = a.x"],
        );
        let opts = ScoreOptions {
            max_join_table_count: 6,
            ..ScoreOptions::default()
        };
        assert!(hits_with("JOI.005", six, &opts).is_empty());
        assert_eq!(hits("JOI.005", six)[0].detail.as_deref(), Some("6 > 5"));
    }

    #[test]
    fn joi_006_nested_query() {
        assert_rule(
            "JOI.006",
            &[
                "SELECT s,p,d FROM tbl WHERE p.p_id = (SELECT s.p_id FROM tbl WHERE s.c_id = 100996 AND s.q = 1)",
                "SELECT * FROM (SELECT a FROM t) AS d",
                "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
            ],
            &["SELECT * FROM a JOIN b ON a.x = b.x", "SELECT 1"],
        );
    }

    #[test]
    fn joi_007_multi_table_update() {
        assert_rule(
            "JOI.007",
            &[
                "UPDATE users u LEFT JOIN hobby h ON u.id = h.uid SET u.name = 'pianoboy' WHERE h.hobby = 'piano'",
                "DELETE t1 FROM t1 JOIN t2 ON t1.a = t2.a",
                "UPDATE t1, t2 SET t1.a = t2.a WHERE t1.id = t2.id",
                "DELETE FROM t1, t2 USING t1 JOIN t2 ON t1.a = t2.a",
            ],
            &[
                "UPDATE t SET a = 1 WHERE id = 2",
                "DELETE FROM t WHERE id = 1",
            ],
        );
    }

    #[test]
    fn joi_008_cross_database_join() {
        assert_rule(
            "JOI.008",
            &[
                "SELECT * FROM db1.t JOIN db2.u ON t.a = u.a",
                "SELECT * FROM db1.t, u WHERE t.a = u.a",
            ],
            &[
                "SELECT * FROM db1.t JOIN db1.u ON t.a = u.a",
                "SELECT * FROM t JOIN u ON t.a = u.a",
                "SELECT * FROM db1.t",
            ],
        );
        assert_eq!(
            hits("JOI.008", "SELECT * FROM t JOIN db2.u ON t.a = u.a")[0]
                .detail
                .as_deref(),
            Some("db2.u")
        );
    }
}
