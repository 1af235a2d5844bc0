//! The Tasks tab as a component: the task list with its selection and filter, and an open task's
//! detail with its live log; an action returns what the console should do next.

use std::path::Path;

use crate::backend::TaskDetail;
use crate::model::Task;
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::keys::Action;
use crate::tui::widgets::line::LineInput;
use crate::tui::widgets::log_view::{LogView, PAGE};

use super::{Cmd, Confirm, Effect, Overlay, PromptKind, RollbackJob, filter_tasks, hosts_of};

/// The Tasks tab's state.
#[derive(Default)]
pub struct TasksTab {
    pub list: Vec<Task>,
    pub sel: usize,
    pub filter: String,
    /// The task whose detail and log are open.
    pub detail: Option<Detail>,
}

/// An open task: its detail (once loaded) and its log.
pub struct Detail {
    pub id: i64,
    pub detail: Option<TaskDetail>,
    pub log: LogView,
}

/// What the tab needs to know of the console around it.
pub struct Around<'a> {
    pub lang: Lang,
    /// Rows the log pane showed last frame (for paging).
    pub log_height: usize,
    /// Exports go there by default.
    pub data_dir: Option<&'a Path>,
    /// What forms are checked against (a rollback is an SQL audit form).
    pub ctx: Option<&'a crate::modules::ModuleContext>,
}

impl TasksTab {
    /// Tasks shown after the filter (matches id, name, state, submitter, module).
    pub fn visible(&self) -> Vec<&Task> {
        filter_tasks(&self.list, &self.filter)
    }

    /// A fresh list from the engine: the selection stays within it.
    pub fn set(&mut self, tasks: Vec<Task>) {
        self.list = tasks;
        self.sel = self.sel.min(self.visible().len().saturating_sub(1));
    }

    /// The filter typed in its prompt (applied as you type).
    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_string();
        self.sel = 0;
    }

    /// An action on the list.
    pub fn list_action(&mut self, a: Action) -> Effect {
        let n = self.visible().len();
        match a {
            Action::Down => self.sel = (self.sel + 1).min(n.saturating_sub(1)),
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::Top => self.sel = 0,
            Action::Bottom => self.sel = n.saturating_sub(1),
            Action::Filter => {
                return Effect::Overlay(Overlay::prompt(
                    PromptKind::TaskFilter,
                    LineInput::new(&self.filter),
                ));
            }
            Action::Open => {
                if let Some(id) = self.visible().get(self.sel).map(|t| t.id) {
                    return Effect::OpenTask(id);
                }
            }
            _ => {}
        }
        Effect::None
    }

    /// Opens a task's detail: its matrix and its log, following live lines.
    pub fn open(&mut self, id: i64) -> Vec<Cmd> {
        self.detail = Some(Detail {
            id,
            detail: None,
            log: LogView::new(),
        });
        vec![
            Cmd::LoadTask(id),
            Cmd::StopFollow,
            Cmd::Follow { id, from: 1 },
        ]
    }

    /// Esc in the detail: clears the log's search or host filter first, then closes the detail.
    pub fn back(&mut self) -> Vec<Cmd> {
        if let Some(d) = self.detail.as_mut()
            && (d.log.search.is_some() || d.log.host_filter.is_some())
        {
            d.log.search = None;
            d.log.hit = None;
            d.log.host_filter = None;
            return vec![];
        }
        self.detail = None;
        vec![Cmd::StopFollow]
    }

    /// A search typed in the log's prompt: jumps to the first hit.
    pub fn search(&mut self, text: String, height: usize) {
        if let Some(d) = self.detail.as_mut() {
            d.log.search = (!text.is_empty()).then_some(text);
            d.log.hit = None;
            d.log.jump(false, height.max(1));
        }
    }

    /// An action in an open task's detail.
    pub fn detail_action(&mut self, a: Action, around: &Around) -> Effect {
        let height = around.log_height.max(1);
        let Some(d) = self.detail.as_mut() else {
            return Effect::None;
        };
        let id = d.id;
        match a {
            Action::Up => d.log.scroll_up(1),
            Action::Down => d.log.scroll_down(1),
            Action::PageUp => d.log.scroll_up(height),
            Action::PageDown => d.log.scroll_down(height),
            Action::Top => d.log.scroll_up(usize::MAX / 2),
            Action::Bottom => d.log.scroll_down(usize::MAX / 2),
            Action::Follow => d.log.toggle_follow(),
            Action::Wrap => d.log.wrap = !d.log.wrap,
            Action::HostFilter => {
                let hosts = d.detail.as_ref().map(hosts_of).unwrap_or_default();
                d.log.cycle_host(&hosts);
            }
            Action::Search => {
                let q = d.log.search.clone().unwrap_or_default();
                return Effect::Overlay(Overlay::prompt(PromptKind::LogSearch, LineInput::new(&q)));
            }
            Action::NextHit => d.log.jump(false, height),
            Action::PrevHit => d.log.jump(true, height),
            Action::Export => {
                let name = format!("opsdeck-task-{id}.log");
                let default = match around.data_dir {
                    Some(d) => d.join("exports").join(name).display().to_string(),
                    None => name,
                };
                return Effect::Overlay(Overlay::prompt(
                    PromptKind::ExportPath(id),
                    LineInput::new(&default),
                ));
            }
            Action::Cancel => return Effect::Overlay(Overlay::Confirm(Confirm::Cancel(id))),
            Action::Retry => return Effect::Overlay(Overlay::Confirm(Confirm::Retry(id))),
            Action::Rollback => return rollback(d.detail.as_ref(), around),
            Action::Release => return Effect::Overlay(Overlay::Confirm(Confirm::Release(id))),
            Action::Skip => {
                // Skip the first step that is waiting or failed.
                let target = d.detail.as_ref().and_then(|dd| {
                    dd.steps.iter().find(|s| {
                        use crate::model::StepState::*;
                        matches!(s.state, Waiting | Manual | Failed | TimedOut)
                    })
                });
                return match target {
                    Some(s) => Effect::Overlay(Overlay::Confirm(Confirm::Skip(id, s.id))),
                    None => Effect::Status(format!("{}: -", t(around.lang, Key::Skip)), true),
                };
            }
            _ => {}
        }
        // Scrolled to the top of what is loaded: fetch the page before it.
        if d.log.wants_older(height)
            && let Some(first) = d.log.first_seq()
        {
            let from = first.saturating_sub(PAGE as u64).max(1);
            let limit = (first - from) as usize;
            return Effect::Load(vec![Cmd::LoadLogs { id, from, limit }]);
        }
        Effect::None
    }
}

/// Answers from the engine about the open task.
impl TasksTab {
    /// The open task's detail arrived.
    pub fn loaded(&mut self, d: crate::backend::TaskDetail) {
        if let Some(open) = self.detail.as_mut()
            && open.id == d.task.id
        {
            open.detail = Some(d);
        }
    }

    /// Log lines (a page or a live line) for task `id`.
    pub fn lines(&mut self, id: i64, lines: Vec<crate::model::LogLine>) {
        if let Some(open) = self.detail.as_mut()
            && open.id == id
        {
            open.log.add(lines);
        }
    }

    /// After an action: reload the open task; retried, released or skipped, its log follows the
    /// new lines live.
    pub fn after(&mut self, done: &super::Done) -> Vec<Cmd> {
        use super::Done;
        let Some(d) = self.detail.as_mut() else {
            return vec![];
        };
        let mut cmds = vec![Cmd::LoadTask(d.id)];
        if matches!(done, Done::Retried(id) | Done::Released(id, _) | Done::Skipped(id, _) if *id == d.id)
        {
            d.log.follow = true;
            d.log.scroll = 0;
            cmds.push(Cmd::StopFollow);
            cmds.push(Cmd::Follow {
                id: d.id,
                from: d.log.last_seq + 1,
            });
        }
        cmds
    }
}

/// The undo of a finished SQL audit, built from its backups like `opsdeck task rollback`: shown
/// for confirmation, then submitted as a new audit for the original's approvers (other than you).
fn rollback(detail: Option<&TaskDetail>, around: &Around) -> Effect {
    use crate::modules::sql_audit_rollback::plan_for;
    let name = t(around.lang, Key::Rollback);
    let Some(d) = detail else {
        return Effect::Status(format!("{name}: -"), true);
    };
    let plan = match plan_for(&d.task, &d.sql_results) {
        Ok(p) => p,
        Err(e) => return Effect::Status(format!("{name}: {}", e.text(around.lang)), true),
    };
    let Some(ctx) = around.ctx else {
        let wait = t(around.lang, Key::ContextLoading);
        return Effect::Status(format!("{name}: {wait}"), true);
    };
    let approvers: Vec<String> = d
        .task
        .spec
        .approvers
        .iter()
        .filter(|a| **a != ctx.user)
        .cloned()
        .collect();
    if approvers.is_empty() {
        let only_you = t(around.lang, Key::RollbackOnlyYou);
        let id = d.task.id;
        return Effect::Status(
            format!("{name}: {only_you}: opsdeck task rollback {id} --approver NAME"),
            true,
        );
    }
    let checking = t(around.lang, Key::RollbackChecking);
    Effect::All(vec![
        Effect::Status(format!("{name}: {checking}"), false),
        Effect::Load(vec![Cmd::BuildRollback(Box::new(RollbackJob {
            task: d.task.clone(),
            plan,
            approvers,
            ctx: ctx.clone(),
        }))]),
    ])
}
