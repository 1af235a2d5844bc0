//! Runs an approved SQL audit natively: statement by statement over the tunnel, stop at the first
//! error (or all DML in one transaction, all or nothing), every statement's result stored as data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use tokio::sync::mpsc::Sender;
use tokio_util::sync::CancellationToken;

use super::{
    DbConn, DbTarget, OnlineReport, StatementKind, StatementResult, StatementStatus, classify,
    describe, in_transaction,
};
use super::{backup, osc};
use crate::exec::{ExecError, HostSession, OutputChunk, OutputStream, RunOutcome};
use crate::model::Task;
use crate::model::sql_audit::{AlterVia, osc_args};
use crate::model::sql_backup::{BACKUP_MAX_ROWS, Backup, BackupKind, Guard, quote_ident};
use crate::sql::{SplitStatement, split};
use crate::store::Store;

/// An approved audit ready to run: where, what, and how.
pub struct AuditRun {
    pub task_id: i64,
    pub target: DbTarget,
    pub statements: Vec<SplitStatement>,
    pub transaction: bool,
    /// A rollback task's per-statement guards (rows must still be as the original run left them).
    pub guards: Vec<Option<Guard>>,
    /// Run guarded statements even when their rows changed since.
    pub force: bool,
    /// Per statement, how an ALTER runs, as the server's last check (approval) said.
    pub alter_via: Vec<Option<AlterVia>>,
    /// The tag's extra pt-online-schema-change options.
    pub osc_args: Vec<String>,
    /// Most rows one statement keeps before-images of (config `sql_backup_max_rows`).
    pub backup_max_rows: usize,
}

enum Stop {
    Cancelled,
    TimedOut,
}

impl AuditRun {
    /// The native run of a task, or `None` when the task is not a tunnel SQL audit.
    pub fn from_task(task: &Task) -> Option<AuditRun> {
        if !super::via_tunnel(&task.spec) {
            return None;
        }
        Some(AuditRun {
            task_id: task.id,
            target: DbTarget::from_spec(&task.spec)?,
            statements: split(task.spec.args.get("SQL")?),
            transaction: in_transaction(&task.spec),
            guards: task
                .spec
                .extra
                .pointer("/rollback/guards")
                .and_then(|g| serde_json::from_value(g.clone()).ok())
                .unwrap_or_default(),
            force: task
                .spec
                .extra
                .pointer("/rollback/force")
                .and_then(|f| f.as_bool())
                .unwrap_or(false),
            alter_via: task
                .spec
                .extra
                .get("online")
                .and_then(|o| serde_json::from_value::<OnlineReport>(o.clone()).ok())
                .map(|r| r.statements.iter().map(|s| s.alter_via).collect())
                .unwrap_or_default(),
            osc_args: osc_args(&task.spec),
            backup_max_rows: BACKUP_MAX_ROWS,
        })
    }

    /// Connects through `session` (the proxy host) and runs the statements, writing a line per
    /// statement to `out` and the results to `store`. A refused statement ends the run with exit
    /// code 1; a tunnel or login failure is an error.
    pub async fn run(
        self,
        session: Arc<HostSession>,
        store: Store,
        out: Sender<OutputChunk>,
        cancel: CancellationToken,
        timeout: Option<Duration>,
    ) -> Result<RunOutcome, ExecError> {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let host = self.target.proxy.clone();
        let total = self.statements.len();
        let mut results: Vec<StatementResult> = self
            .statements
            .iter()
            .enumerate()
            .map(|(i, s)| StatementResult {
                number: i + 1,
                line: s.start.line,
                status: StatementStatus::NotRun,
                affected_rows: None,
                duration_ms: None,
                warnings: Vec::new(),
                error: None,
                backup: None,
                inverse: None,
                no_rollback: None,
            })
            .collect();
        let save = |r: &[StatementResult]| {
            let json: Vec<serde_json::Value> = r
                .iter()
                .map(|x| serde_json::to_value(x).unwrap_or_default())
                .collect();
            if let Err(e) = store.put_sql_results(self.task_id, &json) {
                tracing::warn!(
                    task = self.task_id,
                    "cannot store the statement results: {e}"
                );
            }
        };
        save(&results);
        let say = |stream: OutputStream, line: String| {
            let out = out.clone();
            async move {
                let _ = out.send(OutputChunk { stream, line }).await;
            }
        };

        let connected = guarded(
            DbConn::connect(session.clone(), &self.target),
            &cancel,
            deadline,
        )
        .await;
        let mut db = match connected {
            Err(stop) => return Ok(stopped(stop)),
            Ok(Err(reason)) => return Err(ExecError::Sql { host, reason }),
            Ok(Ok(db)) => db,
        };
        // The server's id of this connection, for KILL QUERY from a second one on a stop.
        let conn_id = db.conn.id();
        say(
            OutputStream::Stdout,
            format!(
                "connected to database `{}` through an SSH tunnel via `{}`{}",
                self.target.database,
                self.target.proxy,
                if self.transaction {
                    "; all statements run in one transaction"
                } else {
                    ""
                }
            ),
        )
        .await;
        if self.transaction
            && let Err(e) = db.conn.query_drop("START TRANSACTION").await
        {
            return Err(ExecError::Sql {
                host,
                reason: format!("cannot start the transaction: {e}"),
            });
        }

        let mut failed = false;
        let mut stop = None;
        for (i, st) in self.statements.iter().enumerate() {
            let started = Instant::now();
            let guard = self
                .guards
                .get(i)
                .and_then(|g| g.as_ref())
                .filter(|_| !self.force);
            let online = self.alter_via.get(i).copied().flatten() == Some(AlterVia::Online);
            let ran = if online {
                let left =
                    deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
                run_online(
                    &mut db,
                    session.clone(),
                    &self.target,
                    &st.text,
                    &self.osc_args,
                    out.clone(),
                    cancel.clone(),
                    left,
                )
                .await
            } else {
                guarded(
                    run_one(
                        &mut db,
                        &st.text,
                        self.transaction,
                        guard,
                        self.backup_max_rows,
                    ),
                    &cancel,
                    deadline,
                )
                .await
            };
            let r = &mut results[i];
            r.duration_ms = Some(started.elapsed().as_millis() as u64);
            match ran {
                Err(s) => {
                    r.status = StatementStatus::Failed;
                    r.error = Some(if online {
                        "stopped (cancel or timeout): pt-online-schema-change was stopped and what it \
                         left dropped"
                            .into()
                    } else {
                        match kill_query(session.clone(), &self.target, conn_id).await {
                            Ok(()) => format!(
                                "stopped while running (cancel or timeout); the server's query was \
                                 killed (KILL QUERY {conn_id})"
                            ),
                            Err(e) => format!(
                                "stopped while running (cancel or timeout); KILL QUERY {conn_id} \
                                 failed ({e}): the server may still finish it"
                            ),
                        }
                    });
                    stop = Some(s);
                }
                Ok(Ok(one)) if one.skipped.is_some() => {
                    r.status = StatementStatus::Skipped;
                    r.error = one.skipped;
                }
                Ok(Ok(one)) => {
                    r.status = StatementStatus::Done;
                    r.affected_rows = Some(one.affected);
                    r.warnings = one.warnings;
                    r.backup = one.backup;
                    r.inverse = one.inverse;
                    r.no_rollback = one.no_rollback;
                }
                Ok(Err(e)) => {
                    r.status = StatementStatus::Failed;
                    r.error = Some(e.clone());
                    failed = true;
                }
            }
            let line = r.summary(total);
            let stream = if r.status == StatementStatus::Done && r.no_rollback.is_none() {
                OutputStream::Stdout
            } else {
                OutputStream::Stderr
            };
            say(stream, line).await;
            for w in &r.warnings {
                say(OutputStream::Stderr, format!("  {w}")).await;
            }
            if let Some(why) = &r.no_rollback
                && r.status == StatementStatus::Done
            {
                say(
                    OutputStream::Stderr,
                    format!("  no automatic rollback: {why}"),
                )
                .await;
            }
            if let Some(e) = r
                .error
                .as_ref()
                .filter(|_| r.status == StatementStatus::Failed)
            {
                say(
                    OutputStream::Stderr,
                    format!(
                        "opsdeck: statement {} of {total} failed (line {}): {}",
                        r.number,
                        r.line,
                        e.split_once(": ").map(|(_, m)| m).unwrap_or(e)
                    ),
                )
                .await;
            }
            save(&results);
            if failed || stop.is_some() {
                break;
            }
        }

        if self.transaction {
            let ok = !failed && stop.is_none();
            let end = if ok { "COMMIT" } else { "ROLLBACK" };
            let ended = match tokio::time::timeout(TAIL, db.conn.query_drop(end)).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer within {}s", TAIL.as_secs())),
            };
            if !ok || ended.is_err() {
                for r in results.iter_mut() {
                    if r.status == StatementStatus::Done {
                        r.status = StatementStatus::RolledBack;
                    }
                }
                failed = true;
                let why = match &ended {
                    Err(e) if ok => format!("COMMIT failed ({e}); nothing was applied"),
                    Err(e) => format!(
                        "ROLLBACK failed ({e}); the server drops the transaction with the connection"
                    ),
                    Ok(()) => "the transaction was rolled back: no statement was applied".into(),
                };
                say(OutputStream::Stderr, format!("opsdeck: {why}")).await;
                save(&results);
            }
        }
        let done = results
            .iter()
            .filter(|r| r.status == StatementStatus::Done)
            .count();
        let not_run: Vec<String> = results
            .iter()
            .filter(|r| r.status == StatementStatus::NotRun)
            .map(|r| r.number.to_string())
            .collect();
        let skipped: Vec<String> = results
            .iter()
            .filter(|r| r.status == StatementStatus::Skipped)
            .map(|r| r.number.to_string())
            .collect();
        let mut summary = format!("{done} of {total} statement(s) applied");
        if !skipped.is_empty() {
            summary.push_str(&format!(
                "; skipped because their rows changed since the original run (kept; --force overwrites): {}",
                skipped.join(", ")
            ));
        }
        if !not_run.is_empty() {
            summary.push_str(&format!("; not run: {}", not_run.join(", ")));
        }
        say(OutputStream::Stdout, summary).await;
        if stop.is_some() {
            // The stopped statement's answer may still be on the way: do not wait for it.
            let _ = tokio::time::timeout(TAIL, db.close()).await;
        } else {
            db.close().await;
        }
        Ok(match stop {
            Some(s) => stopped(s),
            None => RunOutcome {
                exit_code: Some(if failed { 1 } else { 0 }),
                ..RunOutcome::default()
            },
        })
    }
}

/// An ALTER through pt-online-schema-change on the proxy; a stop (cancel, timeout) comes back
/// as such after the tool was stopped and its leftovers dropped.
#[allow(clippy::too_many_arguments)]
async fn run_online(
    db: &mut DbConn,
    session: Arc<HostSession>,
    target: &DbTarget,
    sql: &str,
    extra: &[String],
    out: Sender<OutputChunk>,
    cancel: CancellationToken,
    timeout: Option<Duration>,
) -> Result<Result<One, String>, Stop> {
    let alter = match osc::OnlineAlter::new(sql, target) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let ran = osc::run(db, session, target, &alter, extra, out, cancel, timeout).await;
    if ran.cancelled {
        return Err(Stop::Cancelled);
    }
    if ran.timed_out {
        return Err(Stop::TimedOut);
    }
    Ok(ran.result.map(|()| {
        let mut one = One::default();
        match backup::ddl_inverse(sql) {
            Ok(inv) => one.inverse = Some(inv),
            Err(why) => one.no_rollback = Some(why),
        }
        one
    }))
}

/// How long the end of a stopped run (ROLLBACK, disconnect) may take.
const TAIL: Duration = Duration::from_secs(10);

/// Kills the statement running on connection `id` from a second connection through its own
/// tunnel: dropping the driver's future alone leaves the server running it.
async fn kill_query(session: Arc<HostSession>, target: &DbTarget, id: u32) -> Result<(), String> {
    let kill = async {
        let mut db = DbConn::connect(session, target).await?;
        let r = db
            .conn
            .query_drop(format!("KILL QUERY {id}"))
            .await
            .map_err(describe);
        db.close().await;
        r
    };
    match tokio::time::timeout(TAIL, kill).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {}s", TAIL.as_secs())),
    }
}

/// What one statement did.
#[derive(Default)]
struct One {
    affected: u64,
    warnings: Vec<String>,
    backup: Option<Backup>,
    inverse: Option<String>,
    no_rollback: Option<String>,
    /// A guarded rollback statement whose row changed since: why it was left alone.
    skipped: Option<String>,
}

/// Runs one statement with its backup: UPDATE/DELETE read their rows `FOR UPDATE` first and all
/// three read the changed rows by key after, inside the audit's transaction or one of their own.
async fn run_one(
    db: &mut DbConn,
    sql: &str,
    in_tx: bool,
    guard: Option<&Guard>,
    cap: usize,
) -> Result<One, String> {
    let mut one = One::default();
    if let Some(g) = guard {
        let cols: Vec<String> = g.columns.iter().map(|c| quote_ident(c)).collect();
        let (_, rows) = backup::select(
            db,
            &format!(
                "SELECT {} FROM {} WHERE {} FOR UPDATE",
                cols.join(", "),
                g.table,
                g.key_sql
            ),
        )
        .await?;
        let now = rows.into_iter().next();
        if now != g.expect {
            one.skipped = Some(match now {
                Some(_) if g.expect.is_none() => format!(
                    "a row with {} exists again since the original run; kept",
                    g.key_sql
                ),
                Some(_) => format!(
                    "the row with {} changed since the original run; kept",
                    g.key_sql
                ),
                None => format!("the row with {} is gone since the original run", g.key_sql),
            });
            return Ok(one);
        }
    }
    let kind = classify(sql);
    let target = match kind {
        StatementKind::Write => match backup::target(sql) {
            Ok(t) => Some(t),
            Err(why) => {
                one.no_rollback = Some(why);
                None
            }
        },
        StatementKind::Read => None,
        StatementKind::Ddl => {
            match backup::ddl_inverse(sql) {
                Ok(inv) => one.inverse = Some(inv),
                Err(why) => one.no_rollback = Some(why),
            }
            None
        }
        _ => {
            one.no_rollback = Some("this kind of statement has no automatic rollback".into());
            None
        }
    };
    let mut backed = None;
    if let Some(t) = target {
        let key = backup::key_columns(db, &t).await?;
        if key.is_empty() {
            one.no_rollback = Some(format!(
                "table {} has no primary or unique key: no backup",
                t.quoted()
            ));
        } else {
            backed = Some((t, key));
        }
    }
    let own_tx = backed.is_some() && !in_tx;
    if own_tx {
        db.conn
            .query_drop("START TRANSACTION")
            .await
            .map_err(describe)?;
    }
    let ran = async {
        let before = match &backed {
            Some((t, _)) if t.kind != BackupKind::Insert => Some(backup::before(db, t, cap).await?),
            _ => None,
        };
        let res = db.conn.query_iter(sql).await.map_err(describe)?;
        let affected = res.affected_rows();
        let last_id = res.last_insert_id();
        let warnings = res.warnings();
        res.drop_result().await.map_err(describe)?;
        let mut out = One {
            affected,
            no_rollback: one.no_rollback.clone(),
            inverse: one.inverse.clone(),
            ..One::default()
        };
        if warnings > 0 {
            out.warnings = db.warnings().await;
        }
        if let Some((t, key)) = &backed {
            let too_many = before
                .as_ref()
                .is_some_and(|(_, r)| r.len() > cap)
                || affected as usize > cap;
            if too_many {
                out.no_rollback = Some(format!(
                    "{affected} rows exceed the backup cap of {cap} (config sql_backup_max_rows): no backup"
                ));
            } else {
                match backup::after(db, t, key, before, last_id, affected).await {
                    Ok(b) => out.backup = Some(b),
                    Err(why) => out.no_rollback = Some(why),
                }
            }
        }
        Ok::<One, String>(out)
    }
    .await;
    if own_tx {
        let end = if ran.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = db.conn.query_drop(end).await.map_err(describe);
        if ran.is_ok() {
            ended?;
        }
    }
    ran
}

async fn guarded<T>(
    fut: impl std::future::Future<Output = T>,
    cancel: &CancellationToken,
    deadline: Option<tokio::time::Instant>,
) -> Result<T, Stop> {
    let sleep = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        v = fut => Ok(v),
        _ = cancel.cancelled() => Err(Stop::Cancelled),
        _ = sleep => Err(Stop::TimedOut),
    }
}

fn stopped(s: Stop) -> RunOutcome {
    RunOutcome {
        cancelled: matches!(s, Stop::Cancelled),
        timed_out: matches!(s, Stop::TimedOut),
        ..RunOutcome::default()
    }
}
