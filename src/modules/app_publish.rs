//! App publish (应用发布): an app from the inventory released at a tag; build hosts are group 1, deploy targets group 2.

use serde::{Deserialize, Serialize};

use super::{
    ArgRow, Choices, Form, ModuleContext, arg_rows, check_approvers, check_cap, exec_time, finish,
    name_or,
};
use crate::model::{App, Invalid, ModuleKind, TaskSpec};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppPublishForm {
    pub name: String,
    /// App name from the inventory.
    pub app: String,
    /// Git tag or version to publish (`PUBLISH_TAG`).
    pub tag: String,
    /// Custom args on top of the app's.
    pub args: Vec<ArgRow>,
    pub exec_time: String,
    /// Optional approvers; naming any makes the task need approval.
    pub approvers: Vec<String>,
    pub details: String,
}

/// Args the module sets itself; rows may not override them.
const OWN_ARGS: [&str; 5] = [
    "PUBLISH_NAME",
    "PUBLISH_TAG",
    "SERVER_DICT",
    "PUBLISH_PATH",
    "REPOSITORY",
];

fn may_publish(app: &App, user: &str) -> bool {
    app.allowed_users.is_empty() || app.allowed_users.iter().any(|u| u == user)
}

/// The app's deploy targets: its tag's hosts, then its own hosts, without repeats.
pub fn deploy_targets(app: &App, ctx: &ModuleContext) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let tag_hosts = app
        .tag
        .as_deref()
        .and_then(|t| ctx.inventory.tag(t))
        .map(|t| t.hosts.clone())
        .unwrap_or_default();
    for h in tag_hosts.iter().chain(app.hosts.iter()) {
        if !out.contains(h) {
            out.push(h.clone());
        }
    }
    out
}

impl Form for AppPublishForm {
    const KIND: ModuleKind = ModuleKind::AppPublish;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        Choices {
            apps: ctx
                .inventory
                .apps
                .iter()
                .filter(|a| may_publish(a, &ctx.user))
                .map(|a| a.name.clone())
                .collect(),
            hosts: ctx
                .inventory
                .app(&self.app)
                .map(|a| deploy_targets(a, ctx))
                .unwrap_or_default(),
            approvers: ctx.approver_choices(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let app = if self.app.trim().is_empty() {
            errs.push("app", "choose an app");
            None
        } else {
            match ctx.inventory.app(&self.app) {
                None => {
                    errs.push("app", format!("unknown app `{}`", self.app));
                    None
                }
                Some(a) if !may_publish(a, &ctx.user) => {
                    errs.push(
                        "app",
                        format!(
                            "{} may not publish `{}` (allowed: {})",
                            ctx.user,
                            a.name,
                            a.allowed_users.join(", ")
                        ),
                    );
                    None
                }
                Some(a) => Some(a),
            }
        };
        let tag = self.tag.trim();
        if tag.is_empty() {
            errs.push("tag", "give the tag or version to publish");
        } else if tag.chars().any(char::is_whitespace) {
            errs.push("tag", format!("`{tag}` contains spaces"));
        }
        let rows = arg_rows("args", &self.args, &mut errs);
        for k in rows.keys() {
            if OWN_ARGS.contains(&k.as_str()) {
                errs.push("args", format!("`{k}` is set from the app; remove the row"));
            }
        }
        let at = exec_time("exec_time", &self.exec_time, ctx.now, &mut errs);
        check_approvers("approvers", &self.approvers, ctx, &mut errs);
        let tpl = app.and_then(|a| {
            let t = ctx.template(a.template);
            if t.is_none() {
                errs.push(
                    "app",
                    format!(
                        "`{}` uses template {}, which does not exist",
                        a.name, a.template
                    ),
                );
            }
            t
        });
        let mut build = Vec::new();
        let mut targets = Vec::new();
        if let Some(a) = app {
            build = a.all_build_hosts();
            targets = deploy_targets(a, ctx);
            if build.is_empty() {
                errs.push(
                    "app",
                    format!("`{}` has no build host (build_host / build_hosts)", a.name),
                );
            }
            if targets.is_empty() {
                errs.push(
                    "app",
                    format!("`{}` has no deploy target (tag / hosts)", a.name),
                );
            }
            check_cap("app", targets.len().max(build.len()), ctx, &mut errs);
        }
        let (Some(app), Some(tpl), Some(at)) = (app, tpl, at) else {
            return Err(errs);
        };
        let mut args = rows;
        let addresses: Vec<String> = targets
            .iter()
            .filter_map(|h| ctx.inventory.host(h).map(|h| h.address.clone()))
            .collect();
        args.insert("PUBLISH_NAME".into(), app.name.clone());
        args.insert("PUBLISH_TAG".into(), tag.to_string());
        args.insert("SERVER_DICT".into(), addresses.join(","));
        if !app.publish_path.is_empty() {
            args.insert("PUBLISH_PATH".into(), app.publish_path.clone());
        }
        if !app.repository.is_empty() {
            args.insert("REPOSITORY".into(), app.repository.clone());
        }
        let mut secret_args = Vec::new();
        for (k, v) in &app.fields {
            let up = k.to_ascii_uppercase();
            if app.secret_fields.contains(k) {
                secret_args.push(up.clone());
            }
            args.insert(up, v.clone());
        }
        for a in &tpl.args {
            if a.required && args.get(&a.name).is_none_or(|v| v.is_empty()) {
                errs.push(
                    format!("args.{}", a.name),
                    format!("is required by template {}", tpl.id),
                );
            }
        }
        let mut hosts = crate::model::HostGroups::new();
        hosts.insert(1, build);
        if tpl.group_count() >= 2 {
            hosts.insert(2, targets);
        }
        let spec = TaskSpec {
            name: name_or(&self.name, || format!("publish {} {tag}", app.name)),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts,
            exec_time: at,
            needs_approval: !self.approvers.is_empty() || !tpl.approvers.is_empty(),
            approvers: self.approvers.clone(),
            details: self.details.clone(),
            extra: serde_json::json!({ "app": app.name, "secret_args": secret_args }),
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testutil::ctx;

    fn good() -> AppPublishForm {
        AppPublishForm {
            app: "shop".into(),
            tag: "v1.2.3".into(),
            args: vec![ArgRow::new("RELEASE_NOTES", "fixes")],
            ..AppPublishForm::default()
        }
    }

    #[test]
    fn the_spec_carries_the_app_and_its_hosts() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert_eq!(s.template_id, 9100);
        assert_eq!(s.hosts[&1], vec!["b1".to_string()]);
        assert_eq!(
            s.hosts[&2],
            vec!["h1".to_string(), "h2".to_string(), "h3".to_string()]
        );
        assert_eq!(s.args["PUBLISH_NAME"], "shop");
        assert_eq!(s.args["PUBLISH_TAG"], "v1.2.3");
        assert_eq!(s.args["SERVER_DICT"], "10.0.0.1,10.0.0.2,10.0.0.3");
        assert_eq!(s.args["PUBLISH_PATH"], "/srv/shop");
        assert_eq!(s.args["REPOSITORY"], "git@example.com:shop.git");
        assert_eq!(s.args["HEALTH_URL"], "http://127.0.0.1/h");
        assert_eq!(s.args["REGISTRY_TOKEN"], "tok-123");
        assert_eq!(s.args["RELEASE_NOTES"], "fixes");
        assert_eq!(
            s.extra["secret_args"],
            serde_json::json!(["REGISTRY_TOKEN"])
        );
        assert!(
            s.secret_arg_names(c.template(9100).unwrap())
                .contains("REGISTRY_TOKEN")
        );
        assert_eq!(
            good().choices(&c).apps,
            vec!["shop".to_string()],
            "vault is bob's only"
        );
    }

    #[test]
    fn bad_input_is_named() {
        let c = ctx();
        let e = AppPublishForm::default().validate(&c).unwrap_err();
        assert!(e.has_field("app") && e.has_field("tag"), "{e}");
        let f = AppPublishForm {
            app: "vault".into(),
            tag: "v 1".into(),
            args: vec![ArgRow::new("PUBLISH_TAG", "x")],
            exec_time: "2026-01-01 25:00".into(),
            approvers: vec!["ghost".into()],
            ..AppPublishForm::default()
        };
        let msg = f.validate(&c).unwrap_err().to_string();
        for want in [
            "alice may not publish `vault`",
            "`v 1` contains spaces",
            "`PUBLISH_TAG` is set from the app",
            "exec_time: cannot read",
            "unknown user `ghost`",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
        let f = AppPublishForm {
            app: "nope".into(),
            ..good()
        };
        assert!(
            f.validate(&c)
                .unwrap_err()
                .to_string()
                .contains("unknown app `nope`")
        );
        let mut c = ctx();
        c.config.concurrency = 2;
        assert!(
            good()
                .validate(&c)
                .unwrap_err()
                .to_string()
                .contains("concurrency cap of 2")
        );
    }
}
