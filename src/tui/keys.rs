//! The console's key bindings as data: the `?` help overlay and the status bar are generated from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    /// The SQL optimize tab, no field focused: the form's keys and opening a slow log.
    OptimizeForm,
    /// A slow log's query classes (SQL optimize tab).
    Digest,
    /// One query class of a slow log.
    DigestClass,
}

/// What a key does. `update` matches actions, never key codes; the table below is the one place
/// that says which key does what, and the help and status bar are drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Help,
    Palette,
    NextTab,
    PrevTab,
    /// Go to a tab by its key (`1`-`9`, `0`, `-`).
    GoTab,
    Refresh,
    Quit,
    /// Leave a field, close an overlay, clear a filter or search, or go back one level.
    Back,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Filter,
    Follow,
    Wrap,
    HostFilter,
    Search,
    NextHit,
    PrevHit,
    Export,
    Cancel,
    Retry,
    Rollback,
    Release,
    Skip,
    Mark,
    Approve,
    ApproveAt,
    Reject,
    OpenLog,
    NextSection,
    EditTemplate,
    ClearDraft,
    OpenSlowLog,
    /// Documentation only: the focused form or field handles these keys itself.
    FormKeys,
}

/// A key: its code, and whether Ctrl is held. Shift is part of the character (`G`, `R`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    code: KeyCode,
    ctrl: bool,
}

const fn ch(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn k(code: KeyCode) -> Chord {
    Chord { code, ctrl: false }
}

const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

impl Chord {
    fn matches(&self, e: &KeyEvent) -> bool {
        let ctrl = e.modifiers.contains(KeyModifiers::CONTROL);
        let alt = e.modifiers.contains(KeyModifiers::ALT);
        self.code == e.code && self.ctrl == ctrl && !alt
    }
}

pub struct Binding {
    /// The keys as shown in help and the status bar.
    pub keys: &'static str,
    pub chords: &'static [Chord],
    pub act: Action,
    /// The words shown for it.
    pub action: Key,
    pub scope: Scope,
    /// Asks for confirmation and changes something for real.
    pub dangerous: bool,
    /// Shown in the status bar (the others only in help).
    pub hint: bool,
}

const fn b(
    keys: &'static str,
    chords: &'static [Chord],
    act: Action,
    action: Key,
    scope: Scope,
    dangerous: bool,
    hint: bool,
) -> Binding {
    Binding {
        keys,
        chords,
        act,
        action,
        scope,
        dangerous,
        hint,
    }
}

use Action as A;
use KeyCode as C;
use Scope as S;

const DOWN: &[Chord] = &[ch('j'), k(C::Down)];
const UP: &[Chord] = &[ch('k'), k(C::Up)];
const TABS: &[Chord] = &[
    ch('1'),
    ch('2'),
    ch('3'),
    ch('4'),
    ch('5'),
    ch('6'),
    ch('7'),
    ch('8'),
    ch('9'),
    ch('0'),
    ch('-'),
];

pub const BINDINGS: &[Binding] = &[
    b("?", &[ch('?')], A::Help, Key::Help, S::Global, false, true),
    b("q", &[ch('q')], A::Quit, Key::Quit, S::Global, false, true),
    b(
        "Esc",
        &[k(C::Esc)],
        A::Back,
        Key::Back,
        S::Global,
        false,
        true,
    ),
    b(
        "1-9 0 -",
        TABS,
        A::GoTab,
        Key::NextTab,
        S::Global,
        false,
        true,
    ),
    b(
        "[ ]",
        &[ch(']')],
        A::NextTab,
        Key::NextTab,
        S::Global,
        false,
        false,
    ),
    b(
        "",
        &[ch('[')],
        A::PrevTab,
        Key::NextTab,
        S::Global,
        false,
        false,
    ),
    b(
        ":",
        &[ch(':')],
        A::Palette,
        Key::Palette,
        S::Global,
        false,
        false,
    ),
    b(
        "r",
        &[ch('r')],
        A::Refresh,
        Key::Refresh,
        S::Global,
        false,
        false,
    ),
    b(
        "j/k ↑/↓",
        &[ch('j'), k(C::Down)],
        A::Down,
        Key::Move,
        S::TaskList,
        false,
        true,
    ),
    b(
        "",
        &[ch('k'), k(C::Up)],
        A::Up,
        Key::Move,
        S::TaskList,
        false,
        false,
    ),
    b(
        "g/G",
        &[ch('g'), k(C::Home)],
        A::Top,
        Key::Move,
        S::TaskList,
        false,
        false,
    ),
    b(
        "",
        &[ch('G'), k(C::End)],
        A::Bottom,
        Key::Move,
        S::TaskList,
        false,
        false,
    ),
    b(
        "Enter",
        &[k(C::Enter)],
        A::Open,
        Key::Open,
        S::TaskList,
        false,
        true,
    ),
    b(
        "/",
        &[ch('/')],
        A::Filter,
        Key::Filter,
        S::TaskList,
        false,
        true,
    ),
    b(
        "j/k PgUp/PgDn",
        DOWN,
        A::Down,
        Key::Scroll,
        S::TaskDetail,
        false,
        true,
    ),
    b("", UP, A::Up, Key::Scroll, S::TaskDetail, false, false),
    b(
        "",
        &[k(C::PageDown)],
        A::PageDown,
        Key::Scroll,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "",
        &[k(C::PageUp)],
        A::PageUp,
        Key::Scroll,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "g/G",
        &[ch('g'), k(C::Home)],
        A::Top,
        Key::Scroll,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "",
        &[ch('G'), k(C::End)],
        A::Bottom,
        Key::Scroll,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "f",
        &[ch('f')],
        A::Follow,
        Key::Follow,
        S::TaskDetail,
        false,
        true,
    ),
    b(
        "w",
        &[ch('w')],
        A::Wrap,
        Key::Wrap,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "h",
        &[ch('h')],
        A::HostFilter,
        Key::HostFilter,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "/ n N",
        &[ch('/')],
        A::Search,
        Key::Search,
        S::TaskDetail,
        false,
        true,
    ),
    b(
        "",
        &[ch('n')],
        A::NextHit,
        Key::Search,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "",
        &[ch('N')],
        A::PrevHit,
        Key::Search,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "e",
        &[ch('e')],
        A::Export,
        Key::Export,
        S::TaskDetail,
        false,
        false,
    ),
    b(
        "c",
        &[ch('c')],
        A::Cancel,
        Key::Cancel,
        S::TaskDetail,
        true,
        true,
    ),
    b(
        "R",
        &[ch('R')],
        A::Retry,
        Key::Retry,
        S::TaskDetail,
        true,
        false,
    ),
    b(
        "U",
        &[ch('U')],
        A::Rollback,
        Key::Rollback,
        S::TaskDetail,
        true,
        false,
    ),
    b(
        "l",
        &[ch('l')],
        A::Release,
        Key::Release,
        S::TaskDetail,
        true,
        false,
    ),
    b(
        "s",
        &[ch('s')],
        A::Skip,
        Key::Skip,
        S::TaskDetail,
        true,
        false,
    ),
    b("j/k", DOWN, A::Down, Key::Move, S::Approvals, false, true),
    b("", UP, A::Up, Key::Move, S::Approvals, false, false),
    b(
        "Space",
        &[ch(' ')],
        A::Mark,
        Key::Mark,
        S::Approvals,
        false,
        true,
    ),
    b(
        "a",
        &[ch('a')],
        A::Approve,
        Key::Approve,
        S::Approvals,
        true,
        true,
    ),
    b(
        "x",
        &[ch('x')],
        A::Reject,
        Key::Reject,
        S::Approvals,
        true,
        true,
    ),
    b(
        "Enter",
        &[k(C::Enter)],
        A::Open,
        Key::Details,
        S::Approvals,
        false,
        true,
    ),
    b(
        "o",
        &[ch('o')],
        A::OpenLog,
        Key::OpenLog,
        S::Approvals,
        false,
        false,
    ),
    b(
        "/",
        &[ch('/')],
        A::Filter,
        Key::Filter,
        S::Approvals,
        false,
        false,
    ),
    b(
        "j/k PgUp/PgDn",
        DOWN,
        A::Down,
        Key::Scroll,
        S::ApprovalDetail,
        false,
        true,
    ),
    b("", UP, A::Up, Key::Scroll, S::ApprovalDetail, false, false),
    b(
        "",
        &[k(C::PageDown)],
        A::PageDown,
        Key::Scroll,
        S::ApprovalDetail,
        false,
        false,
    ),
    b(
        "",
        &[k(C::PageUp)],
        A::PageUp,
        Key::Scroll,
        S::ApprovalDetail,
        false,
        false,
    ),
    b(
        "a",
        &[ch('a')],
        A::Approve,
        Key::Approve,
        S::ApprovalDetail,
        true,
        true,
    ),
    b(
        "t",
        &[ch('t')],
        A::ApproveAt,
        Key::ApproveAt,
        S::ApprovalDetail,
        true,
        true,
    ),
    b(
        "x",
        &[ch('x')],
        A::Reject,
        Key::Reject,
        S::ApprovalDetail,
        true,
        true,
    ),
    b(
        "o",
        &[ch('o')],
        A::OpenLog,
        Key::OpenLog,
        S::ApprovalDetail,
        false,
        false,
    ),
    b(
        "Tab",
        &[k(C::Tab)],
        A::NextSection,
        Key::NextTab,
        S::Inventory,
        false,
        true,
    ),
    b("j/k", DOWN, A::Down, Key::Move, S::Inventory, false, true),
    b("", UP, A::Up, Key::Move, S::Inventory, false, false),
    b(
        "e",
        &[ch('e')],
        A::EditTemplate,
        Key::EditTemplate,
        S::Inventory,
        true,
        true,
    ),
    b(
        "Enter/Tab/i",
        &[],
        A::FormKeys,
        Key::Edit,
        S::Form,
        false,
        true,
    ),
    b("Ctrl-S", &[], A::FormKeys, Key::Submit, S::Form, true, true),
    b(
        "Ctrl-R",
        &[ctrl('r')],
        A::ClearDraft,
        Key::ClearDraft,
        S::Form,
        false,
        false,
    ),
    b(
        "o",
        &[ch('o')],
        A::OpenSlowLog,
        Key::OpenSlowLog,
        S::OptimizeForm,
        false,
        true,
    ),
    b("j/k ↑/↓", DOWN, A::Down, Key::Move, S::Digest, false, true),
    b("", UP, A::Up, Key::Move, S::Digest, false, false),
    b(
        "PgDn/PgUp",
        &[k(C::PageDown)],
        A::PageDown,
        Key::Scroll,
        S::Digest,
        false,
        false,
    ),
    b(
        "",
        &[k(C::PageUp)],
        A::PageUp,
        Key::Scroll,
        S::Digest,
        false,
        false,
    ),
    b(
        "g/G",
        &[ch('g'), k(C::Home)],
        A::Top,
        Key::Move,
        S::Digest,
        false,
        false,
    ),
    b(
        "",
        &[ch('G'), k(C::End)],
        A::Bottom,
        Key::Move,
        S::Digest,
        false,
        false,
    ),
    b(
        "Enter",
        &[k(C::Enter)],
        A::Open,
        Key::Open,
        S::Digest,
        false,
        true,
    ),
    b(
        "o",
        &[ch('o')],
        A::OpenSlowLog,
        Key::OpenSlowLog,
        S::Digest,
        false,
        false,
    ),
    b(
        "j/k ↑/↓",
        DOWN,
        A::Down,
        Key::Scroll,
        S::DigestClass,
        false,
        true,
    ),
    b("", UP, A::Up, Key::Scroll, S::DigestClass, false, false),
    b(
        "PgDn/PgUp",
        &[k(C::PageDown)],
        A::PageDown,
        Key::Scroll,
        S::DigestClass,
        false,
        false,
    ),
    b(
        "",
        &[k(C::PageUp)],
        A::PageUp,
        Key::Scroll,
        S::DigestClass,
        false,
        false,
    ),
    b(
        "Tab/Shift-Tab",
        &[],
        A::FormKeys,
        Key::Fields,
        S::FormField,
        false,
        true,
    ),
    b(
        "Ctrl-S",
        &[],
        A::FormKeys,
        Key::Submit,
        S::FormField,
        true,
        true,
    ),
    b(
        "Esc",
        &[],
        A::FormKeys,
        Key::Leave,
        S::FormField,
        false,
        true,
    ),
    b(
        "Space a",
        &[],
        A::FormKeys,
        Key::Toggle,
        S::FormField,
        false,
        false,
    ),
    b(
        "Ctrl-N/Ctrl-D ←→",
        &[],
        A::FormKeys,
        Key::Rows,
        S::FormField,
        false,
        false,
    ),
    b(
        "←→ Home/End Ctrl-A/E/U/K/W Alt-B/F",
        &[],
        A::FormKeys,
        Key::LineEdit,
        S::FormField,
        false,
        false,
    ),
];

/// The action of a key on a screen: the screen's bindings first, then the global ones (which do
/// not apply while a field has focus: keys type into it).
pub fn action(scope: Scope, e: &KeyEvent) -> Option<Action> {
    for_scope_all(scope)
        .find(|b| b.chords.iter().any(|c| c.matches(e)))
        .map(|b| b.act)
}

/// The index in the tab bar a `GoTab` key goes to.
pub fn tab_index(e: &KeyEvent) -> Option<usize> {
    TABS.iter().position(|c| c.matches(e))
}

fn for_scope_all(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    // The SQL optimize tab is a form with one key more.
    let own = move |b: &&Binding| {
        b.scope == scope || (scope == Scope::OptimizeForm && b.scope == Scope::Form)
    };
    BINDINGS.iter().filter(own).chain(
        BINDINGS
            .iter()
            .filter(move |b| b.scope == Scope::Global && scope != Scope::FormField),
    )
}

/// The bindings shown for a scope (help and status bar): those with keys to show.
pub fn for_scope(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    for_scope_all(scope).filter(|b| !b.keys.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_on_a_screen_means_one_thing() {
        for scope in [
            S::TaskList,
            S::TaskDetail,
            S::Approvals,
            S::ApprovalDetail,
            S::Inventory,
            S::Form,
            S::OptimizeForm,
            S::Digest,
            S::DigestClass,
        ] {
            let all: Vec<&Binding> = for_scope_all(scope).collect();
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    for c in a.chords {
                        assert!(
                            !b.chords.contains(c) || a.scope != b.scope,
                            "{scope:?}: {c:?} is both {:?} and {:?}",
                            a.act,
                            b.act
                        );
                    }
                }
            }
        }
        let e = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(action(S::TaskDetail, &e), Some(A::Back));
        assert_eq!(
            action(S::FormField, &e),
            None,
            "a field handles its own keys"
        );
        let dash = KeyEvent::new(KeyCode::Char('-'), KeyModifiers::NONE);
        assert_eq!(tab_index(&dash), Some(10));
    }
}
