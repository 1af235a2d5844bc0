//! Files shipped inside the binary: built-in task templates, the first-run demo inventory and the commented default config.

use crate::model::Template;

/// Built-in templates as `(file name, TOML text)`, in id order.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "9001-sql-audit.toml",
        include_str!("../assets/templates/9001-sql-audit.toml"),
    ),
    (
        "9100-app-publish.toml",
        include_str!("../assets/templates/9100-app-publish.toml"),
    ),
    (
        "9201-k8s-node-add.toml",
        include_str!("../assets/templates/9201-k8s-node-add.toml"),
    ),
    (
        "9300-resource-request.toml",
        include_str!("../assets/templates/9300-resource-request.toml"),
    ),
    (
        "9501-disk-usage.toml",
        include_str!("../assets/templates/9501-disk-usage.toml"),
    ),
    (
        "9502-restart-service.toml",
        include_str!("../assets/templates/9502-restart-service.toml"),
    ),
    (
        "9503-tail-log.toml",
        include_str!("../assets/templates/9503-tail-log.toml"),
    ),
    (
        "9504-run-command.toml",
        include_str!("../assets/templates/9504-run-command.toml"),
    ),
    (
        "9505-uptime.toml",
        include_str!("../assets/templates/9505-uptime.toml"),
    ),
    (
        "9506-sleep.toml",
        include_str!("../assets/templates/9506-sleep.toml"),
    ),
    (
        "9901-sql-optimize-online.toml",
        include_str!("../assets/templates/9901-sql-optimize-online.toml"),
    ),
];

/// The inventory seeded on first run: `localhost` (local connection) in tag `demo`, which is also its proxy.
pub const DEMO_INVENTORY: &str = include_str!("../assets/demo-inventory.toml");

/// The commented default config file, written on first run.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.default.toml");

/// Built-in template ids the modules rely on.
pub const SQL_AUDIT_TEMPLATE: u32 = 9001;
pub const APP_PUBLISH_TEMPLATE: u32 = 9100;
pub const NODE_ADD_TEMPLATE: u32 = 9201;
pub const RESOURCE_REQUEST_TEMPLATE: u32 = 9300;
pub const SQL_OPTIMIZE_ONLINE_TEMPLATE: u32 = 9901;

/// Parses and validates one built-in; the error names the file.
fn parse_builtin(file: &str, text: &str) -> Result<Template, String> {
    let t: Template = toml::from_str(text)
        .map_err(|e| format!("built-in template {file} does not parse: {e}"))?;
    t.validate()
        .map_err(|e| format!("built-in template {file} is invalid:\n{e}"))?;
    Ok(t)
}

/// Every built-in template, parsed and validated.
pub fn builtin_templates() -> Result<Vec<Template>, String> {
    BUILTIN_TEMPLATES
        .iter()
        .map(|(file, text)| parse_builtin(file, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{Connection, Inventory, Trigger, template::placeholders};

    fn builtin(id: u32) -> Template {
        builtin_templates()
            .unwrap()
            .into_iter()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("no built-in template {id}"))
    }

    #[test]
    fn every_builtin_parses_and_validates() {
        let all = builtin_templates().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len(), BUILTIN_TEMPLATES.len());
        for t in &all {
            assert!(
                !t.description.trim().is_empty(),
                "{} has no description",
                t.id
            );
        }
    }

    #[test]
    fn file_names_start_with_the_template_id() {
        for (file, text) in BUILTIN_TEMPLATES {
            let t = parse_builtin(file, text).unwrap();
            assert!(
                file.starts_with(&format!("{}-", t.id)),
                "{file} holds template {}",
                t.id
            );
        }
    }

    #[test]
    fn ids_are_unique_and_the_expected_ones_are_present() {
        let all = builtin_templates().unwrap();
        let ids: BTreeSet<u32> = all.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), all.len(), "duplicate template ids");
        for id in [
            9001, 9901, 9201, 9100, 9300, 9501, 9502, 9503, 9504, 9505, 9506,
        ] {
            assert!(ids.contains(&id), "built-in {id} is missing");
        }
    }

    #[test]
    fn a_parse_error_names_the_file() {
        let e = parse_builtin("9999-broken.toml", "id = 'x'").unwrap_err();
        assert!(e.contains("9999-broken.toml"), "{e}");
        let e =
            parse_builtin("9998-empty.toml", "id = 9998\nname = \"x\"\nsteps = []").unwrap_err();
        assert!(e.contains("9998-empty.toml") && e.contains("steps"), "{e}");
    }

    #[test]
    fn demo_inventory_parses_and_validates() {
        let inv: Inventory = toml::from_str(DEMO_INVENTORY).unwrap();
        inv.validate().unwrap();
        let host = inv.host("localhost").unwrap();
        assert_eq!(host.connection, Connection::Local);
        assert_eq!(host.address, "127.0.0.1");
        assert!(host.exec_user.is_none());
        let demo = inv.tag("demo").unwrap();
        assert_eq!(demo.hosts, ["localhost"]);
        assert_eq!(demo.proxy.as_deref(), Some("localhost"));
        assert!(inv.users.is_empty());
    }

    #[test]
    fn default_config_is_valid_toml() {
        let v: toml::Table = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(v["concurrency"].as_integer(), Some(100));
        assert_eq!(v["host_key_policy"].as_str(), Some("strict"));
    }

    #[test]
    fn node_add_captures_the_join_command_in_group_1_and_runs_it_in_group_2() {
        let t = builtin(NODE_ADD_TEMPLATE);
        assert_eq!(t.group_count(), 2);
        let g1 = t.group_steps(1);
        assert_eq!(g1.len(), 1);
        assert_eq!(g1[0].capture.as_deref(), Some("JOIN_CMD"));
        assert!(g1[0].command.contains("kubeadm token create"));
        assert!(g1[0].command.contains("--print-join-command"));
        let g2 = t.group_steps(2);
        let join: Vec<_> = g2
            .iter()
            .filter(|s| placeholders(&s.command).iter().any(|p| p == "JOIN_CMD"))
            .collect();
        assert_eq!(join.len(), 1, "exactly one group-2 step runs JOIN_CMD");
        assert!(join[0].command.contains("sh -c ${JOIN_CMD}"));
        assert!(g2.iter().all(|s| s.trigger == Trigger::Timed));
        assert_eq!(
            t.arg("K8S_VERSION").unwrap().default.as_deref(),
            Some("1.31")
        );
    }

    #[test]
    fn sql_audit_sends_password_and_sql_on_stdin_only() {
        let t = builtin(SQL_AUDIT_TEMPLATE);
        assert_eq!(t.steps.len(), 1);
        let s = &t.steps[0];
        assert_eq!(s.group, 1);
        assert_eq!(s.trigger, Trigger::Timed);
        assert_eq!(s.stdin, ["DB_PASSWORD", "SQL"]);
        assert!(!s.command.contains("${DB_PASSWORD}"));
        assert!(!s.command.contains("${SQL}"));
        assert!(
            s.command
                .starts_with("IFS= read -r MYSQL_PWD || exit 2\nexport MYSQL_PWD\n")
        );
        assert!(s.command.contains("\nmysql --batch"));
        // The failing statement is named from the client's `at line N` and the module's spans.
        assert!(s.command.contains("spans=${STATEMENT_LINES}"));
        assert_eq!(
            t.arg("STATEMENT_LINES").unwrap().default.as_deref(),
            Some("")
        );
        for flag in [
            "--batch",
            "--verbose --verbose",
            "--show-warnings",
            "--binary-mode",
            "--local-infile=0",
        ] {
            assert!(s.command.contains(flag), "missing {flag}");
        }
        assert!(
            !s.command.contains("--force"),
            "must stop at the first error"
        );
        assert!(t.arg("DB_PASSWORD").unwrap().secret);
        assert!(t.arg("SQL").unwrap().required);
        assert_eq!(t.arg("DB_PORT").unwrap().default.as_deref(), Some("3306"));
    }

    #[test]
    fn sql_optimize_online_keeps_secrets_off_the_command_line_and_marks_sections() {
        let t = builtin(SQL_OPTIMIZE_ONLINE_TEMPLATE);
        let s = &t.steps[0];
        assert_eq!(s.stdin, ["DB_PASSWORD", "SQL"]);
        assert_eq!(s.trigger, Trigger::Order);
        assert!(!s.command.contains("${DB_PASSWORD}"));
        for marker in [
            "-- opsdeck:explain",
            "-- opsdeck:indexes",
            "-- opsdeck:cardinality",
            "-- opsdeck:end",
        ] {
            assert!(s.command.contains(marker), "missing {marker}");
        }
        assert!(s.command.contains("EXPLAIN FORMAT=JSON"));
        // No client commands (`\! cmd`, `source`, `\g`) from the SQL.
        assert!(s.command.contains("--binary-mode"));
        assert!(s.command.contains("information_schema.STATISTICS"));
    }

    #[test]
    fn secret_args_never_appear_in_commands() {
        for t in builtin_templates().unwrap() {
            for secret in t.secret_args() {
                for s in &t.steps {
                    assert!(
                        !placeholders(&s.command).iter().any(|p| p == secret),
                        "template {} step `{}` puts secret {secret} on the command line",
                        t.id,
                        s.name
                    );
                }
            }
        }
    }

    #[test]
    fn app_publish_declares_the_module_args() {
        let t = builtin(APP_PUBLISH_TEMPLATE);
        for a in ["PUBLISH_NAME", "PUBLISH_TAG"] {
            assert!(t.arg(a).unwrap().required, "{a}");
        }
        for a in ["SERVER_DICT", "PUBLISH_PATH", "REPOSITORY"] {
            assert!(t.arg(a).is_some(), "{a}");
        }
        let token = t.arg("REGISTRY_TOKEN").unwrap();
        assert!(token.secret && token.default.as_deref() == Some(""));
        assert!(t.steps.iter().any(|s| s.trigger == Trigger::Manual));
        assert!(
            builtin(RESOURCE_REQUEST_TEMPLATE)
                .arg("REASON")
                .unwrap()
                .required
        );
    }
}
