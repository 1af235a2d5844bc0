//! Form state tests: errors land under the field they name, arg rows follow the template.

use super::*;
use crate::modules::testutil::ctx;

#[test]
fn errors_go_under_their_fields_and_the_rest_above_the_form() {
    let c = ctx();
    let mut s = FormState::new(Module::Custom, Lang::En, &c);
    let mut e = Invalid::default();
    e.push("args[1].key", "bad name");
    e.push("args.COMMAND", "is required");
    e.push("temp_id", "unknown");
    s.show(&e);
    let args = s.field("args").and_then(|f| f.error.clone()).unwrap();
    assert!(
        args.contains("[1].key: bad name") && args.contains("COMMAND: is required"),
        "{args}"
    );
    assert_eq!(s.general, vec!["temp_id: unknown".to_string()]);
}

#[test]
fn arg_rows_follow_the_chosen_template_and_keep_typed_values() {
    let c = ctx();
    let mut s = FormState::new(Module::Custom, Lang::En, &c);
    s.field_mut("template")
        .unwrap()
        .choose(&template_option(1, "codo example"));
    s.changed(&c);
    let rows = s.field("args").unwrap().rows();
    assert_eq!(
        rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        vec!["VERSION", "arg02"]
    );
    assert!(rows[0].required && !rows[1].required);
    if let Value::Kv { rows, .. } = &mut s.field_mut("args").unwrap().value {
        rows[0].value = "v1".into();
    }
    s.changed(&c);
    assert_eq!(
        s.field("args").unwrap().rows()[0].value,
        "v1",
        "unchanged template keeps values"
    );
    assert_eq!(template_id("9504 Run a shell command"), 9504);
    assert_eq!(template_id("—"), 0);
}
