//! KEY.* score rules: primary keys, indexes and foreign keys in `CREATE TABLE`, `ALTER TABLE`
//! and `CREATE INDEX`.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, DataType, Ident, IndexColumn, OrderByKind, OrderBySort,
    Spanned, Statement, TableConstraint, Visit, Visitor,
};
use sqlparser::tokenizer::Token;
use std::ops::ControlFlow;

use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "KEY.001",
        level: 2,
        summary: Text {
            en: "use an auto-increment column as the primary key (first in a composite key)",
            zh: "建议使用自增列作为主键，如使用联合自增主键时请将自增键作为第一列",
        },
        explain: Text {
            en: "InnoDB stores rows in primary key order. An integer primary key that is not AUTO_INCREMENT (or a composite key whose first column is not the auto-increment one) makes inserts land at random places, splitting pages and fragmenting the table. Make the primary key an AUTO_INCREMENT integer, placed first in a composite key.",
            zh: "InnoDB 按主键顺序存放数据。整型主键不是自增列（或联合主键的第一列不是自增列）时，插入会落在随机位置，导致页分裂和碎片。建议使用自增列作为主键，如使用联合自增主键时请将自增键作为第一列。",
        },
        check: Some(pk_not_auto_increment),
    },
    Rule {
        id: "KEY.002",
        level: 4,
        summary: Text {
            en: "no primary key or unique key: online schema change impossible",
            zh: "无主键或唯一键，无法在线变更表结构",
        },
        explain: Text {
            en: "Online schema change tools (pt-online-schema-change, gh-ost) need a primary or unique key to copy rows in chunks; without one the table cannot be altered online and replication of row events is slow. Give every table a primary key.",
            zh: "在线变更表结构的工具（pt-online-schema-change、gh-ost）需要主键或唯一键来分块复制数据，没有时无法在线变更表结构，基于行的复制也会很慢。请为每张表定义主键。",
        },
        check: Some(no_pk_or_unique),
    },
    Rule {
        id: "KEY.003",
        level: 4,
        summary: Text {
            en: "avoid foreign keys and other recursive dependencies",
            zh: "避免外键等递归关系",
        },
        explain: Text {
            en: "Foreign keys add locking and checks to every write, couple tables together and make schema changes and sharding hard; a self-referencing key models a tree that needs one join per level. Enforce relations in the application, and consider a closure table, path enumeration or nested sets for hierarchies.",
            zh: "外键会给每次写入增加加锁与检查，使表之间耦合，难以变更表结构和分库分表；指向同一张表的外键表达的是树，每一层都需要一次连接，查询笨拙。请在应用中维护关联关系，层级数据可考虑闭包表、路径枚举或嵌套集。",
        },
        check: Some(foreign_key),
    },
    Rule {
        id: "KEY.004",
        level: 0,
        summary: Text {
            en: "reminder: align the index column order with the queries",
            zh: "提醒：请将索引属性顺序与查询对齐",
        },
        explain: Text {
            en: "A composite index is only used from its leftmost column on, so the order of its columns must match the columns the queries filter and sort on. Like SOAR, every index of more than one column (CREATE INDEX, CREATE TABLE, ALTER TABLE … ADD) gets this reminder; the queries themselves are not checked.",
            zh: "如果为列创建复合索引，请确保查询属性与索引属性的顺序相同，以便 DBMS 在处理查询时使用索引。与 SOAR 相同，凡是多列索引（CREATE INDEX、CREATE TABLE、ALTER TABLE … ADD）都会给出该提醒，不检查实际查询。",
        },
        check: Some(composite_index),
    },
    Rule {
        id: "KEY.005",
        level: 2,
        summary: Text {
            en: "too many indexes on one table",
            zh: "表建的索引过多",
        },
        explain: Text {
            en: "Every index is updated on each INSERT, UPDATE and DELETE and takes space and buffer pool memory; many indexes also confuse the optimizer. Keep only the indexes the queries need, and merge indexes that share a leading column.",
            zh: "每个索引都会在 INSERT、UPDATE、DELETE 时维护，并占用磁盘和缓冲池；索引过多还会干扰优化器选择。只保留查询需要的索引，合并前缀相同的索引。",
        },
        check: Some(too_many_indexes),
    },
    Rule {
        id: "KEY.006",
        level: 4,
        summary: Text {
            en: "too many columns in the primary key",
            zh: "主键中的列过多",
        },
        explain: Text {
            en: "InnoDB copies the primary key into every secondary index, so a wide primary key makes all indexes bigger and slower. Use a short surrogate key (an AUTO_INCREMENT integer) and put the natural key under a UNIQUE index.",
            zh: "InnoDB 的每个二级索引都包含主键列，主键列过多会让所有索引变大变慢。请使用较短的代理主键（自增整数），把业务上的联合键建为唯一索引。",
        },
        check: Some(too_many_pk_columns),
    },
    Rule {
        id: "KEY.007",
        level: 4,
        summary: Text {
            en: "no primary key, or primary key not INT/BIGINT",
            zh: "未指定主键或主键非 int 或 bigint",
        },
        explain: Text {
            en: "Without a primary key InnoDB adds a hidden 6-byte row id you cannot use; a primary key of strings or other types is wide and random, which bloats every secondary index and fragments inserts. Declare a primary key of type INT UNSIGNED or BIGINT UNSIGNED.",
            zh: "未指定主键或主键非 int 或 bigint，建议将主键设置为 int unsigned 或 bigint unsigned。没有主键时 InnoDB 会生成不可用的隐藏行号；字符串等类型的主键较宽且无序，会使所有二级索引膨胀并导致插入碎片。",
        },
        check: Some(pk_not_int),
    },
    Rule {
        id: "KEY.008",
        level: 4,
        summary: Text {
            en: "ORDER BY on several columns in different directions",
            zh: "ORDER BY 多个列但排序方向不同时可能无法使用索引",
        },
        explain: Text {
            en: "Before MySQL 8.0 an index cannot serve `ORDER BY a DESC, b ASC`: mixed directions force a filesort. Sort all columns the same way, or on MySQL 8.0 create an index with matching per-column directions.",
            zh: "在 MySQL 8.0 之前当 ORDER BY 多个列指定的排序方向不同时将无法使用已经建立的索引，只能 filesort。请统一排序方向，或在 MySQL 8.0 中建立与排序方向一致的降序索引。",
        },
        check: Some(order_by_mixed_direction),
    },
    Rule {
        id: "KEY.009",
        level: 0,
        summary: Text {
            en: "check the data is unique before adding a UNIQUE index",
            zh: "添加唯一索引前请注意检查数据唯一性",
        },
        explain: Text {
            en: "Adding a UNIQUE or PRIMARY key to a table that already holds duplicates fails, and some online schema change tools silently drop the duplicate rows instead. Check with `SELECT col, COUNT(*) … GROUP BY col HAVING COUNT(*) > 1` first.",
            zh: "请提前检查添加唯一索引列的数据唯一性，如果数据不唯一在线表结构调整时将有可能自动将重复列删除，这有可能导致数据丢失。可先用 SELECT col, COUNT(*) … GROUP BY col HAVING COUNT(*) > 1 检查。",
        },
        check: Some(unique_index_added),
    },
    Rule {
        id: "KEY.010",
        level: 0,
        summary: Text {
            en: "a FULLTEXT index is not a silver bullet",
            zh: "全文索引不是银弹",
        },
        explain: Text {
            en: "A FULLTEXT index speeds up word searches but is expensive to maintain and its queries are costly under concurrency; results depend on ft_min_word_len, ft_max_word_len, innodb_ft_min_token_size and ngram_token_size. Control the query rate, tune those parameters, or use a search engine.",
            zh: "全文索引主要用于解决模糊查询的性能问题，但需要控制好查询的频率和并发度。同时注意调整 ft_min_word_len、ft_max_word_len、ngram_token_size 等参数，必要时使用专门的搜索引擎。",
        },
        check: Some(fulltext_index),
    },
];

/// A column definition of `CREATE TABLE` or `ALTER TABLE ADD/CHANGE/MODIFY COLUMN`.
pub(super) struct Col<'a> {
    pub name: &'a Ident,
    pub ty: &'a DataType,
    pub opts: Vec<&'a ColumnOption>,
}

/// Every column the statement defines (`CREATE TABLE`, `ALTER TABLE` ADD/CHANGE/MODIFY).
pub(super) fn ddl_columns(stmt: &Statement) -> Vec<Col<'_>> {
    let mut out = Vec::new();
    match stmt {
        Statement::CreateTable(ct) => {
            for c in &ct.columns {
                out.push(Col {
                    name: &c.name,
                    ty: &c.data_type,
                    opts: c.options.iter().map(|o| &o.option).collect(),
                });
            }
        }
        Statement::AlterTable(at) => {
            for op in &at.operations {
                match op {
                    AlterTableOperation::AddColumn { column_def: c, .. } => out.push(Col {
                        name: &c.name,
                        ty: &c.data_type,
                        opts: c.options.iter().map(|o| &o.option).collect(),
                    }),
                    AlterTableOperation::ChangeColumn {
                        new_name,
                        data_type,
                        options,
                        ..
                    } => out.push(Col {
                        name: new_name,
                        ty: data_type,
                        opts: options.iter().collect(),
                    }),
                    AlterTableOperation::ModifyColumn {
                        col_name,
                        data_type,
                        options,
                        ..
                    } => out.push(Col {
                        name: col_name,
                        ty: data_type,
                        opts: options.iter().collect(),
                    }),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// Every table-level constraint of `CREATE TABLE` and `ALTER TABLE … ADD`.
pub(super) fn ddl_constraints(stmt: &Statement) -> Vec<&TableConstraint> {
    match stmt {
        Statement::CreateTable(ct) => ct.constraints.iter().collect(),
        Statement::AlterTable(at) => at
            .operations
            .iter()
            .filter_map(|op| match op {
                AlterTableOperation::AddConstraint { constraint, .. } => Some(constraint),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// True for a column option `AUTO_INCREMENT`.
pub(super) fn is_auto_increment(o: &ColumnOption) -> bool {
    match o {
        ColumnOption::DialectSpecific(toks) => toks
            .iter()
            .any(|t| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTO_INCREMENT"))),
        _ => false,
    }
}

/// The column an index part names (`a` in `(a(10) DESC)`), lower case.
fn index_column(c: &IndexColumn) -> Option<String> {
    super::walk::column_name(&c.column.expr)
}

/// The primary key of a `CREATE TABLE`: its columns (lower case) and where it is declared.
fn primary_key(c: &Ctx) -> Option<(Vec<String>, Hit)> {
    let stmt = c.ast?;
    let (cols, at) = primary_key_of(stmt)?;
    let at = if at.at.is_none() {
        c.find_word("PRIMARY")
            .map(|(_, t)| Hit::tok(t))
            .unwrap_or(at)
    } else {
        at
    };
    Some((cols, at))
}

fn primary_key_of(stmt: &Statement) -> Option<(Vec<String>, Hit)> {
    let Statement::CreateTable(ct) = stmt else {
        return None;
    };
    for c in &ct.columns {
        if c.options
            .iter()
            .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
        {
            return Some((vec![c.name.value.to_lowercase()], Hit::span(c.name.span)));
        }
    }
    ct.constraints.iter().find_map(|k| match k {
        TableConstraint::PrimaryKey(pk) => Some((
            pk.columns.iter().filter_map(index_column).collect(),
            Hit::whole(),
        )),
        _ => None,
    })
}

/// Where a table constraint starts: its first keyword (`PRIMARY`, `UNIQUE`, `CONSTRAINT`, …),
/// searched backwards from the constraint's span (which starts at its name or columns).
pub(super) fn constraint_hit(c: &Ctx, k: &TableConstraint) -> Hit {
    const KW: &[&str] = &[
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "FOREIGN",
        "KEY",
        "INDEX",
        "FULLTEXT",
        "SPATIAL",
        "CHECK",
    ];
    let is_kw = |j: usize| {
        c.toks
            .get(j)
            .and_then(crate::sql::tokens::word)
            .is_some_and(|w| KW.contains(&w.as_str()))
    };
    let s = k.span().start;
    let start = (s.line as usize, s.column as usize);
    let i = c
        .toks
        .iter()
        .position(|t| (t.line, t.column) >= start)
        .unwrap_or(c.toks.len());
    let Some(mut j) = (0..=i.min(c.toks.len().saturating_sub(1)))
        .rev()
        .find(|&j| is_kw(j))
    else {
        return Hit::span(k.span());
    };
    loop {
        if j > 0 && is_kw(j - 1) {
            j -= 1;
        } else if j > 1 && crate::sql::tokens::is_word(c.toks, j - 2, "CONSTRAINT") {
            j -= 2;
        } else {
            break;
        }
    }
    c.toks.get(j).map(Hit::tok).unwrap_or_default()
}

/// The definition of column `name` in a `CREATE TABLE`.
fn column<'a>(cols: &'a [Col<'a>], name: &str) -> Option<&'a Col<'a>> {
    cols.iter()
        .find(|c| c.name.value.eq_ignore_ascii_case(name))
}

fn is_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::TinyInt(_)
            | DataType::TinyIntUnsigned(_)
            | DataType::SmallInt(_)
            | DataType::SmallIntUnsigned(_)
            | DataType::MediumInt(_)
            | DataType::MediumIntUnsigned(_)
            | DataType::Int(_)
            | DataType::IntUnsigned(_)
            | DataType::Integer(_)
            | DataType::IntegerUnsigned(_)
            | DataType::BigInt(_)
            | DataType::BigIntUnsigned(_)
    )
}

/// A `CREATE TABLE` that defines columns (not `LIKE` or `AS SELECT` alone).
fn defines_columns(stmt: &Statement) -> bool {
    matches!(stmt, Statement::CreateTable(ct) if !ct.columns.is_empty())
}

/// KEY.001: the primary key's first column is an integer that is not AUTO_INCREMENT.
fn pk_not_auto_increment(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let Some((pk, at)) = primary_key(c) else {
        return Vec::new();
    };
    let cols = ddl_columns(stmt);
    let Some(first) = pk.first().and_then(|n| column(&cols, n)) else {
        return Vec::new();
    };
    if is_integer(first.ty) && !first.opts.iter().any(|o| is_auto_increment(o)) {
        return vec![at.with(first.name.value.clone())];
    }
    Vec::new()
}

/// KEY.002: `CREATE TABLE` with neither a primary key nor a unique key.
fn no_pk_or_unique(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::CreateTable(ct)) = c.ast else {
        return Vec::new();
    };
    if !defines_columns(stmt) {
        return Vec::new();
    }
    let col_key = ct.columns.iter().any(|col| {
        col.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::PrimaryKey(_) | ColumnOption::Unique(_)
            )
        })
    });
    let table_key = ct.constraints.iter().any(|k| {
        matches!(
            k,
            TableConstraint::PrimaryKey(_) | TableConstraint::Unique(_)
        )
    });
    if col_key || table_key {
        Vec::new()
    } else {
        vec![Hit::span(ct.name.span()).with(super::walk::table_name(&ct.name))]
    }
}

/// KEY.003: a FOREIGN KEY constraint or a column `REFERENCES`.
fn foreign_key(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for k in ddl_constraints(stmt) {
        if let TableConstraint::ForeignKey(fk) = k {
            out.push(constraint_hit(c, k).with(fk.foreign_table.to_string()));
        }
    }
    for col in ddl_columns(stmt) {
        for o in &col.opts {
            if let ColumnOption::ForeignKey(fk) = o {
                out.push(Hit::span(col.name.span).with(fk.foreign_table.to_string()));
            }
        }
    }
    out
}

/// KEY.005: more indexes (primary, unique, plain, fulltext, foreign) than `max_idx_count`.
fn too_many_indexes(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::CreateTable(ct)) = c.ast else {
        return Vec::new();
    };
    let table_level = ddl_constraints(stmt)
        .iter()
        .filter(|k| !matches!(k, TableConstraint::Check(_)))
        .count();
    let column_level = ddl_columns(stmt)
        .iter()
        .flat_map(|col| col.opts.iter())
        .filter(|o| {
            matches!(
                o,
                ColumnOption::PrimaryKey(_) | ColumnOption::Unique(_) | ColumnOption::ForeignKey(_)
            )
        })
        .count();
    let n = table_level + column_level;
    if n > c.opts.max_idx_count {
        vec![Hit::span(ct.name.span()).with(format!("{n} > {}", c.opts.max_idx_count))]
    } else {
        Vec::new()
    }
}

/// KEY.006: a primary key of more than `max_primary_key_cols` columns.
fn too_many_pk_columns(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let max = c.opts.max_primary_key_cols;
    ddl_constraints(stmt)
        .into_iter()
        .filter_map(|k| match k {
            TableConstraint::PrimaryKey(pk) if pk.columns.len() > max => {
                Some(constraint_hit(c, k).with(format!("{} > {max}", pk.columns.len())))
            }
            _ => None,
        })
        .collect()
}

/// KEY.007: `CREATE TABLE` without a primary key, or whose primary key (its first column) is
/// not a signed-free INT/BIGINT.
fn pk_not_int(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::CreateTable(ct)) = c.ast else {
        return Vec::new();
    };
    if !defines_columns(stmt) {
        return Vec::new();
    }
    let Some((pk, at)) = primary_key(c) else {
        return vec![Hit::span(ct.name.span()).with("no primary key")];
    };
    let cols = ddl_columns(stmt);
    let Some(first) = pk.first().and_then(|n| column(&cols, n)) else {
        return Vec::new();
    };
    match first.ty {
        DataType::IntUnsigned(_) | DataType::IntegerUnsigned(_) | DataType::BigIntUnsigned(_) => {
            Vec::new()
        }
        DataType::Int(_) | DataType::Integer(_) | DataType::BigInt(_) => {
            vec![at.with(format!("{} is signed", first.name.value))]
        }
        t => vec![at.with(format!("{} {t}", first.name.value))],
    }
}

struct OrderBys<'a> {
    out: &'a mut Vec<Hit>,
}

impl OrderBys<'_> {
    fn check(&mut self, items: &[sqlparser::ast::OrderByExpr]) {
        let desc =
            |o: &sqlparser::ast::OrderByExpr| matches!(o.options.sort, Some(OrderBySort::Desc));
        if let Some(first) = items.first()
            && let Some(other) = items.iter().find(|o| desc(o) != desc(first))
        {
            self.out.push(Hit::span(other.span()));
        }
    }
}

impl Visitor for OrderBys<'_> {
    type Break = ();
    fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
        if let Some(ob) = &q.order_by
            && let OrderByKind::Expressions(items) = &ob.kind
        {
            self.check(items);
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<()> {
        match s {
            Statement::Update(u) => self.check(&u.order_by),
            Statement::Delete(d) => self.check(&d.order_by),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// KEY.008: an ORDER BY whose items do not all sort the same way (no direction counts as ASC).
fn order_by_mixed_direction(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let _ = stmt.visit(&mut OrderBys { out: &mut out });
    out
}

/// How many columns a table-level index or key names (0 for CHECK).
fn constraint_width(k: &TableConstraint) -> usize {
    match k {
        TableConstraint::Unique(u) => u.columns.len(),
        TableConstraint::PrimaryKey(p) => p.columns.len(),
        TableConstraint::ForeignKey(f) => f.columns.len(),
        TableConstraint::Index(i) => i.columns.len(),
        TableConstraint::FulltextOrSpatial(f) => f.columns.len(),
        _ => 0,
    }
}

/// KEY.004, as SOAR decides it (RuleIndexAttributeOrder): a composite index or key, in
/// `CREATE INDEX`, `CREATE TABLE` or `ALTER TABLE … ADD`.
fn composite_index(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    match stmt {
        Statement::CreateIndex(ci) if ci.columns.len() > 1 => c
            .toks
            .first()
            .map(|t| vec![Hit::tok(t)])
            .unwrap_or_default(),
        _ => ddl_constraints(stmt)
            .into_iter()
            .filter(|k| constraint_width(k) > 1)
            .map(|k| constraint_hit(c, k))
            .collect(),
    }
}

/// KEY.009: `CREATE UNIQUE INDEX`, `ALTER TABLE … ADD UNIQUE` or `ADD PRIMARY KEY`.
fn unique_index_added(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    match stmt {
        Statement::CreateIndex(ci) if ci.unique => {
            let at = c
                .find_word("UNIQUE")
                .map(|(_, t)| Hit::tok(t))
                .unwrap_or_default();
            vec![at]
        }
        Statement::AlterTable(_) => ddl_constraints(stmt)
            .into_iter()
            .filter(|k| {
                matches!(
                    k,
                    TableConstraint::Unique(_) | TableConstraint::PrimaryKey(_)
                )
            })
            .map(|k| constraint_hit(c, k))
            .collect(),
        _ => Vec::new(),
    }
}

/// KEY.010: a FULLTEXT index in `CREATE TABLE`, `ALTER TABLE` or `CREATE FULLTEXT INDEX` (which
/// sqlparser does not parse, so the tokens decide).
fn fulltext_index(c: &Ctx) -> Vec<Hit> {
    let ddl = c
        .toks
        .first()
        .and_then(crate::sql::tokens::word)
        .is_some_and(|w| w == "CREATE" || w == "ALTER");
    if !ddl {
        return Vec::new();
    }
    (0..c.toks.len())
        .filter(|&i| {
            crate::sql::tokens::is_word(c.toks, i, "FULLTEXT")
                && (crate::sql::tokens::is_seq(c.toks, i + 1, &["KEY|INDEX"])
                    || c.toks.get(i + 1).is_some_and(
                        |t| matches!(&t.token, Token::Word(w) if w.quote_style.is_some()),
                    )
                    || matches!(c.toks.get(i + 1).map(|t| &t.token), Some(Token::LParen)))
        })
        .filter_map(|i| c.toks.get(i).map(Hit::tok))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn key_001_pk_not_auto_increment() {
        assert_rule(
            "KEY.001",
            &[
                "CREATE TABLE t (id int unsigned NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB",
                "CREATE TABLE t (id bigint unsigned PRIMARY KEY)",
                "CREATE TABLE t (a int, id int AUTO_INCREMENT, PRIMARY KEY (a, id))",
            ],
            &[
                "CREATE TABLE t (id int unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (id))",
                "CREATE TABLE t (code varchar(10), PRIMARY KEY (code))",
                "CREATE TABLE t (a int)",
                "SELECT 1",
            ],
        );
        let h = hits("KEY.001", "CREATE TABLE t (id int,\n PRIMARY KEY (id))");
        assert_eq!(h[0].at, Some((2, 2)));
    }

    #[test]
    fn key_002_no_pk_or_unique() {
        assert_rule(
            "KEY.002",
            &[
                "CREATE TABLE t (col varchar(5000))",
                "CREATE TABLE t (a int, KEY idx_a (a))",
            ],
            &[
                "CREATE TABLE t (a int PRIMARY KEY)",
                "CREATE TABLE t (a int, UNIQUE KEY uk_a (a))",
                "CREATE TABLE t (a int UNIQUE)",
                "CREATE TABLE t LIKE u",
                "ALTER TABLE t ADD COLUMN b int",
            ],
        );
    }

    #[test]
    fn key_003_foreign_key() {
        assert_rule(
            "KEY.003",
            &[
                "CREATE TABLE tab2 (p_id BIGINT UNSIGNED NOT NULL, a_id BIGINT UNSIGNED NOT NULL, PRIMARY KEY (p_id, a_id), FOREIGN KEY (p_id) REFERENCES tab1(p_id))",
                "ALTER TABLE t ADD CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES u(a)",
                "CREATE TABLE t (a int REFERENCES u(a))",
            ],
            &["CREATE TABLE t (a int, KEY idx_a (a))", "SELECT * FROM t"],
        );
        assert_eq!(
            hits(
                "KEY.003",
                "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u(a)"
            )[0]
            .detail
            .as_deref(),
            Some("u")
        );
    }

    #[test]
    fn key_004_composite_index() {
        // SOAR (RuleIndexAttributeOrder): any index of more than one column.
        assert_rule(
            "KEY.004",
            &[
                "CREATE INDEX idx_ab ON t (a, b)",
                "CREATE TABLE t (a INT, b INT, KEY idx_ab (a, b))",
                "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))",
                "ALTER TABLE t ADD INDEX idx_ab (a, b)",
                "ALTER TABLE t ADD UNIQUE KEY uk_ab (a, b)",
            ],
            &[
                "CREATE INDEX idx_a ON t (a)",
                "CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY idx_b (b))",
                "ALTER TABLE t ADD INDEX idx_a (a)",
                "SELECT a, b FROM t",
            ],
        );
        assert_eq!(
            hits(
                "KEY.004",
                "CREATE TABLE t (a INT, b INT, c INT, KEY k1 (a, b), KEY k2 (b, c), KEY k3 (c))"
            )
            .len(),
            2
        );
    }

    #[test]
    fn key_005_too_many_indexes() {
        let sql =
            "CREATE TABLE tbl (a int, b int, c int, KEY idx_a (a), KEY idx_b (b), KEY idx_c (c))";
        let opts = ScoreOptions {
            max_idx_count: 2,
            ..ScoreOptions::default()
        };
        assert_eq!(hits_with("KEY.005", sql, &opts).len(), 1);
        let opts = ScoreOptions {
            max_idx_count: 3,
            ..ScoreOptions::default()
        };
        assert!(hits_with("KEY.005", sql, &opts).is_empty());
        assert_rule("KEY.005", &[], &[sql, "SELECT 1"]);
    }

    #[test]
    fn key_006_too_many_pk_columns() {
        assert_rule(
            "KEY.006",
            &[
                "CREATE TABLE tbl (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))",
                "ALTER TABLE t ADD PRIMARY KEY (a, b, c, d)",
            ],
            &[
                "CREATE TABLE tbl (a int, b int, c int, PRIMARY KEY (a, b, c))",
                "CREATE TABLE tbl (a int, b int, c int, d int, KEY idx (a, b, c, d))",
            ],
        );
        let opts = ScoreOptions {
            max_primary_key_cols: 1,
            ..ScoreOptions::default()
        };
        assert_eq!(
            hits_with(
                "KEY.006",
                "CREATE TABLE t (a int, b int, PRIMARY KEY (a, b))",
                &opts
            )
            .len(),
            1
        );
    }

    #[test]
    fn key_007_pk_not_int() {
        assert_rule(
            "KEY.007",
            &[
                "CREATE TABLE tbl (a int)",
                "CREATE TABLE t (code varchar(10) PRIMARY KEY)",
                "CREATE TABLE t (id int AUTO_INCREMENT, PRIMARY KEY (id))",
            ],
            &[
                "CREATE TABLE t (id int unsigned AUTO_INCREMENT, PRIMARY KEY (id))",
                "CREATE TABLE t (id bigint unsigned PRIMARY KEY)",
                "CREATE TABLE t LIKE u",
                "SELECT 1",
            ],
        );
        assert_eq!(
            hits("KEY.007", "CREATE TABLE tbl (a int)")[0]
                .detail
                .as_deref(),
            Some("no primary key")
        );
    }

    #[test]
    fn key_008_order_by_mixed_direction() {
        assert_rule(
            "KEY.008",
            &[
                "SELECT * FROM tbl ORDER BY a DESC, b ASC",
                "SELECT * FROM tbl ORDER BY a, b DESC",
                "SELECT * FROM t WHERE x IN (SELECT x FROM u ORDER BY a DESC, b)",
                "DELETE FROM t ORDER BY a, b DESC LIMIT 1",
            ],
            &[
                "SELECT * FROM tbl ORDER BY a, b",
                "SELECT * FROM tbl ORDER BY a ASC, b",
                "SELECT * FROM tbl ORDER BY a DESC, b DESC",
            ],
        );
        assert_eq!(
            hits("KEY.008", "SELECT a FROM t ORDER BY a, b DESC")[0].at,
            Some((1, 29))
        );
    }

    #[test]
    fn key_009_unique_index_added() {
        assert_rule(
            "KEY.009",
            &[
                "CREATE UNIQUE INDEX part_of_name ON customer (name(10))",
                "ALTER TABLE t ADD UNIQUE KEY uk_a (a)",
                "ALTER TABLE t ADD PRIMARY KEY (a)",
            ],
            &[
                "CREATE INDEX idx_a ON t (a)",
                "ALTER TABLE t ADD INDEX idx_a (a)",
                "CREATE TABLE t (a int, UNIQUE KEY uk_a (a))",
            ],
        );
        assert_eq!(
            hits("KEY.009", "CREATE UNIQUE INDEX u ON t (a)")[0].at,
            Some((1, 8))
        );
        assert_eq!(
            hits("KEY.009", "ALTER TABLE t ADD UNIQUE KEY uk_a (a)")[0].at,
            Some((1, 19))
        );
        assert_eq!(
            hits(
                "KEY.006",
                "ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY (a, b, c, d)"
            )[0]
            .at,
            Some((1, 19))
        );
        assert_eq!(
            hits(
                "KEY.003",
                "CREATE TABLE t (a int,\n  FOREIGN KEY (a) REFERENCES u(a))"
            )[0]
            .at,
            Some((2, 3))
        );
    }

    #[test]
    fn key_010_fulltext_index() {
        assert_rule(
            "KEY.010",
            &[
                "CREATE TABLE `tb` (`id` int unsigned NOT NULL AUTO_INCREMENT, `ip` varchar(255) NOT NULL DEFAULT '', PRIMARY KEY (`id`), FULLTEXT KEY `ip` (`ip`)) ENGINE=InnoDB",
                "ALTER TABLE t ADD FULLTEXT INDEX ft_c (c)",
                "CREATE FULLTEXT INDEX ft_c ON t (c)",
                "CREATE TABLE t (c text, FULLTEXT (c))",
            ],
            &[
                "CREATE TABLE t (c text, KEY idx_c (c(10)))",
                "SELECT * FROM t WHERE MATCH (c) AGAINST ('x')",
            ],
        );
    }
}
