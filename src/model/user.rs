//! People who use opsdeck and the role that says what each may do.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Submits tasks and acts on their own.
    #[default]
    Operator,
    /// Approves or rejects tasks that name them.
    Approver,
    /// May do everything, including approving any task.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "approver" => Ok(Role::Approver),
            "admin" => Ok(Role::Admin),
            _ => Err(format!(
                "unknown role `{s}`; accepted: viewer, operator, approver, admin"
            )),
        }
    }

    pub fn can_submit(self) -> bool {
        self >= Role::Operator
    }

    pub fn can_approve(self) -> bool {
        self >= Role::Approver
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(default)]
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_their_powers() {
        assert!(!Role::Viewer.can_submit());
        assert!(Role::Operator.can_submit() && !Role::Operator.can_approve());
        assert!(Role::Approver.can_approve() && Role::Admin.can_approve());
        assert_eq!(Role::parse("admin").unwrap(), Role::Admin);
        assert!(
            Role::parse("root")
                .unwrap_err()
                .contains("viewer, operator")
        );
    }
}
