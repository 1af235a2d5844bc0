//! Log lines: a batched writer thread (one transaction per batch) and reads by task and sequence range.

use std::thread::JoinHandle;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{mpsc, oneshot};

use super::sql::{Val, vals};
use super::{Result, Store, StoreError};
use crate::model::{LogLine, Stream};

/// Lines buffered between producers and the writer; producers wait when it is full, so memory stays bounded.
pub const LOG_CHANNEL_CAPACITY: usize = 16_384;
/// Most lines written in one transaction.
const MAX_BATCH: usize = 8_192;

enum Msg {
    Line(LogLine),
    Flush(oneshot::Sender<()>),
    Stop,
}

/// Sends log lines to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct LogSender {
    tx: mpsc::Sender<Msg>,
}

impl LogSender {
    pub async fn send(&self, line: LogLine) -> Result<()> {
        self.tx
            .send(Msg::Line(line))
            .await
            .map_err(|_| StoreError::WriterGone)
    }

    /// For callers outside an async runtime.
    pub fn blocking_send(&self, line: LogLine) -> Result<()> {
        self.tx
            .blocking_send(Msg::Line(line))
            .map_err(|_| StoreError::WriterGone)
    }

    /// Resolves once every line sent before this call is committed.
    pub async fn flush(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Flush(tx))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)
    }
}

/// The writer thread. Dropping every sender (and this handle) lets it finish the queue and stop.
pub struct LogWriter {
    sender: LogSender,
    handle: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// Starts a writer with its own connection to the database `store` has opened.
    pub fn spawn(store: &Store) -> Result<LogWriter> {
        let own = store.reopen()?;
        let (tx, mut rx) = mpsc::channel::<Msg>(LOG_CHANNEL_CAPACITY);
        let handle = std::thread::Builder::new()
            .name("opsdeck-log-writer".into())
            .spawn(move || {
                let mut batch: Vec<LogLine> = Vec::with_capacity(MAX_BATCH);
                let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
                let mut stop = false;
                while !stop && let Some(first) = rx.blocking_recv() {
                    let mut next = Some(first);
                    while let Some(msg) = next.take() {
                        match msg {
                            Msg::Line(l) => batch.push(l),
                            Msg::Flush(w) => waiters.push(w),
                            Msg::Stop => {
                                stop = true;
                                break;
                            }
                        }
                        if batch.len() >= MAX_BATCH {
                            break;
                        }
                        next = rx.try_recv().ok();
                    }
                    if let Err(e) = own.write_log_batch(&batch) {
                        // The store is the log's only home; say so loudly rather than dropping silently.
                        tracing::error!("writing {} log lines failed: {e}", batch.len());
                    }
                    batch.clear();
                    for w in waiters.drain(..) {
                        let _ = w.send(());
                    }
                }
            })
            .map_err(|e| StoreError::Corrupt {
                table: "log_lines",
                message: format!("cannot start the log writer thread: {e}"),
            })?;
        Ok(LogWriter {
            sender: LogSender { tx },
            handle: Some(handle),
        })
    }

    pub fn sender(&self) -> LogSender {
        self.sender.clone()
    }

    /// Writes what was queued before this call, then stops the thread; later sends fail with
    /// [`StoreError::WriterGone`].
    pub fn shutdown(mut self) {
        let handle = self.handle.take();
        // A plain thread, so this also works when called from inside an async runtime.
        let tx = self.sender.tx.clone();
        let _ = std::thread::spawn(move || tx.blocking_send(Msg::Stop)).join();
        drop(self);
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Store {
    /// Writes a batch of lines in one transaction (a line already stored under its sequence
    /// number is replaced).
    fn write_log_batch(&self, batch: &[LogLine]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows: Vec<Vec<Val>> = batch
            .iter()
            .map(|l| {
                vals![
                    l.task_id,
                    l.seq as i64,
                    l.step_run_id,
                    l.host.as_deref(),
                    l.ts.timestamp_micros(),
                    l.stream.as_str(),
                    &l.text
                ]
                .to_vec()
            })
            .collect();
        self.tx(|q| {
            q.exec_many(
                "INSERT INTO log_lines (task_id, seq, step_run_id, host, ts, stream, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (task_id, seq) DO UPDATE SET step_run_id = excluded.step_run_id,
                   host = excluded.host, ts = excluded.ts, stream = excluded.stream, text = excluded.text",
                &rows,
            )
        })
    }
}

fn micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

impl Store {
    /// Up to `limit` lines of a task with `seq >= from_seq`, in order.
    pub fn logs(&self, task_id: i64, from_seq: u64, limit: usize) -> Result<Vec<LogLine>> {
        let rows = self.with(|q| {
            q.rows(
                "log_lines",
                "SELECT seq, step_run_id, host, ts, stream, text FROM log_lines
                 WHERE task_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
                &vals![task_id, from_seq as i64, limit as i64],
            )
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let stream = r.str(4)?;
            out.push(LogLine {
                task_id,
                seq: r.i64(0)? as u64,
                step_run_id: r.opt_i64(1)?,
                host: r.opt_str(2)?,
                ts: micros(r.i64(3)?),
                stream: Stream::parse(&stream).ok_or_else(|| StoreError::Corrupt {
                    table: "log_lines",
                    message: format!("unknown stream `{stream}`"),
                })?,
                text: r.str(5)?,
            });
        }
        Ok(out)
    }

    /// The highest stored sequence number of a task's log, 0 when it has none.
    pub fn last_log_seq(&self, task_id: i64) -> Result<u64> {
        let row = self.with(|q| {
            q.row(
                "log_lines",
                "SELECT max(seq) FROM log_lines WHERE task_id = ?1",
                &vals![task_id],
            )
        })?;
        Ok(row
            .map(|r| r.opt_i64(0))
            .transpose()?
            .flatten()
            .unwrap_or(0) as u64)
    }

    pub fn log_count(&self, task_id: i64) -> Result<u64> {
        let row = self.with(|q| {
            q.row(
                "log_lines",
                "SELECT count(*) FROM log_lines WHERE task_id = ?1",
                &vals![task_id],
            )
        })?;
        Ok(row.map(|r| r.i64(0)).transpose()?.unwrap_or(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    fn line(task_id: i64, seq: u64) -> LogLine {
        LogLine {
            task_id,
            seq,
            step_run_id: Some(3),
            host: Some("web01".into()),
            ts: Utc::now(),
            stream: if seq.is_multiple_of(2) {
                Stream::Stdout
            } else {
                Stream::Stderr
            },
            text: format!("line {seq} 中文"),
        }
    }

    #[tokio::test]
    async fn batched_lines_are_read_back_by_range() {
        let (_d, store) = temp_store();
        let writer = LogWriter::spawn(&store).unwrap();
        let tx = writer.sender();
        for seq in 1..=20_000 {
            tx.send(line(7, seq)).await.unwrap();
        }
        tx.send(line(8, 1)).await.unwrap();
        tx.flush().await.unwrap();
        assert_eq!(store.log_count(7).unwrap(), 20_000);
        assert_eq!(store.last_log_seq(7).unwrap(), 20_000);
        assert_eq!(store.last_log_seq(9).unwrap(), 0);
        let page = store.logs(7, 19_990, 100).unwrap();
        assert_eq!(page.len(), 11);
        assert_eq!(page[0].seq, 19_990);
        assert_eq!(page[0].text, "line 19990 中文");
        assert_eq!(page[0].stream, Stream::Stdout);
        assert_eq!(page[1].stream, Stream::Stderr);
        assert_eq!(page[0].host.as_deref(), Some("web01"));
        let first = &store.logs(7, 1, 1).unwrap()[0];
        let orig = line(7, 1);
        assert_eq!((first.seq, &first.text), (1, &orig.text));
        drop(tx);
        writer.shutdown();
    }

    #[test]
    fn shutdown_writes_what_was_queued() {
        let (_d, store) = temp_store();
        let writer = LogWriter::spawn(&store).unwrap();
        let tx = writer.sender();
        for seq in 1..=500 {
            tx.blocking_send(line(1, seq)).unwrap();
        }
        drop(tx);
        writer.shutdown();
        assert_eq!(store.log_count(1).unwrap(), 500);
    }
}
