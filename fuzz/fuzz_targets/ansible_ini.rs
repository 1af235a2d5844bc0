//! Ansible INI inventories: every input loads or gets line-numbered problems.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = opsdeck::inventory::ansible::load_ansible_str(s, "fuzz.ini");
    }
});
