//! The console's key bindings as data: the `?` help overlay and the status bar are generated from it.

use super::i18n::Key;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    TaskList,
    TaskDetail,
    Approvals,
    ApprovalDetail,
    Inventory,
    /// A module tab, no field focused: the console's keys apply.
    Form,
    /// A field of a module tab has focus: keys type into it.
    FormField,
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
    b("[ ] 1-9 0", Key::NextTab, Scope::Global, false, true),
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
    b("Enter", Key::Details, Scope::Approvals, false, true),
    b("o", Key::OpenLog, Scope::Approvals, false, false),
    b("/", Key::Filter, Scope::Approvals, false, false),
    b(
        "j/k PgUp/PgDn",
        Key::Scroll,
        Scope::ApprovalDetail,
        false,
        true,
    ),
    b("a", Key::Approve, Scope::ApprovalDetail, true, true),
    b("t", Key::ApproveAt, Scope::ApprovalDetail, true, true),
    b("x", Key::Reject, Scope::ApprovalDetail, true, true),
    b("o", Key::OpenLog, Scope::ApprovalDetail, false, false),
    b("Tab", Key::NextTab, Scope::Inventory, false, true),
    b("j/k", Key::Move, Scope::Inventory, false, true),
    b("e", Key::EditTemplate, Scope::Inventory, true, true),
    b("Enter/Tab/i", Key::Edit, Scope::Form, false, true),
    b("Ctrl-S", Key::Submit, Scope::Form, true, true),
    b("Tab/Shift-Tab", Key::Fields, Scope::FormField, false, true),
    b("Ctrl-S", Key::Submit, Scope::FormField, true, true),
    b("Esc", Key::Leave, Scope::FormField, false, true),
    b("Space a", Key::Toggle, Scope::FormField, false, false),
    b(
        "Ctrl-N/Ctrl-D ←→",
        Key::Rows,
        Scope::FormField,
        false,
        false,
    ),
];

/// The bindings of a scope followed by the global ones (which do not apply while typing in a field).
pub fn for_scope(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.scope == scope).chain(
        BINDINGS
            .iter()
            .filter(move |b| b.scope == Scope::Global && scope != Scope::FormField),
    )
}
