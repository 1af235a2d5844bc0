//! Live checks of the multi-line editors: `sql::check` for SQL, `serde_json` for JSON. A check is a
//! [`CheckJob`] the runtime runs off the UI thread a moment after the last edit; its
//! [`CheckResult`] carries the edit generation it was made for, so a stale one is dropped.

pub use super::LiveKind;
use super::Module;
use crate::model::Lang;
use crate::sql;
use crate::tui::widgets::field::Field;

/// How long after the last edit a check runs.
pub const DEBOUNCE_MS: u64 = 150;

/// A check to run: the text as it was at edit generation `generation`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckJob {
    pub module: Module,
    pub generation: u64,
    pub kind: LiveKind,
    pub text: String,
    /// SQL optimize's operation, for its local results.
    pub op: String,
    pub lang: Lang,
}

/// What a check found: the error position to mark, the error, a note, and local results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckResult {
    pub module: Option<Module>,
    pub generation: u64,
    pub mark: Option<(usize, usize)>,
    pub error: Option<String>,
    pub note: Option<String>,
    pub output: Vec<String>,
}

impl CheckResult {
    /// Shows the result on its field.
    pub fn apply(&self, field: &mut Field) {
        field.mark = self.mark;
        if let Some(e) = &self.error {
            field.error = Some(e.clone());
        }
        if let Some(n) = &self.note {
            field.note = Some(n.clone());
        }
    }
}

/// Runs a check (blocking: the runtime calls it on a blocking thread; tests call it directly).
pub fn run(job: &CheckJob) -> CheckResult {
    let mut r = match job.kind {
        LiveKind::Json => json(&job.text, job.lang),
        LiveKind::Sql | LiveKind::SqlWithOutput => sql(&job.text, job.lang),
    };
    if job.kind == LiveKind::SqlWithOutput {
        r.output = super::sql_optimize::output(&job.text, &job.op, job.lang);
    }
    r.module = Some(job.module);
    r.generation = job.generation;
    r
}

/// The SQL as typed: the first error marked and shown, else a summary.
pub fn sql(text: &str, lang: Lang) -> CheckResult {
    let mut r = CheckResult::default();
    if text.trim().is_empty() {
        return r;
    }
    let report = sql::check_in(text, lang);
    if let Some(e) = report.errors.first() {
        r.mark = Some((
            e.position.line.saturating_sub(1),
            e.position.column.saturating_sub(1),
        ));
        r.error = Some(format!(
            "{}:{} {}",
            e.position.line, e.position.column, e.message
        ));
        if report.errors.len() > 1 {
            r.note = Some(format!("+{}", report.errors.len() - 1));
        }
    } else if let Some(w) = report.warnings.first() {
        r.note = Some(format!(
            "{} ✓ · {}:{} {}",
            report.statements.len(),
            w.position.line,
            w.position.column,
            w.message
        ));
    } else {
        r.note = Some(format!("{} ✓", report.statements.len()));
    }
    r
}

/// The JSON as typed: a parse error's line and column marked and shown.
pub fn json(text: &str, lang: Lang) -> CheckResult {
    let mut r = CheckResult::default();
    if text.trim().is_empty() {
        return r;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => r.note = Some("JSON ✓".into()),
        Ok(_) => {
            let e = "expected a JSON object ({\"task_name\": …})";
            r.error = Some(crate::tui::i18n_fields::field_message(lang, e));
        }
        Err(e) => {
            r.mark = Some((e.line().saturating_sub(1), e.column().saturating_sub(1)));
            r.error = Some(format!("{}:{} {e}", e.line(), e.column()));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_errors_are_marked_and_in_the_console_language() {
        let en = sql("select 1;\nselec 2;", Lang::En);
        assert_eq!(en.mark.map(|m| m.0), Some(1), "{en:?}");
        let zh = sql("select 1;\nselec 2;", Lang::Zh);
        assert!(
            zh.error
                .as_deref()
                .is_some_and(|e| e != en.error.as_deref().unwrap_or(""))
        );
        assert_eq!(sql("select 1;", Lang::En).note.as_deref(), Some("1 ✓"));
        assert!(json("{\"a\": }", Lang::En).error.is_some());
        assert_eq!(json("{}", Lang::En).note.as_deref(), Some("JSON ✓"));
        let zh = json("[1]", Lang::Zh).error.unwrap_or_default();
        assert!(zh.starts_with("应为 JSON 对象"), "{zh}");
    }
}
