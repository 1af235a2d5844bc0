//! Keys of the Approvals tab: the queue with marks, and an approval's detail.

use crate::tui::keys::Action;

use super::{App, Cmd, Confirm, Overlay, PromptKind};
use crate::tui::widgets::line::LineInput;

impl App {
    pub(super) fn approvals_action(&mut self, a: Action) -> Vec<Cmd> {
        let visible: Vec<i64> = self.visible_approvals().iter().map(|t| t.id).collect();
        let n = visible.len();
        match a {
            Action::Down => self.approval_sel = (self.approval_sel + 1).min(n.saturating_sub(1)),
            Action::Up => self.approval_sel = self.approval_sel.saturating_sub(1),
            Action::Mark => {
                if let Some(id) = visible.get(self.approval_sel) {
                    if !self.marked.remove(id) {
                        self.marked.insert(*id);
                    }
                    self.approval_sel = (self.approval_sel + 1).min(n.saturating_sub(1));
                }
            }
            Action::Approve => {
                let ids: Vec<i64> = if self.marked.is_empty() {
                    visible
                        .get(self.approval_sel)
                        .copied()
                        .into_iter()
                        .collect()
                } else {
                    self.marked.iter().copied().collect()
                };
                if !ids.is_empty() {
                    self.overlay = Overlay::Confirm(Confirm::Approve(ids));
                }
            }
            Action::Reject => {
                if let Some(id) = visible.get(self.approval_sel) {
                    self.overlay =
                        Overlay::prompt(PromptKind::RejectReason(*id), LineInput::default());
                }
            }
            Action::Filter => {
                self.overlay = Overlay::prompt(
                    PromptKind::ApprovalFilter,
                    LineInput::new(&self.approval_filter),
                )
            }
            Action::Open => {
                if let Some(id) = visible.get(self.approval_sel) {
                    self.approval_open = Some(*id);
                    self.approval_scroll = 0;
                }
            }
            Action::OpenLog => {
                if let Some(id) = visible.get(self.approval_sel) {
                    return self.open_task(*id);
                }
            }
            _ => {}
        }
        vec![]
    }

    pub(super) fn approval_detail_action(&mut self, a: Action) -> Vec<Cmd> {
        let Some(id) = self.approval_open else {
            return vec![];
        };
        match a {
            Action::Down => self.approval_scroll += 1,
            Action::Up => self.approval_scroll = self.approval_scroll.saturating_sub(1),
            Action::PageDown => self.approval_scroll += 10,
            Action::PageUp => self.approval_scroll = self.approval_scroll.saturating_sub(10),
            Action::Approve => self.overlay = Overlay::Confirm(Confirm::Approve(vec![id])),
            Action::ApproveAt => {
                self.overlay = Overlay::prompt(PromptKind::ApproveTime(id), LineInput::default())
            }
            Action::Reject => {
                self.overlay = Overlay::prompt(PromptKind::RejectReason(id), LineInput::default())
            }
            Action::OpenLog => {
                self.approval_open = None;
                return self.open_task(id);
            }
            _ => {}
        }
        vec![]
    }
}
