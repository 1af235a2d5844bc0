//! Versioned schema migrations for both backends, applied on open: tracked in SQLite's
//! `user_version` and in PostgreSQL's `opsdeck_schema` table. Entry N of each list is the same change.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

/// Each entry moves the schema from version N to N+1. Never edit a released entry; append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE inventory_items (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, name)
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL,
        token_hash TEXT
    );
    CREATE TABLE templates (
        id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (id, version)
    );
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        module TEXT NOT NULL,
        submitter TEXT NOT NULL,
        state TEXT NOT NULL,
        template_id INTEGER NOT NULL,
        template_version INTEGER NOT NULL,
        exec_time TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        spec TEXT NOT NULL,
        decision TEXT,
        reason TEXT NOT NULL DEFAULT '',
        FOREIGN KEY (template_id, template_version) REFERENCES templates (id, version)
    );
    CREATE INDEX tasks_by_state ON tasks (state, exec_time);
    CREATE TABLE step_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id INTEGER NOT NULL REFERENCES tasks (id),
        grp INTEGER NOT NULL,
        level INTEGER NOT NULL,
        host TEXT NOT NULL,
        step_name TEXT NOT NULL,
        state TEXT NOT NULL,
        exit_code INTEGER,
        started_at TEXT,
        finished_at TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        reason TEXT NOT NULL DEFAULT '',
        UNIQUE (task_id, grp, level, host)
    );
    CREATE TABLE log_lines (
        task_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        step_run_id INTEGER,
        host TEXT,
        ts INTEGER NOT NULL,
        stream TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (task_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        task_id INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_task ON audit (task_id);
    CREATE TABLE captures (
        task_id INTEGER NOT NULL REFERENCES tasks (id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (task_id, name)
    );
    "#,
    // 2: per-statement results of native SQL audits.
    r#"
    CREATE TABLE sql_results (
        task_id INTEGER NOT NULL REFERENCES tasks (id),
        statement INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (task_id, statement)
    );
    "#,
    // 3: the nodes (engines) sharing a database; only written on PostgreSQL.
    r#"
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL,
        pid INTEGER NOT NULL,
        version TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL
    );
    "#,
    // 4: node leases on tasks (PostgreSQL only writes them; SQLite keeps one engine per data dir).
    r#"
    ALTER TABLE tasks ADD COLUMN owner TEXT;
    ALTER TABLE tasks ADD COLUMN lease_until TEXT;
    "#,
    // 5: the remote process group of a running SSH step (`PGID TAG`), so another node can end it.
    r#"
    ALTER TABLE step_runs ADD COLUMN remote_group TEXT;
    "#,
];

/// The same schema on PostgreSQL: integers are BIGINT, times the same UTC text as on SQLite (so both
/// backends share row decoding, and text order is time order).
pub(super) const PG_MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE inventory_items (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        position BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, name)
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL,
        token_hash TEXT
    );
    CREATE TABLE templates (
        id BIGINT NOT NULL,
        version BIGINT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (id, version)
    );
    CREATE TABLE tasks (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL,
        module TEXT NOT NULL,
        submitter TEXT NOT NULL,
        state TEXT NOT NULL,
        template_id BIGINT NOT NULL,
        template_version BIGINT NOT NULL,
        exec_time TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        spec TEXT NOT NULL,
        decision TEXT,
        reason TEXT NOT NULL DEFAULT '',
        FOREIGN KEY (template_id, template_version) REFERENCES templates (id, version)
    );
    CREATE INDEX tasks_by_state ON tasks (state, exec_time);
    CREATE TABLE step_runs (
        id BIGSERIAL PRIMARY KEY,
        task_id BIGINT NOT NULL REFERENCES tasks (id),
        grp BIGINT NOT NULL,
        level BIGINT NOT NULL,
        host TEXT NOT NULL,
        step_name TEXT NOT NULL,
        state TEXT NOT NULL,
        exit_code BIGINT,
        started_at TEXT,
        finished_at TEXT,
        attempt BIGINT NOT NULL DEFAULT 1,
        reason TEXT NOT NULL DEFAULT '',
        UNIQUE (task_id, grp, level, host)
    );
    CREATE TABLE log_lines (
        task_id BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        step_run_id BIGINT,
        host TEXT,
        ts BIGINT NOT NULL,
        stream TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (task_id, seq)
    );
    CREATE TABLE audit (
        id BIGSERIAL PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        task_id BIGINT,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_task ON audit (task_id);
    CREATE TABLE captures (
        task_id BIGINT NOT NULL REFERENCES tasks (id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (task_id, name)
    );
    "#,
    // 2: per-statement results of native SQL audits.
    r#"
    CREATE TABLE sql_results (
        task_id BIGINT NOT NULL REFERENCES tasks (id),
        statement BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (task_id, statement)
    );
    "#,
    // 3: the nodes (engines) sharing a database. Times from the database's clock (`now()`), so
    // clock skew between nodes does not matter.
    r#"
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL,
        pid BIGINT NOT NULL,
        version TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    "#,
    // 4: node leases: the node running (or about to run) a task and until when its claim holds,
    // by the database's clock. `owner` stays after the task ends (which node ran it).
    r#"
    ALTER TABLE tasks ADD COLUMN owner TEXT;
    ALTER TABLE tasks ADD COLUMN lease_until TIMESTAMPTZ;
    CREATE INDEX tasks_running_by_owner ON tasks (owner) WHERE state = 'running';
    "#,
    // 5: the remote process group of a running SSH step (`PGID TAG`: the step's process group on
    // its host and the random tag in its environment), so a survivor can end it after the node
    // running it was cut off.
    r#"
    ALTER TABLE step_runs ADD COLUMN remote_group TEXT;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
const _: () = assert!(
    MIGRATIONS.len() == PG_MIGRATIONS.len(),
    "every migration needs its PostgreSQL twin"
);

pub(super) fn refuse_newer(conn: &Connection, path: &Path) -> Result<i64> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.display().to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let found = refuse_newer(conn, path)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn an_empty_file_is_migrated_to_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        drop(store);
        // Opening again is a no-op.
        Store::open(&path).unwrap();
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE future (x INTEGER); PRAGMA user_version = 99;")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().expect("must refuse");
        let msg = err.to_string();
        assert!(msg.contains("newer opsdeck"), "{msg}");
        assert!(msg.contains("99"), "{msg}");
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
        let tables: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'tasks'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "no migration may run on a newer database");
        drop(c);
        assert_eq!(
            before,
            std::fs::read(&path).unwrap(),
            "the file must not change"
        );
    }
}
