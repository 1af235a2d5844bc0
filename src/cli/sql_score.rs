//! `opsdeck sql score FILE|-`: each statement's score and findings printed as soon as it is
//! scored (text or JSON), so a large script never holds every statement's findings.

use std::fmt::Write as _;
use std::process::ExitCode;

use opsdeck::model::Lang;
use opsdeck::sql::score::{ScoreOptions, ScoreTotals, StatementScore, score_each, star_string};

use super::tr;

/// Scores `src` (read from `name`) and prints as it goes; exit code 1 when a statement does not
/// parse.
pub fn run(
    src: &str,
    name: &str,
    json: bool,
    verbose: bool,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let opts = ScoreOptions::default();
    let totals = if json {
        // The report's shape, streamed: the statements first (the lowest score is known last).
        crate::out!("{{\n  \"statements\": [");
        let mut first = true;
        let mut failed = None;
        let totals = score_each(src, &opts, lang, |st| {
            if failed.is_some() {
                return;
            }
            match serde_json::to_string_pretty(&st) {
                Ok(text) => {
                    let sep = if first { "\n" } else { ",\n" };
                    first = false;
                    crate::out!("{sep}{}", indent(&text, "    "));
                }
                Err(e) => failed = Some(e),
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        let close = if first { "]" } else { "\n  ]" };
        crate::outln!(
            "{close},\n  \"score\": {},\n  \"stars\": {},\n  \"skipped\": {}\n}}",
            totals.score,
            serde_json::to_string(&totals.stars)?,
            indent(&serde_json::to_string_pretty(&totals.skipped)?, "  ").trim_start()
        );
        totals
    } else {
        let totals = score_each(src, &opts, lang, |st| {
            crate::out!("{}", statement_text(&st, name, lang));
        });
        print_totals(&totals, verbose, lang);
        totals
    };
    Ok(if totals.parse_error {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Every line of `text` with `pad` in front (JSON strings hold no raw newline).
fn indent(text: &str, pad: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(pad);
        out.push_str(line);
    }
    out
}

/// One statement's lines: the score, then each finding with its explanation.
fn statement_text(st: &StatementScore, name: &str, lang: Lang) -> String {
    let first = st.text.lines().next().unwrap_or_default();
    let first: String = first.chars().take(60).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {} ({name}:{}): {} {:.1}  {}/100  {first}",
        tr(lang, "statement", "语句"),
        st.number,
        st.start.line,
        star_string(st.stars),
        st.stars,
        st.score,
    );
    for f in &st.findings {
        if f.id == "OK" {
            s.push_str("  OK\n");
            continue;
        }
        let _ = write!(s, "  {} {}", f.id, f.severity);
        if let Some(p) = f.position {
            let _ = write!(s, " {name}:{}:{}", p.line, p.column);
        }
        let _ = write!(s, "  {}", f.summary);
        if let Some(d) = &f.detail {
            let _ = write!(s, " [{d}]");
        }
        let _ = writeln!(s, "\n      {}", f.explanation);
    }
    s
}

fn print_totals(totals: &ScoreTotals, verbose: bool, lang: Lang) {
    match lang {
        Lang::En => crate::outln!(
            "{} statement(s); lowest score {} ({})",
            totals.statements,
            totals.score,
            star_string(totals.stars)
        ),
        Lang::Zh => crate::outln!(
            "共 {} 条语句；最低得分 {}（{}）",
            totals.statements,
            totals.score,
            star_string(totals.stars)
        ),
    }
    if verbose && !totals.skipped.is_empty() {
        crate::outln!(
            "{} {}",
            tr(
                lang,
                "skipped (need a live database):",
                "已跳过（需要在线数据库）："
            ),
            totals.skipped.join(", ")
        );
    }
}
