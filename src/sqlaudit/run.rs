//! Runs an approved SQL audit natively: statement by statement over the tunnel, stop at the first
//! error (or all DML in one transaction, all or nothing), every statement's result stored as data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use tokio::sync::mpsc::Sender;
use tokio_util::sync::CancellationToken;

use super::{DbConn, DbTarget, StatementResult, StatementStatus, in_transaction};
use crate::exec::{ExecError, HostSession, OutputChunk, OutputStream, RunOutcome};
use crate::model::Task;
use crate::sql::{SplitStatement, split};
use crate::store::Store;

/// An approved audit ready to run: where, what, and how.
pub struct AuditRun {
    pub task_id: i64,
    pub target: DbTarget,
    pub statements: Vec<SplitStatement>,
    pub transaction: bool,
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

        let connected = guarded(DbConn::connect(session, &self.target), &cancel, deadline).await;
        let mut db = match connected {
            Err(stop) => return Ok(stopped(stop)),
            Ok(Err(reason)) => return Err(ExecError::Sql { host, reason }),
            Ok(Ok(db)) => db,
        };
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
            let ran = guarded(exec_one(&mut db, &st.text), &cancel, deadline).await;
            let r = &mut results[i];
            r.duration_ms = Some(started.elapsed().as_millis() as u64);
            match ran {
                Err(s) => {
                    r.status = StatementStatus::Failed;
                    r.error = Some(
                        "stopped while running (cancel or timeout); the server may still finish it"
                            .into(),
                    );
                    stop = Some(s);
                }
                Ok(Ok((affected, warnings))) => {
                    r.status = StatementStatus::Done;
                    r.affected_rows = Some(affected);
                    if warnings > 0 {
                        r.warnings = db.warnings().await;
                    }
                }
                Ok(Err(e)) => {
                    r.status = StatementStatus::Failed;
                    r.error = Some(e.clone());
                    failed = true;
                }
            }
            let line = r.summary(total);
            let stream = if r.status == StatementStatus::Done {
                OutputStream::Stdout
            } else {
                OutputStream::Stderr
            };
            say(stream, line).await;
            for w in &r.warnings {
                say(OutputStream::Stderr, format!("  {w}")).await;
            }
            if let Some(e) = &r.error {
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
            let ended = db.conn.query_drop(end).await;
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
        let mut summary = format!("{done} of {total} statement(s) applied");
        if !not_run.is_empty() {
            summary.push_str(&format!("; not run: {}", not_run.join(", ")));
        }
        say(OutputStream::Stdout, summary).await;
        db.close().await;
        Ok(match stop {
            Some(s) => stopped(s),
            None => RunOutcome {
                exit_code: Some(if failed { 1 } else { 0 }),
                ..RunOutcome::default()
            },
        })
    }
}

/// Runs one statement; the affected rows and the warning count, or the server's error in words.
async fn exec_one(db: &mut DbConn, sql: &str) -> Result<(u64, u16), String> {
    let res = db.conn.query_iter(sql).await.map_err(describe)?;
    let affected = res.affected_rows();
    let warnings = res.warnings();
    res.drop_result().await.map_err(describe)?;
    Ok((affected, warnings))
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
