//! A small pool of PostgreSQL connections for one store handle, each with a cache of its prepared
//! statements, so concurrent store calls do not queue behind one connection and a statement is
//! parsed by the server once per connection instead of on every call.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};

use tokio_postgres::{Client, Statement};

use super::Result;

/// Connections one handle opens at most (lazily: a handle used from one thread at a time keeps one).
pub const MAX_CONNECTIONS: usize = 6;
/// Statements cached per connection; past it the cache starts over (the store's own statements
/// are a few dozen, so only generated ones could ever fill it).
const MAX_CACHED: usize = 512;

/// One connection and the statements prepared on it.
pub(crate) struct Conn {
    pub client: Client,
    pub stmts: StmtCache,
}

impl Conn {
    pub fn new(client: Client) -> Conn {
        Conn {
            client,
            stmts: StmtCache::default(),
        }
    }

    /// `sql` (written with `$N` placeholders) prepared on this connection, once.
    pub async fn stmt(&self, sql: &str) -> std::result::Result<Statement, tokio_postgres::Error> {
        self.stmts.get(&self.client, sql, || sql.to_string()).await
    }
}

/// Prepared statements by their SQL text. Used by one caller at a time (the pool hands a
/// connection to one holder), so the lock is never contended.
#[derive(Default)]
pub(crate) struct StmtCache(Mutex<HashMap<String, Statement>>);

impl StmtCache {
    /// The statement for `sql`, prepared on `client` the first time. `client` must be the
    /// connection this cache belongs to (or a transaction on it).
    pub async fn get(
        &self,
        client: &Client,
        key: &str,
        sql: impl FnOnce() -> String,
    ) -> std::result::Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.map().get(key) {
            return Ok(s.clone());
        }
        let stmt = client.prepare(&sql()).await?;
        let mut map = self.map();
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(key.to_string(), stmt.clone());
        Ok(stmt)
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Statement>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Idle connections and how many are open (idle or lent).
struct Slots {
    idle: Vec<Conn>,
    open: usize,
}

pub(crate) struct Pool {
    slots: Mutex<Slots>,
    freed: Condvar,
    max: usize,
}

impl Pool {
    /// A pool holding `first` (already connected), growing up to `max` connections on demand.
    pub fn new(first: Conn, max: usize) -> Pool {
        Pool {
            slots: Mutex::new(Slots {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// An open connection for the caller alone: an idle one, else a new one from `open` while
    /// under the limit, else the next one given back. Connections the server closed (a restart, a
    /// failover) are dropped on the way and replaced by fresh ones.
    pub fn get(&self, open: impl Fn() -> Result<Client>) -> Result<Lent<'_>> {
        let mut s = self.lock();
        loop {
            while let Some(c) = s.idle.pop() {
                if !c.client.is_closed() {
                    return Ok(Lent {
                        pool: self,
                        conn: Some(c),
                    });
                }
                s.open -= 1;
                tracing::warn!("a PostgreSQL connection was lost; reconnecting");
            }
            if s.open < self.max {
                s.open += 1;
                drop(s);
                return match open() {
                    Ok(client) => Ok(Lent {
                        pool: self,
                        conn: Some(Conn::new(client)),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            s = self.freed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection lent by the pool; given back when dropped.
pub(crate) struct Lent<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Deref for Lent<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a lent connection until dropped")
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a lent connection until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut s = self.pool.lock();
            if c.client.is_closed() {
                s.open -= 1;
            } else {
                s.idle.push(c);
            }
            drop(s);
            self.pool.freed.notify_one();
        }
    }
}
