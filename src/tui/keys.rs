//! The console's key bindings as data: the `?` help overlay and the status bar are generated from it.

use super::i18n::Key;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    TaskList,
    TaskDetail,
    Approvals,
    Inventory,
}

pub struct Binding {
    pub keys: &'static str,
    pub action: Key,
    pub scope: Scope,
    /// Asks for confirmation and changes something for real.
    pub dangerous: bool,
    /// Shown in the status bar (the others only in help).
    pub hint: bool,
}

const fn b(keys: &'static str, action: Key, scope: Scope, dangerous: bool, hint: bool) -> Binding {
    Binding {
        keys,
        action,
        scope,
        dangerous,
        hint,
    }
}

pub const BINDINGS: &[Binding] = &[
    b("?", Key::Help, Scope::Global, false, true),
    b("q/Esc", Key::Back, Scope::Global, false, true),
    b("[ ] 1-3", Key::NextTab, Scope::Global, false, true),
    b(":", Key::Palette, Scope::Global, false, false),
    b("r", Key::Refresh, Scope::Global, false, false),
    b("j/k ↑/↓ g/G", Key::Move, Scope::TaskList, false, true),
    b("Enter", Key::Open, Scope::TaskList, false, true),
    b("/", Key::Filter, Scope::TaskList, false, true),
    b("j/k PgUp/PgDn", Key::Scroll, Scope::TaskDetail, false, true),
    b("f", Key::Follow, Scope::TaskDetail, false, true),
    b("w", Key::Wrap, Scope::TaskDetail, false, false),
    b("h", Key::HostFilter, Scope::TaskDetail, false, false),
    b("/ n N", Key::Search, Scope::TaskDetail, false, true),
    b("e", Key::Export, Scope::TaskDetail, false, false),
    b("c", Key::Cancel, Scope::TaskDetail, true, true),
    b("R", Key::Retry, Scope::TaskDetail, true, false),
    b("l", Key::Release, Scope::TaskDetail, true, false),
    b("s", Key::Skip, Scope::TaskDetail, true, false),
    b("j/k", Key::Move, Scope::Approvals, false, true),
    b("Space", Key::Mark, Scope::Approvals, false, true),
    b("a", Key::Approve, Scope::Approvals, true, true),
    b("x", Key::Reject, Scope::Approvals, true, true),
    b("Enter", Key::Open, Scope::Approvals, false, false),
    b("/", Key::Filter, Scope::Approvals, false, false),
    b("Tab", Key::NextTab, Scope::Inventory, false, true),
    b("j/k", Key::Move, Scope::Inventory, false, true),
];

/// The bindings of a scope followed by the global ones.
pub fn for_scope(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.scope == scope)
        .chain(BINDINGS.iter().filter(|b| b.scope == Scope::Global))
}
