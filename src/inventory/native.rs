//! opsdeck's native TOML inventory: parse, validate, and point every problem at its line.

use std::path::Path;

use super::LoadError;
use crate::model::Inventory;
use crate::tomlpos;

/// Parses and validates a native TOML inventory; `file_name` only labels errors.
pub fn load_toml_str(src: &str, file_name: &str) -> Result<Inventory, LoadError> {
    let inv: Inventory =
        toml::from_str(src).map_err(|e| LoadError::from_toml(file_name, src, &e))?;
    inv.validate()
        .map_err(|e| LoadError::from_invalid(file_name, &e, |f| tomlpos::line_of(src, f)))?;
    Ok(inv)
}

/// Reads, parses and validates a native TOML inventory file.
pub fn load_toml_file(path: impl AsRef<Path>) -> Result<Inventory, LoadError> {
    let path = path.as_ref();
    let src = super::read_source(path)?;
    load_toml_str(&src, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connection, DbRole};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/inventory");

    fn load(name: &str) -> Result<Inventory, LoadError> {
        let path = format!("{FIXTURES}/{name}");
        let src = std::fs::read_to_string(&path).unwrap();
        load_toml_str(&src, name)
    }

    #[test]
    fn the_full_fixture_loads() {
        let inv = load("full.toml").unwrap();
        assert_eq!(inv.exec_users.len(), 2);
        assert_eq!(inv.hosts.len(), 5);
        let jump = inv.host("jump01").unwrap();
        assert_eq!(jump.port, 2222);
        assert_eq!(jump.exec_user.as_deref(), Some("deploy"));
        assert_eq!(inv.host("localhost").unwrap().connection, Connection::Local);
        let web = inv.tag("web").unwrap();
        assert_eq!(web.proxy.as_deref(), Some("jump01"));
        assert_eq!(web.databases.len(), 3);
        let dbs = &web.databases;
        assert_eq!(dbs[0].password_env.as_deref(), Some("ORDERS_DB_PASSWORD"));
        assert_eq!(
            dbs[1].password_file.as_deref(),
            Some(Path::new("/etc/opsdeck/orders-replica.pw"))
        );
        assert_eq!(dbs[1].role, DbRole::Read);
        assert_eq!(dbs[2].password.as_deref(), Some("not-a-secret"));
        assert_eq!(dbs[2].port, 3307);
        assert_eq!(inv.apps[0].all_build_hosts(), vec!["jump01"]);
        assert_eq!(inv.users.len(), 3);
        assert_eq!(inv.user("bob").unwrap().role, crate::model::Role::Approver);
    }

    #[test]
    fn the_design_example_loads() {
        let p = "/work/shared/examples/inventory.toml";
        if let Ok(src) = std::fs::read_to_string(p) {
            // The example's app names users that the example does not declare: that is allowed.
            load_toml_str(&src, "inventory.toml").unwrap();
        }
    }

    #[test]
    fn malformed_toml_points_at_its_line() {
        let e = load("bad_syntax.toml").unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert!(e.to_string().starts_with("bad_syntax.toml:8: "), "{e}");
    }

    #[test]
    fn an_unknown_field_points_at_its_line() {
        let e = load("bad_unknown_field.toml").unwrap_err();
        assert!(
            e.to_string().starts_with("bad_unknown_field.toml:9: "),
            "{e}"
        );
        assert!(e.to_string().contains("adress"), "{e}");
    }

    #[test]
    fn a_duplicate_host_points_at_the_second_name() {
        let e = load("bad_duplicate_host.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad_duplicate_host.toml:10: hosts[1].name: duplicate host name `web01`"
        );
    }

    #[test]
    fn an_unknown_proxy_points_at_the_proxy_line() {
        let e = load("bad_proxy.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad_proxy.toml:16: tags[0].proxy: proxy `jump99` is not a known host (declare it under [[hosts]])"
        );
    }

    #[test]
    fn shape_errors_point_at_their_line() {
        let src = "[[hosts]]\nname = \"a\"\naddress = \"x\"\n\n[[hosts]]\nname = \"b\"\naddress = \"y\"\nport = \"22\"\n";
        let e = load_toml_str(src, "t.toml").unwrap_err().to_string();
        assert!(e.starts_with("t.toml:8: "), "{e}");
        let src = "[[hosts]]\nname = \"a\"\naddress = \"x\"\n\n[[hosts]]\nname = \"b\"\n";
        let e = load_toml_str(src, "t.toml").unwrap_err().to_string();
        assert!(e.starts_with("t.toml:5: ") && e.contains("address"), "{e}");
        let src = "[[hosts]]\nname = \"a\"\naddress = \"x\"\nconnection = \"telnet\"\n";
        let e = load_toml_str(src, "t.toml").unwrap_err().to_string();
        assert!(e.starts_with("t.toml:4: "), "{e}");
    }

    #[test]
    fn several_problems_are_all_reported_in_line_order() {
        let src = "[[hosts]]\nname = \"a b\"\naddress = \"x\"\n\n[[tags]]\nname = \"t\"\nhosts = [\"zz\"]\n";
        let e = load_toml_str(src, "m.toml").unwrap_err();
        let s = e.to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2, "{s}");
        assert!(lines[0].starts_with("m.toml:2: hosts[0].name:"), "{s}");
        assert!(
            lines[1].starts_with("m.toml:7: tags[0].hosts: unknown host `zz`"),
            "{s}"
        );
    }
}
