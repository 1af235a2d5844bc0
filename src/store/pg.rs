//! The PostgreSQL backend's connection: parsing and redacting the URL, connecting with clear errors,
//! the runtime thread that drives the socket, reconnecting after a lost connection, and migrations.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use super::migrations::{PG_MIGRATIONS, SCHEMA_VERSION};
use super::pg_pool::{Conn, Lent, MAX_CONNECTIONS, Pool};
use super::sql::block_on;
use super::{Result, StoreError};

/// Serializes migrations between nodes starting at once (an arbitrary constant: "opsdeck" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_7073_6465_636b;
/// The session advisory lock opsdeck before node leases (schema 3) held as the one engine of a
/// database; a node checks that nobody holds it, so an old engine and new nodes never share one.
const LEGACY_ENGINE_LOCK: i64 = 0x6f70_7365;
/// Used when the URL does not set `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct PgDb {
    config: tokio_postgres::Config,
    shown: String,
    pool: Pool,
}

/// The runtime whose one thread drives every PostgreSQL socket of this process. Store calls wait
/// on it from any thread (see [`block_on`]); it lives as long as the process.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("opsdeck-pg")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| StoreError::Connect {
        url: String::new(),
        message: format!("cannot start the PostgreSQL runtime thread: {e}"),
    })
}

impl PgDb {
    pub fn connect(url: &str) -> Result<PgDb> {
        let shown = redact_url(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::BadUrl {
                url: shown,
                message: "only postgres://user:password@host:port/database is supported \
                          (leave --database-url unset for the SQLite file in --data-dir)"
                    .into(),
            });
        }
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::BadUrl {
            url: shown.clone(),
            message: error_text(&e),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("opsdeck");
        }
        let client = open(&config, &shown)?;
        Ok(PgDb {
            config,
            shown,
            pool: Pool::new(Conn::new(client), MAX_CONNECTIONS),
        })
    }

    /// A second connection with the same settings.
    pub fn reopen(&self) -> Result<PgDb> {
        Ok(PgDb {
            config: self.config.clone(),
            shown: self.shown.clone(),
            pool: Pool::new(Conn::new(open(&self.config, &self.shown)?), MAX_CONNECTIONS),
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The connection settings (a listening connection opens its own with them).
    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// A connection of the pool for the caller alone (one transaction, or a statement sequence
    /// that must share a session), re-established first when the server closed it (a restart, a
    /// failover).
    pub fn client(&self) -> Result<Lent<'_>> {
        self.pool.get(|| open(&self.config, &self.shown))
    }

    /// Brings the schema to [`SCHEMA_VERSION`]. Reads the version before writing anything, so a
    /// schema from a newer opsdeck is refused untouched; nodes starting together migrate one at a time.
    pub fn migrate(&self) -> Result<()> {
        let mut conn = self.client()?;
        let client = &mut conn.client;
        if version(client)? == SCHEMA_VERSION {
            return Ok(());
        }
        self.refuse_newer(client)?;
        let result = (|| -> std::result::Result<(), tokio_postgres::Error> {
            let tx = block_on(client.transaction())?;
            block_on(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]))?;
            let found = version(tx.client())?;
            if found > SCHEMA_VERSION {
                return Ok(()); // reported by the re-check below; nothing was written
            }
            if found == 0 {
                block_on(tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS opsdeck_schema (version BIGINT NOT NULL);
                     INSERT INTO opsdeck_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM opsdeck_schema);",
                ))?;
            }
            for (i, sql) in PG_MIGRATIONS.iter().enumerate().skip(found as usize) {
                block_on(tx.batch_execute(sql))?;
                block_on(tx.execute("UPDATE opsdeck_schema SET version = $1", &[&(i as i64 + 1)]))?;
            }
            block_on(tx.commit())
        })();
        if let Err(e) = result {
            let code = e.code().cloned();
            if code == Some(SqlState::INSUFFICIENT_PRIVILEGE)
                || code == Some(SqlState::INVALID_SCHEMA_NAME)
            {
                let (user, database) = whoami(client).unwrap_or_default();
                return Err(StoreError::SchemaRights {
                    user,
                    database,
                    message: error_text(&e),
                });
            }
            return Err(e.into());
        }
        // Another node may have migrated further in the meantime.
        self.refuse_newer(client)
    }

    /// A second connection with the same settings, named `label` in `pg_stat_activity`.
    pub fn reopen_as(&self, label: &str) -> Result<PgDb> {
        let mut config = self.config.clone();
        config.application_name(label);
        Ok(PgDb {
            pool: Pool::new(Conn::new(open(&config, &self.shown)?), MAX_CONNECTIONS),
            config,
            shown: self.shown.clone(),
        })
    }

    /// Who holds the one-engine lock of opsdeck versions before node leases (an engine of an
    /// older opsdeck still running on this database), if anyone.
    pub fn legacy_engine(&self) -> Result<Option<String>> {
        // The try and the unlock must run on one session: one lent connection.
        let conn = self.client()?;
        let client = &conn.client;
        let got: bool =
            block_on(client.query_one("SELECT pg_try_advisory_lock($1)", &[&LEGACY_ENGINE_LOCK]))?
                .get(0);
        if got {
            block_on(client.execute("SELECT pg_advisory_unlock($1)", &[&LEGACY_ENGINE_LOCK]))?;
            return Ok(None);
        }
        let holder = block_on(client.query_opt(
            "SELECT a.application_name::text, coalesce(host(a.client_addr), 'the local socket')
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objid::text::bigint = $1 AND l.objsubid = 1",
            &[&LEGACY_ENGINE_LOCK],
        ))?;
        Ok(Some(match holder {
            Some(r) => format!(
                "{}, connected from {}",
                r.get::<_, String>(0),
                r.get::<_, String>(1)
            ),
            None => "unknown holder".into(),
        }))
    }

    fn refuse_newer(&self, client: &Client) -> Result<()> {
        let found = version(client)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.shown.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }
}

/// The schema version stored in `opsdeck_schema`, 0 when the table does not exist yet.
fn version(client: &Client) -> std::result::Result<i64, tokio_postgres::Error> {
    // A catalog scan, not `to_regclass`: that answers from a per-session cache which can still
    // say "no such table" after another node's migration committed (seen with nodes starting
    // together), and the migration would then run twice.
    let exists: bool = block_on(client.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.relname = 'opsdeck_schema' AND n.nspname = current_schema())",
        &[],
    ))?
    .get(0);
    if !exists {
        return Ok(0);
    }
    let row = block_on(client.query_opt("SELECT max(version) FROM opsdeck_schema", &[]))?;
    Ok(row.and_then(|r| r.get::<_, Option<i64>>(0)).unwrap_or(0))
}

fn whoami(client: &Client) -> std::result::Result<(String, String), tokio_postgres::Error> {
    let row =
        block_on(client.query_one("SELECT current_user::text, current_database()::text", &[]))?;
    Ok((row.get(0), row.get(1)))
}

/// Connects on the runtime thread and leaves the connection's driver running there.
fn open(config: &tokio_postgres::Config, shown: &str) -> Result<Client> {
    let rt = runtime()?;
    let config = config.clone();
    let shown_owned = shown.to_string();
    let joined = block_on(rt.spawn(async move {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(
                    "the PostgreSQL connection to {shown_owned} ended: {}",
                    error_text(&e)
                );
            }
        });
        Ok::<_, tokio_postgres::Error>(client)
    }));
    let connect_error = |message: String| StoreError::Connect {
        url: shown.to_string(),
        message,
    };
    match joined {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(connect_error(error_text(&e))),
        Err(e) => Err(connect_error(format!("the connecting task failed: {e}"))),
    }
}

/// An error with its causes, e.g. `db error: ERROR: permission denied for schema public`.
pub(crate) fn error_text(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// The URL with its password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***@{host}"),
                None => format!("{userinfo}@{host}"),
            },
            None => authority.to_string(),
        };
        let tail = redact_password_param(tail);
        return format!("{scheme}://{authority}{tail}");
    }
    redact_password_param(url)
}

fn redact_password_param(s: &str) -> String {
    let re = regex::Regex::new(r"(?i)(password=)[^&\s]*").expect("a valid regex");
    re.replace_all(s, "${1}***").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact_url("postgres://ops:s3cret@db.example:5433/opsdeck?sslmode=disable"),
            "postgres://ops:***@db.example:5433/opsdeck?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://ops@db/x?password=s3cret&x=1"),
            "postgres://ops@db/x?password=***&x=1"
        );
        assert_eq!(
            redact_url("host=db password=s3cret"),
            "host=db password=***"
        );
    }

    #[test]
    fn a_non_postgres_url_is_refused_with_the_field_named() {
        let e = PgDb::connect("mysql://root:pw@localhost/x")
            .err()
            .expect("refused");
        let msg = e.to_string();
        assert!(msg.contains("--database-url"), "{msg}");
        assert!(!msg.contains("pw"), "{msg}");
    }

    #[test]
    fn a_malformed_url_is_refused() {
        let e = PgDb::connect("postgres://u:pw@host:notaport/db")
            .err()
            .expect("refused");
        let msg = e.to_string();
        assert!(msg.starts_with("invalid --database-url"), "{msg}");
        assert!(!msg.contains(":pw@"), "{msg}");
    }

    #[test]
    fn an_unreachable_server_is_a_clear_error() {
        // A loopback port nobody listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = PgDb::connect(&format!("postgres://u:pw@127.0.0.1:{port}/db"))
            .err()
            .expect("refused");
        let msg = e.to_string();
        assert!(msg.contains("cannot connect to PostgreSQL"), "{msg}");
        assert!(msg.contains(&port.to_string()), "{msg}");
        assert!(!msg.contains(":pw@"), "{msg}");
    }
}
