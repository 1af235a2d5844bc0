//! FUN.* score rules: functions, COUNT/SUM, stored programs.

use std::collections::HashSet;

use sqlparser::ast::{
    BinaryOperator, DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Spanned,
};
use sqlparser::tokenizer::Token;

use super::arg::dedup;
use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{any_expr, column_name, each_expr, each_expr_of, is_literal, kind, top_select};
use crate::sql::tokens::word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "FUN.001",
        level: 2,
        summary: Text {
            en: "function or operator on a column in WHERE",
            zh: "避免在 WHERE 条件中使用函数或其他运算符",
        },
        explain: Text {
            en: "`WHERE substring(name, 1, 3) = 'abc'` or `WHERE a + 1 = 5` must compute the expression for every row and cannot use the index on the column. Keep the bare column on the left of the comparison and move the computation to the constant side (e.g. `name LIKE 'abc%'`, `a = 4`).",
            zh: "虽然在 SQL 中使用函数可以简化很多复杂的查询，但使用了函数的查询无法利用表中已经建立的索引，该查询将会是全表扫描，性能较差。通常建议将列名写在比较运算符左侧，将查询过滤条件放在比较运算符右侧。",
        },
        check: Some(function_on_column),
    },
    Rule {
        id: "FUN.002",
        level: 1,
        summary: Text {
            en: "COUNT with WHERE (or on a non-MyISAM table) is slow",
            zh: "指定了 WHERE 条件或非 MyISAM 引擎时使用 COUNT(*) 操作性能不佳",
        },
        explain: Text {
            en: "Only MyISAM keeps an exact row count; with a WHERE condition, or on InnoDB, COUNT(*) scans many rows. If an exact number is not needed, use the estimate of EXPLAIN or SHOW TABLE STATUS, or keep a counter.",
            zh: "COUNT(*) 的作用是统计表行数，COUNT(COL) 的作用是统计指定列非 NULL 的行数。MyISAM 表对于 COUNT(*) 统计全表行数进行了特殊的优化，通常情况下非常快。但对于非 MyISAM 表或指定了某些 WHERE 条件，COUNT(*) 操作需要扫描大量的行才能获取精确的结果，性能也因此不佳。有时候某些业务场景并不需要完全精确的 COUNT 值，此时可以用近似值来代替。EXPLAIN 出来的优化器估算的行数就是一个不错的近似值。",
        },
        check: Some(count_with_where),
    },
    Rule {
        id: "FUN.003",
        level: 3,
        summary: Text {
            en: "`||` string concatenation (NULL makes the whole result NULL)",
            zh: "使用了合并为可空列的字符串连接",
        },
        explain: Text {
            en: "`a || b` concatenates only under the PIPES_AS_CONCAT SQL mode (otherwise it is OR), and concatenating a NULL column makes the whole result NULL. Use CONCAT() and wrap nullable columns in COALESCE()/IFNULL(). Like SOAR, any `||` is reported: whether the columns are nullable is not checked.",
            zh: "在一些查询请求中，您需要强制让某一列或者某个表达式返回非 NULL 的值，从而让查询逻辑变得更简单，但又不想将这个值存下来。可以使用 COALESCE() 函数来构造连接的表达式，这样即使是空值列也不会使整表达式变为 NULL。与 SOAR 相同，出现 `||` 即提示，不检查列是否可空。",
        },
        check: Some(pipes_concat),
    },
    Rule {
        id: "FUN.004",
        level: 4,
        summary: Text {
            en: "SYSDATE()",
            zh: "不建议使用 SYSDATE() 函数",
        },
        explain: Text {
            en: "SYSDATE() returns the time at which it executes, not the statement start, so statement-based replicas get different values and it cannot use indexes as a constant. Use NOW() instead.",
            zh: "SYSDATE() 函数可能导致主从数据不一致，请使用 NOW() 函数替代 SYSDATE()。",
        },
        check: Some(sysdate),
    },
    Rule {
        id: "FUN.005",
        level: 1,
        summary: Text {
            en: "COUNT(col) or COUNT(constant)",
            zh: "不建议使用 COUNT(col) 或 COUNT(常量)",
        },
        explain: Text {
            en: "COUNT(*) is the standard (SQL-92) way to count rows and is what the optimizer handles best; COUNT(col) silently skips NULLs and COUNT(1) is just a disguised COUNT(*). Write COUNT(*) to count rows, and COUNT(col) only when you mean non-NULL values.",
            zh: "不要使用 COUNT(col) 或 COUNT(常量) 来替代 COUNT(*), COUNT(*) 是 SQL92 定义的标准统计行数的方法，跟数据无关，跟 NULL 和非 NULL 也无关。",
        },
        check: Some(count_col_or_const),
    },
    Rule {
        id: "FUN.006",
        level: 1,
        summary: Text {
            en: "SUM(col) may return NULL",
            zh: "使用 SUM(COL) 时需注意 NPE 问题",
        },
        explain: Text {
            en: "When no row matches, or every value is NULL, SUM(col) returns NULL, not 0 (unlike COUNT), which breaks callers that expect a number. Use IFNULL(SUM(col), 0) or COALESCE(SUM(col), 0).",
            zh: "当某一列的值全是 NULL 时，COUNT(COL) 的返回结果为0,但 SUM(COL) 的返回结果为 NULL，因此使用 SUM() 时需注意 NPE 问题。可以使用如下方式来避免 SUM 的 NPE 问题: SELECT IF(ISNULL(SUM(COL)), 0, SUM(COL)) FROM tbl",
        },
        check: Some(sum_may_be_null),
    },
    Rule {
        id: "FUN.007",
        level: 1,
        summary: Text {
            en: "trigger",
            zh: "不建议使用触发器",
        },
        explain: Text {
            en: "Triggers run hidden from the application and leave no trace in the slow log, cannot be switched off temporarily, and must be dropped for migrations or restores. Put the logic in the application instead.",
            zh: "触发器的执行没有反馈和日志，隐藏了实际的执行步骤，当数据库出现问题是，不能通过慢日志分析触发器的具体执行情况，不易发现问题。在MySQL中，触发器不能临时关闭或打开，在数据迁移或数据恢复等场景下，需要临时drop触发器，可能影响到生产环境。",
        },
        check: Some(create_trigger),
    },
    Rule {
        id: "FUN.008",
        level: 1,
        summary: Text {
            en: "stored procedure",
            zh: "不建议使用存储过程",
        },
        explain: Text {
            en: "Stored procedures are outside version control and deployment of the application, hard to upgrade together with it, and hard to scale or port. Keep the logic in the application.",
            zh: "存储过程无版本控制，配合业务的存储过程升级很难做到业务无感知。存储过程在拓展和移植上也存在问题。",
        },
        check: Some(create_procedure),
    },
    Rule {
        id: "FUN.009",
        level: 1,
        summary: Text {
            en: "user-defined function",
            zh: "不建议使用自定义函数",
        },
        explain: Text {
            en: "Stored functions share the problems of procedures (no versioning, hard to port) and, called per row, are slow and block index use. Compute the value in the application or with built-in functions.",
            zh: "不建议使用自定义函数：自定义函数无版本控制、难以移植，逐行调用时性能较差且无法利用索引。请在应用中计算或使用内置函数。",
        },
        check: Some(create_function),
    },
];

/// The lower-case name of a function (last part of a qualified name).
pub(super) fn func_name(f: &Function) -> String {
    f.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

/// The parenthesised argument list of a call.
pub(super) fn arg_list(f: &Function) -> Option<&FunctionArgumentList> {
    match &f.args {
        FunctionArguments::List(l) => Some(l),
        _ => None,
    }
}

/// True for `f(DISTINCT ...)`.
pub(super) fn is_distinct(l: &FunctionArgumentList) -> bool {
    matches!(l.duplicate_treatment, Some(DuplicateTreatment::Distinct))
}

/// The only argument of a call without DISTINCT.
fn single_arg(f: &Function) -> Option<&FunctionArgExpr> {
    let l = arg_list(f)?;
    if is_distinct(l) || l.args.len() != 1 {
        return None;
    }
    match l.args.first()? {
        FunctionArg::Unnamed(a) => Some(a),
        _ => None,
    }
}

pub(super) fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
            | BinaryOperator::Spaceship
    )
}

/// FUN.001, as SOAR decides it: anywhere in the statement (WHERE, ON, HAVING, the select
/// list), the left side of a comparison (`=`, `<>`, `<`, …, `LIKE`, `REGEXP`, `IN`) is written
/// ending in `)`: a function call, a parenthesised expression or a subquery. `a + 1 = 5`,
/// `5 = f(a)` and `f(a) BETWEEN …` are not flagged, as in SOAR.
fn function_on_column(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr(stmt, |e| {
        let tested = match e {
            Expr::BinaryOp { left, op, .. } if is_comparison(op) => left,
            Expr::Like { expr, .. }
            | Expr::RLike { expr, .. }
            | Expr::InList { expr, .. }
            | Expr::InSubquery { expr, .. } => expr,
            _ => return,
        };
        let text = tested.to_string();
        if text.ends_with(')') {
            out.push(Hit::span(tested.span()).with(text));
        }
    });
    dedup(out)
}

/// FUN.003, as SOAR decides it: the statement uses `||` (string concatenation under
/// PIPES_AS_CONCAT, else OR). SOAR searches the raw text; opsdeck its tokens, so `||` inside a
/// string or a comment does not count.
fn pipes_concat(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .find(|t| t.token == Token::StringConcat)
        .map(|t| vec![Hit::tok(t)])
        .unwrap_or_default()
}

/// COUNT(*), COUNT(constant) or COUNT(col) (no DISTINCT): the argument, `None` for other calls.
fn simple_count(e: &Expr) -> Option<&FunctionArgExpr> {
    match e {
        Expr::Function(f) if func_name(f) == "count" => single_arg(f),
        _ => None,
    }
}

/// FUN.002: the outermost SELECT has a WHERE and counts rows.
fn count_with_where(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    if top_select(stmt).is_none_or(|s| s.selection.is_none()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    each_expr_of(stmt, kind::FUNCTION, |e| {
        let counts = match simple_count(e) {
            Some(FunctionArgExpr::Wildcard) => true,
            Some(FunctionArgExpr::Expr(x)) => is_literal(x) || column_name(x).is_some(),
            _ => false,
        };
        if counts {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

/// FUN.004: a call of SYSDATE().
fn sysdate(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    (0..t.len())
        .filter(|&i| {
            word(&t[i]).as_deref() == Some("SYSDATE")
                && t.get(i + 1).is_some_and(|n| n.token == Token::LParen)
        })
        .map(|i| Hit::tok(&t[i]).with("SYSDATE()"))
        .collect()
}

/// FUN.005: COUNT(col) or COUNT(constant).
fn count_col_or_const(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_expr_of(stmt, kind::FUNCTION, |e| {
        if let Some(FunctionArgExpr::Expr(x)) = simple_count(e)
            && (is_literal(x) || column_name(x).is_some())
        {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

fn start(e: &Expr) -> (u64, u64) {
    let s = e.span();
    (s.start.line, s.start.column)
}

/// FUN.006: SUM(...) that is not guarded by IFNULL/COALESCE/ISNULL.
fn sum_may_be_null(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let is_sum = |e: &Expr| matches!(e, Expr::Function(f) if func_name(f) == "sum");
    // SUMs inside IFNULL/COALESCE/ISNULL/NVL, or inside an IF whose arguments test ISNULL.
    let mut guarded = HashSet::new();
    each_expr_of(stmt, kind::FUNCTION, |e| {
        let Expr::Function(f) = e else { return };
        let name = func_name(f);
        let guard = match name.as_str() {
            "ifnull" | "coalesce" | "isnull" | "nvl" => true,
            "if" => any_expr(e, |x| {
                matches!(x, Expr::Function(g) if func_name(g) == "isnull")
                    || matches!(x, Expr::IsNull(_) | Expr::IsNotNull(_))
            }),
            _ => false,
        };
        if guard {
            each_expr(e, |x| {
                if is_sum(x) {
                    guarded.insert(start(x));
                }
            });
        }
    });
    let mut out = Vec::new();
    each_expr_of(stmt, kind::FUNCTION, |e| {
        if is_sum(e) && !guarded.contains(&start(e)) {
            out.push(Hit::span(e.span()).with(e.to_string()));
        }
    });
    out
}

/// The object kind of a `CREATE [OR REPLACE] [DEFINER = ...] [AGGREGATE] <kind>` statement, with
/// the index of the token naming it.
fn created_kind(c: &Ctx) -> Option<(String, usize)> {
    if c.toks.first().and_then(word).as_deref() != Some("CREATE") {
        return None;
    }
    c.toks
        .iter()
        .enumerate()
        .skip(1)
        .take(16)
        .find_map(|(i, t)| {
            let w = word(t)?;
            matches!(
                w.as_str(),
                "TRIGGER"
                    | "PROCEDURE"
                    | "FUNCTION"
                    | "TABLE"
                    | "VIEW"
                    | "INDEX"
                    | "EVENT"
                    | "DATABASE"
                    | "SCHEMA"
                    | "USER"
                    | "ROLE"
                    | "SERVER"
                    | "TABLESPACE"
                    | "LOGFILE"
                    | "UNIQUE"
                    | "FULLTEXT"
                    | "SPATIAL"
                    | "TEMPORARY"
                    | "RESOURCE"
            )
            .then_some((w.into(), i))
        })
}

fn created(c: &Ctx, kind: &str) -> Vec<Hit> {
    match created_kind(c) {
        Some((k, i)) if k == kind => {
            let Some(t) = c.toks.get(i) else {
                return Vec::new();
            };
            let name = c.toks.get(i + 1).map(|n| n.token.to_string());
            let h = Hit::tok(t);
            vec![match name {
                Some(n) => h.with(n),
                None => h,
            }]
        }
        _ => Vec::new(),
    }
}

/// FUN.007: CREATE TRIGGER.
fn create_trigger(c: &Ctx) -> Vec<Hit> {
    created(c, "TRIGGER")
}

/// FUN.008: CREATE PROCEDURE.
fn create_procedure(c: &Ctx) -> Vec<Hit> {
    created(c, "PROCEDURE")
}

/// FUN.009: CREATE FUNCTION.
fn create_function(c: &Ctx) -> Vec<Hit> {
    created(c, "FUNCTION")
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn fun_001_function_on_column() {
        // SOAR (advisor/heuristic.go, RuleCompareWithFunction): any comparison whose left side,
        // printed, ends with `)`, wherever it is; the right side and arithmetic do not count.
        assert_rule(
            "FUN.001",
            &[
                "SELECT id FROM t WHERE substring(name, 1, 3) = 'abc'",
                "UPDATE t SET a = 1 WHERE DATE(created) = '2020-01-01'",
                "SELECT id FROM t WHERE UPPER(name) LIKE 'A%'",
                "SELECT id FROM t WHERE x = 1 AND YEAR(d) IN (2020, 2021)",
                "SELECT a.id FROM a JOIN b ON LOWER(a.k) = b.k",
                "SELECT k FROM t GROUP BY k HAVING COUNT(*) > 1",
                "SELECT id FROM t WHERE (a + 1) = 5",
                "SELECT id FROM t WHERE (SELECT MAX(x) FROM u) > 1",
                "SELECT id FROM t WHERE (a, b) = (1, 2)",
                "SELECT id FROM t WHERE NOW() > d",
            ],
            &[
                "SELECT id FROM t WHERE a + 1 = 5",
                "SELECT id FROM t WHERE name = substring('abcdef', 1, 3)",
                "SELECT id FROM t WHERE created > NOW() - INTERVAL 1 DAY",
                "SELECT UPPER(name) FROM t WHERE id = 1",
                "SELECT id FROM t WHERE DATE(d) BETWEEN '2020-01-01' AND '2020-12-31'",
                "SELECT id FROM t WHERE a IN (SELECT b FROM u)",
            ],
        );
        let h = hits("FUN.001", "SELECT id FROM t WHERE a = 1 AND LOWER(b) = 'x'");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 34)));
    }

    #[test]
    fn fun_002_count_with_where() {
        assert_rule(
            "FUN.002",
            &[
                "SELECT c3, COUNT(*) AS accounts FROM tab WHERE c2 < 10000 GROUP BY c3",
                "SELECT COUNT(1) FROM tab WHERE a = 1",
            ],
            &[
                "SELECT COUNT(*) FROM tab",
                "SELECT a FROM tab WHERE a = 1",
                "SELECT COUNT(DISTINCT a) FROM tab WHERE a = 1",
            ],
        );
    }

    #[test]
    fn fun_003_pipes() {
        // SOAR (RuleStringConcatenation): any `||` in the statement.
        assert_rule(
            "FUN.003",
            &[
                "SELECT a || b FROM t",
                "SELECT id FROM t WHERE name = first || ' ' || last",
            ],
            &[
                "SELECT CONCAT(a, b) FROM t",
                "SELECT id FROM t WHERE a = 'x||y'",
                "SELECT id FROM t WHERE a = 1 OR b = 2",
            ],
        );
        assert_eq!(hits("FUN.003", "SELECT a || b || c FROM t").len(), 1);
    }

    #[test]
    fn fun_004_sysdate() {
        assert_rule(
            "FUN.004",
            &[
                "SELECT SYSDATE()",
                "UPDATE t SET d = sysdate() WHERE id = 1",
            ],
            &[
                "SELECT NOW()",
                "SELECT 'sysdate()'",
                "SELECT sysdate_col FROM t",
            ],
        );
        assert_eq!(hits("FUN.004", "SELECT a, SYSDATE()")[0].at, Some((1, 11)));
    }

    #[test]
    fn fun_005_count_col_or_const() {
        assert_rule(
            "FUN.005",
            &[
                "SELECT COUNT(1) FROM tbl",
                "SELECT COUNT(col) FROM tbl",
                "SELECT COUNT(t.col) FROM tbl t",
            ],
            &[
                "SELECT COUNT(*) FROM tbl",
                "SELECT COUNT(DISTINCT col) FROM tbl",
                "SELECT COUNT(a + b) FROM tbl",
            ],
        );
        assert_eq!(
            hits("FUN.005", "SELECT a, count(1) FROM t")[0].at,
            Some((1, 11))
        );
    }

    #[test]
    fn fun_006_sum_may_be_null() {
        assert_rule(
            "FUN.006",
            &[
                "SELECT SUM(col) FROM tbl",
                "SELECT a, SUM(b * c) FROM tbl GROUP BY a",
            ],
            &[
                "SELECT IFNULL(SUM(col), 0) FROM tbl",
                "SELECT COALESCE(SUM(col), 0) FROM tbl",
                "SELECT IF(ISNULL(SUM(col)), 0, SUM(col)) FROM tbl",
                "SELECT COUNT(col) FROM tbl",
            ],
        );
        let h = hits("FUN.006", "SELECT IFNULL(SUM(a), 0), SUM(b) FROM t");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 27)));
    }

    #[test]
    fn fun_007_trigger() {
        assert_rule(
            "FUN.007",
            &[
                "CREATE TRIGGER t1 AFTER INSERT ON work FOR EACH ROW INSERT INTO time VALUES(NOW())",
                "CREATE DEFINER = `root`@`localhost` TRIGGER t1 BEFORE UPDATE ON w FOR EACH ROW SET NEW.a = 1",
            ],
            &[
                "CREATE TABLE trigger_log (a INT)",
                "DROP TRIGGER t1",
                "SELECT 1",
            ],
        );
        let h = hits(
            "FUN.007",
            "CREATE TRIGGER t1 AFTER INSERT ON w FOR EACH ROW SET @a = 1",
        );
        assert_eq!(h[0].at, Some((1, 8)));
        assert_eq!(h[0].detail.as_deref(), Some("t1"));
    }

    #[test]
    fn fun_008_procedure() {
        assert_rule(
            "FUN.008",
            &[
                "CREATE PROCEDURE simpleproc (OUT param1 INT) BEGIN SELECT COUNT(*) INTO param1 FROM t; END",
                "CREATE DEFINER=root@localhost PROCEDURE p() SELECT 1",
            ],
            &[
                "CALL simpleproc(@a)",
                "CREATE FUNCTION f() RETURNS INT RETURN 1",
            ],
        );
    }

    #[test]
    fn fun_009_function() {
        assert_rule(
            "FUN.009",
            &[
                "CREATE FUNCTION hello (s CHAR(20)) RETURNS CHAR(50) DETERMINISTIC RETURN CONCAT('Hello, ', s, '!')",
                "CREATE AGGREGATE FUNCTION f RETURNS STRING SONAME 'f.so'",
            ],
            &["SELECT hello('x')", "CREATE PROCEDURE p() SELECT 1"],
        );
    }
}
