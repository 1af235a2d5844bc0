//! The log pipeline's front: numbers each task's lines, masks nothing itself, sends them to the batched
//! writer and broadcasts them (and task state changes) to live subscribers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{Mutex, broadcast};

use crate::model::{LogLine, Stream, TaskState};
use crate::store::{LogSender, Store};

/// Lines and state changes as live subscribers see them.
#[derive(Debug, Clone)]
pub enum Event {
    Line(LogLine),
    TaskState { task_id: i64, state: TaskState },
}

/// Broadcast buffer; a subscriber that falls further behind re-reads from the store.
const BROADCAST_CAPACITY: usize = 8_192;

pub struct LogHub {
    store: Store,
    writer: LogSender,
    tx: broadcast::Sender<Event>,
    /// Next sequence number per task, guarded so a task's lines reach the writer and subscribers in order.
    seqs: std::sync::Mutex<HashMap<i64, Arc<Mutex<u64>>>>,
}

impl LogHub {
    pub fn new(store: Store, writer: LogSender) -> LogHub {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        LogHub {
            store,
            writer,
            tx,
            seqs: Default::default(),
        }
    }

    /// The task's next-sequence counter; a new one starts after the last stored line. That read is
    /// retried through a short database outage: starting at 1 would overwrite the stored log.
    async fn counter(&self, task_id: i64) -> Arc<Mutex<u64>> {
        if let Some(c) = self
            .seqs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&task_id)
        {
            return c.clone();
        }
        let mut last = None;
        for wait in [0, 200, 400, 800, 1_600, 3_200, 5_000] {
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            match self.store.last_log_seq(task_id) {
                Ok(n) => {
                    last = Some(n);
                    break;
                }
                Err(e) => tracing::warn!(task = task_id, "cannot read the last log line: {e}"),
            }
        }
        let last = last.unwrap_or_else(|| {
            tracing::error!(
                task = task_id,
                "the last log line could not be read; new lines are numbered from 1 and may replace stored ones"
            );
            0
        });
        let mut map = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(task_id)
            .or_insert_with(|| Arc::new(Mutex::new(last + 1)))
            .clone()
    }

    /// Appends one line to a task's log. `text` must already be masked.
    pub async fn emit(
        &self,
        task_id: i64,
        step_run_id: Option<i64>,
        host: Option<&str>,
        stream: Stream,
        text: String,
    ) {
        let counter = self.counter(task_id).await;
        let mut next = counter.lock().await;
        let line = LogLine {
            task_id,
            seq: *next,
            step_run_id,
            host: host.map(str::to_string),
            ts: Utc::now(),
            stream,
            text,
        };
        *next += 1;
        // Cloning a line for nobody is most of a chatty step's per-line cost when no one watches.
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Event::Line(line.clone()));
        }
        if self.writer.send(line).await.is_err() {
            tracing::error!("the log writer has stopped; a log line of task {task_id} was lost");
        }
    }

    pub async fn system(
        &self,
        task_id: i64,
        step_run_id: Option<i64>,
        host: Option<&str>,
        text: String,
    ) {
        self.emit(task_id, step_run_id, host, Stream::System, text)
            .await;
    }

    pub fn state_changed(&self, task_id: i64, state: TaskState) {
        let _ = self.tx.send(Event::TaskState { task_id, state });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Waits until every line emitted so far is committed to the store.
    pub async fn flush(&self) {
        let _ = self.writer.flush().await;
    }

    /// Forgets the counter of a finished task (it is re-read from the store if the task runs again).
    pub fn forget(&self, task_id: i64) {
        let mut map = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&task_id);
    }
}
