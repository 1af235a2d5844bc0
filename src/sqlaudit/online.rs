//! The check by the real server before anyone approves: every statement parsed by the target
//! server without running it (EXPLAIN for DML, a prepared statement otherwise), tables checked in
//! information_schema, row estimates against the tag's `max_update_rows`, ALTER table sizes.

use std::sync::Arc;

use mysql_async::Row;
use mysql_async::prelude::Queryable;

use super::describe;
use super::kind::{StatementKind, classify, ddl_table};
use super::{DbConn, DbTarget, OnlineReport, StatementCheck};
use crate::config::Config;
use crate::exec::{HostSession, exec_user_for};
use crate::model::sql_audit::AlterVia;
use crate::model::{Inventory, TaskSpec};
use crate::sql::split;

/// A full table scan of more rows than this is flagged as "no usable index".
const FULL_SCAN_ROWS: u64 = 10_000;

/// Opens the proxy's SSH connection and the tunnel for `spec`'s database.
pub async fn connect_for(
    spec: &TaskSpec,
    inv: &Inventory,
    config: &Config,
) -> Result<(DbConn, DbTarget), String> {
    let target = DbTarget::from_spec(spec)
        .ok_or_else(|| "the SQL audit names no database target (DB_* args)".to_string())?;
    // Only what the inventory says may be reached before approval: a hand-made spec (API) cannot
    // point the tunnel at another host or port.
    let known = inv
        .tags
        .iter()
        .find(|t| t.name == target.tag)
        .and_then(|t| {
            let db = t.write_databases().find(|d| d.name == target.database)?;
            (t.proxy.as_deref() == Some(target.proxy.as_str())
                && db.host == target.host
                && db.port == target.port
                && db.user == target.user)
                .then_some(())
        });
    if known.is_none() {
        return Err(format!(
            "the audit's database ({}:{} via `{}`) is not the write database `{}` of tag `{}` in the inventory",
            target.host, target.port, target.proxy, target.database, target.tag
        ));
    }
    let host = inv
        .host(&target.proxy)
        .ok_or_else(|| format!("the proxy `{}` is not in the inventory", target.proxy))?;
    let user = exec_user_for(inv, config, host, None)?;
    let session = HostSession::open(host, user.as_ref(), config)
        .await
        .map_err(|e| e.to_string())?;
    let db = DbConn::connect(Arc::new(session), &target).await?;
    Ok((db, target))
}

/// Checks every statement of `sql` on the server behind `db`. `offline_errors` are the offline
/// parser's complaints by statement number: when the server accepts such a statement, it says so.
pub async fn check_statements(
    db: &mut DbConn,
    target: &DbTarget,
    sql: &str,
    max_update_rows: u64,
    osc_min_table_mb: u64,
    offline_errors: &[(usize, String)],
) -> Vec<StatementCheck> {
    let mut out = Vec::new();
    for (i, st) in split(sql).iter().enumerate() {
        let mut c = StatementCheck {
            number: i + 1,
            line: st.start.line,
            ..StatementCheck::default()
        };
        let r = match classify(&st.text) {
            StatementKind::Write | StatementKind::Read => {
                explain(db, &st.text, max_update_rows, &mut c).await
            }
            StatementKind::Ddl => ddl(db, target, &st.text, osc_min_table_mb, &mut c).await,
            StatementKind::Transaction | StatementKind::Other => {
                prepare(db, &st.text, &mut c).await
            }
        };
        if r.is_ok() {
            rollback_notes(db, &st.text, &mut c).await;
        }
        match r {
            Ok(()) => c.verdict = "ok".into(),
            Err(e) => {
                c.verdict = "error".into();
                c.error = Some(e);
            }
        }
        if c.error.is_none() {
            for (_, msg) in offline_errors.iter().filter(|(n, _)| *n == c.number) {
                c.notes.push(format!(
                    "the offline check calls this invalid ({msg}); the server accepts it"
                ));
            }
        }
        out.push(c);
    }
    out
}

/// Says before approval what will have no backup or no automatic rollback.
async fn rollback_notes(db: &mut DbConn, sql: &str, c: &mut StatementCheck) {
    match classify(sql) {
        StatementKind::Write => match super::backup::target(sql) {
            Err(why) => c
                .warnings
                .push(format!("no backup and no automatic rollback: {why}")),
            Ok(t) => match super::backup::key_columns(db, &t).await {
                Ok(k) if k.is_empty() => c.warnings.push(format!(
                    "table {} has no primary or unique key: no backup and no automatic rollback",
                    t.quoted()
                )),
                Ok(_) => {}
                Err(e) => c
                    .notes
                    .push(format!("cannot read the keys of {}: {e}", t.quoted())),
            },
        },
        StatementKind::Ddl => match super::backup::ddl_inverse(sql) {
            Ok(inv) => c.notes.push(format!("rollback: {inv}")),
            Err(why) => c.notes.push(format!("no automatic rollback: {why}")),
        },
        StatementKind::Read => {}
        _ => c
            .notes
            .push("this kind of statement has no automatic rollback".into()),
    }
}

/// EXPLAIN: syntax, tables and columns, and the row estimate of a write.
async fn explain(
    db: &mut DbConn,
    sql: &str,
    max_update_rows: u64,
    c: &mut StatementCheck,
) -> Result<(), String> {
    let rows: Vec<Row> = db
        .conn
        .query(format!("EXPLAIN {sql}"))
        .await
        .map_err(describe)?;
    if classify(sql) != StatementKind::Write {
        return Ok(());
    }
    let mut estimate: Option<u64> = None;
    for r in &rows {
        let n = column_u64(r, "rows");
        if let Some(n) = n {
            estimate = Some(estimate.map_or(n, |e| e.max(n)));
        }
        let scan = column_str(r, "type").as_deref() == Some("ALL");
        let no_key = column_str(r, "key").is_none();
        if scan && no_key && n.is_some_and(|n| n > FULL_SCAN_ROWS) {
            c.warnings.push(format!(
                "no usable index: a full scan of about {} rows of `{}`",
                n.unwrap_or(0),
                column_str(r, "table").unwrap_or_default()
            ));
        }
    }
    c.estimated_rows = estimate;
    if let Some(n) = estimate
        && n > max_update_rows
    {
        c.warnings.push(format!(
            "the server estimates {n} rows, above the tag's max_update_rows ({max_update_rows})"
        ));
    }
    Ok(())
}

/// DDL: the table exists (or, for CREATE, does not yet), the ALTER's table size and so how it will
/// run, then the syntax.
async fn ddl(
    db: &mut DbConn,
    target: &DbTarget,
    sql: &str,
    osc_min_mb: u64,
    c: &mut StatementCheck,
) -> Result<(), String> {
    if let Some((verb, t)) = ddl_table(sql) {
        let schema = t.schema.clone().or_else(|| target.schema.clone());
        let shown = match &schema {
            Some(s) => format!("{s}.{}", t.table),
            None => t.table.clone(),
        };
        let size: Option<Option<u64>> = db
            .conn
            .exec_first(
                "SELECT COALESCE(data_length, 0) + COALESCE(index_length, 0) FROM information_schema.tables \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
                (schema.clone(), t.table.clone()),
            )
            .await
            .map_err(describe)?;
        let exists = size.is_some();
        let if_clause = super::kind::leading_words(sql, 6).contains(&"IF".to_string());
        match verb.as_str() {
            "CREATE" if exists && !if_clause => {
                return Err(format!("table `{shown}` already exists"));
            }
            "ALTER" | "TRUNCATE" if !exists => {
                return Err(format!("table `{shown}` does not exist"));
            }
            "DROP" if !exists && !if_clause => {
                return Err(format!("table `{shown}` does not exist"));
            }
            _ => {}
        }
        if verb == "ALTER" {
            let bytes = size.flatten().unwrap_or(0);
            let mb = (bytes as f64 / 1_048_576.0 * 100.0).round() / 100.0;
            c.table_mb = Some(mb);
            let via = match super::osc::alter_parts(sql) {
                Some(_) => AlterVia::for_size(mb, osc_min_mb),
                None => AlterVia::Direct,
            };
            c.alter_via = Some(via);
            if via == AlterVia::Online {
                let keys: Option<u64> = db
                    .conn
                    .exec_first(
                        "SELECT COUNT(*) FROM information_schema.statistics \
                         WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0",
                        (schema.clone(), t.table.clone()),
                    )
                    .await
                    .map_err(describe)?;
                if keys == Some(0) {
                    c.warnings.push(format!(
                        "table `{shown}` has no primary or unique key: pt-online-schema-change \
                         will refuse it (add a key first, or lower the table below osc_min_table_mb)"
                    ));
                }
            }
            c.notes.push(match via {
                AlterVia::Online => format!(
                    "table `{shown}` holds {mb} MiB (osc_min_table_mb = {osc_min_mb}): the ALTER runs \
                     online through pt-online-schema-change on proxy `{}`",
                    target.proxy
                ),
                AlterVia::Direct => format!(
                    "table `{shown}` holds {mb} MiB (osc_min_table_mb = {osc_min_mb}): the ALTER runs \
                     directly on the server"
                ),
            });
        }
    }
    prepare(db, sql, c).await
}

/// A prepared statement: the server parses (and for most statements resolves) it, runs nothing.
async fn prepare(db: &mut DbConn, sql: &str, c: &mut StatementCheck) -> Result<(), String> {
    match db.conn.prep(sql).await {
        Ok(stmt) => {
            let _ = db.conn.close(stmt).await;
            Ok(())
        }
        // "This command is not supported in the prepared statement protocol yet": the server
        // parsed it first, so the syntax is fine; it is only not preparable.
        Err(mysql_async::Error::Server(s)) if s.code == 1295 => {
            c.notes.push(
                "parsed by the server; this kind of statement cannot be checked further without running it"
                    .into(),
            );
            Ok(())
        }
        Err(e) => Err(describe(e)),
    }
}

fn column_u64(r: &Row, name: &str) -> Option<u64> {
    column_str(r, name)?.parse().ok()
}

fn column_str(r: &Row, name: &str) -> Option<String> {
    let i = r.columns_ref().iter().position(|c| c.name_str() == name)?;
    match r.as_ref(i)? {
        mysql_async::Value::NULL => None,
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql_async::Value::Int(n) => Some(n.to_string()),
        mysql_async::Value::UInt(n) => Some(n.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// The full check of an SQL audit spec against its server: connect, check, disconnect.
pub async fn check_spec(
    spec: &TaskSpec,
    inv: &Inventory,
    config: &Config,
    at: &str,
) -> Result<OnlineReport, String> {
    let (mut db, target) = connect_for(spec, inv, config).await?;
    let max_rows = spec
        .extra
        .get("max_update_rows")
        .and_then(|v| v.as_u64())
        .unwrap_or(crate::model::DEFAULT_MAX_UPDATE_ROWS);
    let offline: Vec<(usize, String)> = spec
        .extra
        .get("offline_errors")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some((
                        e.get("statement")?.as_u64()? as usize,
                        e.get("message")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let sql = spec.args.get("SQL").cloned().unwrap_or_default();
    let osc_min = crate::model::sql_audit::osc_min_table_mb(spec);
    let statements = check_statements(&mut db, &target, &sql, max_rows, osc_min, &offline).await;
    db.close().await;
    Ok(OnlineReport {
        statements,
        at: at.to_string(),
    })
}
