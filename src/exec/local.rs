//! The `local` transport: runs a step through `sh -c` on this machine in its own process group.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ExecError, LineSplitter, OutputChunk, OutputStream, RunOutcome};

/// How long a cancelled or timed-out process group gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

pub async fn run_local(
    command: &str,
    stdin: Option<Vec<u8>>,
    out: mpsc::Sender<OutputChunk>,
    cancel: CancellationToken,
    timeout: Option<Duration>,
) -> Result<RunOutcome, ExecError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(super::render::guarded(command))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ExecError::Io {
            host: "local".into(),
            what: "cannot start `sh -c`".into(),
            source,
        })?;
    let pgid = child.id().map(|p| p as i32);
    if let (Some(data), Some(mut w)) = (stdin, child.stdin.take()) {
        tokio::spawn(async move {
            let _ = w.write_all(&data).await;
            let _ = w.shutdown().await;
        });
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let o1 = out.clone();
    let r1 = tokio::spawn(async move {
        if let Some(s) = stdout {
            pump(s, OutputStream::Stdout, o1).await;
        }
    });
    let r2 = tokio::spawn(async move {
        if let Some(s) = stderr {
            pump(s, OutputStream::Stderr, out).await;
        }
    });
    let deadline = async {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    let mut outcome = RunOutcome::default();
    tokio::select! {
        status = child.wait() => {
            let status = status.map_err(|source| ExecError::Io {
                host: "local".into(),
                what: "waiting for the step".into(),
                source,
            })?;
            outcome.exit_code = status.code();
            outcome.signal = std::os::unix::process::ExitStatusExt::signal(&status).map(signal_name);
        }
        _ = cancel.cancelled() => {
            outcome.cancelled = true;
            kill_group(pgid, &mut child).await;
        }
        _ = deadline => {
            outcome.timed_out = true;
            kill_group(pgid, &mut child).await;
        }
    }
    // The readers end when every process holding the pipes has exited.
    let _ = r1.await;
    let _ = r2.await;
    Ok(outcome)
}

async fn kill_group(pgid: Option<i32>, child: &mut tokio::process::Child) {
    if let Some(pgid) = pgid {
        // SAFETY: plain kill(2) on the process group we created for this step.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        if tokio::time::timeout(KILL_GRACE, child.wait())
            .await
            .is_err()
        {
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        // Children that ignored SIGTERM may outlive the shell; make sure the group is gone.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.wait().await;
}

async fn pump<R: AsyncRead + Unpin>(
    mut r: R,
    stream: OutputStream,
    out: mpsc::Sender<OutputChunk>,
) {
    let mut split = LineSplitter::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                for line in split.push(&buf[..n]) {
                    if out.send(OutputChunk { stream, line }).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
    if let Some(line) = split.finish() {
        let _ = out.send(OutputChunk { stream, line }).await;
    }
}

pub(crate) fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGTERM => "TERM".into(),
        libc::SIGKILL => "KILL".into(),
        libc::SIGINT => "INT".into(),
        libc::SIGHUP => "HUP".into(),
        libc::SIGPIPE => "PIPE".into(),
        libc::SIGSEGV => "SEGV".into(),
        n => format!("{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(cmd: &str, stdin: Option<&str>) -> (RunOutcome, Vec<OutputChunk>) {
        let (tx, mut rx) = mpsc::channel(1024);
        let o = run_local(
            cmd,
            stdin.map(|s| s.as_bytes().to_vec()),
            tx,
            CancellationToken::new(),
            None,
        )
        .await
        .unwrap();
        let mut lines = Vec::new();
        while let Some(l) = rx.recv().await {
            lines.push(l);
        }
        (o, lines)
    }

    #[tokio::test]
    async fn lines_streams_and_exit_codes() {
        let (o, lines) = run("echo one; echo two >&2; printf 'no newline'; exit 3", None).await;
        assert_eq!(o.exit_code, Some(3));
        let out: Vec<_> = lines
            .iter()
            .filter(|l| l.stream == OutputStream::Stdout)
            .map(|l| l.line.as_str())
            .collect();
        assert_eq!(out, vec!["one", "no newline"]);
        assert!(
            lines
                .iter()
                .any(|l| l.stream == OutputStream::Stderr && l.line == "two")
        );
    }

    #[tokio::test]
    async fn stdin_is_delivered() {
        let (o, lines) = run("cat", Some("a\nb\n")).await;
        assert_eq!(o.exit_code, Some(0));
        assert_eq!(lines.len(), 2);
    }

    #[tokio::test]
    async fn cancel_kills_the_whole_process_group() {
        let marker = format!("opsdeck-local-cancel-{}", std::process::id());
        let (tx, _rx) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            c2.cancel();
        });
        let cmd = format!("sh -c 'sleep 600; echo {marker}' & sleep 600 # {marker}");
        let o = run_local(&cmd, None, tx, cancel, None).await.unwrap();
        assert!(o.cancelled);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let ps = std::process::Command::new("pgrep")
            .arg("-f")
            .arg(&marker)
            .output()
            .unwrap();
        assert!(
            ps.stdout.is_empty(),
            "left behind: {}",
            String::from_utf8_lossy(&ps.stdout)
        );
    }

    #[tokio::test]
    async fn timeout_kills_and_reports() {
        let (tx, _rx) = mpsc::channel(16);
        let o = run_local(
            "sleep 30",
            None,
            tx,
            CancellationToken::new(),
            Some(Duration::from_millis(200)),
        )
        .await
        .unwrap();
        assert!(o.timed_out && !o.cancelled);
    }
}
