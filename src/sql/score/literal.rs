//! LIT.* score rules: literals.

use sqlparser::ast::{DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments};
use sqlparser::tokenizer::Token;

use super::key::ddl_columns;
use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{column_name, each_expr_of, kind};
use crate::sql::tokens::{Tok, word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "LIT.001",
        level: 2,
        summary: Text {
            en: "IP address stored as a string",
            zh: "用字符类型存储 IP 地址",
        },
        explain: Text {
            en: "A string literal that looks like an IPv4 address means addresses are stored as text: up to 15 bytes instead of 4, and ranges cannot be compared. Store them as INT UNSIGNED with INET_ATON()/INET_NTOA() (or VARBINARY(16) with INET6_ATON()).",
            zh: "字符串字面上看起来像 IP 地址，但不是 INET_ATON() 的参数，表示数据被存储为字符而不是整数。将 IP 地址存储为整数更为有效（INT UNSIGNED 配合 INET_ATON()/INET_NTOA()，IPv6 可用 VARBINARY(16) 与 INET6_ATON()）。",
        },
        check: Some(ip_string),
    },
    Rule {
        id: "LIT.002",
        level: 4,
        summary: Text {
            en: "date/time literal without quotes",
            zh: "日期/时间未使用引号括起",
        },
        explain: Text {
            en: "`WHERE col < 2010-02-12` is valid SQL but is arithmetic: it compares with 1996. Quote date and time literals: `'2010-02-12'`.",
            zh: "诸如“WHERE col < 2010-02-12”之类的查询是有效的 SQL，但可能是一个错误，因为它将被解释为“WHERE col < 1996”；日期/时间文字应该加引号。",
        },
        check: Some(unquoted_date),
    },
    Rule {
        id: "LIT.003",
        level: 3,
        summary: Text {
            en: "a list of values stored in one column",
            zh: "一列中存储一系列相关数据的集合",
        },
        explain: Text {
            en: "IDs kept as a comma-separated list in a VARCHAR/TEXT column (`tag_ids varchar(255)`, `FIND_IN_SET(x, ids)`, `ids REGEXP '[[:<:]]12[[:>:]]'`) cannot be indexed, joined or validated, and have no size limit you control. Store one value per row in a separate (intersection) table.",
            zh: "将 ID 存储为一个列表，作为 VARCHAR/TEXT 列，这样能导致性能和数据完整性问题。查询这样的列需要使用模式匹配的表达式。使用逗号分隔的列表来做多表联结查询定位一行数据是极不优雅和耗时的。这将使验证 ID 更加困难。考虑一下，列表最多支持存放多少数据呢？将 ID 存储在一张单独的表中，代替使用多值属性，从而每个单独的属性值都可以占据一行。这样交叉表实现了两张表之间的多对多关系。",
        },
        check: Some(multi_value_column),
    },
    Rule {
        id: "LIT.004",
        level: 1,
        summary: Text {
            en: "statement not terminated by ';' or the DELIMITER in force",
            zh: "请使用分号或已设定的 DELIMITER 结尾",
        },
        explain: Text {
            en: "The last statement does not end with the delimiter in force (`;` unless DELIMITER changed it). The mysql client waits for more input, and appending another statement later silently merges the two. End every statement, USE and SHOW included, with the delimiter.",
            zh: "最后一条语句没有以当前的分隔符（默认为分号，除非 DELIMITER 修改过）结尾，mysql 客户端会继续等待输入，之后追加的语句也会与之合并。USE database、SHOW DATABASES 等命令也需要使用分号或已设定的 DELIMITER 结尾。",
        },
        check: Some(missing_delimiter),
    },
];

/// True for text starting like an IPv4 address (four dot-separated groups of 1-3 digits).
fn looks_like_ipv4(s: &str) -> bool {
    let mut parts = s.splitn(4, '.');
    let mut ok = 0;
    for k in 0..4 {
        let Some(p) = parts.next() else {
            return false;
        };
        let digits: usize = p.chars().take_while(char::is_ascii_digit).count();
        let whole = k < 3 && digits == p.len() || k == 3;
        if !(1..=3).contains(&digits) || !whole {
            return false;
        }
        ok += 1;
    }
    ok == 4
}

/// LIT.001: a quoted string that starts like an IPv4 address and is not the argument of
/// INET_ATON()/INET6_ATON().
fn ip_string(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let mut out = Vec::new();
    for i in 0..t.len() {
        let (Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)) = &t[i].token else {
            continue;
        };
        if !looks_like_ipv4(s) {
            continue;
        }
        let in_aton = i >= 2
            && matches!(t[i - 1].token, Token::LParen)
            && word(&t[i - 2]).is_some_and(|w| w == "INET_ATON" || w == "INET6_ATON");
        if !in_aton {
            out.push(Hit::tok(&t[i]).with(s.clone()));
        }
    }
    out
}

fn digits(t: &Tok) -> Option<usize> {
    match &t.token {
        Token::Number(n, _) if !n.is_empty() && n.chars().all(|ch| ch.is_ascii_digit()) => {
            Some(n.len())
        }
        _ => None,
    }
}

/// LIT.002: `2018-01-10` or `18-01-10` written as numbers and minus signs.
fn unquoted_date(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let mut out = Vec::new();
    for i in 0..t.len() {
        let year = digits(&t[i]);
        if !matches!(year, Some(2) | Some(4)) {
            continue;
        }
        if i > 0 && matches!(t[i - 1].token, Token::Minus) {
            continue;
        }
        let md = |k: usize| {
            t.get(k)
                .and_then(digits)
                .is_some_and(|n| (1..=2).contains(&n))
        };
        let minus = |k: usize| matches!(t.get(k).map(|x| &x.token), Some(Token::Minus));
        if minus(i + 1) && md(i + 2) && minus(i + 3) && md(i + 4) {
            out.push(Hit::tok(&t[i]));
        }
    }
    out
}

/// A column name that looks like it holds ids: ends in `id` or `ids` (not `uuid`/`guid`).
fn id_like(name: &str) -> bool {
    let n = name.to_lowercase();
    (n.ends_with("id") || n.ends_with("ids")) && !n.ends_with("uuid") && !n.ends_with("guid")
}

fn is_text(t: &DataType) -> bool {
    let s = t.to_string().to_lowercase();
    s.starts_with("varchar") || s.contains("text") || s.starts_with("character varying")
}

/// LIT.003: an id-like VARCHAR/TEXT column, `idcol REGEXP …`, or `FIND_IN_SET(x, col)`.
fn multi_value_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for col in ddl_columns(stmt) {
        if id_like(&col.name.value) && is_text(col.ty) {
            out.push(Hit::span(col.name.span).with(col.name.value.clone()));
        }
    }
    each_expr_of(stmt, kind::RLIKE | kind::FUNCTION, |e| match e {
        Expr::RLike { expr, .. } => {
            if let Some(n) = column_name(expr).filter(|n| id_like(n)) {
                out.push(Hit::span(sqlparser::ast::Spanned::span(e)).with(n));
            }
        }
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("FIND_IN_SET") => {
            if let FunctionArguments::List(l) = &f.args
                && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(set))) = l.args.get(1)
                && let Some(n) = column_name(set)
            {
                out.push(Hit::span(sqlparser::ast::Spanned::span(e)).with(n));
            }
        }
        _ => {}
    });
    out
}

/// LIT.004: the statement ends the input without its delimiter.
fn missing_delimiter(c: &Ctx) -> Vec<Hit> {
    if c.terminated {
        return Vec::new();
    }
    match c.toks.last() {
        Some(t) => vec![Hit::tok(t).with(c.delimiter.to_string())],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn lit_001_ip_string() {
        assert_rule(
            "LIT.001",
            &[
                "insert into tbl (IP,name) values('10.20.306.122','test')",
                "SELECT * FROM t WHERE ip = \"192.168.1.1\"",
            ],
            &[
                "SELECT * FROM t WHERE ip = INET_ATON('10.0.0.1')",
                "SELECT '1.2.3' FROM t",
                "SELECT * FROM t WHERE v = '1.2.3.x4'",
                "SELECT 10.2 FROM t",
            ],
        );
        let h = hits("LIT.001", "SELECT * FROM t WHERE ip = '10.0.0.1'");
        assert_eq!(h[0].at, Some((1, 28)));
        assert_eq!(h[0].detail.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn lit_002_unquoted_date() {
        assert_rule(
            "LIT.002",
            &[
                "select col1,col2 from tbl where time < 2018-01-10",
                "SELECT * FROM t WHERE d = 18-1-9",
            ],
            &[
                "SELECT * FROM t WHERE d < '2018-01-10'",
                "SELECT 2018 - 1 FROM t",
                "SELECT * FROM t WHERE a = 1-2-3-4",
            ],
        );
        assert_eq!(
            hits("LIT.002", "SELECT * FROM t WHERE d < 2018-01-10")[0].at,
            Some((1, 27))
        );
    }

    #[test]
    fn lit_003_multi_value_column() {
        assert_rule(
            "LIT.003",
            &[
                "select c1,c2,c3,c4 from tab1 where col_id REGEXP '[[:<:]]12[[:>:]]'",
                "CREATE TABLE t (id int, tag_ids varchar(255))",
                "SELECT * FROM t WHERE FIND_IN_SET('3', tag_ids)",
            ],
            &[
                "CREATE TABLE t (id int, user_uuid varchar(36), tag_id int)",
                "SELECT * FROM t WHERE name REGEXP '^a'",
            ],
        );
    }

    #[test]
    fn lit_004_missing_delimiter() {
        assert_rule(
            "LIT.004",
            &["USE db", "SHOW DATABASES"],
            &["USE db;", "SELECT 1;"],
        );
        assert_eq!(hits("LIT.004", "SELECT 1 FROM t")[0].at, Some((1, 15)));
        assert!(super::super::testutil::fires(
            "LIT.004",
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END"
        ));
    }
}
