//! Console performance on a task holding 1,000,000 log lines: time to open it, per-frame draw time
//! while scrolling and following, and the process's peak RSS; then a 2,000-line SQL paste into the
//! SQL audit editor: frame times during and after it, and how soon the live check shows.
//! Run: `cargo bench --bench tui`.

use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::backend::{Backend, LocalBackend};
use opsdeck::config::Config;
use opsdeck::model::{LogLine, ModuleKind, Stream, TaskSpec, TaskState, Template};
use opsdeck::store::{LogWriter, Store};
use opsdeck::tui::app::{App, Cmd, Msg};
use opsdeck::tui::i18n::Lang;
use opsdeck::tui::widgets::log_view::WINDOW;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The full run (`cargo bench`); `cargo test --all-targets` runs this binary too, with a small log.
const LINES: u64 = 1_000_000;
const SMOKE_LINES: u64 = 30_000;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn line(task_id: i64, seq: u64, text: String) -> LogLine {
    LogLine {
        task_id,
        seq,
        step_run_id: None,
        host: Some("localhost".into()),
        ts: Utc::now(),
        stream: Stream::Stdout,
        text,
    }
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let lines_total = if full { LINES } else { SMOKE_LINES };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("opsdeck.db")).unwrap();
    store
        .import_inventory(
            toml::from_str(opsdeck::assets::DEMO_INVENTORY).unwrap(),
            false,
        )
        .unwrap()
        .unwrap();
    let tpl: Template =
        toml::from_str("id = 1\nname = \"big\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"s\"\ncommand = \"true\"\n")
            .unwrap();
    store.put_template(&tpl, "", "bench").unwrap();
    let spec = TaskSpec {
        name: "a million lines".into(),
        module: ModuleKind::Custom,
        submitter: "bench".into(),
        template_id: 1,
        args: Default::default(),
        hosts: [(1, vec!["localhost".to_string()])].into(),
        exec_time: Utc::now(),
        approvers: vec![],
        needs_approval: false,
        details: String::new(),
        extra: serde_json::Value::Null,
    };
    let task = store
        .insert_task(&spec, &tpl, 1, TaskState::Succeeded)
        .unwrap();
    let t0 = Instant::now();
    let writer = LogWriter::spawn(&store).unwrap();
    let tx = writer.sender();
    for seq in 1..=lines_total {
        let text = format!(
            "2026-11-24T10:00:00Z INFO worker[{}] processed batch {seq} in 12ms ok",
            seq % 16
        );
        tx.send(line(task.id, seq, text)).await.unwrap();
    }
    tx.flush().await.unwrap();
    drop(tx);
    writer.shutdown();
    eprintln!("seeded {lines_total} lines in {:.1?}", t0.elapsed());
    let rss_seeded = peak_rss_mb();

    let backend = LocalBackend::new(
        store.clone(),
        Config::default(),
        "bench".into(),
        dir.path().into(),
        None,
    );
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut app = App::new(Lang::En, true);
    // Open: the detail, the last window of lines, the first frame.
    let open = Instant::now();
    let cmds = app.open_task(task.id);
    assert!(cmds.contains(&Cmd::LoadTask(task.id)));
    app.update(Msg::Task(Box::new(backend.task(task.id).await.unwrap())));
    let last = store.last_log_seq(task.id).unwrap();
    let from = last.saturating_sub(WINDOW as u64) + 1;
    let lines = backend.logs(task.id, from, WINDOW).await.unwrap();
    app.update(Msg::Logs { id: task.id, lines });
    term.draw(|f| opsdeck::tui::view::render(&mut app, f))
        .unwrap();
    let open_time = open.elapsed();

    // Scrolling up through the log, fetching older pages when the console asks for them.
    let mut scroll_frames = Vec::new();
    for i in 0..400 {
        let k = if i % 4 == 3 {
            KeyCode::PageDown
        } else {
            KeyCode::PageUp
        };
        let start = Instant::now();
        for c in app.update(key(k)) {
            if let Cmd::LoadLogs { id, from, limit } = c {
                let lines = backend.logs(id, from, limit).await.unwrap();
                app.update(Msg::Logs { id, lines });
            }
        }
        term.draw(|f| opsdeck::tui::view::render(&mut app, f))
            .unwrap();
        scroll_frames.push(start.elapsed());
    }
    // Following: 100 new lines arrive per frame.
    app.update(key(KeyCode::Char('f')));
    let mut follow_frames = Vec::new();
    let mut seq = last;
    for _ in 0..400 {
        let start = Instant::now();
        for _ in 0..100 {
            seq += 1;
            app.update(Msg::Live(line(task.id, seq, format!("live line {seq}"))));
        }
        term.draw(|f| opsdeck::tui::view::render(&mut app, f))
            .unwrap();
        follow_frames.push(start.elapsed());
    }
    // Wrapped lines while scrolling.
    app.update(key(KeyCode::Char('w')));
    let mut wrap_frames = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        app.update(key(KeyCode::PageUp));
        term.draw(|f| opsdeck::tui::view::render(&mut app, f))
            .unwrap();
        wrap_frames.push(start.elapsed());
    }
    println!("task with {lines_total} stored log lines, 160x48 terminal");
    println!("open (task detail + last {WINDOW} lines + first frame): {open_time:.2?}");
    for (name, v) in [
        ("scroll", &mut scroll_frames),
        ("follow", &mut follow_frames),
        ("wrap+scroll", &mut wrap_frames),
    ] {
        let (p50, p99, max) = (pct(v, 0.5), pct(v, 0.99), pct(v, 1.0));
        println!("{name:<12} frames: p50 {p50:.2?}  p99 {p99:.2?}  max {max:.2?}");
    }
    println!(
        "peak RSS: {:.1} MB (of which seeding the store: {rss_seeded:.1} MB)",
        peak_rss_mb()
    );
    paste(&backend).await;
}

/// A 2,000-line SQL paste into the SQL audit editor, driven like the console's runtime drives it:
/// the paste is one message, live checks wait 150 ms after the last edit and run on a blocking
/// thread, and frames are drawn at 60 per second while keys keep coming and the check runs.
async fn paste(backend: &LocalBackend) {
    use opsdeck::tui::forms::live;
    use tokio::sync::mpsc;

    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut app = App::new(Lang::En, true);
    let ctx = backend.module_context().await.unwrap();
    app.update(Msg::Context(Box::new(ctx)));
    app.update(key(KeyCode::Char('5')));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    let sql: String = (1..=2000)
        .map(|i| {
            format!("UPDATE orders SET state = 'paid', n = {i} WHERE id = {i} AND state = 'new';\n")
        })
        .collect();
    let (tx, mut rx) = mpsc::channel::<Msg>(64);
    let mut pending: Option<tokio::task::JoinHandle<()>> = None;
    let run = |cmds: Vec<Cmd>, pending: &mut Option<tokio::task::JoinHandle<()>>| {
        for c in cmds {
            if let Cmd::Check(job) = c {
                if let Some(h) = pending.take() {
                    h.abort();
                }
                let tx = tx.clone();
                *pending = Some(tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(live::DEBOUNCE_MS)).await;
                    if let Ok(r) = tokio::task::spawn_blocking(move || live::run(&job)).await {
                        let _ = tx.send(Msg::Checked(Box::new(r))).await;
                    }
                }));
            }
        }
    };
    let frame = |app: &mut App, term: &mut Terminal<TestBackend>| {
        term.draw(|f| opsdeck::tui::view::render(app, f)).unwrap();
    };
    frame(&mut app, &mut term);
    // The paste, then a comment typed at 30 ms per key at the end of it.
    let mut during = Vec::new();
    let start = Instant::now();
    let cmds = app.update(Msg::Paste(sql));
    run(cmds, &mut pending);
    frame(&mut app, &mut term);
    during.push(start.elapsed());
    let mut last_key = Instant::now();
    const TYPED: &str = "-- typed after paste";
    for i in 0..TYPED.len() {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let start = Instant::now();
        let c = TYPED.as_bytes()[i] as char;
        let cmds = app.update(key(KeyCode::Char(c)));
        run(cmds, &mut pending);
        frame(&mut app, &mut term);
        during.push(start.elapsed());
        last_key = Instant::now();
    }
    // After: frames every 16 ms until the check result for the last edit is shown, and 0.5 s more.
    let mut after = Vec::new();
    let mut shown = None;
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(16)).await;
        let start = Instant::now();
        while let Ok(m) = rx.try_recv() {
            app.update(m);
        }
        frame(&mut app, &mut term);
        after.push(start.elapsed());
        let note = app.modules.forms[&opsdeck::tui::forms::Module::SqlAudit]
            .field("sql")
            .and_then(|f| f.note.clone().or(f.error.clone()));
        if shown.is_none() && note.is_some_and(|n| n.starts_with("2000 ✓")) {
            shown = Some(last_key.elapsed());
        }
        if shown.is_some_and(|s| last_key.elapsed() > s + Duration::from_millis(500)) {
            break;
        }
    }
    println!("paste of 2,000 SQL lines into the SQL audit editor, 160x48 terminal");
    for (name, v) in [("during", &mut during), ("after", &mut after)] {
        let (p50, p99, max) = (pct(v, 0.5), pct(v, 0.99), pct(v, 1.0));
        println!("{name:<12} frames: p50 {p50:.2?}  p99 {p99:.2?}  max {max:.2?}");
    }
    match shown {
        Some(d) => println!("check result shown {d:.0?} after the last key"),
        None => println!("check result never shown"),
    }
}
