//! Console state and `update`: keys and backend results in, state changes and commands out. No I/O here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

mod approvals;
mod digest;
mod inventory;
mod modules;
mod prompt;
mod submit;
mod tasks;
mod types;
pub use approvals::Approvals;
pub use digest::DigestView;
pub use inventory::{InvSection, InventoryTab};
pub use modules::ModuleTabs;
pub use tasks::{Around, Detail, TasksTab};
pub use types::*;

use super::forms::Module;
use super::i18n::{Key, Lang, t};
use super::keys::{Action, Scope};
use super::widgets::line::LineInput;
use crate::backend::TaskDetail;
use crate::model::{Task, User};

pub struct App {
    pub lang: Lang,
    pub color: bool,
    pub tab: Tab,
    pub me: Option<User>,
    /// The Tasks tab (the list, its filter, an open task's detail and log).
    pub tasks: TasksTab,
    /// The Approvals tab (its queue, marks, filter, open detail).
    pub approvals: Approvals,
    /// The Inventory tab (inventory, templates, section, selection, template drafts).
    pub inv: InventoryTab,
    pub overlay: Overlay,
    pub status: Option<(String, bool)>,
    /// What the engine process says (pid, what keeps running, gone), set by the runtime; `true` = a problem.
    pub engine: Option<(String, bool)>,
    pub pending: usize,
    pub quit: bool,
    /// Rows the log pane showed last frame (for paging).
    pub log_height: usize,
    /// The module tabs (their forms, the context they are checked against, saved drafts).
    pub modules: ModuleTabs,
    /// The data directory: exports go there by default.
    pub data_dir: Option<std::path::PathBuf>,
    /// Where the last frame drew what the mouse can click.
    pub mouse: MouseMap,
}

/// Clickable places of the last frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MouseMap {
    /// Each tab's first and one-past-last column on the top row.
    pub tabs: Vec<(u16, u16, Tab)>,
    /// A list's first row, its number of rows, and the index of the item on the first row.
    pub rows: Option<(u16, u16, usize)>,
}

impl App {
    pub fn new(lang: Lang, color: bool) -> App {
        App {
            lang,
            color,
            tab: Tab::Tasks,
            me: None,
            tasks: TasksTab::default(),
            approvals: Approvals::default(),
            inv: InventoryTab::default(),
            overlay: Overlay::None,
            status: None,
            engine: None,
            pending: 0,
            quit: false,
            log_height: 20,
            modules: ModuleTabs::default(),
            data_dir: None,
            mouse: MouseMap::default(),
        }
    }

    /// What to load when the console opens.
    pub fn init(&mut self) -> Vec<Cmd> {
        self.pending += 5;
        vec![
            Cmd::LoadMe,
            Cmd::LoadTasks,
            Cmd::LoadApprovals,
            Cmd::LoadInventory,
            Cmd::LoadContext,
        ]
    }

    pub fn scope(&self) -> Scope {
        match self.tab {
            Tab::Tasks if self.tasks.detail.is_some() => Scope::TaskDetail,
            Tab::Tasks => Scope::TaskList,
            Tab::Approvals if self.approvals.open.is_some() => Scope::ApprovalDetail,
            Tab::Approvals => Scope::Approvals,
            Tab::Inventory => Scope::Inventory,
            Tab::Module(Module::SqlOptimize) if self.modules.digest.is_some() => {
                match self.modules.digest.as_ref().is_some_and(|d| d.open) {
                    true => Scope::DigestClass,
                    false => Scope::Digest,
                }
            }
            Tab::Module(m) if self.modules.editing(m) => Scope::FormField,
            Tab::Module(Module::SqlOptimize) => Scope::OptimizeForm,
            Tab::Module(_) => Scope::Form,
        }
    }

    /// The open approval, while it still waits.
    pub fn open_approval(&self) -> Option<&Task> {
        self.approvals.opened()
    }

    /// Tasks shown in the Tasks tab after the filter (matches id, name, state, submitter, module).
    pub fn visible_tasks(&self) -> Vec<&Task> {
        self.tasks.visible()
    }

    /// Tasks waiting on me, after the filter.
    pub fn visible_approvals(&self) -> Vec<&Task> {
        self.approvals.visible()
    }

    /// The number on the Approvals tab: tasks pending approval that I may approve.
    pub fn approval_badge(&self) -> usize {
        self.approvals.list.len()
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(k) => self.key(k),
            Msg::Paste(text) => self.paste(&text),
            Msg::Mouse(m) => self.mouse(m),
            Msg::Checked(r) => {
                self.modules.checked(*r);
                vec![]
            }
            Msg::Tick => {
                // Keep lists fresh without blocking anything; answers arrive as messages.
                vec![Cmd::LoadTasks, Cmd::LoadApprovals]
                    .into_iter()
                    .chain(self.tasks.detail.as_ref().map(|d| Cmd::LoadTask(d.id)))
                    .collect()
            }
            Msg::Me(u) => {
                self.done_one();
                self.me = Some(u);
                vec![Cmd::LoadApprovals]
            }
            Msg::Tasks(ts) => {
                self.done_one();
                self.tasks.set(ts);
                vec![]
            }
            Msg::Approvals(ts) => {
                self.done_one();
                self.approvals.set(ts, self.me.as_ref());
                vec![]
            }
            Msg::Inventory(inv, tpls) => {
                self.done_one();
                self.inv.inventory = Some(*inv);
                self.inv.templates = tpls;
                vec![]
            }
            Msg::Task(d) => {
                self.done_one();
                self.tasks.loaded(*d);
                vec![]
            }
            Msg::Logs { id, lines } => {
                self.done_one();
                self.tasks.lines(id, lines);
                vec![]
            }
            Msg::Live(l) => {
                self.tasks.lines(l.task_id, vec![l]);
                vec![]
            }
            Msg::Done(done) => {
                self.done_one();
                self.status = Some((done.text(self.lang), false));
                let mut cmds = vec![Cmd::LoadTasks, Cmd::LoadApprovals];
                cmds.extend(self.tasks.after(&done));
                cmds
            }
            Msg::Error(e) => {
                self.done_one();
                self.status = Some((e, true));
                vec![]
            }
            Msg::Context(ctx) => {
                self.done_one();
                let e = self.modules.context(*ctx, self.lang);
                self.apply(e)
            }
            Msg::Submitted(task) => {
                self.done_one();
                self.modules.submitted();
                self.status = Some((
                    format!(
                        "{} #{} {}",
                        t(self.lang, Key::Submitted),
                        task.id,
                        task.spec.name
                    ),
                    false,
                ));
                let id = task.id;
                if !self.tasks.list.iter().any(|x| x.id == id) {
                    self.tasks.list.insert(0, *task);
                }
                let mut cmds = self.load(vec![Cmd::LoadTasks, Cmd::LoadApprovals]);
                cmds.extend(self.open_task(id));
                cmds
            }
            Msg::Edited { id, source } => self.edited(id, source),
            Msg::Digested { path, report } => {
                self.done_one();
                match report {
                    Ok(r) => {
                        self.status = Some((
                            format!(
                                "{path}: {} {}, {} {}",
                                r.events,
                                t(self.lang, Key::Entries),
                                r.classes_total,
                                t(self.lang, Key::SlowLogClasses)
                            ),
                            false,
                        ));
                        self.modules.digest = Some(DigestView::new(path, r));
                    }
                    Err(e) => self.status = Some((e, true)),
                }
                vec![]
            }
            Msg::RollbackBuilt {
                of,
                sql,
                notes,
                spec,
            } => {
                self.done_one();
                // Only while that task's detail is still open and nothing else is asked.
                let open = self.tasks.detail.as_ref().is_some_and(|d| d.id == of);
                if !open || self.overlay != Overlay::None {
                    return vec![];
                }
                let name = t(self.lang, Key::Rollback);
                match spec {
                    Ok(spec) => {
                        self.status = None;
                        self.overlay = Overlay::Confirm(Confirm::Rollback {
                            of,
                            sql,
                            notes,
                            spec,
                        });
                    }
                    Err(e) => self.status = Some((format!("{name}: {e}"), true)),
                }
                vec![]
            }
            Msg::TemplateImported { id, version } => {
                self.done_one();
                self.inv.drafts.remove(&id);
                self.status = Some((
                    format!(
                        "{} {id} {} v{version}",
                        t(self.lang, Key::Templates),
                        t(self.lang, Key::Imported)
                    ),
                    false,
                ));
                self.load(vec![Cmd::LoadInventory, Cmd::LoadContext])
            }
        }
    }

    pub(super) fn done_one(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    pub(super) fn load(&mut self, cmds: Vec<Cmd>) -> Vec<Cmd> {
        self.pending += cmds
            .iter()
            .filter(|c| !matches!(c, Cmd::Follow { .. } | Cmd::StopFollow))
            .count();
        cmds
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return vec![Cmd::StopFollow];
        }
        match self.overlay.clone() {
            Overlay::Help => {
                self.overlay = Overlay::None;
                return vec![];
            }
            Overlay::Confirm(c) => {
                self.overlay = Overlay::None;
                if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    let cmd = match c {
                        Confirm::Approve(ids) => {
                            self.approvals.marked.clear();
                            Cmd::Approve(ids)
                        }
                        Confirm::ApproveAt(id, at) => Cmd::ApproveAt(id, at),
                        Confirm::Cancel(id) => Cmd::Cancel(id),
                        Confirm::Retry(id) => Cmd::Retry(id),
                        Confirm::Release(id) => Cmd::Release(id),
                        Confirm::Skip(id, s) => Cmd::Skip(id, s),
                        Confirm::Rollback { spec, .. } => Cmd::Submit(spec),
                        Confirm::Quit(_) => {
                            self.quit = true;
                            return vec![Cmd::StopFollow];
                        }
                    };
                    return self.load(vec![cmd]);
                }
                return vec![];
            }
            Overlay::Prompt(kind, text) => return self.prompt_key(kind, *text, k),
            Overlay::Submit(p) => return self.preview_key(*p, k),
            Overlay::Message(..) => {
                self.overlay = Overlay::None;
                return vec![];
            }
            Overlay::None => {}
        }
        self.status = None;
        let browsing = matches!(self.scope(), Scope::Digest | Scope::DigestClass);
        if let Tab::Module(m) = self.tab
            && !browsing
            && let Some(e) = self.modules.key(m, k, self.lang)
        {
            return self.apply(e);
        }
        let scope = self.scope();
        let Some(action) = super::keys::action(scope, &k) else {
            return vec![];
        };
        match action {
            Action::Help => {
                self.overlay = Overlay::Help;
                vec![]
            }
            Action::Palette => {
                self.overlay = Overlay::prompt(PromptKind::Palette, LineInput::default());
                vec![]
            }
            Action::NextTab => self.switch(self.tab.next()),
            Action::PrevTab => self.switch(self.tab.prev()),
            Action::GoTab => match super::keys::tab_index(&k).and_then(|i| Tab::ALL.get(i)) {
                Some(tab) => self.switch(*tab),
                None => vec![],
            },
            Action::Refresh => {
                let mut c = vec![
                    Cmd::LoadTasks,
                    Cmd::LoadApprovals,
                    Cmd::LoadInventory,
                    Cmd::LoadContext,
                ];
                if let Some(d) = &self.tasks.detail {
                    c.push(Cmd::LoadTask(d.id));
                }
                self.load(c)
            }
            Action::Quit => self.request_quit(),
            Action::Back => self.back(),
            a => self.scope_action(scope, a),
        }
    }

    /// An action the current screen handles itself (keys and the mouse wheel both end here).
    fn scope_action(&mut self, scope: Scope, a: Action) -> Vec<Cmd> {
        match scope {
            Scope::TaskList => {
                let e = self.tasks.list_action(a);
                self.apply(e)
            }
            Scope::TaskDetail => {
                let around = Around {
                    lang: self.lang,
                    log_height: self.log_height,
                    data_dir: self.data_dir.as_deref(),
                    ctx: self.modules.ctx.as_ref(),
                };
                let e = self.tasks.detail_action(a, &around);
                self.apply(e)
            }
            Scope::Approvals => {
                let e = self.approvals.action(a);
                self.apply(e)
            }
            Scope::ApprovalDetail => {
                let e = self.approvals.detail_action(a);
                self.apply(e)
            }
            Scope::Inventory => self.inv.action(a),
            Scope::Form | Scope::OptimizeForm => match (a, self.tab) {
                (Action::ClearDraft, Tab::Module(m)) => {
                    let e = self.modules.clear(m, self.lang);
                    self.apply(e)
                }
                (Action::OpenSlowLog, _) => self.ask_slow_log(),
                _ => vec![],
            },
            Scope::Digest | Scope::DigestClass => {
                if a == Action::OpenSlowLog {
                    return self.ask_slow_log();
                }
                let page = self.log_height.max(1);
                if let Some(d) = self.modules.digest.as_mut() {
                    d.action(a, page);
                }
                vec![]
            }
            Scope::Global | Scope::FormField => vec![],
        }
    }

    pub(super) fn switch(&mut self, tab: Tab) -> Vec<Cmd> {
        self.tab = tab;
        vec![]
    }

    /// `q`: quits, asking first when a module tab holds input not submitted yet.
    pub(super) fn request_quit(&mut self) -> Vec<Cmd> {
        let dirty = self.modules.dirty();
        if dirty.is_empty() {
            self.quit = true;
            return vec![Cmd::StopFollow];
        }
        self.overlay = Overlay::Confirm(Confirm::Quit(dirty));
        vec![]
    }

    /// Esc: clears a search or filter, or goes back one level; at the top it only says how to quit.
    fn back(&mut self) -> Vec<Cmd> {
        match self.scope() {
            Scope::TaskDetail => return self.tasks.back(),
            Scope::ApprovalDetail => {
                self.approvals.open = None;
                return vec![];
            }
            Scope::DigestClass | Scope::Digest => {
                let closed_class = self.modules.digest.as_mut().is_some_and(|d| d.back());
                if !closed_class {
                    self.modules.digest = None;
                }
                return vec![];
            }
            Scope::TaskList if !self.tasks.filter.is_empty() => {
                self.tasks.filter.clear();
                return vec![];
            }
            Scope::Approvals if !self.approvals.filter.is_empty() => {
                self.approvals.filter.clear();
                return vec![];
            }
            _ => {}
        }
        self.status = Some((t(self.lang, Key::EscHint).to_string(), false));
        vec![]
    }

    /// Mouse: a click on a tab switches to it, a click on a list row selects it, the wheel moves
    /// through lists and scrolls the log. Nothing happens under an overlay.
    fn mouse(&mut self, m: MouseEvent) -> Vec<Cmd> {
        if self.overlay != Overlay::None {
            return vec![];
        }
        let scope = self.scope();
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let a = if m.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                let mut cmds = Vec::new();
                for _ in 0..3 {
                    cmds.extend(self.scope_action(scope, a));
                }
                cmds
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if m.row == 0
                    && let Some((_, _, tab)) = self
                        .mouse
                        .tabs
                        .iter()
                        .find(|(a, b, _)| (*a..*b).contains(&m.column))
                {
                    return self.switch(*tab);
                }
                if let Some((top, rows, offset)) = self.mouse.rows
                    && (top..top + rows).contains(&m.row)
                {
                    let i = offset + (m.row - top) as usize;
                    match scope {
                        Scope::TaskList if i < self.visible_tasks().len() => self.tasks.sel = i,
                        Scope::Approvals if i < self.visible_approvals().len() => {
                            self.approvals.sel = i
                        }
                        _ => {}
                    }
                }
                vec![]
            }
            _ => vec![],
        }
    }

    /// A bracketed paste: one edit of the prompt or the focused field; refused (with a message,
    /// nothing changed, focus kept) when it does not fit the field.
    fn paste(&mut self, raw: &str) -> Vec<Cmd> {
        let (text, dropped) = crate::text::clean_paste(raw);
        let lang = self.lang;
        if let Overlay::Prompt(kind, line) = self.overlay.clone() {
            let mut line = *line;
            let lines = text.trim_end_matches('\n').lines().count();
            if lines > 1 {
                self.status = Some((format!("{} ({lines})", t(lang, Key::PasteMultiLine)), true));
                return vec![];
            }
            if text.len() > crate::tui::widgets::field::LINE_PASTE_MAX {
                self.status = Some((t(lang, Key::PasteTooLarge).to_string(), true));
                return vec![];
            }
            line.insert(text.trim_end_matches('\n'));
            match kind {
                PromptKind::TaskFilter => self.tasks.set_filter(line.value()),
                PromptKind::ApprovalFilter => self.approvals.filter = line.value().to_string(),
                _ => {}
            }
            self.overlay = Overlay::prompt(kind, line);
            return vec![];
        }
        if self.overlay != Overlay::None {
            return vec![];
        }
        let Tab::Module(m) = self.tab else {
            self.status = Some((t(lang, Key::PasteNoField).to_string(), true));
            return vec![];
        };
        let e = self.modules.paste(m, &text, dropped, lang);
        self.apply(e)
    }

    /// `o` on the SQL optimize tab: asks which slow log to open.
    fn ask_slow_log(&mut self) -> Vec<Cmd> {
        let last = self.modules.digest_path.clone();
        self.overlay = Overlay::prompt(PromptKind::SlowLogPath, LineInput::new(&last));
        vec![]
    }

    /// Does what a tab component asked.
    fn apply(&mut self, e: Effect) -> Vec<Cmd> {
        match e {
            Effect::None => vec![],
            Effect::Overlay(o) => {
                self.overlay = o;
                vec![]
            }
            Effect::OpenTask(id) => self.open_task(id),
            Effect::Status(text, problem) => {
                self.status = Some((text, problem));
                vec![]
            }
            Effect::Load(cmds) => self.load(cmds),
            Effect::Cmds(cmds) => cmds,
            Effect::All(effects) => effects.into_iter().flat_map(|e| self.apply(e)).collect(),
        }
    }

    /// Opens a task's detail and log on the Tasks tab.
    pub fn open_task(&mut self, id: i64) -> Vec<Cmd> {
        self.tab = Tab::Tasks;
        let cmds = self.tasks.open(id);
        self.load(cmds)
    }

    pub fn inventory_rows(&self) -> usize {
        self.inv.rows()
    }
}

fn filter_tasks<'a>(tasks: &'a [Task], filter: &str) -> Vec<&'a Task> {
    let f = filter.trim().to_lowercase();
    tasks
        .iter()
        .filter(|t| {
            f.is_empty()
                || t.id.to_string() == f
                || t.spec.name.to_lowercase().contains(&f)
                || t.state.as_str().contains(&f)
                || t.spec.submitter.to_lowercase().contains(&f)
                || t.spec.module.as_str().contains(&f)
        })
        .collect()
}

/// Hosts of a task, in step order, for the log's host filter.
pub fn hosts_of(d: &TaskDetail) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &d.steps {
        if !out.contains(&s.host) {
            out.push(s.host.clone());
        }
    }
    out
}

/// Mirrors the engine's rule for the badge: admins, or users named by the task (never one's own task).
fn may_approve(me: Option<&User>, t: &Task) -> bool {
    let Some(me) = me else {
        return false;
    };
    if t.spec.submitter == me.name {
        return false;
    }
    me.role == crate::model::Role::Admin
        || (me.role.can_approve() && t.spec.approvers.contains(&me.name))
}
