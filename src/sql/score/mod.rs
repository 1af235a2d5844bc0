//! SOAR-compatible SQL score: every rule of `sql-rules.md` that needs no live database, one
//! function per rule and one file per rule family, the score formula, supersession and stars.

mod alias;
mod alter;
mod arg;
mod clause;
mod column;
mod distinct;
#[cfg(test)]
mod findings_tests;
mod function;
mod group;
mod join;
mod key;
mod keyword;
mod literal;
mod lock;
mod result;
pub mod rule;
mod security;
pub mod soar;
mod style;
mod subquery;
mod table;
#[cfg(test)]
mod testutil;
pub mod walk;

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use super::check::{CheckedStatement, Diagnostic, Parsed, Status, check_each};
use super::split::Position;
use crate::model::Lang;
pub use rule::{Check, Ctx, Hit, Rule, Text};

/// Thresholds and lists of the configurable rules (SOAR's defaults).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreOptions {
    /// ARG.005: most values in one IN list.
    pub max_in_count: usize,
    /// ARG.012: most rows in one INSERT/REPLACE.
    pub max_value_count: usize,
    /// COL.006: most columns in one table.
    pub max_col_count: usize,
    /// COL.007: most TEXT/BLOB columns in one table.
    pub max_text_cols_count: usize,
    /// COL.017: longest VARCHAR.
    pub max_varchar_length: u64,
    /// COL.018: column types that are not allowed (lower case).
    pub column_not_allow_type: Vec<String>,
    /// DIS.001: most DISTINCT keywords in one SELECT statement.
    pub max_distinct_count: usize,
    /// JOI.005: most tables joined in one SELECT.
    pub max_join_table_count: usize,
    /// KEY.005: most indexes in one table.
    pub max_idx_count: usize,
    /// KEY.006: most primary key columns.
    pub max_primary_key_cols: usize,
    /// TBL.002: storage engines allowed (lower case).
    pub allow_engines: Vec<String>,
    /// TBL.005: character sets allowed (lower case).
    pub allow_charsets: Vec<String>,
    /// TBL.008: collations allowed (lower case); empty allows any.
    pub allow_collates: Vec<String>,
    /// CLA.012: statements longer than this many characters are "spaghetti".
    pub spaghetti_query_length: usize,
    /// STA.003: prefix of ordinary index names.
    pub idx_prefix: String,
    /// STA.003: prefix of unique index names.
    pub uk_prefix: String,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            max_in_count: 10,
            max_value_count: 100,
            max_col_count: 40,
            max_text_cols_count: 2,
            max_varchar_length: 1024,
            column_not_allow_type: vec!["boolean".into()],
            max_distinct_count: 5,
            max_join_table_count: 5,
            max_idx_count: 10,
            max_primary_key_cols: 3,
            allow_engines: vec!["innodb".into()],
            allow_charsets: vec!["utf8".into(), "utf8mb4".into()],
            allow_collates: Vec::new(),
            spaghetti_query_length: 2048,
            idx_prefix: "idx_".into(),
            uk_prefix: "uk_".into(),
        }
    }
}

/// One finding about one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// SOAR id, e.g. `CLA.001`; `OK` when the statement has no finding.
    pub id: String,
    /// 0..=9.
    pub level: u8,
    /// `L0`..`L9`.
    pub severity: String,
    pub summary: String,
    /// Why, and what to do instead.
    pub explanation: String,
    /// Where in the input (absolute line and column), when the rule can tell.
    pub position: Option<Position>,
    /// The column, value or name concerned, when there is one.
    pub detail: Option<String>,
}

/// The score of one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementScore {
    /// 1-based statement number.
    pub number: usize,
    pub text: String,
    pub start: Position,
    /// 0..=100.
    pub score: u32,
    /// score / 20, 0.0..=5.0.
    pub stars: f64,
    /// Sorted by id; a single `OK` finding when there is nothing to report.
    pub findings: Vec<Finding>,
}

/// The result of [`score`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    /// The lowest statement score (the worst statement decides); 100 for empty input.
    pub score: u32,
    pub stars: f64,
    pub statements: Vec<StatementScore>,
    /// Rules that need a live database and were not applied.
    pub skipped: Vec<String>,
}

impl ScoreReport {
    /// Findings of every statement that are not `OK`.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.statements
            .iter()
            .flat_map(|s| s.findings.iter())
            .filter(|f| f.id != "OK")
    }
}

/// Every rule, in id order.
pub fn rules() -> Vec<&'static Rule> {
    let families: [&'static [Rule]; 18] = [
        alias::RULES,
        alter::RULES,
        arg::RULES,
        clause::RULES,
        column::RULES,
        distinct::RULES,
        function::RULES,
        group::RULES,
        join::RULES,
        key::RULES,
        keyword::RULES,
        lock::RULES,
        literal::RULES,
        result::RULES,
        security::RULES,
        style::RULES,
        subquery::RULES,
        table::RULES,
    ];
    let mut all: Vec<&Rule> = families.iter().flat_map(|f| f.iter()).collect();
    all.sort_by_key(|r| r.id);
    all
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().into_iter().find(|r| r.id == id)
}

/// ERR.000: the statement does not parse.
pub const ERR_000: Rule = Rule {
    id: "ERR.000",
    level: 0,
    summary: Text {
        en: "the statement does not parse",
        zh: "语句无法解析",
    },
    explain: Text {
        en: "The statement has a syntax error, so it scores 0 and no other rule applies. Fix the error `opsdeck sql check` reports first.",
        zh: "语句有语法错误，得 0 分，其他规则不再检查。请先修正 `opsdeck sql check` 报告的错误。",
    },
    check: None,
};

/// `(superseding, superseded)`: when the first is found the second is dropped before summing.
const SUPERSEDES: &[(&str, &str)] = &[
    ("KWR.001", "ERR.000"),
    ("SUB.001", "ARG.005"),
    ("SUB.001", "JOI.006"),
    ("SUB.004", "SUB.001"),
    ("KEY.007", "KEY.002"),
    ("JOI.002", "JOI.006"),
    ("JOI.008", "JOI.007"),
];

/// Scores every statement of `sql`, keeping every statement's findings (see [`score_each`] for
/// a large script).
pub fn score(sql: &str, opts: &ScoreOptions, lang: Lang) -> ScoreReport {
    let mut statements = Vec::new();
    let totals = score_each(sql, opts, lang, |st| statements.push(st));
    ScoreReport {
        score: totals.score,
        stars: totals.stars,
        statements,
        skipped: totals.skipped,
    }
}

/// What [`score_each`] returns once every statement has been handed over.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTotals {
    /// The lowest statement score; 100 for empty input.
    pub score: u32,
    pub stars: f64,
    /// How many statements were scored.
    pub statements: usize,
    /// True when any statement does not parse (has ERR.000).
    pub parse_error: bool,
    /// Rules that need a live database and were not applied.
    pub skipped: Vec<String>,
}

/// Scores every statement of `sql` and hands each one's score to `emit` as soon as it is
/// known, keeping nothing of it: memory stays bounded by the input and one statement.
pub fn score_each(
    sql: &str,
    opts: &ScoreOptions,
    lang: Lang,
    emit: impl FnMut(StatementScore),
) -> ScoreTotals {
    super::limits::with_stack(|| score_each_on_stack(sql, opts, lang, emit))
}

fn score_each_on_stack(
    sql: &str,
    opts: &ScoreOptions,
    lang: Lang,
    mut emit: impl FnMut(StatementScore),
) -> ScoreTotals {
    let rules = rules();
    let offline: Vec<(&Rule, Check)> = rules
        .iter()
        .filter_map(|r| r.check.map(|c| (*r, c)))
        .collect();
    // The tables ALTERed by the statements already scored, for ALT.002.
    let mut altered = BTreeSet::new();
    let mut totals = ScoreTotals {
        score: 100,
        stars: 5.0,
        statements: 0,
        parse_error: false,
        skipped: rules
            .iter()
            .filter(|r| r.check.is_none())
            .map(|r| r.id.to_string())
            .collect(),
    };
    // Each statement is split, tokenised and parsed once, by the check; the rules reuse it.
    check_each(sql, lang, |one| {
        let Some(p) = one.parsed else {
            return;
        };
        let st = score_one(
            &one.statement,
            &one.errors,
            &p,
            &offline,
            &altered,
            opts,
            lang,
        );
        if let Some(name) = alter::altered_table(&p.toks) {
            altered.insert(name);
        }
        totals.statements += 1;
        totals.score = totals.score.min(st.score);
        totals.parse_error |= st.findings.iter().any(|f| f.id == ERR_000.id);
        emit(st);
    });
    totals.stars = f64::from(totals.score) / 20.0;
    totals
}

/// The score of one checked statement.
fn score_one(
    cs: &CheckedStatement,
    errors: &[Diagnostic],
    p: &Parsed,
    offline: &[(&'static Rule, Check)],
    altered: &BTreeSet<String>,
    opts: &ScoreOptions,
    lang: Lang,
) -> StatementScore {
    let st = &p.split;
    let mut found: Vec<(&Rule, Hit)> = Vec::new();
    let ast = if cs.status == Status::Ok {
        p.ast.as_ref()
    } else {
        None
    };
    if cs.status == Status::Error {
        let err = errors.first().map(|d| match d.id {
            // A limit says where it was crossed: the statement may be one long line.
            super::MessageId::Limit => {
                format!(
                    "{} (at {}:{})",
                    d.message, d.position.line, d.position.column
                )
            }
            _ => d.message.clone(),
        });
        found.push((
            &ERR_000,
            Hit {
                at: None,
                detail: err,
            },
        ));
    }
    // A statement refused by a limit (too large, too deep) gets no rule: they would walk it.
    let limited = errors.iter().any(|d| d.id == super::MessageId::Limit);
    if !limited {
        let ctx = Ctx {
            text: &st.text,
            toks: &p.toks,
            ast,
            terminated: st.terminated,
            delimiter: &st.delimiter,
            opts,
            altered,
        };
        let mut run = || {
            for (r, check) in offline {
                for h in check(&ctx) {
                    found.push((r, h));
                }
            }
        };
        match ast {
            Some(stmt) => walk::with_census(stmt, run),
            None => run(),
        }
    }
    let ids: Vec<&str> = found.iter().map(|(r, _)| r.id).collect();
    found.retain(|(r, _)| {
        !SUPERSEDES
            .iter()
            .any(|(by, gone)| *gone == r.id && ids.contains(by))
    });
    let parse_error = found.iter().any(|(r, _)| r.id == ERR_000.id);
    found.sort_by_key(|(r, h)| (r.id, h.at));
    // As SOAR (its findings are a map keyed by rule id): a rule found several times in one
    // statement costs its level once.
    let mut sum = 0u32;
    let mut last = "";
    for (r, _) in &found {
        if r.id != last {
            sum += u32::from(r.level);
            last = r.id;
        }
    }
    let score = if parse_error {
        0
    } else {
        100u32.saturating_sub(5 * sum)
    };
    let mut findings: Vec<Finding> = found
        .into_iter()
        .map(|(r, h)| Finding {
            id: r.id.to_string(),
            level: r.level,
            severity: format!("L{}", r.level),
            summary: r.summary.get(lang).to_string(),
            explanation: r.explain.get(lang).to_string(),
            position: h.at.map(|at| absolute(st.start, at)),
            detail: h.detail,
        })
        .collect();
    if findings.is_empty() {
        findings.push(ok_finding());
    }
    StatementScore {
        number: cs.number,
        text: st.text.clone(),
        start: st.start,
        score,
        stars: f64::from(score) / 20.0,
        findings,
    }
}

fn ok_finding() -> Finding {
    Finding {
        id: "OK".into(),
        level: 0,
        severity: "L0".into(),
        summary: "OK".into(),
        explanation: "OK".into(),
        position: None,
        detail: None,
    }
}

/// A statement-relative (line, column) as a position in the whole input.
fn absolute(start: Position, (line, col): (usize, usize)) -> Position {
    if line <= 1 {
        Position {
            line: start.line,
            column: start.column + col.max(1) - 1,
        }
    } else {
        Position {
            line: start.line + line - 1,
            column: col,
        }
    }
}

/// Stars as text: `★★★★☆` for 4.0, half stars rounded down.
pub fn star_string(stars: f64) -> String {
    let full = stars.floor().clamp(0.0, 5.0) as usize;
    format!("{}{}", "★".repeat(full), "☆".repeat(5 - full))
}

#[cfg(test)]
mod tests {
    use super::testutil::ids;
    use super::*;

    #[test]
    fn every_rule_of_the_table_exists_once_with_its_level() {
        let table = include_str!("../../../docs/sql-rules.md");
        let mut expected = Vec::new();
        for line in table.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() > 3
                && cells[1].len() == 7
                && cells[1].as_bytes()[3] == b'.'
                && let Some(l) = cells[2].strip_prefix('L')
            {
                expected.push((cells[1].to_string(), l.parse::<u8>().unwrap()));
            }
        }
        assert!(expected.len() > 130, "{}", expected.len());
        let have: Vec<(String, u8)> = rules()
            .iter()
            .map(|r| (r.id.to_string(), r.level))
            .collect();
        for e in &expected {
            assert!(have.contains(e), "missing or wrong level: {e:?}");
        }
        assert_eq!(have.len(), expected.len(), "rules not in the table");
    }

    #[test]
    fn every_rule_has_texts_in_both_languages() {
        for r in rules() {
            for t in [r.summary, r.explain] {
                assert!(!t.en.is_empty() && !t.zh.is_empty(), "{}", r.id);
                assert!(t.zh.chars().any(|c| c as u32 > 0x2E80), "{} zh", r.id);
            }
        }
    }

    #[test]
    fn clean_statement_reports_ok_and_100() {
        let r = score(
            "SELECT id, name FROM users WHERE id = 1;",
            &ScoreOptions::default(),
            Lang::En,
        );
        assert_eq!(r.score, 100, "{:?}", ids(&r));
        assert_eq!(r.statements[0].findings[0].id, "OK");
        assert_eq!(r.stars, 5.0);
    }

    #[test]
    fn unparsable_statement_scores_zero_with_err_000() {
        let r = score("SELEC 1;", &ScoreOptions::default(), Lang::En);
        assert_eq!(r.score, 0);
        assert!(ids(&r).contains(&"ERR.000".to_string()));
    }

    #[test]
    fn score_is_100_minus_five_times_levels_floored_at_zero() {
        let distinct_sum = |r: &ScoreReport| {
            let mut d: Vec<(&str, u8)> = r.findings().map(|f| (f.id.as_str(), f.level)).collect();
            d.dedup();
            d.iter().map(|(_, l)| u32::from(*l)).sum::<u32>()
        };
        let r = score("SELECT * FROM t;", &ScoreOptions::default(), Lang::En);
        let sum = distinct_sum(&r);
        assert!(sum > 0);
        assert_eq!(r.score, 100u32.saturating_sub(5 * sum));
        let many = "SELECT * FROM a, b LEFT JOIN c ON a.x=c.x WHERE a.x LIKE '%q' OR a.x LIKE '%r' \
                    ORDER BY RAND() LIMIT 10, 20;";
        let r = score(many, &ScoreOptions::default(), Lang::En);
        assert_eq!(r.score, 100u32.saturating_sub(5 * distinct_sum(&r)));
    }

    #[test]
    fn a_rule_found_several_times_costs_its_level_once() {
        // SOAR (advisor/rules.go, FormatSuggest/formatJSON) keys findings by rule id, so each
        // rule found in a statement subtracts 5 x its level once.
        let r = score(
            "SELECT a FROM t WHERE LOWER(b) = 'x' AND UPPER(c) = 'Y' AND 1 = 1;",
            &ScoreOptions::default(),
            Lang::En,
        );
        let fun: Vec<_> = r.findings().filter(|f| f.id == "FUN.001").collect();
        assert_eq!(fun.len(), 2, "{:?}", ids(&r));
        let mut distinct: Vec<(&str, u8)> =
            r.findings().map(|f| (f.id.as_str(), f.level)).collect();
        distinct.dedup();
        let sum: u32 = distinct.iter().map(|(_, l)| u32::from(*l)).sum();
        let all: u32 = r.findings().map(|f| u32::from(f.level)).sum();
        assert!(all > sum);
        assert_eq!(r.score, 100 - 5 * sum);
    }

    #[test]
    fn positions_are_absolute_in_the_input() {
        let r = score(
            "SELECT 1;\n\nSELECT *\nFROM t;",
            &ScoreOptions::default(),
            Lang::En,
        );
        let col = r.statements[1]
            .findings
            .iter()
            .find(|f| f.id == "COL.001")
            .expect("COL.001");
        assert_eq!(col.position, Some(Position { line: 3, column: 8 }));
    }

    #[test]
    fn findings_follow_the_language() {
        let en = score("SELECT * FROM t;", &ScoreOptions::default(), Lang::En);
        let zh = score("SELECT * FROM t;", &ScoreOptions::default(), Lang::Zh);
        let f = |r: &ScoreReport| {
            r.findings()
                .find(|f| f.id == "COL.001")
                .map(|f| f.summary.clone())
        };
        assert_ne!(f(&en), f(&zh));
        assert!(f(&zh).unwrap().chars().any(|c| c as u32 > 0x2E80));
    }

    #[test]
    fn superseded_findings_are_dropped_before_summing() {
        for (by, gone) in SUPERSEDES {
            assert!(rule(by).is_some(), "{by}");
            assert!(rule(gone).is_some() || *gone == "ERR.000", "{gone}");
        }
        let r = score(
            "SELECT id FROM t WHERE id IN (SELECT id FROM u WHERE u.x IN (1,2,3,4,5,6,7,8,9,10,11,12));",
            &ScoreOptions::default(),
            Lang::En,
        );
        let ids = ids(&r);
        assert!(ids.contains(&"SUB.001".to_string()), "{ids:?}");
        assert!(!ids.contains(&"ARG.005".to_string()), "{ids:?}");
        assert!(!ids.contains(&"JOI.006".to_string()), "{ids:?}");
    }
}
