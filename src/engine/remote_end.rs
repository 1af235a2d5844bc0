//! After a survivor interrupted a lost node's task: log in to the hosts where its SSH steps were
//! running and end their process groups (when the lost node was cut off rather than killed, sshd
//! keeps them running), saying on the task's log what was ended and what could not be.

use std::sync::Arc;
use std::time::Duration;

use super::Inner;
use crate::exec::{HostSession, RemoteGroup, exec_user_for};
use crate::store::{Recovered, RemoteStep};

/// Between TERM and KILL for a lost node's step.
const GRACE: Duration = Duration::from_secs(5);
/// The whole attempt on one host (connect, script, grace).
const LIMIT: Duration = Duration::from_secs(60);

/// Ends the remote steps of `r` in the background, one task per host step.
pub(super) fn spawn(inner: &Arc<Inner>, r: &Recovered) {
    for step in &r.remote {
        let (inner, step, task) = (inner.clone(), step.clone(), r.task_id);
        inner.tracker.clone().spawn(async move {
            let said = match tokio::time::timeout(LIMIT, end(&inner, task, &step)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => format!("could not be ended: {e}; check the host before a retry"),
                Err(_) => format!(
                    "could not be ended within {}s; check the host before a retry",
                    LIMIT.as_secs()
                ),
            };
            let line = format!(
                "[{}] step '{}' of the lost node: {said}",
                step.host, step.step_name
            );
            tracing::info!(task, "{line}");
            inner.hub.system(task, None, Some(&step.host), line).await;
            inner.hub.flush().await;
            inner.hub.forget(task);
        });
    }
}

async fn end(inner: &Inner, task_id: i64, step: &RemoteStep) -> Result<String, String> {
    let group = RemoteGroup::parse(&step.remote_group).ok_or_else(|| {
        format!(
            "its recorded process group `{}` is not valid",
            step.remote_group
        )
    })?;
    let store = &inner.store;
    let inv = store.load_inventory().map_err(|e| e.to_string())?;
    let host = inv
        .host(&step.host)
        .ok_or_else(|| format!("host `{}` is no longer in the inventory", step.host))?;
    // Log in as the step did: its exec user, else the host's, else the default.
    let task = store
        .task(task_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("task {task_id} is gone"))?;
    let tpl = store
        .template(task.spec.template_id, Some(task.template_version))
        .map_err(|e| e.to_string())?
        .map(|t| t.template);
    let step_user = tpl.as_ref().and_then(|t| {
        t.steps
            .iter()
            .find(|s| s.group == step.group_no && s.level == step.level && s.name == step.step_name)
            .and_then(|s| s.exec_user.clone())
    });
    let user = exec_user_for(&inv, &inner.config, host, step_user.as_deref())?;
    let session = HostSession::open(host, user.as_ref(), &inner.config)
        .await
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::exec::OutputChunk>(16);
    let collect = tokio::spawn(async move {
        let mut said = String::new();
        while let Some(c) = rx.recv().await {
            if c.stream == crate::exec::OutputStream::Stdout {
                said = c.line;
            }
        }
        said
    });
    let outcome = session
        .run(
            &group.end_script(GRACE),
            None,
            tx,
            tokio_util::sync::CancellationToken::new(),
            Some(LIMIT),
        )
        .await;
    session.close().await;
    let said = collect.await.unwrap_or_default();
    outcome.map_err(|e| e.to_string())?;
    Ok(match said.as_str() {
        "ended" => format!("its processes (process group {}) were ended", group.pgid),
        "gone" => format!(
            "its processes (process group {}) had already ended",
            group.pgid
        ),
        "unverifiable" => format!(
            "process group {} was left alone: the host has no /proc to check it is still the \
             step's; check the host before a retry",
            group.pgid
        ),
        "refused" => format!(
            "its processes (process group {}) could not be signalled; check the host before a retry",
            group.pgid
        ),
        other => format!(
            "unexpected answer `{}` while ending process group {}; check the host before a retry",
            other.chars().take(80).collect::<String>(),
            group.pgid
        ),
    })
}
