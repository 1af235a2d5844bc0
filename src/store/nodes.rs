//! The nodes (engines) sharing a PostgreSQL database: registration, heartbeat and listing with
//! the tasks each runs, timed by the database's clock so clock skew between nodes does not matter.

use serde::Serialize;
use tokio_postgres::Client;

use super::sql::block_on;
use super::{Backend, Result, Store};

/// One engine process known to the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    pub pid: i64,
    pub version: String,
    /// Seconds since the node's last heartbeat, by the database's clock.
    pub heartbeat_age_secs: f64,
    /// How many tasks the node runs now (`running_tasks.len()`).
    pub running: usize,
    /// Ids of the tasks the node runs now (state running, owner this node), ascending.
    pub running_tasks: Vec<i64>,
}

/// A node id: host, pid and start time in milliseconds, unique across restarts (and between
/// engines of one process: the time part never repeats within a process).
pub(super) fn local_node_id(host: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    let started = now.max(prev + 1);
    format!("{host}:{}:{started}", std::process::id())
}

/// Registers (or re-registers after a lost connection) the node `id` with a fresh heartbeat.
pub(super) fn register(client: &Client, id: &str, host: &str) -> Result<()> {
    block_on(client.execute(
        "INSERT INTO nodes (id, hostname, pid, version) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()",
        &[
            &id,
            &host,
            &i64::from(std::process::id()),
            &env!("CARGO_PKG_VERSION"),
        ],
    ))?;
    Ok(())
}

/// Moves the node's heartbeat to the database's `now()`; re-registers it if its row is gone.
pub(super) fn heartbeat(client: &Client, id: &str, host: &str) -> Result<()> {
    let n = block_on(client.execute(
        "UPDATE nodes SET heartbeat_at = now() WHERE id = $1",
        &[&id],
    ))?;
    if n == 0 {
        register(client, id, host)?;
    }
    Ok(())
}

impl Store {
    /// The nodes registered on this database, most recent heartbeat first. SQLite has none (one
    /// engine per data directory, guarded by its lock file).
    pub fn nodes(&self) -> Result<Vec<NodeInfo>> {
        match &*self.backend {
            Backend::Lite { .. } => Ok(Vec::new()),
            Backend::Pg(db) => {
                let conn = db.client()?;
                let client = &conn.client;
                let rows = block_on(client.query(
                    "SELECT n.id, n.hostname, n.pid, n.version,
                            extract(epoch FROM now() - n.heartbeat_at)::float8,
                            coalesce(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL),
                                     '{}'::bigint[])
                     FROM nodes n LEFT JOIN tasks t ON t.owner = n.id AND t.state = 'running'
                     GROUP BY n.id ORDER BY n.heartbeat_at DESC, n.id",
                    &[],
                ))?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        let running_tasks: Vec<i64> = r.get(5);
                        NodeInfo {
                            id: r.get(0),
                            hostname: r.get(1),
                            pid: r.get(2),
                            version: r.get(3),
                            heartbeat_age_secs: r.get(4),
                            running: running_tasks.len(),
                            running_tasks,
                        }
                    })
                    .collect())
            }
        }
    }
}
