//! A plain-data `ModuleContext` for the modules' unit tests: built-in templates, a CODO-style template 1, a small inventory.

use super::ModuleContext;
use crate::config::Config;
use crate::model::{Inventory, Template};

pub const INVENTORY: &str = r#"
[[hosts]]
name = "h1"
address = "10.0.0.1"
[[hosts]]
name = "h2"
address = "10.0.0.2"
[[hosts]]
name = "h3"
address = "10.0.0.3"
[[hosts]]
name = "p1"
address = "10.0.1.1"
[[hosts]]
name = "b1"
address = "10.0.2.1"
[[hosts]]
name = "cp1"
address = "10.0.3.1"
[[hosts]]
name = "n1"
address = "10.0.3.2"
[[hosts]]
name = "localhost"
address = "127.0.0.1"
connection = "local"

[[tags]]
name = "web"
hosts = ["h1", "h2"]
proxy = "p1"
[[tags]]
name = "db"
hosts = ["h3", "h2"]
proxy = "p1"
[[tags]]
name = "secret"
hosts = ["h3"]
users = ["bob"]
[[tags]]
name = "k8s"
hosts = ["cp1"]

[[apps]]
name = "shop"
repository = "git@example.com:shop.git"
template = 9100
tag = "web"
hosts = ["h3"]
build_host = "b1"
publish_path = "/srv/shop"
fields = { health_url = "http://127.0.0.1/h", registry_token = "tok-123" }
secret_fields = ["registry_token"]
[[apps]]
name = "vault"
template = 9100
tag = "web"
build_host = "b1"
allowed_users = ["bob"]

[[users]]
name = "alice"
role = "operator"
[[users]]
name = "bob"
role = "approver"
[[users]]
name = "carol"
role = "operator"
[[users]]
name = "root"
role = "admin"
"#;

pub const CODO_TEMPLATE: &str = r#"
id = 1
name = "codo example"
[[args]]
name = "VERSION"
required = true
[[args]]
name = "arg02"
default = ""
[[steps]]
group = 1
level = 1
name = "show"
command = "echo ${VERSION} ${arg02}"
"#;

pub const TWO_GROUP_TEMPLATE: &str = r#"
id = 2
name = "two groups"
[[steps]]
group = 1
level = 1
name = "a"
command = "echo a"
[[steps]]
group = 2
level = 1
name = "b"
command = "echo b"
"#;

pub fn templates() -> Vec<Template> {
    let mut v = crate::assets::builtin_templates().expect("built-ins load");
    for src in [CODO_TEMPLATE, TWO_GROUP_TEMPLATE] {
        v.push(toml::from_str(src).expect("test template"));
    }
    v
}

pub fn ctx() -> ModuleContext {
    let inv: Inventory = toml::from_str(INVENTORY).expect("test inventory");
    inv.validate().expect("valid test inventory");
    ModuleContext::new(inv, templates(), Config::default(), "alice")
}
