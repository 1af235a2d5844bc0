//! Console state and `update`: keys and backend results in, state changes and commands out. No I/O here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

mod approvals;
mod inventory;
pub use approvals::Approvals;
pub use inventory::{InvSection, InventoryTab};
mod modules;
mod tasks;

use super::forms::draft::Draft;
use super::forms::live::{CheckJob, CheckResult};
use super::forms::{FormState, Module};
use super::i18n::{Key, Lang, t};
use super::keys::{Action, Scope};
use super::widgets::line::LineInput;
use super::widgets::log_view::LogView;
use crate::backend::TaskDetail;
use crate::model::StoredTemplate;
use crate::model::{Inventory, LogLine, Task, TaskSpec, User};
use crate::modules::{ModuleContext, PlannedStep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Tasks,
    Approvals,
    Inventory,
    Module(Module),
}

impl Tab {
    pub const ALL: [Tab; 11] = [
        Tab::Tasks,
        Tab::Approvals,
        Tab::Inventory,
        Tab::Module(Module::AppPublish),
        Tab::Module(Module::SqlAudit),
        Tab::Module(Module::SqlOptimize),
        Tab::Module(Module::Resource),
        Tab::Module(Module::NodeAdd),
        Tab::Module(Module::Custom),
        Tab::Module(Module::CustomProxy),
        Tab::Module(Module::CustomJson),
    ];

    /// The key of the tab: `1`-`9`, then `0`, then `-`.
    pub fn number(self) -> Option<char> {
        let i = Self::ALL.iter().position(|t| *t == self)?;
        match i {
            0..=8 => char::from_digit(i as u32 + 1, 10),
            9 => Some('0'),
            10 => Some('-'),
            _ => None,
        }
    }

    pub fn next(self) -> Tab {
        let i = Self::ALL.iter().position(|t| *t == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        let i = Self::ALL.iter().position(|t| *t == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Tab::Tasks => t(lang, Key::TabTasks),
            Tab::Approvals => t(lang, Key::TabApprovals),
            Tab::Inventory => t(lang, Key::TabInventory),
            Tab::Module(m) => m.title(lang),
        }
    }
}

/// Side effects `update` asks the runtime to perform; results come back as [`Msg`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    LoadMe,
    LoadTasks,
    LoadApprovals,
    LoadInventory,
    LoadTask(i64),
    LoadLogs {
        id: i64,
        from: u64,
        limit: usize,
    },
    Follow {
        id: i64,
        from: u64,
    },
    StopFollow,
    Approve(Vec<i64>),
    Reject(i64, String),
    Cancel(i64),
    Retry(i64),
    Release(i64),
    Skip(i64, i64),
    Export {
        id: i64,
        path: String,
    },
    LoadContext,
    Submit(Box<TaskSpec>),
    ApproveAt(i64, DateTime<Utc>),
    /// Suspends the console and opens the template's source in `$EDITOR` (the runner owns the terminal).
    EditTemplate {
        id: u32,
        source: String,
    },
    ImportTemplate {
        id: u32,
        source: String,
    },
    /// Runs a form's live check off the UI thread, a moment after the last edit (a newer check of
    /// the same form replaces one still waiting).
    Check(Box<CheckJob>),
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A bracketed paste: one edit of the focused field.
    Paste(String),
    Mouse(MouseEvent),
    /// A live check's result.
    Checked(Box<CheckResult>),
    Tick,
    Me(User),
    Tasks(Vec<Task>),
    Approvals(Vec<Task>),
    Inventory(Box<Inventory>, Vec<StoredTemplate>),
    Task(Box<TaskDetail>),
    Logs {
        id: i64,
        lines: Vec<LogLine>,
    },
    Live(LogLine),
    Done(Done),
    Error(String),
    Context(Box<ModuleContext>),
    Submitted(Box<Task>),
    /// The editor closed: the new source, or `None` when nothing changed.
    Edited {
        id: u32,
        source: Option<String>,
    },
    TemplateImported {
        id: u32,
        version: u32,
    },
}

/// What the engine did, said in the console's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    Approved(Vec<i64>),
    ApprovedAt(i64, DateTime<Utc>),
    Rejected(i64),
    Cancelled(i64),
    Retried(i64),
    Released(i64, usize),
    Skipped(i64, i64),
    /// The task and the absolute path its log went to.
    Exported(i64, String),
}

impl Done {
    pub fn text(&self, lang: Lang) -> String {
        let ids = |ids: &[i64]| {
            ids.iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match self {
            Done::Approved(v) => format!("{} {}", t(lang, Key::Approved), ids(v)),
            Done::ApprovedAt(id, at) => format!(
                "{} #{id} {} {}",
                t(lang, Key::Approved),
                t(lang, Key::At),
                crate::model::fmt_local(*at)
            ),
            Done::Rejected(id) => format!("{} #{id}", t(lang, Key::Rejected)),
            Done::Cancelled(id) => format!("{} #{id}", t(lang, Key::CancelledTask)),
            Done::Retried(id) => format!("#{id} {}", t(lang, Key::ScheduledAgain)),
            Done::Released(id, n) => format!("#{id} {}: {n}", t(lang, Key::ReleasedSteps)),
            Done::Skipped(id, step) => {
                format!("#{id} {} {step}", t(lang, Key::SkippedStep))
            }
            Done::Exported(id, path) => format!("#{id} {} {path}", t(lang, Key::Exported)),
        }
    }
}

/// A dangerous action waiting for `y`.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Approve(Vec<i64>),
    Cancel(i64),
    Retry(i64),
    Release(i64),
    Skip(i64, i64),
    ApproveAt(i64, DateTime<Utc>),
    /// Quit although these module tabs hold unsubmitted input.
    Quit(Vec<Module>),
}

/// What a text prompt is collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    TaskFilter,
    ApprovalFilter,
    LogSearch,
    RejectReason(i64),
    ApproveTime(i64),
    Palette,
    /// Where to export a task's log.
    ExportPath(i64),
}

/// A valid spec waiting for `y`, with the exact commands per host.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub spec: TaskSpec,
    pub plan: Vec<PlannedStep>,
    pub scroll: usize,
    /// The tab it came from.
    pub module: Module,
    /// The exec time is in the past: the task runs as soon as it is sent.
    pub past: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    Confirm(Confirm),
    /// A one-line prompt at the bottom, edited like a form's text field.
    Prompt(PromptKind, Box<LineInput>),
    Submit(Box<Preview>),
    /// A titled list of lines (e.g. a template's `file:line` errors); any key closes it.
    Message(String, Vec<String>),
}

impl Overlay {
    /// A prompt holding `input`.
    pub fn prompt(kind: PromptKind, input: LineInput) -> Overlay {
        Overlay::Prompt(kind, Box::new(input))
    }
}

pub struct Detail {
    pub id: i64,
    pub detail: Option<TaskDetail>,
    pub log: LogView,
}

pub struct App {
    pub lang: Lang,
    pub color: bool,
    pub tab: Tab,
    pub me: Option<User>,
    pub tasks: Vec<Task>,
    pub task_sel: usize,
    pub task_filter: String,
    pub detail: Option<Detail>,
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
    /// What the module forms are checked against; `None` until loaded.
    pub ctx: Option<ModuleContext>,
    pub forms: BTreeMap<Module, FormState>,
    /// The module tab whose task was just sent, until the engine answers.
    pub submitting: Option<Module>,
    /// The data directory: exports go there by default.
    pub data_dir: Option<std::path::PathBuf>,
    /// Form drafts saved by an earlier console, put back when the forms are built.
    pub saved_drafts: BTreeMap<Module, Draft>,
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
            tasks: Vec::new(),
            task_sel: 0,
            task_filter: String::new(),
            detail: None,
            approvals: Approvals::default(),
            inv: InventoryTab::default(),
            overlay: Overlay::None,
            status: None,
            engine: None,
            pending: 0,
            quit: false,
            log_height: 20,
            ctx: None,
            forms: BTreeMap::new(),
            submitting: None,
            data_dir: None,
            saved_drafts: BTreeMap::new(),
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
            Tab::Tasks if self.detail.is_some() => Scope::TaskDetail,
            Tab::Tasks => Scope::TaskList,
            Tab::Approvals if self.approvals.open.is_some() => Scope::ApprovalDetail,
            Tab::Approvals => Scope::Approvals,
            Tab::Inventory => Scope::Inventory,
            Tab::Module(m) => match self.forms.get(&m).and_then(|f| f.focus) {
                Some(_) => Scope::FormField,
                None => Scope::Form,
            },
        }
    }

    /// The open approval, while it still waits.
    pub fn open_approval(&self) -> Option<&Task> {
        self.approvals.opened()
    }

    /// Tasks shown in the Tasks tab after the filter (matches id, name, state, submitter, module).
    pub fn visible_tasks(&self) -> Vec<&Task> {
        filter_tasks(&self.tasks, &self.task_filter)
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
                if let (Some(m), Some(ctx)) = (r.module, self.ctx.as_ref())
                    && let Some(form) = self.forms.get_mut(&m)
                {
                    form.checked(*r, ctx);
                }
                vec![]
            }
            Msg::Tick => {
                // Keep lists fresh without blocking anything; answers arrive as messages.
                vec![Cmd::LoadTasks, Cmd::LoadApprovals]
                    .into_iter()
                    .chain(self.detail.as_ref().map(|d| Cmd::LoadTask(d.id)))
                    .collect()
            }
            Msg::Me(u) => {
                self.done_one();
                self.me = Some(u);
                vec![Cmd::LoadApprovals]
            }
            Msg::Tasks(ts) => {
                self.done_one();
                self.tasks = ts;
                self.task_sel = self
                    .task_sel
                    .min(self.visible_tasks().len().saturating_sub(1));
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
                if let Some(open) = self.detail.as_mut()
                    && open.id == d.task.id
                {
                    open.detail = Some(*d);
                }
                vec![]
            }
            Msg::Logs { id, lines } => {
                self.done_one();
                if let Some(open) = self.detail.as_mut()
                    && open.id == id
                {
                    open.log.add(lines);
                }
                vec![]
            }
            Msg::Live(l) => {
                if let Some(open) = self.detail.as_mut()
                    && open.id == l.task_id
                {
                    open.log.add(vec![l]);
                }
                vec![]
            }
            Msg::Done(done) => {
                self.done_one();
                self.status = Some((done.text(self.lang), false));
                let mut cmds = vec![Cmd::LoadTasks, Cmd::LoadApprovals];
                if let Some(d) = self.detail.as_mut() {
                    cmds.push(Cmd::LoadTask(d.id));
                    // Retried, released or skipped: the open log follows the new lines live.
                    if matches!(done, Done::Retried(id) | Done::Released(id, _) | Done::Skipped(id, _) if id == d.id)
                    {
                        d.log.follow = true;
                        d.log.scroll = 0;
                        cmds.push(Cmd::StopFollow);
                        cmds.push(Cmd::Follow {
                            id: d.id,
                            from: d.log.last_seq + 1,
                        });
                    }
                }
                cmds
            }
            Msg::Error(e) => {
                self.done_one();
                self.status = Some((e, true));
                vec![]
            }
            Msg::Context(ctx) => {
                self.done_one();
                let mut cmds = Vec::new();
                let mut restored = Vec::new();
                for m in Module::ALL {
                    let form = self.forms.entry(m).or_insert_with(|| {
                        let mut f = FormState::new(m, self.lang, &ctx);
                        if let Some(d) = self.saved_drafts.remove(&m) {
                            f.restore(&d, &ctx);
                            restored.push(m.title(self.lang));
                        }
                        f
                    });
                    form.changed(&ctx);
                    cmds.extend(form.take_check(self.lang).map(|j| Cmd::Check(Box::new(j))));
                }
                if !restored.is_empty() {
                    self.status = Some((
                        format!(
                            "{}: {}",
                            restored.join(", "),
                            t(self.lang, Key::DraftRestored)
                        ),
                        false,
                    ));
                }
                self.ctx = Some(*ctx);
                cmds
            }
            Msg::Submitted(task) => {
                self.done_one();
                if let Some(m) = self.submitting.take()
                    && let Some(f) = self.forms.get_mut(&m)
                {
                    f.dirty = false;
                }
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
                if !self.tasks.iter().any(|x| x.id == id) {
                    self.tasks.insert(0, *task);
                }
                let mut cmds = self.load(vec![Cmd::LoadTasks, Cmd::LoadApprovals]);
                cmds.extend(self.open_task(id));
                cmds
            }
            Msg::Edited { id, source } => self.edited(id, source),
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
        if let Tab::Module(m) = self.tab
            && let Some(cmds) = self.form_key(m, k)
        {
            return cmds;
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
                if let Some(d) = &self.detail {
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
            Scope::TaskList => self.task_list_action(a),
            Scope::TaskDetail => self.detail_action(a),
            Scope::Approvals => {
                let e = self.approvals.action(a);
                self.apply(e)
            }
            Scope::ApprovalDetail => {
                let e = self.approvals.detail_action(a);
                self.apply(e)
            }
            Scope::Inventory => self.inv.action(a),
            Scope::Form => match (a, self.tab) {
                (Action::ClearDraft, Tab::Module(m)) => self.clear_form(m),
                _ => vec![],
            },
            Scope::Global | Scope::FormField => vec![],
        }
    }

    pub(super) fn switch(&mut self, tab: Tab) -> Vec<Cmd> {
        self.tab = tab;
        vec![]
    }

    /// `q`: quits, asking first when a module tab holds input not submitted yet.
    pub(super) fn request_quit(&mut self) -> Vec<Cmd> {
        let dirty: Vec<Module> = self
            .forms
            .iter()
            .filter(|(_, f)| f.dirty)
            .map(|(m, _)| *m)
            .collect();
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
            Scope::TaskDetail => {
                if let Some(d) = self.detail.as_mut()
                    && (d.log.search.is_some() || d.log.host_filter.is_some())
                {
                    d.log.search = None;
                    d.log.hit = None;
                    d.log.host_filter = None;
                    return vec![];
                }
                self.detail = None;
                return vec![Cmd::StopFollow];
            }
            Scope::ApprovalDetail => {
                self.approvals.open = None;
                return vec![];
            }
            Scope::TaskList if !self.task_filter.is_empty() => {
                self.task_filter.clear();
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
                        Scope::TaskList if i < self.visible_tasks().len() => self.task_sel = i,
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

    /// Empties a module tab's form (and its saved draft).
    pub(super) fn clear_form(&mut self, m: Module) -> Vec<Cmd> {
        let Some(ctx) = self.ctx.as_ref() else {
            return vec![];
        };
        let mut form = FormState::new(m, self.lang, ctx);
        let check = form.take_check(self.lang);
        self.forms.insert(m, form);
        self.status = Some((t(self.lang, Key::FormCleared).to_string(), false));
        check.map(|j| Cmd::Check(Box::new(j))).into_iter().collect()
    }

    /// A bracketed paste: one edit of the prompt or the focused field; refused (with a message,
    /// nothing changed, focus kept) when it does not fit the field.
    fn paste(&mut self, raw: &str) -> Vec<Cmd> {
        let (text, dropped) = crate::text::clean_paste(raw);
        let lang = self.lang;
        let note = |s: &mut Self, ok: String| {
            let msg = if dropped > 0 {
                format!("{ok} · {} ({dropped})", t(lang, Key::PasteDropped))
            } else {
                ok
            };
            s.status = Some((msg, false));
        };
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
                PromptKind::TaskFilter => self.task_filter = line.value().to_string(),
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
        let (Some(ctx), Some(form)) = (self.ctx.as_ref(), self.forms.get_mut(&m)) else {
            return vec![];
        };
        match form.paste(&text, ctx) {
            Ok(true) => {
                let check = form.take_check(lang);
                let lines = text.trim_end_matches('\n').lines().count().max(1);
                note(self, format!("{} ({lines})", t(lang, Key::Pasted)));
                check.map(|j| Cmd::Check(Box::new(j))).into_iter().collect()
            }
            Ok(false) => {
                self.status = Some((t(lang, Key::PasteNoField).to_string(), true));
                vec![]
            }
            Err(e) => {
                use crate::tui::widgets::field::PasteRefused;
                let msg = match e {
                    PasteRefused::MultiLine(n) => format!("{} ({n})", t(lang, Key::PasteMultiLine)),
                    PasteRefused::TooLarge(size, max) => {
                        format!("{} ({size} > {max} B)", t(lang, Key::PasteTooLarge))
                    }
                    PasteRefused::NotText => t(lang, Key::PasteNotText).to_string(),
                };
                self.status = Some((msg, true));
                vec![]
            }
        }
    }

    /// Does what a tab component asked.
    fn apply(&mut self, e: approvals::Effect) -> Vec<Cmd> {
        match e {
            approvals::Effect::None => vec![],
            approvals::Effect::Overlay(o) => {
                self.overlay = o;
                vec![]
            }
            approvals::Effect::OpenTask(id) => self.open_task(id),
        }
    }

    pub fn inventory_rows(&self) -> usize {
        self.inv.rows()
    }

    fn prompt_key(&mut self, kind: PromptKind, mut input: LineInput, k: KeyEvent) -> Vec<Cmd> {
        match k.code {
            KeyCode::Esc => {
                // Esc on a filter clears it; on other prompts it only closes them.
                self.overlay = Overlay::None;
                match kind {
                    PromptKind::TaskFilter => self.task_filter.clear(),
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
            PromptKind::TaskFilter => {
                self.task_filter = input.value().to_string();
                self.task_sel = 0;
            }
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
            PromptKind::TaskFilter => self.task_filter = text,
            PromptKind::ApprovalFilter => self.approvals.filter = text,
            PromptKind::LogSearch => {
                let height = self.log_height.max(1);
                if let Some(d) = self.detail.as_mut() {
                    d.log.search = (!text.is_empty()).then_some(text);
                    d.log.hit = None;
                    d.log.jump(false, height);
                }
            }
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
