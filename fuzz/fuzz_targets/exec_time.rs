//! Exec times in a fixed zone, and the DST-fold note.
#![no_main]
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use opsdeck::model::time::{ambiguity_note_in, parse_exec_time_in};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let now = Utc.timestamp_opt(1_800_000_000, 0).single().expect("now");
        let _ = parse_exec_time_in(s, now, &Utc);
        let _ = ambiguity_note_in(s, &Utc);
    }
});
