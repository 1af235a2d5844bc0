//! `opsdeck serve`: the engine headless plus the team HTTP API on one address.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use opsdeck::api::server::{AppState, DEFAULT_BODY_LIMIT, serve};
use opsdeck::context::Context;
use opsdeck::engine::{Engine, engine_running};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8750 or 0.0.0.0:8750 (put TLS in front for other machines)
    #[arg(long, default_value = "127.0.0.1:8750", env = "OPSDECK_LISTEN")]
    listen: SocketAddr,
    /// Largest request body in bytes
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
}

pub async fn run(ctx: &Context, a: ServeArgs) -> anyhow::Result<ExitCode> {
    if engine_running(&ctx.paths.data_dir) {
        anyhow::bail!(
            "an opsdeck engine (pid {}) runs on {}; stop it first with `opsdeck engine stop` — `serve` runs the engine itself",
            opsdeck::daemon::lock_pid(&ctx.paths.data_dir)
                .map(|p| p.to_string())
                .unwrap_or_else(|| "?".into()),
            ctx.paths.data_dir.display()
        );
    }
    let users = ctx.store.users()?;
    if users.is_empty() {
        tracing::warn!(
            "no users yet, so no token can log in; add one with `opsdeck user add NAME --role admin`"
        );
    }
    let engine = Engine::start(ctx.store.clone(), ctx.config.clone(), &ctx.paths.data_dir).await?;
    let notifier = opsdeck::api::webhook::Notifier::start(&engine, &ctx.config);
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen {}: cannot bind: {e}", a.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        node = opsdeck::metrics::node(),
        "opsdeck serve: listening on http://{addr}/api/v1 (data {}, {} users, {} webhooks)",
        ctx.paths.data_dir.display(),
        users.len(),
        ctx.config.webhooks.len()
    );
    let mut state = AppState::new(
        ctx.store.clone(),
        ctx.config.clone(),
        ctx.paths.data_dir.clone(),
        Some(engine.clone()),
    );
    state.body_limit = a.body_limit;
    // Consoles and task commands on this machine reach the same engine through the data dir's socket.
    let socket = opsdeck::api::unix::socket_path(&ctx.paths.data_dir);
    let local = opsdeck::api::unix::bind(&socket)?;
    let info = opsdeck::api::unix::EngineInfo {
        started_at: chrono::Utc::now(),
        data_dir: ctx.paths.data_dir.clone(),
        socket: socket.clone(),
        default_user: ctx.user.clone(),
    };
    let stop = tokio_util::sync::CancellationToken::new();
    let local_server = tokio::spawn(opsdeck::api::unix::serve(
        local,
        state.clone(),
        info,
        stop.clone().cancelled_owned(),
    ));
    let server = tokio::spawn(serve(listener, state, stop.clone().cancelled_owned()));
    shutdown_signal().await;
    tracing::info!("opsdeck serve: shutting down");
    stop.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), local_server).await;
    let _ = std::fs::remove_file(&socket);
    // Live log streams stay open until their task ends: give requests a moment, then close.
    let r = match tokio::time::timeout(std::time::Duration::from_secs(5), server).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(std::io::Error::other(e.to_string())),
        Err(_) => {
            tracing::info!("opsdeck serve: closing the remaining connections (live log streams)");
            Ok(())
        }
    };
    engine.shutdown().await;
    notifier.stop().await;
    r?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (systemd, docker stop).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
