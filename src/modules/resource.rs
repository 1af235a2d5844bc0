//! Resource request (资源申购): an approval task running the provisioning template of a configured resource type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Choices, Form, ModuleContext, check_approvers, exec_time, finish, name_or};
use crate::model::{Invalid, ModuleKind, TaskSpec};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceForm {
    pub name: String,
    /// A resource type name from the config's `resource_types`.
    pub resource_type: String,
    /// Values of the type's fields by field name; missing ones take the field's default.
    pub fields: BTreeMap<String, String>,
    pub quantity: u32,
    pub region: String,
    pub reason: String,
    /// At least one approver or admin (never the submitter).
    pub approvers: Vec<String>,
    /// When to provision once approved; empty = as soon as it is approved.
    pub exec_time: String,
    pub details: String,
}

impl Default for ResourceForm {
    fn default() -> Self {
        ResourceForm {
            name: String::new(),
            resource_type: String::new(),
            fields: BTreeMap::new(),
            quantity: 1,
            region: String::new(),
            reason: String::new(),
            approvers: vec![],
            exec_time: String::new(),
            details: String::new(),
        }
    }
}

impl Form for ResourceForm {
    const KIND: ModuleKind = ModuleKind::Resource;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        Choices {
            resource_types: ctx
                .config
                .resource_types
                .iter()
                .map(|t| t.name.clone())
                .collect(),
            approvers: ctx.approver_choices(),
            args: ctx
                .config
                .resource_type(&self.resource_type)
                .map(|t| t.fields.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let rt = ctx.config.resource_type(&self.resource_type);
        if rt.is_none() {
            let known: Vec<&str> = ctx
                .config
                .resource_types
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            errs.push(
                "resource_type",
                if self.resource_type.trim().is_empty() {
                    format!("choose one of: {}", known.join(", "))
                } else {
                    format!(
                        "unknown resource type `{}` (configured: {})",
                        self.resource_type,
                        known.join(", ")
                    )
                },
            );
        }
        let mut args = BTreeMap::new();
        let mut spec_parts = Vec::new();
        if let Some(rt) = rt {
            for k in self.fields.keys() {
                if !rt.fields.iter().any(|f| f.name == *k) {
                    let names: Vec<&str> = rt.fields.iter().map(|f| f.name.as_str()).collect();
                    errs.push(
                        format!("fields.{k}"),
                        format!(
                            "`{}` has no field `{k}` (fields: {})",
                            rt.name,
                            names.join(", ")
                        ),
                    );
                }
            }
            for f in &rt.fields {
                let v = self
                    .fields
                    .get(&f.name)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .or_else(|| f.default.clone())
                    .unwrap_or_default();
                if f.required && v.is_empty() {
                    errs.push(
                        format!("fields.{}", f.name),
                        format!("is required for `{}`", rt.name),
                    );
                }
                if !v.is_empty() {
                    spec_parts.push(format!("{}={v}", f.name));
                }
                args.insert(f.name.to_ascii_uppercase(), v);
            }
            if ctx.inventory.host(&rt.host).is_none() {
                errs.push(
                    "resource_type",
                    format!(
                        "`{}` runs on host `{}`, which is not in the inventory (config resource_types.host)",
                        rt.name, rt.host
                    ),
                );
            }
        }
        if self.quantity == 0 {
            errs.push("quantity", "must be at least 1");
        }
        if self.reason.trim().is_empty() {
            errs.push("reason", "say why the resource is needed");
        }
        if self.approvers.is_empty() {
            errs.push("approvers", "name at least one approver");
        }
        check_approvers("approvers", &self.approvers, ctx, &mut errs);
        let tpl = rt.and_then(|rt| {
            let t = ctx.template(rt.template);
            if t.is_none() {
                errs.push(
                    "resource_type",
                    format!(
                        "`{}` uses template {}, which does not exist",
                        rt.name, rt.template
                    ),
                );
            }
            t
        });
        let at = exec_time("exec_time", &self.exec_time, ctx.now, &mut errs);
        let (Some(rt), Some(tpl), Some(at)) = (rt, tpl, at) else {
            return Err(errs);
        };
        for (k, v) in [
            ("RESOURCE_TYPE", rt.name.clone()),
            ("QUANTITY", self.quantity.to_string()),
            ("REGION", self.region.trim().to_string()),
            ("REASON", self.reason.trim().to_string()),
            ("SPEC", spec_parts.join(",")),
        ] {
            args.insert(k.to_string(), v);
        }
        let spec = TaskSpec {
            name: name_or(&self.name, || {
                format!("request {} × {}", self.quantity, rt.name)
            }),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts: [(1, vec![rt.host.clone()])].into(),
            exec_time: at,
            needs_approval: true,
            approvers: self.approvers.clone(),
            details: self.details.clone(),
            extra: serde_json::json!({ "resource_type": rt.name, "fields": self.fields }),
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;

    fn good() -> ResourceForm {
        ResourceForm {
            resource_type: "server".into(),
            fields: [
                ("cpu".to_string(), "8".to_string()),
                ("memory_gb".to_string(), "32".to_string()),
            ]
            .into(),
            quantity: 2,
            region: "cn-north".into(),
            reason: "new shop cluster".into(),
            approvers: vec!["bob".into()],
            ..ResourceForm::default()
        }
    }

    #[test]
    fn fields_become_upper_case_args_and_it_always_needs_approval() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert!(s.needs_approval);
        assert_eq!(s.template_id, 9300);
        assert_eq!(s.hosts[&1], vec!["localhost".to_string()]);
        assert_eq!(s.args["RESOURCE_TYPE"], "server");
        assert_eq!(s.args["QUANTITY"], "2");
        assert_eq!(s.args["REGION"], "cn-north");
        assert_eq!(s.args["CPU"], "8");
        assert_eq!(s.args["DISK_GB"], "100", "field default");
        assert_eq!(s.args["SPEC"], "cpu=8,memory_gb=32,disk_gb=100,os=linux");
        let ch = good().choices(&c);
        assert_eq!(ch.resource_types.len(), 4);
        assert_eq!(ch.args, vec!["cpu", "memory_gb", "disk_gb", "os"]);
    }

    #[test]
    fn bad_input_is_named() {
        let c = ctx();
        let e = ResourceForm::default().validate(&c).unwrap_err();
        for f in ["resource_type", "reason", "approvers"] {
            assert!(e.has_field(f), "{f}: {e}");
        }
        let f = ResourceForm {
            fields: [("gpu".to_string(), "1".to_string())].into(),
            quantity: 0,
            approvers: vec!["alice".into()],
            exec_time: "later".into(),
            ..good()
        };
        let msg = f.validate(&c).unwrap_err().to_string();
        for want in [
            "fields.gpu: `server` has no field `gpu`",
            "fields.cpu: is required",
            "quantity: must be at least 1",
            "`alice` submits this task",
            "exec_time: cannot read",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
        let f = ResourceForm {
            resource_type: "mainframe".into(),
            ..good()
        };
        assert!(
            f.validate(&c)
                .unwrap_err()
                .to_string()
                .contains("unknown resource type `mainframe`")
        );
        let mut c = ctx();
        c.config.resource_types[0].host = "nowhere".into();
        assert!(
            good()
                .validate(&c)
                .unwrap_err()
                .to_string()
                .contains("host `nowhere`")
        );
    }
}
