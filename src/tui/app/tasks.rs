//! Keys of the Tasks tab: the list, and a task's detail with its live log.

use crate::tui::keys::Action;

use super::{App, Cmd, Confirm, Detail, Overlay, PromptKind, Tab, hosts_of};
use crate::tui::i18n::{Key, t};
use crate::tui::widgets::line::LineInput;
use crate::tui::widgets::log_view::{LogView, PAGE};

impl App {
    pub(super) fn task_list_action(&mut self, a: Action) -> Vec<Cmd> {
        let n = self.visible_tasks().len();
        match a {
            Action::Down => self.task_sel = (self.task_sel + 1).min(n.saturating_sub(1)),
            Action::Up => self.task_sel = self.task_sel.saturating_sub(1),
            Action::Top => self.task_sel = 0,
            Action::Bottom => self.task_sel = n.saturating_sub(1),
            Action::Filter => {
                self.overlay =
                    Overlay::prompt(PromptKind::TaskFilter, LineInput::new(&self.task_filter))
            }
            Action::Open => {
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

    pub(super) fn detail_action(&mut self, a: Action) -> Vec<Cmd> {
        let height = self.log_height.max(1);
        let lang = self.lang;
        let Some(d) = self.detail.as_mut() else {
            return vec![];
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
                self.overlay = Overlay::prompt(PromptKind::LogSearch, LineInput::new(&q));
                return vec![];
            }
            Action::NextHit => d.log.jump(false, height),
            Action::PrevHit => d.log.jump(true, height),
            Action::Export => {
                let name = format!("opsdeck-task-{id}.log");
                let default = match &self.data_dir {
                    Some(d) => d.join("exports").join(name).display().to_string(),
                    None => name,
                };
                self.overlay =
                    Overlay::prompt(PromptKind::ExportPath(id), LineInput::new(&default));
                return vec![];
            }
            Action::Cancel => self.overlay = Overlay::Confirm(Confirm::Cancel(id)),
            Action::Retry => self.overlay = Overlay::Confirm(Confirm::Retry(id)),
            Action::Release => self.overlay = Overlay::Confirm(Confirm::Release(id)),
            Action::Skip => {
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
