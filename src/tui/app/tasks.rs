//! Keys of the Tasks tab: the list, and a task's detail with its live log.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Confirm, Detail, Overlay, PromptKind, Tab, hosts_of};
use crate::tui::i18n::{Key, t};
use crate::tui::widgets::log_view::{LogView, PAGE};

impl App {
    pub(super) fn task_list_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let n = self.visible_tasks().len();
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return self.back_or_quit(),
            KeyCode::Char('j') | KeyCode::Down => {
                self.task_sel = (self.task_sel + 1).min(n.saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => self.task_sel = self.task_sel.saturating_sub(1),
            KeyCode::Char('g') | KeyCode::Home => self.task_sel = 0,
            KeyCode::Char('G') | KeyCode::End => self.task_sel = n.saturating_sub(1),
            KeyCode::Char('/') => {
                self.overlay = Overlay::Prompt(PromptKind::TaskFilter, self.task_filter.clone())
            }
            KeyCode::Enter => {
                if let Some(id) = self.visible_tasks().get(self.task_sel).map(|t| t.id) {
                    return self.open_task(id);
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Opens a task's detail: its matrix and its log, following live lines.
    pub fn open_task(&mut self, id: i64) -> Vec<Cmd> {
        self.tab = Tab::Tasks;
        self.detail = Some(Detail {
            id,
            detail: None,
            log: LogView::new(),
        });
        let mut cmds = self.load(vec![Cmd::LoadTask(id)]);
        cmds.push(Cmd::StopFollow);
        cmds.push(Cmd::Follow { id, from: 1 });
        cmds
    }

    pub(super) fn detail_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let height = self.log_height.max(1);
        let lang = self.lang;
        let Some(d) = self.detail.as_mut() else {
            return vec![];
        };
        let id = d.id;
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => {
                self.detail = None;
                return vec![Cmd::StopFollow];
            }
            KeyCode::Char('k') | KeyCode::Up => d.log.scroll_up(1),
            KeyCode::Char('j') | KeyCode::Down => d.log.scroll_down(1),
            KeyCode::PageUp => d.log.scroll_up(height),
            KeyCode::PageDown => d.log.scroll_down(height),
            KeyCode::Char('g') | KeyCode::Home => d.log.scroll_up(usize::MAX / 2),
            KeyCode::Char('G') | KeyCode::End => d.log.scroll_down(usize::MAX / 2),
            KeyCode::Char('f') => d.log.toggle_follow(),
            KeyCode::Char('w') => d.log.wrap = !d.log.wrap,
            KeyCode::Char('h') => {
                let hosts = d.detail.as_ref().map(hosts_of).unwrap_or_default();
                d.log.cycle_host(&hosts);
            }
            KeyCode::Char('/') => {
                let q = d.log.search.clone().unwrap_or_default();
                self.overlay = Overlay::Prompt(PromptKind::LogSearch, q);
                return vec![];
            }
            KeyCode::Char('n') => d.log.jump(false),
            KeyCode::Char('N') => d.log.jump(true),
            KeyCode::Char('e') => {
                let path = format!("opsdeck-task-{id}.log");
                return self.load(vec![Cmd::Export { id, path }]);
            }
            KeyCode::Char('c') => self.overlay = Overlay::Confirm(Confirm::Cancel(id)),
            KeyCode::Char('R') => self.overlay = Overlay::Confirm(Confirm::Retry(id)),
            KeyCode::Char('l') => self.overlay = Overlay::Confirm(Confirm::Release(id)),
            KeyCode::Char('s') => {
                // Skip the first step that is waiting or failed.
                let target = d.detail.as_ref().and_then(|dd| {
                    dd.steps.iter().find(|s| {
                        use crate::model::StepState::*;
                        matches!(s.state, Waiting | Manual | Failed | TimedOut)
                    })
                });
                match target {
                    Some(s) => self.overlay = Overlay::Confirm(Confirm::Skip(id, s.id)),
                    None => self.status = Some((format!("{}: -", t(lang, Key::Skip)), true)),
                }
            }
            _ => {}
        }
        // Scrolled to the top of what is loaded: fetch the page before it.
        if let Some(d) = self.detail.as_ref()
            && d.log.wants_older(height)
            && let Some(first) = d.log.first_seq()
        {
            let from = first.saturating_sub(PAGE as u64).max(1);
            let limit = (first - from) as usize;
            return self.load(vec![Cmd::LoadLogs { id, from, limit }]);
        }
        vec![]
    }
}
