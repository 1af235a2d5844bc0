//! Prompts at the bottom of the console (filters, log search, reject reason, approve time, export
//! path, the `:` palette): their keys and what Enter does.

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Confirm, Overlay, PromptKind, Tab};
use crate::tui::forms::Module;
use crate::tui::i18n::{Key, t};
use crate::tui::widgets::line::LineInput;

impl App {
    pub(super) fn prompt_key(
        &mut self,
        kind: PromptKind,
        mut input: LineInput,
        k: KeyEvent,
    ) -> Vec<Cmd> {
        match k.code {
            KeyCode::Esc => {
                // Esc on a filter clears it; on other prompts it only closes them.
                self.overlay = Overlay::None;
                match kind {
                    PromptKind::TaskFilter => self.tasks.filter.clear(),
                    PromptKind::ApprovalFilter => self.approvals.filter.clear(),
                    _ => {}
                }
                return vec![];
            }
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                return self.submit_prompt(kind, input);
            }
            // The line editor's keys (←/→, Home/End, Ctrl-A/E/U/K/W…); any other key is ignored.
            _ => {
                if !input.key(k) {
                    return vec![];
                }
            }
        }
        // Filters apply as you type.
        match kind {
            PromptKind::TaskFilter => self.tasks.set_filter(input.value()),
            PromptKind::ApprovalFilter => {
                self.approvals.set_filter(input.value());
            }
            _ => {}
        }
        self.overlay = Overlay::prompt(kind, input);
        vec![]
    }

    fn submit_prompt(&mut self, kind: PromptKind, input: LineInput) -> Vec<Cmd> {
        let text = input.value().to_string();
        match kind {
            PromptKind::TaskFilter => self.tasks.filter = text,
            PromptKind::ApprovalFilter => self.approvals.filter = text,
            PromptKind::LogSearch => self.tasks.search(text, self.log_height),
            PromptKind::RejectReason(id) => {
                if text.trim().is_empty() {
                    // The prompt stays open: a rejection needs a reason.
                    self.status = Some((t(self.lang, Key::ReasonRequired).to_string(), true));
                    self.overlay = Overlay::prompt(kind, input);
                    return vec![];
                }
                return self.load(vec![Cmd::Reject(id, text)]);
            }
            PromptKind::ApproveTime(id) => {
                match crate::model::parse_exec_time(text.trim(), Utc::now()) {
                    Ok(at) => self.overlay = Overlay::Confirm(Confirm::ApproveAt(id, at)),
                    Err(e) => self.status = Some((e.to_string(), true)),
                }
            }
            PromptKind::Palette => return self.palette(text.trim()),
            PromptKind::ExportPath(id) => {
                let path = std::path::PathBuf::from(text.trim());
                if text.trim().is_empty() {
                    self.overlay = Overlay::prompt(kind, input);
                    return vec![];
                }
                // A relative path is taken in the data directory, like the default.
                let path = match &self.data_dir {
                    Some(d) if path.is_relative() => d.join(path),
                    _ => path,
                };
                return self.load(vec![Cmd::Export {
                    id,
                    path: path.display().to_string(),
                }]);
            }
            PromptKind::SlowLogPath => {
                let path = text.trim();
                if path.is_empty() {
                    self.overlay = Overlay::prompt(kind, input);
                    return vec![];
                }
                // `~/…` as a shell would; a relative path is made absolute from where the console
                // started, so the status line and the next prompt name the file that was read.
                let mut path = crate::config::expand_home(std::path::Path::new(path));
                if path.is_relative()
                    && let Ok(cwd) = std::env::current_dir()
                {
                    path = cwd.join(path);
                }
                let path = path.display().to_string();
                self.modules.digest_path = path.clone();
                self.status = Some((t(self.lang, Key::ReadingSlowLog).to_string(), false));
                return self.load(vec![Cmd::Digest {
                    path,
                    lang: self.lang,
                }]);
            }
        }
        vec![]
    }

    /// `:tasks`, `:approvals`, `:inventory`, `:task 12` (or just `:12`), `:q`.
    fn palette(&mut self, cmd: &str) -> Vec<Cmd> {
        let mut words = cmd.split_whitespace();
        let first = words.next().unwrap_or("");
        let arg = words.next();
        match (first, arg) {
            ("tasks" | "t", None) => self.switch(Tab::Tasks),
            ("approvals" | "a", None) => self.switch(Tab::Approvals),
            ("inventory" | "i", None) => self.switch(Tab::Inventory),
            (w, None) if Module::ALL.iter().any(|m| m.word() == w) => {
                let m = Module::ALL
                    .into_iter()
                    .find(|m| m.word() == w)
                    .unwrap_or(Module::Custom);
                self.switch(Tab::Module(m))
            }
            ("task", Some(n)) | (n, None) if n.parse::<i64>().is_ok() => {
                let id = n.parse::<i64>().unwrap_or_default();
                self.open_task(id)
            }
            ("q" | "quit", None) => self.request_quit(),
            _ => {
                self.status = Some((
                    format!(
                        "{} `{cmd}`: tasks, approvals, inventory, app, sql-audit, sql-optimize, resource, node-add, custom, custom-proxy, json, task ID, quit",
                        t(self.lang, Key::UnknownCommand)
                    ),
                    true,
                ));
                vec![]
            }
        }
    }
}
