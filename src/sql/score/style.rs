//! STA.* score rules: coding standards.

use sqlparser::ast::{Statement, TableConstraint};
use sqlparser::tokenizer::Token;

use super::key::{constraint_hit, ddl_constraints};
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "STA.001",
        level: 0,
        summary: Text {
            en: "'!=' is non-standard",
            zh: "'!=' 运算符是非标准的",
        },
        explain: Text {
            en: "`<>` is the standard SQL not-equal operator; `!=` is a MySQL extension. Write `<>`.",
            zh: "\"<>\"才是标准 SQL 中的不等于运算符。",
        },
        check: Some(bang_equals),
    },
    Rule {
        id: "STA.002",
        level: 1,
        summary: Text {
            en: "space after the dot in db. tbl",
            zh: "库名或表名点后建议不要加空格",
        },
        explain: Text {
            en: "`db. tbl` and `tbl. col` are valid but read like two separate names and break simple tools. Write `db.tbl` and `tbl.col` without spaces.",
            zh: "当使用 db.table 或 table.column 格式访问表或字段时，请不要在点号后面添加空格，虽然这样语法正确。",
        },
        check: Some(space_after_dot),
    },
    Rule {
        id: "STA.003",
        level: 1,
        summary: Text {
            en: "index name does not follow the convention",
            zh: "索引起名不规范",
        },
        explain: Text {
            en: "Name ordinary secondary indexes with the `idx_` prefix and unique indexes with `uk_` (configurable), so their kind is clear in EXPLAIN, error messages and schema diffs; unnamed indexes get a name derived from their first column.",
            zh: "建议普通二级索引以 idx_ 为前缀，唯一索引以 uk_ 为前缀（可配置），这样在 EXPLAIN、报错信息和表结构对比中能一眼看出索引类型；未命名的索引会以第一列命名。",
        },
        check: Some(index_prefix),
    },
    Rule {
        id: "STA.004",
        level: 1,
        summary: Text {
            en: "identifier with characters outside [A-Za-z0-9_]",
            zh: "起名时请不要使用字母、数字和下划线之外的字符",
        },
        explain: Text {
            en: "Names with spaces, punctuation, mixed case or `__` must always be quoted, are easy to mistype and behave differently across case-sensitivity settings. Start with a letter or underscore, use only letters, digits and single underscores, in one case.",
            zh: "以字母或下划线开头，名字只允许使用字母、数字和下划线。请统一大小写，不要使用驼峰命名法。不要在名字中出现连续下划线'__'，这样很难辨认。",
        },
        check: Some(nonstandard_name),
    },
];

/// The byte offset of a 1-based (line, column-in-characters) position in `text`.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut l = 1;
    let mut col = 1;
    for (i, ch) in text.char_indices() {
        if l == line && col == column {
            return Some(i);
        }
        if ch == '\n' {
            l += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// STA.001: the `!=` spelling of `<>`.
fn bang_equals(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .filter(|t| t.token == Token::Neq)
        .filter(|t| {
            offset(c.text, t.line, t.column)
                .and_then(|o| c.text.get(o..))
                .is_some_and(|s| s.starts_with("!="))
        })
        .map(Hit::tok)
        .collect()
}

/// STA.002: `name. name` — a qualifier dot followed by whitespace.
fn space_after_dot(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let mut out = Vec::new();
    for i in 1..t.len() {
        if t[i].token != Token::Period {
            continue;
        }
        let (Some(prev), Some(next)) = (t.get(i - 1), t.get(i + 1)) else {
            continue;
        };
        let names = matches!(prev.token, Token::Word(_))
            && matches!(next.token, Token::Word(_) | Token::Mul);
        let gap = next.line != t[i].line || next.column > t[i].column + 1;
        if names && gap {
            out.push(Hit::tok(&t[i]));
        }
    }
    out
}

/// STA.003: a KEY/INDEX not named `idx_…`, a UNIQUE index not named `uk_…`.
fn index_prefix(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let (idx, uk) = (
        c.opts.idx_prefix.to_lowercase(),
        c.opts.uk_prefix.to_lowercase(),
    );
    let bad = |name: Option<&str>, prefix: &str| {
        !name.is_some_and(|n| n.to_lowercase().starts_with(prefix))
    };
    let mut out = Vec::new();
    for k in ddl_constraints(stmt) {
        let (name, prefix) = match k {
            TableConstraint::Index(i) => (i.name.as_ref(), &idx),
            TableConstraint::Unique(u) => (u.name.as_ref().or(u.index_name.as_ref()), &uk),
            _ => continue,
        };
        let name = name.map(|n| n.value.as_str());
        if bad(name, prefix) {
            out.push(constraint_hit(c, k).with(name.unwrap_or("(unnamed)").to_string()));
        }
    }
    if let Statement::CreateIndex(ci) = stmt {
        let prefix = if ci.unique { &uk } else { &idx };
        let name = ci.name.as_ref().map(super::walk::table_name);
        if bad(name.as_deref(), prefix) {
            let at = ci
                .name
                .as_ref()
                .map(|n| Hit::span(sqlparser::ast::Spanned::span(n)))
                .unwrap_or_default();
            out.push(at.with(name.unwrap_or_else(|| "(unnamed)".into())));
        }
    }
    out
}

/// STA.004: a backquoted name that is empty, has characters outside [A-Za-z0-9_], `__` or mixed
/// case; an unquoted name with `__`.
fn nonstandard_name(c: &Ctx) -> Vec<Hit> {
    let mut out = Vec::new();
    for t in c.toks {
        let Token::Word(w) = &t.token else {
            continue;
        };
        let v = &w.value;
        let bad = match w.quote_style {
            Some('`') => {
                v.is_empty()
                    || v.chars()
                        .any(|ch| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    || v.contains("__")
                    || (v.to_lowercase() != *v && v.to_uppercase() != *v)
            }
            Some(_) => false,
            None => v.contains("__"),
        };
        if bad {
            out.push(Hit::tok(t).with(v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn sta_001_bang_equals() {
        assert_rule(
            "STA.001",
            &[
                "select col1,col2 from tbl where type!=0",
                "SELECT 1 FROM t WHERE a != 'x'",
            ],
            &["SELECT * FROM t WHERE a <> 0", "SELECT '!=' FROM t"],
        );
        assert_eq!(
            hits("STA.001", "SELECT 1 FROM t\nWHERE a != 1")[0].at,
            Some((2, 9))
        );
        assert_eq!(
            hits("STA.001", "SELECT '中文' FROM t WHERE a != 1")[0].at,
            Some((1, 28))
        );
    }

    #[test]
    fn sta_002_space_after_dot() {
        assert_rule(
            "STA.002",
            &[
                "select col from sakila. film",
                "SELECT t. col FROM t",
                "SELECT t.\n* FROM t",
            ],
            &[
                "SELECT col FROM sakila.film",
                "SELECT 1. FROM t",
                "SELECT 1.5 FROM t",
            ],
        );
        assert_eq!(hits("STA.002", "SELECT a FROM db. t")[0].at, Some((1, 17)));
    }

    #[test]
    fn sta_003_index_prefix() {
        assert_rule(
            "STA.003",
            &[
                "CREATE TABLE t (a int, KEY a_idx (a))",
                "CREATE TABLE t (a int, UNIQUE KEY idx_a (a))",
                "ALTER TABLE t ADD INDEX (a)",
                "CREATE INDEX a_idx ON t (a)",
                "CREATE UNIQUE INDEX idx_a ON t (a)",
            ],
            &[
                "CREATE TABLE t (a int, b int, KEY idx_a (a), UNIQUE KEY uk_b (b), PRIMARY KEY (a))",
                "ALTER TABLE t ADD UNIQUE INDEX uk_a (a)",
                "CREATE INDEX idx_a ON t (a)",
                "CREATE UNIQUE INDEX UK_A ON t (a)",
            ],
        );
        let opts = ScoreOptions {
            idx_prefix: "ix_".into(),
            ..ScoreOptions::default()
        };
        assert!(hits_with("STA.003", "CREATE INDEX ix_a ON t (a)", &opts).is_empty());
        let h = hits("STA.003", "CREATE TABLE t (a int, KEY k (a))");
        assert_eq!(h[0].at, Some((1, 24)));
        assert_eq!(h[0].detail.as_deref(), Some("k"));
    }

    #[test]
    fn sta_004_nonstandard_name() {
        assert_rule(
            "STA.004",
            &[
                "CREATE TABLE ` abc` (a int)",
                "SELECT `userName` FROM t",
                "SELECT a__b FROM t",
                "SELECT `a-b` FROM t",
            ],
            &[
                "SELECT `user_name`, `ID` FROM t",
                "SELECT a_b FROM t",
                "SELECT 'a b' FROM t",
            ],
        );
    }
}
