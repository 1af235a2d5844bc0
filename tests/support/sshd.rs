//! A real OpenSSH server for tests: N loopback hosts (127.0.0.2, 127.0.0.3, …) on one port.

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{current_user, free_port, stop_child, wait_for_tcp};

/// The sshd binary the harness runs (sshd must be started by absolute path).
pub const SSHD: &str = "/usr/sbin/sshd";

/// sshd accepts at most 16 `ListenAddress` lines per process.
const MAX_LISTEN_PER_PROCESS: usize = 16;

/// One listening test host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    pub address: String,
    pub port: u16,
}

impl SshHost {
    /// `[address]:port`, the way known_hosts names a host on a non-default port.
    pub fn known_hosts_name(&self) -> String {
        format!("[{}]:{}", self.address, self.port)
    }
}

/// Running sshd processes plus the keys and files a client needs to reach them.
pub struct Sshd {
    pub hosts: Vec<SshHost>,
    pub port: u16,
    /// The user to log in as (the user running the tests).
    pub user: String,
    /// Private key (ed25519, no passphrase) listed in `authorized_keys`.
    pub client_key: PathBuf,
    /// known_hosts listing the real host key for every `[127.0.0.X]:PORT`.
    pub known_hosts: PathBuf,
    /// A private key that is NOT authorized.
    pub wrong_key: PathBuf,
    /// known_hosts listing a different host key for the same addresses.
    pub bad_known_hosts: PathBuf,
    /// The temporary directory holding everything (removed on drop).
    pub dir: tempfile::TempDir,
    /// First on the PATH of every session (sshd `SetEnv`): put stand-in commands here.
    pub bin_dir: PathBuf,
    children: Vec<Child>,
}

impl Sshd {
    /// Starts sshd for `n_hosts` addresses (127.0.0.2 upwards), waiting until every one accepts TCP.
    pub fn start(n_hosts: usize) -> Sshd {
        assert!((1..=250).contains(&n_hosts), "1..=250 hosts supported");
        Sshd::start_on((0..n_hosts).map(|i| format!("127.0.0.{}", i + 2)).collect())
    }

    /// Starts sshd on the given loopback addresses (e.g. `127.0.0.1` for CODO's sample host).
    pub fn start_on(addresses: Vec<String>) -> Sshd {
        Sshd::start_configured(addresses, "")
    }

    /// Starts sshd on `addresses` with `extra` appended to its config (e.g. `AllowTcpForwarding no`).
    pub fn start_configured(addresses: Vec<String>, extra: &str) -> Sshd {
        assert!(
            !addresses.is_empty() && addresses.iter().all(|a| a.starts_with("127.")),
            "loopback addresses only"
        );
        fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-sshd-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        fs::create_dir_all(d.join("bin")).expect("create bin dir");
        let host_key = keygen(d, "host_key");
        let other_host_key = keygen(d, "other_host_key");
        let client_key = keygen(d, "id_ed25519");
        let wrong_key = keygen(d, "wrong_key");
        let authorized_keys = d.join("authorized_keys");
        fs::copy(pub_of(&client_key), &authorized_keys).expect("write authorized_keys");

        let mut last_err = String::new();
        for attempt in 0..8 {
            let port = free_port();
            match spawn_all(
                d,
                &addresses,
                port,
                &host_key,
                &authorized_keys,
                attempt,
                extra,
            ) {
                Ok(children) => {
                    let hosts: Vec<SshHost> = addresses
                        .iter()
                        .map(|a| SshHost {
                            address: a.clone(),
                            port,
                        })
                        .collect();
                    let known_hosts = d.join("known_hosts");
                    let bad_known_hosts = d.join("bad_known_hosts");
                    write_known_hosts(&known_hosts, &hosts, &pub_of(&host_key));
                    write_known_hosts(&bad_known_hosts, &hosts, &pub_of(&other_host_key));
                    return Sshd {
                        hosts,
                        port,
                        user: current_user(),
                        client_key,
                        known_hosts,
                        wrong_key,
                        bad_known_hosts,
                        bin_dir: d.join("bin"),
                        dir,
                        children,
                    };
                }
                Err(e) => last_err = e,
            }
        }
        panic!("could not start sshd: {last_err}");
    }

    /// The sshd logs (stderr of every process), for failure messages.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for i in 0..self.children.len() {
            let path = self.dir.path().join(format!("sshd.{i}.log"));
            let _ = writeln!(all, "--- {}", path.display());
            all.push_str(&fs::read_to_string(&path).unwrap_or_default());
        }
        all
    }

    /// A copy of `known_hosts` (or an empty file when `with_entries` is false) inside the temp dir.
    pub fn copy_known_hosts(&self, name: &str, with_entries: bool) -> PathBuf {
        let path = self.dir.path().join(name);
        if with_entries {
            fs::copy(&self.known_hosts, &path).expect("copy known_hosts");
        } else {
            fs::write(&path, "").expect("write empty known_hosts");
        }
        path
    }
}

impl Sshd {
    /// Kills every per-connection sshd process (sshd puts each in its own session, so stopping
    /// the listeners alone leaves established connections up). Clients see the connection drop.
    pub fn kill_connections(&self) {
        let pids: Vec<libc::pid_t> = self
            .children
            .iter()
            .flat_map(|c| children_of(c.id() as libc::pid_t))
            .collect();
        for &pid in &pids {
            // SAFETY: plain syscall on processes our own sshd forked.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Pids whose parent is `parent`, from /proc.
fn children_of(parent: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|&pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // Fields after the command name (which may contain spaces) in parentheses.
                    let rest = &stat[stat.rfind(')')? + 2..];
                    rest.split(' ').nth(1)?.parse::<libc::pid_t>().ok()
                })
                == Some(parent)
        })
        .collect()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill_connections();
        for child in &mut self.children {
            stop_child(child, Duration::from_secs(2));
        }
    }
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed for {name}");
    path
}

fn pub_of(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_known_hosts(path: &Path, hosts: &[SshHost], host_pub: &Path) {
    let public = fs::read_to_string(host_pub).expect("read host public key");
    let mut fields = public.split_whitespace();
    let (alg, b64) = (fields.next().unwrap(), fields.next().unwrap());
    let mut text = String::new();
    for h in hosts {
        let _ = writeln!(text, "{} {alg} {b64}", h.known_hosts_name());
    }
    fs::write(path, text).expect("write known_hosts");
}

fn spawn_all(
    dir: &Path,
    addresses: &[String],
    port: u16,
    host_key: &Path,
    authorized_keys: &Path,
    attempt: usize,
    extra: &str,
) -> Result<Vec<Child>, String> {
    let mut children: Vec<Child> = Vec::new();
    let result = (|| {
        for (i, chunk) in addresses.chunks(MAX_LISTEN_PER_PROCESS).enumerate() {
            let config = dir.join(format!("sshd_config.{i}"));
            let mut text = String::new();
            for a in chunk {
                let _ = writeln!(text, "ListenAddress {a}:{port}");
            }
            let _ = write!(
                text,
                "HostKey {host_key}\n\
                 AuthorizedKeysFile {authorized_keys}\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\n\
                 PidFile none\n\
                 MaxStartups 200:30:400\n\
                 MaxSessions 100\n\
                 LogLevel ERROR\n\
                 SetEnv PATH={bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
                bin = dir.join("bin").display(),
                host_key = host_key.display(),
                authorized_keys = authorized_keys.display(),
            );
            text.push_str(extra);
            fs::write(&config, text).map_err(|e| format!("write config: {e}"))?;
            let log = fs::File::create(dir.join(format!("sshd.{i}.log")))
                .map_err(|e| format!("create log: {e}"))?;
            let child = Command::new(super::sshd::SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .process_group(0)
                .spawn()
                .map_err(|e| format!("spawn sshd: {e}"))?;
            children.push(child);
        }
        for (i, chunk) in addresses.chunks(MAX_LISTEN_PER_PROCESS).enumerate() {
            for a in chunk {
                let addr: SocketAddr = format!("{a}:{port}").parse().map_err(|e| format!("{e}"))?;
                wait_for_tcp(addr, &mut children[i], Duration::from_secs(10)).map_err(|e| {
                    let log =
                        fs::read_to_string(dir.join(format!("sshd.{i}.log"))).unwrap_or_default();
                    format!("attempt {attempt}, port {port}: sshd: {e}; log: {log}")
                })?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(children),
        Err(e) => {
            for child in &mut children {
                stop_child(child, Duration::from_millis(500));
            }
            Err(e)
        }
    }
}
