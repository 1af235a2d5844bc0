//! Parses the output of built-in template 9901 (EXPLAIN, SHOW INDEX, STATISTICS cardinality and
//! TABLES rows in `-- opsdeck:<section>` blocks) into what the index advisor needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An existing index of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    /// Columns in index order, lower case.
    pub columns: Vec<String>,
    pub unique: bool,
}

/// What the live database said about one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMeta {
    pub indexes: Vec<IndexMeta>,
    /// Distinct values per indexed column (lower case), from information_schema.STATISTICS.
    pub cardinality: BTreeMap<String, u64>,
    /// The estimated row count, from information_schema.TABLES.
    pub rows: Option<u64>,
}

/// Everything 9901 reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveMeta {
    /// EXPLAIN FORMAT=JSON, when it succeeded.
    pub explain: Option<serde_json::Value>,
    /// By table name as listed in TABLES (`t` or `schema.t`), lower case.
    pub tables: BTreeMap<String, TableMeta>,
    /// `-- opsdeck:error` lines: sections that could not be produced.
    pub errors: Vec<String>,
}

impl LiveMeta {
    /// The table's metadata, by its bare or qualified name.
    pub fn table(&self, name: &str) -> Option<&TableMeta> {
        let name = name.to_lowercase();
        self.tables.get(&name).or_else(|| {
            self.tables
                .iter()
                .find(|(k, _)| k.rsplit('.').next() == Some(name.as_str()))
                .map(|(_, v)| v)
        })
    }
}

/// An index's name, its (position, column) rows, and whether it is unique.
type IndexRows = (String, Vec<(u32, String)>, bool);

enum Section {
    None,
    Explain,
    Indexes(String),
    Cardinality(String),
    Rows(String),
}

/// Parses 9901's output (log lines of its stdout joined with `\n`). Lines before the first section
/// and stderr noise are ignored; a missing `-- opsdeck:end` means the run was cut short.
pub fn parse_live(output: &str) -> Result<LiveMeta, String> {
    let mut meta = LiveMeta::default();
    let mut section = Section::None;
    let mut body: Vec<&str> = Vec::new();
    let mut ended = false;
    let mut saw_any = false;
    for line in output.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("-- opsdeck:") {
            finish(&mut meta, &section, &body)?;
            body.clear();
            saw_any = true;
            let (kind, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            let arg = arg.trim().to_lowercase();
            section = match kind {
                "explain" => Section::Explain,
                "indexes" => Section::Indexes(arg),
                "cardinality" => Section::Cardinality(arg),
                "rows" => Section::Rows(arg),
                "error" => {
                    meta.errors.push(rest["error".len()..].trim().to_string());
                    Section::None
                }
                "end" => {
                    ended = true;
                    Section::None
                }
                other => return Err(format!("unknown section `-- opsdeck:{other}`")),
            };
        } else {
            body.push(line);
        }
    }
    finish(&mut meta, &section, &body)?;
    if !saw_any {
        return Err("no `-- opsdeck:` sections in the output (is this 9901's output?)".into());
    }
    if !ended {
        return Err("the output ends before `-- opsdeck:end` (the run was cut short)".into());
    }
    Ok(meta)
}

fn finish(meta: &mut LiveMeta, section: &Section, body: &[&str]) -> Result<(), String> {
    match section {
        Section::None => {}
        Section::Explain => {
            let text = body.join("\n");
            let text = text.trim();
            if !text.is_empty() {
                // 9901 prints it with --raw; a --batch (escaped) copy is accepted too.
                let parsed = serde_json::from_str(text)
                    .or_else(|_| serde_json::from_str(&unescape(text)))
                    .map_err(|e| format!("explain: EXPLAIN output is not JSON: {e}"))?;
                meta.explain = Some(parsed);
            }
        }
        Section::Indexes(t) => {
            let rows = tsv(body);
            let entry = meta.tables.entry(t.clone()).or_default();
            let mut by_name: Vec<IndexRows> = Vec::new();
            for r in &rows {
                let (Some(name), Some(seq), Some(col)) = (
                    r.get("Key_name"),
                    r.get("Seq_in_index"),
                    r.get("Column_name"),
                ) else {
                    continue;
                };
                let seq: u32 = seq.parse().unwrap_or(0);
                let unique = r.get("Non_unique").is_some_and(|v| v == "0");
                match by_name.iter_mut().find(|(n, _, _)| n == name) {
                    Some((_, cols, _)) => cols.push((seq, col.to_lowercase())),
                    None => by_name.push((name.clone(), vec![(seq, col.to_lowercase())], unique)),
                }
            }
            entry.indexes = by_name
                .into_iter()
                .map(|(name, mut cols, unique)| {
                    cols.sort();
                    IndexMeta {
                        name,
                        columns: cols.into_iter().map(|(_, c)| c).collect(),
                        unique,
                    }
                })
                .collect();
        }
        Section::Cardinality(t) => {
            let entry = meta.tables.entry(t.clone()).or_default();
            for r in tsv(body) {
                if let (Some(col), Some(card)) = (r.get("COLUMN_NAME"), r.get("CARDINALITY"))
                    && let Ok(n) = card.parse::<u64>()
                {
                    let c = entry.cardinality.entry(col.to_lowercase()).or_insert(0);
                    *c = (*c).max(n);
                }
            }
        }
        Section::Rows(t) => {
            let entry = meta.tables.entry(t.clone()).or_default();
            entry.rows = tsv(body)
                .first()
                .and_then(|r| r.get("TABLE_ROWS"))
                .and_then(|v| v.parse().ok());
        }
    }
    Ok(())
}

/// `mysql --batch` output: a header line, then tab-separated rows with `\t`, `\n`, `\\` escapes.
fn tsv(body: &[&str]) -> Vec<BTreeMap<String, String>> {
    let mut lines = body.iter().filter(|l| !l.is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split('\t').collect();
    lines
        .map(|l| {
            cols.iter()
                .zip(l.split('\t'))
                .map(|(c, v)| (c.to_string(), unescape(v)))
                .collect()
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "-- opsdeck:explain\n\
{\\n  \"query_block\": {\\n    \"select_id\": 1\\n  }\\n}\n\
-- opsdeck:indexes shop.orders\n\
Table\tNon_unique\tKey_name\tSeq_in_index\tColumn_name\tCardinality\n\
orders\t0\tPRIMARY\t1\tid\t1000\n\
orders\t1\tidx_user_status\t2\tstatus\t5\n\
orders\t1\tidx_user_status\t1\tuser_id\t300\n\
-- opsdeck:cardinality shop.orders\n\
INDEX_NAME\tSEQ_IN_INDEX\tCOLUMN_NAME\tCARDINALITY\tNON_UNIQUE\tNULLABLE\tINDEX_TYPE\n\
PRIMARY\t1\tid\t1000\t0\t\tBTREE\n\
idx_user_status\t1\tuser_id\t300\t1\t\tBTREE\n\
idx_user_status\t2\tstatus\tNULL\t1\t\tBTREE\n\
-- opsdeck:rows shop.orders\n\
TABLE_ROWS\tAVG_ROW_LENGTH\tDATA_LENGTH\tINDEX_LENGTH\tENGINE\n\
1000\t64\t65536\t16384\tInnoDB\n\
-- opsdeck:error indexes bad-name is not a table name\n\
-- opsdeck:end\n";

    #[test]
    fn parses_every_section() {
        let m = parse_live(SAMPLE).unwrap();
        assert_eq!(m.explain.as_ref().unwrap()["query_block"]["select_id"], 1);
        let t = m.table("orders").expect("by bare name");
        assert_eq!(t.rows, Some(1000));
        assert_eq!(t.cardinality.get("user_id"), Some(&300));
        assert_eq!(
            t.cardinality.get("status"),
            None,
            "NULL cardinality is unknown"
        );
        let idx = t
            .indexes
            .iter()
            .find(|i| i.name == "idx_user_status")
            .unwrap();
        assert_eq!(
            idx.columns,
            ["user_id", "status"],
            "ordered by Seq_in_index"
        );
        assert!(!idx.unique);
        assert!(t.indexes.iter().any(|i| i.name == "PRIMARY" && i.unique));
        assert_eq!(m.errors.len(), 1);
        assert!(m.errors[0].contains("bad-name"));
    }

    #[test]
    fn refuses_cut_short_or_foreign_output() {
        let cut = SAMPLE.replace("-- opsdeck:end\n", "");
        assert!(parse_live(&cut).unwrap_err().contains("cut short"));
        assert!(
            parse_live("hello\nworld\n")
                .unwrap_err()
                .contains("no `-- opsdeck:`")
        );
        let bad = "-- opsdeck:explain\nnot json\n-- opsdeck:end\n";
        assert!(parse_live(bad).unwrap_err().contains("not JSON"));
    }
}
