//! A dry run of a spec: per host group, per host, per step, the exact command that would run, secrets masked.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::exec::render::{Masker, render_command};
use crate::model::{Inventory, TaskSpec, Template};

/// One step as it would run on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub group: u32,
    pub level: u32,
    pub host: String,
    pub step: String,
    pub trigger: String,
    /// The rendered command with secret values replaced by `******`.
    pub command: String,
    /// Names of the args written to the step's stdin (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stdin: Vec<String>,
}

/// Renders every step for every host the way the engine will: template defaults, then the spec's
/// args, then `SERVER_IP`/`SERVER_HOST` of the host unless the spec sets them; `FLOW_ID` shows as
/// `<id>` and captured args as `<captured NAME>`.
pub fn plan(spec: &TaskSpec, tpl: &Template, inv: &Inventory) -> Vec<PlannedStep> {
    let mut base = BTreeMap::new();
    for a in &tpl.args {
        if let Some(d) = &a.default {
            base.insert(a.name.clone(), d.clone());
        }
    }
    base.extend(spec.args.clone());
    base.insert("FLOW_ID".into(), "<id>".into());
    for s in &tpl.steps {
        if let Some(c) = &s.capture {
            base.insert(c.clone(), format!("<captured {c}>"));
        }
    }
    let masker = Masker::new(
        spec.secret_arg_names(tpl)
            .iter()
            .filter_map(|n| base.get(n).cloned()),
    );
    let mut out = Vec::new();
    for g in 1..=tpl.group_count() {
        let hosts = spec.hosts.get(&g).cloned().unwrap_or_default();
        let steps = tpl.group_steps(g);
        let mut forced_done = Vec::new();
        let targets: Vec<String> = if hosts.is_empty() {
            steps
                .iter()
                .filter_map(|s| s.force_host.clone())
                .take(1)
                .collect()
        } else {
            hosts
        };
        for h in &targets {
            for s in &steps {
                let host = s.force_host.clone().unwrap_or_else(|| h.clone());
                if s.force_host.is_some() {
                    if forced_done.contains(&s.level) {
                        continue;
                    }
                    forced_done.push(s.level);
                }
                let mut args = base.clone();
                if let Some(hh) = inv.host(&host) {
                    args.entry("SERVER_IP".into())
                        .or_insert_with(|| hh.address.clone());
                    args.entry("SERVER_HOST".into())
                        .or_insert_with(|| hh.name.clone());
                }
                out.push(PlannedStep {
                    group: g,
                    level: s.level,
                    host,
                    step: s.name.clone(),
                    trigger: s.trigger.as_str().to_string(),
                    command: masker.mask(&render_command(&s.command, &args)),
                    stdin: s.stdin.clone(),
                });
            }
        }
    }
    out
}

/// The spec as a dry run shows it: the values of secret args (and secret defaults) `******`.
pub fn masked_spec(mut spec: TaskSpec, tpl: &Template) -> TaskSpec {
    let secrets = spec.secret_arg_names(tpl);
    for (k, v) in spec.args.iter_mut() {
        if secrets.contains(k) && !v.is_empty() {
            *v = crate::exec::render::MASK.to_string();
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;
    use crate::modules::{AppPublishForm, Form};

    #[test]
    fn the_plan_renders_per_host_and_masks_secrets() {
        let c = ctx();
        let f = AppPublishForm {
            app: "shop".into(),
            tag: "v9".into(),
            ..AppPublishForm::default()
        };
        let s = f.to_spec(&c).unwrap();
        let p = plan(&s, c.template(9100).unwrap(), &c.inventory);
        // group 1: b1 × 2 steps; group 2: 3 hosts × 3 steps.
        assert_eq!(p.len(), 2 + 9);
        assert_eq!(p[0].host, "b1");
        assert_eq!(p[0].stdin, vec!["REGISTRY_TOKEN".to_string()]);
        let all: String = p.iter().map(|s| s.command.clone()).collect();
        assert!(!all.contains("tok-123"));
        assert!(all.contains("checkout --force v9"), "{all}");
        let h3 = p.iter().find(|s| s.host == "h3" && s.level == 1).unwrap();
        assert_eq!(h3.group, 2);
        assert_eq!(h3.trigger, "timed");
    }
}
