//! The slow log browser of the SQL optimize tab: the digest's classes (most total query time
//! first), and one class's detail with its fingerprint, example, score and index advice.

use std::sync::Arc;

use crate::sql::digest::DigestReport;
use crate::tui::keys::Action;

/// An open slow log.
#[derive(Debug, Clone)]
pub struct DigestView {
    /// The file, as the operator typed it made absolute.
    pub path: String,
    pub report: Arc<DigestReport>,
    pub sel: usize,
    /// The class whose detail is shown.
    pub open: bool,
    pub scroll: usize,
}

impl DigestView {
    pub fn new(path: String, report: Arc<DigestReport>) -> DigestView {
        DigestView {
            path,
            report,
            sel: 0,
            open: false,
            scroll: 0,
        }
    }

    /// An action on the list or on the open class.
    pub fn action(&mut self, a: Action, page: usize) -> bool {
        let n = self.report.classes.len();
        if self.open {
            match a {
                Action::Down => self.scroll += 1,
                Action::Up => self.scroll = self.scroll.saturating_sub(1),
                Action::PageDown => self.scroll += page.max(1),
                Action::PageUp => self.scroll = self.scroll.saturating_sub(page.max(1)),
                Action::Top => self.scroll = 0,
                _ => return false,
            }
            return true;
        }
        match a {
            Action::Down => self.sel = (self.sel + 1).min(n.saturating_sub(1)),
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::PageDown => self.sel = (self.sel + page.max(1)).min(n.saturating_sub(1)),
            Action::PageUp => self.sel = self.sel.saturating_sub(page.max(1)),
            Action::Top => self.sel = 0,
            Action::Bottom => self.sel = n.saturating_sub(1),
            Action::Open if n > 0 => {
                self.open = true;
                self.scroll = 0;
            }
            _ => return false,
        }
        true
    }

    /// Esc: closes the class, then the log; `false` once nothing is left to close here.
    pub fn back(&mut self) -> bool {
        if self.open {
            self.open = false;
            return true;
        }
        false
    }
}
