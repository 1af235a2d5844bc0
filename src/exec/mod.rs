//! Executing steps on hosts: SSH (russh) and local transports, command rendering and secret masking.

pub mod error;
pub mod local;
pub mod output;
pub mod plan;
pub mod remote_group;
pub mod render;
pub mod ssh;
pub mod tunnel;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, HostKeyPolicy, expand_home};
use crate::model::{Connection, ExecUser, Host, Inventory};

pub use error::ExecError;
pub use output::{LineSplitter, MAX_LINE_BYTES, OutputChunk, OutputStream, RunOutcome};
pub use remote_group::RemoteGroup;
pub use ssh::{SshSession, SshTarget};

/// A host's connection, opened once and reused for every step the host runs in a task.
pub enum HostSession {
    Local,
    Ssh(SshSession),
}

/// Whom to log in as on `host` for a step: the step's exec user, the host's, the config default, or the
/// local account with ssh-agent.
pub fn exec_user_for(
    inv: &Inventory,
    config: &Config,
    host: &Host,
    step_user: Option<&str>,
) -> Result<Option<ExecUser>, String> {
    let alias = step_user
        .or(host.exec_user.as_deref())
        .or(config.default_exec_user.as_deref());
    match alias {
        None => Ok(None),
        Some(a) => inv
            .exec_user(a)
            .cloned()
            .map(Some)
            .ok_or_else(|| format!("exec user `{a}` is not in the inventory")),
    }
}

/// The SSH parameters for a host and exec user under the config's host-key policy and timeouts.
pub fn ssh_target(host: &Host, user: Option<&ExecUser>, config: &Config) -> SshTarget {
    SshTarget {
        host_name: host.name.clone(),
        address: host.address.clone(),
        port: host.port,
        user: user
            .map(|u| u.user.clone())
            .unwrap_or_else(|| config.current_user()),
        key: user.and_then(|u| u.key.as_ref()).map(|k| expand_home(k)),
        known_hosts: config.known_hosts_path(),
        accept_new: config.host_key_policy == HostKeyPolicy::AcceptNew,
        connect_timeout: config.connect_timeout(),
    }
}

impl HostSession {
    pub async fn open(
        host: &Host,
        user: Option<&ExecUser>,
        config: &Config,
    ) -> Result<HostSession, ExecError> {
        match host.connection {
            Connection::Local => Ok(HostSession::Local),
            Connection::Ssh => Ok(HostSession::Ssh(
                ssh::connect(&ssh_target(host, user, config)).await?,
            )),
        }
    }

    pub async fn run(
        &self,
        command: &str,
        stdin: Option<Vec<u8>>,
        out: mpsc::Sender<OutputChunk>,
        cancel: CancellationToken,
        timeout: Option<Duration>,
    ) -> Result<RunOutcome, ExecError> {
        match self {
            HostSession::Local => local::run_local(command, stdin, out, cancel, timeout).await,
            HostSession::Ssh(s) => s.run(command, stdin, out, cancel, timeout).await,
        }
    }

    pub async fn close(self) {
        if let HostSession::Ssh(s) = self {
            s.close().await;
        }
    }
}
