//! Slow log digest and streamed statements on arbitrary bytes: never a panic, and the streamed
//! statements are exactly `split`'s.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::sql;
use opsdeck::sql::digest::Digest;
use opsdeck::sql::slowlog::SlowLogReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = SlowLogReader::with_max(std::io::BufReader::with_capacity(64, data), 4096);
    let mut digest = Digest::default();
    for ev in reader.by_ref().flatten() {
        digest.add(&ev);
    }
    let skipped = reader
        .skipped()
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let report = digest.report(Some(5), skipped);
    assert!(report.classes.len() <= 5);
    if let Ok(s) = std::str::from_utf8(data) {
        let streamed: Vec<String> =
            sql::StatementReader::new(std::io::BufReader::with_capacity(16, data))
                .map_while(Result::ok)
                .collect();
        let whole: Vec<String> = sql::split(s).into_iter().map(|st| st.text).collect();
        assert_eq!(streamed, whole);
    }
});
