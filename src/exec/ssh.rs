//! SSH transport on russh: one verified, authenticated connection per host, one channel per step,
//! output streamed as lines, and cancel/timeout that kill the whole remote process group.
//!
//! How a step is killed: every command is wrapped as
//! `exec /bin/sh -c 'printf MARKER$$ >&2; exec /bin/sh -c CMD'`. OpenSSH starts each session's
//! shell with `setsid()`, so that shell's pid (`$$`, kept across both `exec`s) is the process
//! group of everything the step starts. The wrapper reports it on stderr as a marker line with a
//! per-run nonce, which is filtered out of the output. On cancel or timeout the session sends
//! `signal TERM` on the step's channel (OpenSSH delivers it with `killpg`) and, on a second
//! channel, runs `kill -TERM -PGID`, waits up to the grace period for the group to go, then
//! `kill -KILL -PGID`; finally the step's channel is closed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client;
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect, Sig};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::Sender;
use tokio::time::{Instant, sleep_until, timeout_at};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::error::ExecError;
use super::output::{LineSplitter, OutputChunk, OutputStream, RunOutcome};
use super::remote_group::{RemoteGroup, TAG_VAR};

/// How long to wait after `kill -TERM` before `kill -KILL`, unless changed per session.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(2);

/// How long a cancelled run waits for the process-group marker if it has not arrived yet.
const PGID_WAIT: Duration = Duration::from_secs(3);

/// How long to wait for the step's channel to close once its process group has been killed.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// Where and how to connect to one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// The inventory name, used in messages.
    pub host_name: String,
    /// IP address or DNS name to connect to; also the name looked up in known_hosts.
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Private key file (unencrypted); `None` authenticates with ssh-agent via `SSH_AUTH_SOCK`.
    pub key: Option<PathBuf>,
    pub known_hosts: PathBuf,
    /// Record unknown host keys into `known_hosts` instead of failing (never for changed keys).
    pub accept_new: bool,
    /// Limit for TCP connect, handshake and authentication together.
    pub connect_timeout: Duration,
}

impl SshTarget {
    /// The name known_hosts uses for this host: `address`, or `[address]:port` off port 22.
    pub fn known_hosts_name(&self) -> String {
        if self.port == 22 {
            self.address.clone()
        } else {
            format!("[{}]:{}", self.address, self.port)
        }
    }
}

/// An authenticated connection to one host; run any number of steps on it, even concurrently.
pub struct SshSession {
    handle: client::Handle<HostKeyChecker>,
    host_name: String,
    kill_grace: Duration,
}

/// What the host key check concluded, kept so a failed handshake can say why.
#[derive(Debug, Clone)]
enum KeyVerdict {
    Trusted,
    Unknown { fingerprint: String },
    Mismatch { line: usize, fingerprint: String },
    Revoked { line: usize, fingerprint: String },
    Failed(String),
}

struct HostKeyChecker {
    names: Vec<String>,
    port: u16,
    known_hosts: PathBuf,
    accept_new: bool,
    verdict: Arc<Mutex<Option<KeyVerdict>>>,
}

impl HostKeyChecker {
    fn check(&self, key: &PublicKey) -> KeyVerdict {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        match revoked_line(&self.known_hosts, key) {
            Ok(Some(line)) => return KeyVerdict::Revoked { line, fingerprint },
            Ok(None) => {}
            Err(e) => return KeyVerdict::Failed(e),
        }
        if let Some(verdict) = self.lookup(key, &fingerprint) {
            return verdict;
        }
        if !self.accept_new {
            return KeyVerdict::Unknown { fingerprint };
        }
        // Connections to many hosts learn into one file at once: one writer at a time, and look
        // again under the lock in case a parallel connection just learned this host.
        static LEARN: Mutex<()> = Mutex::new(());
        let _guard = LEARN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(verdict) = self.lookup(key, &fingerprint) {
            return verdict;
        }
        match russh::keys::known_hosts::learn_known_hosts_path(
            &self.names[0],
            self.port,
            key,
            &self.known_hosts,
        ) {
            Ok(()) => KeyVerdict::Trusted,
            Err(e) => KeyVerdict::Failed(format!("cannot record the new host key: {e}")),
        }
    }

    /// The verdict when known_hosts has an entry of this key's algorithm for one of our names.
    fn lookup(&self, key: &PublicKey, fingerprint: &str) -> Option<KeyVerdict> {
        for name in &self.names {
            match russh::keys::check_known_hosts_path(name, self.port, key, &self.known_hosts) {
                Ok(true) => return Some(KeyVerdict::Trusted),
                Ok(false) => {}
                Err(russh::keys::Error::KeyChanged { line }) => {
                    return Some(KeyVerdict::Mismatch {
                        line,
                        fingerprint: fingerprint.to_string(),
                    });
                }
                Err(e) => return Some(KeyVerdict::Failed(e.to_string())),
            }
        }
        None
    }
}

/// The line of an `@revoked` entry for `key` in known_hosts, whatever host it names (OpenSSH never
/// accepts a revoked key). russh's own lookup skips marker lines, so they are read here.
fn revoked_line(path: &std::path::Path, key: &PublicKey) -> Result<Option<usize>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        if fields.next() != Some("@revoked") {
            continue;
        }
        let (_hosts, _alg, b64) = (fields.next(), fields.next(), fields.next());
        if let Some(b64) = b64
            && let Ok(revoked) = russh::keys::parse_public_key_base64(b64)
            && revoked.key_data() == key.key_data()
        {
            return Ok(Some(i + 1));
        }
    }
    Ok(None)
}

impl client::Handler for HostKeyChecker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let verdict = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.check(key),
            PublicKeyOrCertificate::Certificate(_) => KeyVerdict::Failed(
                "the server presented a host certificate; only plain host keys are supported"
                    .into(),
            ),
        };
        let trusted = matches!(verdict, KeyVerdict::Trusted);
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(trusted)
    }
}

/// Connects to `target`, verifies its host key against known_hosts and authenticates.
pub async fn connect(target: &SshTarget) -> Result<SshSession, ExecError> {
    let host = target.host_name.clone();
    let deadline = Instant::now() + target.connect_timeout;
    let timeout = |what: &str| ExecError::Timeout {
        host: host.clone(),
        what: format!(
            "{what} ({}@{}:{})",
            target.user, target.address, target.port
        ),
        after: target.connect_timeout,
    };

    // TCP first, so "refused"/"no route" are told apart from SSH-level trouble.
    let stream = match timeout_at(
        deadline,
        tokio::net::TcpStream::connect((target.address.as_str(), target.port)),
    )
    .await
    {
        Err(_) => return Err(timeout("connecting")),
        Ok(Err(e)) => {
            return Err(ExecError::Unreachable {
                host,
                address: target.address.clone(),
                port: target.port,
                reason: e.to_string(),
            });
        }
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);

    let verdict = Arc::new(Mutex::new(None));
    let mut names = vec![target.address.clone()];
    if !target.host_name.is_empty() && target.host_name != target.address {
        names.push(target.host_name.clone());
    }
    let checker = HostKeyChecker {
        names,
        port: target.port,
        known_hosts: target.known_hosts.clone(),
        accept_new: target.accept_new,
        verdict: Arc::clone(&verdict),
    };
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });

    let handshake = timeout_at(deadline, client::connect_stream(config, stream, checker)).await;
    let recorded = verdict.lock().ok().and_then(|v| v.clone());
    let mut handle = match handshake {
        Ok(Ok(handle)) => handle,
        Ok(Err(e)) => return Err(handshake_error(target, recorded, e.to_string())),
        Err(_) => {
            return Err(match recorded {
                Some(KeyVerdict::Trusted) | None => timeout("SSH handshake"),
                other => handshake_error(target, other, "timed out".into()),
            });
        }
    };

    match timeout_at(deadline, authenticate(&mut handle, target)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
            return Err(e);
        }
        Err(_) => return Err(timeout("authentication")),
    }

    Ok(SshSession {
        handle,
        host_name: target.host_name.clone(),
        kill_grace: DEFAULT_KILL_GRACE,
    })
}

fn handshake_error(target: &SshTarget, verdict: Option<KeyVerdict>, reason: String) -> ExecError {
    let host = target.host_name.clone();
    let known_hosts = target.known_hosts.display().to_string();
    match verdict {
        Some(KeyVerdict::Unknown { fingerprint }) => ExecError::HostKeyUnknown {
            host,
            address: target.address.clone(),
            port: target.port,
            known_hosts,
            fingerprint,
        },
        Some(KeyVerdict::Mismatch { line, fingerprint }) => ExecError::HostKeyMismatch {
            host,
            address: target.address.clone(),
            port: target.port,
            known_hosts,
            line,
            fingerprint,
        },
        Some(KeyVerdict::Revoked { line, fingerprint }) => ExecError::HostKeyRevoked {
            host,
            address: target.address.clone(),
            port: target.port,
            known_hosts,
            line,
            fingerprint,
        },
        Some(KeyVerdict::Failed(reason)) => ExecError::KnownHosts {
            host,
            known_hosts,
            reason,
        },
        Some(KeyVerdict::Trusted) | None => ExecError::Protocol {
            host,
            reason: format!(
                "handshake with {}:{} failed: {reason}",
                target.address, target.port
            ),
        },
    }
}

async fn authenticate(
    handle: &mut client::Handle<HostKeyChecker>,
    target: &SshTarget,
) -> Result<(), ExecError> {
    let host = target.host_name.clone();
    let auth_failed = |reason: String| ExecError::AuthFailed {
        host: host.clone(),
        user: target.user.clone(),
        reason,
    };
    let protocol = |e: russh::Error| ExecError::Protocol {
        host: host.clone(),
        reason: format!("during authentication: {e}"),
    };

    if let Some(path) = &target.key {
        let key = load_key(path).map_err(|reason| ExecError::Key {
            host: host.clone(),
            path: path.display().to_string(),
            reason,
        })?;
        let hash = if key.algorithm().is_rsa() {
            handle
                .best_supported_rsa_hash()
                .await
                .ok()
                .flatten()
                .flatten()
        } else {
            None
        };
        let result = handle
            .authenticate_publickey(
                target.user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(protocol)?;
        return if result.success() {
            Ok(())
        } else {
            Err(auth_failed(format!(
                "the server rejected key {} (is its public key in {}'s authorized_keys?)",
                path.display(),
                target.user
            )))
        };
    }

    let mut agent = AgentClient::connect_env().await.map_err(|e| {
        auth_failed(format!(
            "no key file is configured and ssh-agent is not available ({e}); \
             set a key for this host or start ssh-agent and export SSH_AUTH_SOCK"
        ))
    })?;
    let identities = agent
        .request_identities()
        .await
        .map_err(|e| auth_failed(format!("cannot list ssh-agent keys: {e}")))?;
    let mut tried = 0;
    for identity in identities {
        let AgentIdentity::PublicKey { key, .. } = identity else {
            continue;
        };
        tried += 1;
        let hash = if key.algorithm().is_rsa() {
            handle
                .best_supported_rsa_hash()
                .await
                .ok()
                .flatten()
                .flatten()
        } else {
            None
        };
        match handle
            .authenticate_publickey_with(target.user.clone(), key, hash, &mut agent)
            .await
        {
            Ok(result) if result.success() => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(auth_failed(format!("ssh-agent could not sign: {e}"))),
        }
    }
    Err(auth_failed(if tried == 0 {
        "ssh-agent holds no keys; add one with `ssh-add`".into()
    } else {
        format!("the server rejected all {tried} key(s) offered by ssh-agent")
    }))
}

fn load_key(path: &Path) -> Result<russh::keys::PrivateKey, String> {
    match russh::keys::load_secret_key(path, None) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(
            "the key is protected by a passphrase; load it into ssh-agent and leave the key unset"
                .into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}

/// Why a run is being stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Cancelled,
    TimedOut,
}

impl SshSession {
    /// Opens a `direct-tcpip` channel from this host to `host:port` (an SSH tunnel, as `ssh -L` does).
    pub async fn direct_tcpip(
        &self,
        host: &str,
        port: u16,
    ) -> Result<russh::ChannelStream<client::Msg>, russh::Error> {
        let ch = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await?;
        Ok(ch.into_stream())
    }
    /// The inventory name of the host this session is connected to.
    pub fn host_name(&self) -> &str {
        &self.host_name
    }

    /// True once the connection has gone (closed by either side or lost).
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Sets how long cancel/timeout waits between `kill -TERM` and `kill -KILL`.
    pub fn set_kill_grace(&mut self, grace: Duration) {
        self.kill_grace = grace;
    }

    /// Runs `command` through the remote shell on a new channel of this connection.
    ///
    /// Output arrives on `out` as complete lines. `stdin`, when given, is written and then
    /// closed (EOF); without it stdin is closed at once. Cancelling `cancel` or reaching
    /// `timeout` kills the remote process group (TERM, then KILL after the grace period) and
    /// returns an outcome with `cancelled`/`timed_out` set. A dropped `out` receiver is ignored.
    pub async fn run(
        &self,
        command: &str,
        stdin: Option<Vec<u8>>,
        out: Sender<OutputChunk>,
        cancel: CancellationToken,
        timeout: Option<Duration>,
    ) -> Result<RunOutcome, ExecError> {
        let tag = nonce();
        let marker = format!("__OPSDECK_PGID_{tag}=");
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| self.channel_error("open a channel", e))?;
        channel
            .exec(true, wrap_command(command, &marker, &tag))
            .await
            .map_err(|e| self.channel_error("start the command", e))?;

        let _stdin_writer = match stdin {
            Some(data) => {
                let mut writer = channel.make_writer();
                Some(AbortOnDropHandle::new(tokio::spawn(async move {
                    // A command that exits without reading its stdin is not an error.
                    let _ = writer.write_all(&data).await;
                    let _ = writer.shutdown().await;
                })))
            }
            None => {
                channel
                    .eof()
                    .await
                    .map_err(|e| self.channel_error("close stdin", e))?;
                None
            }
        };

        let deadline = timeout.map(|t| Instant::now() + t);
        let mut stdout = LineSplitter::new();
        let mut stderr = LineSplitter::new();
        let mut outcome = RunOutcome::default();
        let mut pgid: Option<i32> = None;
        let mut stop: Option<(Stop, Instant)> = None;
        let mut kill: Option<futures::future::BoxFuture<'_, ()>> = None;
        let mut killed_at: Option<Instant> = None;
        let mut closed = false;
        let mut refused = false;
        let mut lost = false;

        loop {
            let kill_running = kill.is_some() && killed_at.is_none();
            tokio::select! {
                biased;
                _ = cancel.cancelled(), if stop.is_none() => {
                    stop = Some((Stop::Cancelled, Instant::now()));
                    let _ = channel.signal(Sig::TERM).await;
                }
                _ = sleep_opt(deadline), if stop.is_none() => {
                    stop = Some((Stop::TimedOut, Instant::now()));
                    let _ = channel.signal(Sig::TERM).await;
                }
                _ = async { if let Some(k) = kill.as_mut() { k.await } }, if kill_running => {
                    killed_at = Some(Instant::now());
                }
                msg = channel.wait(), if !closed => match msg {
                    None => {
                        // The session dropped the channel without a Close: connection gone.
                        lost = true;
                        closed = true;
                    }
                    Some(ChannelMsg::Close) => closed = true,
                    Some(ChannelMsg::Data { data }) => {
                        for line in stdout.push(&data) {
                            emit(&out, OutputStream::Stdout, line).await;
                        }
                    }
                    Some(ChannelMsg::ExtendedData { data, ext }) => {
                        let (splitter, stream) = if ext == 1 {
                            (&mut stderr, OutputStream::Stderr)
                        } else {
                            (&mut stdout, OutputStream::Stdout)
                        };
                        for line in splitter.push(&data) {
                            if stream == OutputStream::Stderr
                                && pgid.is_none()
                                && let Some(found) = parse_marker(&line, &marker)
                            {
                                pgid = Some(found);
                                let group = RemoteGroup { pgid: found, tag: tag.clone() };
                                emit(&out, OutputStream::Group, group.field()).await;
                                continue;
                            }
                            emit(&out, stream, line).await;
                        }
                    }
                    Some(ChannelMsg::ExitStatus { exit_status }) => {
                        outcome.exit_code = Some(i32::try_from(exit_status).unwrap_or(i32::MAX));
                    }
                    Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                        outcome.signal = Some(signal_text(&signal_name));
                    }
                    Some(ChannelMsg::Failure) => {
                        refused = true;
                        closed = true;
                    }
                    Some(_) => {}
                },
                _ = tokio::time::sleep(Duration::from_millis(100)), if stop.is_some() => {}
            }

            let Some((_, since)) = stop else {
                if closed {
                    break;
                }
                continue;
            };
            if kill.is_none() {
                if let Some(group) = pgid {
                    kill = Some(Box::pin(self.kill_group(group)));
                } else if closed || since.elapsed() >= PGID_WAIT {
                    // Nothing reported a process group: the command never started or is gone.
                    let _ = channel.signal(Sig::KILL).await;
                    break;
                }
            }
            if let Some(at) = killed_at {
                if closed || at.elapsed() >= CLOSE_WAIT {
                    break;
                }
            } else if since.elapsed() >= self.kill_grace + CLOSE_WAIT + Duration::from_secs(10) {
                break;
            }
        }
        if let Some((why, _)) = stop {
            match why {
                Stop::Cancelled => outcome.cancelled = true,
                Stop::TimedOut => outcome.timed_out = true,
            }
        }

        if let Some(line) = stdout.finish() {
            emit(&out, OutputStream::Stdout, line).await;
        }
        if let Some(line) = stderr.finish()
            && (pgid.is_some() || parse_marker(&line, &marker).is_none())
        {
            emit(&out, OutputStream::Stderr, line).await;
        }
        let _ = channel.close().await;

        if refused {
            return Err(ExecError::Channel {
                host: self.host_name.clone(),
                what: "start the command".into(),
                reason: "the server refused to execute it".into(),
            });
        }
        if stop.is_none()
            && outcome.exit_code.is_none()
            && outcome.signal.is_none()
            && (lost || self.handle.is_closed())
        {
            return Err(ExecError::Channel {
                host: self.host_name.clone(),
                what: "run the command".into(),
                reason: "the connection was lost before the command finished".into(),
            });
        }
        Ok(outcome)
    }

    /// Kills process group `pgid` on the host over a separate channel: TERM, wait up to the
    /// grace period for it to disappear, then KILL. Errors are ignored: the caller reports the
    /// step as cancelled/timed out either way, and there is nobody to tell a kill failure to
    /// except the log (which the step's own channel no longer feeds).
    async fn kill_group(&self, pgid: i32) {
        if pgid <= 1 {
            return;
        }
        let tenths = (self.kill_grace.as_millis() / 100).max(1);
        let script = format!(
            "pg={pgid}; kill -TERM -$pg 2>/dev/null || exit 0; i=0; \
             while [ $i -lt {tenths} ]; do kill -0 -$pg 2>/dev/null || exit 0; \
             sleep 0.1; i=$((i+1)); done; kill -KILL -$pg 2>/dev/null; exit 0"
        );
        let command = format!("exec /bin/sh -c {}", quote(&script));
        let limit = Instant::now() + self.kill_grace + Duration::from_secs(10);
        let _ = timeout_at(limit, async {
            let mut channel = self.handle.channel_open_session().await?;
            channel.exec(true, command).await?;
            channel.eof().await?;
            while let Some(msg) = channel.wait().await {
                if matches!(msg, ChannelMsg::Close) {
                    break;
                }
            }
            let _ = channel.close().await;
            Ok::<(), russh::Error>(())
        })
        .await;
    }

    /// Disconnects politely.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }

    fn channel_error(&self, what: &str, e: russh::Error) -> ExecError {
        ExecError::Channel {
            host: self.host_name.clone(),
            what: what.into(),
            reason: e.to_string(),
        }
    }
}

/// Wraps a command so that it runs under `/bin/sh` whatever the login shell is, first reports
/// its process group on stderr as `MARKER<pgid>`, exports `OPSDECK_STEP=TAG` (so another node can
/// tell the group is still this step's before ending it), and dies with the connection (the
/// orphan guard).
fn wrap_command(command: &str, marker: &str, tag: &str) -> String {
    let inner = format!(
        "printf '%s%s\\n' {} \"$$\" >&2; {}={}; export {}; {}",
        quote(marker),
        TAG_VAR,
        quote(tag),
        TAG_VAR,
        super::render::guarded(command)
    );
    format!("exec /bin/sh -c {}", quote(&inner))
}

fn quote(s: &str) -> String {
    shell_escape::unix::escape(s.into()).into_owned()
}

fn parse_marker(line: &str, marker: &str) -> Option<i32> {
    let digits = line.strip_prefix(marker)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&p: &i32| p > 1)
}

fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:x}{n:x}", std::process::id(), nanos)
}

fn signal_text(sig: &Sig) -> String {
    match sig {
        Sig::Custom(name) => name.clone(),
        other => format!("{other:?}"),
    }
}

async fn emit(out: &Sender<OutputChunk>, stream: OutputStream, line: String) {
    // A receiver that went away must not stop the command from being waited for.
    let _ = out.send(OutputChunk { stream, line }).await;
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_are_recognised_only_exactly() {
        let m = "__OPSDECK_PGID_abc=";
        assert_eq!(parse_marker("__OPSDECK_PGID_abc=1234", m), Some(1234));
        assert_eq!(parse_marker("__OPSDECK_PGID_abc=", m), None);
        assert_eq!(parse_marker("__OPSDECK_PGID_abc=12x", m), None);
        assert_eq!(parse_marker("__OPSDECK_PGID_abc=1", m), None);
        assert_eq!(parse_marker("__OPSDECK_PGID_xyz=1234", m), None);
    }

    #[test]
    fn wrapped_command_runs_the_original_under_sh() {
        let wrapped = wrap_command("echo 'a b'; exit 3", "__M=", "t1");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&wrapped)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b\n");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("__M="), "{err}");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
