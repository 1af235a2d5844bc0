//! SQL optimize tab (SQL优化): runs locally as you type — syntax check, fingerprint, beautify —
//! on the SQL editor's text; the result shows under the form.
//!
//! The local operations show their results live under the editor; `online advice` submits template
//! 9901 through the tag's proxy (`modules::sql_optimize`), whose log holds EXPLAIN and the index
//! statistics (`opsdeck submit sql-optimize --online` prints the advice computed from them).

use super::{Adapter, Fields, LiveKind};
use crate::model::{Invalid, TaskSpec};
use crate::modules::{Form, ModuleContext};
use crate::sql;
use crate::tui::i18n::{Key, Lang, t};
use crate::tui::widgets::field::Field;

pub struct SqlOptimize;

pub const OPERATIONS: [&str; 6] = [
    "syntax check",
    "fingerprint",
    "beautify",
    "score",
    "index advice",
    "online advice",
];
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
            {
                let mut tag = Field::select("tag", t(lang, Key::FieldTag), vec![]);
                tag.empty_hint = Some(t(lang, Key::EmptyTagOptimize).to_string());
                tag
            },
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
    }

    fn live(&self, f: &Fields) -> Option<(&'static str, LiveKind, String)> {
        Some(("sql", LiveKind::SqlWithOutput, f.text("operation")))
    }

    /// Only `online advice` submits a task (9901 through the proxy); the others run locally.
    fn spec(&self, f: &Fields, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        if f.text("operation") != "online advice" {
            let mut e = Invalid::default();
            e.push(
                "operation",
                "runs locally (results below); choose `online advice` to submit EXPLAIN and index statistics through the proxy",
            );
            return Err(e);
        }
        crate::modules::sql_optimize::SqlOptimizeForm {
            tag: f.text("tag"),
            database: f.text("database"),
            sql: f.text("sql"),
            ..Default::default()
        }
        .to_spec(ctx)
    }
}

/// The chosen local operation's results for `text` (run with the live check, off the UI thread).
pub fn output(text: &str, op: &str, lang: crate::model::Lang) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let report = sql::check_in(text, lang);
    match op {
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
        "index advice" | "online advice" => {
            let r = sql::advise::advise(text, None, lang);
            let mut out = Vec::new();
            for a in &r.advice {
                out.push(format!("#{} {}", a.statement, a.ddl));
                out.extend(a.reasons.iter().map(|x| format!("   {x}")));
            }
            out.extend(
                r.notes
                    .iter()
                    .map(|n| format!("#{} {}", n.statement, n.text)),
            );
            if out.is_empty() {
                out.push("no index advice".into());
            }
            out
        }
        "beautify" => sql::format::format(text)
            .lines()
            .map(str::to_string)
            .collect(),
        "score" => {
            let r = sql::score::score(text, &sql::score::ScoreOptions::default(), lang);
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
