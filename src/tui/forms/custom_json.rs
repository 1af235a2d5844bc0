//! Custom task JSON tab (自定义任务-JSON): CODO's task JSON in an editor validated as you type,
//! adapted to `modules::CustomJsonForm`.

use super::{Adapter, Fields, LiveKind};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{CustomJsonForm, ModuleContext};
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct CustomJson;

/// What the editor starts with: CODO's format on the demo host.
pub const SAMPLE: &str = r#"{"task_name": "uptime", "submitter": "me", "temp_id": "9505",
 "schedule": "ready", "exec_time": "", "associated_user": "{}",
 "args": "{}", "details": "", "hosts": "{1: 'localhost'}"}"#;

impl Adapter for CustomJson {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        let mut json = Field::editor("json", t(lang, Key::FieldJson), SAMPLE);
        json.rows = 10;
        vec![
            json,
            Field::text("exec_time", t(lang, Key::FieldExecOverride), ""),
        ]
    }

    fn refresh(&self, _f: &mut Fields, _ctx: &ModuleContext) {}

    fn live(&self, _f: &Fields) -> Option<(&'static str, LiveKind, String)> {
        Some(("json", LiveKind::Json, String::new()))
    }

    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let form = CustomJsonForm::new(f.text("json"), f.text("exec_time"));
        let (spec, adhoc) = form.to_spec_with_hosts(ctx)?;
        if !adhoc.is_empty() {
            let mut e = Invalid::default();
            e.push(
                "hosts",
                format!(
                    "{} not in the inventory; add them (`opsdeck inventory import`) or use `opsdeck submit json`",
                    adhoc.iter().map(|h| h.address.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
            return Err(e);
        }
        Ok(spec)
    }
}
