//! SQL toolkit on arbitrary text: split, check, score, fingerprint, format, advise never panic
//! or overflow the stack.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::model::Lang;
use opsdeck::sql;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for st in sql::split(s) {
        let _ = sql::fingerprint(&st.text);
        let _ = sql::format_statement(&st.text);
    }
    let _ = sql::check(s);
    let _ = sql::score::score(s, &sql::score::ScoreOptions::default(), Lang::En);
    let _ = sql::advise::advise(s, None, Lang::En);
    let _ = sql::format(s);
});
