//! Keys of the module tabs (forms, the submit preview) and the result of a template edit.

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Overlay, Preview};
use crate::tui::forms::{Module, Outcome, errors_text};
use crate::tui::i18n::{Key, t};

impl App {
    /// A key for a module tab's form; `None` when the console's keys apply instead.
    pub(super) fn form_key(&mut self, m: Module, k: KeyEvent) -> Option<Vec<Cmd>> {
        let ctx = self.ctx.as_mut()?;
        ctx.now = Utc::now();
        let form = self.forms.get_mut(&m)?;
        let outcome = form.key(k, ctx);
        let check: Vec<Cmd> = form
            .take_check(self.lang)
            .map(|j| Cmd::Check(Box::new(j)))
            .into_iter()
            .collect();
        match outcome {
            Outcome::Ignored => None,
            Outcome::Handled => Some(check),
            Outcome::Invalid(errs) => {
                self.status = Some((errors_text(self.lang, &errs), true));
                Some(check)
            }
            Outcome::Submit(spec) => {
                let plan = ctx
                    .template(spec.template_id)
                    .map(|tpl| crate::modules::plan(&spec, tpl, &ctx.inventory))
                    .unwrap_or_default();
                // A time typed in the past would run at once: the preview says so before `y`.
                let past = spec.exec_time < ctx.now - chrono::Duration::seconds(60);
                self.overlay = Overlay::Submit(Box::new(Preview {
                    past,
                    spec: *spec,
                    plan,
                    scroll: 0,
                    module: m,
                }));
                Some(check)
            }
        }
    }

    pub(super) fn preview_key(&mut self, mut p: Preview, k: KeyEvent) -> Vec<Cmd> {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.overlay = Overlay::None;
                self.submitting = Some(p.module);
                return self.load(vec![Cmd::Submit(Box::new(p.spec))]);
            }
            KeyCode::Char('n') | KeyCode::Esc => {
                self.overlay = Overlay::None;
                return vec![];
            }
            KeyCode::Char('j') | KeyCode::Down => p.scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => p.scroll = p.scroll.saturating_sub(1),
            KeyCode::PageDown => p.scroll += 10,
            KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
            _ => {}
        }
        self.overlay = Overlay::Submit(Box::new(p));
        vec![]
    }

    /// After `$EDITOR`: validate the new source locally; errors change nothing and keep the draft.
    pub(super) fn edited(&mut self, id: u32, source: Option<String>) -> Vec<Cmd> {
        let Some(source) = source else {
            self.status = Some((format!("{id}: {}", t(self.lang, Key::Unchanged)), false));
            return vec![];
        };
        let file = format!("template-{id}.toml");
        match crate::templates::load_template_str(&source, &file) {
            Ok(_) => self.load(vec![Cmd::ImportTemplate { id, source }]),
            Err(e) => {
                self.inv.drafts.insert(id, source);
                self.overlay = Overlay::Message(
                    format!("{} — {file}", t(self.lang, Key::NothingImported)),
                    e.to_string().lines().map(str::to_string).collect(),
                );
                vec![]
            }
        }
    }
}
