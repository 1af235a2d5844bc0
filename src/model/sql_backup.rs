//! Backups of SQL audit statements (row images by key) and the rollback SQL built from them, with
//! the guard that keeps a rollback from overwriting rows changed since the original run.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::sql_audit::{Backup, BackupKind, RowImage};
use super::sql_audit::{StatementResult, StatementStatus};

/// Most rows one statement backs up; above it the statement keeps no backup (and says so).
pub const BACKUP_MAX_ROWS: usize = 50_000;

/// A rollback statement's precondition: the row at `key_sql` must still be `expect` (the image the
/// original run left), or absent when `expect` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    pub table: String,
    /// `` `id` = '3' AND … ``
    pub key_sql: String,
    pub columns: Vec<String>,
    pub expect: Option<Vec<Value>>,
}

/// The rollback of an audit: statements in undo order, each with its guard, and what cannot be undone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPlan {
    pub statements: Vec<(String, Option<Guard>)>,
    /// Statements that ran but have no automatic rollback, in words.
    pub notes: Vec<String>,
}

impl RollbackPlan {
    /// True when the plan holds DDL (undone outside a transaction: MySQL commits DDL implicitly).
    pub fn has_ddl(&self) -> bool {
        self.statements.iter().any(|(_, g)| g.is_none())
    }

    /// The rollback SQL, one statement a line.
    pub fn sql(&self) -> String {
        self.statements
            .iter()
            .map(|(s, _)| format!("{s};\n"))
            .collect()
    }
}

/// A backquoted identifier.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A cell as an SQL literal: NULL, a quoted string (MySQL converts it to the column's type) or X'…'.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('\'');
            for c in s.chars() {
                match c {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    '\0' => out.push_str("\\0"),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        Value::Object(o) => match o.get("hex").and_then(|h| h.as_str()) {
            Some(h) => format!("X'{h}'"),
            None => "NULL".into(),
        },
        other => other.to_string(),
    }
}

/// `` `a` = 'x' AND `b` = 'y' `` for the key columns of `row`.
fn key_sql(b: &Backup, row: &[Value]) -> Option<String> {
    let mut parts = Vec::new();
    for k in &b.key {
        let i = b.columns.iter().position(|c| c == k)?;
        let v = row.get(i)?;
        if v.is_null() {
            return None;
        }
        parts.push(format!("{} = {}", quote_ident(k), literal(v)));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The rollback of the statements that were applied, last first.
pub fn rollback_plan(results: &[StatementResult]) -> RollbackPlan {
    let mut plan = RollbackPlan::default();
    for r in results.iter().rev() {
        if r.status != StatementStatus::Done {
            continue;
        }
        if let Some(inv) = &r.inverse {
            plan.statements.push((inv.clone(), None));
            continue;
        }
        let Some(b) = &r.backup else {
            if let Some(why) = &r.no_rollback {
                plan.notes.push(format!(
                    "statement {} (line {}) has no automatic rollback: {why}",
                    r.number, r.line
                ));
            }
            continue;
        };
        let guard = |row: &[Value], expect: Option<Vec<Value>>| {
            key_sql(b, row).map(|k| Guard {
                table: b.table.clone(),
                key_sql: k,
                columns: b.columns.clone(),
                expect,
            })
        };
        for row in b.rows.iter().rev() {
            match (b.kind, &row.before, &row.after) {
                (BackupKind::Update, Some(before), Some(after)) => {
                    let sets: Vec<String> = b
                        .columns
                        .iter()
                        .zip(before.iter().zip(after))
                        .filter(|(_, (x, y))| x != y)
                        .map(|(c, (x, _))| format!("{} = {}", quote_ident(c), literal(x)))
                        .collect();
                    if sets.is_empty() {
                        continue;
                    }
                    if let Some(g) = guard(after, Some(after.clone())) {
                        let sql = format!(
                            "UPDATE {} SET {} WHERE {}",
                            b.table,
                            sets.join(", "),
                            g.key_sql
                        );
                        plan.statements.push((sql, Some(g)));
                    }
                }
                (BackupKind::Delete, Some(before), _) => {
                    if let Some(g) = guard(before, None) {
                        let cols: Vec<String> = b.columns.iter().map(|c| quote_ident(c)).collect();
                        let vals: Vec<String> = before.iter().map(literal).collect();
                        let sql = format!(
                            "INSERT INTO {} ({}) VALUES ({})",
                            b.table,
                            cols.join(", "),
                            vals.join(", ")
                        );
                        plan.statements.push((sql, Some(g)));
                    }
                }
                (BackupKind::Insert, _, Some(after)) => {
                    if let Some(g) = guard(after, Some(after.clone())) {
                        let sql = format!("DELETE FROM {} WHERE {}", b.table, g.key_sql);
                        plan.statements.push((sql, Some(g)));
                    }
                }
                _ => plan.notes.push(format!(
                    "statement {} (line {}): a row image is missing; that row is not rolled back",
                    r.number, r.line
                )),
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(n: usize, backup: Option<Backup>, no_rollback: Option<&str>) -> StatementResult {
        StatementResult {
            number: n,
            line: n,
            status: StatementStatus::Done,
            affected_rows: Some(1),
            duration_ms: None,
            warnings: vec![],
            error: None,
            backup,
            inverse: None,
            no_rollback: no_rollback.map(String::from),
        }
    }

    fn backup(kind: BackupKind, rows: Vec<RowImage>) -> Backup {
        Backup {
            kind,
            table: "`items`".into(),
            key: vec!["id".into()],
            columns: vec!["id".into(), "qty".into(), "note".into()],
            rows,
        }
    }

    #[test]
    fn each_kind_is_undone_last_first_with_its_guard() {
        let upd = backup(
            BackupKind::Update,
            vec![RowImage {
                before: Some(vec![json!("1"), json!("10"), json!("it's")]),
                after: Some(vec![json!("1"), json!("11"), json!("it's")]),
            }],
        );
        let del = backup(
            BackupKind::Delete,
            vec![RowImage {
                before: Some(vec![json!("2"), json!("20"), Value::Null]),
                after: None,
            }],
        );
        let ins = backup(
            BackupKind::Insert,
            vec![RowImage {
                before: None,
                after: Some(vec![json!("3"), json!("30"), json!({"hex": "ff00"})]),
            }],
        );
        let mut failed = result(5, None, None);
        failed.status = StatementStatus::Failed;
        let p = rollback_plan(&[
            result(1, Some(upd), None),
            result(2, Some(del), None),
            result(3, Some(ins), None),
            result(4, None, Some("multi-table UPDATE")),
            failed,
        ]);
        let sql: Vec<&str> = p.statements.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            sql,
            [
                "DELETE FROM `items` WHERE `id` = '3'",
                "INSERT INTO `items` (`id`, `qty`, `note`) VALUES ('2', '20', NULL)",
                "UPDATE `items` SET `qty` = '10' WHERE `id` = '1'",
            ]
        );
        assert_eq!(
            p.statements[2].1.as_ref().unwrap().expect,
            Some(vec![json!("1"), json!("11"), json!("it's")])
        );
        assert_eq!(p.statements[1].1.as_ref().unwrap().expect, None);
        assert_eq!(
            p.notes,
            ["statement 4 (line 4) has no automatic rollback: multi-table UPDATE"]
        );
        assert_eq!(literal(&json!("a'b\\c")), "'a''b\\\\c'");
        assert_eq!(literal(&json!({"hex": "ff00"})), "X'ff00'");
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
    }
}
