//! The task modules of DESIGN.md section 1: one form per module that validates its input and builds a `TaskSpec`.
//!
//! Every module follows one pattern: a form struct (serde, `Default`) implementing [`Form`]:
//! `validate` returns every field error at once, `choices` lists what a field may offer the user
//! (tags, hosts, templates, apps, approvers), and `to_spec` builds the spec. Forms never run
//! anything; the CLI, the console and the API share them through a [`ModuleContext`].

pub mod app_publish;
pub mod custom;
pub mod custom_json;
pub mod custom_proxy;
pub mod node_add;
pub mod plan;
pub mod pyliteral;
pub mod resource;
pub mod sql_audit;
pub mod sql_audit_rollback;
pub mod sql_optimize;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{Invalid, Inventory, ModuleKind, Role, Tag, TaskSpec, Template, User};

pub use app_publish::AppPublishForm;
pub use custom::CustomForm;
pub use custom_json::{CodoTask, CustomJsonForm, codo_warnings};
pub use custom_proxy::CustomProxyForm;
pub use node_add::NodeAddForm;
pub use plan::{PlannedStep, masked_spec, plan};
pub use resource::ResourceForm;
pub use sql_audit::SqlAuditForm;
pub use sql_optimize::{SqlAnalysis, SqlOptimizeForm};

/// What a form is checked against: the inventory, the templates, the users, the config and who submits.
#[derive(Debug, Clone)]
pub struct ModuleContext {
    pub inventory: Inventory,
    /// Latest version of every template.
    pub templates: Vec<Template>,
    pub users: Vec<User>,
    pub config: Config,
    /// The user submitting (the authenticated one; the spec's submitter is always this user).
    pub user: String,
    /// "Now" for relative exec times (`+10m`) and the default exec time.
    pub now: DateTime<Utc>,
}

impl ModuleContext {
    /// A context from plain data (tests, or callers that already hold everything).
    pub fn new(
        inventory: Inventory,
        templates: Vec<Template>,
        config: Config,
        user: impl Into<String>,
    ) -> ModuleContext {
        ModuleContext {
            users: inventory.users.clone(),
            inventory,
            templates,
            config,
            user: user.into(),
            now: Utc::now(),
        }
    }

    pub fn template(&self, id: u32) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// Tags the current user may target.
    pub fn allowed_tags(&self) -> Vec<&Tag> {
        self.inventory
            .tags
            .iter()
            .filter(|t| t.allows(&self.user))
            .collect()
    }

    /// Users who may approve the current user's tasks: approver or admin role, not the submitter
    /// (unless `allow_self_approval`).
    pub fn approver_choices(&self) -> Vec<String> {
        self.users
            .iter()
            .filter(|u| u.role >= Role::Approver)
            .filter(|u| u.name != self.user || self.config.allow_self_approval)
            .map(|u| u.name.clone())
            .collect()
    }

    fn template_choices(&self) -> Vec<TemplateChoice> {
        let mut v: Vec<TemplateChoice> = self
            .templates
            .iter()
            .map(|t| TemplateChoice {
                id: t.id,
                name: t.name.clone(),
            })
            .collect();
        v.sort_by_key(|t| t.id);
        v
    }
}

/// One module form: validation with every error at once, the choices it offers, the spec it builds.
pub trait Form {
    const KIND: ModuleKind;
    /// Every field error (field name + message), or `Ok`.
    fn validate(&self, ctx: &ModuleContext) -> Result<(), Invalid> {
        self.to_spec(ctx).map(|_| ())
    }
    /// What the fields may offer, given what is filled in so far.
    fn choices(&self, ctx: &ModuleContext) -> Choices;
    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    pub id: u32,
    pub name: String,
}

/// What a form's select fields may offer; a module fills the lists that apply to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateChoice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<String>,
    /// Arg names the chosen template declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// One key/value row of an args editor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgRow {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl ArgRow {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> ArgRow {
        ArgRow {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `KEY=VALUE` (the CLI's `--arg`).
    pub fn parse(s: &str) -> Result<ArgRow, String> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: use KEY=VALUE"))?;
        Ok(ArgRow::new(k.trim(), v))
    }
}

fn valid_arg_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses an exec time; empty means now. A bad value becomes an error on `field` that lists the accepted forms.
pub fn exec_time(
    field: &str,
    input: &str,
    now: DateTime<Utc>,
    errs: &mut Invalid,
) -> Option<DateTime<Utc>> {
    if input.trim().is_empty() {
        return Some(now);
    }
    match crate::model::parse_exec_time(input, now) {
        Ok(t) => Some(t),
        Err(e) => {
            errs.push(field, e.to_string());
            None
        }
    }
}

/// Arg rows → map. Fully blank rows are ignored; blank, malformed or repeated keys are errors on `field[i].key`.
pub fn arg_rows(field: &str, rows: &[ArgRow], errs: &mut Invalid) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let key = r.key.trim();
        let f = format!("{field}[{i}].key");
        if key.is_empty() {
            if !r.value.is_empty() {
                errs.push(f, "the value has no name");
            }
            continue;
        }
        if !valid_arg_name(key) {
            errs.push(
                f,
                format!("`{key}` is not an arg name (letters, digits and `_`, not starting with a digit)"),
            );
            continue;
        }
        if out.contains_key(key) {
            errs.push(f, format!("`{key}` is given twice"));
        } else {
            out.insert(key.to_string(), r.value.clone());
        }
    }
    out
}

/// Checks args against a template: required ones present, no undeclared names (built-ins excepted).
pub fn check_template_args(
    field: &str,
    tpl: &Template,
    args: &BTreeMap<String, String>,
    errs: &mut Invalid,
) {
    for a in &tpl.args {
        let given = args.get(&a.name).is_some_and(|v| !v.is_empty());
        if a.required && !given {
            errs.push(
                format!("{field}.{}", a.name),
                format!("is required by template {}", tpl.id),
            );
        }
    }
    let unknown: Vec<&str> = args
        .keys()
        .map(String::as_str)
        .filter(|k| tpl.arg(k).is_none())
        .collect();
    if !unknown.is_empty() {
        let declared: Vec<&str> = tpl.args.iter().map(|a| a.name.as_str()).collect();
        errs.push(
            field,
            format!(
                "template {} declares no arg {} (declared: {})",
                tpl.id,
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            ),
        );
    }
}

/// Checks named approvers: known users with the approver or admin role, not the submitter
/// (unless `allow_self_approval`), no repeats. In single-user mode (no users) any other name passes.
pub fn check_approvers(field: &str, names: &[String], ctx: &ModuleContext, errs: &mut Invalid) {
    let mut seen = Vec::new();
    for n in names {
        if seen.contains(&n) {
            errs.push(field, format!("`{n}` is named twice"));
            continue;
        }
        seen.push(n);
        if *n == ctx.user && !ctx.config.allow_self_approval {
            errs.push(
                field,
                format!("`{n}` submits this task and cannot approve it"),
            );
            continue;
        }
        if ctx.users.is_empty() {
            continue;
        }
        match ctx.users.iter().find(|u| u.name == *n) {
            None => errs.push(field, format!("unknown user `{n}`")),
            Some(u) if u.role < Role::Approver => errs.push(
                field,
                format!(
                    "`{n}` has the {} role; approvers need the approver or admin role",
                    u.role.as_str()
                ),
            ),
            Some(_) => {}
        }
    }
}

/// A tag the current user may target, or an error on `field`.
pub fn allowed_tag<'a>(
    field: &str,
    name: &str,
    ctx: &'a ModuleContext,
    errs: &mut Invalid,
) -> Option<&'a Tag> {
    if name.trim().is_empty() {
        errs.push(field, "choose a tag");
        return None;
    }
    match ctx.inventory.tag(name) {
        None => {
            errs.push(field, format!("unknown tag `{name}`"));
            None
        }
        Some(t) if !t.allows(&ctx.user) => {
            errs.push(
                field,
                format!(
                    "{} may not target tag `{name}` (allowed: {})",
                    ctx.user,
                    t.users.join(", ")
                ),
            );
            None
        }
        Some(t) => Some(t),
    }
}

/// A template by id, or an error on `field`.
pub fn known_template<'a>(
    field: &str,
    id: u32,
    ctx: &'a ModuleContext,
    errs: &mut Invalid,
) -> Option<&'a Template> {
    if id == 0 {
        errs.push(field, "choose a template");
        return None;
    }
    let t = ctx.template(id);
    if t.is_none() {
        errs.push(
            field,
            format!("unknown template {id} (see `opsdeck template list`)"),
        );
    }
    t
}

/// Errors on `field` when a group holds more hosts than the concurrency cap.
pub fn check_cap(field: &str, n: usize, ctx: &ModuleContext, errs: &mut Invalid) {
    if n > ctx.config.concurrency {
        errs.push(
            field,
            format!(
                "{n} hosts exceed the concurrency cap of {} (config `concurrency`)",
                ctx.config.concurrency
            ),
        );
    }
}

/// The final net: the built spec checked against its template and the inventory as the engine will.
pub fn finish(
    spec: TaskSpec,
    ctx: &ModuleContext,
    inv: &Inventory,
    errs: Invalid,
) -> Result<TaskSpec, Invalid> {
    errs.into_result()?;
    let tpl = ctx.template(spec.template_id).ok_or_else(|| {
        Invalid(vec![crate::model::FieldError::new(
            "template",
            format!("unknown template {}", spec.template_id),
        )])
    })?;
    let mut filled = spec.clone();
    for a in &tpl.args {
        if let Some(d) = &a.default {
            filled
                .args
                .entry(a.name.clone())
                .or_insert_with(|| d.clone());
        }
    }
    filled.validate(tpl, inv, ctx.config.concurrency)?;
    Ok(spec)
}

/// `name` when non-blank, else the fallback.
pub fn name_or(name: &str, fallback: impl FnOnce() -> String) -> String {
    if name.trim().is_empty() {
        fallback()
    } else {
        name.trim().to_string()
    }
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::ctx;
    use super::*;

    #[test]
    fn rows_become_a_map_and_bad_rows_are_named() {
        let mut e = Invalid::default();
        let m = arg_rows(
            "args",
            &[
                ArgRow::new("A", "1"),
                ArgRow::new("", ""),
                ArgRow::new("", "orphan"),
                ArgRow::new("9x", "v"),
                ArgRow::new("A", "2"),
            ],
            &mut e,
        );
        assert_eq!(m.get("A").map(String::as_str), Some("1"));
        assert!(
            e.has_field("args[2].key") && e.has_field("args[3].key"),
            "{e}"
        );
        assert!(e.has_field("args[4].key"), "{e}");
        assert!(ArgRow::parse("K=a=b").unwrap().value == "a=b");
        assert!(ArgRow::parse("nope").is_err());
    }

    #[test]
    fn approvers_need_the_role_and_are_not_the_submitter() {
        let c = ctx();
        let mut e = Invalid::default();
        check_approvers(
            "approvers",
            &[
                "alice".into(),
                "carol".into(),
                "ghost".into(),
                "bob".into(),
                "bob".into(),
            ],
            &c,
            &mut e,
        );
        let msg = e.to_string();
        assert!(msg.contains("`alice` submits this task"), "{msg}");
        assert!(msg.contains("`carol` has the operator role"), "{msg}");
        assert!(msg.contains("unknown user `ghost`"), "{msg}");
        assert!(msg.contains("`bob` is named twice"), "{msg}");
        assert_eq!(e.0.len(), 4, "{msg}");
        assert_eq!(
            c.approver_choices(),
            vec!["bob".to_string(), "root".to_string()]
        );
    }

    #[test]
    fn a_bad_exec_time_lists_the_accepted_forms() {
        let mut e = Invalid::default();
        assert!(exec_time("exec_time", "tomorrow-ish", Utc::now(), &mut e).is_none());
        assert!(e.to_string().contains("+10m"), "{e}");
        assert!(exec_time("exec_time", "", Utc::now(), &mut e).is_some());
    }
}
