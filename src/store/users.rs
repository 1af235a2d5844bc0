//! Users repository: names, roles and hashed API tokens.

use super::sql::{Q, vals};
use super::{Result, Store, StoreError};
use crate::model::{Role, User};

pub(super) fn load_users(q: Q<'_>) -> Result<Vec<User>> {
    let rows = q.rows(
        "users",
        "SELECT name, display_name, role FROM users ORDER BY name",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let role = Role::parse(&r.str(2)?).map_err(|message| StoreError::Corrupt {
            table: "users",
            message,
        })?;
        out.push(User {
            name: r.str(0)?,
            display_name: r.str(1)?,
            role,
        });
    }
    Ok(out)
}

impl Store {
    pub fn users(&self) -> Result<Vec<User>> {
        self.with(load_users)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self.users()?.into_iter().find(|u| u.name == name))
    }

    /// Creates or updates a user; `token_hash` replaces the stored hash when given.
    pub fn put_user(&self, user: &User, token_hash: Option<&str>) -> Result<()> {
        self.with(|q| {
            q.exec(
                "INSERT INTO users (name, display_name, role, token_hash) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                   token_hash = coalesce(excluded.token_hash, users.token_hash)",
                &vals![&user.name, &user.display_name, user.role.as_str(), token_hash],
            )
        })?;
        Ok(())
    }

    /// Deletes a user and their token; false when there was none. Tasks keep the name.
    pub fn remove_user(&self, name: &str) -> Result<bool> {
        let n = self.with(|q| q.exec("DELETE FROM users WHERE name = ?1", &vals![name]))?;
        Ok(n > 0)
    }

    /// Revokes a user's token and makes them a viewer: they stay in history and lists but can
    /// neither log in over the API nor act; false when there was no such user.
    pub fn disable_user(&self, name: &str) -> Result<bool> {
        let n = self.with(|q| {
            q.exec(
                "UPDATE users SET token_hash = NULL, role = ?2 WHERE name = ?1",
                &vals![name, Role::Viewer.as_str()],
            )
        })?;
        Ok(n > 0)
    }

    /// The user whose token hashes to `token_hash`.
    pub fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
        let row = self.with(|q| {
            q.row(
                "users",
                "SELECT name FROM users WHERE token_hash = ?1",
                &vals![token_hash],
            )
        })?;
        match row {
            Some(r) => self.user(&r.str(0)?),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    #[test]
    fn users_and_tokens_round_trip() {
        let (_d, store) = temp_store();
        let u = User {
            name: "bob".into(),
            display_name: "Bob".into(),
            role: Role::Admin,
        };
        store.put_user(&u, Some("h1")).unwrap();
        assert_eq!(store.user("bob").unwrap(), Some(u.clone()));
        assert_eq!(store.user_by_token_hash("h1").unwrap(), Some(u.clone()));
        // Updating the role keeps the token.
        let u2 = User {
            role: Role::Viewer,
            ..u
        };
        store.put_user(&u2, None).unwrap();
        assert_eq!(store.user_by_token_hash("h1").unwrap(), Some(u2));
        assert_eq!(store.user_by_token_hash("nope").unwrap(), None);
        // Disabling revokes the token and the role; removing deletes the user.
        assert!(store.disable_user("bob").unwrap());
        assert_eq!(store.user_by_token_hash("h1").unwrap(), None);
        assert_eq!(store.user("bob").unwrap().unwrap().role, Role::Viewer);
        assert!(store.remove_user("bob").unwrap());
        assert_eq!(store.user("bob").unwrap(), None);
        assert!(!store.remove_user("bob").unwrap());
        assert!(!store.disable_user("bob").unwrap());
    }
}
