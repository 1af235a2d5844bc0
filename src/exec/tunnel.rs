//! A tunnel to a service behind a proxy host (a database): a one-use loopback listener whose
//! connection is carried over a `direct-tcpip` channel of the proxy's SSH connection (as DBeaver or
//! Navicat reach a database behind a bastion). A local proxy host connects directly.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::task::AbortOnDropHandle;

use super::HostSession;

/// Why a tunnel could not be opened, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The proxy's sshd forbids forwarding (`AllowTcpForwarding no` or a `permitopen` limit).
    #[error(
        "the proxy `{proxy}` refused to forward to {target} ({reason}); its sshd forbids TCP \
         forwarding — allow it there, or set `sql_via = \"client\"` on the tag to run through the \
         `mysql` client on the proxy"
    )]
    Refused {
        proxy: String,
        target: String,
        reason: String,
    },
    /// The proxy accepted the channel but could not reach the target.
    #[error("the proxy `{proxy}` cannot reach {target}: {reason}")]
    Unreachable {
        proxy: String,
        target: String,
        reason: String,
    },
    #[error("tunnel through `{proxy}` to {target}: {reason}")]
    Other {
        proxy: String,
        target: String,
        reason: String,
    },
}

/// A live tunnel: connect once to `local`; dropping it closes the listener and the forwarding.
pub struct Tunnel {
    pub local: SocketAddr,
    _task: AbortOnDropHandle<()>,
}

trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

impl Tunnel {
    /// Opens the far end first (so a refusal is reported here, not as a dropped connection later),
    /// then listens on `127.0.0.1:0` for exactly one connection, which it forwards.
    pub async fn open(
        session: Arc<HostSession>,
        proxy: &str,
        host: &str,
        port: u16,
    ) -> Result<Tunnel, TunnelError> {
        let target = format!("{host}:{port}");
        let far: Box<dyn Duplex> = match &*session {
            HostSession::Ssh(s) => match s.direct_tcpip(host, port).await {
                Ok(stream) => Box::new(stream),
                Err(e) => return Err(channel_error(proxy, &target, e)),
            },
            HostSession::Local => match TcpStream::connect((host, port)).await {
                Ok(stream) => Box::new(stream),
                Err(e) => {
                    return Err(TunnelError::Unreachable {
                        proxy: proxy.to_string(),
                        target,
                        reason: e.to_string(),
                    });
                }
            },
        };
        let other = |reason: String| TunnelError::Other {
            proxy: proxy.to_string(),
            target: target.clone(),
            reason,
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| other(format!("cannot listen on 127.0.0.1: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| other(format!("cannot read the listener's address: {e}")))?;
        let proxy_name = proxy.to_string();
        let task = tokio::spawn(async move {
            // One connection only: the port is not left open for anyone else on this machine.
            let (mut near, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(proxy = %proxy_name, "tunnel listener failed: {e}");
                    return;
                }
            };
            drop(listener);
            let mut far = far;
            if let Err(e) = tokio::io::copy_bidirectional(&mut near, &mut far).await {
                tracing::debug!(proxy = %proxy_name, "tunnel closed: {e}");
            }
        });
        Ok(Tunnel {
            local,
            _task: AbortOnDropHandle::new(task),
        })
    }
}

fn channel_error(proxy: &str, target: &str, e: russh::Error) -> TunnelError {
    use russh::ChannelOpenFailure as F;
    let (proxy, target) = (proxy.to_string(), target.to_string());
    match e {
        russh::Error::ChannelOpenFailure(F::AdministrativelyProhibited) => TunnelError::Refused {
            proxy,
            target,
            reason: "administratively prohibited".into(),
        },
        russh::Error::ChannelOpenFailure(F::ConnectFailed) => TunnelError::Unreachable {
            proxy,
            target,
            reason: "connection refused or no route from the proxy".into(),
        },
        russh::Error::ChannelOpenFailure(F::Other { code, reason }) => TunnelError::Refused {
            proxy,
            target,
            reason: format!("code {code}: {reason}"),
        },
        other => TunnelError::Other {
            proxy,
            target,
            reason: other.to_string(),
        },
    }
}
