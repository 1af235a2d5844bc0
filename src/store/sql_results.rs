//! Per-statement results of native SQL audits, kept as JSON documents by task and statement number.

use super::sql::vals;
use super::{Result, Store, from_json, to_json};

impl Store {
    /// Replaces the statement results of a task (statement numbers are the 1-based positions).
    pub fn put_sql_results(&self, task_id: i64, results: &[serde_json::Value]) -> Result<()> {
        self.tx(|q| {
            q.exec(
                "DELETE FROM sql_results WHERE task_id = ?1",
                &vals![task_id],
            )?;
            for (i, r) in results.iter().enumerate() {
                q.exec(
                    "INSERT INTO sql_results (task_id, statement, body) VALUES (?1, ?2, ?3)",
                    &vals![task_id, i as i64 + 1, to_json(r)],
                )?;
            }
            Ok(())
        })
    }

    /// The statement results of a task in statement order; empty when it has none.
    pub fn sql_results(&self, task_id: i64) -> Result<Vec<serde_json::Value>> {
        let rows = self.with(|q| {
            q.rows(
                "sql_results",
                "SELECT body FROM sql_results WHERE task_id = ?1 ORDER BY statement",
                &vals![task_id],
            )
        })?;
        rows.iter()
            .map(|r| from_json("sql_results", &r.str(0)?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testutil::temp_store;

    #[test]
    fn results_are_replaced_per_task_and_read_in_order() {
        let (_d, store) = temp_store();
        assert!(store.sql_results(1).unwrap().is_empty());
        // The foreign key needs a task; results of an unknown task are refused.
        assert!(
            store
                .put_sql_results(99, &[serde_json::json!({"number": 1})])
                .is_err()
        );
    }
}
