//! CODO task JSON through the JSON module against a small inventory and template.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use opsdeck::config::Config;
use opsdeck::model::{Inventory, Template};
use opsdeck::modules::{CustomJsonForm, ModuleContext};

static CTX: LazyLock<ModuleContext> = LazyLock::new(|| {
    let inv: Inventory = toml::from_str(
        "[[hosts]]\nname = \"h1\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n",
    )
    .expect("inventory");
    let tpl: Template = toml::from_str(
        "id = 1\nname = \"t\"\n[[args]]\nname = \"VERSION\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"s\"\ncommand = \"echo ${VERSION}\"\n",
    )
    .expect("template");
    ModuleContext::new(inv, vec![tpl], Config::default(), "fuzz")
});

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = CustomJsonForm::new(s, "").to_spec_with_hosts(&CTX);
    }
});
