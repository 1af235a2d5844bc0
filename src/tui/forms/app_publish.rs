//! App publish tab (应用发布): adapter to `modules::AppPublishForm`.

use super::{Adapter, Fields};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{AppPublishForm, Form, ModuleContext};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct AppPublish;

impl AppPublish {
    fn form(f: &Fields) -> AppPublishForm {
        AppPublishForm {
            name: f.text("name"),
            app: f.text("app"),
            tag: f.text("tag"),
            args: f.args("args"),
            exec_time: f.text("exec_time"),
            approvers: f.chosen("approvers"),
            details: f.text("details"),
        }
    }
}

impl Adapter for AppPublish {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        let mut app = Field::select("app", t(lang, Key::FieldApp), vec![]);
        app.empty_hint = Some(t(lang, Key::EmptyApp).to_string());
        vec![
            app,
            Field::text("tag", t(lang, Key::FieldVersion), ""),
            Field::kv("args", t(lang, Key::FieldArgs), vec![]),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::multi("approvers", t(lang, Key::FieldApprovers), vec![]),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        let c = Self::form(f).choices(ctx);
        f.options("app", c.apps);
        f.options("approvers", c.approvers);
        let targets = c.hosts.join(", ");
        if let Some(field) = f.get_mut("app")
            && !targets.is_empty()
        {
            field.note = Some(format!("→ {targets}"));
        }
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        Self::form(f).to_spec(ctx)
    }
}
