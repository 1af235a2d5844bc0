//! Custom task via proxy tab (自定义任务-代理): adapter to `modules::CustomProxyForm`.

use super::{Adapter, Fields, template_options};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{CustomProxyForm, Form, ModuleContext};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct CustomProxy;

impl CustomProxy {
    fn form(f: &Fields) -> CustomProxyForm {
        CustomProxyForm {
            name: f.text("name"),
            tags: f.chosen("tags"),
            proxy: f.text("proxy"),
            template: f.template_id("template"),
            args: f.args("args"),
            exec_time: f.text("exec_time"),
            approvers: f.chosen("approvers"),
            details: f.text("details"),
        }
    }
}

impl Adapter for CustomProxy {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        vec![
            Field::multi("tags", t(lang, Key::FieldTargetTags), vec![]),
            Field::select("proxy", t(lang, Key::Proxy), vec![]),
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
        f.options("tags", c.tags);
        // The chosen tags' proxies first, then every other host.
        let mut proxies = c.proxies;
        proxies.extend(
            c.hosts
                .into_iter()
                .filter(|h| !proxies.contains(h))
                .collect::<Vec<_>>(),
        );
        f.options("proxy", proxies);
        template_options(f, "template", &c.templates);
        f.options("approvers", c.approvers);
        let tpl = ctx.template(f.template_id("template"));
        f.prefill_args("args", tpl);
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        Self::form(f).to_spec(ctx)
    }
}
