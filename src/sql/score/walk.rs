//! Small read-only walks over sqlparser's tree that many score rules share: every expression,
//! every SELECT with its nesting depth, the top-level WHERE, AND-conjuncts, table names.

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
        && let Some((addr, count)) = KNOWN.get()
        && addr == std::ptr::from_ref(stmt) as usize
    {
        match (count, top_query(stmt)) {
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

thread_local! {
    /// The address of the statement being scored and how many queries it holds.
    static KNOWN: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// Runs `f` (the score's rules) with the number of queries in `stmt` counted once, so that
/// [`each_query`] and [`each_select`] on `stmt` itself need no walk of their own when it holds
/// none or only its top-level one, as most statements do (about 40 rules ask).
pub fn with_query_count<R>(stmt: &Statement, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(usize, usize)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            KNOWN.set(self.0);
        }
    }
    let mut count = 0;
    walk_queries(stmt, |_, _| count += 1);
    let _restore = Restore(KNOWN.replace(Some((std::ptr::from_ref(stmt) as usize, count))));
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
