//! Live checks of the multi-line editors: `sql::check` for SQL, `serde_json` for JSON; the error
//! position is marked in the editor and the message goes under it.

use super::Fields;
use crate::sql;

/// Checks the SQL of field `name` as typed: the first error marked and shown, else a summary.
pub fn sql(f: &mut Fields, name: &str) {
    let Some(field) = f.get_mut(name) else { return };
    let text = field.as_text();
    if text.trim().is_empty() {
        return;
    }
    let report = sql::check(&text);
    if let Some(e) = report.errors.first() {
        field.mark = Some((
            e.position.line.saturating_sub(1),
            e.position.column.saturating_sub(1),
        ));
        field.error = Some(format!(
            "{}:{} {}",
            e.position.line, e.position.column, e.message
        ));
        if report.errors.len() > 1 {
            field.note = Some(format!("+{} more", report.errors.len() - 1));
        }
    } else if let Some(w) = report.warnings.first() {
        field.note = Some(format!(
            "{} ✓ · {}:{} {}",
            report.statements.len(),
            w.position.line,
            w.position.column,
            w.message
        ));
    } else {
        field.note = Some(format!("{} ✓", report.statements.len()));
    }
}

/// Checks the JSON of field `name` as typed: a parse error's line and column marked and shown.
pub fn json(f: &mut Fields, name: &str) {
    let Some(field) = f.get_mut(name) else { return };
    let text = field.as_text();
    if text.trim().is_empty() {
        return;
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.is_object() => field.note = Some("JSON ✓".into()),
        Ok(_) => field.error = Some("expected a JSON object ({\"task_name\": …})".into()),
        Err(e) => {
            field.mark = Some((e.line().saturating_sub(1), e.column().saturating_sub(1)));
            field.error = Some(format!("{}:{} {e}", e.line(), e.column()));
        }
    }
}
