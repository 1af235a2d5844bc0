//! The console's view of the engine process: a note for the status line saying what keeps running
//! after quitting, that the engine is gone, or that it came back (restarted by the next action).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::i18n::Lang;
use crate::backend::{Backend, BackendError, EngineStatus};

/// How long "the engine was restarted" stays in the status line.
const RESTART_NOTE: Duration = Duration::from_secs(60);

/// Asks the engine for its status every second and sends the note whenever it changes.
/// Ends at once for a backend without an engine process of its own (a team server).
pub async fn watch(b: Arc<dyn Backend>, lang: Lang, tx: mpsc::Sender<Option<(String, bool)>>) {
    let mut last: Option<(String, bool)> = None;
    let mut known_pid: Option<u32> = None;
    let mut gone: Option<u32> = None;
    let mut restarted: Option<(u32, u32, Instant)> = None;
    loop {
        let note = match b.engine_status().await {
            Ok(None) => return,
            Ok(Some(st)) => {
                if let Some(old) = known_pid.or(gone)
                    && old != st.pid
                {
                    restarted = Some((old, st.pid, Instant::now()));
                }
                known_pid = Some(st.pid);
                gone = None;
                let fresh = restarted.filter(|(_, _, at)| at.elapsed() < RESTART_NOTE);
                Some(note(lang, &st, fresh.map(|(old, new, _)| (old, new))))
            }
            Err(e) => {
                if known_pid.is_some() {
                    gone = known_pid.take();
                }
                Some(gone_note(lang, gone, &e))
            }
        };
        if note != last {
            if tx.send(note.clone()).await.is_err() {
                return;
            }
            last = note;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn note(lang: Lang, st: &EngineStatus, restarted: Option<(u32, u32)>) -> (String, bool) {
    let zh = matches!(lang, Lang::Zh);
    if st.other_version() {
        let mine = crate::backend::VERSION;
        return if zh {
            (
                format!(
                    "引擎版本 {} ≠ 控制台 {mine}:无任务运行时执行 `opsdeck engine stop`",
                    st.version
                ),
                true,
            )
        } else {
            (
                format!(
                    "engine is opsdeck {}, this console {mine}: `opsdeck engine stop` when nothing runs",
                    st.version
                ),
                true,
            )
        };
    }
    let n = st.running.len();
    let mut s = match (zh, n) {
        (false, 0) => format!("engine pid {}", st.pid),
        (false, 1) => format!("engine pid {} keeps running 1 task after quit", st.pid),
        (false, n) => format!("engine pid {} keeps running {n} tasks after quit", st.pid),
        (true, 0) => format!("引擎 pid {}", st.pid),
        (true, n) => format!("引擎 pid {} 退出后继续运行 {n} 个任务", st.pid),
    };
    if let Some((old, new)) = restarted {
        s = if zh {
            format!("引擎已重启(pid {old} 已退出 → pid {new})")
        } else {
            format!(
                "engine restarted (pid {old} was gone → pid {new}); interrupted tasks can be retried"
            )
        };
    }
    (s, false)
}

fn gone_note(lang: Lang, pid: Option<u32>, e: &BackendError) -> (String, bool) {
    let pid = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
    let zh = matches!(lang, Lang::Zh);
    let s = match e {
        BackendError::Unavailable(_) if zh => format!("引擎{pid}已不在:下一个操作会重新启动它"),
        BackendError::Unavailable(_) => {
            format!("engine{pid} is gone: the next action starts it again")
        }
        other if zh => format!("引擎状态未知:{other}"),
        other => format!("engine status unknown: {other}"),
    };
    (s, true)
}
