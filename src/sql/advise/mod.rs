//! Index advice in the SOAR/SQLAdvisor manner: equality columns first, then one range column,
//! GROUP BY/ORDER BY columns only when no range breaks the index, join columns on the driven
//! table; offline from the statement alone, or with live indexes and cardinality from 9901.

mod live;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    BinaryOperator, Expr, GroupByExpr, JoinConstraint, JoinOperator, ObjectName, OrderByKind,
    OrderBySort, Select, Statement, TableFactor, TableWithJoins, Value,
};

use super::score::walk::{
    column_name, column_qualifier, conjuncts, each_select, is_literal, unnest,
};
use super::split::split;
use crate::model::Lang;
pub use live::{IndexMeta, LiveMeta, TableMeta, parse_live};

/// Most columns in one advised index.
const MAX_INDEX_COLUMNS: usize = 5;

/// One index to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// 1-based statement number.
    pub statement: usize,
    /// The table as the statement names it (`t` or `db.t`).
    pub table: String,
    pub columns: Vec<String>,
    /// `ALTER TABLE … ADD INDEX …;`
    pub ddl: String,
    /// Why these columns, in this order.
    pub reasons: Vec<String>,
}

/// Something the advisor noticed but that is not an index to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub statement: usize,
    pub text: String,
}

/// The result of [`advise`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviseReport {
    pub advice: Vec<Advice>,
    pub notes: Vec<Note>,
    /// True when live metadata (existing indexes, cardinality) was used.
    pub live: bool,
}

fn tr(lang: Lang, en: String, zh: String) -> String {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// Advises indexes for every statement of `sql`; `live` adds existing indexes and cardinality.
pub fn advise(sql: &str, live: Option<&LiveMeta>, lang: Lang) -> AdviseReport {
    super::limits::with_stack(|| advise_on_stack(sql, live, lang))
}

fn advise_on_stack(sql: &str, live: Option<&LiveMeta>, lang: Lang) -> AdviseReport {
    let mut report = AdviseReport {
        live: live.is_some(),
        ..Default::default()
    };
    for (n, st) in split(sql).into_iter().enumerate() {
        let number = n + 1;
        let stmt = match super::limits::parse(&st.text) {
            Ok(mut v) if v.len() == 1 => v.remove(0),
            Err(super::limits::ParseFail::Limit {
                line,
                column,
                message,
            }) => {
                let at = format!("{}:{}", st.start.line + line - 1, column);
                report.notes.push(Note {
                    statement: number,
                    text: tr(
                        lang,
                        format!("not analysed: {message} (at {at})"),
                        format!("未分析：超出限制 (位置 {at})：{message}"),
                    ),
                });
                continue;
            }
            _ => {
                report.notes.push(Note {
                    statement: number,
                    text: tr(
                        lang,
                        "not analysed: the offline parser cannot read this statement".into(),
                        "未分析：离线解析器无法解析该语句".into(),
                    ),
                });
                continue;
            }
        };
        let mut blocks = Vec::new();
        match &stmt {
            Statement::Update(u) => blocks.push(Block::dml(
                std::slice::from_ref(&u.table),
                u.selection.as_ref(),
            )),
            Statement::Delete(d) => {
                let from = match &d.from {
                    sqlparser::ast::FromTable::WithFromKeyword(f)
                    | sqlparser::ast::FromTable::WithoutKeyword(f) => f.as_slice(),
                };
                blocks.push(Block::dml(from, d.selection.as_ref()));
            }
            _ => {}
        }
        each_select(&stmt, |s, _| blocks.push(Block::select(s)));
        // ORDER BY of the outermost query belongs to its (single) SELECT.
        if let Statement::Query(q) = &stmt
            && let Some(ob) = &q.order_by
            && let OrderByKind::Expressions(exprs) = &ob.kind
            && let Some(first) = blocks.first_mut()
            && matches!(q.body.as_ref(), sqlparser::ast::SetExpr::Select(_))
        {
            first.order_by = exprs
                .iter()
                .map(|o| {
                    let desc = matches!(o.options.sort, Some(OrderBySort::Desc));
                    (o.expr.clone(), desc)
                })
                .collect();
        }
        let mut seen: Vec<(String, Vec<String>)> = Vec::new();
        for b in blocks {
            b.advise(number, live, lang, &mut report, &mut seen);
        }
    }
    report
}

/// A named table of a FROM list.
#[derive(Debug, Clone)]
struct TableRef {
    name: ObjectName,
    /// Alias, else the bare table name; lower case.
    key: String,
}

/// One SELECT, UPDATE or DELETE: its tables and the conditions that could use an index.
struct Block {
    tables: Vec<TableRef>,
    conditions: Vec<Expr>,
    /// Join conditions (ON) with the index of the joined (driven) table.
    joins: Vec<(usize, Expr)>,
    group_by: Vec<Expr>,
    order_by: Vec<(Expr, bool)>,
}

#[derive(Debug, Default)]
struct Plan {
    eq: Vec<(String, String)>,
    range: Vec<(String, String)>,
}

impl Block {
    fn from_list(from: &[TableWithJoins]) -> (Vec<TableRef>, Vec<(usize, Expr)>) {
        let mut tables = Vec::new();
        let mut joins = Vec::new();
        for twj in from {
            if let Some(t) = table_ref(&twj.relation) {
                tables.push(t);
            }
            for j in &twj.joins {
                let Some(t) = table_ref(&j.relation) else {
                    continue;
                };
                tables.push(t);
                let idx = tables.len() - 1;
                let on = match &j.join_operator {
                    JoinOperator::Join(JoinConstraint::On(e))
                    | JoinOperator::Inner(JoinConstraint::On(e))
                    | JoinOperator::Left(JoinConstraint::On(e))
                    | JoinOperator::LeftOuter(JoinConstraint::On(e))
                    | JoinOperator::Right(JoinConstraint::On(e))
                    | JoinOperator::RightOuter(JoinConstraint::On(e))
                    | JoinOperator::StraightJoin(JoinConstraint::On(e)) => Some(e),
                    _ => None,
                };
                if let Some(e) = on {
                    for c in conjuncts(e) {
                        joins.push((idx, c.clone()));
                    }
                }
            }
        }
        (tables, joins)
    }

    fn select(s: &Select) -> Block {
        let (tables, joins) = Block::from_list(&s.from);
        let group_by = match &s.group_by {
            GroupByExpr::Expressions(e, _) => e.clone(),
            GroupByExpr::All(_) => Vec::new(),
        };
        Block {
            tables,
            conditions: s
                .selection
                .as_ref()
                .map(|w| conjuncts(w).into_iter().cloned().collect())
                .unwrap_or_default(),
            joins,
            group_by,
            order_by: Vec::new(),
        }
    }

    fn dml(from: &[TableWithJoins], selection: Option<&Expr>) -> Block {
        let (tables, joins) = Block::from_list(from);
        Block {
            tables,
            conditions: selection
                .map(|w| conjuncts(w).into_iter().cloned().collect())
                .unwrap_or_default(),
            joins,
            group_by: Vec::new(),
            order_by: Vec::new(),
        }
    }

    /// The table a column reference belongs to: by qualifier, by being the only table, or by
    /// the live metadata knowing the column in exactly one of the tables.
    fn owner(&self, e: &Expr, live: Option<&LiveMeta>) -> Option<usize> {
        column_name(e)?;
        if let Some(q) = column_qualifier(e) {
            return self.tables.iter().position(|t| t.key == q);
        }
        if self.tables.len() == 1 {
            return Some(0);
        }
        let col = column_name(e)?;
        let live = live?;
        let known: Vec<usize> = (0..self.tables.len())
            .filter(|&i| {
                live.table(&self.tables[i].name.to_string())
                    .is_some_and(|m| {
                        m.cardinality.contains_key(&col)
                            || m.indexes.iter().any(|ix| ix.columns.contains(&col))
                    })
            })
            .collect();
        (known.len() == 1).then(|| known[0])
    }

    fn advise(
        &self,
        number: usize,
        live: Option<&LiveMeta>,
        lang: Lang,
        report: &mut AdviseReport,
        seen: &mut Vec<(String, Vec<String>)>,
    ) {
        if self.tables.is_empty() {
            return;
        }
        let mut plans: Vec<Plan> = self.tables.iter().map(|_| Plan::default()).collect();
        let note = |report: &mut AdviseReport, text: String| {
            if !report
                .notes
                .iter()
                .any(|n| n.statement == number && n.text == text)
            {
                report.notes.push(Note {
                    statement: number,
                    text,
                });
            }
        };
        for c in &self.conditions {
            match classify(c) {
                Pred::Eq(col) | Pred::Range(col) if self.owner(col, live).is_none() => {
                    let name = column_name(col).unwrap_or_default();
                    note(
                        report,
                        tr(
                            lang,
                            format!(
                                "column `{name}` could belong to several tables: qualify it (t.{name}) to get advice for it"
                            ),
                            format!(
                                "无法确定列 `{name}` 属于哪张表：请加上表名或别名（t.{name}）以便给出建议"
                            ),
                        ),
                    );
                }
                Pred::Eq(col) => {
                    let i = self.owner(col, live).unwrap_or(0);
                    let name = column_name(col).unwrap_or_default();
                    plans[i].eq.push((
                        name.clone(),
                        tr(
                            lang,
                            format!("`{name}` is compared for equality"),
                            format!("`{name}` 是等值条件"),
                        ),
                    ));
                }
                Pred::Range(col) => {
                    let i = self.owner(col, live).unwrap_or(0);
                    let name = column_name(col).unwrap_or_default();
                    plans[i].range.push((
                        name.clone(),
                        tr(
                            lang,
                            format!("`{name}` is a range condition: index columns after it cannot narrow the search, so it comes last"),
                            format!("`{name}` 是范围条件：其后的索引列无法再缩小范围，因此放在最后"),
                        ),
                    ));
                }
                Pred::Join(a, b) => self.add_join(a, b, None, live, lang, &mut plans),
                Pred::Unusable(why) => note(report, why.text(lang)),
                Pred::Other => {}
            }
        }
        for (driven, e) in &self.joins {
            match classify(e) {
                Pred::Join(a, b) => self.add_join(a, b, Some(*driven), live, lang, &mut plans),
                Pred::Eq(col) => {
                    if let Some(i) = self.owner(col, live) {
                        let name = column_name(col).unwrap_or_default();
                        plans[i].eq.push((
                            name.clone(),
                            tr(
                                lang,
                                format!("`{name}` is compared for equality in the join condition"),
                                format!("`{name}` 在连接条件中是等值条件"),
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        for (i, plan) in plans.iter().enumerate() {
            self.advise_table(i, plan, number, live, lang, report, seen);
        }
    }

    /// A join predicate `a = b`: the column of the driven table gets an equality entry.
    fn add_join(
        &self,
        a: &Expr,
        b: &Expr,
        driven: Option<usize>,
        live: Option<&LiveMeta>,
        lang: Lang,
        plans: &mut [Plan],
    ) {
        let (Some(ia), Some(ib)) = (self.owner(a, live), self.owner(b, live)) else {
            return;
        };
        if ia == ib {
            return;
        }
        // The driven table is the joined one for an ON clause, else the later one in FROM.
        let target = driven
            .filter(|d| *d == ia || *d == ib)
            .unwrap_or(ia.max(ib));
        let (col, other) = if target == ia { (a, ib) } else { (b, ia) };
        let name = column_name(col).unwrap_or_default();
        let other = &self.tables[other].key;
        plans[target].eq.push((
            name.clone(),
            tr(
                lang,
                format!("`{name}` joins this (driven) table to `{other}`: each row of `{other}` looks it up"),
                format!("`{name}` 是与 `{other}` 的连接列：本表是被驱动表，`{other}` 的每一行都按它查找"),
            ),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn advise_table(
        &self,
        i: usize,
        plan: &Plan,
        number: usize,
        live: Option<&LiveMeta>,
        lang: Lang,
        report: &mut AdviseReport,
        seen: &mut Vec<(String, Vec<String>)>,
    ) {
        let t = &self.tables[i];
        let table_name = t.name.to_string();
        let meta = live.and_then(|m| m.table(&table_name));
        let mut eq: Vec<(String, String)> = Vec::new();
        for (c, why) in &plan.eq {
            if !eq.iter().any(|(e, _)| e == c) {
                eq.push((c.clone(), why.clone()));
            }
        }
        let mut reasons = Vec::new();
        if let Some(m) = meta
            && eq.len() > 1
            && eq.iter().all(|(c, _)| m.cardinality.contains_key(c))
        {
            eq.sort_by_key(|(c, _)| std::cmp::Reverse(m.cardinality.get(c).copied()));
            let order: Vec<String> = eq
                .iter()
                .map(|(c, _)| format!("{c} ({})", m.cardinality.get(c).copied().unwrap_or(0)))
                .collect();
            reasons.push(tr(
                lang,
                format!(
                    "equality columns ordered by cardinality, most selective first: {}",
                    order.join(", ")
                ),
                format!("等值列按区分度（基数）从高到低排列：{}", order.join(", ")),
            ));
        }
        let mut cols: Vec<String> = Vec::new();
        for (c, why) in eq {
            cols.push(c);
            reasons.push(why);
        }
        let range = plan.range.iter().find(|(c, _)| !cols.contains(c));
        if let Some((c, why)) = range {
            cols.push(c.clone());
            reasons.push(why.clone());
        } else if i == 0 {
            // No range condition: GROUP BY, else ORDER BY, can still be served by the index.
            let group: Option<Vec<String>> = (!self.group_by.is_empty())
                .then(|| self.plain_columns_of(i, self.group_by.iter(), live))
                .flatten();
            let order: Option<Vec<String>> = (self.group_by.is_empty()
                && !self.order_by.is_empty()
                && self.order_by.iter().all(|(_, d)| *d == self.order_by[0].1))
            .then(|| self.plain_columns_of(i, self.order_by.iter().map(|(e, _)| e), live))
            .flatten();
            if let Some(g) = group {
                let added: Vec<String> = g.into_iter().filter(|c| !cols.contains(c)).collect();
                if !added.is_empty() {
                    reasons.push(tr(
                        lang,
                        format!("GROUP BY {} follows the equality columns: there is no range condition, so the index also delivers the groups in order (no temporary table)", added.join(", ")),
                        format!("GROUP BY {} 接在等值列之后：没有范围条件，索引可以直接按序分组（避免临时表）", added.join(", ")),
                    ));
                    cols.extend(added);
                }
            } else if let Some(o) = order {
                let added: Vec<String> = o.into_iter().filter(|c| !cols.contains(c)).collect();
                if !added.is_empty() {
                    reasons.push(tr(
                        lang,
                        format!("ORDER BY {} follows the equality columns: there is no range condition and every sort column goes the same direction, so the index avoids a filesort", added.join(", ")),
                        format!("ORDER BY {} 接在等值列之后：没有范围条件且排序方向一致，索引可避免 filesort", added.join(", ")),
                    ));
                    cols.extend(added);
                }
            }
        }
        if cols.is_empty() {
            return;
        }
        cols.truncate(MAX_INDEX_COLUMNS);
        if let Some(m) = meta {
            if let Some(ix) = m.indexes.iter().find(|ix| ix.columns.starts_with(&cols)) {
                report.notes.push(Note {
                    statement: number,
                    text: tr(
                        lang,
                        format!(
                            "`{table_name}` already has index `{}` ({}) covering ({})",
                            ix.name,
                            ix.columns.join(", "),
                            cols.join(", ")
                        ),
                        format!(
                            "`{table_name}` 已有索引 `{}` ({}) 覆盖 ({})",
                            ix.name,
                            ix.columns.join(", "),
                            cols.join(", ")
                        ),
                    ),
                });
                return;
            }
            if let (Some(rows), Some(first)) = (m.rows, cols.first())
                && let Some(card) = m.cardinality.get(first)
                && rows >= 1000
                && card * 100 < rows
            {
                reasons.push(tr(
                    lang,
                    format!("note: `{first}` has only {card} distinct values in about {rows} rows; the index may not be selective enough"),
                    format!("注意：`{first}` 在约 {rows} 行中只有 {card} 个不同值，索引区分度可能不足"),
                ));
            }
        }
        if seen
            .iter()
            .any(|(t, c)| *t == table_name && c.starts_with(&cols))
        {
            return;
        }
        seen.push((table_name.clone(), cols.clone()));
        let ddl = format!(
            "ALTER TABLE {} ADD INDEX {} ({});",
            quote_name(&t.name),
            quote_ident(&index_name(&cols)),
            cols.iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        report.advice.push(Advice {
            statement: number,
            table: table_name,
            columns: cols,
            ddl,
            reasons,
        });
    }

    /// The column names of `exprs` when every one is a plain column of table `i`.
    fn plain_columns_of<'e>(
        &self,
        i: usize,
        exprs: impl Iterator<Item = &'e Expr>,
        live: Option<&LiveMeta>,
    ) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for e in exprs {
            if self.owner(e, live)? != i {
                return None;
            }
            out.push(column_name(e)?);
        }
        Some(out)
    }
}

fn table_ref(f: &TableFactor) -> Option<TableRef> {
    match f {
        TableFactor::Table { name, alias, .. } => {
            let key = alias
                .as_ref()
                .map(|a| a.name.value.to_lowercase())
                .unwrap_or_else(|| super::score::walk::table_name(name));
            Some(TableRef {
                name: name.clone(),
                key,
            })
        }
        _ => None,
    }
}

/// Why a condition cannot use an index.
enum Why {
    Function(String),
    LeadingWildcard(String),
    Negation(String),
}

impl Why {
    fn text(&self, lang: Lang) -> String {
        match self {
            Why::Function(c) => tr(
                lang,
                format!(
                    "`{c}` is wrapped in a function or expression in WHERE, so no index on it can be used: compare the bare column"
                ),
                format!("WHERE 中 `{c}` 被函数或表达式包裹，无法使用其上的索引：请直接比较列本身"),
            ),
            Why::LeadingWildcard(c) => tr(
                lang,
                format!(
                    "LIKE on `{c}` starts with a wildcard, so no index can be used: use a prefix match or a FULLTEXT index"
                ),
                format!("`{c}` 的 LIKE 以通配符开头，无法使用索引：请改为前缀匹配或使用全文索引"),
            ),
            Why::Negation(c) => tr(
                lang,
                format!(
                    "a negative condition on `{c}` (NOT IN, <>, NOT LIKE) cannot narrow an index search"
                ),
                format!("`{c}` 上的否定条件（NOT IN、<>、NOT LIKE）无法利用索引缩小范围"),
            ),
        }
    }
}

enum Pred<'a> {
    Eq(&'a Expr),
    Range(&'a Expr),
    Join(&'a Expr, &'a Expr),
    Unusable(Why),
    Other,
}

fn is_value(e: &Expr) -> bool {
    is_literal(e) || matches!(unnest(e), Expr::Value(_))
}

/// The first column named inside an expression that is not a plain column.
fn inner_column(e: &Expr) -> Option<String> {
    let mut found = None;
    super::score::walk::each_expr(e, |x| {
        if found.is_none() {
            found = column_name(x);
        }
    });
    found
}

fn classify(e: &Expr) -> Pred<'_> {
    let e = unnest(e);
    match e {
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (unnest(left), unnest(right));
            let lc = column_name(l).is_some();
            let rc = column_name(r).is_some();
            match op {
                BinaryOperator::Eq | BinaryOperator::Spaceship => {
                    if lc && rc {
                        Pred::Join(l, r)
                    } else if lc && is_value(r) {
                        Pred::Eq(l)
                    } else if rc && is_value(l) {
                        Pred::Eq(r)
                    } else if let Some(c) = (!lc && is_value(r)).then(|| inner_column(l)).flatten()
                    {
                        Pred::Unusable(Why::Function(c))
                    } else {
                        Pred::Other
                    }
                }
                BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq => {
                    if lc && is_value(r) {
                        Pred::Range(l)
                    } else if rc && is_value(l) {
                        Pred::Range(r)
                    } else if let Some(c) = (!lc && is_value(r)).then(|| inner_column(l)).flatten()
                    {
                        Pred::Unusable(Why::Function(c))
                    } else {
                        Pred::Other
                    }
                }
                BinaryOperator::NotEq => match column_name(l).or_else(|| column_name(r)) {
                    Some(c) => Pred::Unusable(Why::Negation(c)),
                    None => Pred::Other,
                },
                _ => Pred::Other,
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } if column_name(expr).is_some() => {
            if *negated {
                Pred::Unusable(Why::Negation(column_name(expr).unwrap_or_default()))
            } else if list.iter().all(is_value) {
                Pred::Eq(expr)
            } else {
                Pred::Other
            }
        }
        Expr::IsNull(inner) if column_name(inner).is_some() => Pred::Eq(inner),
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } if column_name(expr).is_some() && is_value(low) && is_value(high) => Pred::Range(expr),
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        } if column_name(expr).is_some() => {
            let c = column_name(expr).unwrap_or_default();
            if *negated {
                return Pred::Unusable(Why::Negation(c));
            }
            match unnest(pattern) {
                Expr::Value(v) => match &v.value {
                    Value::SingleQuotedString(p) | Value::DoubleQuotedString(p) => {
                        if p.starts_with('%') || p.starts_with('_') {
                            Pred::Unusable(Why::LeadingWildcard(c))
                        } else if p.contains('%') || p.contains('_') {
                            Pred::Range(expr)
                        } else {
                            Pred::Eq(expr)
                        }
                    }
                    _ => Pred::Other,
                },
                _ => Pred::Other,
            }
        }
        _ => Pred::Other,
    }
}

/// `idx_a_b_c`, cut to MySQL's 64-character identifier limit.
fn index_name(cols: &[String]) -> String {
    let mut name = format!("idx_{}", cols.join("_"));
    if name.len() > 64 {
        let mut cut = 64;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name
}

fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn quote_name(n: &ObjectName) -> String {
    n.0.iter()
        .map(|p| match p.as_ident() {
            Some(i) => quote_ident(&i.value),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Groups advice by table for display: `table → [ddl]`.
pub fn by_table(r: &AdviseReport) -> BTreeMap<&str, Vec<&Advice>> {
    let mut m: BTreeMap<&str, Vec<&Advice>> = BTreeMap::new();
    for a in &r.advice {
        m.entry(a.table.as_str()).or_default().push(a);
    }
    m
}

#[cfg(test)]
mod tests;
