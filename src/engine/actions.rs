//! Operator actions — submit, approve, reject, cancel, retry, release, skip — with their rules and audit.
//! They change the store only; whoever runs the engine is then woken to act on the change.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::model::{Decision, Role, StepState, Task, TaskSpec, TaskState, User};
use crate::store::Store;

use super::EngineError;

/// The acting user with their role. In a store without users the local user is an admin (single-user mode).
pub fn resolve_actor(store: &Store, name: &str) -> Result<User, EngineError> {
    let users = store.users()?;
    if users.is_empty() {
        return Ok(User {
            name: name.to_string(),
            display_name: String::new(),
            role: Role::Admin,
        });
    }
    Ok(users.into_iter().find(|u| u.name == name).unwrap_or(User {
        name: name.to_string(),
        display_name: String::new(),
        role: Role::Operator,
    }))
}

fn task(store: &Store, id: i64) -> Result<Task, EngineError> {
    store
        .task(id)?
        .ok_or(EngineError::NotFound(format!("task {id}")))
}

/// Validates a spec in full and stores it; nothing is stored on error. The submitter is always the actor.
pub fn submit(
    store: &Store,
    config: &Config,
    actor: &User,
    mut spec: TaskSpec,
) -> Result<Task, EngineError> {
    if !actor.role.can_submit() {
        return Err(EngineError::Forbidden(format!(
            "{} has the {} role and cannot submit tasks",
            actor.name,
            actor.role.as_str()
        )));
    }
    spec.submitter = actor.name.clone();
    let stored = store.template(spec.template_id, None)?.ok_or_else(|| {
        EngineError::Invalid(crate::model::Invalid(vec![crate::model::FieldError::new(
            "template_id",
            format!(
                "unknown template {} (see `opsdeck template list`)",
                spec.template_id
            ),
        )]))
    })?;
    // A template that names approvers, or a spec that names any, always needs approval: no
    // front end (a raw API spec included) can skip it by leaving `needs_approval` off.
    spec.needs_approval |= !stored.template.approvers.is_empty() || !spec.approvers.is_empty();
    // A template's approvers list is the only people who may approve its tasks.
    let allowed = &stored.template.approvers;
    if !allowed.is_empty() {
        let outside: Vec<&String> = spec
            .approvers
            .iter()
            .filter(|a| !allowed.contains(a))
            .collect();
        if !outside.is_empty() {
            return Err(EngineError::Invalid(crate::model::Invalid(vec![
                crate::model::FieldError::new(
                    "approvers",
                    format!(
                        "{} may not approve tasks of template {}: its approvers are {}",
                        outside
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        spec.template_id,
                        allowed.join(", ")
                    ),
                ),
            ])));
        }
    }
    // Declared defaults fill args the spec leaves out.
    for a in &stored.template.args {
        if let Some(d) = &a.default {
            spec.args.entry(a.name.clone()).or_insert_with(|| d.clone());
        }
    }
    let inv = store.load_inventory()?;
    spec.validate(&stored.template, &inv, config.concurrency)?;
    // Maintenance windows: a task may not be set to start outside them.
    if let Some(o) = crate::model::maintenance::check(&inv, &spec.all_hosts(), spec.exec_time) {
        return Err(EngineError::Invalid(crate::model::Invalid(vec![
            crate::model::FieldError::new(
                "exec_time",
                format!(
                    "{} is {o}",
                    crate::model::fmt_local(spec.exec_time.max(chrono::Utc::now()))
                ),
            ),
        ])));
    }
    for a in &spec.approvers {
        if store.user(a)?.is_none() && !store.users()?.is_empty() {
            return Err(EngineError::Invalid(crate::model::Invalid(vec![
                crate::model::FieldError::new("approvers", format!("unknown user `{a}`")),
            ])));
        }
    }
    let state = if spec.needs_approval {
        TaskState::PendingApproval
    } else {
        TaskState::Scheduled
    };
    let t = store.insert_task(&spec, &stored.template, stored.version, state)?;
    store.audit(
        &actor.name,
        "submit",
        Some(t.id),
        &format!(
            "template {} v{} → {}",
            spec.template_id,
            stored.version,
            state.as_str()
        ),
    )?;
    Ok(t)
}

/// Who may approve a task: an admin, or a user named by the task or its template who holds the approver role.
/// The submitter never approves their own task unless `allow_self_approval` is set.
pub fn check_approver(
    store: &Store,
    config: &Config,
    actor: &User,
    t: &Task,
) -> Result<(), EngineError> {
    if t.spec.submitter == actor.name && !config.allow_self_approval {
        return Err(EngineError::Forbidden(format!(
            "{} submitted task {} and may not approve it (allow_self_approval is off)",
            actor.name, t.id
        )));
    }
    if actor.role == Role::Admin {
        return Ok(());
    }
    let approvers = approvers_of(store, t)?;
    if !approvers.contains(&actor.name) {
        return Err(EngineError::Forbidden(format!(
            "{} is not an approver of task {} (approvers: {})",
            actor.name,
            t.id,
            if approvers.is_empty() {
                "admins only".to_string()
            } else {
                approvers.join(", ")
            }
        )));
    }
    if !actor.role.can_approve() {
        return Err(EngineError::Forbidden(format!(
            "{} is named as approver but has the {} role; an approver or admin role is needed",
            actor.name,
            actor.role.as_str()
        )));
    }
    Ok(())
}

fn refuse(t: &Task, action: &str, allowed: &str) -> EngineError {
    EngineError::Conflict(format!(
        "cannot {action} task {}: it is {} ({action} applies to tasks that are {allowed})",
        t.id,
        t.state.as_str()
    ))
}

pub fn approve(
    store: &Store,
    config: &Config,
    actor: &User,
    id: i64,
    new_exec_time: Option<DateTime<Utc>>,
) -> Result<Task, EngineError> {
    let t = task(store, id)?;
    if t.state != TaskState::PendingApproval {
        return Err(refuse(&t, "approve", "pending approval"));
    }
    check_approver(store, config, actor, &t)?;
    let d = Decision {
        by: actor.name.clone(),
        at: Utc::now(),
        approved: true,
        reason: String::new(),
    };
    if !store.decide_task(id, &d, new_exec_time)? {
        return Err(refuse(&task(store, id)?, "approve", "pending approval"));
    }
    let detail = match new_exec_time {
        Some(t) => format!("new exec time {}", crate::model::fmt_local(t)),
        None => String::new(),
    };
    store.audit(&actor.name, "approve", Some(id), &detail)?;
    task(store, id)
}

pub fn reject(
    store: &Store,
    config: &Config,
    actor: &User,
    id: i64,
    reason: &str,
) -> Result<Task, EngineError> {
    let t = task(store, id)?;
    if t.state != TaskState::PendingApproval {
        return Err(refuse(&t, "reject", "pending approval"));
    }
    if reason.trim().is_empty() {
        return Err(EngineError::Invalid(crate::model::Invalid(vec![
            crate::model::FieldError::new("reason", "a rejection needs a reason for the submitter"),
        ])));
    }
    check_approver(store, config, actor, &t)?;
    let d = Decision {
        by: actor.name.clone(),
        at: Utc::now(),
        approved: false,
        reason: reason.to_string(),
    };
    if !store.decide_task(id, &d, None)? {
        return Err(refuse(&task(store, id)?, "reject", "pending approval"));
    }
    store.audit(&actor.name, "reject", Some(id), reason)?;
    task(store, id)
}

/// Who may approve a task besides admins: when its template names approvers, those of them the
/// task names (or all of the template's when the task names none); otherwise the task's own.
pub fn approvers_of(store: &Store, t: &Task) -> Result<Vec<String>, EngineError> {
    let tpl = store
        .template(t.spec.template_id, Some(t.template_version))?
        .map(|s| s.template.approvers)
        .unwrap_or_default();
    Ok(if tpl.is_empty() {
        t.spec.approvers.clone()
    } else if t.spec.approvers.is_empty() {
        tpl
    } else {
        t.spec
            .approvers
            .iter()
            .filter(|a| tpl.contains(a))
            .cloned()
            .collect()
    })
}

/// Cancel, retry, release and skip: the task's submitter, its approvers (with the approver
/// role) and admins; viewers never.
fn check_operator(store: &Store, actor: &User, t: &Task, action: &str) -> Result<(), EngineError> {
    let allowed = match actor.role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Operator => t.spec.submitter == actor.name,
        Role::Approver => {
            t.spec.submitter == actor.name || approvers_of(store, t)?.contains(&actor.name)
        }
    };
    if !allowed {
        return Err(EngineError::Forbidden(format!(
            "{} ({}) may not {action} task {} submitted by {}: only its submitter, its approvers and admins may",
            actor.name,
            actor.role.as_str(),
            t.id,
            t.spec.submitter
        )));
    }
    Ok(())
}

pub fn cancel(store: &Store, actor: &User, id: i64) -> Result<Task, EngineError> {
    let t = task(store, id)?;
    check_operator(store, actor, &t, "cancel")?;
    let live = [
        TaskState::PendingApproval,
        TaskState::Scheduled,
        TaskState::Running,
    ];
    if !store.transition_task(
        id,
        &live,
        TaskState::Cancelled,
        Some(&format!("cancelled by {}", actor.name)),
    )? {
        return Err(refuse(
            &task(store, id)?,
            "cancel",
            "pending approval, scheduled or running",
        ));
    }
    // Steps not yet started are cancelled here; running ones are stopped and marked by the engine.
    for r in store.step_runs(id)? {
        if matches!(
            r.state,
            StepState::Pending | StepState::Waiting | StepState::Manual
        ) {
            store.set_step_state(r.id, StepState::Cancelled, None, "task cancelled")?;
        }
    }
    store.audit(&actor.name, "cancel", Some(id), "")?;
    task(store, id)
}

/// Puts the failed hosts back on their failed level; steps already done are not run again.
pub fn retry(store: &Store, actor: &User, id: i64) -> Result<Task, EngineError> {
    let t = task(store, id)?;
    check_operator(store, actor, &t, "retry")?;
    let retryable = [
        TaskState::Failed,
        TaskState::Interrupted,
        TaskState::Cancelled,
        TaskState::Missed,
    ];
    if !retryable.contains(&t.state) {
        return Err(refuse(
            &t,
            "retry",
            "failed, interrupted, cancelled or missed",
        ));
    }
    let mut reset = 0;
    for r in store.step_runs(id)? {
        match r.state {
            StepState::Failed | StepState::TimedOut | StepState::Cancelled | StepState::Running => {
                store.reset_step_for_retry(r.id)?;
                reset += 1;
            }
            StepState::Waiting | StepState::Manual => {
                store.set_step_state(r.id, StepState::Pending, None, "")?;
            }
            _ => {}
        }
    }
    if !store.transition_task(id, &retryable, TaskState::Scheduled, Some(""))? {
        return Err(refuse(
            &task(store, id)?,
            "retry",
            "failed, interrupted, cancelled or missed",
        ));
    }
    store.audit(
        &actor.name,
        "retry",
        Some(id),
        &format!("{reset} step runs reset"),
    )?;
    task(store, id)
}

/// Picks the step runs an action addresses: one by id, or every one matching the filter.
fn select_steps(
    store: &Store,
    id: i64,
    step_run: Option<i64>,
    host: Option<&str>,
    want: &[StepState],
) -> Result<Vec<crate::model::StepRun>, EngineError> {
    let runs = store.step_runs(id)?;
    let picked: Vec<_> = runs
        .into_iter()
        .filter(|r| step_run.is_none_or(|s| s == r.id))
        .filter(|r| host.is_none_or(|h| h == r.host))
        .filter(|r| want.contains(&r.state))
        .collect();
    Ok(picked)
}

/// Releases manual steps that are waiting for a person.
pub fn release(
    store: &Store,
    actor: &User,
    id: i64,
    step_run: Option<i64>,
    host: Option<&str>,
) -> Result<usize, EngineError> {
    let t = task(store, id)?;
    check_operator(store, actor, &t, "release a step of")?;
    if t.state != TaskState::Running {
        return Err(refuse(&t, "release a step of", "running"));
    }
    let picked = select_steps(store, id, step_run, host, &[StepState::Manual])?;
    if picked.is_empty() {
        return Err(EngineError::Conflict(format!(
            "task {id} has no manual step waiting for release{}",
            step_run
                .map(|s| format!(" with id {s}"))
                .unwrap_or_default()
        )));
    }
    for r in &picked {
        store.set_step_state(
            r.id,
            StepState::Pending,
            None,
            &format!("released by {}", actor.name),
        )?;
        store.audit(
            &actor.name,
            "release",
            Some(id),
            &format!("step run {} ({} on {})", r.id, r.step_name, r.host),
        )?;
    }
    Ok(picked.len())
}

/// Skips steps that have not run successfully: the host goes on with its next level.
pub fn skip(store: &Store, actor: &User, id: i64, step_run: i64) -> Result<(), EngineError> {
    let t = task(store, id)?;
    check_operator(store, actor, &t, "skip a step of")?;
    if t.state.is_final() && !matches!(t.state, TaskState::Failed | TaskState::Interrupted) {
        return Err(refuse(
            &t,
            "skip a step of",
            "running, scheduled, failed or interrupted",
        ));
    }
    let skippable = [
        StepState::Pending,
        StepState::Waiting,
        StepState::Manual,
        StepState::Failed,
        StepState::TimedOut,
        StepState::Cancelled,
    ];
    let picked = select_steps(store, id, Some(step_run), None, &skippable)?;
    let Some(r) = picked.first() else {
        let state = store
            .step_run(step_run)?
            .filter(|r| r.task_id == id)
            .map(|r| r.state.as_str())
            .unwrap_or("not part of this task");
        return Err(EngineError::Conflict(format!(
            "cannot skip step run {step_run} of task {id}: it is {state} (only steps that have not run successfully and are not running can be skipped)"
        )));
    };
    store.set_step_state(
        r.id,
        StepState::Skipped,
        None,
        &format!("skipped by {}", actor.name),
    )?;
    store.audit(
        &actor.name,
        "skip",
        Some(id),
        &format!("step run {} ({} on {})", r.id, r.step_name, r.host),
    )?;
    Ok(())
}
