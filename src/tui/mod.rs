//! The terminal console: one owner of the terminal, an update loop fed by keys and backend results.

pub mod app;
pub mod i18n;
pub mod keys;
pub mod view;
pub mod widgets;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::backend::Backend;
use crate::model::TaskState;
use crate::store::TaskFilter;
use app::{App, Cmd, Msg};
use i18n::Lang;

/// Runs the console until the user quits. Backend calls run as tasks; their answers come back as messages.
pub async fn run(backend: Arc<dyn Backend>, lang: Lang) -> anyhow::Result<()> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut terminal = ratatui::try_init()?;
    let (tx, mut rx) = mpsc::channel::<Msg>(4096);
    let keys_tx = tx.clone();
    std::thread::spawn(move || {
        loop {
            match crossterm::event::read() {
                Ok(crossterm::event::Event::Key(k))
                    if k.kind == crossterm::event::KeyEventKind::Press =>
                {
                    if keys_tx.blocking_send(Msg::Key(k)).is_err() {
                        break;
                    }
                }
                Ok(_) => {
                    // Resize and others: a tick redraws.
                    if keys_tx.blocking_send(Msg::Tick).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let mut app = App::new(lang, color);
    let mut runner = Runner {
        backend,
        tx: tx.clone(),
        follow: None,
    };
    for c in app.init() {
        runner.exec(c);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let result: anyhow::Result<()> = loop {
        if let Err(e) = terminal.draw(|f| view::render(&mut app, f)) {
            break Err(e.into());
        }
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = tick.tick() => Some(Msg::Tick),
        };
        let Some(msg) = msg else { break Ok(()) };
        // Apply everything queued, then draw once.
        let mut batch = vec![msg];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
            if batch.len() > 10_000 {
                break;
            }
        }
        for m in batch {
            for c in app.update(m) {
                runner.exec(c);
            }
        }
        if app.quit {
            break Ok(());
        }
    };
    runner.exec(Cmd::StopFollow);
    ratatui::restore();
    result
}

struct Runner {
    backend: Arc<dyn Backend>,
    tx: mpsc::Sender<Msg>,
    follow: Option<tokio::task::JoinHandle<()>>,
}

impl Runner {
    fn exec(&mut self, cmd: Cmd) {
        let b = self.backend.clone();
        let tx = self.tx.clone();
        let send = |tx: mpsc::Sender<Msg>, m: Msg| async move {
            let _ = tx.send(m).await;
        };
        match cmd {
            Cmd::StopFollow => {
                if let Some(h) = self.follow.take() {
                    h.abort();
                }
            }
            Cmd::Follow { id, from } => {
                if let Some(h) = self.follow.take() {
                    h.abort();
                }
                self.follow = Some(tokio::spawn(async move {
                    match b.follow(id, from).await {
                        Ok(mut s) => {
                            while let Some(l) = s.next().await {
                                if tx.send(Msg::Live(l)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => send(tx, Msg::Error(e.to_string())).await,
                    }
                }));
            }
            other => {
                tokio::spawn(async move {
                    let m = perform(b.as_ref(), other).await;
                    send(tx, m).await;
                });
            }
        }
    }
}

async fn perform(b: &dyn Backend, cmd: Cmd) -> Msg {
    let r: Result<Msg, crate::backend::BackendError> = async {
        Ok(match cmd {
            Cmd::LoadMe => Msg::Me(b.whoami().await?),
            Cmd::LoadTasks => Msg::Tasks(
                b.tasks(TaskFilter {
                    limit: Some(500),
                    ..Default::default()
                })
                .await?,
            ),
            Cmd::LoadApprovals => Msg::Approvals(
                b.tasks(TaskFilter {
                    states: vec![TaskState::PendingApproval],
                    ..Default::default()
                })
                .await?,
            ),
            Cmd::LoadInventory => {
                Msg::Inventory(Box::new(b.inventory().await?), b.templates().await?)
            }
            Cmd::LoadTask(id) => Msg::Task(Box::new(b.task(id).await?)),
            Cmd::LoadLogs { id, from, limit } => Msg::Logs {
                id,
                lines: b.logs(id, from, limit).await?,
            },
            Cmd::Approve(ids) => {
                for id in &ids {
                    b.approve(*id, None).await?;
                }
                Msg::Done(format!(
                    "approved {}",
                    ids.iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ))
            }
            Cmd::Reject(id, reason) => {
                b.reject(id, &reason).await?;
                Msg::Done(format!("rejected #{id}"))
            }
            Cmd::Cancel(id) => {
                b.cancel(id).await?;
                Msg::Done(format!("cancelled #{id}"))
            }
            Cmd::Retry(id) => {
                b.retry(id).await?;
                Msg::Done(format!("#{id} scheduled again"))
            }
            Cmd::Release(id) => {
                let n = b.release(id, None, None).await?;
                Msg::Done(format!("released {n} step(s) of #{id}"))
            }
            Cmd::Skip(id, step) => {
                b.skip(id, step).await?;
                Msg::Done(format!("skipped step {step} of #{id}"))
            }
            Cmd::Export { id, path } => {
                let mut f = std::fs::File::create(&path)
                    .map_err(|e| crate::engine::EngineError::Other(format!("{path}: {e}")))?;
                let mut next = 1;
                loop {
                    let page = b.logs(id, next, 10_000).await?;
                    let Some(last) = page.last() else { break };
                    next = last.seq + 1;
                    for l in &page {
                        writeln!(
                            f,
                            "{} {} {} {}",
                            l.seq,
                            l.host.as_deref().unwrap_or("-"),
                            l.stream.as_str(),
                            l.text
                        )
                        .map_err(|e| crate::engine::EngineError::Other(format!("{path}: {e}")))?;
                    }
                }
                Msg::Done(format!("log of #{id} exported to {path}"))
            }
            Cmd::Follow { .. } | Cmd::StopFollow => Msg::Tick,
        })
    }
    .await;
    r.unwrap_or_else(|e| Msg::Error(e.to_string()))
}
#[cfg(test)]
mod tests;
