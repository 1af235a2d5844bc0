//! Persistence on SQLite (the default, one file) or PostgreSQL (`--database-url`): migrations and
//! repositories for inventory, users, templates, tasks, step runs, logs and audit, written once.

mod audit;
mod inventory;
mod leases;
mod logs;
mod migrations;
mod nodes;
mod notify;
mod pg;
mod pg_pool;
pub(crate) mod sql;
mod sql_results;
mod stats;
mod storable;
mod tasks;
mod templates;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use leases::{Claim, Recovered, RemoteStep};
pub use logs::{LogSender, LogWriter};
pub use migrations::SCHEMA_VERSION;
pub use nodes::NodeInfo;
pub use notify::{CHANGE_CHANNEL, LOG_CHANNEL, Listener, Notice};
pub use pg::redact_url;
pub use pg_pool::MAX_CONNECTIONS as PG_POOL_CONNECTIONS;
pub use storable::{NUL_SHOWN, storable};
pub use tasks::{ScheduledRef, TaskFilter, planned_steps};
pub use templates::StoredTemplate;

use sql::Q;

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
    #[error("invalid --database-url `{url}`: {message}")]
    BadUrl { url: String, message: String },
    #[error(
        "cannot connect to PostgreSQL at {url}: {message}; check --database-url (OPSDECK_DATABASE_URL, \
         config `database_url`) and that the server is running and reachable"
    )]
    Connect { url: String, message: String },
    #[error(
        "the PostgreSQL user `{user}` may not create opsdeck's tables in database `{database}` ({message}); \
         grant it the right (e.g. `GRANT CREATE ON SCHEMA public TO \"{user}\"`, or make it the database owner), \
         or run opsdeck once as a user that has it; nothing was changed"
    )]
    SchemaRights {
        user: String,
        database: String,
        message: String,
    },
    #[error(
        "an engine of an older opsdeck ({holder}) runs on the database {url}; it does not take task \
         leases, so this node would not start alongside it: stop it (or upgrade it) first"
    )]
    LegacyEngine { holder: String, url: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database error: {}", pg::error_text(.0))]
    Pg(#[from] tokio_postgres::Error),
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
    backend: Arc<Backend>,
}

enum Backend {
    Lite {
        conn: Mutex<Connection>,
        path: PathBuf,
    },
    Pg(Box<pg::PgDb>),
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`, in WAL mode, and applies pending
    /// migrations. A database from a newer opsdeck is refused and not modified.
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
            backend: Arc::new(Backend::Lite {
                conn: Mutex::new(conn),
                path: path.to_path_buf(),
            }),
        })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user:pass@host:port/db`) and applies
    /// pending migrations. An unreachable server, a wrong URL, a user without the right to create
    /// the schema and a schema from a newer opsdeck are each refused with an error saying so.
    pub fn connect(url: &str) -> Result<Store> {
        let db = pg::PgDb::connect(url)?;
        db.migrate()?;
        Ok(Store {
            backend: Arc::new(Backend::Pg(Box::new(db))),
        })
    }

    /// `--database-url` when given (PostgreSQL), the SQLite file at `path` otherwise.
    pub fn open_either(url: Option<&str>, path: &Path) -> Result<Store> {
        match url {
            Some(u) => Store::connect(u),
            None => Store::open(path),
        }
    }

    /// A second handle with a connection of its own to the same (already migrated) database.
    pub(crate) fn reopen(&self) -> Result<Store> {
        let backend = match &*self.backend {
            Backend::Lite { path, .. } => Backend::Lite {
                conn: Mutex::new(open_connection(path)?),
                path: path.clone(),
            },
            Backend::Pg(db) => Backend::Pg(Box::new(db.reopen()?)),
        };
        Ok(Store {
            backend: Arc::new(backend),
        })
    }

    /// The SQLite file, `None` on PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        match &*self.backend {
            Backend::Lite { path, .. } => Some(path),
            Backend::Pg(_) => None,
        }
    }

    /// True on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(&*self.backend, Backend::Pg(_))
    }

    /// Where the data lives, for messages: the SQLite path or the URL without its password.
    pub fn describe(&self) -> String {
        match &*self.backend {
            Backend::Lite { path, .. } => path.display().to_string(),
            Backend::Pg(db) => db.shown().to_string(),
        }
    }

    #[cfg(test)]
    fn conn(&self) -> MutexGuard<'_, Connection> {
        match &*self.backend {
            Backend::Lite { conn, .. } => lock(conn),
            Backend::Pg(_) => panic!("conn() is SQLite-only"),
        }
    }

    /// This engine's place on the database. SQLite: nothing to hold (the data dir's lock file
    /// guards it). PostgreSQL: a node registered in `nodes`, with a connection of its own for its
    /// heartbeat and lease renewals; any number of nodes may share the database.
    pub fn claim_engine(&self) -> Result<EngineClaim> {
        match &*self.backend {
            Backend::Lite { .. } => Ok(EngineClaim {
                db: None,
                node: None,
            }),
            Backend::Pg(db) => {
                let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .map(|h| h.trim().to_string())
                    .unwrap_or_default();
                let label = format!("opsdeck engine {host} pid {}", std::process::id());
                let db = db.reopen_as(&label)?;
                if let Some(holder) = db.legacy_engine()? {
                    return Err(StoreError::LegacyEngine {
                        holder,
                        url: db.shown().to_string(),
                    });
                }
                let id = nodes::local_node_id(&host);
                nodes::register(&db.client()?.client, &id, &host)?;
                Ok(EngineClaim {
                    db: Some(Box::new(db)),
                    node: Some((id, host)),
                })
            }
        }
    }

    /// Runs `f` on the connection (autocommit).
    pub(crate) fn with<T>(&self, f: impl FnOnce(Q<'_>) -> Result<T>) -> Result<T> {
        off_worker(|| match &*self.backend {
            Backend::Lite { conn, .. } => f(Q::Lite(&lock(conn))),
            Backend::Pg(db) => {
                let conn = db.client()?;
                f(Q::Pg(&conn.client, &conn.stmts))
            }
        })
    }

    /// Runs `f` in one write transaction, committed when it returns `Ok` and rolled back otherwise.
    pub(crate) fn tx<T>(&self, f: impl FnOnce(Q<'_>) -> Result<T>) -> Result<T> {
        off_worker(|| match &*self.backend {
            Backend::Lite { conn, .. } => {
                let mut c = lock(conn);
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(Q::Lite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Pg(db) => {
                let mut conn = db.client()?;
                let pg_pool::Conn { client, stmts } = &mut *conn;
                let tx = sql::block_on(client.transaction())?;
                let out = f(Q::Pg(tx.client(), stmts))?;
                sql::block_on(tx.commit())?;
                Ok(out)
            }
        })
    }
}

/// Runs a blocking store call. On a worker of a multi-threaded tokio runtime the worker first hands
/// its other tasks to another thread (`block_in_place`), so waiting for the database (the SQLite
/// lock, a PostgreSQL round trip) never stalls the async tasks queued behind it. Elsewhere (plain
/// threads, `spawn_blocking`, a current-thread runtime such as a `#[tokio::test]`) it just runs.
fn off_worker<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// See [`Store::claim_engine`].
pub struct EngineClaim {
    db: Option<Box<pg::PgDb>>,
    /// This node's id and host name in the `nodes` table (PostgreSQL).
    node: Option<(String, String)>,
}

/// What one heartbeat found (see [`EngineClaim::tick`]).
#[derive(Debug, Default)]
pub struct Tick {
    /// Tasks this node runs whose lease it no longer holds (a survivor took them over after the
    /// lease expired, or they ended): stop running them.
    pub lost: Vec<i64>,
    /// Running tasks of dead nodes this node just marked interrupted.
    pub recovered: Vec<Recovered>,
}

impl EngineClaim {
    /// Whether the claim has a heartbeat at all (PostgreSQL).
    pub fn renewable(&self) -> bool {
        self.db.is_some()
    }

    /// This node's id in the database's `nodes` table (PostgreSQL only).
    pub fn node_id(&self) -> Option<&str> {
        self.node.as_ref().map(|(id, _)| id.as_str())
    }

    /// Moves this node's heartbeat (registering it again if its row is gone); nothing on SQLite.
    /// Blocks: call it from a blocking thread.
    pub fn renew(&self) -> Result<()> {
        if let (Some(db), Some((id, host))) = (&self.db, &self.node) {
            nodes::heartbeat(&db.client()?.client, id, host)?;
        }
        Ok(())
    }

    /// One heartbeat on PostgreSQL: moves the node's heartbeat, renews its leases on `running`
    /// for `lease`, interrupts the running tasks of nodes whose lease expired, and forgets node
    /// rows silent for a day. Nothing on SQLite. Blocks: call it from a blocking thread.
    pub fn tick(&self, running: &[i64], lease: std::time::Duration) -> Result<Tick> {
        let (Some(db), Some((id, host))) = (&self.db, &self.node) else {
            return Ok(Tick::default());
        };
        let mut conn = db.client()?;
        let client = &mut conn.client;
        nodes::heartbeat(client, id, host)?;
        let held = leases::renew(client, id, running, lease)?;
        let lost = running
            .iter()
            .copied()
            .filter(|t| !held.contains(t))
            .collect();
        let recovered = leases::interrupt_expired(client, id)?;
        leases::forget_old_nodes(client, id)?;
        Ok(Tick { lost, recovered })
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves the connection usable; SQLite rolls back open transactions.
    conn.lock().unwrap_or_else(|p| p.into_inner())
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
mod off_worker_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::testutil::temp_store;

    /// A slow store call on the only worker of a multi-threaded runtime does not stall the other
    /// tasks: they keep running while it waits.
    #[test]
    fn a_slow_store_call_does_not_stall_other_tasks() {
        let (_d, store) = temp_store();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let ticks = Arc::new(AtomicU32::new(0));
        rt.block_on(async {
            let t = ticks.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    t.fetch_add(1, Ordering::SeqCst);
                }
            });
            tokio::time::sleep(Duration::from_millis(30)).await;
            let before = ticks.load(Ordering::SeqCst);
            let slow = tokio::spawn(async move {
                store
                    .with(|_| {
                        std::thread::sleep(Duration::from_millis(400));
                        Ok(())
                    })
                    .unwrap();
            });
            slow.await.unwrap();
            let during = ticks.load(Ordering::SeqCst) - before;
            ticker.abort();
            assert!(
                during >= 10,
                "the ticker ran {during} times during a 400 ms store call"
            );
        });
    }
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
