//! Native SQL audit: opsdeck speaks MySQL itself to a tag's write database through an SSH tunnel
//! to the proxy host, checks statements against the real server before approval and runs them
//! with per-statement results kept as data.

pub mod backup;
pub mod kind;
pub mod online;
pub mod osc;
pub mod run;

use std::sync::Arc;

use crate::exec::HostSession;
use crate::exec::tunnel::Tunnel;
use crate::model::TaskSpec;
use mysql_async::prelude::Queryable;

pub use crate::model::sql_audit::{
    OnlineReport, StatementCheck, StatementResult, StatementStatus, in_transaction, via_tunnel,
};
pub use kind::{StatementKind, classify};

/// Where a native audit connects: the database as the proxy host sees it, and who to log in as.
#[derive(Clone)]
pub struct DbTarget {
    pub tag: String,
    pub proxy: String,
    /// The inventory name of the database.
    pub database: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub schema: Option<String>,
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTarget")
            .field("tag", &self.tag)
            .field("proxy", &self.proxy)
            .field("database", &self.database)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl DbTarget {
    /// The target of an SQL audit spec (its `DB_*` args and the tag and database in `extra`).
    pub fn from_spec(spec: &TaskSpec) -> Option<DbTarget> {
        let a = &spec.args;
        let s = |k: &str| spec.extra.get(k).and_then(|v| v.as_str()).map(String::from);
        Some(DbTarget {
            tag: s("target_tag")?,
            proxy: spec.hosts.get(&1)?.first()?.clone(),
            database: s("database")?,
            host: a.get("DB_HOST")?.clone(),
            port: a.get("DB_PORT")?.parse().ok()?,
            user: a.get("DB_USER")?.clone(),
            password: a.get("DB_PASSWORD").filter(|p| !p.is_empty()).cloned(),
            schema: a.get("DB_NAME").filter(|p| !p.is_empty()).cloned(),
        })
    }

    fn name(&self) -> String {
        format!(
            "database `{}` ({}:{} via proxy `{}`)",
            self.database, self.host, self.port, self.proxy
        )
    }
}

/// A MySQL connection through a tunnel; the tunnel lives as long as the connection.
pub struct DbConn {
    pub conn: mysql_async::Conn,
    _tunnel: Tunnel,
}

impl DbConn {
    /// Opens the tunnel through `session` (the proxy host) and logs in.
    pub async fn connect(session: Arc<HostSession>, t: &DbTarget) -> Result<DbConn, String> {
        let tunnel = Tunnel::open(session, &t.proxy, &t.host, t.port)
            .await
            .map_err(|e| e.to_string())?;
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(tunnel.local.ip().to_string())
            .tcp_port(tunnel.local.port())
            .user(Some(t.user.clone()))
            .pass(t.password.clone())
            .db_name(t.schema.clone())
            // Never switch to the server's unix socket: that is on the database host, not here.
            .prefer_socket(false)
            .stmt_cache_size(0);
        let conn = mysql_async::Conn::new(opts)
            .await
            .map_err(|e| login_error(t, &e))?;
        Ok(DbConn {
            conn,
            _tunnel: tunnel,
        })
    }

    pub async fn close(self) {
        let _ = self.conn.disconnect().await;
    }

    /// The statements' results as the server would name them: `SHOW WARNINGS` after a statement.
    pub async fn warnings(&mut self) -> Vec<String> {
        match self
            .conn
            .query::<(String, u32, String), _>("SHOW WARNINGS")
            .await
        {
            Ok(rows) => rows
                .into_iter()
                .map(|(level, code, msg)| format!("{level} {code}: {msg}"))
                .collect(),
            Err(e) => vec![format!("(could not read the warnings: {e})")],
        }
    }
}

/// A login failure in words: a refused password names the user and the database.
fn login_error(t: &DbTarget, e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) if s.code == 1045 => format!(
            "{} refused the login of `{}` (MySQL error 1045: {}): check the password of database `{}` in the inventory",
            t.name(),
            t.user,
            s.message,
            t.database
        ),
        mysql_async::Error::Server(s) => format!(
            "{} refused the connection (MySQL error {}: {})",
            t.name(),
            s.code,
            s.message
        ),
        other => format!("cannot talk MySQL to {}: {other}", t.name()),
    }
}

/// A driver error as the `mysql` client would print it.
pub fn describe(e: mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) => {
            format!("ERROR {} ({}): {}", s.code, s.state, s.message)
        }
        mysql_async::Error::Io(e) => format!("lost the connection to the database: {e}"),
        mysql_async::Error::Driver(e) => format!("driver: {e}"),
        other => other.to_string(),
    }
}
