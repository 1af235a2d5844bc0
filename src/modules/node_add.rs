//! Node add (节点添加): built-in template 9201 — the control plane (group 1) prints a join command, the new nodes (group 2) run it.

use serde::{Deserialize, Serialize};

use super::{Choices, Form, ModuleContext, allowed_tag, check_cap, exec_time, finish, name_or};
use crate::assets::NODE_ADD_TEMPLATE;
use crate::model::{Invalid, ModuleKind, TaskSpec};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeAddForm {
    pub name: String,
    /// The cluster's tag; its first host is the control plane that creates the join command.
    pub cluster_tag: String,
    /// New nodes: inventory hosts not already in the cluster tag.
    pub hosts: Vec<String>,
    /// Expected kubeadm minor version; empty = template 9201's `K8S_VERSION` default.
    pub k8s_version: String,
    pub exec_time: String,
    pub details: String,
}

impl Form for NodeAddForm {
    const KIND: ModuleKind = ModuleKind::NodeAdd;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        let in_cluster = ctx
            .inventory
            .tag(&self.cluster_tag)
            .map(|t| t.hosts.clone())
            .unwrap_or_default();
        Choices {
            tags: ctx
                .allowed_tags()
                .iter()
                .filter(|t| !t.hosts.is_empty())
                .map(|t| t.name.clone())
                .collect(),
            hosts: ctx
                .inventory
                .hosts
                .iter()
                .filter(|h| !in_cluster.contains(&h.name))
                .map(|h| h.name.clone())
                .collect(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let tag = allowed_tag("cluster_tag", &self.cluster_tag, ctx, &mut errs);
        let control = tag.and_then(|t| {
            let first = t.hosts.first().cloned();
            if first.is_none() {
                errs.push(
                    "cluster_tag",
                    format!("tag `{}` has no host to act as the control plane", t.name),
                );
            }
            first
        });
        if self.hosts.is_empty() {
            errs.push("hosts", "choose at least one new node");
        }
        let mut nodes: Vec<String> = Vec::new();
        for h in &self.hosts {
            if ctx.inventory.host(h).is_none() {
                errs.push("hosts", format!("unknown host `{h}`"));
            } else if tag.is_some_and(|t| t.hosts.contains(h)) {
                errs.push(
                    "hosts",
                    format!("`{h}` is already in the cluster tag `{}`", self.cluster_tag),
                );
            } else if nodes.contains(h) {
                errs.push("hosts", format!("`{h}` is chosen twice"));
            } else {
                nodes.push(h.clone());
            }
        }
        check_cap("hosts", nodes.len(), ctx, &mut errs);
        let tpl = ctx.template(NODE_ADD_TEMPLATE);
        if tpl.is_none() {
            errs.push(
                "template",
                format!("built-in template {NODE_ADD_TEMPLATE} is missing from the store"),
            );
        }
        let version = if self.k8s_version.trim().is_empty() {
            tpl.and_then(|t| t.arg("K8S_VERSION"))
                .and_then(|a| a.default.clone())
                .unwrap_or_default()
        } else {
            self.k8s_version.trim().to_string()
        };
        let ok_version = {
            let mut parts = version.split('.');
            let major = parts
                .next()
                .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            let rest: Vec<&str> = parts.collect();
            major
                && (1..=2).contains(&rest.len())
                && rest
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        };
        if !ok_version {
            errs.push(
                "k8s_version",
                format!("`{version}` is not a Kubernetes version like `1.31` or `1.31.2`"),
            );
        }
        let at = exec_time("exec_time", &self.exec_time, ctx.now, &mut errs);
        let (Some(tpl), Some(control), Some(at)) = (tpl, control, at) else {
            return Err(errs);
        };
        let spec = TaskSpec {
            name: name_or(&self.name, || {
                format!("add {} node(s) to {}", nodes.len(), self.cluster_tag)
            }),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args: [("K8S_VERSION".to_string(), version)].into(),
            hosts: [(1, vec![control]), (2, nodes)].into(),
            exec_time: at,
            needs_approval: !tpl.approvers.is_empty(),
            approvers: vec![],
            details: self.details.clone(),
            extra: serde_json::json!({ "cluster_tag": self.cluster_tag }),
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;

    #[test]
    fn the_control_plane_is_group_1_and_the_new_nodes_group_2() {
        let c = ctx();
        let f = NodeAddForm {
            cluster_tag: "k8s".into(),
            hosts: vec!["n1".into(), "h1".into()],
            ..NodeAddForm::default()
        };
        let s = f.to_spec(&c).unwrap();
        assert_eq!(s.template_id, 9201);
        assert_eq!(s.hosts[&1], vec!["cp1".to_string()]);
        assert_eq!(s.hosts[&2], vec!["n1".to_string(), "h1".to_string()]);
        assert_eq!(s.args["K8S_VERSION"], "1.31", "the template's default");
        assert_eq!(s.module, ModuleKind::NodeAdd);
        let ch = f.choices(&c);
        assert!(!ch.hosts.contains(&"cp1".to_string()) && ch.hosts.contains(&"n1".to_string()));
        let f = NodeAddForm {
            k8s_version: "1.30.4".into(),
            ..f
        };
        assert_eq!(f.to_spec(&c).unwrap().args["K8S_VERSION"], "1.30.4");
    }

    #[test]
    fn bad_input_is_named() {
        let c = ctx();
        let e = NodeAddForm::default().validate(&c).unwrap_err();
        assert!(e.has_field("cluster_tag") && e.has_field("hosts"), "{e}");
        let f = NodeAddForm {
            cluster_tag: "k8s".into(),
            hosts: vec!["cp1".into(), "ghost".into(), "n1".into(), "n1".into()],
            k8s_version: "latest".into(),
            exec_time: "noon".into(),
            ..NodeAddForm::default()
        };
        let msg = f.validate(&c).unwrap_err().to_string();
        for want in [
            "`cp1` is already in the cluster tag `k8s`",
            "unknown host `ghost`",
            "`n1` is chosen twice",
            "k8s_version: `latest` is not a Kubernetes version",
            "exec_time: cannot read `noon`",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
        let mut c = ctx();
        c.templates.retain(|t| t.id != 9201);
        let f = NodeAddForm {
            cluster_tag: "k8s".into(),
            hosts: vec!["n1".into()],
            ..NodeAddForm::default()
        };
        assert!(f.validate(&c).unwrap_err().has_field("template"));
    }
}
