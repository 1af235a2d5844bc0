//! Small read-only walks over sqlparser's tree that many score rules share: every expression,
//! every SELECT with its nesting depth, the top-level WHERE, AND-conjuncts, table names; and the
//! one census walk per scored statement that lets many of those walks be skipped.

use std::any::Any;
use std::cell::Cell;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, Query, Select, SetExpr, Statement, TableFactor,
    TableWithJoins, Visit, Visitor,
};

/// Calls `f` on every expression of `node`, outer ones before the ones inside them (subqueries included).
pub fn each_expr<V: Visit>(node: &V, mut f: impl FnMut(&Expr)) {
    let _ = sqlparser::ast::visit_expressions(node, |e| {
        f(e);
        ControlFlow::<()>::Continue(())
    });
}

/// Kinds of expression, one bit each, for [`each_expr_of`].
pub mod kind {
    pub const LIKE: u32 = 1;
    pub const RLIKE: u32 = 1 << 1;
    pub const SIMILAR_TO: u32 = 1 << 2;
    pub const IN_LIST: u32 = 1 << 3;
    pub const IN_SUBQUERY: u32 = 1 << 4;
    pub const SUBQUERY: u32 = 1 << 5;
    pub const EXISTS: u32 = 1 << 6;
    /// `op ANY (…)`, `op ALL (…)`.
    pub const ANY_ALL: u32 = 1 << 7;
    pub const FUNCTION: u32 = 1 << 8;
}

/// The [`kind`] bit of an expression (0 for the kinds without one).
fn kind_of(e: &Expr) -> u32 {
    match e {
        Expr::Like { .. } => kind::LIKE,
        Expr::RLike { .. } => kind::RLIKE,
        Expr::SimilarTo { .. } => kind::SIMILAR_TO,
        Expr::InList { .. } => kind::IN_LIST,
        Expr::InSubquery { .. } => kind::IN_SUBQUERY,
        Expr::Subquery(_) => kind::SUBQUERY,
        Expr::Exists { .. } => kind::EXISTS,
        Expr::AnyOp { .. } | Expr::AllOp { .. } => kind::ANY_ALL,
        Expr::Function(_) => kind::FUNCTION,
        _ => 0,
    }
}

/// [`each_expr`] for an `f` that does nothing unless the expression is one of `kinds`: on the
/// statement being scored (see [`with_census`]) that holds none of them, no walk at all.
pub fn each_expr_of<V: Visit + Any>(node: &V, kinds: u32, f: impl FnMut(&Expr)) {
    if let Some(stmt) = (node as &dyn Any).downcast_ref::<Statement>()
        && let Some(known) = KNOWN.get()
        && known.addr == std::ptr::from_ref(stmt) as usize
        && known.kinds & kinds == 0
    {
        return;
    }
    each_expr(node, f);
}

/// True when any expression of `node` satisfies `pred`.
pub fn any_expr<V: Visit>(node: &V, mut pred: impl FnMut(&Expr) -> bool) -> bool {
    sqlparser::ast::visit_expressions(node, |e| {
        if pred(e) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// Calls `f` on every table name of `node` (FROM, JOIN, INSERT INTO, UPDATE, DELETE, DDL targets).
pub fn each_relation<V: Visit>(node: &V, mut f: impl FnMut(&ObjectName)) {
    let _ = sqlparser::ast::visit_relations(node, |r| {
        f(r);
        ControlFlow::<()>::Continue(())
    });
}

struct Queries<F> {
    depth: usize,
    f: F,
}

/// Counts the queries and notes the [`kind`]s of expression of one tree.
#[derive(Default)]
struct Census {
    queries: usize,
    kinds: u32,
}

impl Visitor for Census {
    type Break = ();
    fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.queries += 1;
        ControlFlow::Continue(())
    }
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        self.kinds |= kind_of(e);
        ControlFlow::Continue(())
    }
}

impl<F: FnMut(&Query, usize)> Visitor for Queries<F> {
    type Break = ();
    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        (self.f)(q, self.depth);
        self.depth += 1;
        ControlFlow::Continue(())
    }
    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }
}

/// Calls `f` on every query (the statement's own, CTEs, derived tables, subqueries) with its
/// nesting depth: 0 for the outermost.
pub fn each_query<V: Visit + Any>(node: &V, mut f: impl FnMut(&Query, usize)) {
    if let Some(stmt) = (node as &dyn Any).downcast_ref::<Statement>()
        && let Some(known) = KNOWN.get()
        && known.addr == std::ptr::from_ref(stmt) as usize
    {
        match (known.queries, top_query(stmt)) {
            (0, _) => return,
            (1, Some(q)) => {
                f(q, 0);
                return;
            }
            _ => {}
        }
    }
    walk_queries(node, f);
}

fn walk_queries<V: Visit>(node: &V, f: impl FnMut(&Query, usize)) {
    let mut v = Queries { depth: 0, f };
    let _ = node.visit(&mut v);
}

/// What one walk found in the statement being scored.
#[derive(Clone, Copy)]
struct Known {
    /// The statement's address (it is borrowed for as long as this is set).
    addr: usize,
    queries: usize,
    kinds: u32,
}

thread_local! {
    static KNOWN: Cell<Option<Known>> = const { Cell::new(None) };
}

/// Runs `f` (the score's rules) with the queries of `stmt` counted and its [`kind`]s of
/// expression noted in one walk, so that [`each_query`] and [`each_select`] on `stmt` itself
/// need no walk of their own when it holds no query or only its top-level one (most
/// statements; about 40 rules ask), nor [`each_expr_of`] when it holds none of the kinds asked.
pub fn with_census<R>(stmt: &Statement, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Known>);
    impl Drop for Restore {
        fn drop(&mut self) {
            KNOWN.set(self.0);
        }
    }
    let mut census = Census::default();
    let _ = stmt.visit(&mut census);
    let _restore = Restore(KNOWN.replace(Some(Known {
        addr: std::ptr::from_ref(stmt) as usize,
        queries: census.queries,
        kinds: census.kinds,
    })));
    f()
}

/// Calls `f` on every SELECT block with the depth of the query it belongs to (0 = outermost;
/// every branch of a top-level UNION is depth 0).
pub fn each_select<V: Visit + Any>(node: &V, mut f: impl FnMut(&Select, usize)) {
    each_query(node, |q, depth| {
        selects_of(&q.body, &mut |s| f(s, depth));
    });
}

/// The SELECT blocks of a set expression, without descending into nested queries.
pub fn selects_of<'a>(body: &'a SetExpr, f: &mut impl FnMut(&'a Select)) {
    match body {
        SetExpr::Select(s) => f(s),
        SetExpr::SetOperation { left, right, .. } => {
            selects_of(left, f);
            selects_of(right, f);
        }
        _ => {}
    }
}

/// The number of queries nested inside the statement (subqueries, derived tables, CTEs).
pub fn subquery_count(stmt: &Statement) -> usize {
    let mut n = 0;
    each_query(stmt, |_, depth| {
        if depth > 0 || !matches!(stmt, Statement::Query(_)) {
            n += 1;
        }
    });
    n
}

/// The outermost SELECT of a query statement, when its body is a plain SELECT.
pub fn top_select(stmt: &Statement) -> Option<&Select> {
    match stmt {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Select(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// The outermost query of a statement (`SELECT`, or the source of `INSERT … SELECT`).
pub fn top_query(stmt: &Statement) -> Option<&Query> {
    match stmt {
        Statement::Query(q) => Some(q),
        Statement::Insert(i) => i.source.as_deref(),
        _ => None,
    }
}

/// The WHERE of the statement itself: of its outermost SELECT, UPDATE or DELETE.
pub fn top_where(stmt: &Statement) -> Option<&Expr> {
    match stmt {
        Statement::Query(_) => top_select(stmt).and_then(|s| s.selection.as_ref()),
        Statement::Update(u) => u.selection.as_ref(),
        Statement::Delete(d) => d.selection.as_ref(),
        _ => None,
    }
}

/// Splits an expression on top-level AND (through parentheses).
pub fn conjuncts(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    fn go<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                go(left, out);
                go(right, out);
            }
            Expr::Nested(inner) => go(inner, out),
            _ => out.push(e),
        }
    }
    go(e, &mut out);
    out
}

/// Splits an expression on top-level OR (through parentheses).
pub fn disjuncts(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    fn go<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                go(left, out);
                go(right, out);
            }
            Expr::Nested(inner) => go(inner, out),
            _ => out.push(e),
        }
    }
    go(e, &mut out);
    out
}

/// Removes any number of parentheses around an expression.
pub fn unnest(mut e: &Expr) -> &Expr {
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// The column an expression names directly (`c`, `t.c`, `db.t.c`), lower case, without qualifier.
pub fn column_name(e: &Expr) -> Option<String> {
    match unnest(e) {
        Expr::Identifier(i) => Some(i.value.to_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()),
        _ => None,
    }
}

/// The qualifier of a column reference (`t` in `t.c`), lower case.
pub fn column_qualifier(e: &Expr) -> Option<String> {
    match unnest(e) {
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            Some(parts[parts.len() - 2].value.to_lowercase())
        }
        _ => None,
    }
}

/// True for a literal value (number, string, NULL, boolean, …), possibly negated or parenthesised.
pub fn is_literal(e: &Expr) -> bool {
    match unnest(e) {
        Expr::Value(_) | Expr::TypedString { .. } => true,
        Expr::UnaryOp { expr, .. } => is_literal(expr),
        _ => false,
    }
}

/// The last part of a table name, lower case and unquoted.
pub fn table_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

/// The database part of a qualified table name (`db` in `db.t`), lower case.
pub fn table_schema(name: &ObjectName) -> Option<String> {
    if name.0.len() < 2 {
        return None;
    }
    name.0[name.0.len() - 2]
        .as_ident()
        .map(|i| i.value.to_lowercase())
}

/// Every table factor of a FROM list: each chain's first relation and its joined ones.
pub fn factors(from: &[TableWithJoins]) -> Vec<&TableFactor> {
    from.iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATEMENTS: &[&str] = &[
        "SELECT 1",
        "SELECT a FROM t WHERE b LIKE 'x%' AND c IN (1, 2)",
        "SELECT COUNT(*) FROM t WHERE a IN (SELECT a FROM u WHERE b RLIKE 'x')",
        "UPDATE t SET a = 1 WHERE b IN (SELECT b FROM u)",
        "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
        "INSERT INTO t (a) SELECT a FROM u WHERE a > ALL (SELECT a FROM v)",
        "INSERT INTO t (a) VALUES (1), (2)",
        "CREATE VIEW v AS SELECT a FROM t WHERE a NOT LIKE 'b'",
        "WITH c AS (SELECT a FROM t) SELECT * FROM c, (SELECT 1 AS x) d",
        "SELECT a FROM t UNION SELECT (SELECT MAX(b) FROM u) FROM v",
        "CREATE TABLE t (a INT)",
        "EXPLAIN SELECT a FROM t WHERE a SIMILAR TO 'x'",
    ];

    fn queries<V: Visit + Any>(node: &V) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        each_query(node, |q, d| out.push((q.to_string(), d)));
        out
    }

    #[test]
    fn the_shortcuts_on_the_scored_statement_see_what_a_walk_sees() {
        for sql in STATEMENTS {
            let stmts = crate::sql::limits::parse(sql).expect(sql);
            let stmt = &stmts[0];
            let mut walked = Vec::new();
            walk_queries(stmt, |q, d| walked.push((q.to_string(), d)));
            for bit in 0..9 {
                let kinds = 1u32 << bit;
                let mut plain = Vec::new();
                each_expr(stmt, |e| {
                    if kind_of(e) & kinds != 0 {
                        plain.push(e.to_string());
                    }
                });
                let mut known = Vec::new();
                with_census(stmt, || {
                    assert_eq!(queries(stmt), walked, "{sql}");
                    each_expr_of(stmt, kinds, |e| {
                        if kind_of(e) & kinds != 0 {
                            known.push(e.to_string());
                        }
                    });
                });
                assert_eq!(known, plain, "{sql}: kind bit {bit}");
            }
            // Outside the score (no statement known), every walk is a real one.
            assert_eq!(queries(stmt), walked, "{sql}");
        }
    }
}
