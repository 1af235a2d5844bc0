//! The rollback of an SQL audit as a new SQL audit: the undo statements built from the original
//! run's backups, one transaction, each statement guarded so rows changed since are left alone
//! unless forced; it needs approval like any audit and names the task it undoes.

use super::{Form, ModuleContext, SqlAuditForm};
use crate::model::sql_audit::{StatementResult, via_tunnel};
use crate::model::sql_backup::{RollbackPlan, rollback_plan};
use crate::model::{Invalid, ModuleKind, Task, TaskSpec};
use crate::sql::split;

/// The rollback plan of a finished tunnel SQL audit, or why there is none.
pub fn plan_for(task: &Task, results: &[serde_json::Value]) -> Result<RollbackPlan, String> {
    if task.spec.module != ModuleKind::SqlAudit {
        return Err(format!("task {} is not an SQL audit", task.id));
    }
    if !via_tunnel(&task.spec) {
        return Err(format!(
            "task {} ran through the mysql client (sql_via = \"client\"), which keeps no backup",
            task.id
        ));
    }
    if !task.state.is_final() {
        return Err(format!(
            "task {} is {}; roll back once it has finished",
            task.id,
            task.state.as_str()
        ));
    }
    let parsed: Vec<StatementResult> = results
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    let plan = rollback_plan(&parsed);
    if plan.statements.is_empty() {
        let mut msg = format!("task {} has nothing to roll back", task.id);
        for n in &plan.notes {
            msg.push_str(&format!("; {n}"));
        }
        return Err(msg);
    }
    Ok(plan)
}

/// The rollback task: an SQL audit on the original's tag, `transaction = true`, its guards in
/// `extra.rollback` (with `of` the original task id and `force`).
pub fn rollback_spec(
    task: &Task,
    plan: &RollbackPlan,
    approvers: Vec<String>,
    force: bool,
    ctx: &ModuleContext,
) -> Result<TaskSpec, Invalid> {
    let tag = task
        .spec
        .extra
        .get("target_tag")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let sql = plan.sql();
    let mut errs = Invalid::default();
    if split(&sql).len() != plan.statements.len() {
        errs.push(
            "sql",
            "the generated rollback does not split into its statements; roll back by hand",
        );
        return Err(errs);
    }
    let form = SqlAuditForm {
        name: format!("Rollback of task {}", task.id),
        tag,
        sql,
        approvers,
        // DDL commits implicitly: a plan with DDL runs statement by statement.
        transaction: !plan.has_ddl(),
        details: format!(
            "rollback of task {} `{}`{}",
            task.id,
            task.spec.name,
            if force {
                " (forced: rows changed since are overwritten)"
            } else {
                ""
            }
        ),
        ..SqlAuditForm::default()
    };
    let mut spec = form.to_spec(ctx)?;
    let guards: Vec<_> = plan.statements.iter().map(|(_, g)| g.clone()).collect();
    if let Some(extra) = spec.extra.as_object_mut() {
        extra.insert(
            "rollback".into(),
            serde_json::json!({ "of": task.id, "force": force, "guards": guards, "notes": plan.notes }),
        );
    }
    Ok(spec)
}
