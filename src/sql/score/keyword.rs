//! KWR.* score rules: keywords and identifiers.

use sqlparser::ast::{Ident, Statement};
use sqlparser::tokenizer::Token;

use super::key::ddl_columns;
use super::rule::{Ctx, Hit, Rule, Text};
use crate::sql::tokens::word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "KWR.001",
        level: 2,
        summary: Text {
            en: "SQL_CALC_FOUND_ROWS is inefficient",
            zh: "SQL_CALC_FOUND_ROWS 效率低下",
        },
        explain: Text {
            en: "SQL_CALC_FOUND_ROWS makes MySQL compute the whole result even with LIMIT, so it does not scale (and it is deprecated since 8.0.17). Run a separate `SELECT COUNT(*)` when the total is really needed, or page without a total.",
            zh: "因为 SQL_CALC_FOUND_ROWS 不能很好地扩展，所以可能导致性能问题（MySQL 8.0.17 起已废弃）；建议业务使用其他策略来替代 SQL_CALC_FOUND_ROWS 提供的计数功能，比如：分页结果展示等。",
        },
        check: Some(calc_found_rows),
    },
    Rule {
        id: "KWR.002",
        level: 2,
        summary: Text {
            en: "MySQL keyword used as a table or column name",
            zh: "不建议使用 MySQL 关键字做列名或表名",
        },
        explain: Text {
            en: "A reserved word as a table or column name must be backquoted in every statement; forgetting it once makes the statement fail, and new MySQL versions add reserved words. Choose a name that is not a keyword.",
            zh: "当使用关键字做为列名或表名时程序需要对列名和表名进行转义，如果疏忽被将导致请求无法执行。请换一个不是关键字的名字。",
        },
        check: Some(keyword_as_name),
    },
    Rule {
        id: "KWR.003",
        level: 1,
        summary: Text {
            en: "plural table or column name",
            zh: "不建议使用复数做列名或表名",
        },
        explain: Text {
            en: "A table name should name the entity of one row, not how many there are, matching the singular class name in the code (`user`, not `users`). Use singular names.",
            zh: "表名应该仅仅表示表里面的实体内容，不应该表示实体数量，对应于 DO 类名也是单数形式，符合表达习惯。",
        },
        check: Some(plural_name),
    },
    Rule {
        id: "KWR.004",
        level: 1,
        summary: Text {
            en: "multi-byte (e.g. Chinese) identifier",
            zh: "不建议使用使用多字节编码（中文）命名",
        },
        explain: Text {
            en: "Identifiers in multi-byte characters depend on the connection and table charsets, are hard to type and break many tools. Name databases, tables, columns and aliases in ASCII letters, digits and underscores.",
            zh: "为库、表、列、别名命名时建议使用英文，数字，下划线等字符，不建议使用中文或其他多字节编码字符，它们依赖连接和表的字符集，难以输入，很多工具也不支持。",
        },
        check: Some(multibyte_name),
    },
    Rule {
        id: "KWR.005",
        level: 1,
        summary: Text {
            en: "invisible unicode special characters in SQL",
            zh: "SQL 中包含 unicode 特殊字符",
        },
        explain: Text {
            en: "Some editors and IDEs insert invisible characters such as a no-break space (U+00A0), a zero-width space (U+200B) or a byte order mark (U+FEFF); they make statements fail or compare differently than they look. Remove them (`cat -A file.sql` shows them on Linux).",
            zh: "部分 IDE 会自动在 SQL 中插入肉眼不可见的 unicode 字符。如：non-break space, zero-width space 等。Linux 下可以使用 \"cat -A file.sql\" 命令查看不可见字符。",
        },
        check: Some(invisible_unicode),
    },
];

/// KWR.001: the SQL_CALC_FOUND_ROWS modifier (tokens, so it is found even when the statement
/// does not parse).
fn calc_found_rows(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .filter(|t| word(t).is_some_and(|w| w == "SQL_CALC_FOUND_ROWS"))
        .map(Hit::tok)
        .collect()
}

/// MySQL 8.0 reserved words.
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASENSITIVE",
    "BEFORE",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOTH",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CHANGE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONDITION",
    "CONSTRAINT",
    "CONTINUE",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELAYED",
    "DELETE",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISTINCT",
    "DISTINCTROW",
    "DIV",
    "DOUBLE",
    "DROP",
    "DUAL",
    "EACH",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST_VALUE",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FROM",
    "FULLTEXT",
    "FUNCTION",
    "GENERATED",
    "GET",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "IS",
    "ITERATE",
    "JOIN",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MASTER_BIND",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MATCH",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "MOD",
    "MODIFIES",
    "NATURAL",
    "NOT",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NUMERIC",
    "OF",
    "ON",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PARTITION",
    "PERCENT_RANK",
    "PRECISION",
    "PRIMARY",
    "PROCEDURE",
    "PURGE",
    "RANGE",
    "RANK",
    "READ",
    "READS",
    "READ_WRITE",
    "REAL",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURN",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SET",
    "SHOW",
    "SIGNAL",
    "SMALLINT",
    "SPATIAL",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLE",
    "TERMINATED",
    "THEN",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "TRAILING",
    "TRIGGER",
    "TRUE",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNSIGNED",
    "UPDATE",
    "USAGE",
    "USE",
    "USING",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARCHARACTER",
    "VARYING",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
];

/// The names a DDL statement gives: the created table and the defined columns.
fn defined_names(stmt: &Statement) -> Vec<&Ident> {
    let mut out = Vec::new();
    if let Statement::CreateTable(ct) = stmt
        && let Some(i) = ct.name.0.last().and_then(|p| p.as_ident())
    {
        out.push(i);
    }
    out.extend(ddl_columns(stmt).into_iter().map(|c| c.name));
    out
}

/// KWR.002: a created table or defined column named with a MySQL reserved word.
fn keyword_as_name(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    defined_names(stmt)
        .into_iter()
        .filter(|i| RESERVED.contains(&i.value.to_ascii_uppercase().as_str()))
        .map(|i| Hit::span(i.span).with(i.value.clone()))
        .collect()
}

/// Words ending in `s` that are singular (or uncountable) anyway.
const SINGULAR_S: &[&str] = &[
    "news",
    "series",
    "species",
    "alias",
    "bias",
    "canvas",
    "gas",
    "atlas",
    "yes",
    "this",
    "has",
    "was",
    "always",
    "lens",
    "means",
    "data",
    "sms",
    "gps",
    "dns",
    "os",
    "ms",
    "bus",
    "plus",
    "minus",
    "bonus",
    "status",
    "campus",
    "virus",
    "focus",
    "census",
    "corpus",
    "analysis",
    "basis",
    "axis",
    "thesis",
    "crisis",
    "physics",
    "mathematics",
    "economics",
    "statistics",
    "analytics",
    "logistics",
    "ethics",
    "politics",
    "dynamics",
    "metrics",
];

/// True when a name's last word looks plural (`users`, `order_items`, `categories`).
fn is_plural(name: &str) -> bool {
    let n = name.to_lowercase();
    let last = n.rsplit('_').next().unwrap_or(&n);
    if [
        "people", "children", "men", "women", "feet", "teeth", "mice", "geese",
    ]
    .contains(&last)
    {
        return true;
    }
    if last.len() < 3 || !last.ends_with('s') || !last.is_ascii() {
        return false;
    }
    if SINGULAR_S.contains(&last)
        || last.ends_with("ss")
        || last.ends_with("us")
        || last.ends_with("is")
        || last.ends_with("ics") && last != "ids"
    {
        return false;
    }
    true
}

/// KWR.003: a created table or defined column with a plural name.
fn plural_name(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    defined_names(stmt)
        .into_iter()
        .filter(|i| is_plural(&i.value))
        .map(|i| Hit::span(i.span).with(i.value.clone()))
        .collect()
}

/// KWR.004: an identifier (quoted or not) with non-ASCII characters.
fn multibyte_name(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .filter(|t| matches!(&t.token, Token::Word(w) if !w.value.is_ascii()))
        .map(|t| {
            let name = match &t.token {
                Token::Word(w) => w.value.clone(),
                _ => String::new(),
            };
            Hit::tok(t).with(name)
        })
        .collect()
}

/// Characters that are invisible or look like a plain space.
fn invisible(ch: char) -> bool {
    matches!(
        ch,
        '\u{00A0}'
            | '\u{00AD}'
            | '\u{1680}'
            | '\u{180E}'
            | '\u{2000}'..='\u{200F}'
            | '\u{2028}'..='\u{202F}'
            | '\u{205F}'..='\u{2064}'
            | '\u{FEFF}'
    )
}

/// KWR.005: invisible unicode characters anywhere in the statement.
fn invisible_unicode(c: &Ctx) -> Vec<Hit> {
    let (mut line, mut col) = (1usize, 1usize);
    let mut out = Vec::new();
    for ch in c.text.chars() {
        if invisible(ch) {
            out.push(
                Hit {
                    at: Some((line, col)),
                    detail: None,
                }
                .with(format!("U+{:04X}", ch as u32)),
            );
        }
        if ch == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn kwr_001_calc_found_rows() {
        assert_rule(
            "KWR.001",
            &["select SQL_CALC_FOUND_ROWS col from tbl where id>1000"],
            &["SELECT COUNT(*) FROM tbl", "SELECT 'SQL_CALC_FOUND_ROWS'"],
        );
        assert_eq!(
            hits("KWR.001", "SELECT SQL_CALC_FOUND_ROWS a FROM t")[0].at,
            Some((1, 8))
        );
    }

    #[test]
    fn kwr_002_keyword_as_name() {
        assert_rule(
            "KWR.002",
            &[
                "CREATE TABLE tbl ( `select` int )",
                "CREATE TABLE `order` (id int)",
                "ALTER TABLE t ADD COLUMN `key` int",
            ],
            &[
                "CREATE TABLE t (id int, name varchar(10), status int)",
                "SELECT `select` FROM t",
            ],
        );
        assert_eq!(
            hits("KWR.002", "CREATE TABLE t (`desc` int)")[0]
                .detail
                .as_deref(),
            Some("desc")
        );
    }

    #[test]
    fn kwr_003_plural_name() {
        assert_rule(
            "KWR.003",
            &[
                "CREATE TABLE tbl ( `books` int )",
                "CREATE TABLE users (id int)",
                "CREATE TABLE t (tag_ids varchar(100), categories int)",
                "ALTER TABLE t ADD COLUMN people int",
            ],
            &[
                "CREATE TABLE user (id int, status int, address varchar(10), is_deleted int)",
                "CREATE TABLE t (analysis int, news int, data int, bonus int)",
                "SELECT * FROM users",
            ],
        );
    }

    #[test]
    fn kwr_004_multibyte_name() {
        assert_rule(
            "KWR.004",
            &["CREATE TABLE `用户` (id int)", "SELECT 名字 FROM t"],
            &["SELECT '中文' FROM t", "SELECT name FROM t"],
        );
    }

    #[test]
    fn kwr_005_invisible_unicode() {
        assert_rule(
            "KWR.005",
            &[
                "SELECT\u{00A0}1",
                "SELECT 1 FROM t WHERE a = 'x\u{200B}'",
                "\u{FEFF}SELECT 1",
            ],
            &["SELECT 1", "SELECT '中文　全角'"],
        );
        let h = hits("KWR.005", "SELECT 1\nFROM\u{00A0}t");
        assert_eq!(h[0].at, Some((2, 5)));
        assert_eq!(h[0].detail.as_deref(), Some("U+00A0"));
    }
}
