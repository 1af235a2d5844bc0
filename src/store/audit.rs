//! Audit log repository: who did what to which task, and when.

use chrono::Utc;

use super::sql::vals;
use super::{Result, Store, parse_ts, ts};
use crate::model::AuditEntry;

impl Store {
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        task_id: Option<i64>,
        detail: &str,
    ) -> Result<()> {
        self.with(|q| {
            q.exec(
                "INSERT INTO audit (at, actor, action, task_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                &vals![ts(Utc::now()), actor, action, task_id, detail],
            )
        })?;
        Ok(())
    }

    /// Audit entries oldest first, of one task or of everything.
    pub fn audit_entries(&self, task_id: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>> {
        let rows = self.with(|q| match task_id {
            Some(t) => q.rows(
                "audit",
                "SELECT id, at, actor, action, task_id, detail FROM audit
                 WHERE task_id = ?1 ORDER BY id LIMIT ?2",
                &vals![t, limit as i64],
            ),
            None => q.rows(
                "audit",
                "SELECT id, at, actor, action, task_id, detail FROM audit ORDER BY id LIMIT ?1",
                &vals![limit as i64],
            ),
        })?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.i64(0)?,
                    at: parse_ts("audit", &r.str(1)?)?,
                    actor: r.str(2)?,
                    action: r.str(3)?,
                    task_id: r.opt_i64(4)?,
                    detail: r.str(5)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testutil::temp_store;

    #[test]
    fn audit_entries_round_trip() {
        let (_d, store) = temp_store();
        store
            .audit("alice", "submit", Some(1), "template 9001")
            .unwrap();
        store.audit("bob", "approve", Some(1), "").unwrap();
        store
            .audit("bob", "import-inventory", None, "3 hosts")
            .unwrap();
        let one = store.audit_entries(Some(1), 10).unwrap();
        assert_eq!(one.len(), 2);
        assert_eq!(
            (one[1].actor.as_str(), one[1].action.as_str()),
            ("bob", "approve")
        );
        assert_eq!(store.audit_entries(None, 10).unwrap().len(), 3);
    }
}
