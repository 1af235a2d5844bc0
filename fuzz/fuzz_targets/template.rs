//! Templates: load, validate, warnings, and the quoting scan of every command.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(t) = opsdeck::templates::load_template_str(s, "fuzz.toml") {
            let _ = opsdeck::templates::template_warnings(&t, s, "fuzz.toml");
        }
        let _ = opsdeck::model::template::quoted_placeholders(s);
    }
});
