//! Inventory repository: exec users, hosts, tags and apps stored as one JSON row each, replaced atomically.

use super::sql::{Q, Val, vals};
use super::{Result, Store, from_json, to_json};
use crate::model::{Invalid, Inventory};

/// Serializes inventory imports between nodes (PostgreSQL advisory lock key).
const IMPORT_LOCK: i64 = 0x696e_7665_6e74;

impl Store {
    /// The whole stored inventory, users included, in the order it was saved.
    pub fn load_inventory(&self) -> Result<Inventory> {
        self.with(load)
    }

    /// Merges `incoming` into the stored inventory, validates the result and saves it in one
    /// transaction. On a validation error nothing is written and the errors are returned.
    pub fn import_inventory(
        &self,
        incoming: Inventory,
        replace: bool,
    ) -> Result<std::result::Result<Inventory, Invalid>> {
        self.tx(|q| {
            q.lock(IMPORT_LOCK)?;
            let mut inv = if replace {
                Inventory::default()
            } else {
                load(q)?
            };
            if replace {
                // Users keep their tokens across a replace; only their inventory entries change.
                inv.users = load(q)?.users;
            }
            inv.merge(incoming);
            if let Err(e) = inv.validate() {
                return Ok(Err(e));
            }
            q.exec("DELETE FROM inventory_items", &[])?;
            let mut items: Vec<Vec<Val>> = Vec::new();
            for (i, u) in inv.exec_users.iter().enumerate() {
                items.push(vals!["exec_user", &u.alias, i as i64, to_json(u)].to_vec());
            }
            for (i, h) in inv.hosts.iter().enumerate() {
                items.push(vals!["host", &h.name, i as i64, to_json(h)].to_vec());
            }
            for (i, t) in inv.tags.iter().enumerate() {
                items.push(vals!["tag", &t.name, i as i64, to_json(t)].to_vec());
            }
            for (i, a) in inv.apps.iter().enumerate() {
                items.push(vals!["app", &a.name, i as i64, to_json(a)].to_vec());
            }
            q.exec_many(
                "INSERT INTO inventory_items (kind, name, position, body) VALUES (?1, ?2, ?3, ?4)",
                &items,
            )?;
            let users: Vec<Vec<Val>> = inv
                .users
                .iter()
                .map(|u| vals![&u.name, &u.display_name, u.role.as_str()].to_vec())
                .collect();
            q.exec_many(
                "INSERT INTO users (name, display_name, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role",
                &users,
            )?;
            Ok(Ok(inv))
        })
    }
}

fn load(q: Q<'_>) -> Result<Inventory> {
    let mut inv = Inventory::default();
    let rows = q.rows(
        "inventory_items",
        "SELECT kind, body FROM inventory_items ORDER BY kind, position",
        &[],
    )?;
    for r in rows {
        let (kind, body) = (r.str(0)?, r.str(1)?);
        match kind.as_str() {
            "exec_user" => inv.exec_users.push(from_json("inventory_items", &body)?),
            "host" => inv.hosts.push(from_json("inventory_items", &body)?),
            "tag" => inv.tags.push(from_json("inventory_items", &body)?),
            "app" => inv.apps.push(from_json("inventory_items", &body)?),
            other => {
                return Err(super::StoreError::Corrupt {
                    table: "inventory_items",
                    message: format!("unknown kind `{other}`"),
                });
            }
        }
    }
    inv.users = super::users::load_users(q)?;
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    use crate::store::testutil::temp_store;

    fn host(name: &str) -> Host {
        Host {
            name: name.into(),
            address: format!("{name}.example.com"),
            port: 2222,
            exec_user: Some("deploy".into()),
            connection: Connection::Ssh,
        }
    }

    fn sample() -> Inventory {
        Inventory {
            exec_users: vec![ExecUser {
                alias: "deploy".into(),
                user: "deploy".into(),
                key: Some("/keys/id".into()),
            }],
            hosts: vec![host("web01"), host("web02"), host("jump")],
            tags: vec![Tag {
                name: "web".into(),
                hosts: vec!["web01".into(), "web02".into()],
                proxy: Some("jump".into()),
                databases: vec![],
                users: vec!["alice".into()],
                windows: vec!["Sat 01:00-05:00 Asia/Shanghai".into()],
                outside_window: crate::model::inventory::OutsideWindow::Fail,
                sql_via: Default::default(),
                max_update_rows: None,
                osc_min_table_mb: None,
                osc_args: Vec::new(),
            }],
            apps: vec![],
            users: vec![User {
                name: "alice".into(),
                display_name: "Alice".into(),
                role: Role::Approver,
            }],
        }
    }

    #[test]
    fn inventory_round_trips() {
        let (_d, store) = temp_store();
        let saved = store.import_inventory(sample(), false).unwrap().unwrap();
        assert_eq!(store.load_inventory().unwrap(), saved);
        assert_eq!(saved, sample());
    }

    #[test]
    fn an_invalid_import_changes_nothing() {
        let (_d, store) = temp_store();
        store.import_inventory(sample(), false).unwrap().unwrap();
        let mut bad = Inventory::default();
        bad.hosts.push(host("web03"));
        bad.tags.push(Tag {
            name: "db".into(),
            hosts: vec!["web03".into()],
            proxy: Some("nowhere".into()),
            databases: vec![],
            users: vec![],
            windows: Vec::new(),
            outside_window: Default::default(),
            sql_via: Default::default(),
            max_update_rows: None,
            osc_min_table_mb: None,
            osc_args: Vec::new(),
        });
        let errs = store.import_inventory(bad, false).unwrap().unwrap_err();
        assert!(errs.to_string().contains("nowhere"));
        assert_eq!(store.load_inventory().unwrap(), sample());
    }

    #[test]
    fn replace_drops_what_the_new_file_lacks() {
        let (_d, store) = temp_store();
        store.import_inventory(sample(), false).unwrap().unwrap();
        let only = Inventory {
            hosts: vec![Host {
                exec_user: None,
                ..host("solo")
            }],
            ..Default::default()
        };
        let inv = store.import_inventory(only, true).unwrap().unwrap();
        assert_eq!(inv.hosts.len(), 1);
        assert!(inv.tags.is_empty());
        assert_eq!(inv.users.len(), 1, "users survive a replace");
    }
}
