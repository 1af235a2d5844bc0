//! Integration tests of the russh transport against real sshd hosts from tests/support.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use opsdeck::exec::ssh::{SshSession, SshTarget, connect};
use opsdeck::exec::{ExecError, OutputChunk, OutputStream, RunOutcome};
use support::{Sshd, require_system};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn target(sshd: &Sshd, i: usize) -> SshTarget {
    let h = &sshd.hosts[i];
    SshTarget {
        host_name: format!("web-{i}"),
        address: h.address.clone(),
        port: h.port,
        user: sshd.user.clone(),
        key: Some(sshd.client_key.clone()),
        known_hosts: sshd.known_hosts.clone(),
        accept_new: false,
        connect_timeout: Duration::from_secs(10),
    }
}

fn have_sshd() -> bool {
    require_system(support::sshd::SSHD)
}

/// Runs a command and collects its lines.
async fn run(
    session: &SshSession,
    command: &str,
    stdin: Option<Vec<u8>>,
    cancel: CancellationToken,
    timeout: Option<Duration>,
) -> (Result<RunOutcome, ExecError>, Vec<OutputChunk>) {
    let (tx, mut rx) = mpsc::channel(64);
    let collector = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(chunk) = rx.recv().await {
            lines.push(chunk);
        }
        lines
    });
    let result = session.run(command, stdin, tx, cancel, timeout).await;
    (result, collector.await.unwrap())
}

fn lines_of(chunks: &[OutputChunk], stream: OutputStream) -> Vec<&str> {
    chunks
        .iter()
        .filter(|c| c.stream == stream)
        .map(|c| c.line.as_str())
        .collect()
}

/// A `sleep` argument no other process on the machine uses, so `pgrep -f` finds only ours.
fn unique_sleep() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}.{}{:09}", 600 + std::process::id() % 1000, 1, nanos)
}

fn pgrep_count(pattern: &str) -> usize {
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(pattern)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

async fn wait_until_gone(pattern: &str, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if pgrep_count(pattern) == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn wait_until_running(pattern: &str, n: usize) {
    let start = Instant::now();
    while pgrep_count(pattern) < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{pattern} never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_stdout_and_stderr_lines_and_the_exit_code() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let (outcome, chunks) = run(
        &session,
        "echo hi; echo err >&2; printf 'crlf\\r\\nno-newline'; exit 3",
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.exit_code, Some(3));
    assert!(!outcome.cancelled && !outcome.timed_out && !outcome.success());
    assert_eq!(
        lines_of(&chunks, OutputStream::Stdout),
        vec!["hi", "crlf", "no-newline"]
    );
    assert_eq!(lines_of(&chunks, OutputStream::Stderr), vec!["err"]);
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lines_are_split_and_invalid_utf8_is_replaced() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let (outcome, chunks) = run(
        &session,
        "head -c 200000 /dev/zero | tr '\\0' x; echo; printf 'a\\377b\\n'",
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    let out = lines_of(&chunks, OutputStream::Stdout);
    let lens: Vec<usize> = out.iter().map(|l| l.len()).collect();
    assert_eq!(lens[..4], [65536, 65536, 65536, 200000 - 3 * 65536]);
    assert_eq!(out[4], "a\u{fffd}b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_is_delivered_and_closed() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let (outcome, chunks) = run(
        &session,
        "cat",
        Some(b"SELECT 1;\nSELECT 'a''b';\n".to_vec()),
        CancellationToken::new(),
        Some(Duration::from_secs(20)),
    )
    .await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    assert_eq!(
        lines_of(&chunks, OutputStream::Stdout),
        vec!["SELECT 1;", "SELECT 'a''b';"]
    );

    // More than the SSH window, so flow control is exercised.
    let big = vec![b'z'; 5 * 1024 * 1024];
    let (outcome, chunks) = run(
        &session,
        "wc -c",
        Some(big),
        CancellationToken::new(),
        Some(Duration::from_secs(30)),
    )
    .await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    assert_eq!(
        lines_of(&chunks, OutputStream::Stdout),
        vec![(5 * 1024 * 1024).to_string()]
    );

    // Without stdin the command sees EOF at once instead of hanging.
    let (outcome, chunks) = run(
        &session,
        "cat; echo done",
        None,
        CancellationToken::new(),
        Some(Duration::from_secs(10)),
    )
    .await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    assert_eq!(lines_of(&chunks, OutputStream::Stdout), vec!["done"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_steps_reuse_one_connection() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    for i in 0..20 {
        let (outcome, chunks) = run(
            &session,
            &format!("echo step-{i}"),
            None,
            CancellationToken::new(),
            None,
        )
        .await;
        assert_eq!(outcome.unwrap().exit_code, Some(0));
        assert_eq!(
            lines_of(&chunks, OutputStream::Stdout),
            vec![format!("step-{i}")]
        );
    }
    // Channels of one connection can also run side by side.
    let runs = (0..5).map(|i| {
        let session = &session;
        async move {
            run(
                session,
                &format!("sleep 0.3; echo par-{i}"),
                None,
                CancellationToken::new(),
                None,
            )
            .await
        }
    });
    for (i, (outcome, chunks)) in futures::future::join_all(runs)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(outcome.unwrap().exit_code, Some(0));
        assert_eq!(
            lines_of(&chunks, OutputStream::Stdout),
            vec![format!("par-{i}")]
        );
    }

    if require_system("ss") {
        let out = Command::new("ss")
            .args(["-Htn", "state", "established", "dport", "="])
            .arg(format!(":{}", sshd.port))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.lines().count(),
            1,
            "expected exactly one client connection:\n{text}"
        );
    }
    assert!(!session.is_closed());
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_key_is_refused_with_advice() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut t = target(&sshd, 0);
    t.known_hosts = sshd.copy_known_hosts("empty_known_hosts", false);
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyUnknown { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("[{}]:{}", t.address, t.port)),
        "{msg}"
    );
    assert!(msg.contains("web-0"), "{msg}");
    assert!(msg.contains("ssh-keyscan"), "{msg}");
    assert!(msg.contains("SHA256:"), "{msg}");
    // The file is left alone.
    assert_eq!(std::fs::read_to_string(&t.known_hosts).unwrap(), "");

    // A known_hosts file that does not exist is just as unknown.
    t.known_hosts = sshd.dir.path().join("missing/known_hosts");
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyUnknown { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatching_host_key_is_refused_even_with_accept_new() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut t = target(&sshd, 0);
    t.known_hosts = sshd.bad_known_hosts.clone();
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "host key for [{}]:{} does not match known_hosts — possible man-in-the-middle",
            t.address, t.port
        )),
        "{msg}"
    );

    t.accept_new = true;
    let before = std::fs::read_to_string(&t.known_hosts).unwrap();
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyMismatch { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&t.known_hosts).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_host_key_is_refused_like_openssh_does() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut t = target(&sshd, 0);
    // The real entry stays; an `@revoked` line for the same key (any host pattern) wins.
    let real = std::fs::read_to_string(&sshd.known_hosts).unwrap();
    let entry = real.lines().next().expect("an entry").to_string();
    let mut fields = entry.split_whitespace().skip(1);
    let (alg, b64) = (fields.next().unwrap(), fields.next().unwrap());
    t.known_hosts = sshd.copy_known_hosts("revoked_known_hosts", true);
    let text = format!("{real}# retired after the key leaked\n@revoked * {alg} {b64}\n");
    std::fs::write(&t.known_hosts, &text).unwrap();
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyRevoked { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("REVOKED HOST KEY DETECTED"), "{msg}");
    let line = real.lines().count() + 2;
    assert!(
        msg.contains(&format!("line {line} marks @revoked")),
        "{msg}"
    );

    // accept-new never learns a revoked key either.
    t.known_hosts = sshd.copy_known_hosts("revoked_only", false);
    std::fs::write(&t.known_hosts, format!("@revoked 127.0.0.* {alg} {b64}\n")).unwrap();
    t.accept_new = true;
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::HostKeyRevoked { .. }), "{err:?}");
    assert_eq!(
        std::fs::read_to_string(&t.known_hosts)
            .unwrap()
            .lines()
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_new_learns_the_key_into_known_hosts() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(2);
    let mut t = target(&sshd, 1);
    t.known_hosts = sshd.copy_known_hosts("learned_known_hosts", false);
    t.accept_new = true;
    let session = connect(&t).await.unwrap();
    let (outcome, _) = run(&session, "true", None, CancellationToken::new(), None).await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    session.close().await;

    let learned = std::fs::read_to_string(&t.known_hosts).unwrap();
    let expected = std::fs::read_to_string(&sshd.known_hosts).unwrap();
    let expected_line = expected
        .lines()
        .find(|l| l.starts_with(&format!("[{}]:{} ", t.address, t.port)))
        .unwrap();
    assert_eq!(learned.trim(), expected_line.trim());

    // Now known: strict checking accepts it, and nothing more is appended.
    t.accept_new = false;
    connect(&t).await.unwrap().close().await;
    assert_eq!(std::fs::read_to_string(&t.known_hosts).unwrap(), learned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_key_fails_authentication() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut t = target(&sshd, 0);
    t.key = Some(sshd.wrong_key.clone());
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::AuthFailed { .. }), "{err:?}");
    assert!(err.to_string().contains(&sshd.user), "{err}");

    t.key = Some(sshd.dir.path().join("no-such-key"));
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::Key { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_port_and_silent_server_fail_within_the_timeout() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut t = target(&sshd, 0);
    t.connect_timeout = Duration::from_secs(2);

    // Nothing listens on this port: refused at once.
    t.port = support::free_port();
    t.address = "127.0.0.1".into();
    let start = Instant::now();
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::Unreachable { .. }), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(err.to_string().contains(&format!("127.0.0.1:{}", t.port)));

    // Something accepts TCP but never speaks SSH: the connect timeout fires.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    t.port = listener.local_addr().unwrap().port();
    let start = Instant::now();
    let err = connect(&t).await.err().expect("must fail");
    assert!(matches!(err, ExecError::Timeout { .. }), "{err:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert!(err.to_string().contains("timed out after 2s"), "{err}");
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_timeout_kills_the_remote_process_tree() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let tag = unique_sleep();
    let pattern = format!("sleep {tag}");
    let command = format!("echo started; sleep {tag} & (sleep {tag} &); sleep {tag}; wait");
    let start = Instant::now();
    let (outcome, chunks) = run(
        &session,
        &command,
        None,
        CancellationToken::new(),
        Some(Duration::from_secs(2)),
    )
    .await;
    let outcome = outcome.unwrap();
    assert!(outcome.timed_out, "{outcome:?}");
    assert!(!outcome.cancelled);
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(lines_of(&chunks, OutputStream::Stdout), vec!["started"]);
    assert!(
        lines_of(&chunks, OutputStream::Stderr)
            .iter()
            .all(|l| !l.contains("__OPSDECK_PGID")),
        "{chunks:?}"
    );
    assert!(
        wait_until_gone(&pattern, Duration::from_secs(5)).await,
        "processes left: {}",
        pgrep_count(&pattern)
    );
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_sleep_and_the_session_stays_usable() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let tag = unique_sleep();
    let pattern = format!("sleep {tag}");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let watcher = {
        let pattern = pattern.clone();
        tokio::spawn(async move {
            // Three sleeps: foreground, background, and one orphaned by a subshell.
            wait_until_running(&pattern, 3).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            trigger.cancel();
        })
    };
    let start = Instant::now();
    let (outcome, _) = run(
        &session,
        &format!("sleep {tag} & (sleep {tag} &); sleep {tag}; wait"),
        None,
        cancel,
        None,
    )
    .await;
    watcher.await.unwrap();
    let outcome = outcome.unwrap();
    assert!(outcome.cancelled, "{outcome:?}");
    assert!(!outcome.timed_out);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert!(
        wait_until_gone(&pattern, Duration::from_secs(5)).await,
        "processes left: {}",
        pgrep_count(&pattern)
    );

    let (outcome, chunks) = run(&session, "echo after", None, CancellationToken::new(), None).await;
    assert_eq!(outcome.unwrap().exit_code, Some(0));
    assert_eq!(lines_of(&chunks, OutputStream::Stdout), vec!["after"]);
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_escalates_to_kill_for_processes_that_ignore_term() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let mut session = connect(&target(&sshd, 0)).await.unwrap();
    session.set_kill_grace(Duration::from_millis(500));
    let tag = unique_sleep();
    let pattern = format!("sleep {tag}");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let watcher = {
        let pattern = pattern.clone();
        tokio::spawn(async move {
            wait_until_running(&pattern, 1).await;
            trigger.cancel();
        })
    };
    let (outcome, _) = run(
        &session,
        &format!("trap '' TERM; sleep {tag}"),
        None,
        cancel,
        None,
    )
    .await;
    watcher.await.unwrap();
    assert!(outcome.unwrap().cancelled);
    assert!(
        wait_until_gone(&pattern, Duration::from_secs(5)).await,
        "processes left: {}",
        pgrep_count(&pattern)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_connection_mid_step_is_an_error() {
    if !have_sshd() {
        return;
    }
    let sshd = Sshd::start(1);
    let session = connect(&target(&sshd, 0)).await.unwrap();
    let tag = unique_sleep();
    let pattern = format!("sleep {tag}");
    let killer = {
        let pattern = pattern.clone();
        tokio::spawn(async move {
            wait_until_running(&pattern, 1).await;
            sshd.kill_connections();
            sshd
        })
    };
    let start = Instant::now();
    let (result, _) = run(
        &session,
        &format!("sleep {tag}"),
        None,
        CancellationToken::new(),
        Some(Duration::from_secs(30)),
    )
    .await;
    let sshd = killer.await.unwrap();
    let err = result.expect_err("must fail");
    assert!(matches!(err, ExecError::Channel { .. }), "{err:?}");
    assert!(err.to_string().contains("connection was lost"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(session.is_closed());

    // The step's process outlived its connection; it is found and killed here by hand.
    let pids = Command::new("pgrep")
        .arg("-f")
        .arg(&pattern)
        .output()
        .unwrap();
    for pid in String::from_utf8_lossy(&pids.stdout).lines() {
        let _ = Command::new("kill").arg("-KILL").arg(pid).status();
    }
    drop(sshd);
}
