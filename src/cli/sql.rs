//! `opsdeck sql check|fingerprint|digest|format|score|advise`: the SQL toolkit on a file or stdin.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use opsdeck::model::Lang;
use opsdeck::sql;

use super::output;

#[path = "sql_digest.rs"]
mod digest_cmd;
#[path = "sql_score.rs"]
mod score_cmd;

#[derive(Subcommand)]
pub enum SqlCmd {
    /// Check MySQL syntax statement by statement; exit code 1 when there are errors
    Check {
        /// SQL file, or `-` (the default) for stdin
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The pt-fingerprint normal form of each statement, one line each as pt-fingerprint prints
    /// it (`--id` puts the 16-hex-digit query id first; `--json` has both)
    Fingerprint {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Print the query id (pt-query-digest's, SOAR's) before each fingerprint
        #[arg(long)]
        id: bool,
    },
    /// Slow query log digest (like pt-query-digest): entries grouped by fingerprint, sorted by
    /// total query time; count, total/avg/p95/max time, rows, first/last seen, an example.
    /// Entries that cannot be used are skipped and counted
    Digest {
        /// MySQL/MariaDB slow query log, or `-` (the default) for stdin
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Only the N classes with the most total time
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Score each class's example and give index advice
        #[arg(long)]
        advise: bool,
    },
    /// Beautify: one clause per line, upper-case keywords, comments kept
    Format { file: Option<PathBuf> },
    /// SOAR-compatible review: score 0-100 and stars per statement, findings with id, level,
    /// summary, explanation and position. Score = 100 - 5 x the sum of the findings' levels;
    /// exit code 1 when a statement does not parse
    Score {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Also list the rules that need a live database and were skipped
        #[arg(long)]
        verbose: bool,
    },
    /// Index advice without a database: equality columns first, then one range column, GROUP BY /
    /// ORDER BY columns when no range breaks the index, join columns on the driven table.
    /// (`opsdeck submit sql-optimize --online` adds existing indexes and cardinality.)
    Advise {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// List every score rule: id, level, summary, and whether it runs offline
    Rules {
        #[arg(long)]
        json: bool,
    },
}

fn read(file: &Option<PathBuf>) -> anyhow::Result<(String, String)> {
    match file {
        Some(p) if p.as_os_str() != "-" => Ok((
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            p.display().to_string(),
        )),
        _ => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            Ok((s, "<stdin>".into()))
        }
    }
}

/// The file (or stdin for `-` or none) as a buffered stream, and its name for messages.
pub(crate) fn open(file: &Option<PathBuf>) -> anyhow::Result<(Box<dyn BufRead>, String)> {
    match file {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            Ok((
                Box::new(BufReader::with_capacity(64 << 10, f)),
                p.display().to_string(),
            ))
        }
        _ => Ok((
            Box::new(BufReader::with_capacity(64 << 10, std::io::stdin())),
            "<stdin>".into(),
        )),
    }
}

/// Ends the program quietly when stdout's reader went away (`… | head`), as `outln!` does.
pub(crate) fn written(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
        Ok(()) => Ok(()),
    }
}

/// `sql fingerprint`: statements streamed from the input, one output line (or JSON array
/// element) each as they come, through a buffered stdout.
/// The query id (an MD5) is only computed when it is printed.
pub(crate) fn fingerprint_stream(
    file: &Option<PathBuf>,
    json: bool,
    id: bool,
) -> anyhow::Result<ExitCode> {
    let (input, name) = open(file)?;
    let mut out = BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    let mut fp = sql::Fingerprinter::default();
    let mut first = true;
    if json {
        written(out.write_all(b"["))?;
    }
    for st in sql::StatementReader::new(input) {
        let st = st.map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if json {
            let f = fp.fingerprint(&st);
            let sep = if first { "\n  " } else { ",\n  " };
            let obj = serde_json::json!({"query_id": sql::query_id(f), "fingerprint": f});
            written(write!(out, "{sep}{obj}"))?;
        } else if id {
            let f = fp.fingerprint(&st);
            written(writeln!(out, "{}  {f}", sql::query_id(f)))?;
        } else {
            // Bytes as they are: the text needs no second UTF-8 check on its way out.
            written(out.write_all(fp.fingerprint_bytes(&st)))?;
            written(out.write_all(b"\n"))?;
        }
        first = false;
    }
    if json {
        written(out.write_all(if first { b"]\n" } else { b"\n]\n" }))?;
    }
    written(out.flush())?;
    Ok(ExitCode::SUCCESS)
}

/// Picks the English or Chinese form of a CLI line.
pub(crate) fn tr<'a>(lang: Lang, en: &'a str, zh: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

pub fn run(cmd: SqlCmd, lang: Lang) -> anyhow::Result<ExitCode> {
    match cmd {
        SqlCmd::Check { file, json } => {
            let (src, name) = read(&file)?;
            let report = sql::check_in(&src, lang);
            if json {
                output::json(&report)?;
            } else {
                for d in &report.errors {
                    crate::outln!(
                        "{name}:{}:{}: {} {}: {}\n{}",
                        d.position.line,
                        d.position.column,
                        tr(lang, "error (statement", "错误（第"),
                        d.statement.to_string() + tr(lang, ")", " 条语句）"),
                        d.message,
                        d.snippet
                    );
                }
                for d in &report.warnings {
                    crate::outln!(
                        "{name}:{}:{}: {} {}: {}",
                        d.position.line,
                        d.position.column,
                        tr(lang, "warning (statement", "警告（第"),
                        d.statement.to_string() + tr(lang, ")", " 条语句）"),
                        d.message
                    );
                }
                match lang {
                    Lang::En => crate::outln!(
                        "{} statement(s): {} error(s), {} warning(s)",
                        report.statements.len(),
                        report.errors.len(),
                        report.warnings.len()
                    ),
                    Lang::Zh => crate::outln!(
                        "共 {} 条语句：{} 个错误，{} 个警告",
                        report.statements.len(),
                        report.errors.len(),
                        report.warnings.len()
                    ),
                }
            }
            Ok(if report.has_errors() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        SqlCmd::Fingerprint { file, json, id } => fingerprint_stream(&file, json, id),
        SqlCmd::Digest {
            file,
            json,
            top,
            advise,
        } => digest_cmd::run(&file, json, top, advise, lang),
        SqlCmd::Format { file } => {
            let (src, _) = read(&file)?;
            crate::out!("{}", sql::format(&src));
            Ok(ExitCode::SUCCESS)
        }
        SqlCmd::Score {
            file,
            json,
            verbose,
        } => {
            let (src, name) = read(&file)?;
            score_cmd::run(&src, &name, json, verbose, lang)
        }
        SqlCmd::Advise { file, json } => {
            let (src, _) = read(&file)?;
            let report = sql::advise::advise(&src, None, lang);
            if json {
                output::json(&report)?;
            } else {
                print_advice(&report, lang);
            }
            Ok(ExitCode::SUCCESS)
        }
        SqlCmd::Rules { json } => {
            let rules = sql::score::rules();
            if json {
                let v: Vec<_> = rules
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id,
                            "level": r.level,
                            "summary": r.summary.get(lang),
                            "explanation": r.explain.get(lang),
                            "offline": r.check.is_some(),
                            "differs_from_soar": sql::score::soar::differs(r.id).map(|t| t.get(lang)),
                        })
                    })
                    .collect();
                output::json(&v)?;
            } else {
                for r in rules {
                    let live = if r.check.is_none() {
                        tr(lang, "  (needs a live database)", "  （需要在线数据库）")
                    } else {
                        ""
                    };
                    crate::outln!("{}  L{}  {}{live}", r.id, r.level, r.summary.get(lang));
                    if let Some(d) = sql::score::soar::differs(r.id) {
                        crate::outln!(
                            "           {} {}",
                            tr(lang, "differs from SOAR:", "与 SOAR 不同："),
                            d.get(lang)
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_advice(report: &sql::advise::AdviseReport, lang: Lang) {
    if report.advice.is_empty() {
        crate::outln!("{}", tr(lang, "no index advice", "没有索引建议"));
    }
    for a in &report.advice {
        crate::outln!(
            "-- {} {}: {}",
            tr(lang, "statement", "语句"),
            a.statement,
            a.table
        );
        for r in &a.reasons {
            crate::outln!("--   {r}");
        }
        crate::outln!("{}", a.ddl);
    }
    for n in &report.notes {
        crate::outln!(
            "-- {} ({} {}): {}",
            tr(lang, "note", "提示"),
            tr(lang, "statement", "语句"),
            n.statement,
            n.text
        );
    }
}
