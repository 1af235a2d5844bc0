//! The Inventory tab as a component: tags, hosts, templates and apps with their section and
//! selection, and the edited template sources that failed validation.

use std::collections::BTreeMap;

use crate::model::{Inventory, StoredTemplate};
use crate::tui::keys::Action;

use super::Cmd;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvSection {
    #[default]
    Tags,
    Hosts,
    Templates,
    Apps,
}

impl InvSection {
    pub fn next(self) -> InvSection {
        match self {
            InvSection::Tags => InvSection::Hosts,
            InvSection::Hosts => InvSection::Templates,
            InvSection::Templates => InvSection::Apps,
            InvSection::Apps => InvSection::Tags,
        }
    }
}

/// The Inventory tab's state.
#[derive(Debug, Default)]
pub struct InventoryTab {
    /// `None` until loaded.
    pub inventory: Option<Inventory>,
    pub templates: Vec<StoredTemplate>,
    pub section: InvSection,
    pub sel: usize,
    /// Edited template sources that failed validation, reopened by the next edit.
    pub drafts: BTreeMap<u32, String>,
}

impl InventoryTab {
    /// Rows of the section shown.
    pub fn rows(&self) -> usize {
        match (self.section, &self.inventory) {
            (_, None) => 0,
            (InvSection::Tags, Some(i)) => i.tags.len(),
            (InvSection::Hosts, Some(i)) => i.hosts.len(),
            (InvSection::Templates, _) => self.templates.len(),
            (InvSection::Apps, Some(i)) => i.apps.len(),
        }
    }

    /// An action on the tab; editing a template asks the console to open `$EDITOR`.
    pub fn action(&mut self, a: Action) -> Vec<Cmd> {
        match a {
            Action::NextSection => {
                self.section = self.section.next();
                self.sel = 0;
            }
            Action::Down => self.sel += 1,
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::EditTemplate if self.section == InvSection::Templates => {
                if let Some(s) = self.templates.get(self.sel) {
                    let id = s.template.id;
                    let source = self
                        .drafts
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| s.source.clone());
                    return vec![Cmd::EditTemplate { id, source }];
                }
            }
            _ => {}
        }
        self.sel = self.sel.min(self.rows().saturating_sub(1));
        vec![]
    }
}
