//! Resource request tab (资源申购): adapter to `modules::ResourceForm`; the type's fields are kv rows.

use super::{Adapter, Fields};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{Form, ModuleContext, ResourceForm};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::{Field, KvRow};

pub struct Resource;

impl Resource {
    /// The module's form, and the quantity's error when it is not a number (then 1 is used so
    /// the other fields are still checked).
    fn form(f: &Fields) -> (ResourceForm, Option<Invalid>) {
        let q = f.text("quantity");
        let (quantity, err) = match q.trim().parse::<u32>() {
            Ok(n) => (n, None),
            Err(_) => {
                let mut e = Invalid::default();
                e.push("quantity", format!("`{q}` is not a whole number"));
                (1, Some(e))
            }
        };
        let form = ResourceForm {
            name: f.text("name"),
            resource_type: f.text("resource_type"),
            fields: f
                .args("fields")
                .into_iter()
                .filter(|r| !r.key.trim().is_empty())
                .map(|r| (r.key, r.value))
                .collect(),
            quantity,
            region: f.text("region"),
            reason: f.text("reason"),
            approvers: f.chosen("approvers"),
            exec_time: f.text("exec_time"),
            details: f.text("details"),
        };
        (form, err)
    }
}

impl Adapter for Resource {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        vec![
            Field::select("resource_type", t(lang, Key::FieldResourceType), vec![]),
            Field::kv("fields", t(lang, Key::FieldSpec), vec![]),
            Field::text("quantity", t(lang, Key::FieldQuantity), "1"),
            Field::text("region", t(lang, Key::FieldRegion), ""),
            Field::text("reason", t(lang, Key::Reason), ""),
            Field::multi("approvers", t(lang, Key::FieldApprovers), vec![]),
            Field::time("exec_time", t(lang, Key::ExecTime)),
            Field::text("name", t(lang, Key::Name), ""),
            Field::text("details", t(lang, Key::FieldDetails), ""),
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        let c = ResourceForm::default().choices(ctx);
        f.options("resource_type", c.resource_types);
        f.options("approvers", c.approvers);
        // The type's fields become rows, once per type change.
        let rt = f.text("resource_type");
        let key = ctx
            .config
            .resource_types
            .iter()
            .position(|t| t.name == rt)
            .map(|i| i as u32 + 1);
        if f.memo != key {
            f.memo = key;
            let rows = ctx
                .config
                .resource_type(&rt)
                .map(|t| {
                    t.fields
                        .iter()
                        .map(|x| KvRow {
                            key: x.name.clone(),
                            value: x.default.clone().unwrap_or_default(),
                            required: x.required,
                            secret: false,
                            fixed: true,
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(field) = f.get_mut("fields") {
                field.set_rows(rows);
            }
        }
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let (form, qerr) = Self::form(f);
        match (form.to_spec(ctx), qerr) {
            (Ok(spec), None) => Ok(spec),
            (Ok(_), Some(e)) => Err(e),
            (Err(more), Some(mut e)) => {
                e.0.extend(more.0);
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }
}
