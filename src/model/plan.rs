//! Which step runs on which host, in which order, with which arg values: the one expansion of a
//! task that the stored step runs, the runner and the dry run all use (rendering: `exec::plan`).

use std::collections::BTreeMap;

use super::{Inventory, Step, TaskSpec, Template};

/// The steps one host walks in one group, in level order.
#[derive(Debug, Clone)]
pub struct HostChain<'a> {
    pub host: String,
    pub steps: Vec<&'a Step>,
}

/// The host chains of group `g`: the spec's hosts for it in the order given, then each host that
/// only forced steps run on. A host runs the group's unforced steps when the spec lists it for the
/// group, and a forced step when it is the step's host. Hosts with nothing to run are left out.
pub fn group_chains<'a>(spec: &TaskSpec, tpl: &'a Template, g: u32) -> Vec<HostChain<'a>> {
    let steps = tpl.group_steps(g);
    let listed = spec.hosts.get(&g);
    let mut hosts = listed.cloned().unwrap_or_default();
    for s in &steps {
        if let Some(f) = &s.force_host
            && !hosts.contains(f)
        {
            hosts.push(f.clone());
        }
    }
    hosts
        .into_iter()
        .map(|host| {
            let steps = steps
                .iter()
                .copied()
                .filter(|s| match &s.force_host {
                    Some(f) => *f == host,
                    None => listed.is_some_and(|hs| hs.contains(&host)),
                })
                .collect();
            HostChain { host, steps }
        })
        .filter(|c| !c.steps.is_empty())
        .collect()
}

/// One step on one host.
#[derive(Debug, Clone)]
pub struct Slot<'a> {
    pub group: u32,
    pub host: String,
    pub step: &'a Step,
}

/// Every step on every host a task runs: group by group, within a group chain by chain
/// (`group_chains`), each chain in level order.
pub fn expand<'a>(spec: &TaskSpec, tpl: &'a Template) -> Vec<Slot<'a>> {
    let mut out = Vec::new();
    for g in 1..=tpl.group_count() {
        for c in group_chains(spec, tpl, g) {
            for step in c.steps {
                out.push(Slot {
                    group: g,
                    host: c.host.clone(),
                    step,
                });
            }
        }
    }
    out
}

/// The values `${NAME}` placeholders take, before captures and the host are known.
#[derive(Debug, Clone)]
pub struct ArgValues {
    /// Template defaults, then the spec's args, then `FLOW_ID`.
    base: BTreeMap<String, String>,
    /// The values of the secret args (given or defaulted), non-empty.
    secrets: Vec<String>,
}

impl ArgValues {
    /// `flow_id` is the task id (the dry run, which has none yet, shows `<id>`).
    pub fn new(spec: &TaskSpec, tpl: &Template, flow_id: impl Into<String>) -> ArgValues {
        let mut base = BTreeMap::new();
        for a in &tpl.args {
            if let Some(d) = &a.default {
                base.insert(a.name.clone(), d.clone());
            }
        }
        base.extend(spec.args.clone());
        let secrets = spec
            .secret_arg_names(tpl)
            .iter()
            .filter_map(|n| base.get(n).cloned())
            .filter(|v| !v.is_empty())
            .collect();
        base.insert("FLOW_ID".into(), flow_id.into());
        ArgValues { base, secrets }
    }

    /// The args one step on `host` sees: the base, then the captures made so far, then the host's
    /// `SERVER_IP`/`SERVER_HOST` unless one of those set them.
    pub fn for_host(
        &self,
        captures: &BTreeMap<String, String>,
        inv: &Inventory,
        host: &str,
    ) -> BTreeMap<String, String> {
        let mut args = self.base.clone();
        args.extend(captures.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(h) = inv.host(host) {
            args.entry("SERVER_IP".into())
                .or_insert_with(|| h.address.clone());
            args.entry("SERVER_HOST".into())
                .or_insert_with(|| h.name.clone());
        }
        args
    }

    /// The values every printed command and log line masks (secret captures come on top).
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

/// The values of the template's secret captures among `captures`.
pub fn secret_captures(tpl: &Template, captures: &BTreeMap<String, String>) -> Vec<String> {
    tpl.steps
        .iter()
        .filter(|s| s.capture_secret)
        .filter_map(|s| s.capture.as_ref())
        .filter_map(|name| captures.get(name).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TPL: &str = r#"
id = 1
name = "t"
[[steps]]
group = 1
level = 1
name = "a"
command = "true"
[[steps]]
group = 1
level = 2
name = "on-proxy"
command = "true"
force_host = "p"
[[steps]]
group = 1
level = 3
name = "b"
command = "true"
[[steps]]
group = 2
level = 1
name = "only-proxy"
command = "true"
force_host = "p"
"#;

    fn spec(hosts: &[&str]) -> TaskSpec {
        serde_json::from_value(serde_json::json!({
            "name": "n", "submitter": "s", "template_id": 1,
            "hosts": { "1": hosts }, "exec_time": "2026-01-01T00:00:00Z",
        }))
        .unwrap()
    }

    fn rows(spec: &TaskSpec, tpl: &Template) -> Vec<(u32, String, String)> {
        expand(spec, tpl)
            .into_iter()
            .map(|s| (s.group, s.host, s.step.name.clone()))
            .collect()
    }

    #[test]
    fn hosts_walk_their_levels_and_forced_steps_run_once_on_their_host() {
        let tpl: Template = toml::from_str(TPL).unwrap();
        let r = |g: u32, h: &str, s: &str| (g, h.to_string(), s.to_string());
        assert_eq!(
            rows(&spec(&["h1", "h2"]), &tpl),
            [
                r(1, "h1", "a"),
                r(1, "h1", "b"),
                r(1, "h2", "a"),
                r(1, "h2", "b"),
                r(1, "p", "on-proxy"),
                r(2, "p", "only-proxy"),
            ]
        );
        // The forced host listed for the group too: one chain with every step, in level order.
        assert_eq!(
            rows(&spec(&["p"]), &tpl),
            [
                r(1, "p", "a"),
                r(1, "p", "on-proxy"),
                r(1, "p", "b"),
                r(2, "p", "only-proxy"),
            ]
        );
    }
}
