//! `opsdeck sql digest FILE|-`: the slow log digest as text or JSON, streamed from the file.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use opsdeck::model::Lang;
use opsdeck::sql::digest::{DigestReport, read, review};

use super::{open, tr, written};

pub fn run(
    file: &Option<PathBuf>,
    json: bool,
    top: Option<usize>,
    advise: bool,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let (input, name) = open(file)?;
    let mut report = read(input, top).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if advise {
        for c in &mut report.classes {
            c.review = Some(review(&c.example, lang));
        }
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    if json {
        written(serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::other))?;
        written(out.write_all(b"\n"))?;
    } else {
        written(print(&mut out, &report, &name, lang))?;
    }
    written(out.flush())?;
    Ok(ExitCode::SUCCESS)
}

fn print(o: &mut impl Write, r: &DigestReport, name: &str, lang: Lang) -> std::io::Result<()> {
    match lang {
        Lang::En => writeln!(
            o,
            "# {name}: {} entries in {} classes, total query time {:.3}s; {} entries skipped",
            r.events, r.classes_total, r.total_query_time, r.skipped
        )?,
        Lang::Zh => writeln!(
            o,
            "# {name}：{} 条记录，{} 类，总查询时间 {:.3}s；跳过 {} 条",
            r.events, r.classes_total, r.total_query_time, r.skipped
        )?,
    }
    for (reason, n) in &r.skipped_by_reason {
        writeln!(o, "#   {} {n}: {reason}", tr(lang, "skipped", "跳过"))?;
    }
    for c in &r.classes {
        writeln!(o)?;
        writeln!(
            o,
            "# {} {}  0x{}  {:.1}%  {} {}",
            tr(lang, "Query", "查询"),
            c.rank,
            c.query_id,
            c.share * 100.0,
            c.count,
            tr(lang, "times", "次"),
        )?;
        writeln!(
            o,
            "#   {}: total {:.3}s  avg {:.3}s  p95 {:.3}s  max {:.3}s  lock {:.3}s",
            tr(lang, "time", "时间"),
            c.query_time.total,
            c.query_time.avg,
            c.query_time.p95,
            c.query_time.max,
            c.lock_time_total,
        )?;
        writeln!(
            o,
            "#   {}: examined {} (avg {:.0}, max {})  sent {} (avg {:.0}, max {})",
            tr(lang, "rows", "行数"),
            c.rows_examined.total,
            c.rows_examined.avg,
            c.rows_examined.max,
            c.rows_sent.total,
            c.rows_sent.avg,
            c.rows_sent.max,
        )?;
        if let (Some(f), Some(l)) = (&c.first_seen, &c.last_seen) {
            writeln!(o, "#   {}: {f} .. {l} UTC", tr(lang, "seen", "出现"))?;
        }
        if let Some(db) = &c.db {
            writeln!(o, "#   {}: {db}", tr(lang, "database", "数据库"))?;
        }
        writeln!(
            o,
            "#   {}: {}",
            tr(lang, "fingerprint", "指纹"),
            c.fingerprint
        )?;
        if let Some(rv) = &c.review {
            writeln!(o, "#   {}: {}/100", tr(lang, "score", "评分"), rv.score)?;
            for f in &rv.findings {
                writeln!(o, "#     {f}")?;
            }
            for ddl in &rv.indexes {
                writeln!(o, "#   {}: {ddl}", tr(lang, "index advice", "索引建议"))?;
            }
            for n in &rv.notes {
                writeln!(o, "#   {}: {n}", tr(lang, "note", "提示"))?;
            }
        }
        let example = c.example.trim_end();
        writeln!(
            o,
            "{example}{}",
            if example.ends_with(';') { "" } else { ";" }
        )?;
    }
    Ok(())
}
