//! The data of an SQL audit as the approver and the operator see it: the real server's check per
//! statement and each statement's result after the run, with their text lines (no I/O here).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FieldError, Invalid, ModuleKind, TaskSpec};

/// What became of one statement of an audit run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Ran and committed (or autocommitted).
    Done,
    /// The server refused it; the run stopped here.
    Failed,
    /// Ran inside the audit's transaction, which was rolled back.
    RolledBack,
    /// Never ran (an earlier statement failed, or the run was cancelled).
    NotRun,
    /// A rollback statement left alone: its row changed since the original run (no `--force`).
    Skipped,
}

impl StatementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Done => "done",
            StatementStatus::Failed => "failed",
            StatementStatus::RolledBack => "rolled back",
            StatementStatus::NotRun => "not run",
            StatementStatus::Skipped => "skipped",
        }
    }
}

/// One statement's result, stored per task (`opsdeck task show`, the API, the console).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementResult {
    /// 1-based position in the audit.
    pub number: usize,
    /// The line the statement starts on.
    pub line: usize,
    pub status: StatementStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Before-images (UPDATE, DELETE) or created keys (INSERT), read in the statement's transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
    /// The statement that undoes this DDL (DROP TABLE, DROP COLUMN, DROP INDEX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inverse: Option<String>,
    /// Why this statement has no automatic rollback, when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_rollback: Option<String>,
}

impl StatementResult {
    /// One line for the log and `task show`.
    pub fn summary(&self, total: usize) -> String {
        let mut s = format!(
            "statement {} of {total} (line {}): {}",
            self.number,
            self.line,
            self.status.as_str()
        );
        if let Some(n) = self.affected_rows {
            s.push_str(&format!(", {n} row(s) affected"));
        }
        if let Some(ms) = self.duration_ms {
            s.push_str(&format!(" in {ms} ms"));
        }
        if !self.warnings.is_empty() {
            s.push_str(&format!(", {} warning(s)", self.warnings.len()));
        }
        if let Some(b) = &self.backup {
            s.push_str(&format!(", {} row image(s) kept", b.rows.len()));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(": {e}"));
        }
        s
    }
}

/// What the server said about one statement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatementCheck {
    pub number: usize,
    pub line: usize,
    /// `ok` (the server accepts it), `error` (it does not: blocks submit and approval).
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rows the server estimates an UPDATE/DELETE/INSERT…SELECT touches (EXPLAIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_rows: Option<u64>,
    /// Size of the table an ALTER changes, data and indexes, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_mb: Option<f64>,
    /// How an ALTER will run: in place on the server, or through pt-online-schema-change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alter_via: Option<AlterVia>,
    /// What the approver must see (row estimate above the limit, full scans).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Plain information (e.g. the offline check disagreed and the server accepted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How an ALTER TABLE runs, decided from its table's size and the tag's `osc_min_table_mb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlterVia {
    /// The ALTER statement itself, through the tunnel.
    Direct,
    /// `pt-online-schema-change` on the proxy host: a shadow table, triggers, a copy in chunks.
    Online,
}

impl AlterVia {
    /// The words the approver sees.
    pub fn as_str(self) -> &'static str {
        match self {
            AlterVia::Direct => "direct",
            AlterVia::Online => "online (pt-online-schema-change)",
        }
    }

    /// At `table_mb` against a threshold of `min_mb`.
    pub fn for_size(table_mb: f64, min_mb: u64) -> AlterVia {
        if table_mb >= min_mb as f64 {
            AlterVia::Online
        } else {
            AlterVia::Direct
        }
    }
}

/// The tag's `osc_min_table_mb` as the audit was submitted with it.
pub fn osc_min_table_mb(spec: &TaskSpec) -> u64 {
    spec.extra
        .get("osc_min_table_mb")
        .and_then(|v| v.as_u64())
        .unwrap_or(super::inventory::DEFAULT_OSC_MIN_TABLE_MB)
}

/// The tag's extra `pt-online-schema-change` options as the audit was submitted with them.
pub fn osc_args(spec: &TaskSpec) -> Vec<String> {
    spec.extra
        .get("osc_args")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The server's view of a whole audit, kept with the task (`extra.online`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OnlineReport {
    pub statements: Vec<StatementCheck>,
    /// When it was checked: `submit` or `approval`.
    pub at: String,
}

impl OnlineReport {
    /// The refusals, one per statement the server rejects, as field errors on `sql`.
    pub fn errors(&self) -> Invalid {
        let mut errs = Invalid::default();
        for s in &self.statements {
            if let Some(e) = &s.error {
                errs.0.push(FieldError::new(
                    "sql",
                    format!(
                        "statement {} at line {}: the server rejects it: {e}",
                        s.number, s.line
                    ),
                ));
            }
        }
        errs
    }
}

/// True when the spec runs natively through the tunnel (`sql_via = "tunnel"` on its tag when it was
/// submitted); specs from before the tunnel existed keep the client route.
pub fn via_tunnel(spec: &TaskSpec) -> bool {
    spec.module == ModuleKind::SqlAudit
        && spec.extra.get("sql_via").and_then(|v| v.as_str()) == Some("tunnel")
}

/// What a tunnel audit runs, in one line (the dry run and the step's start line say the same):
/// `None` for any other spec.
pub fn tunnel_summary(spec: &TaskSpec) -> Option<String> {
    if !via_tunnel(spec) {
        return None;
    }
    let a = |k: &str| spec.args.get(k).map(String::as_str).unwrap_or("?");
    let proxy = spec
        .hosts
        .get(&1)
        .and_then(|h| h.first())
        .map(String::as_str)
        .unwrap_or("?");
    let n = crate::sql::split(spec.args.get("SQL").map(String::as_str).unwrap_or("")).len();
    let schema = match a("DB_NAME") {
        "" | "?" => String::new(),
        s => format!(", schema `{s}`"),
    };
    Some(format!(
        "native SQL audit of {n} statement(s) through an SSH tunnel via proxy `{proxy}` to {}:{} as `{}`{schema} ({}); ALTERs on tables of {} MiB or more run through pt-online-schema-change on `{proxy}` (the server check says which); no mysql client runs",
        a("DB_HOST"),
        a("DB_PORT"),
        a("DB_USER"),
        if in_transaction(spec) {
            "one transaction, all or nothing"
        } else {
            "stop at the first error"
        },
        osc_min_table_mb(spec),
    ))
}

/// True when the audit asked for all of its DML in one transaction.
pub fn in_transaction(spec: &TaskSpec) -> bool {
    spec.extra
        .get("transaction")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The lines describing an SQL audit task; empty for any other module.
pub fn detail_lines(spec: &TaskSpec, results: &[serde_json::Value]) -> Vec<String> {
    if spec.module != ModuleKind::SqlAudit {
        return Vec::new();
    }
    let mut out = Vec::new();
    let via = if via_tunnel(spec) {
        "SSH tunnel (opsdeck speaks MySQL)"
    } else {
        "the mysql client on the proxy (template 9001)"
    };
    let tx = if in_transaction(spec) {
        "one transaction, all or nothing"
    } else {
        "stop at the first error"
    };
    out.push(format!("SQL audit via {via}; {tx}"));
    let online = spec
        .extra
        .get("online")
        .and_then(|v| serde_json::from_value::<OnlineReport>(v.clone()).ok());
    match online {
        Some(r) => {
            out.push(format!("checked by the server at {}:", r.at));
            for s in &r.statements {
                let mut l = format!("  #{} line {}: {}", s.number, s.line, s.verdict);
                if let Some(n) = s.estimated_rows {
                    l.push_str(&format!(", ~{n} row(s)"));
                }
                if let Some(mb) = s.table_mb {
                    l.push_str(&format!(", table {mb} MiB"));
                }
                if let Some(v) = s.alter_via {
                    l.push_str(&format!(", runs {}", v.as_str()));
                }
                if let Some(e) = &s.error {
                    l.push_str(&format!(": {e}"));
                }
                out.push(l);
                out.extend(s.warnings.iter().map(|w| format!("     WARNING: {w}")));
                out.extend(s.notes.iter().map(|n| format!("     note: {n}")));
            }
        }
        None if via_tunnel(spec) => out.push("not checked by the server".into()),
        None => {}
    }
    let parsed: Vec<StatementResult> = results
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    if !parsed.is_empty() {
        out.push("results:".into());
        let total = parsed.len();
        for r in &parsed {
            out.push(format!("  {}", r.summary(total)));
            out.extend(r.warnings.iter().map(|w| format!("     {w}")));
        }
    }
    out
}

/// What a statement did to its table, for its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    Update,
    Delete,
    Insert,
}

/// The rows a statement changed: every column, before and after, by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub kind: BackupKind,
    /// The table, quoted and schema-qualified when the statement qualified it: `` `shop`.`items` ``.
    pub table: String,
    /// The primary (or unique) key's columns.
    pub key: Vec<String>,
    /// Every column, in the order of the images.
    pub columns: Vec<String>,
    pub rows: Vec<RowImage>,
}

/// One row: its image before the statement (UPDATE, DELETE) and after it (UPDATE, INSERT). A cell
/// is `null`, a string (the text form the server sent) or `{"hex": "…"}` for bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: serde_json::Value) -> TaskSpec {
        let mut s: TaskSpec = serde_json::from_value(serde_json::json!({
            "name": "a", "module": "sql-audit", "submitter": "alice", "template_id": 9001,
            "args": {}, "hosts": {"1": ["p"]}, "exec_time": "2026-01-01T00:00:00Z",
        }))
        .unwrap();
        s.extra = extra;
        s
    }

    #[test]
    fn the_check_and_the_results_are_listed_per_statement() {
        let s = spec(serde_json::json!({
            "sql_via": "tunnel", "transaction": true,
            "online": {"at": "submit", "statements": [
                {"number": 1, "line": 1, "verdict": "ok", "estimated_rows": 9000,
                 "warnings": ["the server estimates 9000 rows"], "notes": ["n1"]},
                {"number": 2, "line": 3, "verdict": "ok", "table_mb": 20.5, "alter_via": "online"},
            ]},
        }));
        let results = [
            serde_json::json!({"number": 1, "line": 1, "status": "rolled_back", "affected_rows": 3, "duration_ms": 4}),
        ];
        let l = detail_lines(&s, &results);
        assert_eq!(
            l[0],
            "SQL audit via SSH tunnel (opsdeck speaks MySQL); one transaction, all or nothing"
        );
        assert_eq!(l[1], "checked by the server at submit:");
        assert_eq!(l[2], "  #1 line 1: ok, ~9000 row(s)");
        assert_eq!(l[3], "     WARNING: the server estimates 9000 rows");
        assert_eq!(l[4], "     note: n1");
        assert_eq!(
            l[5],
            "  #2 line 3: ok, table 20.5 MiB, runs online (pt-online-schema-change)"
        );
        assert_eq!(l[6], "results:");
        assert_eq!(
            l[7],
            "  statement 1 of 1 (line 1): rolled back, 3 row(s) affected in 4 ms"
        );
        assert_eq!(AlterVia::for_size(16.0, 16), AlterVia::Online);
        assert_eq!(AlterVia::for_size(15.99, 16), AlterVia::Direct);
        assert_eq!(AlterVia::for_size(0.0, 0), AlterVia::Online);
        let mut other = s.clone();
        other.module = ModuleKind::Custom;
        assert!(detail_lines(&other, &results).is_empty());
    }
}
