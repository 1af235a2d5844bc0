//! SQL audit (SQL审核): checked SQL that, once approved, runs on a tag's MySQL write database from its proxy host (template 9001).

use serde::{Deserialize, Serialize};

use super::{
    Choices, Form, ModuleContext, allowed_tag, check_approvers, exec_time, finish, name_or,
};
use crate::model::{Database, DbType, Invalid, Lang, ModuleKind, SqlVia, Tag, TaskSpec};
use crate::sql::score::{ScoreOptions, ScoreReport, score};
use crate::sql::{CheckReport, check, split};
use crate::sqlaudit::{StatementKind, classify};

/// The built-in template that executes approved SQL on the proxy host.
pub const SQL_AUDIT_TEMPLATE: u32 = 9001;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlAuditForm {
    /// Task name; defaults to "SQL audit on <tag>".
    pub name: String,
    /// Target tag: needs a proxy host and exactly one MySQL write database.
    pub tag: String,
    /// The statements to execute, `;`-terminated (DELIMITER changes allowed).
    pub sql: String,
    /// At least one user with the approver or admin role, never the submitter.
    pub approvers: Vec<String>,
    /// When to run once approved (any form `parse_exec_time` accepts); empty = as soon as approved.
    pub exec_time: String,
    pub details: String,
    /// All DML in one transaction, all or nothing (needs `sql_via = "tunnel"`; no DDL allowed).
    pub transaction: bool,
}

/// What the local review of the SQL found: the syntax check and the SOAR-style score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqlReview {
    pub check: CheckReport,
    pub score: ScoreReport,
}

impl SqlAuditForm {
    /// The syntax check and the score of the form's SQL, as the approver will see them.
    pub fn review(&self, lang: Lang) -> SqlReview {
        SqlReview {
            check: check(&self.sql),
            score: score(&self.sql, &ScoreOptions::default(), lang),
        }
    }
}

/// The one MySQL write database of a tag, or an error on `field` saying what is missing.
pub fn write_database<'a>(tag: &'a Tag, field: &str, errs: &mut Invalid) -> Option<&'a Database> {
    let writes: Vec<&Database> = tag
        .write_databases()
        .filter(|d| d.db_type == DbType::Mysql)
        .collect();
    match writes.as_slice() {
        [one] => Some(one),
        [] => {
            errs.push(
                field,
                format!(
                    "tag `{}` has no MySQL write database (add one with `role = \"write\"` under the tag's databases)",
                    tag.name
                ),
            );
            None
        }
        many => {
            let names: Vec<&str> = many.iter().map(|d| d.name.as_str()).collect();
            errs.push(
                field,
                format!(
                    "tag `{}` has {} MySQL write databases ({}); an audit needs exactly one",
                    tag.name,
                    many.len(),
                    names.join(", ")
                ),
            );
            None
        }
    }
}

/// The tag's proxy host, checked against the inventory, or an error on `field`.
pub fn proxy_host<'a>(
    tag: &'a Tag,
    field: &str,
    ctx: &ModuleContext,
    errs: &mut Invalid,
) -> Option<&'a str> {
    match tag.proxy.as_deref() {
        None => {
            errs.push(
                field,
                format!(
                    "tag `{}` has no proxy host (set `proxy` on the tag in the inventory)",
                    tag.name
                ),
            );
            None
        }
        Some(p) if ctx.inventory.host(p).is_none() => {
            errs.push(
                field,
                format!(
                    "the proxy `{p}` of tag `{}` is not an inventory host",
                    tag.name
                ),
            );
            None
        }
        Some(p) => Some(p),
    }
}

/// The `DB_*` args of templates 9001 and 9901 for a database; the password is read from its source.
pub fn database_args(
    db: &Database,
    field: &str,
    args: &mut std::collections::BTreeMap<String, String>,
    errs: &mut Invalid,
) {
    args.insert("DB_HOST".into(), db.host.clone());
    args.insert("DB_PORT".into(), db.port.to_string());
    args.insert("DB_USER".into(), db.user.clone());
    args.insert("DB_NAME".into(), db.schema.clone().unwrap_or_default());
    match db.resolve_password() {
        Ok(Some(pw)) => {
            args.insert("DB_PASSWORD".into(), pw);
        }
        Ok(None) => {}
        Err(e) => errs.push(field, e),
    }
}

/// `start-end` line spans of the statements, separated by spaces (template 9001's STATEMENT_LINES).
///
/// Spans are contiguous: a statement also owns the lines between the previous statement's end and
/// its own start (leading comments, blank lines), so whichever line a client reports for the
/// failing statement (its first line or its last) falls into it. Two statements on one line share it.
pub fn statement_lines(sql: &str) -> String {
    let mut out = Vec::new();
    let mut prev_end = 0usize;
    for st in split(sql) {
        let end = 1 + sql[..st.range.end.min(sql.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count();
        let start = if st.start.line <= prev_end {
            st.start.line
        } else {
            prev_end + 1
        };
        out.push(format!("{start}-{}", end.max(start)));
        prev_end = end;
    }
    out.join(" ")
}

/// `transaction = true`: the tunnel only, and no statement MySQL would commit implicitly or that
/// ends the transaction opsdeck opens.
fn transaction_rules(sql: &str, via: SqlVia, tag: Option<&Tag>, errs: &mut Invalid) {
    if via == SqlVia::Client {
        errs.push(
            "transaction",
            format!(
                "tag `{}` runs SQL through the mysql client (sql_via = \"client\"), which cannot hold the audit in one transaction; use a tag with sql_via = \"tunnel\"",
                tag.map(|t| t.name.as_str()).unwrap_or_default()
            ),
        );
    }
    for (i, st) in split(sql).iter().enumerate() {
        let (n, line) = (i + 1, st.start.line);
        match classify(&st.text) {
            StatementKind::Ddl => errs.push(
                "sql",
                format!(
                    "statement {n} at line {line} is DDL, which MySQL commits implicitly: it cannot be undone with the transaction; submit it in an audit without `transaction`"
                ),
            ),
            StatementKind::Transaction => errs.push(
                "sql",
                format!(
                    "statement {n} at line {line} controls the transaction, which opsdeck opens and ends itself with `transaction`"
                ),
            ),
            _ => {}
        }
    }
}

fn lang(ctx: &ModuleContext) -> Lang {
    Lang::resolve(None, ctx.config.lang.as_deref())
}

impl Form for SqlAuditForm {
    const KIND: ModuleKind = ModuleKind::SqlAudit;

    fn choices(&self, ctx: &ModuleContext) -> Choices {
        Choices {
            tags: ctx
                .allowed_tags()
                .into_iter()
                .filter(|t| {
                    t.proxy
                        .as_deref()
                        .is_some_and(|p| ctx.inventory.host(p).is_some())
                        && t.write_databases()
                            .filter(|d| d.db_type == DbType::Mysql)
                            .count()
                            == 1
                })
                .map(|t| t.name.clone())
                .collect(),
            approvers: ctx.approver_choices(),
            ..Choices::default()
        }
    }

    fn to_spec(&self, ctx: &ModuleContext) -> Result<TaskSpec, Invalid> {
        let mut errs = Invalid::default();
        let tag = allowed_tag("tag", &self.tag, ctx, &mut errs);
        let proxy = tag.and_then(|t| proxy_host(t, "tag", ctx, &mut errs));
        let db = tag.and_then(|t| write_database(t, "tag", &mut errs));
        let review = self.review(lang(ctx));
        if split(&self.sql).is_empty() {
            errs.push("sql", "enter the SQL to execute");
        }
        let via = tag.map(|t| t.sql_via).unwrap_or_default();
        // Through the tunnel the real server decides at submit: the offline parser's complaints
        // travel with the task and become notes when the server accepts the statement.
        // Input over the parser's limits (size, nesting) is refused whichever way: it never
        // reaches a server.
        let blocking = |d: &&crate::sql::Diagnostic| {
            via == SqlVia::Client || d.id == crate::sql::MessageId::Limit
        };
        {
            for d in review.check.errors.iter().filter(blocking) {
                errs.push(
                    "sql",
                    format!(
                        "statement {} at line {}:{}: {}",
                        d.statement, d.position.line, d.position.column, d.message
                    ),
                );
            }
        }
        if self.transaction {
            transaction_rules(&self.sql, via, tag, &mut errs);
        }
        if self.approvers.is_empty() {
            errs.push(
                "approvers",
                "name at least one approver (a user with the approver or admin role)",
            );
        }
        check_approvers("approvers", &self.approvers, ctx, &mut errs);
        let at = exec_time("exec_time", &self.exec_time, ctx.now, &mut errs);
        let mut args = std::collections::BTreeMap::new();
        if let Some(db) = db {
            database_args(db, "tag", &mut args, &mut errs);
        }
        let tpl = ctx.template(SQL_AUDIT_TEMPLATE);
        if tpl.is_none() {
            errs.push(
                "template",
                format!(
                    "built-in template {SQL_AUDIT_TEMPLATE} is missing (`opsdeck template list`)"
                ),
            );
        }
        let (Some(tag), Some(proxy), Some(db), Some(tpl), Some(at)) = (tag, proxy, db, tpl, at)
        else {
            return Err(errs);
        };
        args.insert("SQL".into(), self.sql.clone());
        args.insert("STATEMENT_LINES".into(), statement_lines(&self.sql));
        let spec = TaskSpec {
            name: name_or(&self.name, || format!("SQL audit on {}", tag.name)),
            module: Self::KIND,
            submitter: ctx.user.clone(),
            template_id: tpl.id,
            args,
            hosts: [(1, vec![proxy.to_string()])].into(),
            exec_time: at,
            needs_approval: true,
            approvers: self.approvers.clone(),
            details: self.details.clone(),
            extra: serde_json::json!({
                "target_tag": tag.name,
                "database": db.name,
                "statements": review.check.statements.len(),
                "check_warnings": review.check.warnings,
                "offline_errors": review.check.errors,
                "score": review.score,
                "sql_via": tag.sql_via.as_str(),
                "transaction": self.transaction,
                "max_update_rows": tag.max_update_rows(),
                "osc_min_table_mb": tag.osc_min_table_mb(),
                "osc_args": tag.osc_args,
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
name = "orders"
hosts = ["h1"]
proxy = "p1"
[[tags.databases]]
name = "orders-rw"
host = "10.9.0.1"
port = 3307
user = "app"
schema = "orders"
password = "pw-inline-1"
role = "write"
[[tags.databases]]
name = "orders-ro"
host = "10.9.0.2"
user = "app"
password = "pw-ro"
role = "read"

[[tags]]
name = "noproxy"
hosts = ["h1"]
[[tags.databases]]
name = "np"
host = "10.9.0.3"
user = "app"
role = "read"

[[tags]]
name = "readonly"
hosts = ["h2"]
proxy = "p1"
[[tags.databases]]
name = "ro"
host = "10.9.0.4"
user = "app"
role = "read"

[[tags]]
name = "twowrite"
hosts = ["h2"]
proxy = "p1"
sql_via = "client"
[[tags.databases]]
name = "w1"
host = "10.9.0.5"
user = "app"
[[tags.databases]]
name = "w2"
host = "10.9.0.6"
user = "app"

[[tags]]
name = "legacy"
hosts = ["h2"]
proxy = "p1"
sql_via = "client"
max_update_rows = 10
[[tags.databases]]
name = "legacy-rw"
host = "10.9.0.8"
user = "app"

[[tags]]
name = "envpw"
hosts = ["h2"]
proxy = "p1"
[[tags.databases]]
name = "envdb"
host = "10.9.0.7"
user = "app"
password_env = "OPSDECK_TEST_SURELY_UNSET_PW"
"#;

    fn ctx() -> ModuleContext {
        let inv: Inventory = toml::from_str(&format!("{INVENTORY}\n{DBS}")).expect("inventory");
        inv.validate().expect("valid inventory");
        ModuleContext::new(inv, templates(), Config::default(), "alice")
    }

    fn good() -> SqlAuditForm {
        SqlAuditForm {
            tag: "orders".into(),
            sql: "UPDATE t SET a = 1 WHERE id = 2;\n\nDELETE FROM t\n WHERE id = 3;\n".into(),
            approvers: vec!["bob".into()],
            ..SqlAuditForm::default()
        }
    }

    #[test]
    fn it_runs_9001_on_the_proxy_against_the_write_database_after_approval() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        assert_eq!(s.template_id, 9001);
        assert_eq!(s.module, ModuleKind::SqlAudit);
        assert!(s.needs_approval);
        assert_eq!(s.approvers, vec!["bob".to_string()]);
        assert_eq!(s.hosts.len(), 1);
        assert_eq!(s.hosts[&1], vec!["p1".to_string()]);
        assert_eq!(
            s.args["DB_HOST"], "10.9.0.1",
            "the write database, not the read one"
        );
        assert_eq!(s.args["DB_PORT"], "3307");
        assert_eq!(s.args["DB_USER"], "app");
        assert_eq!(s.args["DB_NAME"], "orders");
        assert_eq!(s.args["DB_PASSWORD"], "pw-inline-1");
        assert_eq!(s.args["SQL"], good().sql);
        assert_eq!(s.args["STATEMENT_LINES"], "1-1 2-4");
        assert_eq!(s.name, "SQL audit on orders");
        assert!(
            s.secret_arg_names(c.template(9001).unwrap())
                .contains("DB_PASSWORD")
        );
        assert_eq!(s.extra["database"], "orders-rw");
        assert_eq!(s.extra["statements"], 2);
        // The score travels with the task: DELETE/UPDATE findings an approver should see.
        let sc: ScoreReport = serde_json::from_value(s.extra["score"].clone()).unwrap();
        assert_eq!(sc.statements.len(), 2);
        assert!(sc.score <= 100);
        assert!(s.extra["check_warnings"].as_array().unwrap().is_empty());
    }

    #[test]
    fn warnings_are_kept_with_the_task_and_do_not_block() {
        let c = ctx();
        let f = SqlAuditForm {
            sql: "CREATE USER 'u'@'%' IDENTIFIED BY 'x';\nUPDATE t SET a = 1 WHERE id = 1;".into(),
            ..good()
        };
        let review = f.review(Lang::En);
        assert!(!review.check.warnings.is_empty(), "{review:?}");
        let s = f.to_spec(&c).unwrap();
        let w = s.extra["check_warnings"].as_array().unwrap();
        assert_eq!(w.len(), review.check.warnings.len());
        assert_eq!(w[0]["statement"], 1);
        assert!(
            w[0]["message"]
                .as_str()
                .unwrap()
                .contains("cannot be verified"),
            "{w:?}"
        );
    }

    #[test]
    fn through_the_client_a_syntax_error_blocks_with_its_statement_and_position() {
        let c = ctx();
        let f = SqlAuditForm {
            tag: "legacy".into(),
            sql: "UPDATE t SET a = 1 WHERE id = 1;\nSELECT TOP 5 * FROM t;".into(),
            ..good()
        };
        let e = f.validate(&c).unwrap_err();
        assert!(e.has_field("sql"), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("sql: statement 2 at line 2:"), "{msg}");
        let f = SqlAuditForm {
            sql: " \n-- only a comment\n".into(),
            ..good()
        };
        assert!(
            f.validate(&c)
                .unwrap_err()
                .to_string()
                .contains("sql: enter the SQL")
        );
    }

    #[test]
    fn the_tag_needs_a_proxy_and_exactly_one_write_database() {
        let c = ctx();
        for (tag, want) in [
            ("noproxy", "tag `noproxy` has no proxy host"),
            ("readonly", "tag `readonly` has no MySQL write database"),
            (
                "twowrite",
                "tag `twowrite` has 2 MySQL write databases (w1, w2)",
            ),
            (
                "envpw",
                "OPSDECK_TEST_SURELY_UNSET_PW (password_env) is not set",
            ),
            ("nope", "unknown tag `nope`"),
            ("secret", "may not target tag `secret`"),
            ("", "tag: choose a tag"),
        ] {
            let f = SqlAuditForm {
                tag: tag.into(),
                ..good()
            };
            let msg = f.validate(&c).unwrap_err().to_string();
            assert!(msg.contains(want), "{tag}: {msg}");
        }
        // noproxy lacks both (its only database is read-only): both are said at once.
        let msg = SqlAuditForm {
            tag: "noproxy".into(),
            ..good()
        }
        .validate(&c)
        .unwrap_err()
        .to_string();
        assert!(msg.contains("no MySQL write database"), "{msg}");
    }

    #[test]
    fn approvers_are_required_have_the_role_and_are_not_the_submitter() {
        let c = ctx();
        let e = SqlAuditForm {
            approvers: vec![],
            ..good()
        }
        .validate(&c)
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("approvers: name at least one approver"),
            "{e}"
        );
        let msg = SqlAuditForm {
            approvers: vec!["alice".into(), "carol".into(), "ghost".into()],
            ..good()
        }
        .validate(&c)
        .unwrap_err()
        .to_string();
        for want in [
            "`alice` submits this task and cannot approve it",
            "`carol` has the operator role",
            "unknown user `ghost`",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
        // An admin may approve.
        assert!(
            SqlAuditForm {
                approvers: vec!["root".into()],
                ..good()
            }
            .validate(&c)
            .is_ok()
        );
    }

    #[test]
    fn through_the_tunnel_offline_errors_travel_for_the_server_to_decide() {
        let c = ctx();
        let f = SqlAuditForm {
            sql: "START TRANSACTION /*!40108 WITH CONSISTENT SNAPSHOT */;\nSELECT TOP 5 * FROM t;"
                .into(),
            ..good()
        };
        let s = f.to_spec(&c).unwrap();
        let offline = s.extra["offline_errors"].as_array().unwrap();
        assert!(offline.iter().any(|e| e["statement"] == 2), "{offline:?}");
        assert_eq!(s.extra["sql_via"], "tunnel");
        assert_eq!(s.extra["transaction"], false);
        assert_eq!(s.extra["max_update_rows"], 5000);
        let legacy = SqlAuditForm {
            tag: "legacy".into(),
            ..good()
        }
        .to_spec(&c)
        .unwrap();
        assert_eq!(legacy.extra["sql_via"], "client");
        assert_eq!(legacy.extra["max_update_rows"], 10);
    }

    #[test]
    fn the_dry_run_of_a_tunnel_audit_shows_what_really_runs() {
        let c = ctx();
        let s = good().to_spec(&c).unwrap();
        let p = crate::modules::plan(&s, c.template(9001).unwrap(), &c.inventory);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].host, "p1");
        assert_eq!(
            p[0].command,
            "native SQL audit of 2 statement(s) through an SSH tunnel via proxy `p1` to 10.9.0.1:3307 \
             as `app`, schema `orders` (stop at the first error); ALTERs on tables of 16 MiB or more \
             run through pt-online-schema-change on `p1` (the server check says which); no mysql \
             client runs"
        );
        assert!(p[0].stdin.is_empty(), "{:?}", p[0].stdin);
        // The client route still shows the 9001 command, the password masked.
        let legacy = SqlAuditForm {
            tag: "legacy".into(),
            ..good()
        }
        .to_spec(&c)
        .unwrap();
        let p = crate::modules::plan(&legacy, c.template(9001).unwrap(), &c.inventory);
        assert!(p[0].command.contains("mysql"), "{}", p[0].command);
    }

    #[test]
    fn a_transaction_refuses_ddl_transaction_control_and_the_client_route() {
        let c = ctx();
        let tx = |tag: &str, sql: &str| SqlAuditForm {
            tag: tag.into(),
            sql: sql.into(),
            transaction: true,
            ..good()
        };
        let s = tx(
            "orders",
            "UPDATE t SET a = 1 WHERE id = 1;\nDELETE FROM t WHERE id = 2;",
        )
        .to_spec(&c)
        .unwrap();
        assert_eq!(s.extra["transaction"], true);
        let msg = tx(
            "orders",
            "UPDATE t SET a = 1 WHERE id = 1;\nALTER TABLE t ADD c INT;\nCOMMIT;",
        )
        .validate(&c)
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("statement 2 at line 2 is DDL, which MySQL commits implicitly"),
            "{msg}"
        );
        assert!(
            msg.contains("statement 3 at line 3 controls the transaction"),
            "{msg}"
        );
        let e = tx("legacy", "UPDATE t SET a = 1 WHERE id = 1;")
            .validate(&c)
            .unwrap_err();
        assert!(e.has_field("transaction"), "{e}");
        assert!(e.to_string().contains("sql_via = \"tunnel\""), "{e}");
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let c = ctx();
        let e = SqlAuditForm {
            tag: "twowrite".into(),
            sql: "SELEC 1;".into(),
            approvers: vec!["alice".into()],
            exec_time: "someday".into(),
            ..SqlAuditForm::default()
        }
        .validate(&c)
        .unwrap_err();
        for f in ["tag", "sql", "approvers", "exec_time"] {
            assert!(e.has_field(f), "{f}: {e}");
        }
    }

    #[test]
    fn choices_offer_only_usable_tags_and_approvers() {
        let c = ctx();
        let ch = good().choices(&c);
        assert_eq!(ch.tags, ["orders", "legacy", "envpw"]);
        assert_eq!(ch.approvers, vec!["bob".to_string(), "root".to_string()]);
    }

    #[test]
    fn statement_spans_cover_comments_and_shared_lines() {
        assert_eq!(statement_lines("SELECT 1;"), "1-1");
        assert_eq!(
            statement_lines("SELECT 1; SELECT 2;\n-- note\n\nUPDATE t\nSET a = 1;\n"),
            "1-1 1-1 2-5"
        );
        assert_eq!(
            statement_lines(
                "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nSELECT 2;"
            ),
            "1-2 3-4"
        );
        assert_eq!(statement_lines(""), "");
    }
}
