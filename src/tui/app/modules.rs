//! The module tabs as a component: each module's form, the context they are checked against, the
//! drafts an earlier console left, and which form's task is being sent; keys, pastes and answers in,
//! what the console should do out.

use std::collections::BTreeMap;

use chrono::Utc;
use crossterm::event::KeyEvent;

use super::{Cmd, Effect, Overlay, Preview};
use crate::modules::ModuleContext;
use crate::tui::forms::draft::Draft;
use crate::tui::forms::live::CheckResult;
use crate::tui::forms::{FormState, Module, Outcome, errors_text};
use crate::tui::i18n::{Key, Lang, t};

/// The module tabs' state.
#[derive(Default)]
pub struct ModuleTabs {
    /// What the forms are checked against; `None` until loaded.
    pub ctx: Option<ModuleContext>,
    pub forms: BTreeMap<Module, FormState>,
    /// The module tab whose task was just sent, until the engine answers.
    pub submitting: Option<Module>,
    /// Form drafts saved by an earlier console, put back when the forms are built.
    pub saved_drafts: BTreeMap<Module, Draft>,
    /// The slow log open in the SQL optimize tab.
    pub digest: Option<super::DigestView>,
    /// The last slow log path typed (offered again).
    pub digest_path: String,
}

fn check_cmd(form: &mut FormState, lang: Lang) -> Vec<Cmd> {
    form.take_check(lang)
        .map(|j| Cmd::Check(Box::new(j)))
        .into_iter()
        .collect()
}

impl ModuleTabs {
    /// Whether tab `m` has a field in edit mode.
    pub fn editing(&self, m: Module) -> bool {
        self.forms.get(&m).and_then(|f| f.focus).is_some()
    }

    /// Tabs holding input not submitted yet.
    pub fn dirty(&self) -> Vec<Module> {
        self.forms
            .iter()
            .filter(|(_, f)| f.dirty)
            .map(|(m, _)| *m)
            .collect()
    }

    /// A live check's result (a stale one is dropped by the form).
    pub fn checked(&mut self, r: CheckResult) {
        if let (Some(m), Some(ctx)) = (r.module, self.ctx.as_ref())
            && let Some(form) = self.forms.get_mut(&m)
        {
            form.checked(r, ctx);
        }
    }

    /// A fresh context: builds the forms not built yet (restoring saved drafts) and rechecks all.
    pub fn context(&mut self, ctx: ModuleContext, lang: Lang) -> Effect {
        let mut cmds = Vec::new();
        let mut restored = Vec::new();
        for m in Module::ALL {
            let form = self.forms.entry(m).or_insert_with(|| {
                let mut f = FormState::new(m, lang, &ctx);
                if let Some(d) = self.saved_drafts.remove(&m) {
                    f.restore(&d, &ctx);
                    restored.push(m.title(lang));
                }
                f
            });
            form.changed(&ctx);
            cmds.extend(check_cmd(form, lang));
        }
        self.ctx = Some(ctx);
        if restored.is_empty() {
            return Effect::Cmds(cmds);
        }
        let note = format!("{}: {}", restored.join(", "), t(lang, Key::DraftRestored));
        Effect::All(vec![Effect::Status(note, false), Effect::Cmds(cmds)])
    }

    /// The engine took the task: its form holds nothing unsent any more.
    pub fn submitted(&mut self) {
        if let Some(m) = self.submitting.take()
            && let Some(f) = self.forms.get_mut(&m)
        {
            f.dirty = false;
        }
    }

    /// Empties tab `m`'s form (and its saved draft).
    pub fn clear(&mut self, m: Module, lang: Lang) -> Effect {
        let Some(ctx) = self.ctx.as_ref() else {
            return Effect::None;
        };
        let mut form = FormState::new(m, lang, ctx);
        let check = check_cmd(&mut form, lang);
        self.forms.insert(m, form);
        Effect::All(vec![
            Effect::Status(t(lang, Key::FormCleared).to_string(), false),
            Effect::Cmds(check),
        ])
    }

    /// A key for tab `m`'s form; `None` when the console's keys apply instead.
    pub fn key(&mut self, m: Module, k: KeyEvent, lang: Lang) -> Option<Effect> {
        let ctx = self.ctx.as_mut()?;
        ctx.now = Utc::now();
        let form = self.forms.get_mut(&m)?;
        let outcome = form.key(k, ctx);
        let check = Effect::Cmds(check_cmd(form, lang));
        match outcome {
            Outcome::Ignored => None,
            Outcome::Handled => Some(check),
            Outcome::Invalid(errs) => Some(Effect::All(vec![
                Effect::Status(errors_text(lang, &errs), true),
                check,
            ])),
            Outcome::Submit(spec) => {
                let plan = ctx
                    .template(spec.template_id)
                    .map(|tpl| crate::modules::plan(&spec, tpl, &ctx.inventory))
                    .unwrap_or_default();
                // A time typed in the past would run at once: the preview says so before `y`.
                let past = spec.exec_time < ctx.now - chrono::Duration::seconds(60);
                let preview = Overlay::Submit(Box::new(Preview {
                    past,
                    spec: *spec,
                    plan,
                    scroll: 0,
                    module: m,
                }));
                Some(Effect::All(vec![Effect::Overlay(preview), check]))
            }
        }
    }

    /// A bracketed paste into tab `m`'s focused field: one edit, or refused with a message and
    /// nothing changed. `dropped` control characters were already taken out of `text`.
    pub fn paste(&mut self, m: Module, text: &str, dropped: usize, lang: Lang) -> Effect {
        use crate::tui::widgets::field::PasteRefused;
        let (Some(ctx), Some(form)) = (self.ctx.as_ref(), self.forms.get_mut(&m)) else {
            return Effect::None;
        };
        match form.paste(text, ctx) {
            Ok(true) => {
                let check = check_cmd(form, lang);
                let lines = text.trim_end_matches('\n').lines().count().max(1);
                let mut msg = format!("{} ({lines})", t(lang, Key::Pasted));
                if dropped > 0 {
                    msg = format!("{msg} · {} ({dropped})", t(lang, Key::PasteDropped));
                }
                Effect::All(vec![Effect::Status(msg, false), Effect::Cmds(check)])
            }
            Ok(false) => Effect::Status(t(lang, Key::PasteNoField).to_string(), true),
            Err(e) => {
                let msg = match e {
                    PasteRefused::MultiLine(n) => format!("{} ({n})", t(lang, Key::PasteMultiLine)),
                    PasteRefused::TooLarge(size, max) => {
                        format!("{} ({size} > {max} B)", t(lang, Key::PasteTooLarge))
                    }
                    PasteRefused::NotText => t(lang, Key::PasteNotText).to_string(),
                };
                Effect::Status(msg, true)
            }
        }
    }
}
