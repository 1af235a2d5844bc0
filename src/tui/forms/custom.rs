//! Custom task tab (自定义任务): adapter from the form fields to `modules::CustomForm`.

use super::{Adapter, Fields, template_options};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{CustomForm, Form, ModuleContext};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct Custom;

impl Custom {
    fn form(f: &Fields) -> CustomForm {
        CustomForm {
            name: f.text("name"),
            tag: f.text("tag"),
            hosts: f.chosen("hosts"),
            template: f.template_id("template"),
            args: f.args("args"),
            exec_time: f.text("exec_time"),
            approvers: f.chosen("approvers"),
            details: f.text("details"),
        }
    }
}

impl Adapter for Custom {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        vec![
            Field::select("tag", t(lang, Key::FieldTag), vec![]),
            Field::multi("hosts", t(lang, Key::FieldHostSubset), vec![]),
            Field::select("template", t(lang, Key::FieldTemplate), vec![]),
            Field::kv("args", t(lang, Key::FieldArgs), vec![]),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::multi("approvers", t(lang, Key::FieldApprovers), vec![]),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        let c = Self::form(f).choices(ctx);
        f.options("tag", c.tags);
        f.options("hosts", c.hosts);
        template_options(f, "template", &c.templates);
        f.options("approvers", c.approvers);
        let tpl = ctx.template(f.template_id("template"));
        f.prefill_args("args", tpl);
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        Self::form(f).to_spec(ctx)
    }
}
