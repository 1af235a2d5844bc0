//! Tasks (订单): the spec every module builds, the stored task and its state, step runs, log lines, audit entries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::Invalid;
use super::inventory::Inventory;
use super::template::Template;

/// Which module built a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleKind {
    AppPublish,
    SqlAudit,
    SqlOptimize,
    Resource,
    NodeAdd,
    #[default]
    Custom,
    CustomProxy,
    CustomJson,
}

impl ModuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::AppPublish => "app-publish",
            ModuleKind::SqlAudit => "sql-audit",
            ModuleKind::SqlOptimize => "sql-optimize",
            ModuleKind::Resource => "resource",
            ModuleKind::NodeAdd => "node-add",
            ModuleKind::Custom => "custom",
            ModuleKind::CustomProxy => "custom-proxy",
            ModuleKind::CustomJson => "custom-json",
        }
    }
}

/// Hosts targeted per template host group (group number → inventory host names).
pub type HostGroups = BTreeMap<u32, Vec<String>>;

/// Everything needed to create a task; the only way in for CLI, TUI, API and CODO JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub name: String,
    #[serde(default)]
    pub module: ModuleKind,
    pub submitter: String,
    pub template_id: u32,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    pub hosts: HostGroups,
    pub exec_time: DateTime<Utc>,
    #[serde(default)]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub needs_approval: bool,
    #[serde(default)]
    pub details: String,
    /// Module-specific data kept with the task (e.g. SQL check warnings and score findings).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub extra: serde_json::Value,
}

impl TaskSpec {
    /// Checks the spec against its template and the inventory; `cap` is the most hosts one group may hold.
    pub fn validate(
        &self,
        template: &Template,
        inv: &Inventory,
        cap: usize,
    ) -> Result<(), Invalid> {
        let mut errs = Invalid::default();
        if self.name.trim().is_empty() {
            errs.push("name", "is empty");
        }
        if self.submitter.trim().is_empty() {
            errs.push("submitter", "is empty");
        }
        // One-line fields hold no control character; free text and arg values may span lines
        // but hold no NUL (a shell command cannot carry it, PostgreSQL text cannot store it).
        // Values are never quoted back: an arg may be a secret.
        for (field, value) in [("name", &self.name), ("submitter", &self.submitter)] {
            if value.chars().any(char::is_control) {
                errs.push(
                    field,
                    "contains a control character (e.g. NUL, ESC, a newline)",
                );
            }
        }
        if self.details.contains('\0') {
            errs.push("details", "contains a NUL character");
        }
        for (k, v) in &self.args {
            if v.contains('\0') {
                errs.push(format!("args.{k}"), "contains a NUL character");
            }
        }
        if self.template_id != template.id {
            errs.push(
                "template_id",
                format!(
                    "spec names template {} but was checked against {}",
                    self.template_id, template.id
                ),
            );
        }
        for a in &template.args {
            let given = self
                .args
                .get(&a.name)
                .map(|v| !v.is_empty())
                .unwrap_or(false);
            if a.required && !given {
                errs.push(format!("args.{}", a.name), "is required by the template");
            }
        }
        for k in self.args.keys() {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errs.push(
                    format!("args.{k}"),
                    "arg names use letters, digits and `_` only",
                );
            }
        }
        let groups = template.group_count();
        for (g, hosts) in &self.hosts {
            let f = format!("hosts.{g}");
            if *g == 0 || *g > groups {
                errs.push(
                    &f,
                    format!(
                        "template {} has host groups 1..{groups}; there is no group {g}",
                        template.id
                    ),
                );
                continue;
            }
            if hosts.is_empty() {
                errs.push(&f, "lists no host");
            }
            if hosts.len() > cap {
                errs.push(
                    &f,
                    format!(
                        "{} hosts in one group exceeds the concurrency cap of {cap}",
                        hosts.len()
                    ),
                );
            }
            let mut seen = BTreeSet::new();
            for h in hosts {
                if inv.host(h).is_none() {
                    errs.push(&f, format!("unknown host `{h}`"));
                }
                if !seen.insert(h) {
                    errs.push(&f, format!("host `{h}` is listed twice"));
                }
            }
        }
        for g in 1..=groups {
            if !self.hosts.contains_key(&g) && !template.group_is_forced(g) {
                errs.push(
                    format!("hosts.{g}"),
                    format!("template group {g} needs at least one host"),
                );
            }
        }
        for s in &template.steps {
            if let Some(h) = &s.force_host
                && inv.host(h).is_none()
            {
                errs.push(
                    "template",
                    format!("step `{}` is forced onto unknown host `{h}`", s.name),
                );
            }
        }
        errs.into_result()
    }

    /// Names of the args whose values are masked: the template's secret args plus any the
    /// module listed in `extra.secret_args` (e.g. an app's secret fields).
    pub fn secret_arg_names(&self, template: &Template) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = template
            .secret_args()
            .into_iter()
            .map(str::to_string)
            .collect();
        if let Some(list) = self.extra.get("secret_args").and_then(|v| v.as_array()) {
            out.extend(list.iter().filter_map(|v| v.as_str()).map(str::to_string));
        }
        out
    }

    /// Every targeted host name, in group order, without repeats.
    pub fn all_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for hs in self.hosts.values() {
            for h in hs {
                if !out.contains(h) {
                    out.push(h.clone());
                }
            }
        }
        out
    }
}

/// Task states of DESIGN.md section 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    PendingApproval,
    Scheduled,
    Running,
    Succeeded,
    Failed,
    Rejected,
    Cancelled,
    /// Was running when the engine died; never re-run silently.
    Interrupted,
    /// Its exec time passed longer ago than the grace period while the engine was down.
    Missed,
}

impl TaskState {
    pub const ALL: [TaskState; 9] = [
        TaskState::PendingApproval,
        TaskState::Scheduled,
        TaskState::Running,
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::Rejected,
        TaskState::Cancelled,
        TaskState::Interrupted,
        TaskState::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::PendingApproval => "pending_approval",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Rejected => "rejected",
            TaskState::Cancelled => "cancelled",
            TaskState::Interrupted => "interrupted",
            TaskState::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskState::Succeeded
                | TaskState::Failed
                | TaskState::Rejected
                | TaskState::Cancelled
                | TaskState::Interrupted
                | TaskState::Missed
        )
    }
}

/// Who decided on an approval request, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub by: String,
    pub at: DateTime<Utc>,
    pub approved: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// A stored task: the spec plus id, state, the exact template version and timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub spec: TaskSpec,
    pub state: TaskState,
    pub template_version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Why the task ended the way it did, when that is not obvious from its steps.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    /// A timed step before the exec time.
    Waiting,
    /// A manual step waiting for release.
    Manual,
    Running,
    Done,
    Failed,
    TimedOut,
    Skipped,
    Cancelled,
}

impl StepState {
    pub const ALL: [StepState; 9] = [
        StepState::Pending,
        StepState::Waiting,
        StepState::Manual,
        StepState::Running,
        StepState::Done,
        StepState::Failed,
        StepState::TimedOut,
        StepState::Skipped,
        StepState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Waiting => "waiting",
            StepState::Manual => "manual",
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Failed => "failed",
            StepState::TimedOut => "timed_out",
            StepState::Skipped => "skipped",
            StepState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<StepState> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            StepState::Done
                | StepState::Failed
                | StepState::TimedOut
                | StepState::Skipped
                | StepState::Cancelled
        )
    }

    /// Finished in a way that lets the host go on to its next level.
    pub fn is_success(self) -> bool {
        matches!(self, StepState::Done | StepState::Skipped)
    }
}

/// One (group, level, host) of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRun {
    pub id: i64,
    pub task_id: i64,
    pub group: u32,
    pub level: u32,
    pub host: String,
    pub step_name: String,
    pub state: StepState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Lines opsdeck writes itself: state changes, exit codes, reasons.
    System,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Stream> {
        match s {
            "stdout" => Some(Stream::Stdout),
            "stderr" => Some(Stream::Stderr),
            "system" => Some(Stream::System),
            _ => None,
        }
    }
}

/// One stored line of a task's log; `seq` orders a task's lines from 1 without gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub task_id: i64,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_run_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub ts: DateTime<Utc>,
    pub stream: Stream,
    pub text: String,
}

/// Who did what and when: every operator action lands here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::inventory::{Connection, Host};
    use crate::model::template::{Step, Trigger};

    fn inv() -> Inventory {
        let host = |n: &str| Host {
            name: n.into(),
            address: "127.0.0.1".into(),
            port: 22,
            exec_user: None,
            connection: Connection::Local,
        };
        Inventory {
            hosts: vec![host("a"), host("b"), host("c")],
            ..Default::default()
        }
    }

    fn tpl() -> Template {
        let step = |g| Step {
            group: g,
            level: 1,
            name: "s".into(),
            command: "true".into(),
            timeout: None,
            trigger: Trigger::Order,
            exec_user: None,
            force_host: None,
            capture: None,
            capture_secret: false,
            stdin: vec![],
        };
        Template {
            id: 7,
            name: "t".into(),
            description: String::new(),
            approvers: vec![],
            args: vec![crate::model::template::ArgDecl {
                name: "V".into(),
                default: None,
                required: true,
                secret: false,
                description: String::new(),
            }],
            steps: vec![step(1), step(2)],
        }
    }

    fn spec() -> TaskSpec {
        TaskSpec {
            name: "n".into(),
            module: ModuleKind::Custom,
            submitter: "alice".into(),
            template_id: 7,
            args: [("V".to_string(), "1".to_string())].into(),
            hosts: [
                (1, vec!["a".to_string()]),
                (2, vec!["b".to_string(), "c".to_string()]),
            ]
            .into(),
            exec_time: Utc::now(),
            approvers: vec![],
            needs_approval: false,
            details: String::new(),
            extra: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_good_spec_validates() {
        spec().validate(&tpl(), &inv(), 100).unwrap();
    }

    #[test]
    fn nul_and_controls_are_refused_naming_the_field_without_quoting_values() {
        let mut s = spec();
        s.name = "deploy\0now".into();
        s.submitter = "al\x1bice".into();
        s.details = "line one\nline two\0".into();
        s.args.insert("V".into(), "top\0secret".into());
        let msg = s.validate(&tpl(), &inv(), 100).unwrap_err().to_string();
        for field in ["name", "submitter", "details", "args.V"] {
            assert!(msg.contains(field), "{field} in {msg}");
        }
        assert!(!msg.contains("secret"), "{msg}");
        // Newlines and tabs stay allowed in free text and arg values.
        let mut ok = spec();
        ok.details = "a\n\tb".into();
        ok.args.insert("V".into(), "SELECT 1;\nSELECT 2;".into());
        ok.validate(&tpl(), &inv(), 100).unwrap();
    }

    #[test]
    fn every_problem_is_named() {
        let mut s = spec();
        s.args.clear();
        s.hosts.remove(&2);
        s.hosts.insert(3, vec!["a".into()]);
        s.hosts.insert(1, vec!["zz".into(), "zz".into()]);
        let e = s.validate(&tpl(), &inv(), 1).unwrap_err();
        assert!(e.has_field("args.V"), "{e}");
        assert!(e.has_field("hosts.2"), "{e}");
        assert!(e.has_field("hosts.3"), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("unknown host `zz`"), "{msg}");
        assert!(msg.contains("exceeds the concurrency cap of 1"), "{msg}");
        assert!(msg.contains("listed twice"), "{msg}");
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in TaskState::ALL {
            assert_eq!(TaskState::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in StepState::ALL {
            assert_eq!(StepState::parse(s.as_str()), Some(s));
        }
        assert!(TaskState::Interrupted.is_final() && !TaskState::Scheduled.is_final());
    }
}
