//! `opsdeck engine start | status | stop | unit`: the engine process of a data dir, and how front
//! ends reach it (its Unix socket, started on first need).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use opsdeck::api::server::AppState;
use opsdeck::api::unix::{self, EngineInfo};
use opsdeck::backend::{Backend, EngineStatus};
use opsdeck::context::Context;
use opsdeck::daemon::{self, Launcher};
use opsdeck::engine::Engine;

use super::output;

#[derive(Subcommand)]
pub enum EngineCmd {
    /// Start the engine of this data dir, detached (it logs to DATA_DIR/engine.log); consoles and
    /// task commands start it themselves when none runs
    Start {
        /// Run in this process until SIGTERM or Ctrl-C (for systemd, see `opsdeck engine unit`)
        #[arg(long)]
        foreground: bool,
    },
    /// Whether an engine runs: pid, version, socket, uptime, running tasks (exit 1 when none runs)
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Stop the engine gracefully; refuses while tasks run unless --wait or --force
    Stop {
        /// Wait for the running tasks to finish first (new ones may still start meanwhile)
        #[arg(long)]
        wait: bool,
        /// Stop now: running tasks are cancelled and end as interrupted
        #[arg(long, conflicts_with = "wait")]
        force: bool,
    },
    /// Print a systemd unit that runs the engine of this data dir as a service
    Unit,
}

/// `opsdeck engine` alone runs in the foreground, as it always did.
pub async fn run(ctx: &Context, cmd: Option<EngineCmd>) -> anyhow::Result<ExitCode> {
    match cmd.unwrap_or(EngineCmd::Start { foreground: true }) {
        EngineCmd::Start { foreground: true } => foreground(ctx).await,
        EngineCmd::Start { foreground: false } => {
            let l = launcher(ctx)?;
            let (st, started) = l.ensure().await?;
            if started {
                println!(
                    "engine started: pid {} on {} (log {})",
                    st.pid,
                    st.socket,
                    daemon::log_path(&ctx.paths.data_dir).display()
                );
            } else {
                println!("engine already running: pid {} on {}", st.pid, st.socket);
            }
            if let Some(m) = daemon::version_mismatch(&st) {
                eprintln!("warning: {m}");
            }
            Ok(ExitCode::SUCCESS)
        }
        EngineCmd::Status { json } => status(ctx, json).await,
        EngineCmd::Stop { wait, force } => stop(ctx, wait, force).await,
        EngineCmd::Unit => {
            print!("{}", unit(ctx)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn launcher(ctx: &Context) -> anyhow::Result<Launcher> {
    let mut l = Launcher::current(&ctx.paths.config_file, &ctx.paths.data_dir)?;
    l.database_url = ctx.paths.database_url.clone();
    Ok(l)
}

/// This machine's engine as a backend: started when none runs; an engine of another version is an error.
pub async fn connect(ctx: &Context) -> anyhow::Result<Arc<dyn Backend>> {
    let l = launcher(ctx)?;
    let (st, _) = l.ensure().await?;
    if let Some(m) = daemon::version_mismatch(&st) {
        anyhow::bail!("{m}");
    }
    Ok(Arc::new(l.backend(&ctx.user)?))
}

async fn status(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let socket = unix::socket_path(&ctx.paths.data_dir);
    let st = match daemon::probe(&socket).await {
        Ok(st) => st,
        Err(e) => {
            let why = if opsdeck::engine::engine_running(&ctx.paths.data_dir) {
                format!(
                    "an engine holds the lock (pid {}) but does not answer on {}: {e}",
                    daemon::lock_pid(&ctx.paths.data_dir)
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "?".into()),
                    socket.display()
                )
            } else {
                format!("no engine runs on {}", ctx.paths.data_dir.display())
            };
            if json {
                output::json(&serde_json::json!({ "running": false, "message": why }))?;
            } else {
                println!("{why}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    if json {
        output::json(&st)?;
    } else {
        print_status(&st);
        if let Some(m) = daemon::version_mismatch(&st) {
            println!("warning: {m}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(st: &EngineStatus) {
    let up = (chrono::Utc::now() - st.started_at).num_seconds().max(0) as u64;
    println!("engine running");
    println!("  pid       {}", st.pid);
    println!("  version   {}", st.version);
    println!("  data dir  {}", st.data_dir);
    println!("  socket    {}", st.socket);
    println!(
        "  uptime    {}",
        humantime::format_duration(Duration::from_secs(up))
    );
    let ids: Vec<String> = st.running.iter().map(|i| format!("#{i}")).collect();
    println!(
        "  running   {} task(s){}{}",
        st.running.len(),
        if ids.is_empty() { "" } else { ": " },
        ids.join(" ")
    );
}

async fn stop(ctx: &Context, wait: bool, force: bool) -> anyhow::Result<ExitCode> {
    let dir = &ctx.paths.data_dir;
    let socket = unix::socket_path(dir);
    if !opsdeck::engine::engine_running(dir) {
        println!("no engine runs on {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    if !force {
        let mut told = false;
        loop {
            let running = daemon::probe(&socket)
                .await
                .map(|s| s.running)
                .unwrap_or_default();
            if running.is_empty() {
                break;
            }
            let ids: Vec<String> = running.iter().map(|i| format!("#{i}")).collect();
            if !wait {
                anyhow::bail!(
                    "the engine runs {} task(s): {}; `opsdeck engine stop --wait` stops it when they are done, `--force` cancels them (they end as interrupted)",
                    running.len(),
                    ids.join(" ")
                );
            }
            if !told {
                eprintln!(
                    "waiting for {} running task(s): {}",
                    running.len(),
                    ids.join(" ")
                );
                told = true;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    match daemon::stop(dir, Duration::from_secs(60)).await? {
        Some(pid) => println!("engine (pid {pid}) stopped"),
        None => println!("no engine runs on {}", dir.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The engine in this process: the scheduler and executor, and the API on the data dir's socket,
/// until SIGTERM, Ctrl-C, or the data dir disappears.
async fn foreground(ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = ctx.paths.data_dir.clone();
    let e = Engine::start(ctx.store.clone(), ctx.config.clone(), &dir).await?;
    let socket = unix::socket_path(&dir);
    let listener = match unix::bind(&socket) {
        Ok(l) => l,
        Err(err) => {
            e.shutdown().await;
            return Err(err.into());
        }
    };
    let notifier = opsdeck::api::webhook::Notifier::start(&e, &ctx.config);
    let state = AppState::new(
        ctx.store.clone(),
        ctx.config.clone(),
        dir.clone(),
        Some(e.clone()),
    );
    let info = EngineInfo {
        started_at: chrono::Utc::now(),
        data_dir: dir.clone(),
        socket: socket.clone(),
        default_user: ctx.user.clone(),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(unix::serve(listener, state, info, async {
        let _ = stop_rx.await;
    }));
    tracing::info!(
        version = unix::VERSION,
        data_dir = %dir.display(),
        pid = std::process::id(),
        socket = %socket.display(),
        "opsdeck engine {} running on {} (pid {}, socket {})",
        unix::VERSION,
        dir.display(),
        std::process::id(),
        socket.display()
    );
    let why = stop_signal(&dir).await;
    tracing::info!(reason = why, "opsdeck engine stopping: {why}");
    let _ = stop_tx.send(());
    // Live log streams stay open until their task ends: give requests a moment, then close.
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    e.shutdown().await;
    notifier.stop().await;
    let _ = std::fs::remove_file(&socket);
    tracing::info!("opsdeck engine stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM, Ctrl-C, or the data directory removed (an engine with no data dir has nothing to do).
async fn stop_signal(dir: &std::path::Path) -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let lock = dir.join("engine.lock");
    let gone = async {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if !lock.exists() {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term => "SIGTERM",
        _ = gone => "its data directory was removed",
    }
}

/// A systemd unit for this data dir's engine (user or system service).
fn unit(ctx: &Context) -> anyhow::Result<String> {
    let exe = std::env::current_exe()?;
    let q = |p: &std::path::Path| {
        let s = p.display().to_string();
        if s.contains(char::is_whitespace) {
            format!("\"{s}\"")
        } else {
            s
        }
    };
    Ok(format!(
        "# opsdeck engine for {data}
# As a user service: save as ~/.config/systemd/user/opsdeck-engine.service, then
#   systemctl --user daemon-reload && systemctl --user enable --now opsdeck-engine
#   loginctl enable-linger $USER    # keep it running while you are logged out
# As a system service: save in /etc/systemd/system/, set User= below, use WantedBy=multi-user.target.
# Consoles and task commands on this data dir connect to it through {socket}.
[Unit]
Description=opsdeck engine ({data})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={exe} --config {config} --data-dir {data} engine start --foreground
# SIGTERM: the engine stops scheduling, stops running steps and writes every log line.
KillMode=mixed
TimeoutStopSec=60
Restart=on-failure
RestartSec=2
Environment=USER={user}
#User={user}

[Install]
WantedBy=default.target
",
        exe = q(&exe),
        config = q(&ctx.paths.config_file),
        data = q(&ctx.paths.data_dir),
        socket = unix::socket_path(&ctx.paths.data_dir).display(),
        user = ctx.user,
    ))
}
