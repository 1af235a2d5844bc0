//! SQL optimize tab (SQL优化): runs locally as you type — syntax check, fingerprint, beautify —
//! on the SQL editor's text; the result shows under the form.
//!
//! MERGE: `modules::sql_optimize` and `sql::score` are being written in parallel. The `score`
//! operation in [`SqlOptimize::output`] and [`SqlOptimize::spec`] (online advice through the proxy,
//! template 9901) are the two marked places to wire.

use super::{Adapter, Fields, live};
use crate::model::{Invalid, TaskSpec};
use crate::modules::ModuleContext;
use crate::sql;
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct SqlOptimize;

pub const OPERATIONS: [&str; 4] = ["syntax check", "fingerprint", "beautify", "score"];
pub const ENGINES: [&str; 2] = ["SOAR", "SQLAdvisor"];

impl Adapter for SqlOptimize {
    fn fields(&self, lang: Lang) -> Vec<Field> {
        let mut op = Field::select(
            "operation",
            t(lang, Key::FieldOperation),
            OPERATIONS.iter().map(|s| s.to_string()).collect(),
        );
        op.choose(OPERATIONS[0]);
        let mut engine = Field::select(
            "engine",
            t(lang, Key::FieldEngine),
            ENGINES.iter().map(|s| s.to_string()).collect(),
        );
        engine.choose(ENGINES[0]);
        vec![
            Field::editor("sql", "SQL", ""),
            op,
            Field::select("tag", t(lang, Key::FieldTag), vec![]),
            Field::text("database", t(lang, Key::FieldDatabase), ""),
            engine,
        ]
    }

    fn refresh(&self, f: &mut Fields, ctx: &ModuleContext) {
        let tags = ctx
            .allowed_tags()
            .iter()
            .filter(|t| t.databases.len() == 1)
            .map(|t| t.name.clone())
            .collect();
        f.options("tag", tags);
        live::sql(f, "sql");
    }

    fn output(&self, f: &Fields) -> Vec<String> {
        let text = f.text("sql");
        if text.trim().is_empty() {
            return Vec::new();
        }
        let report = sql::check(&text);
        match f.text("operation").as_str() {
            "fingerprint" => report
                .statements
                .iter()
                .flat_map(|s| {
                    let fp = sql::fingerprint::fingerprint(&s.text);
                    [
                        format!("#{} {}", s.number, sql::fingerprint::query_id(&fp)),
                        format!("   {fp}"),
                    ]
                })
                .collect(),
            "beautify" => sql::format::format(&text)
                .lines()
                .map(str::to_string)
                .collect(),
            // MERGE: `sql::score(&text)` findings go here, one line each.
            "score" => vec!["score: arrives with sql::score (merge)".into()],
            _ => {
                let mut out: Vec<String> = report
                    .statements
                    .iter()
                    .map(|s| format!("#{} {} {:?}", s.number, s.kind, s.status).to_lowercase())
                    .collect();
                for d in report.errors.iter().chain(&report.warnings) {
                    out.push(format!(
                        "#{} {}:{} {}",
                        d.statement, d.position.line, d.position.column, d.message
                    ));
                }
                out
            }
        }
    }

    // MERGE: online advice (EXPLAIN, existing indexes) — `SqlOptimizeForm { .. }.to_spec(ctx)`.
    fn spec(&self, _f: &Fields, _ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut e = Invalid::default();
        e.push(
            "module",
            "SQL optimize runs locally (results below); online advice arrives with modules::sql_optimize",
        );
        Err(e)
    }
}
