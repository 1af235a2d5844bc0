//! Custom task via proxy (自定义任务-代理): the template runs once on one proxy host, with the targets in `SERVER_IP`/`SERVER_HOST`.

use serde::{Deserialize, Serialize};

use super::{
    ArgRow, Choices, Form, ModuleContext, allowed_tag, arg_rows, check_approvers, check_cap,
    check_template_args, exec_time, finish, known_template, name_or,
};
use crate::model::{Invalid, ModuleKind, TaskSpec};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomProxyForm {
    pub name: String,
    /// One or more target tags.
    pub tags: Vec<String>,
    /// Exactly one proxy host (any inventory host; the chosen tags' proxies are offered).
    pub proxy: String,
    pub template: u32,
    pub args: Vec<ArgRow>,
    pub exec_time: String,
    pub approvers: Vec<String>,
    pub details: String,
}

impl Form for CustomProxyForm {
    const KIND: ModuleKind = ModuleKind::CustomProxy;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        let mut proxies: Vec<String> = Vec::new();
        for t in &self.tags {
            if let Some(p) = ctx.inventory.tag(t).and_then(|t| t.proxy.clone())
                && !proxies.contains(&p)
            {
                proxies.push(p);
            }
        }
        Choices {
            tags: ctx.allowed_tags().iter().map(|t| t.name.clone()).collect(),
            hosts: ctx.inventory.hosts.iter().map(|h| h.name.clone()).collect(),
            proxies,
            templates: ctx
                .template_choices()
                .into_iter()
                .filter(|t| ctx.template(t.id).is_some_and(|t| t.group_count() <= 1))
                .collect(),
            approvers: ctx.approver_choices(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        if self.tags.is_empty() {
            errs.push("tags", "choose at least one tag");
        }
        let mut names: Vec<String> = Vec::new();
        let mut ips: Vec<String> = Vec::new();
        for t in &self.tags {
            let Some(tag) = allowed_tag("tags", t, ctx, &mut errs) else {
                continue;
            };
            for h in &tag.hosts {
                if names.contains(h) {
                    continue;
                }
                names.push(h.clone());
                if let Some(host) = ctx.inventory.host(h)
                    && !ips.contains(&host.address)
                {
                    ips.push(host.address.clone());
                }
            }
        }
        check_cap("tags", names.len(), ctx, &mut errs);
        let proxy = self.proxy.trim();
        if proxy.is_empty() {
            errs.push("proxy", "choose exactly one proxy host");
        } else if proxy.contains(',') || proxy.contains(char::is_whitespace) {
            errs.push("proxy", "exactly one proxy host, not a list");
        } else if ctx.inventory.host(proxy).is_none() {
            errs.push("proxy", format!("unknown host `{proxy}`"));
        }
        let tpl = known_template("template", self.template, ctx, &mut errs);
        let mut args = arg_rows("args", &self.args, &mut errs);
        for b in ["SERVER_IP", "SERVER_HOST"] {
            if args.contains_key(b) {
                errs.push(
                    "args",
                    format!("`{b}` is set from the chosen tags; remove the row"),
                );
            }
        }
        if let Some(t) = tpl {
            if t.group_count() > 1 {
                errs.push(
                    "template",
                    format!(
                        "template {} has {} host groups; a proxy task runs once on the proxy (group 1)",
                        t.id,
                        t.group_count()
                    ),
                );
            }
            check_template_args("args", t, &args, &mut errs);
        }
        let at = exec_time("exec_time", &self.exec_time, ctx.now, &mut errs);
        check_approvers("approvers", &self.approvers, ctx, &mut errs);
        let (Some(tpl), Some(at)) = (tpl, at) else {
            return Err(errs);
        };
        args.insert("SERVER_IP".into(), ips.join(","));
        args.insert("SERVER_HOST".into(), names.join(","));
        let spec = TaskSpec {
            name: name_or(&self.name, || format!("{} via {proxy}", tpl.name)),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts: [(1, vec![proxy.to_string()])].into(),
            exec_time: at,
            needs_approval: !self.approvers.is_empty() || !tpl.approvers.is_empty(),
            approvers: self.approvers.clone(),
            details: self.details.clone(),
            extra: serde_json::json!({ "target_tags": self.tags }),
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;

    fn good() -> CustomProxyForm {
        CustomProxyForm {
            tags: vec!["web".into(), "db".into()],
            proxy: "p1".into(),
            template: 9504,
            args: vec![ArgRow::new("COMMAND", "echo ${SERVER_IP}")],
            ..CustomProxyForm::default()
        }
    }

    #[test]
    fn it_runs_once_on_the_proxy_with_the_targets_listed() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert_eq!(s.hosts.len(), 1);
        assert_eq!(s.hosts[&1], vec!["p1".to_string()]);
        assert_eq!(s.args["SERVER_HOST"], "h1,h2,h3");
        assert_eq!(s.args["SERVER_IP"], "10.0.0.1,10.0.0.2,10.0.0.3");
        assert_eq!(s.module, ModuleKind::CustomProxy);
        assert_eq!(good().choices(&c).proxies, vec!["p1".to_string()]);
        let mut f = good();
        f.proxy = "localhost".into();
        assert_eq!(
            f.to_spec(&c).unwrap().hosts[&1],
            vec!["localhost".to_string()]
        );
    }

    #[test]
    fn bad_input_is_named() {
        let c = ctx();
        let e = CustomProxyForm::default().validate(&c).unwrap_err();
        for f in ["tags", "proxy", "template"] {
            assert!(e.has_field(f), "{f}: {e}");
        }
        let f = CustomProxyForm {
            tags: vec!["nope".into(), "secret".into()],
            proxy: "p1,h1".into(),
            template: 2,
            args: vec![ArgRow::new("SERVER_IP", "x")],
            exec_time: "2026-02-30 10:00".into(),
            ..CustomProxyForm::default()
        };
        let msg = f.validate(&c).unwrap_err().to_string();
        for want in [
            "unknown tag `nope`",
            "may not target tag `secret`",
            "exactly one proxy host",
            "runs once on the proxy",
            "`SERVER_IP` is set from the chosen tags",
            "exec_time: cannot read",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
        let mut f = good();
        f.proxy = "ghost".into();
        assert!(
            f.validate(&c)
                .unwrap_err()
                .to_string()
                .contains("unknown host `ghost`")
        );
    }
}
