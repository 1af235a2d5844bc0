//! Per-statement results of native SQL audits, kept as JSON documents by task and statement number.

use rusqlite::params;

use super::{Result, Store, from_json, to_json};

impl Store {
    /// Replaces the statement results of a task (statement numbers are the 1-based positions).
    pub fn put_sql_results(&self, task_id: i64, results: &[serde_json::Value]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM sql_results WHERE task_id = ?1",
            params![task_id],
        )?;
        for (i, r) in results.iter().enumerate() {
            tx.execute(
                "INSERT INTO sql_results (task_id, statement, body) VALUES (?1, ?2, ?3)",
                params![task_id, i as i64 + 1, to_json(r)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The statement results of a task in statement order; empty when it has none.
    pub fn sql_results(&self, task_id: i64) -> Result<Vec<serde_json::Value>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT body FROM sql_results WHERE task_id = ?1 ORDER BY statement")?;
        let rows = stmt.query_map(params![task_id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(from_json("sql_results", &r?)?);
        }
        Ok(out)
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
