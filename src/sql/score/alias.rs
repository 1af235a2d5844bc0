//! ALI.* score rules: aliases.

use sqlparser::ast::{Expr, SelectItem, TableFactor};
use sqlparser::tokenizer::Token;

use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{each_select, factors, table_name};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "ALI.001",
        level: 0,
        summary: Text {
            en: "alias without AS",
            zh: "建议使用 AS 关键字显示声明一个别名",
        },
        explain: Text {
            en: "`SELECT a b FROM t` silently names column a as b; a missing comma between two columns looks the same. Write `a AS b` so the intent is explicit.",
            zh: "在列或表别名(如\"tbl AS alias\")中, 明确使用 AS 关键字比隐含别名(如\"tbl alias\")更易懂；两列之间漏写逗号时看起来也一样。",
        },
        check: Some(implicit_alias),
    },
    Rule {
        id: "ALI.002",
        level: 8,
        summary: Text {
            en: "alias on a wildcard (tbl.* AS x)",
            zh: "不建议给列通配符'*'设置别名",
        },
        explain: Text {
            en: "`SELECT t.* AS x` is not valid MySQL or does not do what it looks like. List the columns you need and alias each one.",
            zh: "例: \"SELECT tbl.* col1, col2\" 上面这条 SQL 给列通配符设置了别名，这样的 SQL 可能存在逻辑错误。您可能意在查询 col1, 但是代替它的是重命名的是 tbl 的最后一列。请列出需要的列并分别设置别名。",
        },
        check: Some(wildcard_alias),
    },
    Rule {
        id: "ALI.003",
        level: 1,
        summary: Text {
            en: "alias is the same as the table or column name",
            zh: "别名不要与表或列的名字相同",
        },
        explain: Text {
            en: "An alias equal to the name it renames adds nothing and makes the statement harder to read. Drop it or pick a different, shorter alias.",
            zh: "表或列的别名与其真实名称相同, 这样的别名会使得查询更难去分辨。请去掉别名或换一个不同的别名。",
        },
        check: Some(alias_same_as_name),
    },
];

/// ALI.001: an alias written without `AS` (the token before the alias is not `AS`).
fn implicit_alias(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut aliases = Vec::new();
    each_select(stmt, |s, _| {
        for item in &s.projection {
            if let SelectItem::ExprWithAlias { alias, .. } = item {
                aliases.push(alias.clone());
            }
        }
        for f in factors(&s.from) {
            if let Some(a) = factor_alias(f) {
                aliases.push(a.clone());
            }
        }
    });
    let mut out = Vec::new();
    for a in aliases {
        let (line, col) = (a.span.start.line as usize, a.span.start.column as usize);
        let Some(i) = c
            .toks
            .iter()
            .position(|t| t.line == line && t.column == col)
        else {
            continue;
        };
        let before_is_as = i > 0 && crate::sql::tokens::is_word(c.toks, i - 1, "AS");
        if !before_is_as {
            out.push(Hit::tok(&c.toks[i]).with(a.value.clone()));
        }
    }
    out
}

fn factor_alias(f: &TableFactor) -> Option<&sqlparser::ast::Ident> {
    match f {
        TableFactor::Table { alias, .. }
        | TableFactor::Derived { alias, .. }
        | TableFactor::NestedJoin { alias, .. } => alias.as_ref().map(|a| &a.name),
        _ => None,
    }
}

/// ALI.002: `tbl.* alias` or `* alias` — sqlparser refuses it, so look at the tokens.
fn wildcard_alias(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let mut out = Vec::new();
    for i in 0..t.len() {
        if t[i].token != Token::Mul {
            continue;
        }
        // `*` right after SELECT/DISTINCT, `,` or `x.`, followed by a word or AS.
        let prev_ok = i > 0
            && (matches!(t[i - 1].token, Token::Period | Token::Comma)
                || crate::sql::tokens::word(&t[i - 1])
                    .is_some_and(|w| w == "SELECT" || w == "DISTINCT"));
        let next_alias = match t.get(i + 1).map(|n| &n.token) {
            Some(Token::Word(w)) => {
                let up = w.value.to_ascii_uppercase();
                w.quote_style.is_some() || !matches!(up.as_str(), "FROM" | "INTO" | "UNION")
            }
            _ => false,
        };
        if prev_ok && next_alias {
            out.push(Hit::tok(&t[i]));
        }
    }
    out
}

/// ALI.003: `t AS t`, `col AS col`, `x.col AS col`.
fn alias_same_as_name(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        for item in &s.projection {
            if let SelectItem::ExprWithAlias { expr, alias } = item {
                let name = match expr {
                    Expr::Identifier(i) => Some(&i.value),
                    Expr::CompoundIdentifier(p) => p.last().map(|i| &i.value),
                    _ => None,
                };
                if name.is_some_and(|n| n.eq_ignore_ascii_case(&alias.value)) {
                    out.push(Hit::span(alias.span).with(alias.value.clone()));
                }
            }
        }
        for f in factors(&s.from) {
            if let TableFactor::Table {
                name,
                alias: Some(a),
                ..
            } = f
                && table_name(name) == a.name.value.to_lowercase()
            {
                out.push(Hit::span(a.name.span).with(a.name.value.clone()));
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn ali_001_implicit_alias() {
        assert_rule(
            "ALI.001",
            &[
                "SELECT a b FROM t",
                "SELECT a FROM t x",
                "SELECT 1 FROM (SELECT 1) d",
            ],
            &["SELECT a AS b FROM t AS x", "SELECT a FROM t"],
        );
        let h = hits("ALI.001", "SELECT a AS b, c d FROM t");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 18)));
        assert_eq!(h[0].detail.as_deref(), Some("d"));
    }

    #[test]
    fn ali_002_wildcard_alias() {
        assert_rule(
            "ALI.002",
            &["SELECT t.* x FROM t", "SELECT t.* AS x FROM t"],
            &[
                "SELECT t.* FROM t",
                "SELECT * FROM t",
                "SELECT 2 * 3 AS six",
            ],
        );
    }

    #[test]
    fn ali_003_alias_same_as_name() {
        assert_rule(
            "ALI.003",
            &[
                "SELECT id AS id FROM t",
                "SELECT a FROM users AS users",
                "SELECT t.c c FROM t",
            ],
            &["SELECT id AS user_id FROM t", "SELECT a FROM users AS u"],
        );
    }
}
