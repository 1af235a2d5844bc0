//! Prometheus metrics of this process (`GET /metrics`): step durations, scheduler lateness and SSH
//! connect failures are recorded as they happen; tasks per state are read from the store at each
//! scrape. Every series carries the `node` label of this process.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::model::{StepState, TaskState};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

struct Metrics {
    registry: Registry,
    tasks: Family<StateLabel, Gauge>,
    steps: Family<StateLabel, Histogram>,
    lateness: Histogram,
    ssh_failures: Family<ReasonLabel, Counter>,
}

static NODE: OnceLock<String> = OnceLock::new();
static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Names this process in every series (call before the first metric is recorded; later calls and
/// calls after the first use are ignored). Default: the host name.
pub fn set_node(id: &str) {
    let _ = NODE.set(id.to_string());
}

/// The `node` label of this process.
pub fn node() -> &'static str {
    NODE.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into())
    })
}

fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| {
        let labels = [("node".into(), node().to_string().into())];
        let mut registry = Registry::with_prefix_and_labels("opsdeck", labels.into_iter());
        let tasks = Family::<StateLabel, Gauge>::default();
        registry.register("tasks", "Tasks in the store by state", tasks.clone());
        // 10 ms … about 11 h.
        let steps = Family::<StateLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.01, 4.0, 13))
        });
        registry.register(
            "step_duration_seconds",
            "Time from a step's start to its end, by how it ended",
            steps.clone(),
        );
        // 1 ms … about 65 s.
        let lateness = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        registry.register(
            "scheduler_lateness_seconds",
            "How late the scheduler started a task after its due time",
            lateness.clone(),
        );
        let ssh_failures = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "ssh_connect_failures",
            "SSH connections that could not be opened, by reason",
            ssh_failures.clone(),
        );
        Metrics {
            registry,
            tasks,
            steps,
            lateness,
            ssh_failures,
        }
    })
}

/// A step ended in `state` after `took`.
pub fn step_finished(state: StepState, took: Duration) {
    metrics()
        .steps
        .get_or_create(&StateLabel {
            state: state.as_str().to_string(),
        })
        .observe(took.as_secs_f64());
}

/// The scheduler started a task `late` after it was due (negative values count as 0).
pub fn scheduler_lateness(late: chrono::Duration) {
    let secs = late.to_std().map(|d| d.as_secs_f64()).unwrap_or(0.0);
    metrics().lateness.observe(secs);
}

/// An SSH connection failed; `reason` is a short word (`ExecError::kind`).
pub fn ssh_connect_failed(reason: &str) {
    metrics()
        .ssh_failures
        .get_or_create(&ReasonLabel {
            reason: reason.to_string(),
        })
        .inc();
}

/// The text exposition format (version 0.0.4 / OpenMetrics text), with `counts` as the tasks gauge
/// (every state appears, 0 when it has none).
pub fn render(counts: &[(TaskState, u64)]) -> String {
    // Two scrapes at once must not mix their task counts: set and encode under one lock.
    static RENDER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = RENDER.lock().unwrap_or_else(|p| p.into_inner());
    let m = metrics();
    for s in TaskState::ALL {
        let n = counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
        m.tasks
            .get_or_create(&StateLabel {
                state: s.as_str().to_string(),
            })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_the_node_label() {
        step_finished(StepState::Done, Duration::from_millis(30));
        scheduler_lateness(chrono::Duration::milliseconds(5));
        scheduler_lateness(chrono::Duration::milliseconds(-5));
        ssh_connect_failed("auth");
        let text = render(&[(TaskState::Scheduled, 3)]);
        let node = node();
        for want in [
            format!("opsdeck_tasks{{node=\"{node}\",state=\"scheduled\"}} 3"),
            format!("opsdeck_tasks{{node=\"{node}\",state=\"failed\"}} 0"),
            format!("opsdeck_ssh_connect_failures_total{{node=\"{node}\",reason=\"auth\"}} 1"),
            format!("opsdeck_scheduler_lateness_seconds_count{{node=\"{node}\"}} 2"),
            "# TYPE opsdeck_step_duration_seconds histogram".to_string(),
        ] {
            assert!(text.contains(&want), "missing {want} in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
