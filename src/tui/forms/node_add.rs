//! Node add tab (节点添加): adapter to `modules::NodeAddForm`.

use super::{Adapter, Fields};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{Form, ModuleContext, NodeAddForm};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct NodeAdd;

impl NodeAdd {
    fn form(f: &Fields) -> NodeAddForm {
        NodeAddForm {
            name: f.text("name"),
            cluster_tag: f.text("cluster_tag"),
            hosts: f.chosen("hosts"),
            k8s_version: f.text("k8s_version"),
            exec_time: f.text("exec_time"),
            details: f.text("details"),
        }
    }
}

impl Adapter for NodeAdd {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        vec![
            Field::select("cluster_tag", t(lang, Key::FieldClusterTag), vec![]),
            Field::multi("hosts", t(lang, Key::FieldNewNodes), vec![]),
            Field::text("k8s_version", t(lang, Key::FieldK8sVersion), ""),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        let c = Self::form(f).choices(ctx);
        f.options("cluster_tag", c.tags);
        f.options("hosts", c.hosts);
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        Self::form(f).to_spec(ctx)
    }
}
