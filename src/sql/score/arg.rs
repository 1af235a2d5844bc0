//! ARG.* score rules: arguments and predicates.

use sqlparser::ast::{BinaryOperator, Expr, SetExpr, Spanned, Statement, Value};
use sqlparser::dialect::MySqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{
    column_name, column_qualifier, disjuncts, each_expr, each_expr_of, each_select, is_literal,
    kind, unnest,
};
use crate::sql::tokens::{is_word, word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "ARG.001",
        level: 4,
        summary: Text {
            en: "LIKE pattern starts with a wildcard",
            zh: "不建议使用前项通配符查找",
        },
        explain: Text {
            en: "A pattern such as '%foo' or '_foo' cannot use an index on the column, so every row is scanned. Anchor the pattern at its start ('foo%'), or use a FULLTEXT index or a search engine for substring search.",
            zh: "例如 \"%foo\"，查询参数有一个前项通配符的情况无法使用已有索引，只能全表扫描。请让模式以固定前缀开头（如 'foo%'），或使用全文索引、搜索引擎来做子串查找。",
        },
        check: Some(prefix_like),
    },
    Rule {
        id: "ARG.002",
        level: 1,
        summary: Text {
            en: "LIKE without a wildcard",
            zh: "没有通配符的 LIKE 查询",
        },
        explain: Text {
            en: "A LIKE pattern without % or _ matches exactly like `=`, which suggests a mistake. Use `=` if an exact match is meant, or add the wildcard you forgot.",
            zh: "不包含通配符的 LIKE 查询可能存在逻辑错误，因为逻辑上它与等值查询相同。如确为等值匹配请使用 `=`，否则请补上遗漏的通配符。",
        },
        check: Some(equal_like),
    },
    Rule {
        id: "ARG.003",
        level: 4,
        summary: Text {
            en: "implicit type conversion in a comparison (needs the schema)",
            zh: "参数比较包含隐式转换，无法使用索引",
        },
        explain: Text {
            en: "Comparing a column with a value or column of another type (e.g. a VARCHAR column with a number) converts every row and cannot use the index. Deciding this needs the column types of a live database, so the rule is skipped offline; compare columns with values of their own type.",
            zh: "隐式类型转换有无法命中索引的风险，在高并发、大数据量的情况下，命不中索引带来的后果非常严重。判断需要线上数据库中的列类型，离线检查时跳过；请用与列类型一致的值进行比较。",
        },
        check: None,
    },
    Rule {
        id: "ARG.004",
        level: 4,
        summary: Text {
            en: "IN (NULL) / NOT IN (NULL) is never true",
            zh: "IN (NULL)/NOT IN (NULL) 永远非真",
        },
        explain: Text {
            en: "`col IN (NULL)` never matches and `col NOT IN (..., NULL)` matches no row at all, because comparing with NULL is unknown. Write `col IN ('v1', 'v2') OR col IS NULL` instead.",
            zh: "与 NULL 比较的结果是未知，`col IN (NULL)` 永远不匹配，`col NOT IN (..., NULL)` 不会返回任何行。正确的作法是 col IN ('val1', 'val2', 'val3') OR col IS NULL。",
        },
        check: Some(in_null),
    },
    Rule {
        id: "ARG.005",
        level: 1,
        summary: Text {
            en: "IN list too long",
            zh: "IN 要慎用，元素过多会导致全表扫描",
        },
        explain: Text {
            en: "With many values in IN (...) MySQL may give up the index and scan the whole table. Use BETWEEN for consecutive values, or load the values into a (temporary) table and JOIN it.",
            zh: "如：select id from t where num in(1,2,3)对于连续的数值，能用 BETWEEN 就不要用 IN 了：select id from t where num between 1 and 3。而当 IN 值过多时 MySQL 也可能会进入全表扫描导致性能急剧下降，可将取值放入（临时）表后做 JOIN。",
        },
        check: Some(in_too_long),
    },
    Rule {
        id: "ARG.006",
        level: 1,
        summary: Text {
            en: "IS NULL / IS NOT NULL in WHERE",
            zh: "应尽量避免在 WHERE 子句中对字段进行 NULL 值判断",
        },
        explain: Text {
            en: "IS NULL / IS NOT NULL may make the optimizer give up the index and scan the table. Declare the column NOT NULL with a default (e.g. 0) and filter on that value: `WHERE num = 0`.",
            zh: "使用 IS NULL 或 IS NOT NULL 将可能导致引擎放弃使用索引而进行全表扫描，如：select id from t where num is null;可以在num上设置默认值0，确保表中 num 列没有 NULL 值，然后这样查询： select id from t where num=0;",
        },
        check: Some(is_null_in_where),
    },
    Rule {
        id: "ARG.007",
        level: 3,
        summary: Text {
            en: "pattern matching (LIKE / REGEXP)",
            zh: "避免使用模式匹配",
        },
        explain: Text {
            en: "LIKE and regular expressions are slow and may match more than intended. Prefer exact comparisons; for text search use a FULLTEXT index or a search engine (e.g. Lucene/Elasticsearch), or cache the results.",
            zh: "性能问题是使用模式匹配操作符的最大缺点。使用 LIKE 或正则表达式进行模式匹配进行查询的另一个问题，是可能会返回意料之外的结果。最好的方案就是使用特殊的搜索引擎技术来替代 SQL，比如 Apache Lucene。另一个可选方案是将结果保存起来从而减少重复的搜索开销。如果一定要使用SQL，请考虑在 MySQL 中使用像 FULLTEXT 索引这样的第三方扩展。",
        },
        check: Some(pattern_matching),
    },
    Rule {
        id: "ARG.008",
        level: 1,
        summary: Text {
            en: "OR on the same column: use IN",
            zh: "OR 查询索引列时请尽量使用 IN 谓词",
        },
        explain: Text {
            en: "`c = 1 OR c = 2` is better written `c IN (1, 2)`: the optimizer can sort an IN list to follow the index and retrieve the rows more efficiently. The list must contain constants only.",
            zh: "IN-list 谓词可以用于索引检索，并且优化器可以对 IN-list 进行排序，以匹配索引的排序序列，从而获得更有效的检索。请注意，IN-list 必须只包含常量，或在查询块执行期间保持常量的值，例如外引用。",
        },
        check: Some(or_same_column),
    },
    Rule {
        id: "ARG.009",
        level: 1,
        summary: Text {
            en: "quoted string starts or ends with a space",
            zh: "引号中的字符串开头或结尾包含空格",
        },
        explain: Text {
            en: "Leading or trailing spaces in a string are easy to miss and compare surprisingly: with PAD SPACE collations 'a' and 'a ' are equal. Trim the value unless the spaces are really wanted.",
            zh: "如果 VARCHAR 列的前后存在空格将可能引起逻辑问题，如在 MySQL 5.5中 'a' 和 'a ' 可能会在查询中被认为是相同的值。除非确实需要，请去掉首尾空格。",
        },
        check: Some(space_in_quotes),
    },
    Rule {
        id: "ARG.010",
        level: 1,
        summary: Text {
            en: "index or optimizer hint",
            zh: "不要使用 hint，如：sql_no_cache, force index, ignore key, straight join等",
        },
        explain: Text {
            en: "Hints (FORCE/USE/IGNORE INDEX, STRAIGHT_JOIN, SQL_NO_CACHE, /*+ ... */) pin an execution plan that was right for yesterday's data. Fix the indexes or statistics instead and let the optimizer choose.",
            zh: "hint 是用来强制 SQL 按照某个执行计划来执行，但随着数据量变化我们无法保证自己当初的预判是正确的。请优化索引或统计信息，让优化器自行选择执行计划。",
        },
        check: Some(hints),
    },
    Rule {
        id: "ARG.011",
        level: 3,
        summary: Text {
            en: "negative predicate (NOT IN / NOT LIKE)",
            zh: "不要使用负向查询，如：NOT IN/NOT LIKE",
        },
        explain: Text {
            en: "NOT IN, NOT LIKE and NOT REGEXP cannot use an index range and usually scan the whole table. Rewrite as a positive condition or a LEFT JOIN ... IS NULL anti-join.",
            zh: "请尽量不要使用负向查询，这将导致全表扫描，对查询性能影响较大。请改写为正向条件，或使用 LEFT JOIN ... IS NULL 的方式。",
        },
        check: Some(negative_predicate),
    },
    Rule {
        id: "ARG.012",
        level: 2,
        summary: Text {
            en: "too many rows in one INSERT/REPLACE",
            zh: "一次性 INSERT/REPLACE 的数据过多",
        },
        explain: Text {
            en: "One INSERT/REPLACE with a huge VALUES list is slow, holds locks long and delays replicas. Insert in batches of moderate size.",
            zh: "单条 INSERT/REPLACE 语句批量插入大量数据性能较差，甚至可能导致从库同步延迟。为了提升性能，减少批量写入数据对从库同步延时的影响，建议采用分批次插入的方法。",
        },
        check: Some(too_many_rows),
    },
    Rule {
        id: "ARG.013",
        level: 0,
        summary: Text {
            en: "full-width (Chinese) quotes in DDL",
            zh: "DDL 语句中使用了中文全角引号",
        },
        explain: Text {
            en: "The DDL contains full-width quotation marks “” or ‘’. They are not SQL quotes, so this is probably a typing mistake (e.g. in a DEFAULT or COMMENT). Check it is what you meant and use ASCII quotes.",
            zh: "DDL 语句中使用了中文全角引号“”或‘’，这可能是书写错误，请确认是否符合预期。",
        },
        check: Some(full_width_quotes),
    },
    Rule {
        id: "ARG.014",
        level: 4,
        summary: Text {
            en: "column name inside an IN list",
            zh: "IN 条件中存在列名，可能导致数据匹配范围扩大",
        },
        explain: Text {
            en: "`WHERE id IN (1, 2, id)` is true for every row, so a DELETE or UPDATE like this touches the whole table. Check the IN list: it should hold values only.",
            zh: "如：delete from t where id in(1, 2, id) 可能会导致全表数据误删除。请仔细检查 IN 条件的正确性。",
        },
        check: Some(column_in_list),
    },
];

/// Sorts hits by position and drops duplicates (walks that overlap report a place twice).
pub(super) fn dedup(mut v: Vec<Hit>) -> Vec<Hit> {
    v.sort_by(|a, b| (a.at, &a.detail).cmp(&(b.at, &b.detail)));
    v.dedup();
    v
}

/// The text of a string literal.
pub(super) fn string_value(e: &Expr) -> Option<&str> {
    match unnest(e) {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::NationalStringLiteral(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Byte offsets of the unescaped LIKE wildcards (`%`, `_`) of a pattern.
fn wildcards(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == '%' || ch == '_' {
            out.push(i);
        }
    }
    out
}

/// ARG.001: `LIKE '%x'` or `LIKE '_x'`.
fn prefix_like(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::LIKE, |e| {
        if let Expr::Like {
            negated: false,
            pattern,
            ..
        } = e
            && let Some(p) = string_value(pattern)
            && wildcards(p).first() == Some(&0)
        {
            out.push(Hit::span(pattern.span()).with(p));
        }
    });
    out
}

/// ARG.002: a LIKE pattern that is a literal without any `%` or `_`.
fn equal_like(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::LIKE, |e| {
        if let Expr::Like { pattern, .. } = e {
            let plain = match string_value(pattern) {
                Some(p) => wildcards(p).is_empty(),
                // `LIKE 123`: a number is never a pattern.
                None => {
                    is_literal(pattern)
                        && !matches!(unnest(pattern), Expr::Value(v) if v.value == Value::Null)
                }
            };
            if plain {
                out.push(Hit::span(pattern.span()).with(pattern.to_string()));
            }
        }
    });
    out
}

fn is_null_value(e: &Expr) -> bool {
    matches!(unnest(e), Expr::Value(v) if v.value == Value::Null)
}

/// ARG.004: a NULL inside `IN (...)` or `NOT IN (...)`.
fn in_null(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::IN_LIST, |e| {
        if let Expr::InList { list, .. } = e
            && let Some(n) = list.iter().find(|v| is_null_value(v))
        {
            out.push(Hit::span(n.span()).with(e.to_string()));
        }
    });
    out
}

/// ARG.005: `IN (...)` with more than `max_in_count` values.
fn in_too_long(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let max = c.opts.max_in_count;
    let mut out = Vec::new();
    each_expr_of(stmt, kind::IN_LIST, |e| {
        if let Expr::InList {
            expr,
            list,
            negated: false,
        } = e
            && list.len() > max
        {
            out.push(Hit::span(expr.span()).with(format!("{} values", list.len())));
        }
    });
    out
}

/// ARG.006: IS [NOT] NULL in the WHERE of a SELECT statement (SOAR checks queries only).
fn is_null_in_where(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::Query(_)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        if let Some(w) = &s.selection {
            each_expr(w, |e| {
                if let Expr::IsNull(x) | Expr::IsNotNull(x) = e {
                    out.push(Hit::span(x.span()).with(e.to_string()));
                }
            });
        }
    });
    dedup(out)
}

/// ARG.007: LIKE, REGEXP/RLIKE or SIMILAR TO in a SELECT statement.
fn pattern_matching(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::Query(_)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::LIKE | kind::RLIKE | kind::SIMILAR_TO, |e| {
        if let Expr::Like { expr, .. } | Expr::RLike { expr, .. } | Expr::SimilarTo { expr, .. } = e
        {
            out.push(Hit::span(expr.span()).with(e.to_string()));
        }
    });
    out
}

/// `col = literal` (either way round): the column's (qualifier, name) and its expression.
fn eq_column(e: &Expr) -> Option<(Option<String>, String, &Expr)> {
    if let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = unnest(e)
    {
        for (col, val) in [(left, right), (right, left)] {
            if let Some(name) = column_name(col)
                && is_literal(val)
            {
                return Some((column_qualifier(col), name, col.as_ref()));
            }
        }
    }
    None
}

/// ARG.008: `c = 1 OR c = 2` in a SELECT statement.
fn or_same_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt @ Statement::Query(_)) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr(stmt, |e| {
        if let Expr::BinaryOp {
            op: BinaryOperator::Or,
            ..
        } = e
        {
            let mut seen: Vec<(Option<String>, String)> = Vec::new();
            for d in disjuncts(e) {
                if let Some((q, n, col)) = eq_column(d) {
                    let key = (q, n);
                    if seen.contains(&key) {
                        out.push(Hit::span(col.span()).with(key.1.clone()));
                    } else {
                        seen.push(key);
                    }
                }
            }
        }
    });
    dedup(out)
}

/// ARG.009: a quoted string with a leading or trailing space.
fn space_in_quotes(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .filter(|t| match &t.token {
            Token::SingleQuotedString(s)
            | Token::DoubleQuotedString(s)
            | Token::NationalStringLiteral(s) => s.starts_with(' ') || s.ends_with(' '),
            _ => false,
        })
        .map(|t| Hit::tok(t).with(t.token.to_string()))
        .collect()
}

/// ARG.010: index hints, STRAIGHT_JOIN, SQL_NO_CACHE and friends, `/*+ ... */` optimizer hints.
fn hints(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let mut out = Vec::new();
    for i in 0..t.len() {
        let Some(w) = word(&t[i]) else { continue };
        let hint = match w.as_str() {
            "USE" | "FORCE" | "IGNORE" => {
                (is_word(t, i + 1, "INDEX") || is_word(t, i + 1, "KEY"))
                    && !(i > 0 && is_word(t, i - 1, "DUPLICATE"))
            }
            "STRAIGHT_JOIN" | "SQL_NO_CACHE" | "SQL_CACHE" | "SQL_BUFFER_RESULT"
            | "SQL_BIG_RESULT" | "SQL_SMALL_RESULT" | "HIGH_PRIORITY" => true,
            _ => false,
        };
        if hint {
            let detail = match w.as_str() {
                "USE" | "FORCE" | "IGNORE" => format!("{w} INDEX"),
                _ => w.into(),
            };
            out.push(Hit::tok(&t[i]).with(detail));
        }
    }
    // Optimizer hints live in comments, which the significant tokens leave out.
    if c.text.contains("/*+")
        && let Ok(all) = Tokenizer::new(&MySqlDialect {}, c.text).tokenize_with_location()
    {
        for t in all {
            if let Token::Whitespace(Whitespace::MultiLineComment(s)) = &t.token
                && s.starts_with('+')
            {
                let at = (t.span.start.line as usize, t.span.start.column as usize);
                out.push(Hit {
                    at: Some(at),
                    detail: Some(format!("/*{s}*/")),
                });
            }
        }
    }
    dedup(out)
}

/// ARG.011: NOT IN, NOT LIKE, NOT REGEXP, NOT SIMILAR TO.
fn negative_predicate(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(
        stmt,
        kind::IN_LIST | kind::IN_SUBQUERY | kind::LIKE | kind::RLIKE | kind::SIMILAR_TO,
        |e| {
            let negated_expr = match e {
                Expr::InList {
                    negated: true,
                    expr,
                    ..
                }
                | Expr::InSubquery {
                    negated: true,
                    expr,
                    ..
                }
                | Expr::Like {
                    negated: true,
                    expr,
                    ..
                }
                | Expr::RLike {
                    negated: true,
                    expr,
                    ..
                }
                | Expr::SimilarTo {
                    negated: true,
                    expr,
                    ..
                } => Some(expr),
                _ => None,
            };
            if let Some(x) = negated_expr {
                out.push(Hit::span(x.span()).with(e.to_string()));
            }
        },
    );
    out
}

/// ARG.012: INSERT/REPLACE ... VALUES with more than `max_value_count` rows.
fn too_many_rows(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Insert(ins)) = c.ast else {
        return Vec::new();
    };
    let Some(src) = &ins.source else {
        return Vec::new();
    };
    let SetExpr::Values(v) = src.body.as_ref() else {
        return Vec::new();
    };
    if v.rows.len() <= c.opts.max_value_count {
        return Vec::new();
    }
    let hit = match c.toks.first() {
        Some(t) => Hit::tok(t),
        None => Hit::whole(),
    };
    vec![hit.with(format!("{} rows", v.rows.len()))]
}

/// ARG.013: “ ” ‘ ’ anywhere in a CREATE/ALTER statement.
fn full_width_quotes(c: &Ctx) -> Vec<Hit> {
    if !matches!(
        c.toks.first().and_then(word).as_deref(),
        Some("CREATE" | "ALTER")
    ) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, line) in c.text.lines().enumerate() {
        for (col, ch) in line.chars().enumerate() {
            if matches!(ch, '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}') {
                out.push(Hit {
                    at: Some((n + 1, col + 1)),
                    detail: Some(ch.to_string()),
                });
            }
        }
    }
    out
}

/// ARG.014: a column reference among the values of an IN list.
fn column_in_list(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::IN_LIST, |e| {
        if let Expr::InList { list, .. } = e {
            for v in list {
                if let Some(name) = column_name(v) {
                    out.push(Hit::span(v.span()).with(name));
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    /// No rule of the ARG/COL/DIS/FUN/GRP/RES families panics, whatever the input.
    #[test]
    fn families_never_panic() {
        let inputs = [
            "SELECT",
            "CREATE",
            "LOAD",
            "INSERT INTO t VALUES ()",
            "SELECT * FROM t WHERE a IN ()",
            "ALTER TABLE t",
            "UPDATE t SET a = 1 AND",
            "SELECT 1 = 1 = 1 = 1 = 1 BETWEEN 9 AND -1",
            "SELECT '中文' AS 列, “x” FROM 表 WHERE 列 LIKE '' OR 列 = '' OR 列 = ''",
            "CREATE TABLE t (a INT(0), b VARCHAR(0), c TIMESTAMP(0) DEFAULT '', d BIT, e JSON NOT NULL DEFAULT (JSON_ARRAY()))",
            "CREATE DEFINER = CURRENT_USER TRIGGER",
            "CREATE PROCEDURE p() BEGIN DECLARE x INT; SET x = (SELECT SUM(a) FROM t LIMIT 1); END",
            "SELECT SUM(), COUNT(), COUNT(DISTINCT), IF() FROM t GROUP BY 99 LIMIT 0",
            "DELETE FROM t ORDER BY a LIMIT 0",
            "SELECT 1e999 = 1e999, -'a' = 'a', 1 < '1x'",
        ];
        let families = ["ARG.", "COL.", "DIS.", "FUN.", "GRP.", "RES."];
        for r in super::super::rules() {
            if !families.iter().any(|f| r.id.starts_with(f)) || r.check.is_none() {
                continue;
            }
            for sql in inputs {
                let _ = hits(r.id, sql);
            }
        }
    }

    #[test]
    fn arg_001_prefix_like() {
        assert_rule(
            "ARG.001",
            &[
                "SELECT a FROM t WHERE name LIKE '%foo'",
                "SELECT a FROM t WHERE name LIKE '_oo'",
                "UPDATE t SET a = 1 WHERE b LIKE '%x%'",
            ],
            &[
                "SELECT a FROM t WHERE name LIKE 'foo%'",
                "SELECT a FROM t WHERE name LIKE '\\%foo'",
                "SELECT '%foo' FROM t",
            ],
        );
        let h = hits("ARG.001", "SELECT a FROM t WHERE b LIKE '%x'");
        assert_eq!(h[0].at, Some((1, 30)));
        assert_eq!(h[0].detail.as_deref(), Some("%x"));
    }

    #[test]
    fn arg_002_like_without_wildcard() {
        assert_rule(
            "ARG.002",
            &[
                "SELECT a FROM t WHERE name LIKE 'foo'",
                "SELECT a FROM t WHERE name NOT LIKE 'foo'",
                "SELECT a FROM t WHERE name LIKE 12",
            ],
            &[
                "SELECT a FROM t WHERE name LIKE 'foo%'",
                "SELECT a FROM t WHERE name LIKE 'f_o'",
                "SELECT a FROM t WHERE name LIKE b",
                "SELECT a FROM t WHERE name = 'foo'",
            ],
        );
    }

    #[test]
    fn arg_003_needs_a_database() {
        let r = super::super::rule("ARG.003").expect("ARG.003");
        assert!(r.check.is_none());
    }

    #[test]
    fn arg_004_in_null() {
        assert_rule(
            "ARG.004",
            &[
                "SELECT * FROM tb WHERE col IN (NULL)",
                "SELECT a FROM tb WHERE col NOT IN (1, NULL)",
                "DELETE FROM tb WHERE col IN (NULL)",
            ],
            &[
                "SELECT a FROM tb WHERE col IN (1, 2) OR col IS NULL",
                "SELECT a FROM tb WHERE col IN ('NULL')",
            ],
        );
    }

    #[test]
    fn arg_005_in_too_long() {
        let eleven = "SELECT a FROM t WHERE x IN (1,2,3,4,5,6,7,8,9,10,11)";
        assert_rule(
            "ARG.005",
            &[eleven],
            &[
                "SELECT a FROM t WHERE x IN (1,2,3,4,5,6,7,8,9,10)",
                "SELECT a FROM t WHERE x NOT IN (1,2,3,4,5,6,7,8,9,10,11)",
            ],
        );
        let opts = ScoreOptions {
            max_in_count: 20,
            ..ScoreOptions::default()
        };
        assert!(hits_with("ARG.005", eleven, &opts).is_empty());
        let h = hits("ARG.005", eleven);
        assert_eq!(h[0].at, Some((1, 23)));
        assert_eq!(h[0].detail.as_deref(), Some("11 values"));
    }

    #[test]
    fn arg_006_is_null_in_where() {
        assert_rule(
            "ARG.006",
            &[
                "SELECT id FROM t WHERE num IS NULL",
                "SELECT id FROM t WHERE a = 1 AND num IS NOT NULL",
                "SELECT id FROM t WHERE id IN (SELECT x FROM u WHERE y IS NULL)",
            ],
            &[
                "SELECT id FROM t WHERE num = 0",
                "SELECT num IS NULL FROM t WHERE id = 1",
                "UPDATE t SET a = 1 WHERE b IS NULL",
            ],
        );
        assert_eq!(
            hits(
                "ARG.006",
                "SELECT id FROM t WHERE id IN (SELECT x FROM u WHERE y IS NULL)"
            )
            .len(),
            1
        );
    }

    #[test]
    fn arg_007_pattern_matching() {
        assert_rule(
            "ARG.007",
            &[
                "SELECT c FROM tbl WHERE c2 LIKE 'test%'",
                "SELECT c FROM tbl WHERE c2 REGEXP '^a'",
                "SELECT c FROM tbl WHERE c2 RLIKE 'a' AND c3 NOT LIKE 'b%'",
            ],
            &[
                "SELECT c FROM tbl WHERE c2 = 'test'",
                "DELETE FROM tbl WHERE c2 LIKE 'x%'",
            ],
        );
    }

    #[test]
    fn arg_008_or_on_same_column() {
        assert_rule(
            "ARG.008",
            &[
                "SELECT c1 FROM tbl WHERE c1 = 14 OR c1 = 17",
                "SELECT c1 FROM tbl WHERE (t.c1 = 1 OR c2 = 2 OR t.c1 = 3) AND c3 = 4",
            ],
            &[
                "SELECT c1 FROM tbl WHERE c1 = 14 OR c2 = 17",
                "SELECT c1 FROM tbl WHERE a.c1 = 14 OR b.c1 = 17",
                "SELECT c1 FROM tbl WHERE c1 IN (14, 17)",
            ],
        );
        let h = hits("ARG.008", "SELECT a FROM t WHERE c = 1 OR c = 2 OR c = 3");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].at, Some((1, 32)));
    }

    #[test]
    fn arg_009_space_in_quotes() {
        assert_rule(
            "ARG.009",
            &["SELECT 'abc '", "SELECT a FROM t WHERE b = ' x'"],
            &["SELECT 'abc'", "SELECT 'a b'", "SELECT ''"],
        );
        let h = hits("ARG.009", "SELECT a FROM t\nWHERE b = 'x '");
        assert_eq!(h[0].at, Some((2, 11)));
    }

    #[test]
    fn arg_010_hints() {
        assert_rule(
            "ARG.010",
            &[
                "SELECT * FROM t1 USE INDEX (i1) ORDER BY a",
                "SELECT a FROM t FORCE INDEX (i) WHERE a = 1",
                "SELECT a FROM t IGNORE KEY (i) WHERE a = 1",
                "SELECT SQL_NO_CACHE a FROM t WHERE a = 1",
                "SELECT STRAIGHT_JOIN a FROM t, u WHERE t.a = u.a",
                "SELECT /*+ MAX_EXECUTION_TIME(1000) */ a FROM t WHERE a = 1",
            ],
            &[
                "SELECT a FROM t WHERE a = 1",
                "INSERT IGNORE INTO t (a) VALUES (1)",
                "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2",
                "SELECT a FROM t /* use index */ WHERE a = 1",
                "SELECT 'force index' FROM t WHERE a = 1",
            ],
        );
        let h = hits("ARG.010", "SELECT a FROM t FORCE INDEX (i)");
        assert_eq!(h[0].at, Some((1, 17)));
    }

    #[test]
    fn arg_011_negative_predicate() {
        assert_rule(
            "ARG.011",
            &[
                "SELECT id FROM t WHERE num NOT IN (1,2,3)",
                "SELECT id FROM t WHERE name NOT LIKE 'a%'",
                "SELECT id FROM t WHERE id NOT IN (SELECT id FROM u)",
                "DELETE FROM t WHERE name NOT REGEXP 'x'",
            ],
            &[
                "SELECT id FROM t WHERE num IN (1,2,3)",
                "SELECT id FROM t WHERE name LIKE 'a%'",
            ],
        );
    }

    #[test]
    fn arg_012_too_many_rows() {
        let rows: Vec<String> = (0..101).map(|i| format!("({i})")).collect();
        let many = format!("INSERT INTO tb (a) VALUES {}", rows.join(","));
        let replace = format!("REPLACE INTO tb (a) VALUES {}", rows.join(","));
        assert_rule(
            "ARG.012",
            &[&many, &replace],
            &[
                "INSERT INTO tb (a) VALUES (1), (2)",
                "INSERT INTO tb (a) SELECT a FROM u",
            ],
        );
        let opts = ScoreOptions {
            max_value_count: 1,
            ..ScoreOptions::default()
        };
        let h = hits_with("ARG.012", "INSERT INTO tb (a) VALUES (1), (2)", &opts);
        assert_eq!(h[0].at, Some((1, 1)));
        assert_eq!(h[0].detail.as_deref(), Some("2 rows"));
    }

    #[test]
    fn arg_013_full_width_quotes() {
        assert_rule(
            "ARG.013",
            &[
                "CREATE TABLE tb (a varchar(10) default '“”')",
                "ALTER TABLE tb ADD COLUMN b INT COMMENT ‘x’",
            ],
            &[
                "CREATE TABLE tb (a varchar(10) default '')",
                "SELECT '“x”' FROM t WHERE a = 1",
            ],
        );
        let h = hits("ARG.013", "CREATE TABLE tb (\na varchar(10) default '“”')");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].at, Some((2, 24)));
    }

    #[test]
    fn arg_014_column_in_list() {
        assert_rule(
            "ARG.014",
            &[
                "SELECT id FROM t WHERE id IN (1, 2, id)",
                "DELETE FROM t WHERE id IN (1, t.other)",
            ],
            &[
                "SELECT id FROM t WHERE id IN (1, 2, 3)",
                "SELECT id FROM t WHERE id IN ('id')",
            ],
        );
        let h = hits("ARG.014", "SELECT id FROM t WHERE id IN (1, id)");
        assert_eq!(h[0].at, Some((1, 34)));
        assert_eq!(h[0].detail.as_deref(), Some("id"));
    }
}
