//! Custom task from JSON (自定义任务-JSON): CODO's task JSON, whose dict fields are Python-literal strings.
//!
//! ```json
//! {"task_name": "name", "submitter": "who", "temp_id": "1", "schedule": "ready",
//!  "exec_time": "2018-11-27 14:09:50", "associated_user": "{'group-1': ['someone']}",
//!  "args": "{'VERSION':'eeee', 'arg02': 'xxxx'}", "details": "notes", "hosts": "{1: '127.0.0.1'}"}
//! ```
//! Literals are parsed by [`super::pyliteral`] (linear, bounded); plain JSON objects are accepted
//! in their place.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{
    Choices, Form, ModuleContext, check_approvers, check_cap, check_template_args, exec_time,
    finish, name_or,
};
use crate::model::{Connection, Host, HostGroups, Invalid, ModuleKind, TaskSpec};

/// CODO's task document. Every field is kept as raw JSON so each can get its own precise error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodoTask {
    pub task_name: Json,
    pub submitter: Json,
    pub temp_id: Json,
    pub schedule: Json,
    pub exec_time: Json,
    pub associated_user: Json,
    pub args: Json,
    pub details: Json,
    pub hosts: Json,
}

/// The JSON module's form: the document text and an optional exec-time override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomJsonForm {
    pub json: String,
    /// When non-empty, replaces the document's `exec_time`.
    pub exec_time: String,
}

impl CustomJsonForm {
    pub fn new(json: impl Into<String>, exec_time: impl Into<String>) -> CustomJsonForm {
        CustomJsonForm {
            json: json.into(),
            exec_time: exec_time.into(),
        }
    }

    /// The parsed document, or an error on `json` with its line and column.
    pub fn document(&self) -> Result<CodoTask, Invalid> {
        let v: Json = serde_json::from_str(&self.json)
            .map_err(|e| one("json", format!("not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(one("json", "expected a JSON object ({\"task_name\": …})"));
        }
        serde_json::from_value(v).map_err(|e| one("json", e.to_string()))
    }

    /// The spec, plus the ad-hoc hosts (addresses unknown to the inventory, when
    /// `allow_adhoc_hosts` is set) that must be added to the inventory before submitting.
    pub fn to_spec_with_hosts(
        &self,
        ctx: &ModuleContext,
    ) -> Result<(TaskSpec, Vec<Host>), Invalid> {
        let doc = self.document()?;
        let mut errs = Invalid::default();
        let task_name = text("task_name", &doc.task_name, &mut errs);
        let submitter = text("submitter", &doc.submitter, &mut errs);
        let details = text("details", &doc.details, &mut errs);
        let tpl = match &doc.temp_id {
            Json::String(s) if s.trim().parse::<u32>().is_ok() => s.trim().parse::<u32>().ok(),
            Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            other => {
                errs.push(
                    "temp_id",
                    format!("`{other}` is not a template id (a positive number, or a string holding one)"),
                );
                None
            }
        }
        .and_then(|id| {
            let t = ctx.template(id);
            if t.is_none() {
                errs.push("temp_id", format!("unknown template {id} (see `opsdeck template list`)"));
            }
            t
        });
        let needs_approval = match doc.schedule.as_str().map(str::trim) {
            Some("ready") => Some(false),
            Some("new") => Some(true),
            _ => {
                errs.push(
                    "schedule",
                    format!(
                        "`{}` is not accepted; use `ready` (runs at its exec time) or `new` (needs approval first)",
                        display(&doc.schedule)
                    ),
                );
                None
            }
        };
        let at = if self.exec_time.trim().is_empty() {
            let s = text("exec_time", &doc.exec_time, &mut errs);
            exec_time("exec_time", &s, ctx.now, &mut errs)
        } else {
            exec_time("exec_time_override", &self.exec_time, ctx.now, &mut errs)
        };
        let approvers = associated_users(&doc.associated_user, &mut errs);
        // They approve only with `schedule: new`; with `ready` they are just kept.
        if needs_approval == Some(true) {
            check_approvers("associated_user", &approvers, ctx, &mut errs);
        }
        let mut args = args_field(&doc.args, &mut errs);
        // CODO hands every arg to the task; opsdeck substitutes declared ones only. Undeclared
        // args are kept with the task (in `extra`) and reported as warnings, not refused.
        let mut undeclared = BTreeMap::new();
        if let Some(t) = tpl {
            args.retain(|k, v| {
                if t.arg(k).is_some() {
                    return true;
                }
                undeclared.insert(k.clone(), std::mem::take(v));
                false
            });
            check_template_args("args", t, &args, &mut errs);
        }
        let (hosts, adhoc) = hosts_field(&doc.hosts, tpl.map(|t| t.group_count()), ctx, &mut errs);
        if let Some(t) = tpl {
            for g in 1..=t.group_count() {
                if !hosts.contains_key(&g) && !t.group_is_forced(g) && !doc.hosts.is_null() {
                    errs.push(
                        "hosts",
                        format!(
                            "template {} needs hosts for group {g} (its groups are 1..{})",
                            t.id,
                            t.group_count()
                        ),
                    );
                }
            }
        }
        let (Some(tpl), Some(at), Some(needs_approval)) = (tpl, at, needs_approval) else {
            return Err(errs);
        };
        let spec = TaskSpec {
            name: name_or(&task_name, || tpl.name.clone()),
            module: ModuleKind::CustomJson,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts,
            exec_time: at,
            needs_approval: needs_approval || !tpl.approvers.is_empty(),
            // `schedule: ready` runs without approval: its associated users stay in `extra` only
            // (a task naming approvers always needs approval).
            approvers: if needs_approval {
                approvers
            } else {
                Vec::new()
            },
            details,
            extra: serde_json::json!({
                "codo": {
                    "submitter": submitter,
                    "schedule": doc.schedule,
                    "associated_user": doc.associated_user,
                    "undeclared_args": undeclared,
                }
            }),
        };
        let mut inv = ctx.inventory.clone();
        inv.hosts.extend(adhoc.iter().cloned());
        let spec = finish(spec, ctx, &inv, errs)?;
        Ok((spec, adhoc))
    }
}

/// The warnings of a spec built from CODO's JSON: args its template does not declare (kept with
/// the task, used by no step).
pub fn codo_warnings(spec: &TaskSpec) -> Vec<String> {
    let Some(m) = spec
        .extra
        .pointer("/codo/undeclared_args")
        .and_then(Json::as_object)
    else {
        return Vec::new();
    };
    m.keys()
        .map(|k| {
            format!(
                "args.{k}: template {} declares no arg `{k}`; it is kept with the task \
                 (extra.codo.undeclared_args) but no step uses it",
                spec.template_id
            )
        })
        .collect()
}

impl Form for CustomJsonForm {
    const KIND: ModuleKind = ModuleKind::CustomJson;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        Choices {
            hosts: ctx.inventory.hosts.iter().map(|h| h.name.clone()).collect(),
            templates: ctx.template_choices(),
            approvers: ctx.approver_choices(),
            ..Choices::default()
        }
    }

    /// The spec alone; ad-hoc hosts are left out (use [`CustomJsonForm::to_spec_with_hosts`]).
    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        self.to_spec_with_hosts(ctx).map(|(s, _)| s)
    }
}

fn one(field: &str, message: impl Into<String>) -> Invalid {
    let mut e = Invalid::default();
    e.push(field, message);
    e
}

fn display(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// A plain text field: a string, a number, or nothing.
fn text(field: &str, v: &Json, errs: &mut Invalid) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        other => {
            errs.push(field, format!("expected a string, got `{other}`"));
            String::new()
        }
    }
}

/// The start of a long field value, for an error message.
fn excerpt(s: &str) -> String {
    const SHOWN: usize = 80;
    match s.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A dict field: a Python-literal string, a JSON object, or nothing (`Null`).
fn dict(field: &str, v: &Json, errs: &mut Invalid) -> Option<serde_json::Map<String, Json>> {
    let parsed = match v {
        Json::Null => return None,
        Json::String(s) if s.trim().is_empty() => return None,
        Json::String(s) => match super::pyliteral::parse(s.trim()) {
            Ok(j) => j,
            Err(e) => {
                errs.push(field, format!("bad Python literal `{}`: {e}", excerpt(s)));
                return None;
            }
        },
        other => other.clone(),
    };
    match parsed {
        Json::Object(m) => Some(m),
        Json::Null => None,
        other => {
            errs.push(field, format!("expected a dict, got `{other}`"));
            None
        }
    }
}

/// `associated_user`: every name in the dict's values (lists of names or `'a,b'` strings), in order, once.
fn associated_users(v: &Json, errs: &mut Invalid) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, val) in dict("associated_user", v, errs).unwrap_or_default() {
        for name in names(&val) {
            match name {
                Some(n) if !n.is_empty() => {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                Some(_) => {}
                None => errs.push(
                    format!("associated_user.{k}"),
                    format!("expected user names, got `{val}`"),
                ),
            }
        }
    }
    out
}

/// Strings of a value: a `'a,b'` string or a list/tuple of them; `None` marks a value that is not text.
fn names(v: &Json) -> Vec<Option<String>> {
    match v {
        Json::String(s) => s.split(',').map(|p| Some(p.trim().to_string())).collect(),
        Json::Array(xs) => xs.iter().flat_map(names).collect(),
        Json::Null => vec![],
        _ => vec![None],
    }
}

/// `args`: a dict of names to strings or numbers (booleans become `true`/`false`, `None` empty).
fn args_field(v: &Json, errs: &mut Invalid) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, val) in dict("args", v, errs).unwrap_or_default() {
        let s = match &val {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            Json::Null => String::new(),
            other => {
                errs.push(
                    format!("args.{k}"),
                    format!("expected a string or number, got `{other}`"),
                );
                continue;
            }
        };
        out.insert(k, s);
    }
    out
}

/// `hosts`: group number → addresses or host names; returns the groups and the ad-hoc hosts.
fn hosts_field(
    v: &Json,
    groups: Option<u32>,
    ctx: &ModuleContext,
    errs: &mut Invalid,
) -> (HostGroups, Vec<Host>) {
    let mut out = HostGroups::new();
    let mut adhoc: Vec<Host> = Vec::new();
    if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
        errs.push(
            "hosts",
            "is missing: give hosts per group, e.g. \"{1: '10.0.0.1,10.0.0.2'}\"",
        );
        return (out, adhoc);
    }
    for (k, val) in dict("hosts", v, errs).unwrap_or_default() {
        let Some(g) = k.trim().parse::<u32>().ok().filter(|g| *g > 0) else {
            errs.push(
                "hosts",
                format!("`{k}` is not a host group number (1, 2, …)"),
            );
            continue;
        };
        let f = format!("hosts.{g}");
        if let Some(n) = groups
            && g > n
        {
            errs.push(
                &f,
                format!("the template has host groups 1..{n}; there is no group {g}"),
            );
            continue;
        }
        let mut hosts: Vec<String> = Vec::new();
        for entry in names(&val) {
            let Some(entry) = entry else {
                errs.push(&f, format!("expected addresses or host names, got `{val}`"));
                break;
            };
            if entry.is_empty() {
                continue;
            }
            let name = if let Some(h) = ctx.inventory.host_by_address(&entry) {
                h.name.clone()
            } else if ctx.inventory.host(&entry).is_some() {
                entry.clone()
            } else if ctx.config.allow_adhoc_hosts {
                if entry.chars().any(|c| c.is_whitespace() || c == '/') {
                    errs.push(&f, format!("`{entry}` is not an address"));
                    continue;
                }
                if !adhoc.iter().any(|h| h.address == entry) {
                    adhoc.push(Host {
                        name: entry.clone(),
                        address: entry.clone(),
                        port: 22,
                        exec_user: ctx.config.default_exec_user.clone(),
                        connection: Connection::Ssh,
                    });
                }
                entry.clone()
            } else {
                errs.push(
                    &f,
                    format!(
                        "`{entry}` is not in the inventory (no host has that address or name); add it, \
                         or set allow_adhoc_hosts in the config"
                    ),
                );
                continue;
            };
            if !hosts.contains(&name) {
                hosts.push(name);
            }
        }
        if hosts.is_empty() && !errs.has_field(&f) {
            errs.push(&f, "lists no host");
        }
        check_cap(&f, hosts.len(), ctx, errs);
        out.insert(g, hosts);
    }
    (out, adhoc)
}

#[cfg(test)]
#[path = "custom_json_tests.rs"]
mod tests;
