//! Keys of the Approvals tab: the queue with marks, and an approval's detail.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Confirm, Overlay, PromptKind};

impl App {
    pub(super) fn approvals_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let visible: Vec<i64> = self.visible_approvals().iter().map(|t| t.id).collect();
        let n = visible.len();
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return self.back_or_quit(),
            KeyCode::Char('j') | KeyCode::Down => {
                self.approval_sel = (self.approval_sel + 1).min(n.saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.approval_sel = self.approval_sel.saturating_sub(1)
            }
            KeyCode::Char(' ') => {
                if let Some(id) = visible.get(self.approval_sel) {
                    if !self.marked.remove(id) {
                        self.marked.insert(*id);
                    }
                    self.approval_sel = (self.approval_sel + 1).min(n.saturating_sub(1));
                }
            }
            KeyCode::Char('a') => {
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
            KeyCode::Char('x') => {
                if let Some(id) = visible.get(self.approval_sel) {
                    self.overlay = Overlay::Prompt(PromptKind::RejectReason(*id), String::new());
                }
            }
            KeyCode::Char('/') => {
                self.overlay =
                    Overlay::Prompt(PromptKind::ApprovalFilter, self.approval_filter.clone())
            }
            KeyCode::Enter => {
                if let Some(id) = visible.get(self.approval_sel) {
                    self.approval_open = Some(*id);
                    self.approval_scroll = 0;
                }
            }
            KeyCode::Char('o') => {
                if let Some(id) = visible.get(self.approval_sel) {
                    return self.open_task(*id);
                }
            }
            _ => {}
        }
        vec![]
    }

    pub(super) fn approval_detail_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let Some(id) = self.approval_open else {
            return vec![];
        };
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => self.approval_open = None,
            KeyCode::Char('j') | KeyCode::Down => self.approval_scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => {
                self.approval_scroll = self.approval_scroll.saturating_sub(1)
            }
            KeyCode::PageDown => self.approval_scroll += 10,
            KeyCode::PageUp => self.approval_scroll = self.approval_scroll.saturating_sub(10),
            KeyCode::Char('a') => self.overlay = Overlay::Confirm(Confirm::Approve(vec![id])),
            KeyCode::Char('t') => {
                self.overlay = Overlay::Prompt(PromptKind::ApproveTime(id), String::new())
            }
            KeyCode::Char('x') => {
                self.overlay = Overlay::Prompt(PromptKind::RejectReason(id), String::new())
            }
            KeyCode::Char('o') => {
                self.approval_open = None;
                return self.open_task(id);
            }
            _ => {}
        }
        vec![]
    }
}
