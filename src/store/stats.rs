//! Counts for monitoring: tasks per state (read by `GET /metrics` at each scrape).

use super::sql::vals;
use super::{Result, Store};
use crate::model::TaskState;

impl Store {
    /// How many tasks are in each state (states with none are left out).
    pub fn task_counts(&self) -> Result<Vec<(TaskState, u64)>> {
        let rows = self.with(|q| {
            q.rows(
                "tasks",
                "SELECT state, COUNT(*) FROM tasks GROUP BY state",
                &vals![],
            )
        })?;
        let mut out = Vec::new();
        for r in rows {
            let state = r.str(0)?;
            if let Some(s) = TaskState::ALL.into_iter().find(|s| s.as_str() == state) {
                out.push((s, u64::try_from(r.i64(1)?).unwrap_or(0)));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::TaskState;
    use crate::store::tasks::tests::spec;
    use crate::store::templates::tests::simple_template;
    use crate::store::testutil::temp_store;

    #[test]
    fn counts_tasks_per_state() {
        let (_dir, store) = temp_store();
        assert!(store.task_counts().unwrap().is_empty());
        let t = simple_template(1, "true");
        let v = store.put_template(&t, "", "me").unwrap();
        let s = spec(1, &["a"]);
        let a = store.insert_task(&s, &t, v, TaskState::Scheduled).unwrap();
        store.insert_task(&s, &t, v, TaskState::Scheduled).unwrap();
        store
            .transition_task(a.id, &[TaskState::Scheduled], TaskState::Cancelled, None)
            .unwrap();
        let mut got = store.task_counts().unwrap();
        got.sort_by_key(|(s, _)| s.as_str());
        assert_eq!(
            got,
            vec![(TaskState::Cancelled, 1), (TaskState::Scheduled, 1)]
        );
    }
}
