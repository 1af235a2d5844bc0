//! Audit log repository: who did what to which task, and when.

use chrono::Utc;
use rusqlite::params;

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
        self.conn().execute(
            "INSERT INTO audit (at, actor, action, task_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ts(Utc::now()), actor, action, task_id, detail],
        )?;
        Ok(())
    }

    /// Audit entries oldest first, of one task or of everything.
    pub fn audit_entries(&self, task_id: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, task_id, detail FROM audit
             WHERE (?1 IS NULL OR task_id = ?1) ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![task_id, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (id, at, actor, action, task_id, detail) = r?;
            out.push(AuditEntry {
                id,
                at: parse_ts("audit", &at)?,
                actor,
                action,
                task_id,
                detail,
            });
        }
        Ok(out)
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
