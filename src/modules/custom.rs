//! Custom task (自定义任务): a template run directly on a tag's hosts (or a subset), group 1 only.

use serde::{Deserialize, Serialize};

use super::{
    ArgRow, Choices, Form, ModuleContext, TemplateChoice, allowed_tag, arg_rows, check_approvers,
    check_cap, check_template_args, exec_time, finish, known_template, name_or,
};
use crate::model::{Invalid, ModuleKind, TaskSpec};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomForm {
    /// Task name; defaults to the template's name.
    pub name: String,
    /// Target tag.
    pub tag: String,
    /// Subset of the tag's hosts; empty = all of them.
    pub hosts: Vec<String>,
    /// Template id.
    pub template: u32,
    pub args: Vec<ArgRow>,
    /// Exec time (any form `parse_exec_time` accepts); empty = now.
    pub exec_time: String,
    /// Optional approvers; naming any makes the task need approval.
    pub approvers: Vec<String>,
    pub details: String,
}

impl Form for CustomForm {
    const KIND: ModuleKind = ModuleKind::Custom;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        let tags = ctx.allowed_tags();
        let hosts = tags
            .iter()
            .find(|t| t.name == self.tag)
            .map(|t| t.hosts.clone())
            .unwrap_or_default();
        Choices {
            tags: tags.iter().map(|t| t.name.clone()).collect(),
            hosts,
            templates: ctx
                .template_choices()
                .into_iter()
                .filter(|t: &TemplateChoice| {
                    ctx.template(t.id).is_some_and(|t| t.group_count() <= 1)
                })
                .collect(),
            approvers: ctx.approver_choices(),
            args: ctx
                .template(self.template)
                .map(|t| t.args.iter().map(|a| a.name.clone()).collect())
                .unwrap_or_default(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let tag = allowed_tag("tag", &self.tag, ctx, &mut errs);
        let mut hosts: Vec<String> = Vec::new();
        if let Some(tag) = tag {
            if self.hosts.is_empty() {
                hosts = tag.hosts.clone();
                if hosts.is_empty() {
                    errs.push("tag", format!("tag `{}` has no hosts", tag.name));
                }
            }
            for h in &self.hosts {
                if !tag.hosts.contains(h) {
                    errs.push(
                        "hosts",
                        format!("`{h}` is not a host of tag `{}`", tag.name),
                    );
                } else if hosts.contains(h) {
                    errs.push("hosts", format!("`{h}` is chosen twice"));
                } else {
                    hosts.push(h.clone());
                }
            }
        }
        check_cap("hosts", hosts.len(), ctx, &mut errs);
        let tpl = known_template("template", self.template, ctx, &mut errs);
        let args = arg_rows("args", &self.args, &mut errs);
        if let Some(t) = tpl {
            if t.group_count() > 1 {
                errs.push(
                    "template",
                    format!(
                        "template {} has {} host groups; a custom task fills group 1 only — use the JSON module \
                         (`opsdeck submit json`) to give hosts per group",
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
        let spec = TaskSpec {
            name: name_or(&self.name, || tpl.name.clone()),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts: [(1, hosts)].into(),
            exec_time: at,
            needs_approval: !self.approvers.is_empty() || !tpl.approvers.is_empty(),
            approvers: self.approvers.clone(),
            details: self.details.clone(),
            extra: serde_json::Value::Null,
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;

    fn good() -> CustomForm {
        CustomForm {
            tag: "web".into(),
            template: 9504,
            args: vec![ArgRow::new("COMMAND", "uptime")],
            ..CustomForm::default()
        }
    }

    #[test]
    fn a_good_form_targets_the_whole_tag_in_group_1() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert_eq!(s.hosts[&1], vec!["h1".to_string(), "h2".to_string()]);
        assert_eq!(s.args["COMMAND"], "uptime");
        assert_eq!(s.submitter, "alice");
        assert_eq!(s.module, ModuleKind::Custom);
        assert!(!s.needs_approval);
        let mut f = good();
        f.hosts = vec!["h2".into()];
        f.approvers = vec!["bob".into()];
        f.exec_time = "+1h".into();
        let s = f.to_spec(&c).unwrap();
        assert_eq!(s.hosts[&1], vec!["h2".to_string()]);
        assert!(s.needs_approval && s.exec_time > c.now);
        let ch = good().choices(&c);
        assert!(ch.tags.contains(&"web".to_string()) && !ch.tags.contains(&"secret".to_string()));
        assert_eq!(ch.hosts, vec!["h1".to_string(), "h2".to_string()]);
        assert!(
            ch.templates.iter().all(|t| t.id != 9100),
            "multi-group templates are not offered"
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let c = ctx();
        let f = CustomForm {
            tag: "secret".into(),
            template: 4242,
            args: vec![ArgRow::new("A", "1")],
            exec_time: "someday".into(),
            approvers: vec!["carol".into()],
            ..CustomForm::default()
        };
        let e = f.validate(&c).unwrap_err();
        for field in ["tag", "template", "exec_time", "approvers"] {
            assert!(e.has_field(field), "{field} missing from {e}");
        }
        let f = CustomForm {
            tag: "web".into(),
            hosts: vec!["h3".into()],
            template: 9504,
            args: vec![ArgRow::new("BOGUS", "1"), ArgRow::new("OTHER", "2")],
            ..CustomForm::default()
        };
        let e = f.validate(&c).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("`h3` is not a host of tag `web`"), "{msg}");
        assert!(msg.contains("args.COMMAND: is required"), "{msg}");
        assert!(msg.contains("declares no arg `BOGUS`, `OTHER`"), "{msg}");
        let e = CustomForm::default().validate(&c).unwrap_err();
        assert!(e.has_field("tag") && e.has_field("template"), "{e}");
    }

    #[test]
    fn multi_group_templates_and_oversized_groups_are_refused() {
        let mut c = ctx();
        let mut f = good();
        f.template = 2;
        f.args.clear();
        let e = f.validate(&c).unwrap_err();
        assert!(e.to_string().contains("use the JSON module"), "{e}");
        c.config.concurrency = 1;
        let e = good().validate(&c).unwrap_err();
        assert!(
            e.to_string().contains("exceed the concurrency cap of 1"),
            "{e}"
        );
    }

    #[test]
    fn a_template_with_approvers_needs_approval() {
        let mut c = ctx();
        if let Some(t) = c.templates.iter_mut().find(|t| t.id == 9504) {
            t.approvers = vec!["bob".into()];
        }
        assert!(good().to_spec(&c).unwrap().needs_approval);
    }
}
