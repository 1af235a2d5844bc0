//! SEC.* score rules: destructive statements, passwords, injection.

use sqlparser::ast::{AssignmentTarget, DataType, Expr, SetExpr, Statement, Value};
use sqlparser::tokenizer::Token;

use super::key::ddl_columns;
use super::rule::{Ctx, Hit, Rule, Text};
use crate::sql::tokens::{is_seq, is_word, word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "SEC.001",
        level: 0,
        summary: Text {
            en: "be careful with TRUNCATE",
            zh: "请谨慎使用 TRUNCATE 操作",
        },
        explain: Text {
            en: "TRUNCATE TABLE is the fastest way to empty a table, but it cannot be rolled back, does not report how many rows it removed, resets AUTO_INCREMENT and takes a metadata lock that blocks the whole instance's access to the table. Use DELETE when you need the row count or to keep AUTO_INCREMENT, and DROP+CREATE when truncating many tables.",
            zh: "一般来说想清空一张表最快速的做法就是使用 TRUNCATE TABLE tbl_name; 语句。但 TRUNCATE 操作也并非是毫无代价的，TRUNCATE TABLE 无法返回被删除的准确行数，如果需要返回被删除的行数建议使用 DELETE 语法。TRUNCATE 操作还会重置 AUTO_INCREMENT，如果不想重置该值建议使用 DELETE FROM tbl_name WHERE 1; 替代。TRUNCATE 操作会对数据字典添加源数据锁(MDL)，当一次需要 TRUNCATE 很多表时会影响整个实例的所有请求，因此如果要 TRUNCATE 多个表建议用 DROP+CREATE 的方式以减少锁时长。",
        },
        check: Some(truncate),
    },
    Rule {
        id: "SEC.002",
        level: 0,
        summary: Text {
            en: "do not store passwords in plain text",
            zh: "不使用明文存储密码",
        },
        explain: Text {
            en: "A password column of a string type, or a password written as a literal into SQL, is readable by anyone who sees the table, the binlog or the query log. Store a salted one-way hash (bcrypt, argon2) computed in the application, and only ever send the hash in SQL.",
            zh: "使用明文存储密码或者使用明文在网络上传递密码都是不安全的。如果攻击者能够截获您用来插入密码的 SQL 语句，他们就能直接读到密码。解决方案是使用单向哈希函数对原始密码进行加密编码，并加随机串（盐）防御“字典攻击”。不要将明文密码输入到 SQL 查询语句中，在应用程序代码中计算哈希串，只在 SQL 查询中使用哈希串。",
        },
        check: Some(plaintext_password),
    },
    Rule {
        id: "SEC.003",
        level: 0,
        summary: Text {
            en: "back up before DELETE/DROP/TRUNCATE",
            zh: "使用 DELETE/DROP/TRUNCATE 等操作时注意备份",
        },
        explain: Text {
            en: "DELETE, DROP and TRUNCATE destroy data. Take a backup (or at least copy the affected rows) before running them, and check you can restore it.",
            zh: "在执行高危操作之前对数据进行备份是十分有必要的，并确认备份可以恢复。",
        },
        check: Some(destructive),
    },
    Rule {
        id: "SEC.004",
        level: 0,
        summary: Text {
            en: "functions common in SQL injection",
            zh: "发现常用 SQL 注入函数",
        },
        explain: Text {
            en: "SLEEP(), BENCHMARK(), GET_LOCK() and RELEASE_LOCK() are rarely needed by applications but common in SQL-injection payloads (time-based blind injection), and they tie up connections. Check where the statement comes from and remove them.",
            zh: "SLEEP()、BENCHMARK()、GET_LOCK()、RELEASE_LOCK() 等函数通常出现在 SQL 注入语句中，会严重影响数据库性能。请检查语句来源并去掉这些函数。",
        },
        check: Some(injection_functions),
    },
];

/// SEC.001: `TRUNCATE [TABLE] t`.
fn truncate(c: &Ctx) -> Vec<Hit> {
    if is_word(c.toks, 0, "TRUNCATE") {
        c.toks
            .first()
            .map(|t| vec![Hit::tok(t)])
            .unwrap_or_default()
    } else {
        Vec::new()
    }
}

fn password_name(n: &str) -> bool {
    let n = n.to_lowercase();
    n.contains("password") || n.contains("passwd") || n.contains("pwd")
}

fn is_string_type(t: &DataType) -> bool {
    let s = t.to_string().to_lowercase();
    ["char", "text", "binary", "blob", "string"]
        .iter()
        .any(|k| s.contains(k))
}

fn is_string_literal(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Value(v) if matches!(
            v.value,
            Value::SingleQuotedString(_) | Value::DoubleQuotedString(_)
        )
    )
}

/// SEC.002: a password column of a string type in DDL, or a string literal written into a
/// password column by INSERT/REPLACE or UPDATE.
fn plaintext_password(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for col in ddl_columns(stmt) {
        if password_name(&col.name.value) && is_string_type(col.ty) {
            out.push(Hit::span(col.name.span).with(col.name.value.clone()));
        }
    }
    match stmt {
        Statement::Insert(i) => {
            let pw: Vec<usize> = i
                .columns
                .iter()
                .enumerate()
                .filter(|(_, n)| password_name(&super::walk::table_name(n)))
                .map(|(k, _)| k)
                .collect();
            if let Some(q) = &i.source
                && let SetExpr::Values(v) = q.body.as_ref()
            {
                for row in &v.rows {
                    for &k in &pw {
                        if let Some(e) = row.get(k).filter(|e| is_string_literal(e)) {
                            out.push(Hit::span(sqlparser::ast::Spanned::span(e)));
                        }
                    }
                }
            }
        }
        Statement::Update(u) => {
            for a in &u.assignments {
                if let AssignmentTarget::ColumnName(n) = &a.target
                    && password_name(&super::walk::table_name(n))
                    && is_string_literal(&a.value)
                {
                    out.push(Hit::span(sqlparser::ast::Spanned::span(&a.value)));
                }
            }
        }
        _ => {}
    }
    out
}

/// SEC.003: DELETE, DROP TABLE/DATABASE/SCHEMA, TRUNCATE.
fn destructive(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let yes = is_word(t, 0, "DELETE")
        || is_word(t, 0, "TRUNCATE")
        || is_seq(t, 0, &["DROP", "TABLE|DATABASE|SCHEMA"])
        || is_seq(t, 0, &["DROP", "TEMPORARY", "TABLE"]);
    if yes {
        t.first().map(|x| vec![Hit::tok(x)]).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// SEC.004: a call to SLEEP, BENCHMARK, GET_LOCK or RELEASE_LOCK.
fn injection_functions(c: &Ctx) -> Vec<Hit> {
    const NAMES: &[&str] = &["SLEEP", "BENCHMARK", "GET_LOCK", "RELEASE_LOCK"];
    let t = c.toks;
    (0..t.len())
        .filter(|&i| {
            word(&t[i]).is_some_and(|w| NAMES.contains(&w.as_str()))
                && matches!(t.get(i + 1).map(|x| &x.token), Some(Token::LParen))
                && !(i > 0 && matches!(t[i - 1].token, Token::Period))
        })
        .map(|i| Hit::tok(&t[i]).with(word(&t[i]).unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn sec_001_truncate() {
        assert_rule(
            "SEC.001",
            &["TRUNCATE TABLE tbl_name", "truncate t"],
            &["DELETE FROM t", "SELECT truncate(1.5, 0)"],
        );
        assert_eq!(hits("SEC.001", "TRUNCATE TABLE t")[0].at, Some((1, 1)));
    }

    #[test]
    fn sec_002_plaintext_password() {
        assert_rule(
            "SEC.002",
            &[
                "create table test(id int,name varchar(20) not null,password varchar(200)not null)",
                "ALTER TABLE u ADD COLUMN user_pwd char(32)",
                "INSERT INTO users (name, password) VALUES ('a', 'secret')",
                "UPDATE users SET password = 'secret' WHERE id = 1",
            ],
            &[
                "CREATE TABLE t (id int, password_updated_at datetime)",
                "UPDATE users SET password = SHA2(?, 256) WHERE id = 1",
                "SELECT password FROM users",
            ],
        );
        assert_eq!(
            hits("SEC.002", "CREATE TABLE t (id int, passwd varchar(64))")[0]
                .detail
                .as_deref(),
            Some("passwd")
        );
    }

    #[test]
    fn sec_003_destructive() {
        assert_rule(
            "SEC.003",
            &[
                "delete from table1 where col = 'condition'",
                "DROP TABLE t",
                "DROP DATABASE d",
                "TRUNCATE TABLE t",
            ],
            &[
                "DROP INDEX i ON t",
                "SELECT 1",
                "UPDATE t SET a = 1 WHERE id = 1",
            ],
        );
    }

    #[test]
    fn sec_004_injection_functions() {
        assert_rule(
            "SEC.004",
            &[
                "SELECT * FROM t WHERE id = 1 AND SLEEP(5)",
                "SELECT BENCHMARK(1000000, MD5('a'))",
                "SELECT GET_LOCK('x', 10)",
            ],
            &["SELECT sleep FROM t", "SELECT 1"],
        );
        assert_eq!(hits("SEC.004", "SELECT sleep(1)")[0].at, Some((1, 8)));
    }
}
