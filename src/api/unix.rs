//! The engine's local API: the `/api/v1` router of `opsdeck serve` on a Unix socket in the data dir
//! (mode 0600). The peer's uid, checked with SO_PEERCRED, replaces the bearer token: only the user
//! who owns the engine may talk to it, acting as the user its config names (as `LocalBackend` does).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::net::{UnixListener, UnixStream};

use super::error::ApiError;
use super::extract::Caller;
use super::server::AppState;
use crate::backend::EngineStatus;

/// The header naming the acting user (the client's configured user; same OS user as the engine).
pub const USER_HEADER: &str = "x-opsdeck-user";
/// The header every answer on the socket carries: the engine's opsdeck version.
pub const VERSION_HEADER: &str = "x-opsdeck-version";

pub use crate::backend::VERSION;

/// The engine's API socket in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("engine.api.sock")
}

/// What the engine says about itself besides its running tasks.
#[derive(Debug, Clone)]
pub struct EngineInfo {
    pub started_at: DateTime<Utc>,
    pub data_dir: PathBuf,
    pub socket: PathBuf,
    /// The user requests act as when they name none.
    pub default_user: String,
}

/// Accepts only connections from processes of this engine's own uid.
pub struct PeerListener {
    inner: UnixListener,
    uid: u32,
}

impl axum::serve::Listener for PeerListener {
    type Io = UnixStream;
    type Addr = tokio::net::unix::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((s, a)) => match s.peer_cred() {
                    Ok(c) if c.uid() == self.uid => return (s, a),
                    Ok(c) => tracing::warn!(
                        "refused a connection from uid {} (only uid {} may connect)",
                        c.uid(),
                        self.uid
                    ),
                    Err(e) => tracing::warn!("cannot read a peer's credentials: {e}"),
                },
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Binds the socket at `path`, replacing a file left by a crashed engine (the caller holds the
/// engine lock, so no live engine owns it), readable and writable by the owner only.
pub fn bind(path: &Path) -> std::io::Result<PeerListener> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot replace {}: {e}", path.display()),
            ));
        }
    }
    // SAFETY: umask only changes this process's file creation mask; it is restored right after.
    let old = unsafe { libc::umask(0o177) };
    let bound = UnixListener::bind(path);
    unsafe { libc::umask(old) };
    let inner = bound.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {}: {e}", path.display()),
        )
    })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    Ok(PeerListener { inner, uid })
}

/// Marks a request that came through the engine's own socket (the peer is the engine's uid).
#[derive(Debug, Clone, Copy)]
pub struct LocalPeer;

#[derive(Clone)]
struct Shared {
    app: AppState,
    info: EngineInfo,
}

/// The API router with the socket's authentication, plus `GET /api/v1/engine` (the engine's status).
pub fn router(state: AppState, info: EngineInfo) -> Router {
    let shared = Shared {
        app: state.clone(),
        info,
    };
    let status = Router::new()
        .route("/api/v1/engine", get(engine_status))
        .with_state(shared.clone());
    super::server::router(state)
        .merge(status)
        .layer(axum::middleware::from_fn_with_state(shared, local_caller))
}

/// Serves the socket until `shutdown` resolves.
pub async fn serve(
    listener: PeerListener,
    state: AppState,
    info: EngineInfo,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, info))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves the acting user as `LocalBackend` does and stamps the answer with the engine's version.
async fn local_caller(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let name = req
        .headers()
        .get(USER_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(&s.info.default_user)
        .to_string();
    let store = s.app.store.clone();
    let user =
        tokio::task::spawn_blocking(move || crate::engine::actions::resolve_actor(&store, &name))
            .await;
    let user = match user {
        Ok(Ok(u)) => u,
        Ok(Err(e)) => return ApiError::from(e).into_response(),
        Err(e) => return ApiError::internal(format!("internal error: {e}")).into_response(),
    };
    req.extensions_mut().insert(Caller(user));
    req.extensions_mut().insert(LocalPeer);
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&reported_version()) {
        resp.headers_mut().insert(VERSION_HEADER, v);
    }
    resp
}

async fn engine_status(State(s): State<Shared>) -> Json<EngineStatus> {
    Json(EngineStatus {
        pid: std::process::id(),
        version: reported_version(),
        data_dir: s.info.data_dir.display().to_string(),
        socket: s.info.socket.display().to_string(),
        started_at: s.info.started_at,
        running: s
            .app
            .engine
            .as_ref()
            .map(|e| e.running_tasks())
            .unwrap_or_default(),
    })
}

/// The version the engine reports: this build's, unless `OPSDECK_REPORT_VERSION` is set (the tests
/// of the version handshake use it to play an engine of another release).
pub fn reported_version() -> String {
    std::env::var("OPSDECK_REPORT_VERSION")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| VERSION.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::RemoteBackend;
    use crate::backend::Backend;
    use crate::config::Config;
    use crate::model::{Inventory, Role, User};
    use crate::store::Store;

    const INV: &str = r#"
[[hosts]]
name = "p1"
address = "127.0.0.1"
connection = "local"

[[tags]]
name = "orders"
hosts = ["p1"]
proxy = "p1"
[[tags.databases]]
name = "orders-rw"
host = "127.0.0.1"
user = "app"
password = "pw-inline-1"
role = "write"
"#;

    #[tokio::test]
    async fn the_socket_serves_the_api_as_the_named_user_with_the_engines_version() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("opsdeck.db")).unwrap();
        let inv: Inventory = toml::from_str(INV).unwrap();
        store.import_inventory(inv, false).unwrap().unwrap();
        store
            .put_user(
                &User {
                    name: "bob".into(),
                    display_name: String::new(),
                    role: Role::Approver,
                },
                None,
            )
            .unwrap();
        let socket = socket_path(tmp.path());
        // A stale file where the socket goes is replaced.
        std::fs::write(&socket, "stale").unwrap();
        let listener = bind(&socket).unwrap();
        let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let state = AppState::new(store, Config::default(), tmp.path().to_path_buf(), None);
        let info = EngineInfo {
            started_at: Utc::now(),
            data_dir: tmp.path().to_path_buf(),
            socket: socket.clone(),
            default_user: "alice".into(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state, info, async {
            let _ = stopped.await;
        }));
        // The user a client names is resolved as `LocalBackend` does (a stored user keeps its role).
        let bob = RemoteBackend::local(&socket, "bob", None).unwrap();
        let me = bob.whoami().await.unwrap();
        assert_eq!((me.name.as_str(), me.role), ("bob", Role::Approver));
        // No name: the engine's own user; an unknown user is an operator once users exist.
        let anon = RemoteBackend::local(&socket, "", None).unwrap();
        assert_eq!(anon.whoami().await.unwrap().name, "alice");
        assert_eq!(anon.whoami().await.unwrap().role, Role::Operator);
        let st = bob.engine().await.unwrap();
        assert_eq!(st.pid, std::process::id());
        assert_eq!(st.version, VERSION);
        assert!(st.running.is_empty());
        // Forms on the socket see the inline password they must put into the task.
        let ctx = bob.module_context().await.unwrap();
        let db = &ctx.inventory.tags[0].databases[0];
        assert_eq!(db.password.as_deref(), Some("pw-inline-1"));
        // Every answer says which version served it.
        let raw = reqwest::Client::builder()
            .unix_socket(socket.as_path())
            .build()
            .unwrap()
            .get("http://engine/api/v1/whoami")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.headers()[VERSION_HEADER], VERSION);
        assert!(raw.status().is_success(), "no token needed on the socket");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        // With nothing listening the client says the engine is not there.
        let gone = RemoteBackend::local(&socket, "bob", None).unwrap();
        let e = gone.whoami().await.unwrap_err();
        assert!(
            matches!(e, crate::backend::BackendError::Unavailable(_)),
            "{e}"
        );
        assert!(e.to_string().contains("engine"), "{e}");
    }
}
