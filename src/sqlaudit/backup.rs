//! Before-images and created keys of UPDATE / DELETE / INSERT, read by key in the statement's own
//! transaction (`SELECT … FOR UPDATE` before, the same keys after), for the audit's rollback.

use std::collections::HashMap;

use mysql_async::Row;
use mysql_async::prelude::Queryable;
use serde_json::Value;
use sqlparser::ast::{
    FromTable, ObjectName, SetExpr, Statement, TableFactor, TableObject, TableWithJoins,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use super::DbConn;
use super::describe;
use crate::model::sql_backup::{Backup, BackupKind, RowImage, quote_ident};

/// The single table a DML statement changes and how to find its rows again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: BackupKind,
    pub schema: Option<String>,
    pub table: String,
    /// `items AS i`: the table as the statement names it (aliases resolve in `filter`).
    pub relation: String,
    /// ` WHERE … ORDER BY … LIMIT …` of the statement, empty when it has none.
    pub filter: String,
    /// INSERT: the column list and each row's values as SQL text.
    pub insert_columns: Vec<String>,
    pub insert_rows: Vec<Vec<String>>,
}

impl Target {
    /// `` `schema`.`table` `` or `` `table` ``.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&self.table)),
            None => quote_ident(&self.table),
        }
    }
}

/// The backup target of one statement, or why it has no automatic rollback.
pub fn target(sql: &str) -> Result<Target, String> {
    let mut parsed = Parser::parse_sql(&MySqlDialect {}, sql)
        .map_err(|_| "opsdeck cannot read its target table offline".to_string())?;
    if parsed.len() != 1 {
        return Err("not a single statement".into());
    }
    match parsed.remove(0) {
        Statement::Update(u) => {
            if u.from.is_some() || !u.table.joins.is_empty() {
                return Err("a multi-table UPDATE".into());
            }
            let (schema, table) = single(&u.table)?;
            let mut filter = String::new();
            if let Some(w) = &u.selection {
                filter.push_str(&format!(" WHERE {w}"));
            }
            order_limit(&mut filter, &u.order_by, u.limit.as_ref());
            Ok(Target {
                kind: BackupKind::Update,
                schema,
                table,
                relation: u.table.to_string(),
                filter,
                insert_columns: vec![],
                insert_rows: vec![],
            })
        }
        Statement::Delete(d) => {
            let from = match &d.from {
                FromTable::WithFromKeyword(v) | FromTable::WithoutKeyword(v) => v,
            };
            if !d.tables.is_empty() || d.using.is_some() || from.len() != 1 {
                return Err("a multi-table DELETE".into());
            }
            let (schema, table) = single(&from[0])?;
            let mut filter = String::new();
            if let Some(w) = &d.selection {
                filter.push_str(&format!(" WHERE {w}"));
            }
            order_limit(&mut filter, &d.order_by, d.limit.as_ref());
            Ok(Target {
                kind: BackupKind::Delete,
                schema,
                table,
                relation: from[0].to_string(),
                filter,
                insert_columns: vec![],
                insert_rows: vec![],
            })
        }
        Statement::Insert(i) => {
            if i.ignore || i.replace_into || i.on.is_some() {
                return Err(
                    "INSERT IGNORE / REPLACE / ON DUPLICATE KEY may change existing rows".into(),
                );
            }
            let TableObject::TableName(name) = &i.table else {
                return Err("an INSERT into a table function".into());
            };
            let (schema, table) = names(name)?;
            let rows = match i.source.as_deref().map(|q| q.body.as_ref()) {
                Some(SetExpr::Values(v)) => v
                    .rows
                    .iter()
                    .map(|r| r.content.iter().map(|e| e.to_string()).collect())
                    .collect(),
                _ => {
                    return Err("an INSERT … SELECT (its keys are not known before it runs)".into());
                }
            };
            Ok(Target {
                kind: BackupKind::Insert,
                relation: String::new(),
                filter: String::new(),
                insert_columns: i
                    .columns
                    .iter()
                    .map(|c| c.to_string().trim_matches('`').to_string())
                    .collect(),
                insert_rows: rows,
                schema,
                table,
            })
        }
        _ => Err("not an UPDATE, DELETE or INSERT".into()),
    }
}

fn order_limit(
    filter: &mut String,
    order_by: &[sqlparser::ast::OrderByExpr],
    limit: Option<&sqlparser::ast::Expr>,
) {
    if !order_by.is_empty() {
        let o: Vec<String> = order_by.iter().map(|e| e.to_string()).collect();
        filter.push_str(&format!(" ORDER BY {}", o.join(", ")));
    }
    if let Some(l) = limit {
        filter.push_str(&format!(" LIMIT {l}"));
    }
}

fn single(t: &TableWithJoins) -> Result<(Option<String>, String), String> {
    match &t.relation {
        TableFactor::Table { name, .. } => names(name),
        _ => Err("its target is not a plain table".into()),
    }
}

fn names(name: &ObjectName) -> Result<(Option<String>, String), String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    match parts.as_slice() {
        [t] => Ok((None, t.clone())),
        [s, t] => Ok((Some(s.clone()), t.clone())),
        _ => Err("its table name is not `table` or `schema.table`".into()),
    }
}

/// The statement that undoes a DDL: CREATE TABLE → DROP TABLE, ALTER TABLE … ADD COLUMN / ADD INDEX
/// → DROP them, CREATE INDEX → DROP INDEX; anything else says why it has none.
pub fn ddl_inverse(sql: &str) -> Result<String, String> {
    use sqlparser::ast::{AlterTableOperation as Op, TableConstraint as C};
    let none = || "this DDL has no automatic rollback".to_string();
    let mut parsed = Parser::parse_sql(&MySqlDialect {}, sql).map_err(|_| none())?;
    if parsed.len() != 1 {
        return Err(none());
    }
    match parsed.remove(0) {
        Statement::CreateTable(c) if c.if_not_exists || c.or_replace => {
            Err("CREATE TABLE IF NOT EXISTS / OR REPLACE: the table may have existed before".into())
        }
        Statement::CreateTable(c) if !c.temporary => Ok(format!("DROP TABLE {}", c.name)),
        Statement::CreateIndex(i) => match i.name {
            Some(n) => Ok(format!("DROP INDEX {n} ON {}", i.table_name)),
            None => Err("CREATE INDEX without a name".into()),
        },
        Statement::AlterTable(a) => {
            let mut drops = Vec::new();
            for op in a.operations.iter().rev() {
                match op {
                    Op::AddColumn {
                        if_not_exists: false,
                        column_def,
                        ..
                    } => drops.push(format!("DROP COLUMN {}", column_def.name)),
                    Op::AddConstraint { constraint, .. } => {
                        let name = match constraint {
                            C::Index(i) => i.name.clone(),
                            C::Unique(u) => u.index_name.clone().or_else(|| u.name.clone()),
                            _ => None,
                        };
                        match name {
                            Some(n) => drops.push(format!("DROP INDEX {n}")),
                            None => {
                                return Err(
                                    "an ALTER that adds an unnamed or non-index constraint".into(),
                                );
                            }
                        }
                    }
                    _ => {
                        return Err(
                            "an ALTER other than ADD COLUMN / ADD INDEX has no automatic rollback"
                                .into(),
                        );
                    }
                }
            }
            if drops.is_empty() {
                return Err(none());
            }
            Ok(format!("ALTER TABLE {} {}", a.name, drops.join(", ")))
        }
        _ => Err(none()),
    }
}

/// The primary key's columns, else the first unique key's; empty when the table has neither.
pub async fn key_columns(db: &mut DbConn, t: &Target) -> Result<Vec<String>, String> {
    let rows: Vec<(String, String)> = db
        .conn
        .exec(
            "SELECT index_name, column_name FROM information_schema.statistics \
             WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0 \
             ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index",
            (t.schema.clone(), t.table.clone()),
        )
        .await
        .map_err(describe)?;
    let first = rows.first().map(|(i, _)| i.clone());
    Ok(rows
        .into_iter()
        .filter(|(i, _)| Some(i) == first.as_ref())
        .map(|(_, c)| c)
        .collect())
}

/// Rows of a query as columns and JSON cells (text protocol: every value arrives as text).
pub async fn select(db: &mut DbConn, sql: &str) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
    let rows: Vec<Row> = db.conn.query(sql).await.map_err(describe)?;
    let columns = rows
        .first()
        .map(|r| {
            r.columns_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let cells = rows
        .iter()
        .map(|r| (0..r.len()).map(|i| cell(r.as_ref(i))).collect())
        .collect();
    Ok((columns, cells))
}

fn cell(v: Option<&mysql_async::Value>) -> Value {
    match v {
        None | Some(mysql_async::Value::NULL) => Value::Null,
        Some(mysql_async::Value::Bytes(b)) => match std::str::from_utf8(b) {
            Ok(s) => Value::String(s.to_string()),
            Err(_) => serde_json::json!({ "hex": hex::encode(b) }),
        },
        Some(other) => Value::String(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// The before-images of an UPDATE/DELETE, locked until the statement's transaction ends.
///
/// At most `cap + 1` rows are read (enough to know the cap is passed, and then no backup is kept)
/// unless the statement has a LIMIT of its own.
pub async fn before(
    db: &mut DbConn,
    t: &Target,
    cap: usize,
) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
    select(db, &before_sql(t, cap)).await
}

fn before_sql(t: &Target, cap: usize) -> String {
    let limit = if t.filter.to_ascii_uppercase().contains(" LIMIT ") {
        String::new()
    } else {
        format!(" LIMIT {}", cap.saturating_add(1))
    };
    format!("SELECT * FROM {}{}{limit} FOR UPDATE", t.relation, t.filter)
}

/// `(`a`, `b`) IN (('1', '2'), …)` for `keys` (SQL literals per key column).
fn key_in(key: &[String], keys: &[Vec<String>]) -> String {
    let cols: Vec<String> = key.iter().map(|k| quote_ident(k)).collect();
    let tuples: Vec<String> = keys.iter().map(|k| format!("({})", k.join(", "))).collect();
    format!("({}) IN ({})", cols.join(", "), tuples.join(", "))
}

fn key_of(columns: &[String], key: &[String], row: &[Value]) -> Option<Vec<String>> {
    key.iter()
        .map(|k| {
            let i = columns.iter().position(|c| c == k)?;
            Some(crate::model::sql_backup::literal(row.get(i)?))
        })
        .collect()
}

/// Completes the backup after the statement ran: after-images of an UPDATE, the created rows of an
/// INSERT (by the key values it names, or the AUTO_INCREMENT range from `last_insert_id`).
pub async fn after(
    db: &mut DbConn,
    t: &Target,
    key: &[String],
    before: Option<(Vec<String>, Vec<Vec<Value>>)>,
    last_insert_id: Option<u64>,
    affected: u64,
) -> Result<Backup, String> {
    let (columns, rows) = match (t.kind, before) {
        (BackupKind::Delete, Some((columns, rows))) => {
            let rows = rows
                .into_iter()
                .map(|b| RowImage {
                    before: Some(b),
                    after: None,
                })
                .collect();
            (columns, rows)
        }
        (BackupKind::Update, Some((columns, before))) => {
            let keys: Vec<Vec<String>> = before
                .iter()
                .filter_map(|r| key_of(&columns, key, r))
                .collect();
            let mut after: HashMap<Vec<String>, Vec<Value>> = HashMap::new();
            if !keys.is_empty() {
                let (cols, rows) = select(
                    db,
                    &format!("SELECT * FROM {} WHERE {}", t.quoted(), key_in(key, &keys)),
                )
                .await?;
                for r in rows {
                    if let Some(k) = key_of(&cols, key, &r) {
                        after.insert(k, r);
                    }
                }
            }
            let rows = before
                .into_iter()
                .map(|b| {
                    let a = key_of(&columns, key, &b).and_then(|k| after.remove(&k));
                    RowImage {
                        before: Some(b),
                        after: a,
                    }
                })
                .collect();
            (columns, rows)
        }
        (BackupKind::Insert, _) => {
            let positions: Option<Vec<usize>> = key
                .iter()
                .map(|k| t.insert_columns.iter().position(|c| c == k))
                .collect();
            let filter = match (positions, last_insert_id) {
                (Some(p), _) if !t.insert_columns.is_empty() => {
                    let keys: Vec<Vec<String>> = t
                        .insert_rows
                        .iter()
                        .filter_map(|r| p.iter().map(|&i| r.get(i).cloned()).collect())
                        .collect();
                    key_in(key, &keys)
                }
                (_, Some(first)) if key.len() == 1 && first > 0 && affected > 0 => format!(
                    "{} BETWEEN {first} AND {}",
                    quote_ident(&key[0]),
                    first + affected - 1
                ),
                _ => return Err("the keys of the inserted rows are not known".into()),
            };
            let (columns, rows) =
                select(db, &format!("SELECT * FROM {} WHERE {filter}", t.quoted())).await?;
            let rows = rows
                .into_iter()
                .map(|a| RowImage {
                    before: None,
                    after: Some(a),
                })
                .collect();
            (columns, rows)
        }
        _ => return Err("no before-images were read".into()),
    };
    Ok(Backup {
        kind: t.kind,
        table: t.quoted(),
        key: key.to_vec(),
        columns,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_of_single_table_dml_and_reasons_for_the_rest() {
        let t =
            target("UPDATE shop.items i SET qty = 1 WHERE i.status = 'new' ORDER BY id LIMIT 2")
                .unwrap();
        assert_eq!(t.kind, BackupKind::Update);
        assert_eq!(
            (t.schema.as_deref(), t.table.as_str()),
            (Some("shop"), "items")
        );
        assert_eq!(t.relation, "shop.items i");
        assert_eq!(t.filter, " WHERE i.status = 'new' ORDER BY id LIMIT 2");
        assert_eq!(t.quoted(), "`shop`.`items`");
        // Its own LIMIT bounds the before-images; otherwise the cap + 1 does.
        assert_eq!(
            before_sql(&t, 10),
            "SELECT * FROM shop.items i WHERE i.status = 'new' ORDER BY id LIMIT 2 FOR UPDATE"
        );
        let big = target("UPDATE items SET qty = 0 WHERE qty > 5").unwrap();
        assert_eq!(
            before_sql(&big, 50_000),
            "SELECT * FROM items WHERE qty > 5 LIMIT 50001 FOR UPDATE"
        );
        let t = target("DELETE FROM `items` WHERE id IN (1, 2)").unwrap();
        assert_eq!((t.kind, t.table.as_str()), (BackupKind::Delete, "items"));
        let t = target("INSERT INTO items (id, qty) VALUES (4, 40), (5, 'x')").unwrap();
        assert_eq!(t.insert_columns, ["id", "qty"]);
        assert_eq!(t.insert_rows, [["4", "40"], ["5", "'x'"]]);
        for (sql, why) in [
            (
                "UPDATE a, b SET a.x = b.x WHERE a.id = b.id",
                "cannot read its target table",
            ),
            (
                "UPDATE a JOIN b ON a.id = b.id SET a.x = 1",
                "multi-table UPDATE",
            ),
            (
                "DELETE a FROM a JOIN b ON a.id = b.id",
                "multi-table DELETE",
            ),
            ("INSERT INTO a SELECT * FROM b", "INSERT … SELECT"),
            (
                "INSERT INTO a (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 2",
                "ON DUPLICATE",
            ),
            ("REPLACE INTO a (id) VALUES (1)", "REPLACE"),
        ] {
            let e = target(sql).unwrap_err();
            assert!(e.contains(why), "{sql}: {e}");
        }
    }
}
