//! SQL audit tab (SQL审核): target tag, SQL editor checked live with `sql::check`, approvers, exec time.
//! The spec (with the check warnings and the score for the approver) comes from
//! [`SqlAuditForm`], the same form the CLI and the API fill.

use super::{Adapter, Fields, LiveKind};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{Form, ModuleContext, SqlAuditForm};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct SqlAudit;

/// An inventory tag SQL audit can target, shown when no tag qualifies.
pub const SNIPPET: &str = r#"  [[tags]]
  name = "orders"
  hosts = ["localhost"]
  proxy = "localhost"
  [[tags.databases]]
  name = "orders-primary"
  type = "mysql"
  host = "127.0.0.1"
  user = "app_rw"
  schema = "orders"
  password_env = "ORDERS_DB_PASSWORD"
  role = "write""#;

impl Adapter for SqlAudit {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        let mut tag = Field::select("tag", t(lang, Key::FieldTag), vec![]);
        tag.empty_hint = Some(format!("{}\n{SNIPPET}", t(lang, Key::EmptyTagSql)));
        vec![
            tag,
            Field::editor("sql", "SQL", ""),
            Field::multi("approvers", t(lang, Key::FieldApprovers), vec![]),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
            // All DML in one transaction, all or nothing (no DDL; needs sql_via = "tunnel").
            {
                let mut tx = Field::select(
                    "transaction",
                    t(lang, Key::FieldTransaction),
                    vec!["no".into(), "yes".into()],
                );
                tx.choose("no");
                tx
            },
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
    }

    fn live(&self, _f: &Fields) -> Option<(&'static str, LiveKind, String)> {
        Some(("sql", LiveKind::Sql, String::new()))
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        SqlAuditForm {
            name: f.text("name"),
            tag: f.text("tag"),
            sql: f.text("sql"),
            approvers: f.chosen("approvers"),
            exec_time: f.text("exec_time"),
            details: f.text("details"),
            transaction: f.text("transaction") == "yes",
        }
        .to_spec(ctx)
    }
}
