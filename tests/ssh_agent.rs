//! ssh-agent authentication (`key: None`). One test per binary because it sets `SSH_AUTH_SOCK`
//! for the whole process.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsdeck::exec::ExecError;
use opsdeck::exec::ssh::{SshTarget, connect};
use support::{Sshd, require_system};
use tokio_util::sync::CancellationToken;

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn authenticates_with_keys_from_ssh_agent() {
    if !require_system(support::sshd::SSHD)
        || !require_system("ssh-agent")
        || !require_system("ssh-add")
    {
        return;
    }
    let sshd = Sshd::start(1);
    let sock = sshd.dir.path().join("agent.sock");
    let agent = Agent(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "agent socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: no other thread is running yet in this test binary (single test, no runtime).
    unsafe { std::env::set_var("SSH_AUTH_SOCK", &sock) };

    let h = &sshd.hosts[0];
    let target = SshTarget {
        host_name: "agent-host".into(),
        address: h.address.clone(),
        port: h.port,
        user: sshd.user.clone(),
        key: None,
        known_hosts: sshd.known_hosts.clone(),
        accept_new: false,
        connect_timeout: Duration::from_secs(10),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();

    // An empty agent: a clear failure.
    let err = rt.block_on(connect(&target)).err().expect("must fail");
    assert!(matches!(err, ExecError::AuthFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("ssh-add"), "{err}");

    // Only an unauthorized key: rejected.
    let add = |key: &std::path::Path| {
        let status = Command::new("ssh-add")
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &sock)
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };
    add(&sshd.wrong_key);
    let err = rt.block_on(connect(&target)).err().expect("must fail");
    assert!(matches!(err, ExecError::AuthFailed { .. }), "{err:?}");

    // With the authorized key too: works.
    add(&sshd.client_key);
    rt.block_on(async {
        let session = connect(&target).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let outcome = session
            .run("echo via-agent", None, tx, CancellationToken::new(), None)
            .await
            .unwrap();
        assert_eq!(outcome.exit_code, Some(0));
        assert_eq!(rx.recv().await.unwrap().line, "via-agent");
        session.close().await;
    });
    drop(agent);

    // No agent at all.
    // SAFETY: the runtime's worker threads do not read the environment.
    unsafe { std::env::remove_var("SSH_AUTH_SOCK") };
    let err = rt.block_on(connect(&target)).err().expect("must fail");
    assert!(matches!(err, ExecError::AuthFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("SSH_AUTH_SOCK"), "{err}");
}
