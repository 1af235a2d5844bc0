//! Task and step-run repository; state changes are compare-and-set so an illegal transition changes nothing.

use chrono::{DateTime, Utc};

use super::sql::{Q, Row, Val, vals};
use super::{Result, Store, StoreError, from_json, parse_ts, to_json, ts};
use crate::model::{Decision, StepRun, StepState, Task, TaskSpec, TaskState, Template};

pub use crate::model::TaskFilter;

/// What the scheduler needs of a scheduled task, read without parsing its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledRef {
    pub id: i64,
    pub template_id: u32,
    pub template_version: u32,
    pub exec_time: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SCHEDULED_REF_COLS: &str = "id, template_id, template_version, exec_time, updated_at";

fn scheduled_ref(r: &Row) -> Result<ScheduledRef> {
    Ok(ScheduledRef {
        id: r.i64(0)?,
        template_id: r.u32(1)?,
        template_version: r.u32(2)?,
        exec_time: parse_ts("tasks", &r.str(3)?)?,
        updated_at: parse_ts("tasks", &r.str(4)?)?,
    })
}

const TASK_COLS: &str = "id, state, template_version, created_at, updated_at, started_at, finished_at, spec, decision, reason";

fn task_row(r: &Row) -> Result<Task> {
    let opt = |s: Option<String>| s.map(|s| parse_ts("tasks", &s)).transpose();
    let state = r.str(1)?;
    Ok(Task {
        id: r.i64(0)?,
        spec: from_json::<TaskSpec>("tasks", &r.str(7)?)?,
        state: TaskState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            table: "tasks",
            message: format!("unknown state `{state}`"),
        })?,
        template_version: r.u32(2)?,
        created_at: parse_ts("tasks", &r.str(3)?)?,
        updated_at: parse_ts("tasks", &r.str(4)?)?,
        started_at: opt(r.opt_str(5)?)?,
        finished_at: opt(r.opt_str(6)?)?,
        decision: r
            .opt_str(8)?
            .map(|d| from_json::<Decision>("tasks", &d))
            .transpose()?,
        reason: r.str(9)?,
    })
}

const STEP_COLS: &str = "id, task_id, grp, level, host, step_name, state, exit_code, started_at, finished_at, attempt, reason";

fn step_row(r: &Row) -> Result<StepRun> {
    let opt = |s: Option<String>| s.map(|s| parse_ts("step_runs", &s)).transpose();
    let state = r.str(6)?;
    Ok(StepRun {
        id: r.i64(0)?,
        task_id: r.i64(1)?,
        group: r.u32(2)?,
        level: r.u32(3)?,
        host: r.str(4)?,
        step_name: r.str(5)?,
        state: StepState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            table: "step_runs",
            message: format!("unknown state `{state}`"),
        })?,
        exit_code: r.opt_i32(7)?,
        started_at: opt(r.opt_str(8)?)?,
        finished_at: opt(r.opt_str(9)?)?,
        attempt: r.u32(10)?,
        reason: r.str(11)?,
    })
}

fn tasks_of(q: Q<'_>, sql: &str, params: &[Val]) -> Result<Vec<Task>> {
    q.rows("tasks", sql, params)?.iter().map(task_row).collect()
}

/// The (group, level, host, step name) rows a task gets: `model::plan::expand`, the expansion the
/// runner walks and the dry run shows (each step of a group on each of its hosts, or once on its
/// `force_host`).
pub fn planned_steps(spec: &TaskSpec, template: &Template) -> Vec<(u32, u32, String, String)> {
    crate::model::plan::expand(spec, template)
        .into_iter()
        .map(|s| (s.group, s.step.level, s.host, s.step.name.clone()))
        .collect()
}

impl Store {
    /// Stores a validated spec as a new task with its step runs, in one transaction.
    pub fn insert_task(
        &self,
        spec: &TaskSpec,
        template: &Template,
        template_version: u32,
        state: TaskState,
    ) -> Result<Task> {
        let now = ts(Utc::now());
        self.tx(|q| {
            let id = q
                .row(
                    "tasks",
                    "INSERT INTO tasks (name, module, submitter, state, template_id, template_version, exec_time,
                                        created_at, updated_at, spec, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, '') RETURNING id",
                    &vals![
                        &spec.name,
                        spec.module.as_str(),
                        &spec.submitter,
                        state.as_str(),
                        spec.template_id,
                        template_version,
                        ts(spec.exec_time),
                        now,
                        to_json(spec),
                    ],
                )?
                .ok_or_else(|| StoreError::NotFound("the inserted task's id".into()))?
                .i64(0)?;
            let steps: Vec<Vec<Val>> = planned_steps(spec, template)
                .into_iter()
                .map(|(g, level, host, name)| vals![id, g, level, host, name].to_vec())
                .collect();
            q.exec_many(
                "INSERT INTO step_runs (task_id, grp, level, host, step_name, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
                &steps,
            )?;
            get_task(q, id)?.ok_or_else(|| StoreError::NotFound(format!("task {id}")))
        })
    }

    pub fn task(&self, id: i64) -> Result<Option<Task>> {
        self.with(|q| get_task(q, id))
    }

    /// Tasks newest first.
    pub fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut sql = format!("SELECT {TASK_COLS} FROM tasks WHERE 1=1");
        let mut args: Vec<Val> = Vec::new();
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter
                .states
                .iter()
                .map(|s| {
                    args.push(s.as_str().into());
                    format!("?{}", args.len())
                })
                .collect();
            sql.push_str(&format!(" AND state IN ({})", marks.join(",")));
        }
        if let Some(s) = &filter.submitter {
            args.push(s.into());
            sql.push_str(&format!(" AND submitter = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY id DESC");
        if let Some(l) = filter.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        self.with(|q| tasks_of(q, &sql, &args))
    }

    /// Moves a task to `to` only if its state is one of `from`; returns whether it moved.
    /// Sets `started_at` on entering running and `finished_at` on entering a final state.
    /// A final state also ends the task's lease (its `owner` stays: the node that ran it).
    pub fn transition_task(
        &self,
        id: i64,
        from: &[TaskState],
        to: TaskState,
        reason: Option<&str>,
    ) -> Result<bool> {
        self.transition_task_owned(id, from, to, reason, None)
    }

    /// [`Store::transition_task`], and with `owner` only while that node holds the task (its
    /// lease claim): a runner's scheduled → running can then happen on one node only.
    pub fn transition_task_owned(
        &self,
        id: i64,
        from: &[TaskState],
        to: TaskState,
        reason: Option<&str>,
        owner: Option<&str>,
    ) -> Result<bool> {
        let now = ts(Utc::now());
        let placeholders = (0..from.len())
            .map(|i| format!("?{}", i + 6))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "UPDATE tasks SET state = ?2, updated_at = ?3,
               started_at = CASE WHEN ?2 = 'running' AND started_at IS NULL THEN ?3 ELSE started_at END,
               finished_at = CASE WHEN ?2 IN ('succeeded','failed','rejected','cancelled','interrupted','missed') THEN ?3
                                  WHEN ?2 IN ('running','scheduled') THEN NULL ELSE finished_at END,
               lease_until = CASE WHEN ?2 IN ('running','scheduled') THEN lease_until ELSE NULL END,
               reason = coalesce(?4, reason)
             WHERE id = ?1 AND (CAST(?5 AS TEXT) IS NULL OR owner = ?5) AND state IN ({placeholders})"
        );
        let mut p = vals![id, to.as_str(), now, reason, owner].to_vec();
        p.extend(from.iter().map(|s| Val::from(s.as_str())));
        let n = self.with(|q| q.exec(&sql, &p))?;
        Ok(n == 1)
    }

    /// Records an approval decision and moves the task out of `pending_approval`, optionally with a new exec time.
    pub fn decide_task(
        &self,
        id: i64,
        decision: &Decision,
        new_exec_time: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        self.tx(|q| {
            let Some(mut task) = get_task(q, id)? else {
                return Ok(false);
            };
            if task.state != TaskState::PendingApproval {
                return Ok(false);
            }
            if let Some(t) = new_exec_time {
                task.spec.exec_time = t;
            }
            let to = if decision.approved {
                TaskState::Scheduled
            } else {
                TaskState::Rejected
            };
            let now = ts(Utc::now());
            // Still conditional on the state: on PostgreSQL another node may have decided meanwhile.
            let n = q.exec(
                "UPDATE tasks SET state = ?2, updated_at = ?3, decision = ?4, spec = ?5, exec_time = ?6,
                   finished_at = CASE WHEN ?2 = 'rejected' THEN ?3 ELSE NULL END,
                   reason = CASE WHEN ?2 = 'rejected' THEN ?7 ELSE reason END
                 WHERE id = ?1 AND state = 'pending_approval'",
                &vals![
                    id,
                    to.as_str(),
                    now,
                    to_json(decision),
                    to_json(&task.spec),
                    ts(task.spec.exec_time),
                    &decision.reason,
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// Every scheduled task as a [`ScheduledRef`] (the scheduler's queue; no spec parsing).
    pub fn scheduled_refs(&self) -> Result<Vec<ScheduledRef>> {
        self.with(|q| {
            q.rows(
                "tasks",
                &format!(
                    "SELECT {SCHEDULED_REF_COLS} FROM tasks WHERE state = 'scheduled' ORDER BY exec_time, id"
                ),
                &[],
            )?
            .iter()
            .map(scheduled_ref)
            .collect()
        })
    }

    /// One task as a [`ScheduledRef`] when it is scheduled, `None` otherwise.
    pub fn scheduled_ref(&self, id: i64) -> Result<Option<ScheduledRef>> {
        self.with(|q| {
            q.row(
                "tasks",
                &format!(
                    "SELECT {SCHEDULED_REF_COLS} FROM tasks WHERE id = ?1 AND state = 'scheduled'"
                ),
                &vals![id],
            )?
            .as_ref()
            .map(scheduled_ref)
            .transpose()
        })
    }

    /// Scheduled tasks ordered by exec time (the scheduler's queue).
    pub fn scheduled_tasks(&self) -> Result<Vec<Task>> {
        self.with(|q| {
            tasks_of(
                q,
                &format!(
                    "SELECT {TASK_COLS} FROM tasks WHERE state = 'scheduled' ORDER BY exec_time, id"
                ),
                &[],
            )
        })
    }

    pub fn step_runs(&self, task_id: i64) -> Result<Vec<StepRun>> {
        self.with(|q| {
            q.rows(
                "step_runs",
                &format!(
                    "SELECT {STEP_COLS} FROM step_runs WHERE task_id = ?1 ORDER BY grp, level, id"
                ),
                &vals![task_id],
            )?
            .iter()
            .map(step_row)
            .collect()
        })
    }

    pub fn step_run(&self, id: i64) -> Result<Option<StepRun>> {
        self.with(|q| {
            q.row(
                "step_runs",
                &format!("SELECT {STEP_COLS} FROM step_runs WHERE id = ?1"),
                &vals![id],
            )?
            .as_ref()
            .map(step_row)
            .transpose()
        })
    }

    /// Updates a step run's state (and exit code / reason). Start and end times follow the state.
    pub fn set_step_state(
        &self,
        id: i64,
        state: StepState,
        exit_code: Option<i32>,
        reason: &str,
    ) -> Result<()> {
        let now = ts(Utc::now());
        self.with(|q| {
            q.exec(
                "UPDATE step_runs SET state = ?2,
                   exit_code = CASE WHEN ?2 = 'running' THEN NULL ELSE coalesce(?3, exit_code) END,
                   started_at = CASE WHEN ?2 = 'running' THEN ?4 ELSE started_at END,
                   finished_at = CASE WHEN ?2 IN ('done','failed','timed_out','skipped','cancelled') THEN ?4
                                      WHEN ?2 = 'running' THEN NULL ELSE finished_at END,
                   reason = ?5,
                   remote_group = CASE WHEN ?2 = 'running' THEN NULL ELSE remote_group END
                 WHERE id = ?1",
                &vals![id, state.as_str(), exit_code, now, reason],
            )
        })?;
        Ok(())
    }

    /// Records the remote process group of running step run `id` (`PGID TAG`, see
    /// [`crate::exec::RemoteGroup`]), so another node can end it if this one is cut off.
    pub fn set_remote_group(&self, id: i64, group: &str) -> Result<()> {
        self.with(|q| {
            q.exec(
                "UPDATE step_runs SET remote_group = ?2 WHERE id = ?1 AND state = 'running'",
                &vals![id, group],
            )
        })?;
        Ok(())
    }

    /// Puts a step run back to pending for another attempt.
    pub fn reset_step_for_retry(&self, id: i64) -> Result<()> {
        self.with(|q| {
            q.exec(
                "UPDATE step_runs SET state = 'pending', exit_code = NULL, started_at = NULL, finished_at = NULL,
                   reason = '', attempt = attempt + 1 WHERE id = ?1",
                &vals![id],
            )
        })?;
        Ok(())
    }
}

impl Store {
    /// Records a value a `capture` step produced, for later steps and for retries.
    pub fn put_capture(&self, task_id: i64, name: &str, value: &str) -> Result<()> {
        self.with(|q| {
            q.exec(
                "INSERT INTO captures (task_id, name, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (task_id, name) DO UPDATE SET value = excluded.value",
                &vals![task_id, name, value],
            )
        })?;
        Ok(())
    }

    pub fn captures(&self, task_id: i64) -> Result<std::collections::BTreeMap<String, String>> {
        let rows = self.with(|q| {
            q.rows(
                "captures",
                "SELECT name, value FROM captures WHERE task_id = ?1",
                &vals![task_id],
            )
        })?;
        rows.iter().map(|r| Ok((r.str(0)?, r.str(1)?))).collect()
    }
}

fn get_task(q: Q<'_>, id: i64) -> Result<Option<Task>> {
    Ok(tasks_of(
        q,
        &format!("SELECT {TASK_COLS} FROM tasks WHERE id = ?1"),
        &vals![id],
    )?
    .into_iter()
    .next())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{ModuleKind, Step, Trigger};
    use crate::store::templates::tests::simple_template;
    use crate::store::testutil::temp_store;

    pub fn spec(template_id: u32, hosts: &[&str]) -> TaskSpec {
        TaskSpec {
            name: "demo".into(),
            module: ModuleKind::Custom,
            submitter: "alice".into(),
            template_id,
            args: [("K".to_string(), "v".to_string())].into(),
            hosts: [(1, hosts.iter().map(|s| s.to_string()).collect())].into(),
            exec_time: Utc::now(),
            approvers: vec!["bob".into()],
            needs_approval: true,
            details: "notes".into(),
            extra: serde_json::json!({"warnings": ["w"]}),
        }
    }

    #[test]
    fn a_task_round_trips_with_its_step_runs() {
        let (_d, store) = temp_store();
        let mut t = simple_template(1, "true");
        t.steps.push(Step {
            level: 2,
            name: "second".into(),
            ..t.steps[0].clone()
        });
        t.steps.push(Step {
            group: 1,
            level: 3,
            name: "on proxy".into(),
            command: "true".into(),
            timeout: None,
            trigger: Trigger::Manual,
            exec_user: None,
            force_host: Some("proxy".into()),
            capture: None,
            capture_secret: false,
            stdin: vec![],
        });
        let v = store.put_template(&t, "", "me").unwrap();
        let s = spec(1, &["a", "b"]);
        let task = store
            .insert_task(&s, &t, v, TaskState::PendingApproval)
            .unwrap();
        assert_eq!(task.spec, s);
        assert_eq!(task.state, TaskState::PendingApproval);
        assert_eq!(store.task(task.id).unwrap().unwrap(), task);
        let runs = store.step_runs(task.id).unwrap();
        let got: Vec<(u32, String)> = runs.iter().map(|r| (r.level, r.host.clone())).collect();
        assert_eq!(
            got,
            vec![
                (1, "a".into()),
                (1, "b".into()),
                (2, "a".into()),
                (2, "b".into()),
                (3, "proxy".into())
            ]
        );
        assert!(
            runs.iter()
                .all(|r| r.state == StepState::Pending && r.attempt == 1)
        );
    }

    #[test]
    fn transitions_are_compare_and_set() {
        let (_d, store) = temp_store();
        let t = simple_template(1, "true");
        store.put_template(&t, "", "me").unwrap();
        let task = store
            .insert_task(&spec(1, &["a"]), &t, 1, TaskState::Scheduled)
            .unwrap();
        assert!(
            !store
                .transition_task(
                    task.id,
                    &[TaskState::PendingApproval],
                    TaskState::Rejected,
                    None
                )
                .unwrap()
        );
        assert_eq!(
            store.task(task.id).unwrap().unwrap().state,
            TaskState::Scheduled
        );
        assert!(
            store
                .transition_task(task.id, &[TaskState::Scheduled], TaskState::Running, None)
                .unwrap()
        );
        let running = store.task(task.id).unwrap().unwrap();
        assert!(running.started_at.is_some() && running.finished_at.is_none());
        assert!(
            store
                .transition_task(
                    task.id,
                    &[TaskState::Running],
                    TaskState::Failed,
                    Some("boom")
                )
                .unwrap()
        );
        let done = store.task(task.id).unwrap().unwrap();
        assert!(done.finished_at.is_some());
        assert_eq!(done.reason, "boom");
    }

    #[test]
    fn decisions_move_pending_tasks_only() {
        let (_d, store) = temp_store();
        let t = simple_template(1, "true");
        store.put_template(&t, "", "me").unwrap();
        let task = store
            .insert_task(&spec(1, &["a"]), &t, 1, TaskState::PendingApproval)
            .unwrap();
        let later = Utc::now() + chrono::Duration::hours(1);
        let d = Decision {
            by: "bob".into(),
            at: Utc::now(),
            approved: true,
            reason: String::new(),
        };
        assert!(store.decide_task(task.id, &d, Some(later)).unwrap());
        let t2 = store.task(task.id).unwrap().unwrap();
        assert_eq!(t2.state, TaskState::Scheduled);
        assert_eq!(t2.spec.exec_time, later);
        assert_eq!(t2.decision, Some(d.clone()));
        assert!(
            !store.decide_task(task.id, &d, None).unwrap(),
            "second decision refused"
        );
        let filtered = store
            .tasks(&TaskFilter {
                states: vec![TaskState::Scheduled],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(filtered.len(), 1);
        assert_eq!(store.scheduled_tasks().unwrap().len(), 1);
    }

    #[test]
    fn step_states_carry_times_and_retries_count_attempts() {
        let (_d, store) = temp_store();
        let t = simple_template(1, "true");
        store.put_template(&t, "", "me").unwrap();
        let task = store
            .insert_task(&spec(1, &["a"]), &t, 1, TaskState::Scheduled)
            .unwrap();
        let run = store.step_runs(task.id).unwrap().remove(0);
        store
            .set_step_state(run.id, StepState::Running, None, "")
            .unwrap();
        store
            .set_step_state(run.id, StepState::Failed, Some(2), "exit 2")
            .unwrap();
        let r = store.step_run(run.id).unwrap().unwrap();
        assert_eq!((r.state, r.exit_code), (StepState::Failed, Some(2)));
        assert!(r.started_at.is_some() && r.finished_at.is_some());
        store.reset_step_for_retry(run.id).unwrap();
        let r = store.step_run(run.id).unwrap().unwrap();
        assert_eq!(
            (r.state, r.attempt, r.exit_code),
            (StepState::Pending, 2, None)
        );
    }

    #[test]
    fn a_submitted_task_keeps_its_template_version() {
        let (_d, store) = temp_store();
        let v1 = simple_template(4, "echo one");
        store.put_template(&v1, "", "me").unwrap();
        let task = store
            .insert_task(&spec(4, &["a"]), &v1, 1, TaskState::Scheduled)
            .unwrap();
        let v2 = simple_template(4, "echo two");
        assert_eq!(store.put_template(&v2, "", "me").unwrap(), 2);
        let stored = store.task(task.id).unwrap().unwrap();
        assert_eq!(stored.template_version, 1);
        let tpl = store
            .template(4, Some(stored.template_version))
            .unwrap()
            .unwrap();
        assert_eq!(tpl.template.steps[0].command, "echo one");
    }
}
