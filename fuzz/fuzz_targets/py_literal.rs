//! CODO's Python literals: the parser answers a value or an error, in bounded time and depth.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = opsdeck::modules::pyliteral::parse(s);
    }
});
