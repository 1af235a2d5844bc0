//! SQLite persistence: migrations and repositories for inventory, users, templates, tasks, step runs, logs and audit.

mod audit;
mod inventory;
mod logs;
mod migrations;
mod sql_results;
mod stats;
mod tasks;
mod templates;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use logs::{LogSender, LogWriter};
pub use migrations::SCHEMA_VERSION;
pub use tasks::{ScheduledRef, TaskFilter, planned_steps};
pub use templates::StoredTemplate;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "database {path} was written by a newer opsdeck (schema version {found}; this opsdeck knows up to {supported}); \
         it was left untouched — upgrade opsdeck or point --data-dir elsewhere"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(String),
    #[error("the log writer has stopped")]
    WriterGone,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A handle to the opsdeck database; cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and applies pending migrations.
    /// A database from a newer opsdeck is refused and not modified.
    pub fn open(path: &Path) -> Result<Store> {
        let wrap = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        // Check the version before touching anything: a newer database must stay byte-for-byte as it was.
        migrations::refuse_newer(&conn, path)?;
        configure(&conn).map_err(wrap)?;
        migrations::migrate(&conn, path)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable; SQLite rolls back open transactions.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A further connection to an already opened (and migrated) database, e.g. for the log writer.
pub(crate) fn open_connection(path: &Path) -> Result<Connection> {
    let wrap = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    let conn = Connection::open(path).map_err(wrap)?;
    configure(&conn).map_err(wrap)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_ts(table: &'static str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            table,
            message: format!("bad time `{s}`: {e}"),
        })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(table: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain data types cannot fail.
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::Store;

    pub fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("opsdeck.db")).unwrap();
        (dir, store)
    }
}
