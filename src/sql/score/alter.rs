//! ALT.* score rules: ALTER TABLE statements (read from tokens, so every MySQL form is covered).

use super::rule::{Ctx, Hit, Rule, Text};
use crate::sql::tokens::{Tok, is_seq, is_word, word};
use sqlparser::tokenizer::Token;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "ALT.001",
        level: 4,
        summary: Text {
            en: "ALTER TABLE … DEFAULT CHARSET does not convert existing columns",
            zh: "修改表的默认字符集不会改表各个字段的字符集",
        },
        explain: Text {
            en: "Changing the table's default character set only applies to columns added later; existing columns keep theirs. To change them too, use ALTER TABLE … CONVERT TO CHARACTER SET ….",
            zh: "很多初学者会将 ALTER TABLE tbl_name [DEFAULT] CHARACTER SET 'UTF8' 误认为会修改所有字段的字符集，但实际上它只会影响后续新增的字段而不会改表已有字段的字符集。如果想修改整张表所有字段的字符集建议使用 ALTER TABLE tbl_name CONVERT TO CHARACTER SET charset_name;",
        },
        check: Some(default_charset),
    },
    Rule {
        id: "ALT.002",
        level: 2,
        summary: Text {
            en: "several ALTERs of the same table: merge them",
            zh: "同一张表的多条 ALTER 请求建议合为一条",
        },
        explain: Text {
            en: "Each ALTER TABLE may copy or rebuild the whole table. Put all the changes into one ALTER TABLE t ADD …, MODIFY …, DROP … so the table is rebuilt once.",
            zh: "每次表结构变更对线上服务都会产生影响，即使是能够通过在线工具进行调整也请尽量通过合并 ALTER 请求的试减少操作的次数。",
        },
        check: Some(repeated_alter),
    },
    Rule {
        id: "ALT.003",
        level: 0,
        summary: Text {
            en: "DROP COLUMN is high-risk",
            zh: "删除列为高危操作",
        },
        explain: Text {
            en: "Dropping a column loses its data for good, and code that still reads it breaks. Check that nothing uses the column and that a backup exists before the change.",
            zh: "业务逻辑与删除列依赖未完全消除，列被删除后可能导致数据无法写入或无法查询到已删除列数据导致程序异常的情况。这种情况下即使通过备份数据回滚也会丢失用户请求写入的数据。",
        },
        check: Some(drop_column),
    },
    Rule {
        id: "ALT.004",
        level: 0,
        summary: Text {
            en: "DROP PRIMARY KEY or FOREIGN KEY is high-risk",
            zh: "删除主键和外键为高危操作",
        },
        explain: Text {
            en: "Without its primary key the table cannot be changed online, replicates slowly and may take duplicate rows; dropping a foreign key removes an integrity guarantee. Confirm with the DBA before running it.",
            zh: "删除主键和外键为高危操作，操作前请与 DBA 确认影响。",
        },
        check: Some(drop_key),
    },
];

/// The index of the first token after `ALTER [ONLINE|IGNORE] TABLE name`, and the table name,
/// when the statement is an ALTER TABLE.
/// The table an `ALTER TABLE` statement alters (for [`Ctx::altered`]).
pub(crate) fn altered_table(t: &[Tok]) -> Option<String> {
    alter_table(t).map(|(_, name)| name)
}

fn alter_table(t: &[Tok]) -> Option<(usize, String)> {
    if !is_word(t, 0, "ALTER") {
        return None;
    }
    let mut i = 1;
    while is_seq(t, i, &["ONLINE|OFFLINE|IGNORE"]) {
        i += 1;
    }
    if !is_word(t, i, "TABLE") {
        return None;
    }
    i += 1;
    // name, or schema.name
    let mut name = String::new();
    while let Some(tok) = t.get(i) {
        match &tok.token {
            Token::Word(w) => name.push_str(&w.value.to_lowercase()),
            Token::Period => name.push('.'),
            _ => break,
        }
        i += 1;
        if !matches!(t.get(i).map(|x| &x.token), Some(Token::Period))
            && !matches!(
                t.get(i.saturating_sub(1)).map(|x| &x.token),
                Some(Token::Period)
            )
        {
            break;
        }
    }
    (!name.is_empty()).then_some((i, name))
}

/// ALT.001: `ALTER TABLE t [DEFAULT] CHARACTER SET|CHARSET [=] x` without CONVERT TO.
fn default_charset(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let Some((start, _)) = alter_table(t) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = start;
    while i < t.len() {
        if is_seq(t, i, &["CONVERT", "TO"]) {
            // CONVERT TO CHARACTER SET x: skip past it.
            i += 3;
            continue;
        }
        let at_clause_start = i == start || matches!(t[i - 1].token, Token::Comma);
        let j = if is_word(t, i, "DEFAULT") { i + 1 } else { i };
        if at_clause_start && (is_word(t, j, "CHARSET") || is_seq(t, j, &["CHARACTER", "SET"])) {
            out.push(Hit::tok(&t[i]));
        }
        i += 1;
    }
    out
}

/// ALT.002: an ALTER TABLE of a table an earlier statement of the script already altered.
fn repeated_alter(c: &Ctx) -> Vec<Hit> {
    let Some((_, name)) = alter_table(c.toks) else {
        return Vec::new();
    };
    if c.altered.contains(&name) {
        c.toks
            .first()
            .map(|t| vec![Hit::tok(t).with(name)])
            .unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// ALT.003: `DROP [COLUMN] col` in an ALTER TABLE (not DROP INDEX/KEY/PRIMARY/FOREIGN/…).
fn drop_column(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    let Some((start, _)) = alter_table(t) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in start..t.len() {
        let clause_start = i == start || matches!(t[i - 1].token, Token::Comma);
        if !clause_start || !is_word(t, i, "DROP") {
            continue;
        }
        let next = t.get(i + 1).and_then(word);
        let other = matches!(
            next.as_deref(),
            Some(
                "INDEX"
                    | "KEY"
                    | "PRIMARY"
                    | "FOREIGN"
                    | "CONSTRAINT"
                    | "CHECK"
                    | "PARTITION"
                    | "DEFAULT"
                    | "SYSTEM"
            )
        );
        if !other && t.get(i + 1).is_some() {
            out.push(Hit::tok(&t[i]));
        }
    }
    out
}

/// ALT.004: `DROP PRIMARY KEY` or `DROP FOREIGN KEY fk` in an ALTER TABLE.
fn drop_key(c: &Ctx) -> Vec<Hit> {
    let t = c.toks;
    if alter_table(t).is_none() {
        return Vec::new();
    }
    (0..t.len())
        .filter(|&i| is_seq(t, i, &["DROP", "PRIMARY|FOREIGN", "KEY"]))
        .map(|i| Hit::tok(&t[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_at};

    #[test]
    fn alt_001_default_charset() {
        assert_rule(
            "ALT.001",
            &[
                "ALTER TABLE t DEFAULT CHARSET = utf8mb4",
                "ALTER TABLE t CHARACTER SET utf8mb4",
                "ALTER TABLE t ADD c INT, DEFAULT CHARACTER SET = latin1",
            ],
            &[
                "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
                "ALTER TABLE t MODIFY c VARCHAR(10) CHARACTER SET utf8mb4",
                "CREATE TABLE t (id INT) DEFAULT CHARSET=utf8mb4",
            ],
        );
    }

    #[test]
    fn alt_002_repeated_alter() {
        let script = "ALTER TABLE t ADD a INT; ALTER TABLE u ADD b INT; ALTER TABLE T ADD c INT;";
        let o = ScoreOptions::default();
        assert!(hits_at("ALT.002", script, 0, &o).is_empty());
        assert!(hits_at("ALT.002", script, 1, &o).is_empty());
        assert_eq!(hits_at("ALT.002", script, 2, &o).len(), 1);
        let qualified = "ALTER TABLE db.t ADD a INT; ALTER TABLE db.t DROP b;";
        assert_eq!(hits_at("ALT.002", qualified, 1, &o).len(), 1);
        assert!(
            hits_at(
                "ALT.002",
                "ALTER TABLE db.t ADD a INT; ALTER TABLE t ADD b INT;",
                1,
                &o
            )
            .is_empty()
        );
    }

    #[test]
    fn alt_003_drop_column() {
        assert_rule(
            "ALT.003",
            &[
                "ALTER TABLE t DROP COLUMN c",
                "ALTER TABLE t DROP c",
                "ALTER TABLE t ADD x INT, DROP c",
            ],
            &[
                "ALTER TABLE t DROP INDEX idx_c",
                "ALTER TABLE t DROP PRIMARY KEY",
                "ALTER TABLE t DROP FOREIGN KEY fk",
                "DROP TABLE t",
            ],
        );
        assert_eq!(
            hits("ALT.003", "ALTER TABLE t ADD x INT, DROP c")[0].at,
            Some((1, 26))
        );
    }

    #[test]
    fn alt_004_drop_key() {
        assert_rule(
            "ALT.004",
            &[
                "ALTER TABLE t DROP PRIMARY KEY",
                "ALTER TABLE t DROP FOREIGN KEY fk_user",
            ],
            &[
                "ALTER TABLE t DROP INDEX idx",
                "ALTER TABLE t DROP COLUMN c",
            ],
        );
    }
}
