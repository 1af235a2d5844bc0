//! Native TOML inventories.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = opsdeck::inventory::native::load_toml_str(s, "fuzz.toml");
    }
});
