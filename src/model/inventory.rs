//! The inventory: hosts, the users that log in to them, tags that group them (with a proxy and databases), apps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::window::OutsideWindow;

use super::error::Invalid;
use super::user::User;

/// How opsdeck reaches a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    #[default]
    Ssh,
    /// Runs through `sh -c` on this machine (Ansible's `connection=local`).
    Local,
}

fn default_ssh_port() -> u16 {
    22
}

fn is_default_port(p: &u16) -> bool {
    *p == 22
}

fn is_ssh(c: &Connection) -> bool {
    *c == Connection::Ssh
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub name: String,
    /// IP address or DNS name.
    pub address: String,
    #[serde(default = "default_ssh_port", skip_serializing_if = "is_default_port")]
    pub port: u16,
    /// Alias of an [`ExecUser`]; when absent the config's default exec user is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_user: Option<String>,
    #[serde(default, skip_serializing_if = "is_ssh")]
    pub connection: Connection,
}

/// 执行用户: who a command runs as on a host. The key is referenced by path, never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecUser {
    pub alias: String,
    /// Login name on the host.
    pub user: String,
    /// Private key path; absent means ssh-agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbType {
    #[default]
    Mysql,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbRole {
    #[default]
    Write,
    Read,
}

fn default_mysql_port() -> u16 {
    3306
}

/// A database reachable from a tag's proxy host. The password comes from exactly one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub name: String,
    #[serde(rename = "type", default)]
    pub db_type: DbType,
    /// Address as seen from the proxy host.
    pub host: String,
    #[serde(default = "default_mysql_port")]
    pub port: u16,
    pub user: String,
    /// Schema to use; empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Inline password (discouraged: it lives in the inventory file and the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default)]
    pub role: DbRole,
}

impl Database {
    /// Reads the password from its source. `None` when the database declares no password.
    pub fn resolve_password(&self) -> Result<Option<String>, String> {
        if let Some(var) = &self.password_env {
            return std::env::var(var).map(Some).map_err(|_| {
                format!(
                    "database `{}`: environment variable {var} (password_env) is not set",
                    self.name
                )
            });
        }
        if let Some(path) = &self.password_file {
            return std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| {
                    format!(
                        "database `{}`: cannot read password_file {}: {e}",
                        self.name,
                        path.display()
                    )
                });
        }
        Ok(self.password.clone())
    }
}

/// 标签: a named group of hosts, with an optional proxy host, databases and the users allowed to use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub name: String,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<Database>,
    /// Who may target this tag; empty means everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Maintenance windows (`"Sat 01:00-05:00 Asia/Shanghai"`, see `model::window`): a task on
    /// this tag's hosts starts only inside one. None: any time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<String>,
    /// A task due outside its windows (a late approval, the engine down): `wait` for the next
    /// window, or `fail`.
    #[serde(default, skip_serializing_if = "OutsideWindow::is_wait")]
    pub outside_window: OutsideWindow,
    /// How SQL audits reach the tag's write database: an SSH tunnel through the proxy (default) or
    /// the `mysql` client on the proxy.
    #[serde(default, skip_serializing_if = "SqlVia::is_default")]
    pub sql_via: SqlVia,
    /// Above this many estimated rows an UPDATE/DELETE/INSERT…SELECT is flagged to the approver
    /// (default [`DEFAULT_MAX_UPDATE_ROWS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_update_rows: Option<u64>,
    /// An ALTER on a table of at least this many MiB (data and indexes) runs online through
    /// `pt-online-schema-change` on the proxy host (default [`DEFAULT_OSC_MIN_TABLE_MB`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osc_min_table_mb: Option<u64>,
    /// Extra `pt-online-schema-change` options for this tag's online ALTERs (`--chunk-size`,
    /// `--max-load` …); each starts with `--`; connection and password options are opsdeck's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub osc_args: Vec<String>,
}

/// The table size (MiB) from which an ALTER runs online, when the tag does not say.
pub const DEFAULT_OSC_MIN_TABLE_MB: u64 = 16;

/// `pt-online-schema-change` options a tag may not set: opsdeck chooses them (where to connect,
/// the password, execute or not) and the password never goes on a command line.
pub const OSC_RESERVED: &[&str] = &[
    "--password",
    "--ask-pass",
    "--host",
    "--port",
    "--user",
    "--socket",
    "--defaults-file",
    "--execute",
    "--dry-run",
    "--alter",
    "--charset",
    "--database",
    "--print",
    "--help",
    "--version",
];

/// The row estimate above which a write statement is flagged, when the tag does not say.
pub const DEFAULT_MAX_UPDATE_ROWS: u64 = 5000;

/// How an SQL audit reaches the database behind a tag's proxy host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlVia {
    /// A `direct-tcpip` channel over the SSH connection to the proxy; opsdeck speaks MySQL itself.
    #[default]
    Tunnel,
    /// Template 9001: the `mysql` client on the proxy host (for proxies that forbid forwarding).
    Client,
}

impl SqlVia {
    fn is_default(&self) -> bool {
        *self == SqlVia::Tunnel
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SqlVia::Tunnel => "tunnel",
            SqlVia::Client => "client",
        }
    }
}

impl Tag {
    /// The parsed maintenance windows (the inventory was validated, so each parses).
    pub fn parsed_windows(&self) -> Vec<super::window::Window> {
        self.windows.iter().filter_map(|w| w.parse().ok()).collect()
    }

    /// The row estimate above which a write statement is flagged.
    pub fn max_update_rows(&self) -> u64 {
        self.max_update_rows.unwrap_or(DEFAULT_MAX_UPDATE_ROWS)
    }

    /// The table size (MiB) from which an ALTER runs through `pt-online-schema-change`.
    pub fn osc_min_table_mb(&self) -> u64 {
        self.osc_min_table_mb.unwrap_or(DEFAULT_OSC_MIN_TABLE_MB)
    }

    pub fn allows(&self, user: &str) -> bool {
        self.users.is_empty() || self.users.iter().any(|u| u == user)
    }

    /// The databases with the write role.
    pub fn write_databases(&self) -> impl Iterator<Item = &Database> {
        self.databases.iter().filter(|d| d.role == DbRole::Write)
    }
}

/// Why `arg` may not be one of a tag's `osc_args`: an option must start with `--`, be one
/// pt-online-schema-change knows the shape of, and not be one opsdeck sets itself.
fn check_osc_arg(arg: &str) -> Result<(), String> {
    let name = arg.split('=').next().unwrap_or(arg);
    if arg.starts_with("--") {
        if OSC_RESERVED.contains(&name) {
            return Err(format!(
                "`{name}` is set by opsdeck (connection, password, --execute); remove it"
            ));
        }
        if name.len() < 3
            || !name[2..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "`{arg}` is not an option name such as `--chunk-size`"
            ));
        }
        return Ok(());
    }
    if arg.is_empty() || arg.len() > 200 || arg.chars().any(|c| c.is_control()) {
        return Err(format!(
            "`{arg}` is not an option (`--name`) or a plain value of at most 200 characters"
        ));
    }
    Ok(())
}

/// 应用配置: an application that the app-publish module deploys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub name: String,
    #[serde(default)]
    pub repository: String,
    /// Template id used to publish it.
    pub template: u32,
    /// Deploy targets: a tag, explicit hosts, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Build host(s): template group 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_host: Option<String>,
    #[serde(default)]
    pub publish_path: String,
    /// Extra fields that become upper-case args.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Names of fields whose values are secret (masked in logs and the UI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_fields: Vec<String>,
    /// Who may publish; empty means everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_users: Vec<String>,
}

impl App {
    /// Build hosts from `build_host` and `build_hosts`, in order, without repeats.
    pub fn all_build_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for h in self.build_host.iter().chain(self.build_hosts.iter()) {
            if !out.contains(h) {
                out.push(h.clone());
            }
        }
        out
    }
}

/// The whole inventory as the native TOML file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    #[serde(default)]
    pub exec_users: Vec<ExecUser>,
    #[serde(default)]
    pub hosts: Vec<Host>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub apps: Vec<App>,
    #[serde(default)]
    pub users: Vec<User>,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@'))
}

const NAME_RULE: &str = "must be non-empty and use only letters, digits, `-`, `_`, `.`, `:` or `@`";

impl Inventory {
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    pub fn host_by_address(&self, address: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.address == address)
    }

    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    pub fn exec_user(&self, alias: &str) -> Option<&ExecUser> {
        self.exec_users.iter().find(|u| u.alias == alias)
    }

    pub fn app(&self, name: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.name == name)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Merges `other` into `self`: entries with the same name are replaced, new ones appended.
    pub fn merge(&mut self, other: Inventory) {
        // An index by name keeps a 100 000-host import linear (a scan per item squared it).
        fn upsert<T>(into: &mut Vec<T>, items: Vec<T>, key: impl Fn(&T) -> &str) {
            let mut at: std::collections::HashMap<String, usize> = into
                .iter()
                .enumerate()
                .map(|(i, x)| (key(x).to_string(), i))
                .collect();
            for item in items {
                match at.get(key(&item)) {
                    Some(&i) => into[i] = item,
                    None => {
                        at.insert(key(&item).to_string(), into.len());
                        into.push(item);
                    }
                }
            }
        }
        upsert(&mut self.exec_users, other.exec_users, |u| &u.alias);
        upsert(&mut self.hosts, other.hosts, |h| &h.name);
        upsert(&mut self.tags, other.tags, |t| &t.name);
        upsert(&mut self.apps, other.apps, |a| &a.name);
        upsert(&mut self.users, other.users, |u| &u.name);
    }

    /// Checks names, references and uniqueness; every problem is reported with its field path.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errs = Invalid::default();
        let mut seen = BTreeSet::new();
        for (i, u) in self.exec_users.iter().enumerate() {
            let f = format!("exec_users[{i}]");
            if !valid_name(&u.alias) {
                errs.push(format!("{f}.alias"), format!("`{}` {NAME_RULE}", u.alias));
            }
            if !seen.insert(u.alias.as_str()) {
                errs.push(
                    format!("{f}.alias"),
                    format!("duplicate exec user `{}`", u.alias),
                );
            }
            if u.user.trim().is_empty() {
                errs.push(format!("{f}.user"), "the login name is empty");
            }
        }
        let mut hosts = BTreeSet::new();
        for (i, h) in self.hosts.iter().enumerate() {
            let f = format!("hosts[{i}]");
            if !valid_name(&h.name) {
                errs.push(format!("{f}.name"), format!("`{}` {NAME_RULE}", h.name));
            }
            if !hosts.insert(h.name.as_str()) {
                errs.push(
                    format!("{f}.name"),
                    format!("duplicate host name `{}`", h.name),
                );
            }
            if h.address.trim().is_empty() || h.address.chars().any(char::is_whitespace) {
                errs.push(
                    format!("{f}.address"),
                    format!("`{}` is not an IP address or DNS name", h.address),
                );
            }
            if h.port == 0 {
                errs.push(format!("{f}.port"), "must be 1..65535");
            }
            if let Some(eu) = &h.exec_user
                && self.exec_user(eu).is_none()
            {
                errs.push(
                    format!("{f}.exec_user"),
                    format!("unknown exec user `{eu}` (declare it under [[exec_users]])"),
                );
            }
        }
        let mut tags = BTreeSet::new();
        for (i, t) in self.tags.iter().enumerate() {
            let f = format!("tags[{i}]");
            if !valid_name(&t.name) {
                errs.push(format!("{f}.name"), format!("`{}` {NAME_RULE}", t.name));
            }
            for (j, w) in t.windows.iter().enumerate() {
                if let Err(e) = w.parse::<super::window::Window>() {
                    errs.push(format!("{f}.windows[{j}]"), e);
                }
            }
            for (j, a) in t.osc_args.iter().enumerate() {
                if let Err(e) = check_osc_arg(a) {
                    errs.push(format!("{f}.osc_args[{j}]"), e);
                }
            }
            if !tags.insert(t.name.as_str()) {
                errs.push(format!("{f}.name"), format!("duplicate tag `{}`", t.name));
            }
            for h in &t.hosts {
                if !hosts.contains(h.as_str()) {
                    errs.push(format!("{f}.hosts"), format!("unknown host `{h}`"));
                }
            }
            if let Some(p) = &t.proxy
                && !hosts.contains(p.as_str())
            {
                errs.push(
                    format!("{f}.proxy"),
                    format!("proxy `{p}` is not a known host (declare it under [[hosts]])"),
                );
            }
            let mut dbs = BTreeSet::new();
            for (j, d) in t.databases.iter().enumerate() {
                let df = format!("{f}.databases[{j}]");
                if !dbs.insert(d.name.as_str()) {
                    errs.push(
                        format!("{df}.name"),
                        format!("duplicate database `{}`", d.name),
                    );
                }
                if d.host.trim().is_empty() {
                    errs.push(format!("{df}.host"), "is empty");
                }
                if d.user.trim().is_empty() {
                    errs.push(format!("{df}.user"), "is empty");
                }
                let sources = [
                    d.password_env.is_some(),
                    d.password_file.is_some(),
                    d.password.is_some(),
                ];
                if sources.iter().filter(|s| **s).count() > 1 {
                    errs.push(
                        format!("{df}.password"),
                        "give at most one of password_env, password_file, password",
                    );
                }
            }
        }
        // Tags are validated before apps so an app can refer to any tag.
        let mut apps = BTreeSet::new();
        for (i, a) in self.apps.iter().enumerate() {
            let f = format!("apps[{i}]");
            if !valid_name(&a.name) {
                errs.push(format!("{f}.name"), format!("`{}` {NAME_RULE}", a.name));
            }
            if !apps.insert(a.name.as_str()) {
                errs.push(format!("{f}.name"), format!("duplicate app `{}`", a.name));
            }
            if let Some(t) = &a.tag
                && !tags.contains(t.as_str())
            {
                errs.push(format!("{f}.tag"), format!("unknown tag `{t}`"));
            }
            for h in a.hosts.iter().chain(a.all_build_hosts().iter()) {
                if !hosts.contains(h.as_str()) {
                    errs.push(format!("{f}.hosts"), format!("unknown host `{h}`"));
                }
            }
            if a.tag.is_none() && a.hosts.is_empty() {
                errs.push(
                    format!("{f}.tag"),
                    "an app needs a tag or hosts to deploy to",
                );
            }
        }
        let mut users = BTreeSet::new();
        for (i, u) in self.users.iter().enumerate() {
            let f = format!("users[{i}]");
            if !valid_name(&u.name) {
                errs.push(format!("{f}.name"), format!("`{}` {NAME_RULE}", u.name));
            }
            if !users.insert(u.name.as_str()) {
                errs.push(format!("{f}.name"), format!("duplicate user `{}`", u.name));
            }
        }
        errs.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str) -> Host {
        Host {
            name: name.into(),
            address: "10.0.0.1".into(),
            port: 22,
            exec_user: None,
            connection: Connection::Ssh,
        }
    }

    fn tag(name: &str, hosts: &[&str], proxy: Option<&str>) -> Tag {
        Tag {
            name: name.into(),
            hosts: hosts.iter().map(|s| s.to_string()).collect(),
            proxy: proxy.map(str::to_string),
            databases: vec![],
            users: vec![],
            windows: vec![],
            outside_window: Default::default(),
            sql_via: Default::default(),
            max_update_rows: None,
            osc_min_table_mb: None,
            osc_args: Vec::new(),
        }
    }

    #[test]
    fn a_consistent_inventory_validates() {
        let inv = Inventory {
            hosts: vec![host("a"), host("b")],
            tags: vec![tag("web", &["a"], Some("b"))],
            ..Default::default()
        };
        inv.validate().unwrap();
    }

    #[test]
    fn duplicate_hosts_and_unknown_references_are_named() {
        let mut h = host("a");
        h.exec_user = Some("ghost".into());
        let inv = Inventory {
            hosts: vec![h, host("a")],
            tags: vec![tag("web", &["a", "zz"], Some("nope"))],
            ..Default::default()
        };
        let e = inv.validate().unwrap_err();
        assert!(e.has_field("hosts[1].name"), "{e}");
        assert!(e.has_field("hosts[0].exec_user"), "{e}");
        assert!(e.has_field("tags[0].hosts"), "{e}");
        assert!(e.has_field("tags[0].proxy"), "{e}");
        assert!(e.to_string().contains("proxy `nope` is not a known host"));
    }

    #[test]
    fn osc_args_refuse_the_password_and_connection_options() {
        let mut t = tag("web", &["a"], None);
        t.osc_args = vec![
            "--chunk-size".into(),
            "500".into(),
            "--password=x".into(),
            "--max-load=Threads_running=25".into(),
            "--h;rm".into(),
        ];
        let inv = Inventory {
            hosts: vec![host("a")],
            tags: vec![t],
            ..Default::default()
        };
        let e = inv.validate().unwrap_err();
        assert!(e.has_field("tags[0].osc_args[2]"), "{e}");
        assert!(e.has_field("tags[0].osc_args[4]"), "{e}");
        assert!(!e.has_field("tags[0].osc_args[0]"), "{e}");
        assert!(!e.has_field("tags[0].osc_args[3]"), "{e}");
        assert!(e.to_string().contains("set by opsdeck"), "{e}");
        let t: Tag = toml::from_str("name = \"db\"\nosc_min_table_mb = 0").unwrap();
        assert_eq!(t.osc_min_table_mb(), 0);
        let t: Tag = toml::from_str("name = \"db\"").unwrap();
        assert_eq!(t.osc_min_table_mb(), DEFAULT_OSC_MIN_TABLE_MB);
    }

    #[test]
    fn a_bad_maintenance_window_is_named_with_what_is_accepted() {
        let mut t = tag("web", &["a"], None);
        t.windows = vec!["Sat 01:00-05:00 UTC".into(), "Sa 1-5".into()];
        let inv = Inventory {
            hosts: vec![host("a")],
            tags: vec![t],
            ..Default::default()
        };
        let e = inv.validate().unwrap_err();
        assert!(e.has_field("tags[0].windows[1]"), "{e}");
        assert!(!e.has_field("tags[0].windows[0]"), "{e}");
        assert!(e.to_string().contains("DAYS HH:MM-HH:MM ZONE"), "{e}");
        let t: Tag = toml::from_str(
            "name = \"db\"\nwindows = [\"daily 03:00-04:00 UTC\"]\noutside_window = \"fail\"",
        )
        .unwrap();
        assert_eq!(t.outside_window, OutsideWindow::Fail);
        assert_eq!(t.parsed_windows().len(), 1);
        assert!(toml::from_str::<Tag>("name = \"db\"\noutside_window = \"later\"").is_err());
    }

    #[test]
    fn two_password_sources_are_refused() {
        let mut t = tag("db", &[], None);
        t.databases.push(Database {
            name: "main".into(),
            db_type: DbType::Mysql,
            host: "h".into(),
            port: 3306,
            user: "u".into(),
            schema: None,
            password_env: Some("X".into()),
            password_file: None,
            password: Some("p".into()),
            role: DbRole::Write,
        });
        let inv = Inventory {
            tags: vec![t],
            ..Default::default()
        };
        assert!(
            inv.validate()
                .unwrap_err()
                .has_field("tags[0].databases[0].password")
        );
    }

    #[test]
    fn merge_replaces_by_name_and_appends_new() {
        let mut a = Inventory {
            hosts: vec![host("a"), host("b")],
            ..Default::default()
        };
        let mut b2 = host("b");
        b2.address = "10.9.9.9".into();
        a.merge(Inventory {
            hosts: vec![b2, host("c")],
            ..Default::default()
        });
        assert_eq!(a.hosts.len(), 3);
        assert_eq!(a.host("b").unwrap().address, "10.9.9.9");
    }
}
