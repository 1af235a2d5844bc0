//! The findings of every statement of the SQL test corpora, compared with a recorded list
//! (`tests/fixtures/sql/score_findings.txt`): a change to how rules walk the tree must not
//! change what they find. After a deliberate change of a rule, record the list again with
//! `OPSDECK_RECORD_FINDINGS=1 cargo test --lib sql::score::findings_tests` and review its diff.

use crate::model::Lang;

const CORPORA: &[(&str, &str)] = &[
    (
        "corpus.sql",
        include_str!("../../../tests/fixtures/sql/corpus.sql"),
    ),
    (
        "hand.sql",
        include_str!("../../../tests/fixtures/sql/hand.sql"),
    ),
    (
        "mysql_families.sql",
        include_str!("../../../tests/fixtures/sql/mysql_families.sql"),
    ),
];

const RECORDED: &str = "tests/fixtures/sql/score_findings.txt";

/// One line per statement: file, number, score, then each finding's id, position and detail.
fn listing() -> String {
    let mut out = String::new();
    for (name, sql) in CORPORA {
        super::score_each(sql, &Default::default(), Lang::En, |st| {
            out.push_str(&format!("{name} #{} {}", st.number, st.score));
            for f in &st.findings {
                out.push_str(&format!(" {}", f.id));
                if let Some(p) = f.position {
                    out.push_str(&format!("@{}:{}", p.line, p.column));
                }
                if let Some(d) = &f.detail {
                    out.push_str(&format!("[{}]", d.replace('\n', "\\n")));
                }
            }
            out.push('\n');
        });
    }
    out
}

#[test]
fn the_corpora_get_the_recorded_findings() {
    let now = listing();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDED);
    if std::env::var_os("OPSDECK_RECORD_FINDINGS").is_some() {
        std::fs::write(&path, &now).expect("write the recorded findings");
        return;
    }
    let recorded = std::fs::read_to_string(&path).expect("the recorded findings");
    assert!(now.lines().count() > 1_000, "too few statements scored");
    for (n, (a, b)) in recorded.lines().zip(now.lines()).enumerate() {
        assert_eq!(a, b, "line {} of {RECORDED} differs", n + 1);
    }
    assert_eq!(
        recorded.lines().count(),
        now.lines().count(),
        "{RECORDED}: statement count"
    );
}
