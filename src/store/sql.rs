//! The one SQL surface both backends share: values, rows, and a connection handle that runs a
//! statement written once (`?N` placeholders) on SQLite or PostgreSQL.

use std::borrow::Cow;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use super::pg_pool::StmtCache;
use super::storable::storable;
use super::{Result, StoreError};

/// A parameter or column value: the store only ever uses integers, text and NULL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Val {
        Val::Int(v as i64)
    }
}
impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::Int(v as i64)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map(Into::into).unwrap_or(Val::Null)
    }
}

/// `vals![a, b, …]`: a parameter list (an array; `&vals![…]` is a `&[Val]`).
macro_rules! vals {
    ($($v:expr),* $(,)?) => { [$($crate::store::sql::Val::from($v)),*] };
}
pub(crate) use vals;

/// One result row, read by position with typed accessors that report a corrupt row instead of panicking.
pub(crate) struct Row {
    table: &'static str,
    cols: Vec<Val>,
}

impl Row {
    fn at(&self, i: usize) -> Result<&Val> {
        self.cols.get(i).ok_or_else(|| StoreError::Corrupt {
            table: self.table,
            message: format!("missing column {i}"),
        })
    }

    fn bad(&self, i: usize, want: &str) -> StoreError {
        StoreError::Corrupt {
            table: self.table,
            message: format!("column {i} is not {want}"),
        }
    }

    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            Val::Text(_) => Err(self.bad(i, "an integer")),
        }
    }

    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?
            .ok_or_else(|| self.bad(i, "a non-null integer"))
    }

    pub fn u32(&self, i: usize) -> Result<u32> {
        u32::try_from(self.i64(i)?).map_err(|_| self.bad(i, "a 32-bit unsigned integer"))
    }

    pub fn opt_i32(&self, i: usize) -> Result<Option<i32>> {
        self.opt_i64(i)?
            .map(|v| i32::try_from(v).map_err(|_| self.bad(i, "a 32-bit integer")))
            .transpose()
    }

    pub fn opt_str(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s.clone())),
            Val::Int(_) => Err(self.bad(i, "text")),
        }
    }

    pub fn str(&self, i: usize) -> Result<String> {
        self.opt_str(i)?.ok_or_else(|| self.bad(i, "non-null text"))
    }
}

/// A connection (or a transaction on one) of either backend. Statements are written once with
/// SQLite's `?N` placeholders; on PostgreSQL they become `$N`.
#[derive(Clone, Copy)]
pub(crate) enum Q<'a> {
    Lite(&'a rusqlite::Connection),
    /// A connection (or a transaction on it) and the statements prepared on that connection.
    Pg(&'a tokio_postgres::Client, &'a StmtCache),
}

impl Q<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub fn exec(&self, sql: &str, params: &[Val]) -> Result<u64> {
        match self {
            Q::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Q::Pg(c, cache) => {
                let p: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                Ok(block_on(async {
                    let stmt = cache.get(c, sql, || pg_sql(sql)).await?;
                    c.execute(&stmt, &p).await
                })?)
            }
        }
    }

    /// Runs one statement per parameter list (prepared once; pipelined on PostgreSQL).
    pub fn exec_many(&self, sql: &str, rows: &[Vec<Val>]) -> Result<()> {
        match self {
            Q::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                for p in rows {
                    stmt.execute(rusqlite::params_from_iter(p.iter()))?;
                }
                Ok(())
            }
            Q::Pg(c, cache) => {
                block_on(async {
                    let stmt = cache.get(c, sql, || pg_sql(sql)).await?;
                    let runs = rows.iter().map(|p| {
                        let p: Vec<&(dyn ToSql + Sync)> =
                            p.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                        let stmt = &stmt;
                        async move { c.execute(stmt, &p).await }
                    });
                    futures::future::try_join_all(runs).await
                })?;
                Ok(())
            }
        }
    }

    /// Every row of a query (or of an `INSERT … RETURNING`).
    pub fn rows(&self, table: &'static str, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        match self {
            Q::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut cols = Vec::with_capacity(n);
                    for i in 0..n {
                        cols.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Val::Null,
                            rusqlite::types::ValueRef::Integer(v) => Val::Int(v),
                            rusqlite::types::ValueRef::Text(t) => {
                                Val::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            other => {
                                return Err(StoreError::Corrupt {
                                    table,
                                    message: format!(
                                        "column {i} has an unexpected type {:?}",
                                        other.data_type()
                                    ),
                                });
                            }
                        });
                    }
                    out.push(Row { table, cols });
                }
                Ok(out)
            }
            Q::Pg(c, cache) => {
                let p: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                let rows = block_on(async {
                    let stmt = cache.get(c, sql, || pg_sql(sql)).await?;
                    c.query(&stmt, &p).await
                })?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut cols = Vec::with_capacity(r.len());
                    for i in 0..r.len() {
                        cols.push(r.try_get::<_, Val>(i)?);
                    }
                    out.push(Row { table, cols });
                }
                Ok(out)
            }
        }
    }

    /// The first row of a query, if any.
    pub fn row(&self, table: &'static str, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.rows(table, sql, params)?.into_iter().next())
    }

    /// Serializes this transaction with every other one taking the same key. SQLite's write
    /// transactions are already exclusive (`BEGIN IMMEDIATE`); PostgreSQL takes an advisory lock.
    pub fn lock(&self, key: i64) -> Result<()> {
        if let Q::Pg(c, _) = self {
            block_on(c.execute("SELECT pg_advisory_xact_lock($1)", &[&key]))?;
        }
        Ok(())
    }
}

/// Waits for a PostgreSQL request from any thread, async worker or not. The client's futures only
/// talk to the connection task (which runs on the store's own runtime thread) over channels, so
/// this never needs, nor nests, a tokio runtime; like the SQLite mutex, it blocks the caller.
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// `?N` placeholders to PostgreSQL's `$N` (the store's statements have no `?` in literals).
pub(crate) fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            // NUL replaced as on PostgreSQL (which cannot store it), so both stores hold the same.
            Val::Text(s) => match storable(s) {
                Cow::Borrowed(b) => ToSqlOutput::Borrowed(ValueRef::Text(b.as_bytes())),
                Cow::Owned(o) => ToSqlOutput::Owned(rusqlite::types::Value::Text(o)),
            },
        })
    }
}

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => {
                    v.to_string().as_str().to_sql(ty, out)
                }
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Val::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    // PostgreSQL text cannot hold NUL: the same replacement as on SQLite.
                    storable(s).as_ref().to_sql(ty, out)
                }
                _ => Err(format!("text cannot be sent as {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Val {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Val, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Val::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Val::Int(i32::from_sql(ty, raw)? as i64),
            Type::INT2 => Val::Int(i16::from_sql(ty, raw)? as i64),
            _ => Val::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Val, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Val::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollar_numbers() {
        assert_eq!(
            pg_sql("UPDATE t SET a = ?2 WHERE id = ?1 AND b IN (?10, ?11)"),
            "UPDATE t SET a = $2 WHERE id = $1 AND b IN ($10, $11)"
        );
        assert_eq!(pg_sql("SELECT '?' , ?"), "SELECT '?' , ?");
    }
}
