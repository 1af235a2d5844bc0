//! Log lines: a batched writer thread (one transaction per batch) that keeps and retries batches
//! the database refused (an outage), and reads by task and sequence range.

use std::collections::{BTreeMap, VecDeque};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{mpsc, oneshot};

use super::sql::{Q, Val, vals};
use super::{Result, Store, StoreError};
use crate::model::{LogLine, Stream};

/// Lines buffered between producers and the writer; producers wait when it is full, so memory stays bounded.
pub const LOG_CHANNEL_CAPACITY: usize = 16_384;
/// Most lines written in one transaction.
const MAX_BATCH: usize = 8_192;
/// Bytes of log lines kept in memory while the database cannot be written (an outage); past it
/// the oldest lines are dropped, and each task they belonged to gets a line saying so.
pub const MAX_PENDING_BYTES: usize = 64 << 20;
/// Wait before the first retry of a failed batch; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// `flush` callers are let go after the database has refused lines this long (their lines stay queued).
const FLUSH_PATIENCE: Duration = Duration::from_secs(30);
/// At shutdown, how long lines the database refuses are still retried before they are given up.
const STOP_PATIENCE: Duration = Duration::from_secs(10);

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
    /// Lines and requests sent but not yet taken in by the writer (its queue is separate).
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

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

    /// Resolves once every line sent before this call is committed (or, during an outage longer
    /// than half a minute, once waiting longer is pointless: the lines stay queued and retried).
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

/// Since when, and how, the database refuses lines.
struct Failing {
    since: Instant,
    next_try: Instant,
    wait: Duration,
    error: String,
    waiters_released: bool,
}

/// The writer thread's state: lines not yet committed, in arrival order (so each task's lines reach
/// the store in sequence order: a follower reading `seq >= n` never skips one written later).
struct Queue {
    store: Store,
    pending: VecDeque<LogLine>,
    bytes: usize,
    /// Lines received, and lines committed or given up; a flush waits for `done` to reach its mark.
    received: u64,
    done: u64,
    waiters: Vec<(u64, oneshot::Sender<()>)>,
    failing: Option<Failing>,
    max_bytes: usize,
    /// Lines dropped to keep under `max_bytes`, per task: (first seq, last seq, count, step run);
    /// written as one line per task, at its first lost sequence number, before anything else.
    lost: BTreeMap<i64, (u64, u64, u64, Option<i64>)>,
}

fn line_bytes(l: &LogLine) -> usize {
    l.text.len() + l.host.as_ref().map_or(0, String::len) + std::mem::size_of::<LogLine>()
}

impl Queue {
    fn take(&mut self, msg: Msg, stop: &mut bool) {
        match msg {
            Msg::Line(l) => {
                self.bytes += line_bytes(&l);
                self.received += 1;
                self.pending.push_back(l);
                if self.bytes > self.max_bytes {
                    self.drop_oldest();
                }
            }
            Msg::Flush(w) => self.waiters.push((self.received, w)),
            Msg::Stop => *stop = true,
        }
    }

    /// Writes up to one batch from the front; on failure keeps it and schedules a retry.
    fn write_some(&mut self) {
        let result = if !self.lost.is_empty() {
            let markers = self.markers();
            self.store.write_log_batch(&markers).map(|()| {
                self.lost.clear();
            })
        } else if self.pending.is_empty() {
            return;
        } else {
            let n = self.pending.len().min(MAX_BATCH);
            let batch = &self.pending.make_contiguous()[..n];
            self.store.write_log_batch(batch).map(|()| {
                let freed: usize = self.pending.drain(..n).map(|l| line_bytes(&l)).sum();
                self.bytes -= freed;
                self.done += n as u64;
            })
        };
        let n = self.pending.len().min(MAX_BATCH);
        match result {
            Ok(()) => {
                if let Some(f) = self.failing.take() {
                    tracing::warn!(
                        "the database takes log lines again after {:.1}s; the kept lines are being written",
                        f.since.elapsed().as_secs_f64()
                    );
                }
            }
            Err(e) => {
                let now = Instant::now();
                match &mut self.failing {
                    Some(f) => {
                        f.wait = (f.wait * 2).min(RETRY_MAX);
                        f.next_try = now + f.wait;
                        f.error = e.to_string();
                    }
                    None => {
                        tracing::warn!(
                            "writing {n} log lines failed: {e}; they are kept in memory (up to {} MiB) \
                             and retried until the database takes them",
                            self.max_bytes >> 20
                        );
                        self.failing = Some(Failing {
                            since: now,
                            next_try: now + RETRY_FIRST,
                            wait: RETRY_FIRST,
                            error: e.to_string(),
                            waiters_released: false,
                        });
                    }
                }
            }
        }
    }

    /// The buffer is full during a long outage: drops the oldest quarter of it. Each task that lost
    /// lines gets one line, at its first lost sequence number, saying how many and why.
    fn drop_oldest(&mut self) {
        let target = self.max_bytes / 4 * 3;
        let mut total = 0u64;
        while self.bytes > target
            && let Some(l) = self.pending.pop_front()
        {
            self.bytes -= line_bytes(&l);
            self.done += 1;
            total += 1;
            let e = self
                .lost
                .entry(l.task_id)
                .or_insert((l.seq, l.seq, 0, l.step_run_id));
            e.1 = l.seq;
            e.2 += 1;
        }
        tracing::error!(
            "the database could not be written for {}: {total} log lines were dropped to keep the \
             buffer under {} MiB; each task that lost lines gets a line saying so",
            self.outage(),
            self.max_bytes >> 20
        );
    }

    fn outage(&self) -> String {
        self.failing
            .as_ref()
            .map(|f| format!("{:.0}s ({})", f.since.elapsed().as_secs_f64(), f.error))
            .unwrap_or_else(|| "a while".into())
    }

    /// One line per task that lost lines, standing at the first lost sequence number.
    fn markers(&self) -> Vec<LogLine> {
        let outage = self.outage();
        self.lost
            .iter()
            .map(|(&task_id, &(first, last, n, step_run_id))| LogLine {
                task_id,
                seq: first,
                step_run_id,
                host: None,
                ts: Utc::now(),
                stream: Stream::System,
                text: format!(
                    "opsdeck lost {n} log line(s) of this task (seq {first}-{last}): the database could \
                     not be written for {outage} and the {} MiB buffer was full",
                    self.max_bytes >> 20
                ),
            })
            .collect()
    }

    /// Lets go the flush callers whose lines are done, or all of them after a long outage.
    fn release_waiters(&mut self) {
        let done = self.done;
        let give_up = self
            .failing
            .as_mut()
            .filter(|f| f.since.elapsed() >= FLUSH_PATIENCE);
        if let Some(f) = give_up {
            if !f.waiters_released {
                f.waiters_released = true;
                tracing::error!(
                    "the database has refused log lines for {:.0}s ({}); {} lines wait in memory",
                    f.since.elapsed().as_secs_f64(),
                    f.error,
                    self.pending.len()
                );
            }
            for (_, w) in self.waiters.drain(..) {
                let _ = w.send(());
            }
            return;
        }
        if !self.lost.is_empty() {
            return;
        }
        let (ready, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|(mark, _)| *mark <= done);
        self.waiters = wait;
        for (_, w) in ready {
            let _ = w.send(());
        }
    }

    /// At shutdown, after [`STOP_PATIENCE`] of failures: what is left is lost, loudly.
    fn give_up(&mut self) {
        if !self.pending.is_empty() {
            tracing::error!(
                "{} log lines could not be written before the writer stopped (the database refused \
                 them: {}); they are lost",
                self.pending.len(),
                self.failing
                    .as_ref()
                    .map(|f| f.error.as_str())
                    .unwrap_or("")
            );
        }
        self.done += self.pending.len() as u64;
        self.pending.clear();
        self.lost.clear();
        self.bytes = 0;
    }

    fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut stop = false;
        loop {
            if self.pending.is_empty() && self.lost.is_empty() && !stop {
                match rx.blocking_recv() {
                    Some(m) => self.take(m, &mut stop),
                    None => stop = true,
                }
            }
            // Whatever else is queued, without waiting: a batch, or everything while failing (the
            // producers must not stall on a full channel during an outage).
            while !stop && (self.failing.is_some() || self.pending.len() < MAX_BATCH) {
                match rx.try_recv() {
                    Ok(m) => self.take(m, &mut stop),
                    Err(_) => break,
                }
            }
            match &self.failing {
                Some(f) if stop && f.since.elapsed() >= STOP_PATIENCE => self.give_up(),
                Some(f) if Instant::now() < f.next_try => {
                    let left = f.next_try.saturating_duration_since(Instant::now());
                    std::thread::sleep(left.min(Duration::from_millis(50)));
                }
                _ => self.write_some(),
            }
            self.release_waiters();
            if stop && self.pending.is_empty() && self.lost.is_empty() {
                break;
            }
        }
        for (_, w) in self.waiters.drain(..) {
            let _ = w.send(());
        }
    }
}

impl LogWriter {
    /// Starts a writer with its own connection to the database `store` has opened.
    pub fn spawn(store: &Store) -> Result<LogWriter> {
        Self::spawn_with_limit(store, MAX_PENDING_BYTES)
    }

    /// [`spawn`](Self::spawn) with another bound on the lines kept during an outage (tests).
    pub fn spawn_with_limit(store: &Store, max_bytes: usize) -> Result<LogWriter> {
        let own = store.reopen()?;
        let (tx, rx) = mpsc::channel::<Msg>(LOG_CHANNEL_CAPACITY);
        let queue = Queue {
            store: own,
            pending: VecDeque::new(),
            bytes: 0,
            received: 0,
            done: 0,
            waiters: Vec::new(),
            failing: None,
            max_bytes,
            lost: BTreeMap::new(),
        };
        let handle = std::thread::Builder::new()
            .name("opsdeck-log-writer".into())
            .spawn(move || queue.run(rx))
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

    /// Writes what was queued before this call (retrying a refusing database for a few seconds),
    /// then stops the thread; later sends fail with [`StoreError::WriterGone`].
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
            )?;
            if let Q::Pg(..) = q {
                // Followers on other nodes wake on this (delivered when the batch commits).
                let mut last: BTreeMap<i64, u64> = BTreeMap::new();
                for l in batch {
                    last.insert(l.task_id, l.seq);
                }
                for (task, seq) in last {
                    q.exec(
                        "SELECT pg_notify(?1, ?2)",
                        &vals![super::notify::LOG_CHANNEL, format!("{task}:{seq}")],
                    )?;
                }
            }
            Ok(())
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
