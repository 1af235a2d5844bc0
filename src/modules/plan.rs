//! A dry run of a spec: per host group, per host, per step, the exact command that would run, secrets masked.

pub use crate::exec::plan::PlannedStep;
use crate::model::{Inventory, TaskSpec, Template};

/// Every step for every host as the engine will run it, secrets masked (`exec::plan::dry_run`):
/// template defaults, then the spec's args, then `SERVER_IP`/`SERVER_HOST` of the host unless the
/// spec sets them; `FLOW_ID` shows as `<id>` and captured args as `<captured NAME>`.
pub fn plan(spec: &TaskSpec, tpl: &Template, inv: &Inventory) -> Vec<PlannedStep> {
    crate::exec::plan::dry_run(spec, tpl, inv)
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
