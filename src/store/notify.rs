//! PostgreSQL LISTEN/NOTIFY for several nodes on one database: announcing a committed change or
//! log batch, and a dedicated listening connection that hands notifications to the engine.

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::sql::vals;
use super::{Backend, Result, Store, StoreError};

/// Actions (submit, approve, cancel, release, skip, retry) announce themselves here after they commit.
pub const CHANGE_CHANNEL: &str = "opsdeck";
/// The log writer announces each committed batch here, `<task>:<last seq>` per task.
pub const LOG_CHANNEL: &str = "opsdeck_log";

/// One notification: its channel and payload.
#[derive(Debug, Clone)]
pub struct Notice {
    pub channel: String,
    pub payload: String,
}

/// A connection that listens on [`CHANGE_CHANNEL`] and [`LOG_CHANNEL`]. `recv` answers `None` once
/// the connection is lost (a PostgreSQL restart): open a new one.
pub struct Listener {
    _client: tokio_postgres::Client,
    rx: mpsc::UnboundedReceiver<Notice>,
}

impl Listener {
    pub async fn recv(&mut self) -> Option<Notice> {
        self.rx.recv().await
    }
}

impl Store {
    /// Sends `payload` on `channel` to every listening node (PostgreSQL; nothing on SQLite, where
    /// one engine owns the file and is woken through its socket).
    pub fn announce(&self, channel: &str, payload: &str) -> Result<()> {
        if !self.is_postgres() {
            return Ok(());
        }
        self.with(|q| {
            q.exec("SELECT pg_notify(?1, ?2)", &vals![channel, payload])
                .map(drop)
        })
    }

    /// Opens a listening connection on the current tokio runtime (its socket is driven by a task
    /// spawned there). `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<Listener>> {
        let Backend::Pg(db) = &*self.backend else {
            return Ok(None);
        };
        let mut config = db.config().clone();
        config.application_name("opsdeck listen");
        let shown = db.shown().to_string();
        let (client, mut conn) = config
            .connect(NoTls)
            .await
            .map_err(|e| StoreError::Connect {
                url: shown.clone(),
                message: super::pg::error_text(&e),
            })?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
            while let Some(m) = messages.next().await {
                match m {
                    Ok(AsyncMessage::Notification(n)) => {
                        let notice = Notice {
                            channel: n.channel().to_string(),
                            payload: n.payload().to_string(),
                        };
                        if tx.send(notice).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(
                            "the listening connection to {shown} ended: {}",
                            super::pg::error_text(&e)
                        );
                        return;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANGE_CHANNEL}; LISTEN {LOG_CHANNEL}"))
            .await?;
        Ok(Some(Listener {
            _client: client,
            rx,
        }))
    }
}
