//! What kind of statement a piece of SQL is, by its leading keywords: enough to know which ones
//! MySQL commits implicitly, which ones EXPLAIN can check and which table a DDL names.

/// The kinds of statement an audit treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// UPDATE / DELETE / INSERT / REPLACE: EXPLAIN checks them and estimates the rows.
    Write,
    /// SELECT, WITH …: read only; EXPLAIN checks them.
    Read,
    /// CREATE / ALTER / DROP / TRUNCATE / RENAME / GRANT …: MySQL commits before and after them.
    Ddl,
    /// START TRANSACTION / BEGIN / COMMIT / ROLLBACK / SAVEPOINT …
    Transaction,
    /// Anything else (SET, CALL, DO …).
    Other,
}

/// The first `n` keywords of `sql`, upper-cased, skipping whitespace and plain `/* */` and `--`
/// comments (MySQL's executable `/*! */` comments count as comments here too).
pub fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = sql;
    while words.len() < n {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map(|i| &r[i + 2..]).unwrap_or("");
            continue;
        }
        if rest.starts_with("--") || rest.starts_with('#') {
            rest = rest.find('\n').map(|i| &rest[i + 1..]).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        words.push(rest[..end].to_ascii_uppercase());
        rest = &rest[end..];
    }
    words
}

/// The kind of one statement.
pub fn classify(sql: &str) -> StatementKind {
    let w = leading_words(sql, 1);
    match w.first().map(String::as_str) {
        Some("UPDATE" | "DELETE" | "INSERT" | "REPLACE") => StatementKind::Write,
        Some("SELECT" | "WITH" | "TABLE" | "VALUES") => StatementKind::Read,
        Some(
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "RENAME" | "GRANT" | "REVOKE" | "LOCK"
            | "UNLOCK" | "ANALYZE" | "OPTIMIZE" | "REPAIR" | "FLUSH" | "INSTALL" | "UNINSTALL"
            | "LOAD",
        ) => StatementKind::Ddl,
        Some("START" | "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "XA") => {
            StatementKind::Transaction
        }
        _ => StatementKind::Other,
    }
}

/// For `CREATE TABLE`, `ALTER TABLE`, `DROP TABLE`, `TRUNCATE [TABLE]`: the verb and the table
/// named (schema-qualified or not, backquotes removed).
pub fn ddl_table(sql: &str) -> Option<(String, TableName)> {
    let words = leading_words(sql, 6);
    let verb = words.first()?.clone();
    let table_pos = match verb.as_str() {
        "TRUNCATE" => 1,
        "CREATE" | "ALTER" | "DROP" => 2,
        _ => return None,
    };
    let mut after = skip_words(sql, table_pos);
    if verb != "TRUNCATE" && words.get(1).map(String::as_str) != Some("TABLE") {
        // CREATE TEMPORARY TABLE, ALTER ONLINE TABLE, CREATE OR REPLACE … are left to the server.
        return None;
    }
    if verb == "TRUNCATE" && words.get(1).map(String::as_str) == Some("TABLE") {
        after = skip_words(sql, 2);
    }
    let upper: Vec<String> = leading_words(after, 3);
    if upper.first().map(String::as_str) == Some("IF") {
        let n = if upper.get(1).map(String::as_str) == Some("NOT") {
            3
        } else {
            2
        };
        after = skip_words(after, n);
    }
    Some((verb, TableName::parse(after)?))
}

/// A table name as written: `schema.table`, `table`, with or without backquotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub table: String,
}

/// `ALTER TABLE name …`: the table and the rest (the alter specification), or `None` for any other
/// statement or an ALTER with nothing after the name.
pub fn alter_table_parts(sql: &str) -> Option<(TableName, &str)> {
    let words = leading_words(sql, 2);
    if words != ["ALTER", "TABLE"] {
        return None;
    }
    let (t, rest) = TableName::parse_with_rest(skip_words(sql, 2))?;
    let rest = rest.trim().trim_end_matches(';').trim_end();
    (!rest.is_empty()).then_some((t, rest))
}

impl TableName {
    fn parse(s: &str) -> Option<TableName> {
        Self::parse_with_rest(s).map(|(t, _)| t)
    }

    fn parse_with_rest(s: &str) -> Option<(TableName, &str)> {
        let s = s.trim_start();
        let mut parts = Vec::new();
        let mut rest = s;
        loop {
            let (part, r) = ident(rest)?;
            parts.push(part);
            rest = r;
            match rest.strip_prefix('.') {
                Some(r) => rest = r,
                None => break,
            }
        }
        let t = match parts.len() {
            1 => TableName {
                schema: None,
                table: parts.remove(0),
            },
            2 => TableName {
                table: parts.remove(1),
                schema: Some(parts.remove(0)),
            },
            _ => return None,
        };
        Some((t, rest))
    }
}

fn ident(s: &str) -> Option<(String, &str)> {
    if let Some(r) = s.strip_prefix('`') {
        let end = r.find('`')?;
        return Some((r[..end].to_string(), &r[end + 1..]));
    }
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(s.len());
    (end > 0).then(|| (s[..end].to_string(), &s[end..]))
}

/// `sql` after its first `n` words (comments skipped as in [`leading_words`]).
fn skip_words(sql: &str, n: usize) -> &str {
    let mut rest = sql;
    let mut seen = 0;
    while seen < n {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map(|i| &r[i + 2..]).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return rest;
        }
        rest = &rest[end..];
        seen += 1;
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_leading_keyword() {
        assert_eq!(classify("update t set a=1"), StatementKind::Write);
        assert_eq!(
            classify("/* why */ DELETE t1.*, t2.* FROM t1, t2"),
            StatementKind::Write
        );
        assert_eq!(classify("  insert into t values (1)"), StatementKind::Write);
        assert_eq!(classify("ALTER TABLE t ADD c INT"), StatementKind::Ddl);
        assert_eq!(classify("create table x (id int)"), StatementKind::Ddl);
        assert_eq!(
            classify("START TRANSACTION /*!40108 WITH CONSISTENT SNAPSHOT */"),
            StatementKind::Transaction
        );
        assert_eq!(classify("COMMIT NO RELEASE"), StatementKind::Transaction);
        assert_eq!(classify("SELECT 1"), StatementKind::Read);
        assert_eq!(classify("SET @a = 1"), StatementKind::Other);
        assert_eq!(classify(""), StatementKind::Other);
    }

    #[test]
    fn ddl_tables_are_found_with_schemas_quotes_and_if_clauses() {
        let t = |s| ddl_table(s).map(|(v, t)| (v, t.schema, t.table));
        assert_eq!(
            t("ALTER TABLE items ADD c INT"),
            Some(("ALTER".into(), None, "items".into()))
        );
        assert_eq!(
            t("create table if not exists `shop`.`new t` (id int)"),
            Some(("CREATE".into(), Some("shop".into()), "new t".into()))
        );
        assert_eq!(
            t("DROP TABLE IF EXISTS old"),
            Some(("DROP".into(), None, "old".into()))
        );
        assert_eq!(
            t("TRUNCATE items"),
            Some(("TRUNCATE".into(), None, "items".into()))
        );
        assert_eq!(
            t("truncate table s.items"),
            Some(("TRUNCATE".into(), Some("s".into()), "items".into()))
        );
        assert_eq!(t("CREATE INDEX i ON t (a)"), None);
        let (t2, rest) = alter_table_parts(
            "/* big */ alter table `shop`.items ADD COLUMN c INT, ADD KEY k (c);",
        )
        .unwrap();
        assert_eq!(
            (t2.schema.as_deref(), t2.table.as_str()),
            (Some("shop"), "items")
        );
        assert_eq!(rest, "ADD COLUMN c INT, ADD KEY k (c)");
        assert!(alter_table_parts("ALTER TABLE items").is_none());
        assert!(alter_table_parts("ALTER ONLINE TABLE items ADD c INT").is_none());
        assert_eq!(t("UPDATE t SET a = 1"), None);
    }
}
