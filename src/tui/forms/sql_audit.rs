//! SQL audit tab (SQL审核): target tag, SQL editor checked live with `sql::check`, approvers, exec time.
//! The spec (with the check warnings and the score for the approver) comes from
//! [`SqlAuditForm`], the same form the CLI and the API fill.

use super::{Adapter, Fields, live};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{Form, ModuleContext, SqlAuditForm};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct SqlAudit;

impl Adapter for SqlAudit {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        vec![
            Field::select("tag", t(lang, Key::FieldTag), vec![]),
            Field::editor("sql", "SQL", ""),
            Field::multi("approvers", t(lang, Key::FieldApprovers), vec![]),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        // Tags with a write database the user may target.
        let tags = ctx
            .allowed_tags()
            .iter()
            .filter(|t| !t.databases.is_empty())
            .map(|t| t.name.clone())
            .collect();
        f.options("tag", tags);
        f.options("approvers", ctx.approver_choices());
        live::sql(f, "sql");
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        SqlAuditForm {
            name: f.text("name"),
            tag: f.text("tag"),
            sql: f.text("sql"),
            approvers: f.chosen("approvers"),
            exec_time: f.text("exec_time"),
            details: f.text("details"),
        }
        .to_spec(ctx)
    }
}
