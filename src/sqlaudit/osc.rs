//! Big ALTERs online: an ALTER TABLE run through `pt-online-schema-change` on the tag's proxy host
//! (so it reaches the database as the proxy does), its progress in the live log; the password
//! travels on stdin into a private option file, never on a command line; a cancel stops the tool
//! and opsdeck then drops any trigger or shadow table it left.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use tokio::sync::mpsc::Sender;
use tokio_util::sync::CancellationToken;

use super::describe;
use super::kind::{TableName, alter_table_parts};
use super::{DbConn, DbTarget};
use crate::exec::render::quote;
use crate::exec::{HostSession, OutputChunk, OutputStream};
use crate::model::sql_backup::quote_ident;

/// The tool as Debian's `percona-toolkit` installs it, found on the proxy's `PATH`.
pub const TOOL: &str = "pt-online-schema-change";

/// The table and the alter specification of an `ALTER TABLE`, as pt-online-schema-change takes them.
pub fn alter_parts(sql: &str) -> Option<(TableName, String)> {
    alter_table_parts(sql).map(|(t, rest)| (t, rest.to_string()))
}

/// One online ALTER, ready to run on the proxy.
pub struct OnlineAlter {
    pub schema: String,
    pub table: String,
    /// The alter specification (`ADD COLUMN c INT, …`).
    pub alter: String,
}

impl OnlineAlter {
    /// The online form of `sql` against `target`'s database, or why it has none.
    pub fn new(sql: &str, target: &DbTarget) -> Result<OnlineAlter, String> {
        let (t, alter) = alter_parts(sql).ok_or_else(|| {
            format!("{TOOL} needs `ALTER TABLE name <changes>`; this statement is not one")
        })?;
        let schema = t.schema.or_else(|| target.schema.clone()).ok_or_else(|| {
            format!(
                "the ALTER names no schema and database `{}` has none",
                target.database
            )
        })?;
        Ok(OnlineAlter {
            schema,
            table: t.table,
            alter,
        })
    }

    /// The command run on the proxy: a private option file filled from stdin (the password) in
    /// the new directory `$TMPDIR/<dir>` (refused if it exists), removed on exit and on TERM
    /// (after the tool has cleaned up), then the tool itself. A tool KILLed after its grace
    /// period skips that trap: [`run`] then removes the directory by name.
    pub fn command(&self, target: &DbTarget, extra: &[String], dir: &str) -> String {
        let dsn = format!(
            "h={},P={},u={},D={},t={}",
            dsn_value(&target.host),
            target.port,
            dsn_value(&target.user),
            dsn_value(&self.schema),
            dsn_value(&self.table)
        );
        let extra: Vec<String> = extra.iter().map(|a| quote(a)).collect();
        format!(
            "umask 077; d=\"${{TMPDIR:-/tmp}}/{dir}\"; mkdir \"$d\" || exit 1; trap 'rm -rf \"$d\"' EXIT; trap 'exit 143' HUP INT TERM; \
             cat > \"$d/my.cnf\" || exit 1; \
             {TOOL} --defaults-file=\"$d/my.cnf\" --execute --progress time,2 --print \
             --alter {} {} {}",
            quote(&self.alter),
            extra.join(" "),
            quote(&dsn)
        )
    }

    /// What the dry run and the log show: the command without its plumbing.
    pub fn shown(&self, target: &DbTarget, extra: &[String]) -> String {
        format!(
            "{TOOL} --execute --alter {} {} h={},P={},u={},D={},t={} (password from a private option file) on proxy `{}`",
            quote(&self.alter),
            extra.join(" "),
            target.host,
            target.port,
            target.user,
            self.schema,
            self.table,
            target.proxy
        )
        .replace("  ", " ")
    }

    /// Triggers and shadow tables pt-online-schema-change names after this table.
    async fn leftovers(&self, db: &mut DbConn) -> Result<BTreeSet<(bool, String)>, String> {
        let triggers: Vec<String> = db
            .conn
            .exec(
                "SELECT trigger_name FROM information_schema.triggers \
                 WHERE event_object_schema = ? AND event_object_table = ? AND trigger_name LIKE 'pt\\_osc\\_%'",
                (self.schema.clone(), self.table.clone()),
            )
            .await
            .map_err(describe)?;
        let tables: Vec<String> = db
            .conn
            .exec(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? \
                 AND table_name LIKE '\\_%\\_new'",
                (self.schema.clone(),),
            )
            .await
            .map_err(describe)?;
        Ok(triggers
            .into_iter()
            .map(|t| (true, t))
            .chain(
                tables
                    .into_iter()
                    .filter(|t| is_shadow(t, &self.table))
                    .map(|t| (false, t)),
            )
            .collect())
    }
}

/// `_items_new`, `__items_new` …: the shadow table names the tool tries for `table`.
fn is_shadow(name: &str, table: &str) -> bool {
    name.strip_suffix("_new")
        .and_then(|n| n.strip_prefix('_'))
        .is_some_and(|n| n.trim_start_matches('_') == table.trim_start_matches('_'))
        && name.len() > table.len() + 4
}

/// A DSN value: pt-online-schema-change splits its DSN on `,` and `=`.
fn dsn_value(v: &str) -> String {
    v.replace(',', "\\,")
}

/// The option file's content: the password only (double-quoted, `\` and `"` escaped).
fn option_file(target: &DbTarget) -> Result<Vec<u8>, String> {
    let pw = target.password.clone().unwrap_or_default();
    if pw.contains(['\n', '\r']) {
        return Err(format!(
            "the password of database `{}` holds a line break, which an option file cannot carry",
            target.database
        ));
    }
    let escaped = pw.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!("[client]\npassword=\"{escaped}\"\n").into_bytes())
}

/// A fresh name for the run's private option directory on the proxy: random, so nobody can
/// create it first (`mkdir` refuses an existing one) and a stopped run's can be removed by name.
fn option_dir() -> Result<String, String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("cannot read random bytes from the OS: {e}"))?;
    Ok(format!("opsdeck-osc-{}", hex::encode(bytes)))
}

/// After a stop: the tool may have been KILLed before its shell's trap removed the option file
/// (it holds the password), so remove the directory by name; the log says so only on failure.
async fn remove_option_dir<F, Fut>(session: &HostSession, dir: &str, say: &F)
where
    F: Fn(OutputStream, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let cmd = format!("rm -rf \"${{TMPDIR:-/tmp}}/{dir}\"");
    let r = session
        .run(
            &cmd,
            None,
            tx,
            CancellationToken::new(),
            Some(Duration::from_secs(30)),
        )
        .await;
    let _ = drain.await;
    if !r.as_ref().is_ok_and(|o| o.success()) {
        say(
            OutputStream::Stderr,
            format!("opsdeck: could not remove the option directory {dir} on the proxy; remove it by hand"),
        )
        .await;
    }
}

/// How an online ALTER ended.
pub struct Ran {
    /// `Err` with the reason when the tool failed (not when it was stopped).
    pub result: Result<(), String>,
    pub cancelled: bool,
    pub timed_out: bool,
}

/// Runs `alter` with the tool on the proxy behind `session`, its output into `out`. After a
/// failure or a stop it drops what the tool left (triggers, `_<table>_new`) that was not there
/// before, and says so in the log.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &mut DbConn,
    session: Arc<HostSession>,
    target: &DbTarget,
    alter: &OnlineAlter,
    extra: &[String],
    out: Sender<OutputChunk>,
    cancel: CancellationToken,
    timeout: Option<Duration>,
) -> Ran {
    let say = |stream, line: String| {
        let out = out.clone();
        async move {
            let _ = out.send(OutputChunk { stream, line }).await;
        }
    };
    let fail = |e: String| Ran {
        result: Err(e),
        cancelled: false,
        timed_out: false,
    };
    let stdin = match option_file(target) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let before = match alter.leftovers(db).await {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot list the table's triggers: {e}")),
    };
    say(
        OutputStream::Stdout,
        format!("running online: {}", alter.shown(target, extra)),
    )
    .await;
    let dir = match option_dir() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let outcome = session
        .run(
            &alter.command(target, extra, &dir),
            Some(stdin),
            out.clone(),
            cancel,
            timeout,
        )
        .await;
    if outcome.as_ref().is_ok_and(|o| o.cancelled || o.timed_out) {
        remove_option_dir(&session, &dir, &say).await;
    }
    let ran = match outcome {
        Err(e) => fail(format!("{TOOL} on proxy `{}`: {e}", target.proxy)),
        Ok(o) if o.success() => Ran {
            result: Ok(()),
            cancelled: false,
            timed_out: false,
        },
        Ok(o) => Ran {
            result: Err(match o.exit_code {
                Some(127) => format!(
                    "{TOOL} is not installed on proxy `{}` (Debian: apt install percona-toolkit)",
                    target.proxy
                ),
                Some(c) => format!("{TOOL} exited with code {c}; its output is in the log"),
                None => format!("{TOOL} was stopped"),
            }),
            cancelled: o.cancelled,
            timed_out: o.timed_out,
        },
    };
    if ran.result.is_err() {
        clean_up(db, alter, &before, &say).await;
    }
    ran
}

/// Drops the triggers and shadow tables of `alter`'s table that were not there before the run.
async fn clean_up<F, Fut>(
    db: &mut DbConn,
    alter: &OnlineAlter,
    before: &BTreeSet<(bool, String)>,
    say: &F,
) where
    F: Fn(OutputStream, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let q = quote_ident;
    let now = match alter.leftovers(db).await {
        Ok(n) => n,
        Err(e) => {
            say(
                OutputStream::Stderr,
                format!("opsdeck: cannot check what {TOOL} left: {e}"),
            )
            .await;
            return;
        }
    };
    // Triggers first: while a trigger remains, every write to the table also writes the shadow.
    let mut left: Vec<&(bool, String)> = now.difference(before).collect();
    left.sort_by_key(|(trigger, name)| (!trigger, name.clone()));
    if left.is_empty() {
        say(
            OutputStream::Stdout,
            format!("opsdeck: {TOOL} left no trigger and no shadow table"),
        )
        .await;
        return;
    }
    for (trigger, name) in left {
        let (what, sql) = if *trigger {
            (
                "trigger",
                format!("DROP TRIGGER IF EXISTS {}.{}", q(&alter.schema), q(name)),
            )
        } else {
            (
                "shadow table",
                format!("DROP TABLE IF EXISTS {}.{}", q(&alter.schema), q(name)),
            )
        };
        let line = match db.conn.query_drop(&sql).await {
            Ok(()) => format!("opsdeck: dropped the {what} {TOOL} left: {sql}"),
            Err(e) => format!(
                "opsdeck: could not drop the {what} {name} ({}); drop it by hand: {sql}",
                describe(e)
            ),
        };
        say(OutputStream::Stderr, line).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(pw: &str) -> DbTarget {
        DbTarget {
            tag: "orders".into(),
            proxy: "p1".into(),
            database: "orders-rw".into(),
            host: "10.0.0.5".into(),
            port: 3306,
            user: "dba".into(),
            password: Some(pw.into()),
            schema: Some("shop".into()),
        }
    }

    #[test]
    fn the_password_goes_to_the_option_file_never_the_command() {
        let t = target("s3cr\"et\\x");
        let a = OnlineAlter::new("ALTER TABLE items ADD COLUMN note VARCHAR(8);", &t).unwrap();
        assert_eq!((a.schema.as_str(), a.table.as_str()), ("shop", "items"));
        let extra = vec!["--chunk-size".to_string(), "100".to_string()];
        let dir = option_dir().unwrap();
        assert!(dir.starts_with("opsdeck-osc-") && dir.len() == 36, "{dir}");
        assert_ne!(dir, option_dir().unwrap());
        let cmd = a.command(&t, &extra, &dir);
        assert!(
            cmd.contains(&format!(
                "d=\"${{TMPDIR:-/tmp}}/{dir}\"; mkdir \"$d\" || exit 1"
            )),
            "{cmd}"
        );
        assert!(!cmd.contains("s3cr"), "{cmd}");
        assert!(
            cmd.contains("--alter 'ADD COLUMN note VARCHAR(8)' --chunk-size 100 h=10.0.0.5,P=3306,u=dba,D=shop,t=items"),
            "{cmd}"
        );
        assert!(cmd.contains("--defaults-file=\"$d/my.cnf\""), "{cmd}");
        assert!(!a.shown(&t, &extra).contains("s3cr"));
        let file = String::from_utf8(option_file(&t).unwrap()).unwrap();
        assert_eq!(file, "[client]\npassword=\"s3cr\\\"et\\\\x\"\n");
        assert!(option_file(&target("a\nb")).is_err());
        assert!(is_shadow("_items_new", "items"));
        assert!(is_shadow("__items_new", "items"));
        assert!(!is_shadow("items_new", "items"));
        assert!(!is_shadow("_other_new", "items"));
    }

    #[tokio::test]
    async fn a_stopped_runs_option_dir_is_removed_by_name() {
        let dir = option_dir().unwrap();
        let path = std::env::temp_dir().join(&dir);
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("my.cnf"), "[client]\npassword=\"x\"\n").unwrap();
        let said = std::sync::Mutex::new(Vec::new());
        let say = |_: OutputStream, l: String| {
            said.lock().unwrap().push(l);
            async {}
        };
        remove_option_dir(&HostSession::Local, &dir, &say).await;
        assert!(!path.exists(), "{path:?} is still there");
        assert!(said.lock().unwrap().is_empty());
    }

    #[test]
    fn only_alter_table_with_changes_runs_online() {
        let mut t = target("x");
        assert!(OnlineAlter::new("ALTER TABLE items", &t).is_err());
        assert!(OnlineAlter::new("UPDATE items SET a = 1", &t).is_err());
        let a = OnlineAlter::new("alter table other.big drop column c", &t).unwrap();
        assert_eq!(
            (a.schema.as_str(), a.alter.as_str()),
            ("other", "drop column c")
        );
        t.schema = None;
        let e = OnlineAlter::new("ALTER TABLE big ADD c INT", &t)
            .err()
            .unwrap();
        assert!(e.contains("names no schema"), "{e}");
    }
}
