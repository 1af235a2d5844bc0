//! The terminal console: one owner of the terminal, an update loop fed by keys and backend results.

pub mod app;
mod engine;
pub mod forms;
pub mod i18n;
pub mod i18n_fields;
pub mod keys;
pub mod slowlog;
pub mod view;
pub mod widgets;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::backend::{Backend, BackendError};
use crate::model::{TaskFilter, TaskState};
use app::{App, Cmd, Done, Msg};
use i18n::Lang;

/// Runs the console until the user quits. Backend calls run as tasks; their answers come back as messages.
/// Drafts and exports go to the data directory `OPSDECK_DATA_DIR` names (else the XDG one).
pub async fn run(backend: Arc<dyn Backend>, lang: Lang) -> anyhow::Result<()> {
    let data_dir =
        crate::config::Paths::resolve(None, std::env::var_os("OPSDECK_DATA_DIR").map(Into::into))
            .ok()
            .map(|p| p.data_dir);
    run_in(backend, lang, data_dir).await
}

/// [`run`] with the data directory for form drafts and log exports given.
pub async fn run_in(
    backend: Arc<dyn Backend>,
    lang: Lang,
    data_dir: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut terminal = ratatui::try_init()?;
    // A paste arrives as one event (one edit), never as keys that could submit or move focus.
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::EnableBracketedPaste,
        crossterm::event::EnableMouseCapture
    );
    let (tx, mut rx) = mpsc::channel::<Msg>(4096);
    let keys_tx = tx.clone();
    // While `$EDITOR` runs the reader must not take its keys: it parks until `paused` is cleared.
    let paused = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let (reader_paused, reader_parked) = (paused.clone(), parked.clone());
    std::thread::spawn(move || {
        loop {
            if reader_paused.load(Ordering::SeqCst) {
                reader_parked.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            reader_parked.store(false, Ordering::SeqCst);
            match crossterm::event::poll(Duration::from_millis(50)) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => break,
            }
            match crossterm::event::read() {
                Ok(crossterm::event::Event::Key(k))
                    if k.kind == crossterm::event::KeyEventKind::Press =>
                {
                    if keys_tx.blocking_send(Msg::Key(k)).is_err() {
                        break;
                    }
                }
                Ok(crossterm::event::Event::Mouse(m)) => {
                    if keys_tx.blocking_send(Msg::Mouse(m)).is_err() {
                        break;
                    }
                }
                Ok(crossterm::event::Event::Paste(text)) => {
                    if keys_tx.blocking_send(Msg::Paste(text)).is_err() {
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
    app.data_dir = data_dir;
    if let Some(d) = &app.data_dir {
        let (drafts, errors) = forms::draft::load_all(d);
        app.modules.saved_drafts = drafts;
        if !errors.is_empty() {
            app.status = Some((errors.join("; "), true));
        }
    }
    let mut runner = Runner {
        backend,
        tx: tx.clone(),
        follow: None,
        checks: std::collections::HashMap::new(),
    };
    for c in app.init() {
        runner.exec(c);
    }
    let (engine_tx, mut engine_rx) = mpsc::channel::<Option<(String, bool)>>(4);
    let watch = tokio::spawn(engine::watch(runner.backend.clone(), lang, engine_tx));
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let result: anyhow::Result<()> = loop {
        if let Err(e) = terminal.draw(|f| view::render(&mut app, f)) {
            break Err(e.into());
        }
        let msg = tokio::select! {
            m = rx.recv() => m,
            Some(note) = engine_rx.recv() => {
                app.engine = note;
                Some(Msg::Tick)
            }
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
                match c {
                    Cmd::EditTemplate { id, source } => {
                        let edited = suspended(&mut terminal, &paused, &parked, || {
                            edit_in_editor(id, &source)
                        });
                        let msg = match edited {
                            Ok(Ok(new)) => Msg::Edited {
                                id,
                                source: (new != source).then_some(new),
                            },
                            Ok(Err(e)) | Err(e) => Msg::Error(e.to_string()),
                        };
                        let _ = tx.try_send(msg);
                    }
                    c => runner.exec(c),
                }
            }
        }
        if app.quit {
            break Ok(());
        }
    };
    runner.exec(Cmd::StopFollow);
    watch.abort();
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableBracketedPaste,
        crossterm::event::DisableMouseCapture
    );
    ratatui::restore();
    save_drafts(&app);
    result
}

/// On the way out: a form with input not submitted keeps it as a draft; a clean one has none.
fn save_drafts(app: &App) {
    let Some(dir) = &app.data_dir else { return };
    for (m, f) in &app.modules.forms {
        let d = f.dirty.then(|| f.draft());
        // The terminal is the shell's again: say what could not be kept.
        if let Err(e) = forms::draft::save(dir, *m, d.as_ref()) {
            tracing::warn!(
                "the draft of {} was not saved ({}): {e}",
                m.word(),
                forms::draft::path(dir, *m).display()
            );
        }
    }
}

/// Gives the terminal back to the shell while `f` runs (the key reader parked), then takes it again.
fn suspended<T>(
    terminal: &mut ratatui::DefaultTerminal,
    paused: &AtomicBool,
    parked: &AtomicBool,
    f: impl FnOnce() -> T,
) -> std::io::Result<T> {
    paused.store(true, Ordering::SeqCst);
    let start = std::time::Instant::now();
    while !parked.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableBracketedPaste,
        crossterm::event::DisableMouseCapture
    );
    ratatui::restore();
    let out = f();
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste,
        crossterm::event::EnableMouseCapture
    )?;
    terminal.clear()?;
    paused.store(false, Ordering::SeqCst);
    Ok(out)
}

/// Writes `source` to a temporary file, runs `$VISUAL`/`$EDITOR` (default `vi`) on it and reads it back.
fn edit_in_editor(id: u32, source: &str) -> std::io::Result<String> {
    let path =
        std::env::temp_dir().join(format!("opsdeck-template-{id}-{}.toml", std::process::id()));
    std::fs::write(&path, source)?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // Through the shell, so `EDITOR="code --wait"` works; the path is a separate argument.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    let status = status?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "{editor} exited with {status}; nothing was imported"
        )));
    }
    text
}

struct Runner {
    backend: Arc<dyn Backend>,
    tx: mpsc::Sender<Msg>,
    follow: Option<tokio::task::JoinHandle<()>>,
    /// Each form's live check waiting out its debounce (replaced by the next edit's).
    checks: std::collections::HashMap<forms::Module, tokio::task::JoinHandle<()>>,
}

impl Runner {
    fn exec(&mut self, cmd: Cmd) {
        let b = self.backend.clone();
        let tx = self.tx.clone();
        let send = |tx: mpsc::Sender<Msg>, m: Msg| async move {
            let _ = tx.send(m).await;
        };
        match cmd {
            Cmd::Check(job) => {
                if let Some(h) = self.checks.remove(&job.module) {
                    h.abort();
                }
                let module = job.module;
                self.checks.insert(
                    module,
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(forms::live::DEBOUNCE_MS)).await;
                        let r = tokio::task::spawn_blocking(move || forms::live::run(&job)).await;
                        if let Ok(r) = r {
                            let _ = tx.send(Msg::Checked(Box::new(r))).await;
                        }
                    }),
                );
            }
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
    let r: Result<Msg, BackendError> = async {
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
                Msg::Done(Done::Approved(ids))
            }
            Cmd::Reject(id, reason) => {
                b.reject(id, &reason).await?;
                Msg::Done(Done::Rejected(id))
            }
            Cmd::Cancel(id) => {
                b.cancel(id).await?;
                Msg::Done(Done::Cancelled(id))
            }
            Cmd::Retry(id) => {
                b.retry(id).await?;
                Msg::Done(Done::Retried(id))
            }
            Cmd::Release(id) => {
                let n = b.release(id, None, None).await?;
                Msg::Done(Done::Released(id, n as usize))
            }
            Cmd::Skip(id, step) => {
                b.skip(id, step).await?;
                Msg::Done(Done::Skipped(id, step))
            }
            Cmd::Export { id, path } => {
                let path = std::path::absolute(&path)
                    .map(|p| p.display().to_string())
                    .unwrap_or(path);
                if let Some(dir) = std::path::Path::new(&path).parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| BackendError::Other(format!("{path}: {e}")))?;
                }
                let mut f = std::fs::File::create(&path)
                    .map_err(|e| BackendError::Other(format!("{path}: {e}")))?;
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
                        .map_err(|e| BackendError::Other(format!("{path}: {e}")))?;
                    }
                }
                Msg::Done(Done::Exported(id, path))
            }
            Cmd::Digest { path, lang } => {
                let path = std::path::absolute(&path)
                    .map(|p| p.display().to_string())
                    .unwrap_or(path);
                let file = std::path::PathBuf::from(&path);
                let report = tokio::task::spawn_blocking(move || slowlog::load(&file, lang))
                    .await
                    .map_err(|e| BackendError::Other(e.to_string()))?
                    .map(std::sync::Arc::new);
                Msg::Digested { path, report }
            }
            Cmd::BuildRollback(job) => {
                let of = job.task.id;
                let (sql, notes) = (job.plan.sql(), job.plan.notes.clone());
                let spec = tokio::task::spawn_blocking(move || {
                    crate::modules::sql_audit_rollback::rollback_spec(
                        &job.task,
                        &job.plan,
                        job.approvers,
                        false,
                        &job.ctx,
                    )
                })
                .await
                .map_err(|e| BackendError::Other(e.to_string()))?
                .map(Box::new)
                .map_err(|e| e.to_string());
                Msg::RollbackBuilt {
                    of,
                    sql,
                    notes,
                    spec,
                }
            }
            Cmd::LoadContext => Msg::Context(Box::new(b.module_context().await?)),
            Cmd::Submit(spec) => Msg::Submitted(Box::new(b.submit(*spec).await?)),
            Cmd::ApproveAt(id, at) => {
                b.approve(id, Some(at)).await?;
                Msg::Done(Done::ApprovedAt(id, at))
            }
            Cmd::ImportTemplate { id: _, source } => {
                let t = b.import_template(&source).await?;
                Msg::TemplateImported {
                    id: t.template.id,
                    version: t.version,
                }
            }
            Cmd::Follow { .. } | Cmd::StopFollow | Cmd::EditTemplate { .. } | Cmd::Check(_) => {
                Msg::Tick
            }
        })
    }
    .await;
    r.unwrap_or_else(|e| Msg::Error(e.to_string()))
}
#[cfg(test)]
mod backend_tests;
#[cfg(test)]
mod digest_tests;
#[cfg(test)]
mod form_tests;
#[cfg(test)]
mod input_tests;
#[cfg(test)]
mod tests;
