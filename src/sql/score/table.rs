//! TBL.* score rules: table definitions (partitions, engine, charset, collation, AUTO_INCREMENT,
//! views, temporary tables). sqlparser cannot parse `ALTER TABLE … ENGINE=…`, charset changes or
//! partitions, so most of these read the tokens.

use sqlparser::ast::{AlterTableOperation, RenameTableNameKind, Statement};
use sqlparser::tokenizer::Token;

use super::rule::{Ctx, Hit, Rule, Text};
use crate::sql::tokens::{Tok, is_seq, is_word, word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "TBL.001",
        level: 4,
        summary: Text {
            en: "partitioned table",
            zh: "不建议使用分区表",
        },
        explain: Text {
            en: "Partitioned tables complicate locking, DDL and backups, every query that does not filter on the partition key opens all partitions, and the optimizer handles them poorly. Keep tables unpartitioned and archive or shard old data instead.",
            zh: "分区表会让加锁、DDL 和备份更复杂，不带分区键条件的查询需要打开所有分区，优化器对分区表的支持也不好。不建议使用分区表，请改用归档或分库分表处理历史数据。",
        },
        check: Some(partitioned),
    },
    Rule {
        id: "TBL.002",
        level: 4,
        summary: Text {
            en: "choose a recommended storage engine",
            zh: "请为表选择合适的存储引擎",
        },
        explain: Text {
            en: "A CREATE TABLE without ENGINE= depends on the server default, and engines other than the recommended ones (InnoDB by default) lack transactions, row locks or crash safety. Name a recommended engine explicitly when creating or altering a table.",
            zh: "建表或修改表的存储引擎时建议使用推荐的存储引擎（默认 InnoDB）。建表时未指定 ENGINE 会依赖服务器默认配置，其他存储引擎可能不支持事务、行锁或崩溃恢复。",
        },
        check: Some(engine),
    },
    Rule {
        id: "TBL.003",
        level: 8,
        summary: Text {
            en: "table named DUAL",
            zh: "以 DUAL 命名的表在数据库中有特殊含义",
        },
        explain: Text {
            en: "DUAL is the dummy table of `SELECT 1 FROM DUAL`; a real table of that name must always be quoted and confuses tools and readers. Choose another name.",
            zh: "DUAL 表为虚拟表，不需要创建即可使用，也不建议服务以 DUAL 命名表；同名的真实表必须始终加引号，容易让工具和读者混淆。请换一个表名。",
        },
        check: Some(dual_table),
    },
    Rule {
        id: "TBL.004",
        level: 2,
        summary: Text {
            en: "initial AUTO_INCREMENT is not 0",
            zh: "表的初始 AUTO_INCREMENT 值不为 0",
        },
        explain: Text {
            en: "A CREATE TABLE … AUTO_INCREMENT=N (N > 1) leaves a gap of unused ids and is usually copied from SHOW CREATE TABLE of a table with data. Drop the option so ids start from 1.",
            zh: "AUTO_INCREMENT 不为 0 会导致数据空洞，通常是从有数据的表的 SHOW CREATE TABLE 中复制而来。请去掉该选项，让自增值从 1 开始。",
        },
        check: Some(auto_increment_not_zero),
    },
    Rule {
        id: "TBL.005",
        level: 4,
        summary: Text {
            en: "table character set not recommended",
            zh: "请使用推荐的字符集",
        },
        explain: Text {
            en: "Tables in different character sets force conversions in joins and comparisons (which can stop index use), and charsets such as latin1 cannot store all text. Use one of the allowed charsets (utf8mb4 by default), or leave the option out to use the server's.",
            zh: "表字符集只允许设置为推荐的字符集（默认 utf8、utf8mb4）。字符集不一致会在连接和比较时进行转换而可能无法使用索引，latin1 等字符集也无法存储所有文字。",
        },
        check: Some(charset),
    },
    Rule {
        id: "TBL.006",
        level: 1,
        summary: Text {
            en: "views",
            zh: "不建议使用视图",
        },
        explain: Text {
            en: "Views hide the real queries, are often executed with temporary tables (ALGORITHM=TEMPTABLE) that cannot use indexes, and add DEFINER privileges to manage. Put the query in the application instead.",
            zh: "视图隐藏了真实的查询，经常使用无法利用索引的临时表执行（ALGORITHM=TEMPTABLE），还需要管理 DEFINER 权限。不建议使用视图，请将查询写在应用中。",
        },
        check: Some(view),
    },
    Rule {
        id: "TBL.007",
        level: 1,
        summary: Text {
            en: "temporary tables",
            zh: "不建议使用临时表",
        },
        explain: Text {
            en: "Temporary tables are per-connection, break statement-based replication and connection pooling, and cost disk and memory. Use a derived table or a real table with a clean-up job instead.",
            zh: "临时表仅在当前连接内可见，会影响基于语句的复制和连接池，并消耗内存和磁盘。不建议使用临时表，请使用派生表或带清理任务的普通表。",
        },
        check: Some(temporary),
    },
    Rule {
        id: "TBL.008",
        level: 4,
        summary: Text {
            en: "table collation not recommended",
            zh: "请使用推荐的 COLLATE",
        },
        explain: Text {
            en: "Columns compared across tables with different collations cannot use indexes and may raise 'Illegal mix of collations'. Use one of the allowed collations, or leave the option out to use the server's.",
            zh: "COLLATE 只允许设置为推荐的排序规则。排序规则不同的列之间比较时无法使用索引，还可能报 Illegal mix of collations 错误。",
        },
        check: Some(collation),
    },
];

/// What kind of table DDL the tokens start with.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Ddl {
    Create,
    Alter,
}

fn table_ddl(toks: &[Tok]) -> Option<Ddl> {
    if is_seq(toks, 0, &["CREATE", "TABLE"]) || is_seq(toks, 0, &["CREATE", "TEMPORARY", "TABLE"]) {
        Some(Ddl::Create)
    } else if is_seq(toks, 0, &["ALTER", "TABLE"]) || is_seq(toks, 0, &["ALTER", "IGNORE", "TABLE"])
    {
        Some(Ddl::Alter)
    } else {
        None
    }
}

/// A table option: its key (`ENGINE`, `CHARSET`, `COLLATE`, `AUTO_INCREMENT`), its value (lower
/// case, unquoted) and the token where the option starts.
struct TableOpt<'a> {
    key: &'static str,
    value: String,
    at: &'a Tok,
}

fn value_text(t: &Tok) -> Option<String> {
    match &t.token {
        Token::Word(w) => Some(w.value.to_lowercase()),
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => Some(s.to_lowercase()),
        Token::Number(n, _) => Some(n.clone()),
        _ => None,
    }
}

/// The table-level options of a `CREATE TABLE` or `ALTER TABLE`: outside parentheses, and for
/// ALTER not inside an ADD/CHANGE/MODIFY/ALTER column clause (whose charset is the column's).
fn table_options(toks: &[Tok]) -> Vec<TableOpt<'_>> {
    let Some(kind) = table_ddl(toks) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut column_clause = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => column_clause = false,
            _ => {}
        }
        if depth > 0 {
            i += 1;
            continue;
        }
        let w = word(t).unwrap_or_default();
        if kind == Ddl::Alter
            && matches!(w.as_str(), "ADD" | "CHANGE" | "MODIFY" | "ALTER")
            && i > 2
        {
            column_clause = true;
        }
        if w == "PARTITION" {
            // Partition definitions may repeat ENGINE=; they are not the table's.
            break;
        }
        if column_clause {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        if w == "DEFAULT" {
            j += 1;
        }
        let key = if is_word(toks, j, "ENGINE") {
            j += 1;
            Some("ENGINE")
        } else if is_word(toks, j, "CHARSET") {
            j += 1;
            Some("CHARSET")
        } else if is_seq(toks, j, &["CHARACTER", "SET"]) {
            j += 2;
            Some("CHARSET")
        } else if is_seq(toks, j, &["CONVERT", "TO", "CHARACTER", "SET"]) {
            j += 4;
            Some("CHARSET")
        } else if is_seq(toks, j, &["CONVERT", "TO", "CHARSET"]) {
            j += 3;
            Some("CHARSET")
        } else if is_word(toks, j, "COLLATE") {
            j += 1;
            Some("COLLATE")
        } else if is_word(toks, j, "AUTO_INCREMENT") {
            j += 1;
            Some("AUTO_INCREMENT")
        } else {
            None
        };
        if let Some(key) = key {
            if matches!(toks.get(j).map(|t| &t.token), Some(Token::Eq)) {
                j += 1;
            }
            if let Some(value) = toks.get(j).and_then(value_text) {
                out.push(TableOpt {
                    key,
                    value,
                    at: &toks[start],
                });
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// TBL.001: `PARTITION BY` in CREATE TABLE / ALTER TABLE, or `ALTER TABLE … ADD PARTITION`.
fn partitioned(c: &Ctx) -> Vec<Hit> {
    if table_ddl(c.toks).is_none() {
        return Vec::new();
    }
    (0..c.toks.len())
        .find(|&i| {
            is_seq(c.toks, i, &["PARTITION", "BY"])
                || is_seq(c.toks, i, &["ADD|REORGANIZE", "PARTITION"])
        })
        .and_then(|i| c.toks.get(i))
        .map(|t| vec![Hit::tok(t)])
        .unwrap_or_default()
}

fn allowed(list: &[String], value: &str) -> bool {
    list.iter().any(|a| a.trim().eq_ignore_ascii_case(value))
}

/// TBL.002: CREATE TABLE without ENGINE=, or an ENGINE outside `allow_engines`.
fn engine(c: &Ctx) -> Vec<Hit> {
    let Some(kind) = table_ddl(c.toks) else {
        return Vec::new();
    };
    let opts = table_options(c.toks);
    let engines: Vec<&TableOpt> = opts.iter().filter(|o| o.key == "ENGINE").collect();
    let mut out: Vec<Hit> = engines
        .iter()
        .filter(|o| !c.opts.allow_engines.is_empty() && !allowed(&c.opts.allow_engines, &o.value))
        .map(|o| Hit::tok(o.at).with(o.value.clone()))
        .collect();
    // `CREATE TABLE t LIKE u` copies the engine of u.
    let like = c.toks.iter().any(|t| word(t).is_some_and(|w| w == "LIKE"))
        && matches!(c.ast, Some(Statement::CreateTable(ct)) if ct.like.is_some());
    if kind == Ddl::Create && engines.is_empty() && !like {
        out.push(Hit::whole().with("no ENGINE"));
    }
    out
}

/// TBL.003: a table created or renamed as `dual`.
fn dual_table(c: &Ctx) -> Vec<Hit> {
    let is_dual = |n: &sqlparser::ast::ObjectName| super::walk::table_name(n) == "dual";
    let hit = |n: &sqlparser::ast::ObjectName| {
        use sqlparser::ast::Spanned;
        Hit::span(n.span())
    };
    match c.ast {
        Some(Statement::CreateTable(ct)) if is_dual(&ct.name) => vec![hit(&ct.name)],
        Some(Statement::RenameTable(rs)) => rs
            .iter()
            .filter(|r| is_dual(&r.new_name))
            .map(|r| hit(&r.new_name))
            .collect(),
        Some(Statement::AlterTable(at)) => at
            .operations
            .iter()
            .filter_map(|op| match op {
                AlterTableOperation::RenameTable {
                    table_name: RenameTableNameKind::As(n) | RenameTableNameKind::To(n),
                } if is_dual(n) => Some(hit(n)),
                _ => None,
            })
            .collect(),
        Some(_) => Vec::new(),
        None => {
            // CREATE [TEMPORARY] TABLE [IF NOT EXISTS] [db.]dual (…) that did not parse.
            if table_ddl(c.toks) != Some(Ddl::Create) {
                return Vec::new();
            }
            let name = c
                .toks
                .iter()
                .skip(2)
                .take_while(|t| !matches!(t.token, Token::LParen))
                .filter(|t| matches!(t.token, Token::Word(_)))
                .last();
            match name {
                Some(t) if matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("dual")) =>
                {
                    vec![Hit::tok(t)]
                }
                _ => Vec::new(),
            }
        }
    }
}

/// TBL.004: `CREATE TABLE … AUTO_INCREMENT=N` with N > 1.
fn auto_increment_not_zero(c: &Ctx) -> Vec<Hit> {
    if table_ddl(c.toks) != Some(Ddl::Create) {
        return Vec::new();
    }
    table_options(c.toks)
        .into_iter()
        .filter(|o| o.key == "AUTO_INCREMENT" && o.value.parse::<u64>().is_ok_and(|n| n > 1))
        .map(|o| Hit::tok(o.at).with(o.value))
        .collect()
}

/// TBL.005: a table charset outside `allow_charsets`.
fn charset(c: &Ctx) -> Vec<Hit> {
    if c.opts.allow_charsets.is_empty() {
        return Vec::new();
    }
    table_options(c.toks)
        .into_iter()
        .filter(|o| o.key == "CHARSET" && !allowed(&c.opts.allow_charsets, &o.value))
        .map(|o| Hit::tok(o.at).with(o.value))
        .collect()
}

/// TBL.006: CREATE [OR REPLACE] … VIEW or ALTER … VIEW.
fn view(c: &Ctx) -> Vec<Hit> {
    let lead = c.toks.first().and_then(word);
    if !matches!(lead.as_deref(), Some("CREATE" | "ALTER")) {
        return Vec::new();
    }
    // The word VIEW before the AS of the view body (ALGORITHM=, DEFINER=, SQL SECURITY may come
    // first).
    c.toks
        .iter()
        .take_while(|t| !matches!(word(t).as_deref(), Some("AS" | "SELECT" | "TABLE")))
        .find(|t| word(t).is_some_and(|w| w == "VIEW"))
        .map(|_| vec![c.toks.first().map(Hit::tok).unwrap_or_default()])
        .unwrap_or_default()
}

/// TBL.007: CREATE TEMPORARY TABLE.
fn temporary(c: &Ctx) -> Vec<Hit> {
    if is_seq(c.toks, 0, &["CREATE", "TEMPORARY", "TABLE"]) {
        c.toks.get(1).map(|t| vec![Hit::tok(t)]).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// TBL.008: a table collation outside `allow_collates` (an empty list allows any).
fn collation(c: &Ctx) -> Vec<Hit> {
    if c.opts.allow_collates.is_empty() {
        return Vec::new();
    }
    table_options(c.toks)
        .into_iter()
        .filter(|o| o.key == "COLLATE" && !allowed(&c.opts.allow_collates, &o.value))
        .map(|o| Hit::tok(o.at).with(o.value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn tbl_001_partitioned() {
        assert_rule(
            "TBL.001",
            &[
                "CREATE TABLE trb3(id INT, name VARCHAR(50), purchased DATE) PARTITION BY RANGE(YEAR(purchased)) (PARTITION p0 VALUES LESS THAN (1990), PARTITION p1 VALUES LESS THAN (1995))",
                "CREATE TABLE t (id int) PARTITION BY HASH(id) PARTITIONS 4",
                "ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2010))",
            ],
            &["CREATE TABLE t (id int)", "SELECT * FROM t PARTITION (p0)"],
        );
        assert_eq!(
            hits("TBL.001", "CREATE TABLE t (id int)\nPARTITION BY HASH(id)")[0].at,
            Some((2, 1))
        );
    }

    #[test]
    fn tbl_002_engine() {
        assert_rule(
            "TBL.002",
            &[
                "create table test(`id` int(11) NOT NULL AUTO_INCREMENT)",
                "CREATE TABLE t (id int) ENGINE=MyISAM",
                "ALTER TABLE t ENGINE = MyISAM",
            ],
            &[
                "CREATE TABLE t (id int) ENGINE=InnoDB",
                "CREATE TABLE t (id int) engine innodb DEFAULT CHARSET=utf8mb4",
                "ALTER TABLE t ENGINE=InnoDB",
                "ALTER TABLE t ADD COLUMN c int",
                "CREATE TABLE t LIKE u",
                "SELECT 1",
            ],
        );
        let opts = ScoreOptions {
            allow_engines: vec!["innodb".into(), "myisam".into()],
            ..ScoreOptions::default()
        };
        assert!(hits_with("TBL.002", "CREATE TABLE t (id int) ENGINE=MyISAM", &opts).is_empty());
        let h = hits("TBL.002", "CREATE TABLE t (id int) ENGINE=MyISAM");
        assert_eq!(h[0].at, Some((1, 25)));
        assert_eq!(h[0].detail.as_deref(), Some("myisam"));
    }

    #[test]
    fn tbl_003_dual_table() {
        assert_rule(
            "TBL.003",
            &[
                "create table `dual`(id int, primary key (id))",
                "RENAME TABLE t TO `dual`",
                "ALTER TABLE t RENAME TO `dual`",
            ],
            &["CREATE TABLE duality (id int)", "SELECT 1 FROM dual"],
        );
    }

    #[test]
    fn tbl_004_auto_increment_not_zero() {
        assert_rule(
            "TBL.004",
            &[
                "CREATE TABLE tbl (a int) AUTO_INCREMENT = 10",
                "CREATE TABLE tbl (a int) ENGINE=InnoDB AUTO_INCREMENT 2 DEFAULT CHARSET=utf8mb4",
            ],
            &[
                "CREATE TABLE tbl (a int AUTO_INCREMENT) AUTO_INCREMENT=1",
                "CREATE TABLE tbl (id int AUTO_INCREMENT, PRIMARY KEY (id))",
                "ALTER TABLE t AUTO_INCREMENT=100",
            ],
        );
    }

    #[test]
    fn tbl_005_charset() {
        assert_rule(
            "TBL.005",
            &[
                "CREATE TABLE tbl (a int) DEFAULT CHARSET = latin1",
                "CREATE TABLE tbl (a int) CHARACTER SET gbk",
                "ALTER TABLE t DEFAULT CHARACTER SET latin1",
                "ALTER TABLE t CONVERT TO CHARACTER SET latin1",
            ],
            &[
                "CREATE TABLE tbl (a varchar(10) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4",
                "CREATE TABLE tbl (a int)",
                "ALTER TABLE t MODIFY a varchar(10) CHARACTER SET latin1",
                "ALTER TABLE t CHARSET utf8mb4",
            ],
        );
        assert_eq!(
            hits("TBL.005", "CREATE TABLE t (a int) DEFAULT CHARSET=latin1")[0].at,
            Some((1, 24))
        );
    }

    #[test]
    fn tbl_006_view() {
        assert_rule(
            "TBL.006",
            &[
                "CREATE VIEW v_today (today) AS SELECT CURRENT_DATE",
                "CREATE OR REPLACE ALGORITHM=MERGE DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1",
                "ALTER VIEW v AS SELECT 2",
            ],
            &["CREATE TABLE view_log (id int)", "SELECT * FROM v"],
        );
    }

    #[test]
    fn tbl_007_temporary() {
        assert_rule(
            "TBL.007",
            &[
                "CREATE TEMPORARY TABLE t (id int)",
                "create temporary table t select 1",
            ],
            &["CREATE TABLE t (id int)", "DROP TEMPORARY TABLE t"],
        );
        assert_eq!(
            hits("TBL.007", "CREATE TEMPORARY TABLE t (id int)")[0].at,
            Some((1, 8))
        );
    }

    #[test]
    fn tbl_008_collation() {
        let sql = "CREATE TABLE t (a int) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
        assert_rule("TBL.008", &[], &[sql]);
        let opts = ScoreOptions {
            allow_collates: vec!["utf8mb4_general_ci".into()],
            ..ScoreOptions::default()
        };
        assert_eq!(
            hits_with("TBL.008", sql, &opts)[0].detail.as_deref(),
            Some("utf8mb4_bin")
        );
        assert!(
            hits_with(
                "TBL.008",
                "CREATE TABLE t (a varchar(1) COLLATE utf8mb4_bin) COLLATE utf8mb4_general_ci",
                &opts
            )
            .is_empty()
        );
        assert_eq!(
            hits_with("TBL.008", "ALTER TABLE t COLLATE latin1_bin", &opts).len(),
            1
        );
    }
}
