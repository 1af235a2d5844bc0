//! Errors of the execution layer, worded for the operator: what went wrong on which host and what to do.

use std::time::Duration;

/// A failure to reach, trust, log in to, or run a command on a host.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{host}: cannot reach {address}:{port}: {reason}")]
    Unreachable {
        host: String,
        address: String,
        port: u16,
        reason: String,
    },

    #[error(
        "{host}: host key for [{address}]:{port} is not in {known_hosts} (server offered {fingerprint}); \
         check the fingerprint, then add it with `ssh-keyscan -p {port} {address} >> {known_hosts}` \
         or enable accept-new for this host"
    )]
    HostKeyUnknown {
        host: String,
        address: String,
        port: u16,
        known_hosts: String,
        fingerprint: String,
    },

    #[error(
        "{host}: host key for [{address}]:{port} does not match known_hosts — possible man-in-the-middle; \
         the server offered {fingerprint} but {known_hosts} line {line} records another key. \
         If the host was really reinstalled, remove the old entry with \
         `ssh-keygen -R '[{address}]:{port}' -f {known_hosts}`"
    )]
    HostKeyMismatch {
        host: String,
        address: String,
        port: u16,
        known_hosts: String,
        line: usize,
        fingerprint: String,
    },

    #[error(
        "{host}: REVOKED HOST KEY DETECTED for [{address}]:{port}: the server offered {fingerprint}, \
         which {known_hosts} line {line} marks @revoked; refusing to connect"
    )]
    HostKeyRevoked {
        host: String,
        address: String,
        port: u16,
        known_hosts: String,
        line: usize,
        fingerprint: String,
    },

    #[error("{host}: cannot use known_hosts file {known_hosts}: {reason}")]
    KnownHosts {
        host: String,
        known_hosts: String,
        reason: String,
    },

    #[error("{host}: cannot load private key {path}: {reason}")]
    Key {
        host: String,
        path: String,
        reason: String,
    },

    #[error("{host}: authentication as {user} failed: {reason}")]
    AuthFailed {
        host: String,
        user: String,
        reason: String,
    },

    #[error("{host}: {what} timed out after {}", humantime::format_duration(*.after))]
    Timeout {
        host: String,
        what: String,
        after: Duration,
    },

    #[error("{host}: SSH channel error while trying to {what}: {reason}")]
    Channel {
        host: String,
        what: String,
        reason: String,
    },

    /// A native SQL audit could not reach or log in to its database (tunnel, driver, login).
    #[error("{host}: {reason}")]
    Sql { host: String, reason: String },

    #[error("{host}: SSH protocol error: {reason}")]
    Protocol { host: String, reason: String },

    #[error("{host}: {what}: {source}")]
    Io {
        host: String,
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl ExecError {
    /// A short word for the kind of failure (the `reason` label of the SSH-failure metric).
    pub fn kind(&self) -> &'static str {
        match self {
            ExecError::Unreachable { .. } => "unreachable",
            ExecError::HostKeyUnknown { .. } => "host_key_unknown",
            ExecError::HostKeyMismatch { .. } => "host_key_mismatch",
            ExecError::HostKeyRevoked { .. } => "host_key_revoked",
            ExecError::KnownHosts { .. } => "known_hosts",
            ExecError::Key { .. } => "key",
            ExecError::AuthFailed { .. } => "auth",
            ExecError::Timeout { .. } => "timeout",
            ExecError::Channel { .. } => "channel",
            ExecError::Protocol { .. } => "protocol",
            ExecError::Io { .. } => "io",
            ExecError::Sql { .. } => "sql",
        }
    }

    /// The host (inventory name) the error is about.
    pub fn host(&self) -> &str {
        match self {
            ExecError::Unreachable { host, .. }
            | ExecError::HostKeyUnknown { host, .. }
            | ExecError::HostKeyMismatch { host, .. }
            | ExecError::HostKeyRevoked { host, .. }
            | ExecError::KnownHosts { host, .. }
            | ExecError::Key { host, .. }
            | ExecError::AuthFailed { host, .. }
            | ExecError::Timeout { host, .. }
            | ExecError::Channel { host, .. }
            | ExecError::Protocol { host, .. }
            | ExecError::Sql { host, .. }
            | ExecError::Io { host, .. } => host,
        }
    }

    /// True for failures that a retry may fix (network trouble), false for ones that need the
    /// operator (host keys, credentials).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ExecError::Unreachable { .. }
                | ExecError::Timeout { .. }
                | ExecError::Channel { .. }
                | ExecError::Protocol { .. }
                | ExecError::Io { .. }
        )
    }
}
