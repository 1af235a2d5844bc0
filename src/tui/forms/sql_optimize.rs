//! SQL optimize tab (SQL优化): runs locally as you type — syntax check, fingerprint, beautify —
//! on the SQL editor's text; the result shows under the form.
//!
//! MERGE: [`SqlOptimize::spec`] (online advice through the proxy, template 9901) is still to wire:
//! `modules::sql_optimize::SqlOptimizeForm { .. }.to_spec(ctx)` builds the task; once it succeeds,
//! `live_output` of its log and `online_advice` give the advice to show.

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
            "score" => {
                let r = sql::score::score(
                    &text,
                    &sql::score::ScoreOptions::default(),
                    crate::model::Lang::default(),
                );
                let mut out = vec![format!(
                    "score {} {}",
                    r.score,
                    sql::score::star_string(r.stars)
                )];
                for st in &r.statements {
                    for x in st.findings.iter().filter(|x| x.id != "OK") {
                        out.push(format!(
                            "#{} {} {} {}",
                            st.number, x.severity, x.id, x.summary
                        ));
                    }
                }
                out
            }
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
