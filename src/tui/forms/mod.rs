//! The module tabs' forms: one small adapter per module maps `field.rs` widgets to an
//! `opsdeck::modules` form, and [`FormState`] runs focus, live checks and submit for all of them.

mod app_publish;
mod custom;
mod custom_json;
mod custom_proxy;
pub mod draft;
pub mod live;
mod node_add;
mod resource;
mod sql_audit;
mod sql_optimize;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::i18n::{Key, Lang, t};
use super::widgets::field::{Field, KvRow, PasteRefused, Value};
use crate::model::{FieldError, Invalid, TaskSpec, Template};
use crate::modules::{ArgRow, ModuleContext};
use crate::tui::i18n_fields::field_message;
use live::{CheckJob, CheckResult};

/// What a form's live check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    Sql,
    Json,
    /// SQL checked, plus the chosen local operation's results (SQL optimize).
    SqlWithOutput,
}

/// The eight module tabs, in DESIGN.md's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    AppPublish,
    SqlAudit,
    SqlOptimize,
    Resource,
    NodeAdd,
    Custom,
    CustomProxy,
    CustomJson,
}

impl Module {
    pub const ALL: [Module; 8] = [
        Module::AppPublish,
        Module::SqlAudit,
        Module::SqlOptimize,
        Module::Resource,
        Module::NodeAdd,
        Module::Custom,
        Module::CustomProxy,
        Module::CustomJson,
    ];

    pub fn title(self, lang: Lang) -> &'static str {
        t(
            lang,
            match self {
                Module::AppPublish => Key::TabAppPublish,
                Module::SqlAudit => Key::TabSqlAudit,
                Module::SqlOptimize => Key::TabSqlOptimize,
                Module::Resource => Key::TabResource,
                Module::NodeAdd => Key::TabNodeAdd,
                Module::Custom => Key::TabCustom,
                Module::CustomProxy => Key::TabCustomProxy,
                Module::CustomJson => Key::TabCustomJson,
            },
        )
    }

    /// A short title for a narrow tab bar.
    pub fn short(self, lang: Lang) -> &'static str {
        t(
            lang,
            match self {
                Module::AppPublish => Key::ShortAppPublish,
                Module::SqlAudit => Key::ShortSqlAudit,
                Module::SqlOptimize => Key::ShortSqlOptimize,
                Module::Resource => Key::ShortResource,
                Module::NodeAdd => Key::ShortNodeAdd,
                Module::Custom => Key::ShortCustom,
                Module::CustomProxy => Key::ShortCustomProxy,
                Module::CustomJson => Key::ShortCustomJson,
            },
        )
    }

    /// The palette's word for the tab (`:custom`).
    pub fn word(self) -> &'static str {
        match self {
            Module::AppPublish => "app",
            Module::SqlAudit => "sql-audit",
            Module::SqlOptimize => "sql-optimize",
            Module::Resource => "resource",
            Module::NodeAdd => "node-add",
            Module::Custom => "custom",
            Module::CustomProxy => "custom-proxy",
            Module::CustomJson => "json",
        }
    }

    fn adapter(self) -> &'static dyn Adapter {
        match self {
            Module::AppPublish => &app_publish::AppPublish,
            Module::SqlAudit => &sql_audit::SqlAudit,
            Module::SqlOptimize => &sql_optimize::SqlOptimize,
            Module::Resource => &resource::Resource,
            Module::NodeAdd => &node_add::NodeAdd,
            Module::Custom => &custom::Custom,
            Module::CustomProxy => &custom_proxy::CustomProxy,
            Module::CustomJson => &custom_json::CustomJson,
        }
    }
}

/// What a module tab needs from its module: the fields, the choices that depend on what is
/// filled in, and the spec (through the module's `Form`).
trait Adapter: Sync {
    fn fields(&self, lang: Lang) -> Vec<Field>;
    /// Options, prefilled arg rows and live checks, after any change.
    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext);
    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid>;
    /// The editor checked as you type (off the UI thread), the kind of check and its option.
    fn live(&self, _f: &Fields) -> Option<(&'static str, LiveKind, String)> {
        None
    }
}

/// A form's fields by name, plus what the adapter remembers between refreshes.
pub struct Fields {
    pub list: Vec<Field>,
    /// The template whose args prefill the args rows.
    memo: Option<u32>,
}

impl Fields {
    fn get(&self, name: &str) -> Option<&Field> {
        self.list.iter().find(|f| f.name == name)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.list.iter_mut().find(|f| f.name == name)
    }

    fn text(&self, name: &str) -> String {
        self.get(name).map(Field::as_text).unwrap_or_default()
    }

    fn chosen(&self, name: &str) -> Vec<String> {
        self.get(name).map(Field::chosen).unwrap_or_default()
    }

    fn args(&self, name: &str) -> Vec<ArgRow> {
        self.get(name)
            .map(|f| {
                f.rows()
                    .into_iter()
                    .map(|r| ArgRow::new(r.key, r.value))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The id at the start of a template option (`9504 Run a shell command`); 0 when none.
    fn template_id(&self, name: &str) -> u32 {
        template_id(&self.text(name))
    }

    fn options(&mut self, name: &str, options: Vec<String>) {
        if let Some(f) = self.get_mut(name) {
            f.set_options(options);
        }
    }

    /// Rows of the template's declared args (defaults, required and secret marked), keeping values
    /// typed so far, then the free rows typed so far (a restored draft's extra args among them);
    /// rebuilt only when the template changes.
    fn prefill_args(&mut self, name: &str, tpl: Option<&Template>) {
        let id = tpl.map(|t| t.id);
        if self.memo == id {
            return;
        }
        self.memo = id;
        let Some(f) = self.get_mut(name) else { return };
        let old = f.rows();
        let rows = tpl
            .map(|t| {
                t.args
                    .iter()
                    .map(|a| KvRow {
                        key: a.name.clone(),
                        value: old
                            .iter()
                            .find(|r| r.key == a.name)
                            .map(|r| r.value.clone())
                            .or_else(|| a.default.clone())
                            .unwrap_or_default(),
                        required: a.required,
                        secret: a.secret,
                        fixed: true,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let free = old.into_iter().filter(|r| {
            !r.fixed && !r.key.trim().is_empty() && !rows.iter().any(|d| d.key == r.key)
        });
        let rows = rows.iter().cloned().chain(free).collect();
        f.set_rows(rows);
    }
}

pub fn template_id(option: &str) -> u32 {
    option
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `9504 Run a shell command`.
pub fn template_option(id: u32, name: &str) -> String {
    format!("{id} {name}")
}

/// What a key did to a form.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Not the form's key: the console handles it (tab switching, quit…).
    Ignored,
    Handled,
    /// Valid: preview and confirm this spec.
    Submit(Box<TaskSpec>),
    /// Submit refused: this many errors are now shown under their fields.
    Invalid(Vec<FieldError>),
}

/// One module tab: its fields, which one has focus (none: the console's keys apply), errors.
pub struct FormState {
    pub module: Module,
    pub fields: Fields,
    pub focus: Option<usize>,
    /// After the first submit, errors follow every change.
    pub validated: bool,
    /// Errors that belong to no field of this form.
    pub general: Vec<String>,
    /// Live local results (SQL optimize).
    pub output: Vec<String>,
    /// Something was typed or pasted since the form was built or submitted.
    pub dirty: bool,
    /// Edit generation: bumped by every edit; a live check result for an older one is dropped.
    pub generation: u64,
    /// An edit happened since the last check was asked for.
    needs_check: bool,
    /// The last live check's result, shown until a newer one arrives.
    last_check: Option<CheckResult>,
    /// The console's language: field errors are shown in it.
    lang: Lang,
}

impl FormState {
    pub fn new(module: Module, lang: Lang, ctx: &ModuleContext) -> FormState {
        let mut s = FormState {
            module,
            fields: Fields {
                list: module
                    .adapter()
                    .fields(lang)
                    .into_iter()
                    .map(|mut f| {
                        f.lang = lang;
                        f
                    })
                    .collect(),
                memo: None,
            },
            focus: None,
            validated: false,
            general: Vec::new(),
            output: Vec::new(),
            dirty: false,
            generation: 0,
            needs_check: true,
            last_check: None,
            lang,
        };
        s.changed(ctx);
        s
    }

    /// The live check to run for the latest edit, once per edit (the runtime debounces it).
    pub fn take_check(&mut self, lang: Lang) -> Option<CheckJob> {
        if !std::mem::take(&mut self.needs_check) {
            return None;
        }
        let (field, kind, op) = self.module.adapter().live(&self.fields)?;
        self.generation += 1;
        Some(CheckJob {
            module: self.module,
            generation: self.generation,
            kind,
            text: self.fields.text(field),
            op,
            lang,
        })
    }

    /// A live check came back: shown when it is for the latest edit, else dropped (returns false).
    pub fn checked(&mut self, r: CheckResult, ctx: &ModuleContext) -> bool {
        if r.generation != self.generation {
            return false;
        }
        self.last_check = Some(r);
        self.changed(ctx);
        true
    }

    /// A paste into the field with focus, as one edit. `Ok(false)`: no field has focus.
    pub fn paste(&mut self, text: &str, ctx: &ModuleContext) -> Result<bool, PasteRefused> {
        let Some(f) = self.focus.and_then(|i| self.fields.list.get_mut(i)) else {
            return Ok(false);
        };
        f.paste(text)?;
        self.dirty = true;
        self.needs_check = true;
        self.changed(ctx);
        Ok(true)
    }

    /// The field with focus, if a field has it.
    pub fn focused(&self) -> Option<&Field> {
        self.focus.and_then(|i| self.fields.list.get(i))
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.get(name)
    }

    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.get_mut(name)
    }

    /// Re-derives options, live checks and (after a submit) validation errors.
    pub fn changed(&mut self, ctx: &ModuleContext) {
        for f in &mut self.fields.list {
            f.error = None;
            f.note = None;
            f.mark = None;
        }
        self.general.clear();
        let a = self.module.adapter();
        a.refresh(&mut self.fields, ctx);
        if let (Some(r), Some((name, _, _))) = (&self.last_check, a.live(&self.fields)) {
            if let Some(f) = self.fields.get_mut(name) {
                r.apply(f);
            }
            self.output = r.output.clone();
        }
        if self.validated
            && let Err(e) = a.spec(&self.fields, ctx)
        {
            self.show(&e);
        }
    }

    /// Puts every error under the field it names (`args[2].key` → `args`), the rest above the form.
    fn show(&mut self, e: &Invalid) {
        for fe in &e.0 {
            let message = field_message(self.lang, &fe.message);
            let base = fe
                .field
                .split(['.', '['])
                .next()
                .unwrap_or(fe.field.as_str());
            let detail = if fe.field == base {
                message.clone()
            } else {
                format!(
                    "{}: {message}",
                    &fe.field[base.len()..].trim_start_matches('.'),
                )
            };
            match self.fields.get_mut(base) {
                Some(f) => match &mut f.error {
                    Some(prev) if prev.contains(&detail) => {}
                    Some(prev) => {
                        prev.push_str("; ");
                        prev.push_str(&detail);
                    }
                    None => f.error = Some(detail),
                },
                None => self.general.push(format!("{}: {message}", fe.field)),
            }
        }
    }

    /// Validates and builds the spec; on errors they are shown and nothing is submitted.
    pub fn submit(&mut self, ctx: &ModuleContext) -> Outcome {
        self.validated = true;
        self.changed(ctx);
        match self.module.adapter().spec(&self.fields, ctx) {
            Ok(spec) => {
                // The preview takes over; back on the form, keys are the console's again.
                self.focus = None;
                Outcome::Submit(Box::new(spec))
            }
            Err(e) => Outcome::Invalid(e.0),
        }
    }

    pub fn key(&mut self, k: KeyEvent, ctx: &ModuleContext) -> Outcome {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && k.code == KeyCode::Char('s') {
            return self.submit(ctx);
        }
        let n = self.fields.list.len();
        let Some(i) = self.focus else {
            return match k.code {
                // ↓ too: a new user's first key on a form is often an arrow.
                KeyCode::Enter | KeyCode::Tab | KeyCode::Char('i') | KeyCode::Down => {
                    self.focus = Some(0);
                    Outcome::Handled
                }
                KeyCode::BackTab => {
                    self.focus = Some(n.saturating_sub(1));
                    Outcome::Handled
                }
                _ => Outcome::Ignored,
            };
        };
        match k.code {
            KeyCode::Esc => self.focus = None,
            KeyCode::Tab => self.focus = Some((i + 1) % n.max(1)),
            KeyCode::BackTab => self.focus = Some((i + n.max(1) - 1) % n.max(1)),
            _ => {
                let consumed = self.fields.list.get_mut(i).is_some_and(|f| f.key(k));
                if consumed {
                    if edits(&k) {
                        self.dirty = true;
                    }
                    self.needs_check = true;
                    self.changed(ctx);
                } else {
                    match k.code {
                        KeyCode::Down | KeyCode::Enter => self.focus = Some((i + 1).min(n - 1)),
                        KeyCode::Up => self.focus = Some(i.saturating_sub(1)),
                        _ => {}
                    }
                }
            }
        }
        Outcome::Handled
    }
}

/// Whether a key a field consumed changes its value (not only moves a cursor).
fn edits(k: &KeyEvent) -> bool {
    let mods = k.modifiers - KeyModifiers::SHIFT;
    let moves = match k.code {
        KeyCode::Left
        | KeyCode::Right
        | KeyCode::Up
        | KeyCode::Down
        | KeyCode::Home
        | KeyCode::End
        | KeyCode::PageUp
        | KeyCode::PageDown => true,
        KeyCode::Char('a' | 'e' | 'b' | 'f') if mods == KeyModifiers::CONTROL => true,
        KeyCode::Char('b' | 'f') if mods == KeyModifiers::ALT => true,
        _ => false,
    };
    !moves
}

/// Text of an error count for the status bar, in the console's language.
pub fn errors_text(lang: Lang, errs: &[FieldError]) -> String {
    let first = errs
        .first()
        .map(|e| format!("{}: {}", e.field, field_message(lang, &e.message)))
        .unwrap_or_default();
    format!("{} {} — {first}", errs.len(), t(lang, Key::FieldErrors))
}

/// Sets a select's options from template choices.
fn template_options(f: &mut Fields, name: &str, choices: &[crate::modules::TemplateChoice]) {
    f.options(
        name,
        choices
            .iter()
            .map(|c| template_option(c.id, &c.name))
            .collect(),
    );
}

/// A `Value::Select` with one option chosen (used to preset a field).
pub fn preset(f: &mut Field, option: &str) {
    if let Value::Select { options, .. } = &f.value
        && !options.iter().any(|o| o == option)
    {
        return;
    }
    f.choose(option);
}

#[cfg(test)]
mod tests;
