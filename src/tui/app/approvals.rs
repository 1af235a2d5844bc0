//! The Approvals tab as a component: the queue with marks, an approval's detail, their state; an
//! action returns what the console should do next (an overlay, opening a task's log).

use std::collections::BTreeSet;

use crate::model::{Task, TaskState, User};
use crate::tui::keys::Action;
use crate::tui::widgets::line::LineInput;

use super::{Confirm, Effect, Overlay, PromptKind, filter_tasks, may_approve};

/// The Approvals tab's state.
#[derive(Debug, Default)]
pub struct Approvals {
    /// Tasks pending approval that I may approve.
    pub list: Vec<Task>,
    pub sel: usize,
    pub filter: String,
    pub marked: BTreeSet<i64>,
    /// The approval whose detail is open, and its scroll.
    pub open: Option<i64>,
    pub scroll: usize,
}

impl Approvals {
    /// Tasks waiting on me, after the filter.
    pub fn visible(&self) -> Vec<&Task> {
        filter_tasks(&self.list, &self.filter)
    }

    /// The open approval, while it still waits.
    pub fn opened(&self) -> Option<&Task> {
        let id = self.open?;
        self.list.iter().find(|t| t.id == id)
    }

    /// A fresh queue from the engine: marks, selection and the open detail follow it.
    pub fn set(&mut self, tasks: Vec<Task>, me: Option<&User>) {
        self.list = tasks
            .into_iter()
            .filter(|t| t.state == TaskState::PendingApproval && may_approve(me, t))
            .collect();
        let ids: BTreeSet<i64> = self.list.iter().map(|t| t.id).collect();
        self.marked.retain(|i| ids.contains(i));
        self.sel = self.sel.min(self.visible().len().saturating_sub(1));
        if self.open.is_some_and(|id| !ids.contains(&id)) {
            self.open = None;
        }
    }

    /// An action on the queue.
    pub fn action(&mut self, a: Action) -> Effect {
        let visible: Vec<i64> = self.visible().iter().map(|t| t.id).collect();
        let n = visible.len();
        let current = visible.get(self.sel).copied();
        match a {
            Action::Down => self.sel = (self.sel + 1).min(n.saturating_sub(1)),
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::Mark => {
                if let Some(id) = current {
                    if !self.marked.remove(&id) {
                        self.marked.insert(id);
                    }
                    self.sel = (self.sel + 1).min(n.saturating_sub(1));
                }
            }
            Action::Approve => {
                let ids: Vec<i64> = if self.marked.is_empty() {
                    current.into_iter().collect()
                } else {
                    self.marked.iter().copied().collect()
                };
                if !ids.is_empty() {
                    return Effect::Overlay(Overlay::Confirm(Confirm::Approve(ids)));
                }
            }
            Action::Reject => {
                if let Some(id) = current {
                    return Effect::Overlay(Overlay::prompt(
                        PromptKind::RejectReason(id),
                        LineInput::default(),
                    ));
                }
            }
            Action::Filter => {
                return Effect::Overlay(Overlay::prompt(
                    PromptKind::ApprovalFilter,
                    LineInput::new(&self.filter),
                ));
            }
            Action::Open => {
                if let Some(id) = current {
                    self.open = Some(id);
                    self.scroll = 0;
                }
            }
            Action::OpenLog => {
                if let Some(id) = current {
                    return Effect::OpenTask(id);
                }
            }
            _ => {}
        }
        Effect::None
    }

    /// An action in an open approval's detail.
    pub fn detail_action(&mut self, a: Action) -> Effect {
        let Some(id) = self.open else {
            return Effect::None;
        };
        match a {
            Action::Down => self.scroll += 1,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll += 10,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::Approve => {
                return Effect::Overlay(Overlay::Confirm(Confirm::Approve(vec![id])));
            }
            Action::ApproveAt => {
                return Effect::Overlay(Overlay::prompt(
                    PromptKind::ApproveTime(id),
                    LineInput::default(),
                ));
            }
            Action::Reject => {
                return Effect::Overlay(Overlay::prompt(
                    PromptKind::RejectReason(id),
                    LineInput::default(),
                ));
            }
            Action::OpenLog => {
                self.open = None;
                return Effect::OpenTask(id);
            }
            _ => {}
        }
        Effect::None
    }

    /// The filter typed in its prompt (applied as you type).
    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_string();
        self.sel = 0;
    }
}
