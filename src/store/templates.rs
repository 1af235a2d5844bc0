//! Template repository: every import adds an immutable version; tasks keep the version they were submitted with.

use chrono::Utc;

use super::sql::{Row, vals};
use super::{Result, Store, from_json, parse_ts, to_json, ts};
use crate::model::Template;

pub use crate::model::StoredTemplate;

/// Serializes template imports between nodes (PostgreSQL advisory lock key).
const TEMPLATE_LOCK: i64 = 0x7465_6d70_6c74;

impl Store {
    /// Stores `template` as a new version unless it equals the latest one; returns the version in force.
    pub fn put_template(&self, template: &Template, source: &str, by: &str) -> Result<u32> {
        let body = to_json(template);
        self.tx(|q| {
            q.lock(TEMPLATE_LOCK)?;
            let latest = q.row(
                "templates",
                "SELECT version, body FROM templates WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                &vals![template.id],
            )?;
            let latest = latest
                .map(|r| Ok::<_, super::StoreError>((r.u32(0)?, r.str(1)?)))
                .transpose()?;
            if let Some((v, b)) = &latest
                && *b == body
            {
                return Ok(*v);
            }
            let version = latest.map(|(v, _)| v + 1).unwrap_or(1);
            q.exec(
                "INSERT INTO templates (id, version, name, source, body, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &vals![
                    template.id,
                    version,
                    &template.name,
                    source,
                    &body,
                    ts(Utc::now()),
                    by
                ],
            )?;
            Ok(version)
        })
    }

    /// A template version; `None` for the latest.
    pub fn template(&self, id: u32, version: Option<u32>) -> Result<Option<StoredTemplate>> {
        let row = self.with(|q| match version {
            Some(v) => q.row(
                "templates",
                "SELECT version, created_at, created_by, source, body FROM templates WHERE id = ?1 AND version = ?2",
                &vals![id, v],
            ),
            None => q.row(
                "templates",
                "SELECT version, created_at, created_by, source, body FROM templates WHERE id = ?1
                 ORDER BY version DESC LIMIT 1",
                &vals![id],
            ),
        })?;
        row.as_ref().map(to_stored).transpose()
    }

    /// The latest version of every template, by id.
    pub fn templates(&self) -> Result<Vec<StoredTemplate>> {
        let rows = self.with(|q| {
            q.rows(
                "templates",
                "SELECT version, created_at, created_by, source, body FROM templates t
                 WHERE version = (SELECT max(version) FROM templates WHERE id = t.id) ORDER BY id",
                &[],
            )
        })?;
        rows.iter().map(to_stored).collect()
    }
}

fn to_stored(r: &Row) -> Result<StoredTemplate> {
    Ok(StoredTemplate {
        version: r.u32(0)?,
        created_at: parse_ts("templates", &r.str(1)?)?,
        created_by: r.str(2)?,
        source: r.str(3)?,
        template: from_json("templates", &r.str(4)?)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::model::{Step, Template, Trigger};
    use crate::store::testutil::temp_store;

    pub fn simple_template(id: u32, command: &str) -> Template {
        Template {
            id,
            name: format!("template {id}"),
            description: String::new(),
            approvers: vec![],
            args: vec![],
            steps: vec![Step {
                group: 1,
                level: 1,
                name: "run".into(),
                command: command.into(),
                timeout: None,
                trigger: Trigger::Order,
                exec_user: None,
                force_host: None,
                capture: None,
                capture_secret: false,
                stdin: vec![],
            }],
        }
    }

    #[test]
    fn versions_are_added_only_on_change() {
        let (_d, store) = temp_store();
        let t = simple_template(5, "true");
        assert_eq!(store.put_template(&t, "src1", "me").unwrap(), 1);
        assert_eq!(store.put_template(&t, "src1", "me").unwrap(), 1);
        let t2 = simple_template(5, "false");
        assert_eq!(store.put_template(&t2, "src2", "me").unwrap(), 2);
        assert_eq!(store.template(5, None).unwrap().unwrap().template, t2);
        assert_eq!(store.template(5, Some(1)).unwrap().unwrap().template, t);
        assert_eq!(store.template(5, Some(1)).unwrap().unwrap().source, "src1");
        assert!(store.template(6, None).unwrap().is_none());
        let all = store.templates().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].version, 2);
    }
}
