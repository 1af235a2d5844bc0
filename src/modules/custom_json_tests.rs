//! Tests of the CODO JSON module: the sample verbatim, Python-literal edge cases, and every malformed field.

use super::*;
use crate::config::Config;
use crate::model::Inventory;
use crate::modules::testutil::{CODO_TEMPLATE, ctx, templates};

const SAMPLE: &str = include_str!("../../tests/fixtures/codo-task.json");

fn codo_ctx() -> ModuleContext {
    let inv: Inventory = toml::from_str(
        "[[hosts]]\nname = \"local\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n",
    )
    .unwrap();
    let tpl = toml::from_str(CODO_TEMPLATE).unwrap();
    ModuleContext::new(inv, vec![tpl], Config::default(), "tester")
}

fn doc(fields: &str) -> String {
    format!(
        r#"{{"task_name": "t", "submitter": "s", "temp_id": 1, "schedule": "ready",
            "exec_time": "+1m", "args": "{{'VERSION': 'v1'}}", "hosts": "{{1: '10.0.0.1'}}"{fields}}}"#
    )
}

fn with(field: &str, value: &str) -> String {
    let mut v: Json = serde_json::from_str(&doc("")).unwrap();
    v[field] = serde_json::from_str(value).unwrap();
    v.to_string()
}

fn spec(json: &str) -> Result<TaskSpec, Invalid> {
    CustomJsonForm::new(json, "").to_spec(&ctx())
}

#[test]
fn the_codo_sample_is_accepted_verbatim() {
    let c = codo_ctx();
    let (s, adhoc) = CustomJsonForm::new(SAMPLE, "")
        .to_spec_with_hosts(&c)
        .unwrap();
    assert!(adhoc.is_empty());
    assert_eq!(s.name, "任务名称");
    assert_eq!(s.template_id, 1);
    assert_eq!(
        s.submitter, "tester",
        "the real submitter is the authenticated user"
    );
    assert_eq!(s.extra["codo"]["submitter"], "提交人");
    assert_eq!(s.args["VERSION"], "eeee");
    assert_eq!(s.args["arg02"], "xxxx");
    assert_eq!(s.hosts[&1], vec!["local".to_string()]);
    // `schedule: ready` runs without approval: the associated users are kept, not approvers.
    assert!(s.approvers.is_empty());
    assert_eq!(
        s.extra["codo"]["associated_user"],
        "{'group-1': ['杨红飞']}"
    );
    assert!(!s.needs_approval, "schedule ready runs without approval");
    assert_eq!(s.details, "这里是备注");
    assert_eq!(s.module, ModuleKind::CustomJson);
    assert_eq!(crate::model::fmt_local(s.exec_time), "2018-11-27 14:09:50");
    // The override wins.
    let s = CustomJsonForm::new(SAMPLE, "+1h").to_spec(&c).unwrap();
    assert!(s.exec_time > c.now);
    // schedule new needs approval.
    let s = CustomJsonForm::new(SAMPLE.replace("\"ready\"", "\"new\""), "")
        .to_spec(&c)
        .unwrap();
    assert!(s.needs_approval);
}

#[test]
fn plain_json_objects_and_numbers_are_accepted() {
    let j = with("hosts", r#"{"1": ["10.0.0.1", "h2"]}"#);
    let j: Json = serde_json::from_str(&j).unwrap();
    let mut j = j;
    j["args"] = serde_json::json!({"VERSION": 7, "arg02": true});
    let s = spec(&j.to_string()).unwrap();
    assert_eq!(s.hosts[&1], vec!["h1".to_string(), "h2".to_string()]);
    assert_eq!(s.args["VERSION"], "7");
    assert_eq!(s.args["arg02"], "true");
}

#[test]
fn python_literal_edge_cases() {
    // 'ip1,ip2' strings, tuples, lists, repeats.
    let s = spec(&with("hosts", r#""{1: '10.0.0.1, 10.0.0.2'}""#)).unwrap();
    assert_eq!(s.hosts[&1], vec!["h1".to_string(), "h2".to_string()]);
    let s = spec(&with("hosts", r#""{1: ('10.0.0.1', 'h3,10.0.0.1')}""#)).unwrap();
    assert_eq!(s.hosts[&1], vec!["h1".to_string(), "h3".to_string()]);
    // None and True in args; nested quotes and escapes.
    let s = spec(&with(
        "args",
        r#""{'VERSION': \"it's \\\"quoted\\\"\", 'arg02': None}""#,
    ))
    .unwrap();
    assert_eq!(s.args["VERSION"], "it's \"quoted\"");
    assert_eq!(s.args["arg02"], "");
    let s = spec(&with("args", r#""{'VERSION': True, 'arg02': 1.5}""#)).unwrap();
    assert_eq!(s.args["VERSION"], "true");
    assert_eq!(s.args["arg02"], "1.5");
    // A trailing comma and a tuple of approvers (`schedule: new`: they approve).
    let mut doc: Json = serde_json::from_str(&with(
        "associated_user",
        r#""{'g1': ('bob',), 'g2': 'root, bob',}""#,
    ))
    .unwrap();
    doc["schedule"] = "new".into();
    let s = spec(&doc.to_string()).unwrap();
    assert!(s.needs_approval);
    assert_eq!(s.approvers, vec!["bob".to_string(), "root".to_string()]);
}

#[test]
fn every_malformed_field_gets_a_precise_error() {
    let e = spec(&with("args", r#""{'VERSION': 'v1'""#)).unwrap_err();
    assert!(
        e.has_field("args") && e.to_string().contains("bad Python literal"),
        "{e}"
    );
    let e = spec(&with("args", r#""['a']""#)).unwrap_err();
    assert!(e.to_string().contains("args: expected a dict"), "{e}");
    let e = spec(&with("args", r#""{'VERSION': ['a']}""#)).unwrap_err();
    assert!(e.has_field("args.VERSION"), "{e}");
    let e = spec(&with("hosts", r#""{1: 1+2j}""#)).unwrap_err();
    assert!(e.to_string().contains("complex"), "{e}");
    let e = spec(&with("temp_id", r#""abc""#)).unwrap_err();
    assert!(
        e.has_field("temp_id") && e.to_string().contains("not a template id"),
        "{e}"
    );
    let e = spec(&with("temp_id", "999")).unwrap_err();
    assert!(e.to_string().contains("unknown template 999"), "{e}");
    let e = spec(&with("schedule", r#""later""#)).unwrap_err();
    assert!(
        e.to_string()
            .contains("`later` is not accepted; use `ready`"),
        "{e}"
    );
    let e = spec(&with("exec_time", r#""2018-13-01 00:00:00""#)).unwrap_err();
    assert!(
        e.has_field("exec_time") && e.to_string().contains("+10m"),
        "{e}"
    );
    let e = spec(&with("hosts", r#""{2: '10.0.0.1'}""#)).unwrap_err();
    assert!(e.to_string().contains("there is no group 2"), "{e}");
    assert!(e.to_string().contains("needs hosts for group 1"), "{e}");
    let e = spec(&with("hosts", r#""{'x': '10.0.0.1'}""#)).unwrap_err();
    assert!(
        e.to_string().contains("`x` is not a host group number"),
        "{e}"
    );
    let e = spec(&with("hosts", r#""{1: '10.9.9.9'}""#)).unwrap_err();
    assert!(
        e.to_string().contains("`10.9.9.9` is not in the inventory"),
        "{e}"
    );
    let e = spec(&with("hosts", "null")).unwrap_err();
    assert!(e.to_string().contains("hosts: is missing"), "{e}");
    // With `schedule: ready` associated users are only kept; with `new` they must be approvers.
    assert!(spec(&with("associated_user", r#""{'g': ['carol']}""#)).is_ok());
    let mut new: Json =
        serde_json::from_str(&with("associated_user", r#""{'g': ['carol']}""#)).unwrap();
    new["schedule"] = "new".into();
    let e = spec(&new.to_string()).unwrap_err();
    assert!(
        e.to_string().contains("`carol` has the operator role"),
        "{e}"
    );
    let e = spec(&with("task_name", "[1]")).unwrap_err();
    assert!(e.has_field("task_name"), "{e}");
    let e = spec("{not json").unwrap_err();
    assert!(
        e.has_field("json") && e.to_string().contains("line 1"),
        "{e}"
    );
    let e = CustomJsonForm::new(doc(""), "whenever")
        .to_spec(&ctx())
        .unwrap_err();
    assert!(e.has_field("exec_time_override"), "{e}");
    // Several problems at once.
    let mut j: Json = serde_json::from_str(&doc("")).unwrap();
    j["schedule"] = "x".into();
    j["temp_id"] = "0x".into();
    j["hosts"] = "{1: ".into();
    let e = spec(&j.to_string()).unwrap_err();
    for f in ["schedule", "temp_id", "hosts"] {
        assert!(e.has_field(f), "{f}: {e}");
    }
}

#[test]
fn the_cap_and_ad_hoc_hosts() {
    let mut c = ctx();
    c.config.concurrency = 1;
    let e = CustomJsonForm::new(with("hosts", r#""{1: '10.0.0.1,10.0.0.2'}""#), "")
        .to_spec(&c)
        .unwrap_err();
    assert!(
        e.to_string().contains("exceed the concurrency cap of 1"),
        "{e}"
    );
    let mut c = ctx();
    c.config.allow_adhoc_hosts = true;
    c.config.default_exec_user = Some("deploy".into());
    let (s, adhoc) = CustomJsonForm::new(with("hosts", r#""{1: '10.9.9.9,10.0.0.1'}""#), "")
        .to_spec_with_hosts(&c)
        .unwrap();
    assert_eq!(s.hosts[&1], vec!["10.9.9.9".to_string(), "h1".to_string()]);
    assert_eq!(adhoc.len(), 1);
    assert_eq!(adhoc[0].address, "10.9.9.9");
    assert_eq!(adhoc[0].exec_user.as_deref(), Some("deploy"));
    assert_eq!(adhoc[0].connection, Connection::Ssh);
    assert!(templates().iter().any(|t| t.id == 1));
}
