//! SQL optimize (SQL优化): instant local review (check, score, fingerprint, beautify, index advice) and online advice through a tag's proxy (template 9901).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{Statement, visit_relations};

use super::sql_audit::{database_args, proxy_host};
use super::{Choices, Form, ModuleContext, allowed_tag, finish, name_or};
use crate::model::{Database, Invalid, Lang, LogLine, ModuleKind, Stream, Tag, TaskSpec};
use crate::sql::advise::{AdviseReport, LiveMeta, advise, parse_live};
use crate::sql::check::kind;
use crate::sql::score::{ScoreOptions, ScoreReport, score};
use crate::sql::{CheckReport, check, fingerprint, format, format_statement, query_id, split};

/// The built-in template that runs EXPLAIN and reads index statistics on the proxy host.
pub const SQL_OPTIMIZE_ONLINE_TEMPLATE: u32 = 9901;

/// Statements EXPLAIN accepts.
const EXPLAINABLE: &[&str] = &["SELECT", "WITH", "INSERT", "REPLACE", "UPDATE", "DELETE"];

/// The online form: one statement, explained on the database of a tag through its proxy host.
/// (The local analysis needs only the SQL: see [`analyze`].)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlOptimizeForm {
    /// Task name; defaults to "SQL optimize on <tag>".
    pub name: String,
    /// Target tag: needs a proxy host and resolves to exactly one database.
    pub tag: String,
    /// Which of the tag's databases (by name); empty = the tag's only database.
    pub database: String,
    /// One statement to explain.
    pub sql: String,
    /// Tables to report indexes for (`t` or `schema.t`); empty = the tables the statement names.
    pub tables: Vec<String>,
    pub details: String,
}

/// One statement of the local analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementAnalysis {
    /// 1-based statement number.
    pub number: usize,
    /// Leading keywords, e.g. `SELECT`.
    pub kind: String,
    pub text: String,
    /// The pt-fingerprint normal form.
    pub fingerprint: String,
    /// The 16-hex-digit SOAR/percona query id of the fingerprint.
    pub query_id: String,
    /// Beautified.
    pub formatted: String,
}

/// Everything the local mode produces at once (score, fingerprint, query id, beautify, syntax check,
/// and index advice without a database).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqlAnalysis {
    pub statements: Vec<StatementAnalysis>,
    pub check: CheckReport,
    pub score: ScoreReport,
    /// The whole input beautified (comments kept).
    pub formatted: String,
    /// Index advice from the statements alone.
    pub advice: AdviseReport,
}

/// The local mode: pure, instant.
pub fn analyze(sql: &str, lang: Lang) -> SqlAnalysis {
    let statements = split(sql)
        .into_iter()
        .enumerate()
        .map(|(i, st)| {
            let fp = fingerprint(&st.text);
            StatementAnalysis {
                number: i + 1,
                kind: kind(&st.text),
                query_id: query_id(&fp),
                fingerprint: fp,
                formatted: format_statement(&st.text),
                text: st.text,
            }
        })
        .collect();
    SqlAnalysis {
        statements,
        check: check(sql),
        score: score(sql, &ScoreOptions::default(), lang),
        formatted: format(sql),
        advice: advise(sql, None, lang),
    }
}

/// The online mode's result: what 9901 reported and the advice that used it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnlineAdvice {
    pub live: LiveMeta,
    pub advice: AdviseReport,
}

/// The stdout of a 9901 run from its stored log lines (in sequence order), as `parse_live` wants it.
pub fn live_output(lines: &[LogLine]) -> String {
    let mut out: Vec<&LogLine> = lines
        .iter()
        .filter(|l| l.stream == Stream::Stdout)
        .collect();
    out.sort_by_key(|l| l.seq);
    let mut s = String::new();
    for l in out {
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

/// Parses a 9901 run's stdout and advises on `sql` with it.
pub fn online_advice(sql: &str, output: &str, lang: Lang) -> Result<OnlineAdvice, String> {
    let live = parse_live(output)?;
    let advice = advise(sql, Some(&live), lang);
    Ok(OnlineAdvice { live, advice })
}

/// The tables a statement reads or writes (`t` or `schema.t`, as written, without quotes), in order,
/// without CTE names and repeats. Empty when the statement does not parse.
pub fn statement_tables(sql: &str) -> Vec<String> {
    crate::sql::limits::with_stack(|| statement_tables_on_stack(sql))
}

fn statement_tables_on_stack(sql: &str) -> Vec<String> {
    let Ok(stmts) = crate::sql::limits::parse(sql) else {
        return Vec::new();
    };
    let mut ctes: Vec<String> = Vec::new();
    for s in &stmts {
        if let Statement::Query(q) = s
            && let Some(w) = &q.with
        {
            ctes.extend(
                w.cte_tables
                    .iter()
                    .map(|c| c.alias.name.value.to_lowercase()),
            );
        }
    }
    let mut out: Vec<String> = Vec::new();
    let _ = visit_relations(&stmts, |name| {
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
            .collect();
        if parts.len() == name.0.len() && !parts.is_empty() {
            let full = parts.join(".");
            let is_cte = parts.len() == 1 && ctes.contains(&full.to_lowercase());
            if !is_cte && !out.contains(&full) {
                out.push(full);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// A name 9901 accepts in TABLES: `table` or `schema.table` of letters, digits and `_`.
fn valid_table_name(t: &str) -> bool {
    let parts: Vec<&str> = t.split('.').collect();
    (1..=2).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The database a tag resolves to: the named one, or its only one; an error on `field` otherwise.
pub fn tag_database<'a>(
    tag: &'a Tag,
    name: &str,
    field: &str,
    errs: &mut Invalid,
) -> Option<&'a Database> {
    let names: Vec<&str> = tag.databases.iter().map(|d| d.name.as_str()).collect();
    let name = name.trim();
    if !name.is_empty() {
        let d = tag.databases.iter().find(|d| d.name == name);
        if d.is_none() {
            errs.push(
                field,
                format!(
                    "tag `{}` has no database `{name}` (databases: {})",
                    tag.name,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            );
        }
        return d;
    }
    match tag.databases.as_slice() {
        [one] => Some(one),
        [] => {
            errs.push(
                "tag",
                format!(
                    "tag `{}` has no database (add one under the tag's databases)",
                    tag.name
                ),
            );
            None
        }
        _ => {
            errs.push(
                field,
                format!(
                    "tag `{}` has {} databases ({}); choose one",
                    tag.name,
                    names.len(),
                    names.join(", ")
                ),
            );
            None
        }
    }
}

impl Form for SqlOptimizeForm {
    const KIND: ModuleKind = ModuleKind::SqlOptimize;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        let tags: Vec<&Tag> = ctx
            .allowed_tags()
            .into_iter()
            .filter(|t| t.proxy.is_some() && !t.databases.is_empty())
            .collect();
        Choices {
            tags: tags.iter().map(|t| t.name.clone()).collect(),
            args: tags
                .iter()
                .find(|t| t.name == self.tag)
                .map(|t| t.databases.iter().map(|d| d.name.clone()).collect())
                .unwrap_or_default(),
            ..Choices::default()
        }
    }

    /// The online task: template 9901 on the tag's proxy, now, without approval (it only reads).
    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let tag = allowed_tag("tag", &self.tag, ctx, &mut errs);
        let proxy = tag.and_then(|t| proxy_host(t, "tag", ctx, &mut errs));
        let db = tag.and_then(|t| tag_database(t, &self.database, "database", &mut errs));
        let stmts = split(&self.sql);
        match stmts.as_slice() {
            [] => errs.push("sql", "enter the statement to explain"),
            [one] => {
                let report = check(&self.sql);
                for d in &report.errors {
                    errs.push(
                        "sql",
                        format!(
                            "line {}:{}: {}",
                            d.position.line, d.position.column, d.message
                        ),
                    );
                }
                let k = kind(&one.text);
                let first = k.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                if report.errors.is_empty() && !EXPLAINABLE.contains(&first.as_str()) {
                    errs.push(
                        "sql",
                        format!(
                            "EXPLAIN works on SELECT, INSERT, REPLACE, UPDATE and DELETE, not `{k}`"
                        ),
                    );
                }
            }
            many => errs.push(
                "sql",
                format!(
                    "online advice explains one statement; this holds {} (use the local mode for scripts)",
                    many.len()
                ),
            ),
        }
        let tables: Vec<String> = if self.tables.is_empty() {
            statement_tables(&self.sql)
        } else {
            self.tables.iter().map(|t| t.trim().to_string()).collect()
        };
        for t in &tables {
            if !valid_table_name(t) {
                errs.push(
                    "tables",
                    format!("`{t}` is not a table name (letters, digits and `_`, one optional `schema.` prefix)"),
                );
            }
        }
        let mut args = BTreeMap::new();
        if let Some(db) = db {
            database_args(db, "database", &mut args, &mut errs);
        }
        let tpl = ctx.template(SQL_OPTIMIZE_ONLINE_TEMPLATE);
        if tpl.is_none() {
            errs.push(
                "template",
                format!(
                    "built-in template {SQL_OPTIMIZE_ONLINE_TEMPLATE} is missing (`opsdeck template list`)"
                ),
            );
        }
        let (Some(tag), Some(proxy), Some(db), Some(tpl)) = (tag, proxy, db, tpl) else {
            return Err(errs);
        };
        args.insert("SQL".into(), self.sql.trim().to_string());
        args.insert("TABLES".into(), tables.join(","));
        let spec = TaskSpec {
            name: name_or(&self.name, || format!("SQL optimize on {}", tag.name)),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts: [(1, vec![proxy.to_string()])].into(),
            exec_time: ctx.now,
            needs_approval: false,
            approvers: vec![],
            details: self.details.clone(),
            extra: serde_json::json!({
                "target_tag": tag.name,
                "database": db.name,
                "tables": tables,
            }),
        };
        finish(spec, ctx, &ctx.inventory, errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Inventory;
    use crate::modules::testutil::{INVENTORY, templates};

    const DBS: &str = r#"
[[tags]]
name = "shop"
hosts = ["h1"]
proxy = "p1"
[[tags.databases]]
name = "shop-rw"
host = "10.9.0.1"
user = "app"
schema = "shop"
password = "pw-1"

[[tags]]
name = "two"
hosts = ["h2"]
proxy = "p1"
[[tags.databases]]
name = "a"
host = "10.9.0.2"
user = "app"
[[tags.databases]]
name = "b"
host = "10.9.0.3"
user = "app"
role = "read"

[[tags]]
name = "nodb"
hosts = ["h2"]
proxy = "p1"

[[tags]]
name = "noproxy"
hosts = ["h2"]
[[tags.databases]]
name = "c"
host = "10.9.0.4"
user = "app"
"#;

    fn ctx() -> ModuleContext {
        let inv: Inventory = toml::from_str(&format!("{INVENTORY}\n{DBS}")).expect("inventory");
        inv.validate().expect("valid inventory");
        ModuleContext::new(inv, templates(), Config::default(), "alice")
    }

    fn good() -> SqlOptimizeForm {
        SqlOptimizeForm {
            tag: "shop".into(),
            sql: "SELECT * FROM orders o JOIN shop.users u ON u.id = o.user_id WHERE o.status = 'paid';"
                .into(),
            ..SqlOptimizeForm::default()
        }
    }

    #[test]
    fn the_local_analysis_does_everything_at_once() {
        let a = analyze(
            "select id from t where a = 1 and b > 'x' order by c;\nSELEC 2;",
            Lang::En,
        );
        assert_eq!(a.statements.len(), 2);
        let s = &a.statements[0];
        assert_eq!(
            s.fingerprint,
            "select id from t where a = ? and b > ? order by c"
        );
        assert_eq!(s.query_id, query_id(&s.fingerprint));
        assert_eq!(s.query_id.len(), 16);
        assert!(s.formatted.contains("SELECT"), "{}", s.formatted);
        assert_eq!(s.kind, "SELECT");
        assert_eq!(a.check.errors.len(), 1);
        assert_eq!(a.check.errors[0].statement, 2);
        assert_eq!(a.score.statements.len(), 2);
        assert!(
            a.score.findings().any(|f| f.id == "ERR.000"),
            "{:?}",
            a.score
        );
        assert!(a.formatted.contains("FROM"));
        assert!(
            a.advice.advice.iter().any(|x| x.table == "t"),
            "{:?}",
            a.advice
        );
        // Serialisable for --json and the API.
        let v = serde_json::to_value(&a).unwrap();
        assert!(v["statements"][0]["query_id"].is_string());
    }

    #[test]
    fn online_builds_9901_on_the_proxy_with_the_statement_tables() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert_eq!(s.template_id, 9901);
        assert_eq!(s.module, ModuleKind::SqlOptimize);
        assert!(!s.needs_approval);
        assert_eq!(s.hosts[&1], vec!["p1".to_string()]);
        assert_eq!(s.args["TABLES"], "orders,shop.users");
        assert_eq!(s.args["DB_HOST"], "10.9.0.1");
        assert_eq!(s.args["DB_NAME"], "shop");
        assert_eq!(s.args["DB_PASSWORD"], "pw-1");
        assert!(!s.args["SQL"].is_empty());
        assert_eq!(s.extra["database"], "shop-rw");
        // A named database of a tag with several.
        let f = SqlOptimizeForm {
            tag: "two".into(),
            database: "b".into(),
            tables: vec!["x".into(), "db.y".into()],
            ..good()
        };
        let s = f.to_spec(&c).unwrap();
        assert_eq!(s.args["DB_HOST"], "10.9.0.3");
        assert_eq!(s.args["TABLES"], "x,db.y");
        assert!(!s.args.contains_key("DB_PASSWORD"));
        assert_eq!(
            good().choices(&c).tags,
            vec!["shop".to_string(), "two".to_string()]
        );
    }

    #[test]
    fn bad_online_input_is_named() {
        let c = ctx();
        for (f, want) in [
            (
                SqlOptimizeForm {
                    tag: "two".into(),
                    ..good()
                },
                "database: tag `two` has 2 databases (a, b); choose one",
            ),
            (
                SqlOptimizeForm {
                    tag: "two".into(),
                    database: "zz".into(),
                    ..good()
                },
                "tag `two` has no database `zz` (databases: a, b)",
            ),
            (
                SqlOptimizeForm {
                    tag: "nodb".into(),
                    ..good()
                },
                "tag `nodb` has no database",
            ),
            (
                SqlOptimizeForm {
                    tag: "noproxy".into(),
                    ..good()
                },
                "tag `noproxy` has no proxy host",
            ),
            (
                SqlOptimizeForm {
                    sql: "SELECT 1; SELECT 2;".into(),
                    ..good()
                },
                "explains one statement; this holds 2",
            ),
            (
                SqlOptimizeForm {
                    sql: "DROP TABLE t".into(),
                    ..good()
                },
                "EXPLAIN works on SELECT",
            ),
            (
                SqlOptimizeForm {
                    sql: "SELECT * FROM t WHERE".into(),
                    ..good()
                },
                "sql: line 1:",
            ),
            (
                SqlOptimizeForm {
                    sql: "".into(),
                    ..good()
                },
                "sql: enter the statement",
            ),
            (
                SqlOptimizeForm {
                    tables: vec!["t; rm -rf /".into()],
                    ..good()
                },
                "tables: `t; rm -rf /` is not a table name",
            ),
        ] {
            let msg = f.validate(&c).unwrap_err().to_string();
            assert!(msg.contains(want), "{want}: {msg}");
        }
    }

    #[test]
    fn tables_come_from_the_statement_without_ctes() {
        assert_eq!(
            statement_tables(
                "WITH x AS (SELECT * FROM a) SELECT * FROM x JOIN `b` ON x.id = b.id WHERE b.c IN (SELECT c FROM d.e)"
            ),
            vec!["a", "b", "d.e"]
        );
        assert_eq!(
            statement_tables("UPDATE t SET a = 1 WHERE id = 2"),
            vec!["t"]
        );
        assert!(statement_tables("SELEC 1").is_empty());
    }

    #[test]
    fn online_output_is_parsed_and_fed_to_the_advisor() {
        let out = "-- opsdeck:explain\n{\"query_block\": {\"select_id\": 1}}\n\
                   -- opsdeck:indexes t\n\
                   Table\tNon_unique\tKey_name\tSeq_in_index\tColumn_name\tCollation\tCardinality\tSub_part\tPacked\tNull\tIndex_type\tComment\tIndex_comment\n\
                   t\t0\tPRIMARY\t1\tid\tA\t1000\tNULL\tNULL\t\tBTREE\t\t\n\
                   t\t1\tidx_a\t1\ta\tA\t10\tNULL\tNULL\tYES\tBTREE\t\t\n\
                   -- opsdeck:end\n";
        let r = online_advice("SELECT * FROM t WHERE a = 1", out, Lang::En).unwrap();
        assert!(r.advice.live);
        let t = r.live.table("t").unwrap();
        assert!(t.indexes.iter().any(|i| i.name == "idx_a"), "{t:?}");
        assert!(
            !r.advice.advice.iter().any(|a| a.columns == ["a"]),
            "an existing index on a is not advised again: {:?}",
            r.advice
        );
        assert!(online_advice("SELECT 1", "no sections here", Lang::En).is_err());
    }
}
