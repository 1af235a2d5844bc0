//! CMDB import over HTTP: fetch a JSON list of host records and map their fields to inventory hosts
//! (and tag membership) with the `[cmdb]` field mapping of the config.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::CmdbConfig;
use crate::model::{FieldError, Host, Invalid, Inventory, Tag};

#[derive(Debug, thiserror::Error)]
pub enum CmdbError {
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error("{url}: the records do not map to hosts:\n{invalid}")]
    Mapping { url: String, invalid: Invalid },
}

/// A record field by plain key or JSON pointer (`/net/ip`).
fn lookup<'a>(rec: &'a Value, key: &str) -> Option<&'a Value> {
    if key.starts_with('/') {
        rec.pointer(key)
    } else {
        rec.get(key)
    }
    .filter(|v| !v.is_null())
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Maps a CMDB answer to an inventory of hosts and tags; every bad record is reported by index and field.
pub fn map_records(answer: &Value, cfg: &CmdbConfig) -> Result<Inventory, Invalid> {
    let records = if cfg.records.is_empty() {
        answer
    } else {
        answer.pointer(&cfg.records).ok_or_else(|| {
            Invalid(vec![FieldError::new(
                "cmdb.records",
                format!("`{}` is not in the answer", cfg.records),
            )])
        })?
    };
    let Some(list) = records.as_array() else {
        return Err(Invalid(vec![FieldError::new(
            "cmdb.records",
            "does not point at a JSON array of records",
        )]));
    };
    let f = &cfg.fields;
    let mut errs = Invalid::default();
    let mut hosts = Vec::new();
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, rec) in list.iter().enumerate() {
        let at = |field: &str| format!("records[{i}].{}", field.trim_start_matches('/'));
        let name = lookup(rec, &f.name).and_then(as_text);
        let address = lookup(rec, &f.address).and_then(as_text);
        if name.is_none() {
            errs.push(at(&f.name), "missing or empty (cmdb.fields.name)");
        }
        if address.is_none() {
            errs.push(at(&f.address), "missing or empty (cmdb.fields.address)");
        }
        let mut port = 22u16;
        if let Some(key) = &f.port
            && let Some(v) = lookup(rec, key)
        {
            match as_text(v).and_then(|s| s.parse::<u16>().ok()) {
                Some(p) if p > 0 => port = p,
                _ => errs.push(at(key), format!("`{v}` is not a port (1..65535)")),
            }
        }
        let exec_user = f
            .exec_user
            .as_ref()
            .and_then(|k| lookup(rec, k))
            .and_then(as_text);
        let (Some(name), Some(address)) = (name, address) else {
            continue;
        };
        if let Some(key) = &f.tags
            && let Some(v) = lookup(rec, key)
        {
            let names: Vec<String> = match v {
                Value::Array(a) => a.iter().filter_map(as_text).collect(),
                other => as_text(other)
                    .map(|s| s.split(',').map(|t| t.trim().to_string()).collect())
                    .unwrap_or_default(),
            };
            for t in names.into_iter().filter(|t| !t.is_empty()) {
                let e = tags.entry(t).or_default();
                if !e.contains(&name) {
                    e.push(name.clone());
                }
            }
        }
        hosts.push(Host {
            name,
            address,
            port,
            exec_user,
            connection: Default::default(),
        });
    }
    errs.into_result()?;
    Ok(Inventory {
        hosts,
        tags: tags
            .into_iter()
            .map(|(name, hosts)| Tag {
                name,
                hosts,
                proxy: None,
                databases: Vec::new(),
                users: Vec::new(),
                windows: Vec::new(),
                outside_window: Default::default(),
                sql_via: Default::default(),
                max_update_rows: None,
                osc_min_table_mb: None,
                osc_args: Vec::new(),
            })
            .collect(),
        ..Inventory::default()
    })
}

/// GETs `url` (with the bearer token from `cfg.token_env`, if set) and maps the answer.
pub async fn fetch(url: &str, cfg: &CmdbConfig) -> Result<Inventory, CmdbError> {
    let fail = |message: String| CmdbError::Fetch {
        url: crate::api::webhook::redacted(url),
        message,
    };
    let timeout =
        crate::model::parse_duration(&cfg.timeout).unwrap_or(std::time::Duration::from_secs(30));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| fail(format!("cannot build the HTTP client: {e}")))?;
    let mut rb = client.get(url).header("accept", "application/json");
    if let Some(var) = &cfg.token_env {
        let token = std::env::var(var).map_err(|_| {
            fail(format!(
                "cmdb.token_env: the environment variable {var} is not set"
            ))
        })?;
        rb = rb.bearer_auth(token);
    }
    let r = rb
        .send()
        .await
        .map_err(|e| fail(format!("request failed: {}", e.without_url())))?;
    if !r.status().is_success() {
        return Err(fail(format!("answered HTTP {}", r.status().as_u16())));
    }
    let v: Value = r
        .json()
        .await
        .map_err(|e| fail(format!("the answer is not JSON: {}", e.without_url())))?;
    map_records(&v, cfg).map_err(|invalid| CmdbError::Mapping {
        url: crate::api::webhook::redacted(url),
        invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CmdbFields;
    use serde_json::json;

    fn cfg() -> CmdbConfig {
        CmdbConfig {
            records: "/data/list".into(),
            fields: CmdbFields {
                name: "hostname".into(),
                address: "/net/ip".into(),
                port: Some("ssh_port".into()),
                exec_user: Some("login".into()),
                tags: Some("biz".into()),
            },
            ..CmdbConfig::default()
        }
    }

    #[test]
    fn records_map_to_hosts_and_tags() {
        let answer = json!({"data": {"list": [
            {"hostname": "web1", "net": {"ip": "10.0.0.1"}, "ssh_port": "2222", "login": "deploy", "biz": "web, prod"},
            {"hostname": "db1", "net": {"ip": "10.0.0.2"}, "biz": ["db", "prod"]},
        ]}});
        let inv = map_records(&answer, &cfg()).unwrap();
        assert_eq!(inv.hosts.len(), 2);
        assert_eq!(inv.hosts[0].port, 2222);
        assert_eq!(inv.hosts[0].exec_user.as_deref(), Some("deploy"));
        assert_eq!(inv.hosts[1].port, 22);
        let prod = inv.tags.iter().find(|t| t.name == "prod").unwrap();
        assert_eq!(prod.hosts, ["web1", "db1"]);
        assert_eq!(inv.tags.len(), 3);
    }

    #[test]
    fn bad_records_name_index_and_field() {
        let answer = json!({"data": {"list": [
            {"hostname": "ok", "net": {"ip": "10.0.0.1"}},
            {"net": {"ip": "10.0.0.2"}, "ssh_port": "x"},
        ]}});
        let e = map_records(&answer, &cfg()).unwrap_err();
        assert!(e.has_field("records[1].hostname"), "{e}");
        assert!(e.has_field("records[1].ssh_port"), "{e}");
        let e = map_records(&json!({"data": {}}), &cfg()).unwrap_err();
        assert!(e.has_field("cmdb.records"), "{e}");
    }
}
