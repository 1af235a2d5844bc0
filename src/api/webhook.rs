//! Webhook notifications (generic JSON, DingTalk, WeCom, Slack) when a task waits for approval, fails
//! or finishes. Driven by the engine's event broadcast; delivery is retried with backoff in its own
//! tasks, and a failure is only logged: it never blocks or fails a task.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, Webhook, WebhookEvent, WebhookFormat};
use crate::engine::{Engine, Event};
use crate::model::{Task, TaskState, fmt_local};
use crate::store::Store;

/// The event a task state announces, if any.
pub fn event_for(state: TaskState) -> Option<WebhookEvent> {
    match state {
        TaskState::PendingApproval => Some(WebhookEvent::ApprovalRequested),
        TaskState::Failed | TaskState::Interrupted | TaskState::Missed => {
            Some(WebhookEvent::TaskFailed)
        }
        TaskState::Succeeded => Some(WebhookEvent::TaskFinished),
        _ => None,
    }
}

/// One line a person reads in a chat.
pub fn summary(event: WebhookEvent, t: &Task) -> String {
    match event {
        WebhookEvent::ApprovalRequested => format!(
            "opsdeck: task {} \"{}\" by {} waits for approval by {} (exec time {})",
            t.id,
            t.spec.name,
            t.spec.submitter,
            if t.spec.approvers.is_empty() {
                "an admin".to_string()
            } else {
                t.spec.approvers.join(", ")
            },
            fmt_local(t.spec.exec_time)
        ),
        WebhookEvent::TaskFailed => format!(
            "opsdeck: task {} \"{}\" by {} {}{}",
            t.id,
            t.spec.name,
            t.spec.submitter,
            t.state.as_str(),
            if t.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", t.reason)
            }
        ),
        WebhookEvent::TaskFinished => format!(
            "opsdeck: task {} \"{}\" by {} succeeded",
            t.id, t.spec.name, t.spec.submitter
        ),
    }
}

/// The request body for one hook's format.
pub fn payload(format: WebhookFormat, event: WebhookEvent, t: &Task) -> Value {
    let text = summary(event, t);
    match format {
        WebhookFormat::Generic => json!({
            "event": event.as_str(),
            "text": text,
            "task": {
                "id": t.id,
                "name": t.spec.name,
                "state": t.state.as_str(),
                "module": t.spec.module.as_str(),
                "template_id": t.spec.template_id,
                "submitter": t.spec.submitter,
                "approvers": t.spec.approvers,
                "exec_time": t.spec.exec_time,
                "reason": t.reason,
            },
        }),
        WebhookFormat::Dingtalk => json!({
            "msgtype": "markdown",
            "markdown": {"title": format!("opsdeck task {}", t.id), "text": text},
        }),
        WebhookFormat::Wecom => json!({
            "msgtype": "markdown",
            "markdown": {"content": text},
        }),
        WebhookFormat::Slack => json!({ "text": text }),
    }
}

/// The URL without its query or credentials, for logs (robot tokens live in the query).
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or("?"),
                u.port().map(|p| format!(":{p}")).unwrap_or_default()
            ) + u.path()
        }
        Err(_) => "<invalid url>".into(),
    }
}

/// One attempt: a 2xx answer (and, for DingTalk/WeCom, `errcode` 0 when present) is success.
async fn attempt(client: &reqwest::Client, hook: &Webhook, body: &Value) -> Result<(), String> {
    let r = client
        .post(&hook.url)
        .timeout(hook.timeout())
        .json(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?;
    let status = r.status();
    if !status.is_success() {
        return Err(format!("answered HTTP {}", status.as_u16()));
    }
    if matches!(hook.format, WebhookFormat::Dingtalk | WebhookFormat::Wecom) {
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if let Some(code) = v.get("errcode").and_then(Value::as_i64)
            && code != 0
        {
            return Err(format!(
                "answered errcode {code}: {}",
                v.get("errmsg").and_then(Value::as_str).unwrap_or("")
            ));
        }
    }
    Ok(())
}

/// Delivers one message, retrying with doubling backoff; returns the number of attempts and the outcome.
pub async fn deliver(
    client: &reqwest::Client,
    hook: &Webhook,
    body: &Value,
    cancel: &CancellationToken,
) -> (u32, Result<(), String>) {
    let mut wait = hook.backoff();
    let mut n = 0;
    loop {
        n += 1;
        let r = attempt(client, hook, body).await;
        if r.is_ok() || n > hook.retries {
            return (n, r);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return (n, r),
        }
        wait = (wait * 2).min(Duration::from_secs(300));
    }
}

/// The running notifier; [`Notifier::stop`] waits for deliveries in flight (their retries are cut short).
pub struct Notifier {
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Notifier {
    /// Starts listening to the engine's events. With no webhooks configured it does nothing.
    pub fn start(engine: &Engine, config: &Config) -> Notifier {
        let n = Notifier {
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        if config.webhooks.is_empty() {
            return n;
        }
        let hooks = config.webhooks.clone();
        let store = engine.store().clone();
        let rx = engine.hub().subscribe();
        let (cancel, tracker) = (n.cancel.clone(), n.tracker.clone());
        n.tracker.spawn(listen(rx, store, hooks, cancel, tracker));
        n
    }

    pub async fn stop(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

async fn listen(
    mut rx: tokio::sync::broadcast::Receiver<Event>,
    store: Store,
    hooks: Vec<Webhook>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    let client = reqwest::Client::new();
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            _ = cancel.cancelled() => return,
        };
        let (task_id, state) = match ev {
            Ok(Event::TaskState { task_id, state }) => (task_id, state),
            Ok(_) => continue,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("webhooks fell {n} events behind; some notifications were skipped");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let Some(event) = event_for(state) else {
            continue;
        };
        let wanted: Vec<Webhook> = hooks
            .iter()
            .filter(|h| h.events.contains(&event))
            .cloned()
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let st = store.clone();
        let task = match tokio::task::spawn_blocking(move || st.task(task_id)).await {
            Ok(Ok(Some(t))) => t,
            Ok(Ok(None)) => continue,
            Ok(Err(e)) => {
                tracing::warn!("webhook for task {task_id}: cannot read the task: {e}");
                continue;
            }
            Err(_) => continue,
        };
        for hook in wanted {
            let body = payload(hook.format, event, &task);
            let (client, cancel) = (client.clone(), cancel.clone());
            tracker.spawn(async move {
                let (n, r) = deliver(&client, &hook, &body, &cancel).await;
                if let Err(e) = r {
                    tracing::warn!(
                        "webhook {} ({}, task {}) failed after {n} attempt(s): {e}",
                        redacted(&hook.url),
                        event.as_str(),
                        task.id
                    );
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_query_in_logs() {
        assert_eq!(
            redacted("https://oapi.dingtalk.com/robot/send?access_token=SECRET"),
            "https://oapi.dingtalk.com/robot/send"
        );
        assert_eq!(redacted("http://127.0.0.1:9/x?k=v"), "http://127.0.0.1:9/x");
    }

    #[test]
    fn states_map_to_events() {
        assert_eq!(
            event_for(TaskState::PendingApproval),
            Some(WebhookEvent::ApprovalRequested)
        );
        assert_eq!(
            event_for(TaskState::Interrupted),
            Some(WebhookEvent::TaskFailed)
        );
        assert_eq!(
            event_for(TaskState::Succeeded),
            Some(WebhookEvent::TaskFinished)
        );
        assert_eq!(event_for(TaskState::Running), None);
        assert_eq!(event_for(TaskState::Cancelled), None);
    }
}
