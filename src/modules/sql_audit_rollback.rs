//! The rollback of an SQL audit as a new SQL audit: the undo statements built from the original
//! run's backups, one transaction, each statement guarded so rows changed since are left alone
//! unless forced; it needs approval like any audit and names the task it undoes.

use super::{Form, ModuleContext, SqlAuditForm};
use crate::model::sql_audit::{StatementResult, via_tunnel};
use crate::model::sql_backup::{RollbackPlan, rollback_plan};
use crate::model::{Invalid, Lang, ModuleKind, Task, TaskSpec, TaskState};
use crate::sql::split;

/// Why a task has no rollback; shown in the user's language by the console, in English elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub enum NoRollback {
    NotSqlAudit(i64),
    /// Ran through the mysql client (`sql_via = "client"`), which keeps no backup.
    ViaClient(i64),
    NotFinished(i64, TaskState),
    /// Finished, but no statement left a backup; the notes say why.
    Nothing(i64, Vec<String>),
}

impl NoRollback {
    /// The reason in `lang` (the per-statement notes stay as the backup recorded them).
    pub fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            NoRollback::NotSqlAudit(id) if zh => format!("任务 {id} 不是 SQL 审核"),
            NoRollback::NotSqlAudit(id) => format!("task {id} is not an SQL audit"),
            NoRollback::ViaClient(id) if zh => {
                format!("任务 {id} 经 mysql 客户端执行（sql_via = \"client\"），没有留下备份")
            }
            NoRollback::ViaClient(id) => format!(
                "task {id} ran through the mysql client (sql_via = \"client\"), which keeps no backup"
            ),
            NoRollback::NotFinished(id, state) if zh => {
                format!("任务 {id} 的状态是 {}；结束后才能回滚", state.as_str())
            }
            NoRollback::NotFinished(id, state) => format!(
                "task {id} is {}; roll back once it has finished",
                state.as_str()
            ),
            NoRollback::Nothing(id, notes) => {
                let mut msg = if zh {
                    format!("任务 {id} 没有可回滚的内容")
                } else {
                    format!("task {id} has nothing to roll back")
                };
                for n in notes {
                    msg.push_str(&format!("; {n}"));
                }
                msg
            }
        }
    }
}

impl std::fmt::Display for NoRollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl std::error::Error for NoRollback {}

/// The rollback plan of a finished tunnel SQL audit, or why there is none.
pub fn plan_for(task: &Task, results: &[serde_json::Value]) -> Result<RollbackPlan, NoRollback> {
    if task.spec.module != ModuleKind::SqlAudit {
        return Err(NoRollback::NotSqlAudit(task.id));
    }
    if !via_tunnel(&task.spec) {
        return Err(NoRollback::ViaClient(task.id));
    }
    if !task.state.is_final() {
        return Err(NoRollback::NotFinished(task.id, task.state));
    }
    let parsed: Vec<StatementResult> = results
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    let plan = rollback_plan(&parsed);
    if plan.statements.is_empty() {
        return Err(NoRollback::Nothing(task.id, plan.notes));
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
