//! Keys of the submit preview (the overlay before `y` sends a task) and the result of editing a
//! template in `$EDITOR`: both are the console's, not one tab's.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Overlay, Preview};
use crate::tui::i18n::{Key, t};

impl App {
    pub(super) fn preview_key(&mut self, mut p: Preview, k: KeyEvent) -> Vec<Cmd> {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.overlay = Overlay::None;
                self.modules.submitting = Some(p.module);
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
