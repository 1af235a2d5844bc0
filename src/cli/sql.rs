//! `opsdeck sql check|fingerprint|format`: the SQL toolkit on a file or stdin.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use opsdeck::sql;

use super::output;

#[derive(Subcommand)]
pub enum SqlCmd {
    /// Check MySQL syntax statement by statement; exit code 1 when there are errors
    Check {
        /// SQL file, or `-` (the default) for stdin
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The pt-fingerprint normal form and query id of each statement
    Fingerprint {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Beautify: one clause per line, upper-case keywords, comments kept
    Format { file: Option<PathBuf> },
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

pub fn run(cmd: SqlCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        SqlCmd::Check { file, json } => {
            let (src, name) = read(&file)?;
            let report = sql::check(&src);
            if json {
                output::json(&report)?;
            } else {
                for d in &report.errors {
                    println!(
                        "{name}:{}:{}: error (statement {}): {}\n{}",
                        d.position.line, d.position.column, d.statement, d.message, d.snippet
                    );
                }
                for d in &report.warnings {
                    println!(
                        "{name}:{}:{}: warning (statement {}): {}",
                        d.position.line, d.position.column, d.statement, d.message
                    );
                }
                println!(
                    "{} statement(s): {} error(s), {} warning(s)",
                    report.statements.len(),
                    report.errors.len(),
                    report.warnings.len()
                );
            }
            Ok(if report.has_errors() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        SqlCmd::Fingerprint { file, json } => {
            let (src, _) = read(&file)?;
            let rows: Vec<(String, String)> = sql::split(&src)
                .iter()
                .map(|s| {
                    let f = sql::fingerprint(&s.text);
                    (sql::query_id(&f), f)
                })
                .collect();
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(id, f)| serde_json::json!({"query_id": id, "fingerprint": f}))
                    .collect();
                output::json(&v)?;
            } else {
                for (id, f) in rows {
                    println!("{id}  {f}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SqlCmd::Format { file } => {
            let (src, _) = read(&file)?;
            print!("{}", sql::format(&src));
            Ok(ExitCode::SUCCESS)
        }
    }
}
