//! The console's vocabulary: tabs, commands to the runtime and messages from it, what the engine
//! did, overlays and prompts, and what a tab component asks of the console.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::backend::TaskDetail;
use crate::model::StoredTemplate;
use crate::model::{Inventory, LogLine, Task, TaskSpec, User};
use crate::modules::{ModuleContext, PlannedStep};
use crate::tui::forms::Module;
use crate::tui::forms::live::{CheckJob, CheckResult};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::line::LineInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Tasks,
    Approvals,
    Inventory,
    Module(Module),
}

impl Tab {
    pub const ALL: [Tab; 11] = [
        Tab::Tasks,
        Tab::Approvals,
        Tab::Inventory,
        Tab::Module(Module::AppPublish),
        Tab::Module(Module::SqlAudit),
        Tab::Module(Module::SqlOptimize),
        Tab::Module(Module::Resource),
        Tab::Module(Module::NodeAdd),
        Tab::Module(Module::Custom),
        Tab::Module(Module::CustomProxy),
        Tab::Module(Module::CustomJson),
    ];

    /// The key of the tab: `1`-`9`, then `0`, then `-`.
    pub fn number(self) -> Option<char> {
        let i = Self::ALL.iter().position(|t| *t == self)?;
        match i {
            0..=8 => char::from_digit(i as u32 + 1, 10),
            9 => Some('0'),
            10 => Some('-'),
            _ => None,
        }
    }

    pub fn next(self) -> Tab {
        let i = Self::ALL.iter().position(|t| *t == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        let i = Self::ALL.iter().position(|t| *t == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Tab::Tasks => t(lang, Key::TabTasks),
            Tab::Approvals => t(lang, Key::TabApprovals),
            Tab::Inventory => t(lang, Key::TabInventory),
            Tab::Module(m) => m.title(lang),
        }
    }
}

/// Side effects `update` asks the runtime to perform; results come back as [`Msg`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    LoadMe,
    LoadTasks,
    LoadApprovals,
    LoadInventory,
    LoadTask(i64),
    LoadLogs {
        id: i64,
        from: u64,
        limit: usize,
    },
    Follow {
        id: i64,
        from: u64,
    },
    StopFollow,
    Approve(Vec<i64>),
    Reject(i64, String),
    Cancel(i64),
    Retry(i64),
    Release(i64),
    Skip(i64, i64),
    Export {
        id: i64,
        path: String,
    },
    LoadContext,
    Submit(Box<TaskSpec>),
    ApproveAt(i64, DateTime<Utc>),
    /// Suspends the console and opens the template's source in `$EDITOR` (the runner owns the terminal).
    EditTemplate {
        id: u32,
        source: String,
    },
    ImportTemplate {
        id: u32,
        source: String,
    },
    /// Reads a slow query log off the UI thread (SQL optimize tab).
    Digest {
        path: String,
        /// Of the score findings and advice.
        lang: Lang,
    },
    /// Runs a form's live check off the UI thread, a moment after the last edit (a newer check of
    /// the same form replaces one still waiting).
    Check(Box<CheckJob>),
    /// Builds a rollback's audit off the UI thread: its offline check of every undo statement can
    /// take a while on a big backup.
    BuildRollback(Box<RollbackJob>),
}

/// What the rollback of task `of` is built from: its plan, for the original's approvers.
#[derive(Debug, Clone)]
pub struct RollbackJob {
    pub task: Task,
    pub plan: crate::model::sql_backup::RollbackPlan,
    pub approvers: Vec<String>,
    pub ctx: ModuleContext,
}

impl PartialEq for RollbackJob {
    fn eq(&self, o: &Self) -> bool {
        self.task.id == o.task.id && self.plan == o.plan && self.approvers == o.approvers
    }
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A bracketed paste: one edit of the focused field.
    Paste(String),
    Mouse(MouseEvent),
    /// A live check's result.
    Checked(Box<CheckResult>),
    Tick,
    Me(User),
    Tasks(Vec<Task>),
    Approvals(Vec<Task>),
    Inventory(Box<Inventory>, Vec<StoredTemplate>),
    Task(Box<TaskDetail>),
    Logs {
        id: i64,
        lines: Vec<LogLine>,
    },
    Live(LogLine),
    Done(Done),
    Error(String),
    Context(Box<ModuleContext>),
    Submitted(Box<Task>),
    /// The editor closed: the new source, or `None` when nothing changed.
    Edited {
        id: u32,
        source: Option<String>,
    },
    TemplateImported {
        id: u32,
        version: u32,
    },
    /// A slow log read: its path and digest, or why it could not be read.
    Digested {
        path: String,
        report: Result<std::sync::Arc<crate::sql::digest::DigestReport>, String>,
    },
    /// The rollback audit of task `of`, checked, ready to confirm; or why it cannot be submitted.
    RollbackBuilt {
        of: i64,
        sql: String,
        notes: Vec<String>,
        spec: Result<Box<TaskSpec>, String>,
    },
}

/// What the engine did, said in the console's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    Approved(Vec<i64>),
    ApprovedAt(i64, DateTime<Utc>),
    Rejected(i64),
    Cancelled(i64),
    Retried(i64),
    Released(i64, usize),
    Skipped(i64, i64),
    /// The task and the absolute path its log went to.
    Exported(i64, String),
}

impl Done {
    pub fn text(&self, lang: Lang) -> String {
        let ids = |ids: &[i64]| {
            ids.iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match self {
            Done::Approved(v) => format!("{} {}", t(lang, Key::Approved), ids(v)),
            Done::ApprovedAt(id, at) => format!(
                "{} #{id} {} {}",
                t(lang, Key::Approved),
                t(lang, Key::At),
                crate::model::fmt_local(*at)
            ),
            Done::Rejected(id) => format!("{} #{id}", t(lang, Key::Rejected)),
            Done::Cancelled(id) => format!("{} #{id}", t(lang, Key::CancelledTask)),
            Done::Retried(id) => format!("#{id} {}", t(lang, Key::ScheduledAgain)),
            Done::Released(id, n) => format!("#{id} {}: {n}", t(lang, Key::ReleasedSteps)),
            Done::Skipped(id, step) => {
                format!("#{id} {} {step}", t(lang, Key::SkippedStep))
            }
            Done::Exported(id, path) => format!("#{id} {} {path}", t(lang, Key::Exported)),
        }
    }
}

/// What a tab component asks of the console after an action.
#[derive(Debug, PartialEq)]
pub enum Effect {
    None,
    Overlay(Overlay),
    /// Open this task's detail and log on the Tasks tab.
    OpenTask(i64),
    /// Say this on the status line (`true` = a problem).
    Status(String, bool),
    /// Ask the engine (counted as pending until answered).
    Load(Vec<Cmd>),
    /// Commands not counted as pending (live checks).
    Cmds(Vec<Cmd>),
    /// Several of the above, in order.
    All(Vec<Effect>),
}

/// A dangerous action waiting for `y`.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Approve(Vec<i64>),
    Cancel(i64),
    Retry(i64),
    Release(i64),
    Skip(i64, i64),
    ApproveAt(i64, DateTime<Utc>),
    /// Submit the undo of SQL audit `of` (its SQL and what cannot be undone shown first).
    Rollback {
        of: i64,
        sql: String,
        notes: Vec<String>,
        spec: Box<TaskSpec>,
    },
    /// Quit although these module tabs hold unsubmitted input.
    Quit(Vec<Module>),
}

/// What a text prompt is collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    TaskFilter,
    ApprovalFilter,
    LogSearch,
    RejectReason(i64),
    ApproveTime(i64),
    Palette,
    /// Where to export a task's log.
    ExportPath(i64),
    /// Which slow query log to open (SQL optimize tab).
    SlowLogPath,
}

/// A valid spec waiting for `y`, with the exact commands per host.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub spec: TaskSpec,
    pub plan: Vec<PlannedStep>,
    pub scroll: usize,
    /// The tab it came from.
    pub module: Module,
    /// The exec time is in the past: the task runs as soon as it is sent.
    pub past: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    Confirm(Confirm),
    /// A one-line prompt at the bottom, edited like a form's text field.
    Prompt(PromptKind, Box<LineInput>),
    Submit(Box<Preview>),
    /// A titled list of lines (e.g. a template's `file:line` errors); any key closes it.
    Message(String, Vec<String>),
}

impl Overlay {
    /// A prompt holding `input`.
    pub fn prompt(kind: PromptKind, input: LineInput) -> Overlay {
        Overlay::Prompt(kind, Box::new(input))
    }
}
