//! User configuration (TOML at the XDG config path) and where opsdeck keeps its files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::parse_duration;

/// Whether a host key missing from known_hosts may be learned on first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Unknown and mismatching keys both fail the host.
    #[default]
    Strict,
    /// Unknown keys are learned into known_hosts; a mismatch still fails.
    AcceptNew,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Who you are; defaults to `$USER`.
    pub user: Option<String>,
    /// UI language: `en` or `zh`.
    pub lang: Option<String>,
    /// Most hosts one task runs on at once (and the most hosts one host group may hold).
    pub concurrency: usize,
    /// Most hosts all tasks together run on at once.
    pub global_concurrency: usize,
    pub allow_self_approval: bool,
    /// Whether CODO JSON may name addresses the inventory does not know.
    pub allow_adhoc_hosts: bool,
    /// Exec user alias for hosts that name none.
    pub default_exec_user: Option<String>,
    pub host_key_policy: HostKeyPolicy,
    /// Defaults to `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    pub connect_timeout: String,
    pub step_timeout: String,
    /// A scheduled task whose time passed longer ago than this while opsdeck was down is marked missed.
    pub missed_grace: String,
    /// Team mode: the server URL the console and CLI talk to.
    pub server: Option<String>,
    /// Team mode: the API token (prefer the OPSDECK_TOKEN environment variable).
    pub token: Option<String>,
    /// What the resource request module offers; giving any replaces the built-in list.
    pub resource_types: Vec<ResourceType>,
    /// Team mode: webhooks called when approval is requested, a task fails or a task finishes.
    pub webhooks: Vec<Webhook>,
    /// Where `opsdeck inventory import --from-url` reads hosts and how their fields map.
    pub cmdb: CmdbConfig,
    /// A PostgreSQL database (`postgres://user:password@host:port/db`) instead of the SQLite file in
    /// the data dir; `--database-url` / OPSDECK_DATABASE_URL win over it.
    pub database_url: Option<String>,
    /// PostgreSQL: seconds a node's lease on a task holds without renewal (3..=3600).
    #[serde(deserialize_with = "lease_secs_field")]
    pub lease_secs: u64,
    /// SQL audits: most rows whose before-images one statement keeps (above: no backup, said).
    pub sql_backup_max_rows: usize,
}

/// The message shape a webhook receiver expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{event, text, task: {…}}`
    #[default]
    Generic,
    /// DingTalk robot: `{msgtype: "markdown", markdown: {title, text}}`
    Dingtalk,
    /// WeCom (企业微信) robot: `{msgtype: "markdown", markdown: {content}}`
    Wecom,
    /// Slack incoming webhook: `{text}`
    Slack,
}

/// What a webhook is called for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A task was submitted and waits for approval.
    ApprovalRequested,
    /// A task ended failed, interrupted or missed.
    TaskFailed,
    /// A task ended succeeded.
    TaskFinished,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::ApprovalRequested,
        WebhookEvent::TaskFailed,
        WebhookEvent::TaskFinished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ApprovalRequested => "approval_requested",
            WebhookEvent::TaskFailed => "task_failed",
            WebhookEvent::TaskFinished => "task_finished",
        }
    }
}

/// One webhook: where, in which format, for which events, and how hard to retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// http(s) URL; its query (robot access tokens) is never logged.
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// Default: every event.
    #[serde(default = "all_webhook_events")]
    pub events: Vec<WebhookEvent>,
    /// Further attempts after a failed one.
    #[serde(default = "default_webhook_retries")]
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    #[serde(default = "default_webhook_backoff")]
    pub backoff: String,
    /// Give up one attempt after this long.
    #[serde(default = "default_webhook_timeout")]
    pub timeout: String,
}

fn all_webhook_events() -> Vec<WebhookEvent> {
    WebhookEvent::ALL.to_vec()
}
fn default_webhook_retries() -> u32 {
    3
}
fn default_webhook_backoff() -> String {
    "1s".into()
}
fn default_webhook_timeout() -> String {
    "10s".into()
}

impl Webhook {
    pub fn backoff(&self) -> Duration {
        parse_duration(&self.backoff).unwrap_or(Duration::from_secs(1))
    }
    pub fn timeout(&self) -> Duration {
        parse_duration(&self.timeout).unwrap_or(Duration::from_secs(10))
    }
}

/// A CMDB reachable over HTTP that answers JSON, and how its records become inventory hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CmdbConfig {
    /// Default URL for `--from-url`.
    pub url: Option<String>,
    /// JSON pointer to the array of records in the answer (`/data/list`); empty = the answer itself.
    pub records: String,
    /// Environment variable holding a bearer token sent to the CMDB.
    pub token_env: Option<String>,
    /// Record field (JSON pointer or plain key) for each host field.
    pub fields: CmdbFields,
    pub timeout: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CmdbFields {
    pub name: String,
    pub address: String,
    /// Optional: SSH port.
    pub port: Option<String>,
    /// Optional: exec user alias.
    pub exec_user: Option<String>,
    /// Optional: tag name(s) the host joins (a string, comma-separated string, or array).
    pub tags: Option<String>,
}

impl Default for CmdbFields {
    fn default() -> Self {
        CmdbFields {
            name: "hostname".into(),
            address: "ip".into(),
            port: None,
            exec_user: None,
            tags: None,
        }
    }
}

impl Default for CmdbConfig {
    fn default() -> Self {
        CmdbConfig {
            url: None,
            records: String::new(),
            token_env: None,
            fields: CmdbFields::default(),
            timeout: "30s".into(),
        }
    }
}

/// One kind of resource a user may request, with the fields its form asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    pub name: String,
    /// Template that provisions it (default: built-in 9300).
    #[serde(default = "default_resource_template")]
    pub template: u32,
    /// Inventory host the provisioning template runs on.
    #[serde(default = "default_resource_host")]
    pub host: String,
    #[serde(default)]
    pub fields: Vec<ResourceField>,
}

/// A field of a resource type; it becomes the upper-case arg of its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceField {
    pub name: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

fn default_resource_template() -> u32 {
    crate::assets::RESOURCE_REQUEST_TEMPLATE
}

fn default_resource_host() -> String {
    "localhost".into()
}

/// The built-in resource types: server, database, redis, load balancer.
pub fn default_resource_types() -> Vec<ResourceType> {
    let f = |name: &str, required: bool, default: Option<&str>| ResourceField {
        name: name.into(),
        required,
        default: default.map(str::to_string),
    };
    let t = |name: &str, fields: Vec<ResourceField>| ResourceType {
        name: name.into(),
        template: default_resource_template(),
        host: default_resource_host(),
        fields,
    };
    vec![
        t(
            "server",
            vec![
                f("cpu", true, None),
                f("memory_gb", true, None),
                f("disk_gb", false, Some("100")),
                f("os", false, Some("linux")),
            ],
        ),
        t(
            "database",
            vec![
                f("engine", false, Some("mysql")),
                f("version", false, Some("8.0")),
                f("storage_gb", true, None),
            ],
        ),
        t(
            "redis",
            vec![
                f("memory_gb", true, None),
                f("mode", false, Some("standalone")),
            ],
        ),
        t(
            "load balancer",
            vec![f("listeners", true, None), f("backend_tag", false, None)],
        ),
    ]
}

impl Config {
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|t| t.name == name)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            user: None,
            lang: None,
            concurrency: 100,
            global_concurrency: 200,
            allow_self_approval: false,
            allow_adhoc_hosts: false,
            default_exec_user: None,
            host_key_policy: HostKeyPolicy::Strict,
            known_hosts: None,
            connect_timeout: "10s".into(),
            step_timeout: "1h".into(),
            missed_grace: "10m".into(),
            sql_backup_max_rows: crate::model::sql_backup::BACKUP_MAX_ROWS,
            server: None,
            token: None,
            resource_types: default_resource_types(),
            webhooks: Vec::new(),
            cmdb: CmdbConfig::default(),
            database_url: None,
            lease_secs: DEFAULT_LEASE_SECS,
        }
    }
}

/// `lease_secs` as a whole number of seconds; anything else (text, a negative or fractional
/// number) is refused with a message naming the key (the range is checked with the rest).
fn lease_secs_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v {
        toml::Value::Integer(n) if n >= 0 => Ok(n as u64),
        other => Err(serde::de::Error::custom(format!(
            "lease_secs must be a whole number of seconds {}..={}, not {other}",
            LEASE_SECS_RANGE.start(),
            LEASE_SECS_RANGE.end()
        ))),
    }
}

/// The default of `lease_secs`.
pub const DEFAULT_LEASE_SECS: u64 = 30;
/// The accepted `lease_secs` (and `--lease-secs`): the heartbeat renews at a third of it, at least
/// once a second.
pub const LEASE_SECS_RANGE: std::ops::RangeInclusive<u64> = 3..=3600;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {field}: {message}")]
    Invalid {
        file: String,
        field: &'static str,
        message: String,
    },
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot find a home directory for the default config and data paths; pass --config and --data-dir (or set OPSDECK_CONFIG and OPSDECK_DATA_DIR)"
    )]
    NoHome,
}

impl Config {
    /// Parses and checks a config file's text; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(src).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(src, s.start)).unwrap_or((1, 1));
            ConfigError::Parse {
                file: file.to_string(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        cfg.check(file)?;
        Ok(cfg)
    }

    fn check(&self, file: &str) -> Result<(), ConfigError> {
        let invalid = |field, message: String| ConfigError::Invalid {
            file: file.to_string(),
            field,
            message,
        };
        if self.concurrency == 0 || self.concurrency > 10_000 {
            return Err(invalid("concurrency", "must be 1..10000".into()));
        }
        if self.sql_backup_max_rows == 0 || self.sql_backup_max_rows > 1_000_000 {
            return Err(invalid(
                "sql_backup_max_rows",
                format!("{} must be 1..=1000000", self.sql_backup_max_rows),
            ));
        }
        if !LEASE_SECS_RANGE.contains(&self.lease_secs) {
            return Err(invalid(
                "lease_secs",
                format!(
                    "{} must be {}..={} (seconds a node's task lease holds without renewal)",
                    self.lease_secs,
                    LEASE_SECS_RANGE.start(),
                    LEASE_SECS_RANGE.end()
                ),
            ));
        }
        if self.global_concurrency < self.concurrency {
            return Err(invalid(
                "global_concurrency",
                format!("must be at least concurrency ({})", self.concurrency),
            ));
        }
        if let Some(l) = &self.lang
            && !matches!(l.as_str(), "en" | "zh")
        {
            return Err(invalid(
                "lang",
                format!("`{l}` is not supported; accepted: en, zh"),
            ));
        }
        for (field, v) in [
            ("connect_timeout", &self.connect_timeout),
            ("step_timeout", &self.step_timeout),
            ("missed_grace", &self.missed_grace),
        ] {
            parse_duration(v).map_err(|m| invalid(field, m))?;
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            let at = |m: String| invalid("webhooks", format!("[{i}]: {m}"));
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                return Err(at("url must start with http:// or https://".into()));
            }
            parse_duration(&w.backoff).map_err(|m| at(format!("backoff: {m}")))?;
            parse_duration(&w.timeout).map_err(|m| at(format!("timeout: {m}")))?;
            if w.retries > 20 {
                return Err(at("retries must be at most 20".into()));
            }
        }
        if let Some(u) = &self.database_url
            && !(u.starts_with("postgres://") || u.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                format!(
                    "`{}` is not a postgres:// URL (remove the key for the SQLite file in the data dir)",
                    crate::store::redact_url(u)
                ),
            ));
        }
        parse_duration(&self.cmdb.timeout).map_err(|m| invalid("cmdb", format!("timeout: {m}")))?;
        if !self.cmdb.records.is_empty() && !self.cmdb.records.starts_with('/') {
            return Err(invalid(
                "cmdb",
                "records must be a JSON pointer such as `/data/list`, or empty".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.resource_types.iter().enumerate() {
            let at = |m: String| invalid("resource_types", format!("[{i}] `{}`: {m}", t.name));
            if t.name.trim().is_empty() {
                return Err(at("the name is empty".into()));
            }
            if !names.insert(t.name.as_str()) {
                return Err(at("the name is given twice".into()));
            }
            let mut fields = std::collections::BTreeSet::new();
            for fl in &t.fields {
                let ok = fl
                    .name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                    && fl
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok {
                    return Err(at(format!(
                        "field `{}` must use letters, digits and `_` (it becomes an upper-case arg)",
                        fl.name
                    )));
                }
                if !fields.insert(fl.name.to_ascii_uppercase()) {
                    return Err(at(format!("field `{}` is given twice", fl.name)));
                }
            }
        }
        Ok(())
    }

    /// Reads the config at `path`, or creates it from the commented default when it does not exist.
    /// Returns the config and whether it was just created (the first run).
    pub fn load_or_create(path: &Path) -> Result<(Config, bool), ConfigError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(src) => Ok((Config::parse(&src, &file)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io {
                        file: dir.display().to_string(),
                        source,
                    })?;
                }
                std::fs::write(path, crate::assets::DEFAULT_CONFIG).map_err(|source| {
                    ConfigError::Io {
                        file: file.clone(),
                        source,
                    }
                })?;
                Ok((Config::parse(crate::assets::DEFAULT_CONFIG, &file)?, true))
            }
            Err(source) => Err(ConfigError::Io { file, source }),
        }
    }

    /// The current user: the config's `user`, else `$USER`, else the login name of this process.
    pub fn current_user(&self) -> String {
        if let Some(u) = self.user.as_ref().filter(|u| !u.trim().is_empty()) {
            return u.clone();
        }
        if let Ok(u) = std::env::var("USER")
            && !u.trim().is_empty()
        {
            return u;
        }
        login_name().unwrap_or_else(|| "unknown".into())
    }

    pub fn connect_timeout(&self) -> Duration {
        parse_duration(&self.connect_timeout).unwrap_or(Duration::from_secs(10))
    }

    pub fn step_timeout(&self) -> Duration {
        parse_duration(&self.step_timeout).unwrap_or(Duration::from_secs(3600))
    }

    /// How long a node's lease on a task holds without renewal (PostgreSQL).
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn missed_grace(&self) -> Duration {
        parse_duration(&self.missed_grace).unwrap_or(Duration::from_secs(600))
    }

    pub fn known_hosts_path(&self) -> PathBuf {
        self.known_hosts
            .as_deref()
            .map(expand_home)
            .unwrap_or_else(|| {
                directories::BaseDirs::new()
                    .map(|b| b.home_dir().join(".ssh/known_hosts"))
                    .unwrap_or_else(|| PathBuf::from("/root/.ssh/known_hosts"))
            })
    }
}

/// `~/x` → `$HOME/x`; other paths unchanged.
pub fn expand_home(p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = directories::BaseDirs::new()
    {
        return home.home_dir().join(rest);
    }
    p.to_path_buf()
}

fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_str()
            .ok()
            .map(str::to_string)
    }
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// Where the config file and the data directory are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    /// `--database-url` / OPSDECK_DATABASE_URL: PostgreSQL instead of the data dir's SQLite file.
    pub database_url: Option<String>,
}

impl Paths {
    /// Flags (or their OPSDECK_CONFIG / OPSDECK_DATA_DIR env vars, resolved by clap) win over XDG defaults.
    pub fn resolve(
        config: Option<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> Result<Paths, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "opsdeck");
        let config_file = match config {
            Some(c) => c,
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .config_dir()
                .join("config.toml"),
        };
        let data_dir = match data_dir {
            Some(d) => d,
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .data_dir()
                .to_path_buf(),
        };
        Ok(Paths {
            config_file,
            data_dir,
            database_url: None,
        })
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("opsdeck.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_parses_to_the_defaults() {
        let c = Config::parse(crate::assets::DEFAULT_CONFIG, "default").unwrap();
        assert_eq!(c.concurrency, Config::default().concurrency);
        assert_eq!(c.host_key_policy, HostKeyPolicy::Strict);
        assert!(!c.allow_self_approval);
    }

    #[test]
    fn lease_secs_out_of_range_or_not_a_number_is_refused_naming_the_field() {
        assert_eq!(Config::default().lease(), Duration::from_secs(30));
        let c = Config::parse("lease_secs = 3\n", "c.toml").unwrap();
        assert_eq!(c.lease_secs, 3);
        for bad in ["0", "2", "3601", "9223372036854775807"] {
            let e = Config::parse(&format!("lease_secs = {bad}\n"), "c.toml").unwrap_err();
            let m = e.to_string();
            assert!(m.starts_with("c.toml: lease_secs: "), "{bad}: {m}");
            assert!(m.contains("3..=3600"), "{bad}: {m}");
        }
        for bad in ["-5", "\"30s\"", "2.5", "true"] {
            let e = Config::parse(&format!("lease_secs = {bad}\n"), "c.toml").unwrap_err();
            let m = e.to_string();
            assert!(m.starts_with("c.toml:1:"), "{bad}: {m}");
            assert!(
                m.contains("lease_secs must be a whole number"),
                "{bad}: {m}"
            );
        }
    }

    #[test]
    fn bad_configs_name_the_file_line_and_field() {
        let e = Config::parse("concurrency = 10\nbogus = 1\n", "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:"), "{e}");
        assert!(e.to_string().contains("bogus"), "{e}");
        let e = Config::parse("concurrency = \"many\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:1:"), "{e}");
        let e = Config::parse("lang = \"fr\"\n", "c.toml").unwrap_err();
        assert!(
            e.to_string()
                .contains("lang: `fr` is not supported; accepted: en, zh"),
            "{e}"
        );
        let e = Config::parse("step_timeout = \"ages\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("step_timeout"), "{e}");
        let e = Config::parse("concurrency = 0\n", "c.toml").unwrap_err();
        assert!(
            e.to_string().contains("concurrency: must be 1..10000"),
            "{e}"
        );
        let e = Config::parse("host_key_policy = \"yolo\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("accept-new"), "{e}");
    }

    #[test]
    fn resource_types_default_and_can_be_replaced() {
        let c = Config::parse("", "c.toml").unwrap();
        assert_eq!(c.resource_types.len(), 4);
        assert!(c.resource_type("load balancer").is_some());
        let c = Config::parse(
            "[[resource_types]]\nname = \"gpu\"\nfields = [{ name = \"count\", required = true }]\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.resource_types.len(), 1);
        assert_eq!(c.resource_types[0].template, 9300);
        assert_eq!(c.resource_types[0].host, "localhost");
        let e = Config::parse(
            "[[resource_types]]\nname = \"x\"\nfields = [{ name = \"a-b\" }]\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("resource_types"), "{e}");
        let e =
            Config::parse("[[resource_types]]\nname = \"x\"\nsize = 1\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("size"), "{e}");
    }

    #[test]
    fn webhooks_and_cmdb_parse_and_are_checked() {
        let c = Config::parse(
            "[[webhooks]]\nurl = \"https://x/hook\"\nformat = \"wecom\"\n\n[cmdb]\nrecords = \"/data\"\n[cmdb.fields]\nname = \"host\"\naddress = \"ip\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.webhooks[0].format, WebhookFormat::Wecom);
        assert_eq!(c.webhooks[0].events, WebhookEvent::ALL.to_vec());
        assert_eq!(c.webhooks[0].retries, 3);
        assert_eq!(c.cmdb.fields.name, "host");
        let e = Config::parse("[[webhooks]]\nurl = \"ftp://x\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("webhooks: [0]: url"), "{e}");
        let e = Config::parse(
            "[[webhooks]]\nurl = \"http://x\"\nbackoff = \"soon\"\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("backoff"), "{e}");
        let e = Config::parse(
            "[[webhooks]]\nurl = \"http://x\"\nevents = [\"task_exploded\"]\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("task_exploded"), "{e}");
        let e = Config::parse("[cmdb]\nrecords = \"data.list\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("cmdb: records"), "{e}");
    }

    #[test]
    fn the_first_run_creates_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let (_, created) = Config::load_or_create(&path).unwrap();
        assert!(created && path.exists());
        let (_, created) = Config::load_or_create(&path).unwrap();
        assert!(!created);
    }

    #[test]
    fn the_user_comes_from_config_first() {
        let c = Config {
            user: Some("carol".into()),
            ..Config::default()
        };
        assert_eq!(c.current_user(), "carol");
        assert!(!Config::default().current_user().is_empty());
    }

    #[test]
    fn explicit_paths_win() {
        let p = Paths::resolve(Some("/x/c.toml".into()), Some("/d".into())).unwrap();
        assert_eq!(p.config_file, PathBuf::from("/x/c.toml"));
        assert_eq!(p.database(), PathBuf::from("/d/opsdeck.db"));
    }

    #[test]
    fn the_sql_backup_cap_is_a_config_key_with_bounds() {
        let c: Config = toml::from_str("sql_backup_max_rows = 1000").unwrap();
        assert_eq!(c.sql_backup_max_rows, 1000);
        assert!(c.check("c.toml").is_ok());
        let bad: Config = toml::from_str("sql_backup_max_rows = 0").unwrap();
        let e = bad.check("c.toml").unwrap_err().to_string();
        assert!(e.contains("sql_backup_max_rows"), "{e}");
        assert_eq!(
            Config::default().sql_backup_max_rows,
            crate::model::sql_backup::BACKUP_MAX_ROWS
        );
    }
}
