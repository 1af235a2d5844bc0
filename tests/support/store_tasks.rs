//! Tasks made straight in a store, for store-level tests: a one-step template and a scheduled
//! task on host `a`.

use chrono::{DateTime, Utc};
use opsdeck::model::{ModuleKind, Step, TaskSpec, TaskState, Template, Trigger};
use opsdeck::store::Store;

/// Template 1: one ordered step `run` (`true`).
pub fn one_step_template() -> Template {
    Template {
        id: 1,
        name: "t".into(),
        description: String::new(),
        approvers: vec![],
        args: vec![],
        steps: vec![Step {
            group: 1,
            level: 1,
            name: "run".into(),
            command: "true".into(),
            timeout: None,
            trigger: Trigger::Order,
            exec_user: None,
            force_host: None,
            capture: None,
            capture_secret: false,
            stdin: vec![],
        }],
    }
}

/// A scheduled task `name` of template 1 (stored first if missing) on host `a`, due at `at`.
pub fn scheduled_task(store: &Store, name: &str, at: DateTime<Utc>) -> i64 {
    let t = one_step_template();
    let v = match store.template(1, None).unwrap() {
        Some(s) => s.version,
        None => store.put_template(&t, "", "me").unwrap(),
    };
    let spec = TaskSpec {
        name: name.into(),
        module: ModuleKind::Custom,
        submitter: "alice".into(),
        template_id: 1,
        args: Default::default(),
        hosts: [(1, vec!["a".to_string()])].into(),
        exec_time: at,
        approvers: vec![],
        needs_approval: false,
        details: String::new(),
        extra: serde_json::Value::Null,
    };
    store
        .insert_task(&spec, &t, v, TaskState::Scheduled)
        .unwrap()
        .id
}
